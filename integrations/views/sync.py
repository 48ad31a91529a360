from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from integrations.access import get_project_for_user, get_sync_run_for_user
from integrations.models import SyncRun
from integrations.permissions import Action
from integrations.sync import SyncAlreadyRunning, fail_dead_sync_runs
from integrations.tasks import start_background_sync


@login_required
@require_POST
def start_project_sync(request: HttpRequest, pk: int) -> HttpResponse:
    """The Sync now button: start a sync in the background and show its progress."""
    project = get_project_for_user(request, pk, Action.SYNC)
    refusal = ""
    try:
        run = start_background_sync(
            project=project, trigger=SyncRun.Trigger.BUTTON, user=request.user
        )
    except SyncAlreadyRunning as error:
        refusal = str(error)
        run = project.sync_runs.filter(status=SyncRun.Status.RUNNING).first()
    if not request.htmx:
        return redirect("sync-run", pk=run.pk) if run else redirect("home")
    return render(
        request,
        "integrations/sync_run.html#status",
        {"project": project, "run": run, "refusal": refusal},
    )


@login_required
def sync_run_status(request: HttpRequest, pk: int) -> HttpResponse:
    """A sync's progress and outcome; htmx polls it while the sync runs."""
    run = get_sync_run_for_user(request, pk)
    if run.is_running:
        fail_dead_sync_runs(run.project)
        run.refresh_from_db()
    template = "integrations/sync_run.html#status" if request.htmx else "integrations/sync_run.html"
    return render(request, template, {"project": run.project, "run": run})
