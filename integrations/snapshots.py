"""The one writer of snapshots: the sync, the deploy flow and the test fixtures store through it.

`SnapshotWriter.add` queues a new version of an integration (its JSON as the API returned it,
already checked against the contract) and writes SNAPSHOT_BATCH_SIZE at a time: the snapshot
with the columns pages read instead of its JSON (`snapshot_columns`), its search text, the
integration (made when new) pointing at it. `Snapshot.save()` and `bulk_create` refuse, so no
other road exists. `store_versions` is the whole job for a handful of integrations the API
returned (a deploy's answer, a fixture): it tells what is new, changed or unchanged, and
writes that. Checking JSON against the contract is the client's, once (`ListedIntegration`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from integrations.ampersand.manifest.issues import short, storable_text
from integrations.bulk import insert_rows, reserve_pks, update_rows
from integrations.models import (
    EncodedJSON,
    Integration,
    Snapshot,
    SnapshotSearchText,
    canonical_hash,
    index_search_texts_task,
)
from integrations.search import search_text

# Snapshots per write: what the writer holds at most (their JSON is most of it). Each write is
# a few statements whatever its size: on PostgreSQL, 100 a write made a first sync of 1,000
# integrations 0.025 s slower than 500.
SNAPSHOT_BATCH_SIZE = 500


def snapshot_columns(raw: dict[str, Any]) -> dict[str, Any]:
    """What a snapshot keeps beside the JSON of `raw`, so pages need not parse it."""
    revision = raw.get("latestRevision") or {}
    content = revision.get("content") or {}
    proxy = content.get("proxy")
    return {
        "revision_id": revision.get("id", ""),
        "revision_created_at": parse_datetime(revision.get("createTime") or ""),
        "spec_version": revision.get("specVersion", ""),
        "read_count": _object_count(content, "read"),
        "write_count": _object_count(content, "write"),
        "subscribe_count": _object_count(content, "subscribe"),
        "has_proxy": isinstance(proxy, dict) and proxy.get("enabled") is True,
    }


# A NUL's escape, or a surrogate's, which only a walk tells lone or paired. Searched only in a
# text holding a backslash: memchr finds none in most items at once.
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
UNSTORABLE = "holds a NUL or a lone surrogate character, which ampdash cannot store"


class UnstorableVersion(ValueError):
    """An integration's JSON holds text no database here can keep (`unstorable_paths`)."""


def unstorable_paths(text: bytes | None, raw: Any) -> list[str]:
    """Where `raw`, an integration's JSON (`text` its bytes, if known), holds text no database
    here can keep: a NUL, which PostgreSQL refuses, or a lone surrogate, which is no UTF-8.
    JSON writes either only as an escape, so only a text holding one is walked."""
    if text is not None and (b"\\" not in text or not _UNSTORABLE_ESCAPE.search(text)):
        return []
    return [f"{path or '(the item)'}: {UNSTORABLE}" for path in _unstorable(raw, "")]


