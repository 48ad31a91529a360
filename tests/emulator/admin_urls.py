"""The dashboard's URLs plus an admin site with the emulator's pages, whatever the settings
were at startup (the emulator's admin registers itself only where the emulator runs)."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.urls import path

from dashboard.urls import urlpatterns as dashboard_urlpatterns
from emulator.admin import register_on

site = AdminSite(name="emulator_admin")
register_on(site)

urlpatterns = [path("emulator-admin/", site.urls), *dashboard_urlpatterns]
