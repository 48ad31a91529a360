from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class OpsAdminConfig(AdminConfig):
    """django.contrib.admin with ampdash's own site ("ampdash ops") as `admin.site`."""

    default_site = "integrations.admin_site.OpsAdminSite"
