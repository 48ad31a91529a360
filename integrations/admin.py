from __future__ import annotations

from django import forms
from django.contrib import admin

from integrations.models import (
    DeployRecord,
    Integration,
    Membership,
    Project,
    Snapshot,
    SyncRun,
)


class ProjectAdminForm(forms.ModelForm):
    # Write-only: the stored key is never sent back to the browser.
    api_key = forms.CharField(
        label="API key",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave blank to keep the current key. Without a stored key, "
        "AMPERSAND_API_KEY from the environment is used.",
    )
    clear_api_key = forms.BooleanField(label="Forget the stored API key", required=False)

    class Meta:
        model = Project
        fields = ["name", "ampersand_project", "api_url"]

    def save(self, commit: bool = True) -> Project:
        project = super().save(commit=False)
        if self.cleaned_data.get("clear_api_key"):
            project.set_api_key("")
        elif self.cleaned_data.get("api_key"):
            project.set_api_key(self.cleaned_data["api_key"])
        if commit:
            project.save()
        return project


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    form = ProjectAdminForm
    list_display = ["name", "ampersand_project", "api_url", "has_stored_api_key", "created_at"]
    search_fields = ["name", "ampersand_project"]
    inlines = [MembershipInline]

    @admin.display(boolean=True, description="Stored key")
    def has_stored_api_key(self, project: Project) -> bool:
        return project.has_stored_api_key


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ["name", "display_name", "provider", "project", "state", "last_synced_at"]
    list_filter = ["project", "state", "provider"]
    search_fields = ["name", "display_name", "remote_id"]
    list_select_related = ["project"]
    readonly_fields = ["project", "remote_id", "latest_snapshot", "first_seen_at", "last_synced_at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """What ampdash records is history: ops staff read it, nobody edits it here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    list_display = ["integration", "revision_id", "source", "taken_by", "taken_at"]
    list_filter = ["source", "integration__project"]
    search_fields = ["integration__name", "revision_id", "content_hash"]
    list_select_related = ["integration", "taken_by"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = [
        "project",
        "status",
        "trigger",
        "started_by",
        "started_at",
        "finished_at",
        "fetched",
        "new",
        "changed",
        "removed",
    ]
    list_filter = ["status", "trigger", "project"]
    list_select_related = ["project", "started_by"]
    date_hierarchy = "started_at"


@admin.register(DeployRecord)
class DeployRecordAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "project", "kind", "outcome", "user", "started_at", "reason"]
    list_filter = ["outcome", "kind", "project"]
    search_fields = ["reason", "amp_yaml", "user__username", "problem_request_id"]
    list_select_related = ["project", "user"]
    date_hierarchy = "started_at"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "role"]
    list_filter = ["role", "project"]
    search_fields = ["user__username", "project__name"]
    autocomplete_fields = ["user", "project"]
