"""The customers a change touches: the installations whose choices it takes away or re-maps.

`touched_installations(diff, installations)` is pure: an installation is touched when its
config selects a read, write or subscribe object the change removes, a read object the change
maps to another name, or a field (by its name) or a user-picked mapping (by its mapToName)
the change removes, re-maps, or turns from fixed to user-picked and back.
`blast_radius(diff, integration_id)` reads the installations the last sync (or "refresh now")
kept of the integration: a preview never waits on the API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from integrations.diff import FIELD, OBJECT, IntegrationDiff
from integrations.models import Installation

FIRST_NAMES_SHOWN = 10


@dataclass(frozen=True)
class Reason:
    """Something the change takes from whoever selected it."""

    section: str
    object_name: str
    field_name: str | None = None  # a fixed field's name
    mapping: str | None = None  # a user-picked field's mapToName
    sentence: str = ""


@dataclass(frozen=True)
class TouchedInstallation:
    name: str
    reasons: tuple[str, ...]


@dataclass
class BlastRadius:
    reasons: list[Reason] = field(default_factory=list)
    touched: list[TouchedInstallation] = field(default_factory=list)
    installation_count: int = 0
    # Set when no installation of this integration is kept yet (never synced), so who is
    # touched is unknown.
    unknown_for: int | None = None

    @property
    def first_touched(self) -> list[TouchedInstallation]:
        return self.touched[:FIRST_NAMES_SHOWN]

    @property
    def more_touched(self) -> int:
        return max(0, len(self.touched) - FIRST_NAMES_SHOWN)


def reasons_of(diff: IntegrationDiff) -> list[Reason]:
    """What in `diff` can take something from an installation that selected it."""
    reasons = []
    for change in diff.changes:
        if change.section not in ("read", "write", "subscribe") or change.object_name is None:
            continue
        obj = change.object_name
        if change.subject == OBJECT and change.kind == "removed":
            reasons.append(Reason(change.section, obj, sentence=change.summary))
        elif change.section != "read":
            continue
        elif change.path == f"read.{obj}.mapToName" and change.kind != "added":
            reasons.append(Reason("read", obj, sentence=change.summary))
        elif change.field_name is not None and _takes_field(change):
            namespace = change.path.removeprefix(f"read.{obj}.").split(".", 1)[0]
            name = change.field_name
            reasons.append(
                Reason(
                    "read",
                    obj,
                    field_name=name if namespace == "fields" else None,
                    mapping=name if namespace == "mappings" else None,
                    sentence=change.summary,
                )
            )
    return reasons


def _takes_field(change: Any) -> bool:
    if change.subject == FIELD:
        return change.kind in ("removed", "changed")  # "changed": turned mapping, or fixed
    return change.path.endswith(".mapToName")  # a fixed field re-mapped


def touched_installations(
    diff: IntegrationDiff, installations: Iterable[Installation]
) -> BlastRadius:
    """The installations that `diff` takes something from, and why."""
    reasons = reasons_of(diff)
    radius = BlastRadius(reasons=reasons)
    for installation in installations:
        radius.installation_count += 1
        hits = tuple(
            dict.fromkeys(reason.sentence for reason in reasons if _selects(installation, reason))
        )
        if hits:
            radius.touched.append(TouchedInstallation(str(installation), hits))
    return radius


def _selects(installation: Installation, reason: Reason) -> bool:
    content = _mapping(_mapping(installation.config).get("content"))
    objects = _mapping(_mapping(content.get(reason.section)).get("objects"))
    chosen = objects.get(reason.object_name)
    if not isinstance(chosen, Mapping):
        return False
    if reason.field_name is not None:
        selected = _mapping(chosen.get("selectedFields")).get(reason.field_name) is True
        mapped = reason.field_name in _mapping(chosen.get("selectedFieldMappings")).values()
        return selected or mapped
    if reason.mapping is not None:
        return reason.mapping in _mapping(chosen.get("selectedFieldMappings"))
    return True


def blast_radius(diff: IntegrationDiff, integration_id: int) -> BlastRadius:
    """`touched_installations` of the installations kept of the integration (one query when
    any is present; none when the change can take nothing from anyone)."""
    reasons = reasons_of(diff)
    if not reasons:
        return BlastRadius()
    kept = Installation.objects.filter(integration_id=integration_id)
    present = list(kept.present().only("remote_id", "group_ref", "group_name", "config"))
    if not present and not kept.exists():
        return BlastRadius(reasons=reasons, unknown_for=integration_id)
    return touched_installations(diff, present)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
