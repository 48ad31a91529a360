"""One access helper per object type, so no view can forget the permission check.

Each takes the request (a page's or DRF's) or the user, and answers 404 when the object lies
outside the user's projects, so ids do not tell which projects exist, and 403 when the user sees
the project but their role does not allow `action` (integrations.permissions decides).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404

from integrations.models import Integration, Project, SyncRun
from integrations.permissions import Action, can, remember_role, require


def _user_of(request_or_user: Any) -> Any:
    return getattr(request_or_user, "user", request_or_user)


def _check(user: Any, action: Action | str, project: Project) -> None:
    # Seeing the object proves VIEW: only other actions cost the role query.
    if Action(action) is not Action.VIEW:
        require(user, action, project)


def get_project_for_user(
    request_or_user: Any, pk: int, action: Action | str = Action.VIEW
) -> Project:
    """The project, if this user may see it and take `action` in it."""
    user = _user_of(request_or_user)
    project = get_object_or_404(Project.objects.for_user(user), pk=pk)
    _check(user, action, project)
    return project


def get_integration_for_user(
    request_or_user: Any,
    pk: int,
    action: Action | str = Action.VIEW,
    *,
    with_latest_snapshot: bool = True,
    with_counts: bool = False,
) -> Integration:
    """The integration, if this user may see its project and take `action` in it.

    The user's role comes with it and decides whether they see it at all, with which provider
    catalog its project's API has (one query for all); its latest snapshot comes too, unless not
    `with_latest_snapshot` (then read when used), but its JSON is loaded only when used: pages
    rendered from it are cached. The catalog itself is parsed once per process
    (`Project.catalog`). `with_counts`: its versions and open drafts counted too
    (`IntegrationQuerySet.with_counts`).
    """
    user = _user_of(request_or_user)
    integrations = (
        Integration.objects.with_role_of(user).with_catalog_version().select_related("project")
    )
    if with_latest_snapshot:
        integrations = integrations.select_related("latest_snapshot").defer("latest_snapshot__raw")
    if with_counts:
        integrations = integrations.with_counts()
    integration = get_object_or_404(integrations, pk=pk)
    integration.project.catalog_version = integration.catalog_version
    remember_role(user, integration.project, integration.user_role)
    if not can(user, Action.VIEW, integration.project):
        raise Http404("No Integration matches the given query.")
    _check(user, action, integration.project)
    return integration


def get_sync_run_for_user(
    request_or_user: Any, pk: int, action: Action | str = Action.VIEW
) -> SyncRun:
    """The sync run, if this user may see its project and take `action` in it."""
    user = _user_of(request_or_user)
    run = get_object_or_404(
        SyncRun.objects.for_user(user).select_related("project", "started_by"), pk=pk
    )
    _check(user, action, run.project)
    return run
