"""Background syncs: queued by the pages, the API and the admin, run by django-tasks-db's
`db_worker`. (The search index's task lives beside the index, in models.py.)"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.tasks import task

from integrations.models import Project, SyncRun
from integrations.sync import run_sync, start_sync


@task()
def sync_project_task(run_id: int) -> str:
    """Carry out a queued sync: this worker claims the run, then does it (`run_sync`)."""
    run = SyncRun.objects.select_related("project", "started_by").get(pk=run_id)
    return run_sync(run).status


def start_background_sync(*, project: Project, trigger: str, user: Any = None) -> SyncRun:
    """Queue a sync of `project` for a worker: what the Sync now button, the API and the admin
    do. Raises SyncAlreadyRunning like `start_sync`.

    The run and its task are committed together, so a queued run always has a task, whose fate
    tells whether the run can still start (see `fail_dead_sync_runs`).
    """
    with transaction.atomic():
        run = start_sync(project=project, trigger=trigger, user=user, queued=True)
        run.task_id = str(sync_project_task.enqueue(run.pk).id)
        run.save(update_fields=["task_id"])
    return run
