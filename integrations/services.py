"""Operations that span several models or call the Ampersand API."""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from integrations.ampersand import AmpersandClient
from integrations.ampersand.client import ListedIntegration
from integrations.ampersand.errors import AmpersandError
from integrations.models import Integration, Project, Snapshot, SyncRun, canonical_hash

logger = logging.getLogger(__name__)

# A running sync whose worker has not shown signs of life for this long is taken for dead.
SYNC_STALE_AFTER = timedelta(minutes=5)


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


def _process_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail_dead_sync_runs(project: Project) -> int:
    """Mark failed the runs of `project` left running by a worker that died. Returns how many."""
    now = timezone.now()
    host = socket.gethostname()
    dead = []
    for run in project.sync_runs.filter(status=SyncRun.Status.RUNNING):
        run_host, _, pid = run.worker.rpartition(":")
        worker_gone = run_host == host and pid.isdigit() and not _process_is_alive(int(pid))
        if worker_gone or run.heartbeat_at < now - SYNC_STALE_AFTER:
            dead.append(run.pk)
    return SyncRun.objects.filter(pk__in=dead, status=SyncRun.Status.RUNNING).update(
        status=SyncRun.Status.FAILED,
        finished_at=now,
        error_title="Worker stopped",
        error_detail="The process running this sync stopped before it finished; nothing it "
        "fetched was stored.",
    )


def start_sync(*, project: Project, trigger: str, user: Any = None) -> SyncRun:
    """Record a new running sync of `project`, or raise SyncAlreadyRunning."""
    fail_dead_sync_runs(project)
    started_by = user if user is not None and user.is_authenticated else None
    try:
        with transaction.atomic():
            return SyncRun.objects.create(
                project=project, trigger=trigger, started_by=started_by, worker=this_worker()
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


def run_sync(run: SyncRun, *, client: AmpersandClient | None = None) -> SyncRun:
    """Do the work of a started run and record how it ended.

    The fetch happens before any write, and the snapshots land in one transaction together
    with the run's final state: a failed fetch or a crash mid-write stores nothing.
    """
    try:
        if client is None:
            with client_for(run.project) as own_client:
                listed = own_client.list_integrations_checked()
        else:
            listed = client.list_integrations_checked()
    except AmpersandError as error:
        _finish_failed(run, title=error.title or type(error).__name__, error=error)
        return run
    try:
        _store(run, listed)
    except Exception as error:
        logger.exception("sync %s of project %s failed while storing", run.pk, run.project)
        _finish_failed(run, title="Could not store the integrations", error=error)
        raise
    return run


def _finish_failed(run: SyncRun, *, title: str, error: Exception) -> None:
    run.status = SyncRun.Status.FAILED
    run.finished_at = timezone.now()
    run.error_title = title[:500]
    run.error_detail = getattr(error, "detail", None) or str(error)
    run.error_request_id = (getattr(error, "request_id", None) or "")[:200]
    run.save()


def _store(run: SyncRun, listed: list[ListedIntegration]) -> None:
    project = run.project
    now = timezone.now()
    run.fetched = len(listed)
    run.progress_total = len(listed)
    failed_items = []
    new_integrations: list[Integration] = []
    snapshots: list[tuple[Integration, Snapshot]] = []
    touched: list[Integration] = []
    seen: set[str] = set()
    with transaction.atomic():
        known = {
            integration.remote_id: integration
            for integration in project.integrations.annotate(
                latest_hash=F("latest_snapshot__content_hash")
            )
        }
        for item in listed:
            if not item.is_valid:
                failed_items.append(_failed_item(item))
                continue
            raw = item.raw
            seen.add(raw["id"])
            integration = known.get(raw["id"])
            content_hash = canonical_hash(raw)
            if integration is None:
                integration = Integration(project=project, remote_id=raw["id"])
                new_integrations.append(integration)
                run.new += 1
            elif integration.latest_hash == content_hash:
                integration.state = Integration.State.PRESENT
                integration.last_synced_at = now
                touched.append(integration)
                run.unchanged += 1
                continue
            else:
                touched.append(integration)
                run.changed += 1
            content = raw["latestRevision"]["content"]
            integration.name = raw["name"]
            integration.provider = raw["provider"]
            integration.display_name = content.get("displayName") or ""
            integration.state = Integration.State.PRESENT
            integration.last_synced_at = now
            snapshot = Snapshot.from_raw(
                raw,
                content_hash=content_hash,
                source=Snapshot.Source.SYNC,
                taken_by=run.started_by,
            )
            snapshots.append((integration, snapshot))

        Integration.objects.bulk_create(new_integrations)
        for integration, snapshot in snapshots:
            snapshot.integration = integration
            snapshot.sync_run = run
        Snapshot.objects.bulk_create([snapshot for _, snapshot in snapshots], batch_size=200)
        for integration, snapshot in snapshots:
            integration.latest_snapshot = snapshot

        # An item that failed validation is not evidence that its integration is gone: it
        # stands for the integration of the same id, or else of the same name; one that names
        # neither could be any of them, so this run then marks nothing removed.
        remote_id_by_name = {integration.name: rid for rid, integration in known.items()}
        unidentified = False
        for item in listed:
            if item.is_valid:
                continue
            raw = item.raw if isinstance(item.raw, dict) else {}
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
        run.removed = len(gone)

        Integration.objects.bulk_update(
            [*new_integrations, *touched, *gone],
            ["name", "provider", "display_name", "state", "latest_snapshot", "last_synced_at"],
            batch_size=500,
        )
        run.failed_items = failed_items
        run.status = SyncRun.Status.PARTIAL if failed_items else SyncRun.Status.SUCCEEDED
        run.progress_done = run.progress_total
        run.finished_at = timezone.now()
        run.heartbeat_at = run.finished_at
        run.save()


def _failed_item(item: ListedIntegration) -> dict[str, Any]:
    raw = item.raw if isinstance(item.raw, dict) else {}
    return {
        "remote_id": str(raw.get("id", "")),
        "name": str(raw.get("name", "")),
        "errors": item.field_errors,
    }
