from __future__ import annotations

from django.urls import path, re_path

from integrations.views import (
    browse,
    deploys,
    editor,
    field_picker,
    history,
    installations,
    listing,
)

app_name = "integrations"
urlpatterns = [
    path("", listing.integration_list, name="list"),
    path("where-used/", browse.where_used, name="where-used"),
    path("<int:pk>/", browse.integration_detail, name="detail"),
    re_path(
        r"^(?P<pk>[0-9]+)/(?P<tab>read|write|subscribe|proxy|raw|installations)/$",
        browse.integration_detail,
        name="tab",
    ),
    path(
        "<int:pk>/installations/refresh/",
        installations.refresh_installations,
        name="installations-refresh",
    ),
    path(
        "<int:pk>/installations/<int:installation_pk>/",
        installations.installation_detail,
        name="installation",
    ),
    path("<int:pk>/amp.yaml", browse.integration_manifest, name="amp-yaml"),
    path("<int:pk>/history/", history.integration_history, name="history"),
    path("<int:pk>/diff/", history.integration_diff, name="diff"),
    path(
        "<int:pk>/versions/<int:snapshot_pk>/restore/",
        deploys.restore_version,
        name="restore",
    ),
    path("<int:pk>/copy/", deploys.copy_to_project, name="copy"),
    path("<int:pk>/edit/", editor.edit_integration, name="edit"),
    path("<int:pk>/edit/read/", editor.add_read_object, name="add-read"),
    path("<int:pk>/edit/read/<int:index>/", editor.edit_read_object, name="edit-read"),
    path("<int:pk>/edit/write/", editor.edit_write, name="edit-write"),
    path("<int:pk>/edit/subscribe/", editor.edit_subscribe, name="edit-subscribe"),
    path("<int:pk>/edit/watch-schema/", editor.edit_watch_schema, name="edit-watch-schema"),
    path("<int:pk>/edit/autosave/", editor.autosave, name="autosave"),
    path("<int:pk>/edit/issues/", editor.draft_issues, name="draft-issues"),
    path("<int:pk>/edit/discard/", editor.discard_draft, name="discard"),
    path("<int:pk>/edit/preview/", editor.preview_draft, name="preview-draft"),
    path("<int:pk>/edit/rebase/", editor.rebase_draft, name="rebase"),
    path("<int:pk>/edit/fields/", field_picker.field_picker, name="field-picker"),
]
