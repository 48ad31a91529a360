"""One access helper per object type, so no view can forget the permission check.

Each takes the request (a page's or DRF's) or the user, and answers 404 when the object lies
outside the user's projects, so ids do not tell which projects exist, and 403 when the user sees
the project but their role does not allow `action` (integrations.permissions decides).
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404

from integrations.models import Integration, Project, SyncRun
from integrations.permissions import Action, remember_role, require


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
    request_or_user: Any, pk: int, action: Action | str = Action.VIEW
) -> Integration:
    """The integration, if this user may see its project and take `action` in it.

    Its latest snapshot's JSON is loaded only when used: pages rendered from it are cached.
    The user's role and which provider catalog its project's API has come with it (one query
    for all); the catalog itself is parsed once per process (`Project.catalog`).
    """
    user = _user_of(request_or_user)
    integration = get_object_or_404(
        Integration.objects.for_user(user)
        .with_role_of(user)
        .with_catalog_version()
        .select_related("project", "latest_snapshot")
        .defer("latest_snapshot__raw"),
        pk=pk,
    )
    integration.project.catalog_version = integration.catalog_version
    remember_role(user, integration.project, integration.user_role)
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