def _unstorable(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if not storable_text(value):
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{short(key, 60)}" if path else short(key, 60)
            if not storable_text(key):
                yield where
            yield from _unstorable(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unstorable(item, f"{path}[{index}]")


def _object_count(content: dict[str, Any], action: str) -> int:
    section = content.get(action)
    objects = section.get("objects") if isinstance(section, dict) else None
    return len(objects) if isinstance(objects, list) else 0


class SnapshotWriter:
    """New snapshots of one project's integrations, all taken the same way (`source`, by whom,
    in which sync run or deploy), written SNAPSHOT_BATCH_SIZE at a time. Call `flush()` last,
    inside the caller's transaction; the search index is filled once it commits."""

    INTEGRATION_FIELDS = (
        *("name", "provider", "display_name", "listed_hash", "state"),
        *("last_synced_at", "changed_at"),
    )
    SNAPSHOT_FIELDS = (
        *("integration", "raw", "content_hash", "revision_id", "revision_created_at"),
        *("spec_version", "read_count", "write_count", "subscribe_count", "has_proxy"),
        *("taken_at", "source", "taken_by", "sync_run", "deploy"),
    )
    COLUMNS = SNAPSHOT_FIELDS[3:10]

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
        # (integration pk or None for a new one; its row; the snapshot's row less its
        # integration; its search text)
        self.pending: list[tuple[int | None, tuple, tuple, str]] = []
        self.written = 0

    def add(
        self,
        integration: Integration | None,
        raw: dict[str, Any],
        *,
        content_hash: str,
        text: str | None = None,
        listed_hash: str = "",
    ) -> None:
        """Queue a snapshot of `raw` (checked against the contract) for `integration`, or for a
        new integration when it is None. `text` is the exact JSON `raw` was decoded from: then
        it is what is stored, byte for byte; `listed_hash` its sha256, when a sync listed it."""
        revision_content = raw["latestRevision"]["content"]
        integration_row = (
            *(raw["name"], raw["provider"], revision_content.get("displayName") or ""),
            *(listed_hash, Integration.State.PRESENT, self.now, self.now),
        )
        columns = snapshot_columns(raw)
        snapshot_row = (
            raw if text is None else EncodedJSON(text),
            content_hash,
            *(columns[name] for name in self.COLUMNS),
            self.now,
            *self.taken,
        )
        pk = None if integration is None else integration.pk
        self.pending.append((pk, raw["id"], integration_row, snapshot_row, search_text(raw)))
        if len(self.pending) == SNAPSHOT_BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        # The snapshots' keys first, so that a new integration is inserted pointing at its
        # snapshot: only known integrations are updated.
        snapshot_pks = reserve_pks(Snapshot, len(self.pending))
        new_pks = iter(
            insert_rows(
                Integration,
                (
                    *("project", "remote_id", "first_seen_at", "latest_snapshot"),
                    *self.INTEGRATION_FIELDS,
                ),
                [
                    (self.project_id, remote_id, self.now, snapshot_pk, *row)
                    for (pk, remote_id, row, _, _), snapshot_pk in zip(
                        self.pending, snapshot_pks, strict=True
                    )
                    if pk is None
                ],
                returning_pks=True,
            )
        )
        integration_pks = [next(new_pks) if pk is None else pk for pk, *_ in self.pending]
        insert_rows(
            Snapshot,
            ("id", *self.SNAPSHOT_FIELDS),
            [
                (snapshot_pk, integration_pk, *snapshot_row)
                for snapshot_pk, integration_pk, (*_, snapshot_row, _) in zip(
                    snapshot_pks, integration_pks, self.pending, strict=True
                )
            ],
        )
        insert_rows(
            SnapshotSearchText,
            ("snapshot", "text"),
            [(pk, text) for pk, (*_, text) in zip(snapshot_pks, self.pending, strict=True)],
        )
        update_rows(
            Integration,
            ("latest_snapshot", *self.INTEGRATION_FIELDS),
            [
                (pk, snapshot_pk, *row)
                for snapshot_pk, (pk, _, row, _, _) in zip(snapshot_pks, self.pending, strict=True)
                if pk is not None
            ],
        )
        if not self.written:
            # Behind the snapshots: searches scan the texts it does not hold yet.
            transaction.on_commit(index_search_texts_task.enqueue)
        self.written += len(self.pending)
        self.pending = []


def store_versions(
    project_id: int,
    raws: Iterable[dict[str, Any]],
    *,
    source: str,
    taken_by_id: int | None = None,
    sync_run_id: int | None = None,
    deploy_id: int | None = None,
) -> list[Integration]:
    """Store each integration JSON in `raws` (as the API returned it, checked against the
    contract by the client) as its integration's latest snapshot, unless it is that snapshot's
    content already; its integration, by remote id, is made when new. Returns the integrations
    in order, their latest snapshot loaded. Raises UnstorableVersion, storing nothing, when
    one holds text no database here can keep.
    """
    raws = list(raws)
    for raw in raws:
        if paths := unstorable_paths(None, raw):
            raise UnstorableVersion(f"{short(raw['name'], 200)}: {'; '.join(paths)}")
    writer = SnapshotWriter(
        project_id=project_id,
        source=source,
        now=timezone.now(),
        taken_by_id=taken_by_id,
        sync_run_id=sync_run_id,
        deploy_id=deploy_id,
    )
    remote_ids = [raw["id"] for raw in raws]
    with transaction.atomic():
        known = {
            integration.remote_id: integration
            for integration in Integration.objects.filter(
                project_id=project_id, remote_id__in=remote_ids
            ).annotate(latest_hash=F("latest_snapshot__content_hash"))
        }
        latest = {remote_id: known[remote_id].latest_hash for remote_id in known}
        for raw in raws:
            content_hash = canonical_hash(raw)
            if latest.get(raw["id"]) == content_hash:
                continue
            writer.add(known.get(raw["id"]), raw, content_hash=content_hash)
            latest[raw["id"]] = content_hash
        writer.flush()
        stored = {
            integration.remote_id: integration
            for integration in Integration.objects.filter(
                project_id=project_id, remote_id__in=remote_ids
            ).select_related("latest_snapshot")
        }
    return [stored[remote_id] for remote_id in remote_ids]
