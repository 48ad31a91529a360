"""Operations that span several models or call the Ampersand API."""

from __future__ import annotations

import functools
import gc
import logging
import os
import socket
from collections.abc import Callable
from contextlib import closing
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.tasks import TaskResultStatus, default_task_backend
from django.tasks.exceptions import TaskResultDoesNotExist
from django.utils import timezone

from integrations.ampersand import AmpersandClient
from integrations.ampersand.client import ListedIntegration
from integrations.ampersand.errors import AmpersandError
from integrations.installations import sync_installations
from integrations.models import (
    EncodedJSON,
    Integration,
    Project,
    Snapshot,
    SyncRun,
    index_search_texts_task,
    store_catalog,
)
from integrations.secrets import ApiKeyUnavailable
from integrations.snapshots import SnapshotWriter, refresh_integration
from integrations.sync_work import work_on, worked_out

logger = logging.getLogger(__name__)

# A claimed sync whose worker has not shown signs of life for this long is taken for dead. Its
# longest silence is one fetch (an API call, retries included, within the client's 30 s budget);
# while it stores, its row is locked instead.
SYNC_STALE_AFTER = timedelta(minutes=5)
# Rows per UPDATE statement when storing, small enough for SQLite's parameter limit.
BATCH_SIZE = 500


class SyncAlreadyRunning(Exception):
    """A sync of the project is under way; a second one is refused."""


def client_for(project: Project, **options: Any) -> AmpersandClient:
    """An API client for `project`, with the dashboard's timeouts."""
    options.setdefault("timeout", settings.AMPERSAND_TIMEOUT_SECONDS)
    return AmpersandClient(
        base_url=project.base_url,
        api_key=project.get_api_key(),
        project=project.ampersand_project,
        **options,
    )


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def process_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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


def sync_project(
    *,
    project: Project,
    trigger: str = SyncRun.Trigger.COMMAND,
    user: Any = None,
    client: AmpersandClient | None = None,
) -> SyncRun:
    """Fetch every integration of `project` and keep a snapshot of each one that changed."""
    run = start_sync(project=project, trigger=trigger, user=user)
    return run_sync(run, client=client)


def _cyclic_gc_paused[**P, R](function: Callable[P, R]) -> Callable[P, R]:
    """Run `function` with the cyclic garbage collector off (unless it already was).

    A sync decodes a million or so containers that live until it ends; the collector would
    traverse all of them again and again for no garbage (JSON has no cycles), which costs
    a re-sync about a third of its time. Reference counting still frees everything.
    """

    @functools.wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()
                gc.collect(0)

    return paused


class SyncAbandoned(Exception):
    """The run was taken for dead (and marked failed) while it worked: it must store nothing."""


@_cyclic_gc_paused
def run_sync(run: SyncRun, *, client: AmpersandClient | None = None) -> SyncRun:
    """Claim a started run, do its work and record how it ended.

    The fetch happens before any write, and the snapshots land in one transaction together
    with the run's final state: a failed fetch or a crash mid-write stores nothing. A run
    another worker claimed, or that ended, is returned as it is.
    """
    if not _claim(run):
        run.refresh_from_db()
        return run
    try:
        if client is None:
            with client_for(run.project) as own_client:
                listed = own_client.list_integrations_checked()
        else:
            listed = client.list_integrations_checked()
    except AmpersandError as error:
        _finish_failed(run, title=error.title or type(error).__name__, error=error)
        return run
    except ApiKeyUnavailable as error:
        _finish_failed(run, title="API key unusable", error=error)
        return run
    except Exception as error:
        logger.exception("sync %s of project %s failed while fetching", run.pk, run.project)
        _finish_failed(run, title="Could not fetch the integrations", error=error)
        raise
    _beat(run, progress_total=len(listed))
    try:
        _store(run, listed)
        if run.new or run.changed:
            # A worker adds them to the search index; searches scan them until then.
            transaction.on_commit(index_search_texts_task.enqueue)
    except SyncAbandoned:
        logger.warning(
            "sync %s of project %s was taken for dead; stored nothing", run.pk, run.project
        )
        run.refresh_from_db()
    except Exception as error:
        logger.exception("sync %s of project %s failed while storing", run.pk, run.project)
        _finish_failed(run, title="Could not store the integrations", error=error)
        raise
    if run.status != SyncRun.Status.FAILED:
        sync_installations(run.project, client=client)
        refresh_catalog(project=run.project, client=client)
    return run


