"""The emulator's state in the Django admin, mostly to look at (change it through the API)."""

from __future__ import annotations

from django.contrib import admin

from emulator.models import ApiKey, Destination, Installation, Integration, Project, Revision


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "id", "app_name", "create_time"]
    search_fields = ["name", "id"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["label", "project", "active"]
    list_filter = ["active"]
    list_select_related = ["project"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """State the API owns: browsable here, but written only through the emulated API."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Destination)
class DestinationAdmin(ReadOnlyAdmin):
    list_display = ["name", "type", "project", "create_time"]
    list_filter = ["type"]
    list_select_related = ["project"]
    search_fields = ["name"]


@admin.register(Integration)
class IntegrationAdmin(ReadOnlyAdmin):
    list_display = ["name", "provider", "project", "create_time", "update_time"]
    list_filter = ["provider"]
    list_select_related = ["project"]
    search_fields = ["name", "id"]


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ["id", "integration", "spec_version", "create_time"]
    list_select_related = ["integration"]
    search_fields = ["id", "integration__name"]


@admin.register(Installation)
class InstallationAdmin(ReadOnlyAdmin):
    list_display = ["id", "integration", "health_status", "create_time"]
    list_filter = ["health_status"]
    list_select_related = ["integration"]
