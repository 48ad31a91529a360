"""The admin ("ampdash ops"): ops staff manage their projects and read their history.

Each ModelAdmin shows a user only the projects where they hold the ops role and answers every
has_*_permission by `can(user, Action.MANAGE, project)` (superusers: everything); who enters the
site at all is decided by `integrations.admin_site`. What ampdash recorded of the remote
(integrations, snapshots, sync runs, deploys) is read-only history here: the remote changes only
through the deploy flow.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from integrations.ampersand.errors import AmpersandError
from integrations.models import (
    DeployRecord,
    Installation,
    InstallationConfigVersion,
    Integration,
    Membership,
    Project,
    Snapshot,
    SyncRun,
)
from integrations.permissions import Action, can, can_anywhere, projects_where, require
from integrations.secrets import ApiKeyUnavailable
from integrations.services import client_for
from integrations.sync import SyncAlreadyRunning
from integrations.tasks import start_background_sync


def _may_manage(request: HttpRequest, project: Project | None) -> bool:
    """MANAGE in `project`, or in some project when there is none to ask about yet."""
    if project is None:
        return can_anywhere(request.user, Action.MANAGE)
    return can(request.user, Action.MANAGE, project)


class ProjectScopedAdmin(admin.ModelAdmin):
    """An admin of data that belongs to a project, shown and allowed per project."""

    # The lookup from this model to its Project.
    project_lookup = "project"

    def project_of(self, obj: Any) -> Project:
        return obj.project

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        managed = projects_where(request.user, Action.MANAGE)
        return queryset.filter(**{f"{self.project_lookup}__in": managed})

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        # 404, as the pages answer, rather than Django's redirect with a message: another
        # project's ids then look like ids that do not exist.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} with id {object_id} in your projects.")
        return obj

    def may_manage(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_manage(request, None if obj is None else self.project_of(obj))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.may_manage(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.may_manage(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.may_manage(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.may_manage(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.may_manage(request, obj)


class HistoryAdmin(ProjectScopedAdmin):
    """What ampdash recorded: ops staff read it, nobody adds, edits or deletes it here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _project_filter(lookup: str = "project") -> tuple[str, type[admin.ListFilter]]:
    # Offers only the projects of the rows the user may see, never the names of all projects.
    return (lookup, admin.RelatedOnlyFieldListFilter)


# --- Projects and members --------------------------------------------------------------------