def refresh_catalog(*, project: Project, client: AmpersandClient | None = None) -> bool:
    """Fetch the provider catalog of the project's API and keep it if it changed.

    Never raises: a catalog that cannot be fetched is logged and the last one kept. The sync
    asks for it once its integrations are stored and its run recorded, so that neither waits.
    """
    try:
        if client is None:
            with client_for(project) as own_client:
                providers = own_client.list_providers()
        else:
            providers = client.list_providers()
        return store_catalog(project.base_url, {name: info.raw for name, info in providers.items()})
    except Exception:
        logger.warning(
            "could not refresh the provider catalog of %s; keeping the last one",
            project.base_url,
            exc_info=True,
        )
        return False


def _claim(run: SyncRun) -> bool:
    """Make this process the run's worker, alive as of now, unless the run is no longer running
    or another process claimed it."""
    worker, now = this_worker(), timezone.now()
    claimed = SyncRun.objects.filter(
        pk=run.pk, status=SyncRun.Status.RUNNING, worker__in=["", worker]
    ).update(worker=worker, heartbeat_at=now)
    run.worker, run.heartbeat_at = worker, now
    return bool(claimed)


def _beat(run: SyncRun, **progress: Any) -> None:
    """Show that the run is alive (and how far it got) to other processes."""
    SyncRun.objects.filter(pk=run.pk, status=SyncRun.Status.RUNNING).update(
        heartbeat_at=timezone.now(), **progress
    )


def _finish_failed(run: SyncRun, *, title: str, error: Exception) -> None:
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


