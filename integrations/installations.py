"""The installations ampdash keeps: fetched by the sync (or a page's "refresh now"), stored only
where something changed.

One listing is fetched (listInstallationsForProject for the sync, listInstallations for one
integration), each installation's config hashed from its exact JSON text, and compared with the
row kept of it: a row is written only when what it holds changed, so a re-sync with nothing
changed writes nothing. A replaced config is kept as an InstallationConfigVersion.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from integrations.ampersand import AmpersandClient
from integrations.ampersand.client import ListedInstallation
from integrations.ampersand.errors import AmpersandError
from integrations.ampersand.manifest.issues import spelled_out
from integrations.bulk import insert_rows, update_rows
from integrations.models import (
    EncodedJSON,
    Installation,
    InstallationConfigVersion,
    Integration,
    Project,
)
from integrations.presenters import ReadDefinition, installation_difference_count, read_definition
from integrations.secrets import ApiKeyUnavailable
from integrations.services import client_for

logger = logging.getLogger(__name__)

# Rows per statement where a statement names many (SQLite's parameter limit).
BATCH_SIZE = 500
# The columns a listing sets, in the order `_summary` gives them.
SUMMARY_FIELDS = (
    "group_ref",
    "group_name",
    "health_status",
    "last_operation_status",
    "created_at",
    "created_by",
    "config_hash",
    "difference_count",
    "compared_hash",
)


@dataclass
class InstallationSync:
    """What one fetch of installations did, or why it could not (`error`)."""

    fetched: int = 0
    new: int = 0
    changed: int = 0
    removed: int = 0
    error: str = ""


def sync_installations(
    project: Project,
    *,
    client: AmpersandClient | None = None,
    integration: Integration | None = None,
) -> InstallationSync:
    """Fetch the installations of `project` (or of one `integration` of it) and keep them.

    Never raises for a failure of the API or of the store: the result's `error` says what
    failed, and what was kept stays as it was.
    """
    remote_id = integration.remote_id if integration is not None else None
    try:
        if client is None:
            with client_for(project) as own_client:
                listed = own_client.list_installations(remote_id)
        else:
            listed = client.list_installations(remote_id)
    except (AmpersandError, ApiKeyUnavailable) as error:
        detail = getattr(error, "detail", None)
        return InstallationSync(error=f"{error}: {detail}" if detail else str(error))
    try:
        return store_installations(project, listed, integration=integration)
    except Exception:
        logger.exception("could not store the installations of project %s", project)
        return InstallationSync(fetched=len(listed), error="Could not store the installations.")


def store_installations(
    project: Project,
    listed: Iterable[ListedInstallation],
    *,
    integration: Integration | None = None,
    now: datetime | None = None,
) -> InstallationSync:
    """Keep `listed` as the installations of `project` (of `integration` only, if given):
    new ones added, changed ones updated, ones no longer listed marked removed."""
    now = now or timezone.now()
    integrations = project.integrations.all()
    kept = Installation.objects.filter(project=project)
    if integration is not None:
        integrations = integrations.filter(pk=integration.pk)
        kept = kept.filter(integration=integration)
    definitions = _Definitions(
        integrations.values_list("remote_id", "pk", "latest_snapshot__content_hash")
    )
    # What is compared, never the configs' JSON.
    known = {
        (integration_pk, remote_id): _Kept(pk, tuple(summary), removed_at, changed_at)
        for integration_pk, remote_id, pk, removed_at, changed_at, *summary in kept.values_list(
            "integration_id", "remote_id", "pk", "removed_at", "seen_changed_at", *SUMMARY_FIELDS
        )
    }
    result = InstallationSync()
    new_rows: list[list[Any]] = []
    updates: list[list[Any]] = []  # SUMMARY_FIELDS, then seen_changed_at
    config_updates: list[list[Any]] = []  # the same, then config and config_seen_at
    seen: set[tuple[int, str]] = set()
    touched: set[int] = set()  # the integrations whose installations change
    new_times = (now, now, now, None)  # first_seen_at ... removed_at
    for item in listed:
        result.fetched += 1
        integration_pk = definitions.pk_of(item.integration_id)
        if integration_pk is None:  # an integration the sync did not keep
            continue
        remote_id = spelled_out(item.id)
        key = (integration_pk, remote_id)
        seen.add(key)
        config_text = bytes(item.config)
        config_hash = hashlib.sha256(config_text).hexdigest()
        compared_hash = definitions.hash_of(item.integration_id)
        before = known.get(key)
        if before is not None and before.compared() == (config_hash, compared_hash):
            differences = before.summary[DIFFERENCE_COUNT]
        else:
            differences = definitions.difference_count(item.integration_id, config_text)
        summary = _summary(item, config_hash, differences, compared_hash)
        if before is None:
            config = EncodedJSON(config_text.decode())
            touched.add(integration_pk)
            new_rows.append([project.pk, integration_pk, remote_id, *summary, config, *new_times])
        elif before.summary != summary or before.removed_at is not None:
            # A new definition alone changes nothing of the installation.
            changed = before.removed_at is not None or before.own() != summary[:DIFFERENCE_COUNT]
            row = [before.pk, *summary, now if changed else before.changed_at, None]
            touched.add(integration_pk)
            if before.summary[CONFIG_HASH] != config_hash:
                config_updates.append([*row, EncodedJSON(config_text.decode()), now])
            else:
                updates.append(row)
    gone_keys = [
        key for key, kept_row in known.items() if key not in seen and kept_row.removed_at is None
    ]
    gone = [known[key].pk for key in gone_keys]
    touched.update(integration_pk for integration_pk, _ in gone_keys)
    result.new, result.removed = len(new_rows), len(gone)
    result.changed = len(updates) + len(config_updates)
    if not (new_rows or updates or config_updates or gone):
        return result
    with transaction.atomic():
        insert_rows(
            Installation,
            NEW_FIELDS,
            new_rows,
        )
        _keep_replaced_configs([row[0] for row in config_updates])
        changed_fields = [*SUMMARY_FIELDS, "seen_changed_at", "removed_at"]
        update_rows(Installation, changed_fields, updates)
        update_rows(Installation, [*changed_fields, "config", "config_seen_at"], config_updates)
        for start in range(0, len(gone), BATCH_SIZE):
            Installation.objects.filter(pk__in=gone[start : start + BATCH_SIZE]).update(
                removed_at=now, seen_changed_at=now
            )
        keep_counts(touched)
    return result


NEW_FIELDS = (
    *("project", "integration", "remote_id", *SUMMARY_FIELDS, "config"),
    *("first_seen_at", "config_seen_at", "seen_changed_at", "removed_at"),
)
CONFIG_HASH = SUMMARY_FIELDS.index("config_hash")
DIFFERENCE_COUNT = SUMMARY_FIELDS.index("difference_count")
COMPARED_HASH = SUMMARY_FIELDS.index("compared_hash")


@dataclass(frozen=True, slots=True)
class _Kept:
    """What is kept of one installation, as compared with a listing."""

    pk: int
    summary: tuple[Any, ...]  # SUMMARY_FIELDS
    removed_at: datetime | None
    changed_at: datetime

    def compared(self) -> tuple[str, str]:
        """The config's hash and the definition's it was compared with."""
        return self.summary[CONFIG_HASH], self.summary[COMPARED_HASH]

    def own(self) -> tuple[Any, ...]:
        """What the installation itself holds (not how it compares with its definition)."""
        return self.summary[:DIFFERENCE_COUNT]


def _summary(
    item: ListedInstallation, config_hash: str, differences: int, compared_hash: str
) -> tuple[Any, ...]:
    group = item.group
    return (
        # A customer's own text: a NUL in it would sink every installation's sync.
        spelled_out(group.group_ref) if group else "",
        spelled_out(group.group_name) if group else "",
        item.health_status,
        item.last_operation_status or "",
        item.create_time,
        spelled_out(item.created_by),
        config_hash,
        differences,
        compared_hash,
    )


def _keep_replaced_configs(pks: list[int]) -> None:
    """Keep the current configs of these installations, about to be replaced, as versions."""
    for start in range(0, len(pks), BATCH_SIZE):
        batch = pks[start : start + BATCH_SIZE]
        InstallationConfigVersion.objects.bulk_create(
            InstallationConfigVersion(
                installation_id=pk, config=config, config_hash=config_hash, seen_at=seen_at
            )
            for pk, config, config_hash, seen_at in Installation.objects.filter(
                pk__in=batch
            ).values_list("pk", "config", "config_hash", "seen_changed_at")
        )


class _Definitions:
    """The project's integrations (by remote id), each read definition built once, on demand."""

    def __init__(self, rows: Iterable[tuple[str, int, str | None]]) -> None:
        self._pks = {remote_id: pk for remote_id, pk, _ in rows}
        self._hashes = {remote_id: content_hash or "" for remote_id, _, content_hash in rows}
        self._definitions: dict[str, tuple[Any, ReadDefinition]] = {}

    def pk_of(self, remote_id: str) -> int | None:
        return self._pks.get(remote_id)

    def hash_of(self, remote_id: str) -> str:
        return self._hashes[remote_id]

    def difference_count(self, remote_id: str, config: bytes) -> int:
        """How many read objects the installation's choices (its config's JSON text) differ in
        from the integration's latest snapshot."""
        if remote_id not in self._definitions:
            raw = (
                Integration.objects.filter(pk=self._pks[remote_id])
                .values_list("latest_snapshot__raw", flat=True)
                .first()
            )
            content = ((raw or {}).get("latestRevision") or {}).get("content") or {}
            self._definitions[remote_id] = (content, read_definition(content))
        content, definition = self._definitions[remote_id]
        try:
            decoded = orjson.loads(config)
        except orjson.JSONDecodeError:  # what only `json` reads (e.g. a 65-bit integer)
            decoded = json.loads(config)
        config_content = decoded.get("content") if isinstance(decoded, dict) else None
        return installation_difference_count(content, config_content, definition=definition)