class MembershipFields:
    """A membership's choices: any active user, and only the projects the user manages."""

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.Field:
        if db_field.name == "project":
            kwargs["queryset"] = projects_where(request.user, Action.MANAGE)
        elif db_field.name == "user":
            # A plain choice: the user admin (and so its autocomplete) is for superusers only.
            kwargs["queryset"] = (
                get_user_model().objects.filter(is_active=True).order_by("username")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ProjectAdminForm(forms.ModelForm):
    # Write-only: the stored key is never sent back to the browser.
    api_key = forms.CharField(
        label="API key",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave blank to keep the current key. Without a stored key, "
        "AMPERSAND_API_KEY from the environment is used, and only when the API base URL is blank "
        "(AMPERSAND_API_URL): a project with its own URL needs its own key.",
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


class MembershipInline(MembershipFields, admin.TabularInline):
    model = Membership
    extra = 0

    # `obj` is the project being edited (None on the add page, which only superusers see).
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_manage(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_manage(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_manage(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_manage(request, obj)


class StoredKeyFilter(admin.SimpleListFilter):
    title = "stored API key"
    parameter_name = "stored_key"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Stored"), ("no", "From the environment")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.exclude(api_key_encrypted="")
        if self.value() == "no":
            return queryset.filter(api_key_encrypted="")
        return queryset


@admin.register(Project)
class ProjectAdmin(ProjectScopedAdmin):
    form = ProjectAdminForm
    list_display = ["name", "ampersand_project", "base_url", "has_stored_api_key", "created_at"]
    list_filter = [StoredKeyFilter]
    search_fields = ["name", "ampersand_project", "api_url"]
    date_hierarchy = "created_at"
    inlines = [MembershipInline]
    actions = ["test_connection", "sync_now"]
    project_lookup = "pk"

    def project_of(self, obj: Project) -> Project:
        return obj

    # A new project would have no ops yet, and deleting one takes its history with it.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return self.may_manage(request)

    @admin.display(description="API base URL")
    def base_url(self, project: Project) -> str:
        return project.base_url

    @admin.display(boolean=True, description="Stored key")
    def has_stored_api_key(self, project: Project) -> bool:
        return project.has_stored_api_key

    def _managed(self, request: HttpRequest, queryset: QuerySet[Project]) -> list[Project]:
        projects = list(queryset)
        for project in projects:
            require(request.user, Action.MANAGE, project)
        return projects

    @admin.action(description="Test connection", permissions=["manage"])
    def test_connection(self, request: HttpRequest, queryset: QuerySet[Project]) -> None:
        """Ask the API for the project and its integrations; say what it answered."""
        for project in self._managed(request, queryset):
            try:
                with client_for(project) as client:
                    remote = client.get_project()
                    count = len(client.list_integrations_checked())
            except (AmpersandError, ApiKeyUnavailable) as error:
                self.message_user(request, f"{project}: {error}", messages.ERROR)
            else:
                integrations = "integration" if count == 1 else "integrations"
                self.message_user(
                    request,
                    f"{project}: connected to Ampersand project {remote.name}, "
                    f"{count} {integrations}.",
                    messages.SUCCESS,
                )

    @admin.action(description="Sync now", permissions=["manage"])
    def sync_now(self, request: HttpRequest, queryset: QuerySet[Project]) -> None:
        """Start a sync of each project in the background, as the Sync now button does."""
        for project in self._managed(request, queryset):
            try:
                run = start_background_sync(
                    project=project, trigger=SyncRun.Trigger.BUTTON, user=request.user
                )
            except SyncAlreadyRunning as error:
                self.message_user(request, str(error), messages.WARNING)
            else:
                self.message_user(
                    request,
                    format_html(
                        'Sync of {} started: <a href="{}">follow it</a>.',
                        project,
                        reverse("sync-run", args=[run.pk]),
                    ),
                    messages.SUCCESS,
                )


@admin.register(Membership)
class MembershipAdmin(MembershipFields, ProjectScopedAdmin):
    # No date_hierarchy: a membership records no date.
    list_display = ["user", "project", "role"]
    list_filter = ["role", _project_filter()]
    search_fields = ["user__username", "user__email", "project__name"]
    list_select_related = ["user", "project"]


# --- History ---------------------------------------------------------------------------------


@admin.register(Integration)
class IntegrationAdmin(HistoryAdmin):
    list_display = [
        "name",
        "display_name",
        "provider",
        "project",
        "state",
        "first_seen_at",
        "last_synced_at",
    ]
    list_filter = ["state", "provider", _project_filter()]
    search_fields = ["name", "display_name", "remote_id", "provider"]
    list_select_related = ["project"]
    date_hierarchy = "first_seen_at"
    exclude = ["latest_snapshot"]
    readonly_fields = ["latest_version"]

    def view_on_site(self, integration: Integration) -> str:
        return reverse("integrations:detail", args=[integration.pk])

    @admin.display(description="Latest version")
    def latest_version(self, integration: Integration) -> SafeString | str:
        if integration.latest_snapshot_id is None:
            return "-"
        url = reverse("admin:integrations_snapshot_change", args=[integration.latest_snapshot_id])
        return format_html('<a href="{}">snapshot {}</a>', url, integration.latest_snapshot_id)


@admin.register(Snapshot)
class SnapshotAdmin(HistoryAdmin):
    list_display = ["integration", "project", "revision_id", "source", "taken_by", "taken_at"]
    list_filter = ["source", _project_filter("integration__project")]
    search_fields = ["integration__name", "revision_id", "content_hash"]
    list_select_related = ["integration__project", "taken_by"]
    date_hierarchy = "taken_at"
    project_lookup = "integration__project"
    fields = [
        "links",
        "integration",
        "revision_id",
        "revision_created_at",
        "spec_version",
        "source",
        "taken_by",
        "taken_at",
        "sync_run",
        "deploy",
        "content_hash",
        "amp_yaml",
    ]
    readonly_fields = ["links", "amp_yaml"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Snapshot]:
        # The JSON is read only by the change page, which asks for it.
        return super().get_queryset(request).defer("raw")

    def project_of(self, snapshot: Snapshot) -> Project:
        return snapshot.integration.project

    def view_on_site(self, snapshot: Snapshot) -> str:
        return reverse("integrations:detail", args=[snapshot.integration_id])

    @admin.display(description="Project", ordering="integration__project__name")
    def project(self, snapshot: Snapshot) -> Project:
        return snapshot.integration.project

    @admin.display(description="See")
    def links(self, snapshot: Snapshot) -> SafeString:
        page = reverse("integrations:detail", args=[snapshot.integration_id])
        history = reverse("integrations:history", args=[snapshot.integration_id])
        previous = snapshot.previous()
        if previous is None:
            diff = format_html("{}", "the first version: no earlier one to compare with")
        else:
            query = urlencode({"from": previous.pk, "to": snapshot.pk})
            url = reverse("integrations:diff", args=[snapshot.integration_id])
            diff = format_html('<a href="{}?{}">diff against the previous version</a>', url, query)
        return format_html(
            '<a href="{}">the integration\'s page</a> · <a href="{}">its history</a> · {}',
            page,
            history,
            diff,
        )

    @admin.display(description="amp.yaml")
    def amp_yaml(self, snapshot: Snapshot) -> SafeString:
        return format_html("<pre>{}</pre>", snapshot.amp_yaml())


@admin.register(SyncRun)
class SyncRunAdmin(HistoryAdmin):
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
        "error_title",
    ]
    list_filter = ["status", "trigger", _project_filter()]
    search_fields = ["project__name", "error_title", "error_request_id", "started_by__username"]
    list_select_related = ["project", "started_by"]
    date_hierarchy = "started_at"

    def view_on_site(self, run: SyncRun) -> str:
        return reverse("sync-run", args=[run.pk])


@admin.register(DeployRecord)
class DeployRecordAdmin(HistoryAdmin):
    list_display = ["__str__", "project", "kind", "outcome", "user", "started_at", "reason"]
    list_filter = ["outcome", "kind", "destructive", _project_filter()]
    search_fields = ["reason", "amp_yaml", "user__username", "problem_request_id"]
    list_select_related = ["project", "user"]
    date_hierarchy = "started_at"

    def view_on_site(self, record: DeployRecord) -> str:
        return reverse("deploy-record", args=[record.pk])


@admin.register(Installation)
class InstallationAdmin(HistoryAdmin):
    list_display = [
        "__str__",
        "integration",
        "project",
        "health_status",
        "last_operation_status",
        "difference_count",
        "seen_changed_at",
        "removed_at",
    ]
    list_filter = ["health_status", _project_filter()]
    search_fields = ["group_name", "group_ref", "remote_id", "integration__name"]
    list_select_related = ["project", "integration"]
    date_hierarchy = "seen_changed_at"
    show_full_result_count = False  # counting tens of thousands for each page is not needed

    def get_queryset(self, request: HttpRequest) -> QuerySet[Installation]:
        # The config's JSON is read only by the change page.
        return super().get_queryset(request).defer("config")

    def view_on_site(self, installation: Installation) -> str:
        return reverse(
            "integrations:installation", args=[installation.integration_id, installation.pk]
        )


@admin.register(InstallationConfigVersion)
class InstallationConfigVersionAdmin(HistoryAdmin):
    list_display = ["installation", "config_hash", "seen_at"]
    list_filter = [_project_filter("installation__project")]
    search_fields = ["installation__group_name", "installation__remote_id", "config_hash"]
    list_select_related = ["installation"]
    project_lookup = "installation__project"

    def project_of(self, version: InstallationConfigVersion) -> Project:
        return version.installation.project


# --- Accounts --------------------------------------------------------------------------------


class SuperusersOnly:
    """Accounts span every project: only superusers see or change them."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_module_permission(request)


def _superusers_only(model: type[Model]) -> None:
    """Register `model` again with its admin (django.contrib.auth's) limited to superusers."""
    registered = type(admin.site.get_model_admin(model))
    admin.site.unregister(model)
    admin.site.register(model, type(registered.__name__, (SuperusersOnly, registered), {}))


_superusers_only(get_user_model())
_superusers_only(Group)
