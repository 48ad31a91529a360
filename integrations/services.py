"""Operations that span several models or call the Ampersand API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from integrations.ampersand import AmpersandClient
from integrations.models import Integration, Project, Snapshot, canonical_hash


def client_for(project: Project, **options: Any) -> AmpersandClient:
    """An API client for `project`, with the dashboard's timeouts."""
    options.setdefault("timeout", settings.AMPERSAND_TIMEOUT_SECONDS)
    return AmpersandClient(
        base_url=project.base_url,
        api_key=project.get_api_key(),
        project=project.ampersand_project,
        **options,
    )


@dataclass
class SyncResult:
    project: str
    fetched: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0

    def summary(self) -> str:
        return (
            f"synced project={self.project} fetched={self.fetched} new={self.new} "
            f"changed={self.changed} unchanged={self.unchanged} removed={self.removed}"
        )


def sync_project(
    *, project: Project, user: Any = None, client: AmpersandClient | None = None
) -> SyncResult:
    """Fetch every integration of `project` and keep a snapshot of each one that changed.

    The fetch happens before any write, and all writes happen in one transaction: a failed
    fetch changes nothing, and a crash mid-write leaves nothing half done.
    """
    if client is None:
        with client_for(project) as own_client:
            remote = own_client.list_integrations()
    else:
        remote = client.list_integrations()

    result = SyncResult(project=project.name, fetched=len(remote))
    now = timezone.now()
    taken_by = user if user is not None and user.is_authenticated else None
    with transaction.atomic():
        known = {
            integration.remote_id: integration
            for integration in project.integrations.annotate(
                latest_hash=F("latest_snapshot__content_hash")
            )
        }
        new_integrations: list[Integration] = []
        snapshots: list[tuple[Integration, Snapshot]] = []
        touched: list[Integration] = []
        for item in remote:
            raw = item.raw
            integration = known.pop(item.id, None)
            content = (raw.get("latestRevision") or {}).get("content") or {}
            if integration is None:
                integration = Integration(project=project, remote_id=item.id)
                new_integrations.append(integration)
                result.new += 1
            elif integration.latest_hash == canonical_hash(raw):
                if integration.state != Integration.State.PRESENT:
                    integration.state = Integration.State.PRESENT
                integration.last_synced_at = now
                touched.append(integration)
                result.unchanged += 1
                continue
            else:
                touched.append(integration)
                result.changed += 1
            integration.name = raw.get("name", "")
            integration.provider = raw.get("provider", "")
            integration.display_name = content.get("displayName", "")
            integration.state = Integration.State.PRESENT
            integration.last_synced_at = now
            snapshots.append(
                (
                    integration,
                    Snapshot.from_raw(raw, source=Snapshot.Source.SYNC, taken_by=taken_by),
                )
            )

        Integration.objects.bulk_create(new_integrations)
        for integration, snapshot in snapshots:
            snapshot.integration = integration
        Snapshot.objects.bulk_create([snapshot for _, snapshot in snapshots])
        for integration, snapshot in snapshots:
            integration.latest_snapshot = snapshot

        gone = [i for i in known.values() if i.state != Integration.State.REMOVED]
        for integration in gone:
            integration.state = Integration.State.REMOVED
        result.removed = len(gone)

        Integration.objects.bulk_update(
            [*new_integrations, *touched, *gone],
            ["name", "provider", "display_name", "state", "latest_snapshot", "last_synced_at"],
            batch_size=500,
        )
    return result
