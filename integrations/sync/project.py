"""The sync of one project, top to bottom: fetch the listing, check each item once against the
contract, hash it, store what is new or changed (`SnapshotWriter`), mark removed what is no
longer listed, and leave the search index to fill behind (the writer queues it); then keep the
project's installations (`integrations.installations`) and its provider catalog."""

from __future__ import annotations

import functools
import gc
import hashlib
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from integrations.ampersand import AmpersandClient
from integrations.ampersand.client import ListedIntegration
from integrations.ampersand.errors import AmpersandError
from integrations.ampersand.manifest.issues import short
from integrations.bulk import analyze_if_grown
from integrations.installations import sync_installations
from integrations.models import (
    Integration,
    Project,
    Snapshot,
    SyncRun,
    canonical_hash,
    store_catalog,
)
from integrations.secrets import ApiKeyUnavailable
from integrations.services import client_for
from integrations.snapshots import SnapshotWriter, unstorable_paths
from integrations.sync.runs import SyncAbandoned, beat, claim, finish_failed, start_sync

logger = logging.getLogger(__name__)

# Rows per UPDATE statement, small enough for SQLite's parameter limit.
BATCH_SIZE = 500


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

    A sync decodes a million or so containers; the collector would traverse them again and
    again for no garbage (JSON has no cycles). Reference counting still frees everything.
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


@_cyclic_gc_paused
def run_sync(run: SyncRun, *, client: AmpersandClient | None = None) -> SyncRun:
    """Claim a started run, do its work and record how it ended.

    The fetch happens before any write, and the snapshots land in one transaction together
    with the run's final state: a failed fetch or a crash mid-write stores nothing. A run
    another worker claimed, or that ended, is returned as it is.
    """
    if not claim(run):
        run.refresh_from_db()
        return run
    try:
        listed = _fetch(run.project, client=client)
    except AmpersandError as error:
        finish_failed(run, title=error.title or type(error).__name__, error=error)
        return run
    except ApiKeyUnavailable as error:
        finish_failed(run, title="API key unusable", error=error)
        return run
    except Exception as error:
        logger.exception("sync %s of project %s failed while fetching", run.pk, run.project)
        finish_failed(run, title="Could not fetch the integrations", error=error)
        raise
    beat(run, progress_total=len(listed))
    try:
        _store(run, listed)
    except SyncAbandoned:
        logger.warning(
            "sync %s of project %s was taken for dead; stored nothing", run.pk, run.project
        )
        run.refresh_from_db()
    except Exception as error:
        logger.exception("sync %s of project %s failed while storing", run.pk, run.project)
        finish_failed(run, title="Could not store the integrations", error=error)
        raise
    if run.status != SyncRun.Status.FAILED:
        # What follows joins the integrations to their latest snapshots, as the next sync does.
        analyze_if_grown(run.new + run.changed, Snapshot, Integration)
        sync_installations(run.project, client=client)
        refresh_catalog(project=run.project, client=client)
    return run


def _fetch(project: Project, *, client: AmpersandClient | None) -> list[ListedIntegration]:
    if client is None:
        with client_for(project) as own_client:
            return own_client.list_integrations_checked()
    return client.list_integrations_checked()


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
    except AmpersandError as error:  # the API's answer, already worded: no traceback to read
        logger.warning(
            "could not refresh the provider catalog of %s (%s); keeping the last one",
            project.base_url,
            error,
        )
        return False
    except Exception:
        logger.warning(
            "could not refresh the provider catalog of %s; keeping the last one",
            project.base_url,
            exc_info=True,
        )
        return False


