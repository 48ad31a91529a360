"""Background syncs: queued by the pages, the API and the admin, run by django-tasks-db's
`db_worker`. (The search index's task lives beside the index, in models.py.)"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.tasks import task

from integrations.models import Project, SyncRun
from integrations.services import run_sync, start_sync


@task()
def sync_project_task(run_id: int) -> str:
    """Carry out a sync that a view started (so the view could refuse a second one at once)."""
    run = SyncRun.objects.select_related("project", "started_by").get(pk=run_id)
    if not run.is_running:
        return run.status
    return run_sync(run).status


def start_background_sync(*, project: Project, trigger: str, user: Any = None) -> SyncRun:
    """Start a sync of `project` for a worker to carry out once this transaction commits: what
    the Sync now button, the API and the admin do. Raises SyncAlreadyRunning like `start_sync`.
    """
    run = start_sync(project=project, trigger=trigger, user=user)
    transaction.on_commit(lambda: sync_project_task.enqueue(run.pk))
    return run