# --- what the tab counts, kept with the integration -----------------------------------------------

COUNT_FIELDS = (
    *("installations_total", "installations_healthy"),
    *("installations_unhealthy", "installations_differing"),
)
TAB_FIELDS = (*COUNT_FIELDS, "installations_version")


def keep_counts(integration_pks: Iterable[int]) -> None:
    """Store on each of these integrations how many installations it has (present ones), of each
    health, and how many differ from the definition: what its Installations tab shows on top;
    and a new `installations_version`, under which the tab caches what it lists."""
    pks = sorted(set(integration_pks))
    version = secrets.token_hex(16)
    for start in range(0, len(pks), BATCH_SIZE):
        batch = pks[start : start + BATCH_SIZE]
        counted = {
            integration_pk: counts
            for integration_pk, *counts in Installation.objects.filter(integration__in=batch)
            .present()
            .order_by()
            .values("integration")
            .annotate(
                total=Count("pk"),
                healthy=Count("pk", filter=Q(health_status="healthy")),
                unhealthy=Count("pk", filter=Q(health_status="unhealthy")),
                differing=Count("pk", filter=Q(difference_count__gt=0)),
            )
            .values_list("integration", "total", "healthy", "unhealthy", "differing")
        }
        update_rows(
            Integration,
            TAB_FIELDS,
            [[pk, *counted.get(pk, [0] * len(COUNT_FIELDS)), version] for pk in batch],
        )