def _store(run: SyncRun, listed: list[ListedIntegration]) -> None:
    """Write what `listed` changed, with the run's outcome, in one transaction."""
    project = run.project
    now = timezone.now()
    run.fetched = run.progress_total = len(listed)
    writer = SnapshotWriter(
        project_id=project.pk,
        source=Snapshot.Source.SYNC,
        taken_by_id=run.started_by_id,
        sync_run_id=run.pk,
        now=now,
    )
    failed: list[tuple[ListedIntegration, list[str]]] = []
    seen: set[str] = set()
    # pks of integrations listed unchanged (and of those back after being removed), and the
    # text hash of those listed unchanged in other bytes.
    unchanged: list[int] = []
    returned: list[int] = []
    relisted: list[tuple[int, str]] = []
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
        by_listed_hash = {i.listed_hash: i for i in known.values() if i.listed_hash}
        for item in listed:
            listed_hash = "" if item.text is None else hashlib.sha256(item.text).hexdigest()
            integration = by_listed_hash.get(listed_hash)
            if integration is None:
                # Not the very bytes it was last listed as: checked, once, then hashed.
                raw = item.checked()
                errors = item.field_errors if raw is None else unstorable_paths(item.text, raw)
                if errors:
                    failed.append((item, errors))
                    continue
                content_hash = canonical_hash(raw)
                integration = known.get(raw["id"])
                if integration is None or integration.latest_hash != content_hash:
                    seen.add(raw["id"])
                    run.new += integration is None
                    run.changed += integration is not None
                    text = None if item.text is None else item.text.decode()
                    writer.add(
                        integration,
                        raw,
                        content_hash=content_hash,
                        text=text,
                        listed_hash=listed_hash,
                    )
                    continue
                # The same JSON as its latest snapshot, in other bytes (key order, spacing).
                relisted.append((integration.pk, listed_hash))
            seen.add(integration.remote_id)
            run.unchanged += 1
            if integration.state == Integration.State.REMOVED:
                returned.append(integration.pk)
            else:
                unchanged.append(integration.pk)
        writer.flush()
        _update_in_batches(unchanged, last_synced_at=now)
        _update_in_batches(
            returned, state=Integration.State.PRESENT, last_synced_at=now, changed_at=now
        )
        for pk, listed_hash in relisted:
            Integration.objects.filter(pk=pk).update(listed_hash=listed_hash)
        run.removed = _mark_removed(known, seen, [item for item, _ in failed], now=now)
        run.failed_items = [_failed_item(item, errors) for item, errors in failed]
        run.status = SyncRun.Status.PARTIAL if failed else SyncRun.Status.SUCCEEDED
        run.progress_done = run.progress_total
        run.finished_at = run.heartbeat_at = timezone.now()
        run.save()


def _mark_removed(
    known: dict[str, Integration], seen: set[str], failed: list[ListedIntegration], *, now: Any
) -> int:
    """Mark removed the known integrations the listing no longer holds; how many.

    An item that failed the check is not evidence that its integration is gone: it stands for
    the integration of the same id, or else of the same name; one that names neither could be
    any of them, so then nothing is marked removed.
    """
    remote_id_by_name = {integration.name: rid for rid, integration in known.items()}
    for item in failed:
        raw = _decoded_dict(item)
        remote_id = raw.get("id") or remote_id_by_name.get(raw.get("name"))
        if not remote_id:
            return 0
        seen.add(str(remote_id))
    gone = [
        integration.pk
        for remote_id, integration in known.items()
        if remote_id not in seen and integration.state != Integration.State.REMOVED
    ]
    _update_in_batches(gone, state=Integration.State.REMOVED, changed_at=now)
    return len(gone)


def _decoded_dict(item: ListedIntegration) -> dict[str, Any]:
    raw = item.decode()
    return raw if isinstance(raw, dict) else {}


def _failed_item(item: ListedIntegration, errors: list[str]) -> dict[str, Any]:
    raw = _decoded_dict(item)
    # Spelled out, as the failed text may be in any of them (a key names a path).
    return {
        "remote_id": short(raw.get("id", ""), 200),
        "name": short(raw.get("name", ""), 200),
        "errors": [short(error, 1000) for error in errors],
    }


def _update_in_batches(pks: list[int], **values: Any) -> None:
    for start in range(0, len(pks), BATCH_SIZE):
        Integration.objects.filter(pk__in=pks[start : start + BATCH_SIZE]).update(**values)