def _store(run: SyncRun, listed: list[ListedIntegration]) -> None:
    project = run.project
    now = timezone.now()
    run.fetched = len(listed)
    run.progress_total = len(listed)
    failed: list[ListedIntegration] = []
    changed: list[Integration] = []
    batches = SnapshotWriter(
        project_id=project.pk,
        source=Snapshot.Source.SYNC,
        taken_by_id=run.started_by_id,
        sync_run_id=run.pk,
        now=now,
    )
    unchanged_pks: list[int] = []
    returned_pks: list[int] = []
    seen: set[str] = set()
    with transaction.atomic():
        # Holds the run's row until commit, so it cannot be taken for dead meanwhile.
        if (
            not SyncRun.objects.select_for_update()
            .filter(pk=run.pk, status=SyncRun.Status.RUNNING, worker=run.worker)
            .exists()
        ):
            raise SyncAbandoned
        # Only the latest hash of each integration, never its snapshot's JSON.
        known = {
            integration.remote_id: integration
            for integration in project.integrations.annotate(
                latest_hash=F("latest_snapshot__content_hash")
            )
        }
        # With nothing known every item is new, so each is checked as it is decoded, in one
        # pass. Otherwise most items are usually the JSON of their latest snapshot: decoding is
        # enough to tell, and only the others are checked.
        work = functools.partial(
            work_on,
            known_hashes={rid: integration.latest_hash for rid, integration in known.items()},
            check_first=not known,
        )
        # Items are worked on in order (by other processes too, for a large listing), their
        # snapshots written in batches meanwhile: a large project's JSON never lives decoded
        # all at once.
        with closing(worked_out(listed, work)) as works:
            for item, done in zip(listed, works, strict=True):
                if done.content_hash is None:
                    failed.append(item)
                    continue
                remote_id = done.remote_id
                integration = known.get(remote_id)
                if done.to_store is None:
                    # The very JSON of the latest snapshot, which passed the contract check
                    # when it was stored: nothing to write but that it is still there.
                    seen.add(remote_id)
                    if integration.state == Integration.State.REMOVED:
                        returned_pks.append(integration.pk)
                    else:
                        unchanged_pks.append(integration.pk)
                    run.unchanged += 1
                    continue
                seen.add(remote_id)
                if integration is None:
                    run.new += 1
                else:
                    changed.append(integration)
                    run.changed += 1
                    refresh_integration(integration, done.to_store, now=now)
                batches.add(
                    integration,
                    remote_id=remote_id,
                    content_hash=done.content_hash,
                    values=done.to_store,
                    stored_json=_as_stored(item),
                )
        batches.flush()

        if changed:
            Integration.objects.bulk_update(
                changed,
                ["name", "provider", "display_name", "state", "last_synced_at", "changed_at"],
                batch_size=BATCH_SIZE,
            )
        _update_in_batches(unchanged_pks, last_synced_at=now)
        _update_in_batches(
            returned_pks, state=Integration.State.PRESENT, last_synced_at=now, changed_at=now
        )

        # An item that failed validation is not evidence that its integration is gone: it
        # stands for the integration of the same id, or else of the same name; one that names
        # neither could be any of them, so this run then marks nothing removed.
        remote_id_by_name = {integration.name: rid for rid, integration in known.items()}
        unidentified = False
        failed_items = []
        for item in failed:
            raw = item.decode()
            raw = raw if isinstance(raw, dict) else {}
            failed_items.append(_failed_item(raw, item.field_errors))
            remote_id = raw.get("id") or remote_id_by_name.get(raw.get("name"))
            if remote_id:
                seen.add(str(remote_id))
            else:
                unidentified = True
        gone = [
            integration
            for remote_id, integration in known.items()
            if remote_id not in seen
            and integration.state != Integration.State.REMOVED
            and not unidentified
        ]
        for integration in gone:
            integration.state = Integration.State.REMOVED
        _update_in_batches(
            [integration.pk for integration in gone],
            state=Integration.State.REMOVED,
            changed_at=now,
        )
        run.removed = len(gone)

        run.failed_items = failed_items
        run.status = SyncRun.Status.PARTIAL if failed else SyncRun.Status.SUCCEEDED
        run.progress_done = run.progress_total
        run.finished_at = timezone.now()
        run.heartbeat_at = run.finished_at
        run.save()


def _as_stored(item: ListedIntegration) -> Any:
    """The item's JSON as a snapshot stores it: its exact text, when the listing had it."""
    return item.decode() if item.text is None else EncodedJSON(item.text.decode())


def _update_in_batches(pks: list[int], **values: Any) -> None:
    for start in range(0, len(pks), BATCH_SIZE):
        Integration.objects.filter(pk__in=pks[start : start + BATCH_SIZE]).update(**values)


def _failed_item(raw: dict[str, Any], errors: list[str]) -> dict[str, Any]:
    return {
        "remote_id": str(raw.get("id", "")),
        "name": str(raw.get("name", "")),
        "errors": errors,
    }


DESTINATIONS_CACHE_SECONDS = 60
# A failure is kept briefly too, so that a page never waits on an API that is down.
DESTINATIONS_FAILURE_CACHE_SECONDS = 15
# Pages wait for the destinations: ask once, briefly; a text input stands in otherwise.
DESTINATIONS_TOTAL_TIMEOUT = 3.0


def destination_names(project: Project) -> tuple[list[str] | None, str]:
    """The names of the project's destinations (listDestinations), kept a minute; or None and
    why not when the API cannot be asked or fails, so that a form falls back to typing it."""
    key = f"destinations:{project.pk}:{project.base_url}:{project.ampersand_project}"
    known = cache.get(key)
    if known is not None:
        return known
    try:
        with client_for(project, total_timeout=DESTINATIONS_TOTAL_TIMEOUT, max_retries=1) as client:
            known = sorted(destination.name for destination in client.list_destinations()), ""
    except (AmpersandError, ApiKeyUnavailable) as error:
        known = None, str(error)
    cache.set(
        key,
        known,
        DESTINATIONS_CACHE_SECONDS if known[0] is not None else DESTINATIONS_FAILURE_CACHE_SECONDS,
    )
    return known
