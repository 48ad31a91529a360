"""The one writer of snapshots: the sync, the deploy flow and the test fixtures store through it.

`SnapshotWriter` stores new versions in batches of SNAPSHOT_BATCH_SIZE (with the integrations
they belong to when new, and their search texts), so a large sync's JSON never lives decoded
all at once. `store_versions` is the whole job for a handful of integrations the API returned
(a deploy's answer, a fixture): it decides what is new, changed or unchanged and writes that.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from integrations.ampersand.client import ListedIntegration
from integrations.bulk import insert_rows, update_rows
from integrations.models import Integration, Snapshot, SnapshotSearchText
from integrations.sync_work import ToStore, work_on

# Rows per INSERT: small enough for SQLite's parameter limit and for the size of one statement
# of snapshots (their JSON is most of it).
SNAPSHOT_BATCH_SIZE = 100


class SnapshotWriter:
    """New snapshots of one project's integrations, all taken the same way (`source`, by whom,
    in which sync run or deploy), written SNAPSHOT_BATCH_SIZE at a time. Call `flush()` last."""

    INTEGRATION_FIELDS = (
        *("project", "remote_id", "name", "provider", "display_name", "state"),
        *("first_seen_at", "last_synced_at", "changed_at"),
    )
    SNAPSHOT_FIELDS = (
        *("integration", "raw", "content_hash", "revision_id", "revision_created_at"),
        *("spec_version", "read_count", "write_count", "subscribe_count"),
        *("taken_at", "source", "taken_by", "sync_run", "deploy"),
    )

    def __init__(
        self,
        *,
        project_id: int,
        source: str,
        now: Any,
        taken_by_id: int | None = None,
        sync_run_id: int | None = None,
        deploy_id: int | None = None,
    ) -> None:
        self.project_id = project_id
        self.now = now
        self.taken = (source, taken_by_id, sync_run_id, deploy_id)
        # (integration pk, or the new integration's row; the snapshot's row less its
        # integration; its search text)
        self.pending: list[tuple[int | None, tuple | None, tuple, str]] = []
        self.snapshot_pks: list[int] = []

    def add(
        self,
        integration: Integration | None,
        *,
        remote_id: str,
        content_hash: str,
        values: ToStore,
        stored_json: Any,
    ) -> None:
        """Queue a snapshot of `stored_json` for `integration`, or for a new integration of
        `remote_id` when it is None."""
        new_row = None
        if integration is None:
            now = self.now
            new_row = (
                *(self.project_id, remote_id, values.name, values.provider),
                *(values.display_name, Integration.State.PRESENT, now, now, now),
            )
        columns = values.columns
        snapshot_row = (
            stored_json,
            content_hash,
            *(columns["revision_id"], columns["revision_created_at"], columns["spec_version"]),
            *(columns["read_count"], columns["write_count"], columns["subscribe_count"]),
            self.now,
            *self.taken,
        )
        pk = None if integration is None else integration.pk
        self.pending.append((pk, new_row, snapshot_row, values.search_text))
        if len(self.pending) == SNAPSHOT_BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        new_pks = iter(
            insert_rows(
                Integration,
                self.INTEGRATION_FIELDS,
                [new_row for _, new_row, _, _ in self.pending if new_row is not None],
                returning_pks=True,
            )
        )
        integration_pks = [next(new_pks) if pk is None else pk for pk, _, _, _ in self.pending]
        snapshot_pks = insert_rows(
            Snapshot,
            self.SNAPSHOT_FIELDS,
            [
                (integration_pk, *snapshot_row)
                for integration_pk, (_, _, snapshot_row, _) in zip(
                    integration_pks, self.pending, strict=True
                )
            ],
            returning_pks=True,
        )
        insert_rows(
            SnapshotSearchText,
            ("snapshot", "text"),
            [(pk, text) for pk, (*_, text) in zip(snapshot_pks, self.pending, strict=True)],
        )
        update_rows(
            Integration,
            ("latest_snapshot", "changed_at"),
            [
                (integration_pk, snapshot_pk, self.now)
                for integration_pk, snapshot_pk in zip(integration_pks, snapshot_pks, strict=True)
            ],
        )
        self.snapshot_pks.extend(snapshot_pks)
        self.pending = []


def refresh_integration(integration: Integration, values: ToStore, *, now: Any) -> None:
    """Set what `integration` shows from its new version (saving is the caller's)."""
    integration.name = values.name
    integration.provider = values.provider
    integration.display_name = values.display_name
    integration.state = Integration.State.PRESENT
    integration.last_synced_at = now
    integration.changed_at = now


def store_versions(
    project_id: int,
    raws: Iterable[dict[str, Any]],
    *,
    source: str,
    taken_by_id: int | None = None,
    sync_run_id: int | None = None,
    deploy_id: int | None = None,
) -> list[Integration]:
    """Store each integration JSON in `raws` (as the API returned it) as its integration's
    latest snapshot, unless it is that snapshot's content already; its integration, by remote
    id, is made when new. Returns the integrations in order, their latest snapshot loaded.

    Raises ValueError when an item breaks the contract.
    """
    now = timezone.now()
    writer = SnapshotWriter(
        project_id=project_id,
        source=source,
        now=now,
        taken_by_id=taken_by_id,
        sync_run_id=sync_run_id,
        deploy_id=deploy_id,
    )
    raws = list(raws)
    remote_ids = [str(raw.get("id")) for raw in raws]
    with transaction.atomic():
        known = {
            integration.remote_id: integration
            for integration in Integration.objects.filter(
                project_id=project_id, remote_id__in=remote_ids
            ).annotate(latest_hash=F("latest_snapshot__content_hash"))
        }
        hashes = {remote_id: known[remote_id].latest_hash for remote_id in known}
        for index, raw in enumerate(raws):
            item = ListedIntegration(index, decoded=raw)
            done = work_on(item, known_hashes=hashes, check_first=True)
            if done.content_hash is None:
                raise ValueError(f"not a valid integration: {'; '.join(item.field_errors)}")
            integration = known.get(done.remote_id)
            if done.to_store is None:
                continue
            if integration is not None:
                refresh_integration(integration, done.to_store, now=now)
                integration.save(
                    update_fields=[
                        *("name", "provider", "display_name", "state"),
                        *("last_synced_at", "changed_at"),
                    ]
                )
            writer.add(
                integration,
                remote_id=done.remote_id,
                content_hash=done.content_hash,
                values=done.to_store,
                stored_json=raw,
            )
            hashes[done.remote_id] = done.content_hash
        writer.flush()
        stored = {
            integration.remote_id: integration
            for integration in Integration.objects.filter(
                project_id=project_id, remote_id__in=remote_ids
            ).select_related("latest_snapshot")
        }
    return [stored[remote_id] for remote_id in remote_ids]
