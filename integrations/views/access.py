"""One access helper per object type, so no view can forget the permission check."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from integrations.models import Integration, Project, SyncRun


def get_project_for_user(request: HttpRequest, pk: int) -> Project:
    """The project, if this user may see it; 404 otherwise."""
    return get_object_or_404(Project.objects.for_user(request.user), pk=pk)


def get_integration_for_user(request: HttpRequest, pk: int) -> Integration:
    """The integration, if this user may see its project; 404 otherwise.

    Its latest snapshot's JSON is loaded only when used: pages rendered from it are cached.
    """
    return get_object_or_404(
        Integration.objects.for_user(request.user)
        .select_related("project", "latest_snapshot")
        .defer("latest_snapshot__raw"),
        pk=pk,
    )


def get_sync_run_for_user(request: HttpRequest, pk: int) -> SyncRun:
    """The sync run, if this user may see its project; 404 otherwise."""
    return get_object_or_404(
        SyncRun.objects.for_user(request.user).select_related("project", "started_by"), pk=pk
    )
