"""The emulator's state in the Django admin, mostly to look at (change it through the API).

Registered only where the emulator runs: development with `DEBUG` and `AMPERSAND_EMULATOR` on.
API keys never appear in plain text, not even there: they are masked and written only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest

from emulator.models import (
    ApiKey,
    Destination,
    Installation,
    Integration,
    Operation,
    Project,
    Revision,
)


class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "id", "app_name", "create_time"]
    search_fields = ["name", "id"]


def masked(key: str) -> str:
    """The key shown as dots and, for a key long enough that it gives little away, its end."""
    return f"••••{key[-4:]}" if len(key) >= 16 else "••••"


class ApiKeyForm(forms.ModelForm):
    key = forms.CharField(
        label="Key",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Write-only. Leave blank to keep the current key.",
    )

    class Meta:
        model = ApiKey
        fields = ["key", "project", "label", "active"]

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        if key:
            return key
        if self.instance.pk:
            return self.instance.key
        raise forms.ValidationError("A new API key needs its key.")


class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ["label", "masked_key", "project", "active"]
    list_filter = ["active"]
    list_select_related = ["project"]

    @admin.display(description="Key")
    def masked_key(self, api_key: ApiKey) -> str:
        return masked(api_key.key)


class ReadOnlyAdmin(admin.ModelAdmin):
    """State the API owns: browsable here, but written only through the emulated API."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DestinationAdmin(ReadOnlyAdmin):
    list_display = ["name", "type", "project", "create_time"]
    list_filter = ["type"]
    list_select_related = ["project"]
    search_fields = ["name"]


class IntegrationAdmin(ReadOnlyAdmin):
    list_display = ["name", "provider", "project", "create_time", "update_time"]
    list_filter = ["provider"]
    list_select_related = ["project"]
    search_fields = ["name", "id"]


class RevisionAdmin(ReadOnlyAdmin):
    list_display = ["id", "integration", "spec_version", "create_time"]
    list_select_related = ["integration"]
    search_fields = ["id", "integration__name"]


class InstallationAdmin(ReadOnlyAdmin):
    list_display = ["id", "integration", "health_status", "create_time"]
    list_filter = ["health_status"]
    list_select_related = ["integration"]


class OperationAdmin(ReadOnlyAdmin):
    list_display = ["id", "installation", "action_type", "status", "create_time"]
    list_filter = ["action_type", "status"]
    search_fields = ["id", "installation__id", "result"]


def register_on(site: admin.AdminSite) -> None:
    """Add the emulator's pages to `site`."""
    site.register(Project, ProjectAdmin)
    site.register(ApiKey, ApiKeyAdmin)
    site.register(Destination, DestinationAdmin)
    site.register(Integration, IntegrationAdmin)
    site.register(Revision, RevisionAdmin)
    site.register(Installation, InstallationAdmin)
    site.register(Operation, OperationAdmin)


def wanted() -> bool:
    """Whether the emulator's pages belong in the admin: only where the emulator runs."""
    return settings.DEBUG and settings.AMPERSAND_EMULATOR


if wanted():
    register_on(admin.site)
