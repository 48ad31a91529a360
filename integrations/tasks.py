"""Background work, run by django-tasks-db's `db_worker`."""

from __future__ import annotations

from django.tasks import task

from integrations.models import SearchIndex, SyncRun
from integrations.services import run_sync


@task()
def sync_project_task(run_id: int) -> str:
    """Carry out a sync that a view started (so the view could refuse a second one at once)."""
    run = SyncRun.objects.select_related("project", "started_by").get(pk=run_id)
    if not run.is_running:
        return run.status
    return run_sync(run).status


@task()
def index_search_texts_task() -> int:
    """Add the search texts of snapshots stored since the last run to the search index."""
    return SearchIndex.index_new()
