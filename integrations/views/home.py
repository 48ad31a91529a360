from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from integrations.models import Integration, Project, SyncRun


@login_required
def home(request: HttpRequest) -> HttpResponse:
    latest_run = SyncRun.objects.filter(project=OuterRef("pk")).order_by("-started_at", "-id")
    projects = (
        Project.objects.for_user(request.user)
        .annotate(
            integration_count=Count(
                "integrations", filter=Q(integrations__state=Integration.State.PRESENT)
            ),
            latest_run_id=Subquery(latest_run.values("pk")[:1]),
        )
        .order_by("name")
    )
    projects = list(projects)
    runs = SyncRun.objects.in_bulk([p.latest_run_id for p in projects if p.latest_run_id])
    for project in projects:
        project.latest_run = runs.get(project.latest_run_id)
    removed = (
        Integration.objects.for_user(request.user)
        .filter(state=Integration.State.REMOVED)
        .select_related("project")
    )
    failed_runs = [
        p.latest_run
        for p in projects
        if p.latest_run and p.latest_run.status in (SyncRun.Status.FAILED, SyncRun.Status.PARTIAL)
    ]
    return render(
        request,
        "home.html",
        {"projects": projects, "removed": removed, "failed_runs": failed_runs},
    )


@login_required
def session_check(request: HttpRequest) -> HttpResponse:
    """200 while the session is valid: for scripts and monitors, and the pages benchmark's
    baseline (the cheapest view behind the same middleware and login)."""
    return HttpResponse("ok\n", content_type="text/plain")
