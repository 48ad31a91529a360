"""A sync run's life: started (by a page, the API, the admin or the command), claimed by the
process that does it, alive while it works, ended; or failed when its worker stopped."""

from __future__ import annotations

import socket
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.tasks import TaskResultStatus, default_task_backend
from django.tasks.exceptions import TaskResultDoesNotExist
from django.utils import timezone

from integrations.models import Project, SyncRun
from integrations.services import process_is_alive, this_worker

# A claimed sync whose worker has not shown signs of life for this long is taken for dead. Its
# longest silence is one fetch (an API call, retries included, within the client's 30 s budget);
# while it stores, its row is locked instead.
SYNC_STALE_AFTER = timedelta(minutes=5)


class SyncAlreadyRunning(Exception):
    """A sync of the project is under way; a second one is refused."""


class SyncAbandoned(Exception):
    """The run was taken for dead (and marked failed) while it worked: it must store nothing."""


def fail_dead_sync_runs(project: Project) -> int:
    """Mark failed the runs of `project` whose worker stopped before they ended. Returns how many.

    A claimed run is dead when its worker's process is gone (on this host) or has shown no sign
    of life for SYNC_STALE_AFTER. A queued run may wait for a worker as long as it takes; it is
    dead only when its task is: gone, ended without claiming it, or started and never claimed it.
    """
    now = timezone.now()
    failed = 0
    for run in project.sync_runs.filter(status=SyncRun.Status.RUNNING):
        stopped = _why_stopped(run, now=now)
        if stopped is None:
            continue
        title, detail = stopped
        with transaction.atomic():
            # Unless it showed signs of life meanwhile, or its worker holds it to store it.
            still_dead = (
                SyncRun.objects.select_for_update(skip_locked=True)
                .filter(
                    pk=run.pk,
                    status=SyncRun.Status.RUNNING,
                    worker=run.worker,
                    heartbeat_at=run.heartbeat_at,
                )
                .values_list("pk", flat=True)
            )
            failed += SyncRun.objects.filter(pk__in=list(still_dead)).update(
                status=SyncRun.Status.FAILED,
                finished_at=now,
                error_title=title,
                error_detail=detail,
            )
    return failed


def _why_stopped(run: SyncRun, *, now: Any) -> tuple[str, str] | None:
    """Why the running `run` can no longer end (an error title and detail), or None."""
    if run.worker:
        host, _, pid = run.worker.rpartition(":")
        if host == socket.gethostname() and pid.isdigit() and not process_is_alive(int(pid)):
            stopped = "is gone"
        elif run.heartbeat_at < now - SYNC_STALE_AFTER:
            stopped = (
                f"has shown no sign of life since {run.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC, "
                f"more than {SYNC_STALE_AFTER.total_seconds() / 60:g} minutes"
            )
        else:
            return None
        return "Worker stopped", (
            f"The worker running this sync ({run.worker}) {stopped}; nothing it fetched was stored."
        )
    if not run.task_id:
        return None
    try:
        task = default_task_backend.get_result(run.task_id)
    except TaskResultDoesNotExist:
        return (
            "Task lost",
            "This sync's task is no longer in the task queue; no worker will run it.",
        )
    except NotImplementedError:  # a backend that cannot tell
        return None
    if task.is_finished:
        return "Task lost", "This sync's task ended without running it."
    if task.status == TaskResultStatus.RUNNING and task.started_at < now - SYNC_STALE_AFTER:
        return "Worker stopped", (
            f"A worker took this sync's task at {task.started_at:%Y-%m-%d %H:%M:%S} UTC and "
            "stopped before it could start the sync."
        )
    return None


def start_sync(
    *, project: Project, trigger: str, user: Any = None, queued: bool = False
) -> SyncRun:
    """Record a new running sync of `project`, or raise SyncAlreadyRunning.

    This process claims the run to do it (`run_sync`), unless it is `queued` for a worker,
    which claims it when it starts.
    """
    fail_dead_sync_runs(project)
    started_by = user if user is not None and user.is_authenticated else None
    try:
        with transaction.atomic():
            return SyncRun.objects.create(
                project=project,
                trigger=trigger,
                started_by=started_by,
                worker="" if queued else this_worker(),
            )
    except IntegrityError:
        running = project.sync_runs.filter(status=SyncRun.Status.RUNNING).first()
        since = f" since {running.started_at:%H:%M:%S} UTC" if running else ""
        raise SyncAlreadyRunning(
            f"A sync of project {project.name} is already running{since}; try again when it ends."
        ) from None


def claim(run: SyncRun) -> bool:
    """Make this process the run's worker, alive as of now, unless the run is no longer running
    or another process claimed it."""
    worker, now = this_worker(), timezone.now()
    claimed = SyncRun.objects.filter(
        pk=run.pk, status=SyncRun.Status.RUNNING, worker__in=["", worker]
    ).update(worker=worker, heartbeat_at=now)
    run.worker, run.heartbeat_at = worker, now
    return bool(claimed)


def beat(run: SyncRun, **progress: Any) -> None:
    """Show that the run is alive (and how far it got) to other processes."""
    SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(
        heartbeat_at=timezone.now(), **progress
    )


def finish_failed(run: SyncRun, *, title: str, error: Exception) -> None:
    """Record the failure, unless the run was already ended (e.g. taken for dead)."""
    values = {
        "status": SyncRun.Status.FAILED,
        "finished_at": timezone.now(),
        "error_title": title[:500],
        "error_detail": getattr(error, "detail", None) or str(error),
        "error_request_id": (getattr(error, "request_id", None) or "")[:200],
        # A failed run stored nothing, whatever it had counted.
        **dict.fromkeys(["new", "changed", "unchanged", "removed"], 0),
        "failed_items": [],
    }
    SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(**values)
    run.refresh_from_db()
