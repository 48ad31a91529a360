"""The semantic diff between two versions of an integration's manifest content.

`diff_contents(old, new)` compares two manifest integration entries (the contract's
`Integration` shape) and reports what changed in words a reviewer understands: read, write
and subscribe objects matched by `objectName`, fields matched by `fieldName` (fixed fields)
or by `mapToName` (user-picked mappings), backfill described as a period, and every key this
code does not know compared generically by its path. Malformed input never raises; odd
shapes are compared as plain values.

Every `Change.old` / `Change.new` is the raw content value at `Change.path` (None when the
key is absent), so a template can show either the sentence or the values side by side.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

import orjson

SECTIONS: Final = ("integration", "read", "write", "subscribe", "proxy", "watchSchema", "other")

# What a change is about; `IntegrationDiff.summary_line()` counts by it.
OBJECT: Final = "object"  # a whole read/write/subscribe object added or removed
FIELD: Final = "field"  # a whole field added, removed, moved, or turned fixed <-> user-picked
FIELD_SETTING: Final = "field setting"  # one attribute of a field (mapToName, prompt, ...)
SETTING: Final = "setting"  # anything else


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Final = _Missing()


@dataclass(frozen=True)
class Change:
    kind: str  # "added" | "removed" | "changed" | "moved"
    section: str  # one of SECTIONS
    path: str  # e.g. "read.account.fields.BillingCity.mapToName"
    old: Any
    new: Any
    summary: str
    subject: str = SETTING
    object_name: str | None = None
    field_name: str | None = None

    def __str__(self) -> str:
        return self.summary


@dataclass(frozen=True)
class IntegrationDiff:
    changes: list[Change] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def by_section(self) -> dict[str, list[Change]]:
        """Non-empty sections in `SECTIONS` order."""
        grouped: dict[str, list[Change]] = {section: [] for section in SECTIONS}
        for change in self.changes:
            grouped.setdefault(change.section, []).append(change)
        return {section: changes for section, changes in grouped.items() if changes}

    def by_object(self, section: str = "read") -> dict[str, list[Change]]:
        """Changes of each object of a section (read, write or subscribe), in diff order."""
        grouped: dict[str, list[Change]] = {}
        for change in self.changes:
            if change.section == section and change.object_name is not None:
                grouped.setdefault(change.object_name, []).append(change)
        return grouped

    def by_read_object(self) -> dict[str, list[Change]]:
        return self.by_object("read")

    def summary_line(self) -> str:
        """One line for a history timeline, e.g. "2 read objects changed, 1 field added".

        Fields are counted apart from their object: an object counts as changed only for its
        own settings, so adding one field reads "1 field added".
        """
        parts: list[str] = []
        for label in _unique(
            _INTEGRATION_LABELS.get(change.path, change.path)
            for change in self.changes
            if change.section == "integration"
        ):
            parts.append(f"{label} changed")
        for section in ("read", "write", "subscribe"):
            parts.extend(self._object_counts(section))
            if section == "read":
                parts.extend(self._field_counts())
        for section, label in (("proxy", "proxy"), ("watchSchema", "schema watch")):
            parts.extend(self._block_summary(section, label))
        other_count = sum(
            1
            for change in self.changes
            if change.section == "other"
            or (change.section in ("read", "write", "subscribe") and change.object_name is None)
        )
        if other_count:
            parts.append(_count(other_count, "other setting", "changed"))
        return ", ".join(parts) if parts else "no change"

    def _object_counts(self, section: str) -> list[str]:
        in_section = [change for change in self.changes if change.section == section]
        parts = [
            _count(
                sum(1 for c in in_section if c.subject == OBJECT and c.kind == kind),
                f"{section} object",
                kind,
            )
            for kind in ("added", "removed")
        ]
        changed = _unique(
            c.object_name for c in in_section if c.subject == SETTING and c.object_name is not None
        )
        parts.append(_count(len(changed), f"{section} object", "changed"))
        return [part for part in parts if part]

    def _field_counts(self) -> list[str]:
        fields = [
            c for c in self.changes if c.section == "read" and c.subject in (FIELD, FIELD_SETTING)
        ]
        parts = []
        for kind in ("added", "removed", "moved", "changed"):
            if kind == "changed":
                matching = (c for c in fields if c.subject == FIELD_SETTING or c.kind == "changed")
            else:
                matching = (c for c in fields if c.subject == FIELD and c.kind == kind)
            parts.append(
                _count(len(_unique((c.object_name, c.field_name) for c in matching)), "field", kind)
            )
        return [part for part in parts if part]

    def _block_summary(self, section: str, label: str) -> list[str]:
        in_section = [change for change in self.changes if change.section == section]
        if not in_section:
            return []
        whole = [c for c in in_section if c.path == section and c.kind in ("added", "removed")]
        return [f"{label} {whole[0].kind if whole else 'changed'}"]


def diff_contents(old: Mapping[str, Any], new: Mapping[str, Any]) -> IntegrationDiff:
    """What changed from `old` to `new`, two manifest integration entries (anything else is {})."""
    differ = _Differ()
    differ.integration(
        old if isinstance(old, Mapping) else {}, new if isinstance(new, Mapping) else {}
    )
    return IntegrationDiff(changes=differ.changes)


def describe_backfill(backfill: Any) -> str:
    """ "last 30 days", "full history" or "none", from a `backfill` (or its `defaultPeriod`)."""
    if not isinstance(backfill, Mapping):
        return "none"
    period = backfill.get("defaultPeriod", backfill)
    if not isinstance(period, Mapping):
        return "none"
    if period.get("fullHistory") is True:
        return "full history"
    days = period.get("days")
    if isinstance(days, int) and not isinstance(days, bool) and days > 0:
        return f"last {days} day{'s' if days != 1 else ''}"
    return "none"


_INTEGRATION_LABELS: Final = {
    "name": "name",
    "provider": "provider",
    "displayName": "display name",
    "module": "module",
}
_READ_OBJECT_KEYS: Final = frozenset(
    {
        "objectName",
        "destination",
        "schedule",
        "mapToName",
        "mapToDisplayName",
        "requiredFields",
        "optionalFields",
        "optionalFieldsAuto",
        "backfill",
        "delivery",
        "enabled",
    }
)
_SUBSCRIBE_EVENTS: Final = (
    ("createEvent", "create event"),
    ("updateEvent", "update event"),
    ("deleteEvent", "delete event"),
    ("associationChangeEvent", "association change event"),
)
_SCHEMA_EVENTS: Final = (
    ("fieldCreated", "field-created event"),
    ("fieldDeleted", "field-deleted event"),
    ("fieldChanged", "field-changed event"),
)


@dataclass(frozen=True)
class _Scope:
    """Where emitted changes land: their section, path, sentence prefix and owner."""

    section: str
    path: str = ""
    prefix: str = ""
    subject: str = SETTING
    object_name: str | None = None
    field_name: str | None = None

    def at(self, key: Any) -> _Scope:
        return replace(self, path=f"{self.path}.{key}" if self.path else str(key))


@dataclass(frozen=True)
class _FieldEntry:
    group: str  # "required" | "optional"
    value: Mapping[str, Any]


_Drill = Callable[[_Scope, Mapping[str, Any], Mapping[str, Any]], None]


class _Differ:
    def __init__(self) -> None:
        self.changes: list[Change] = []

    def emit(
        self,
        scope: _Scope,
        kind: str,
        old: Any,
        new: Any,
        sentence: str,
        *,
        subject: str | None = None,
        prefixed: bool = True,
    ) -> None:
        self.changes.append(
            Change(
                kind=kind,
                section=scope.section,
                path=scope.path,
                old=_detach(old),
                new=_detach(new),
                summary=(scope.prefix if prefixed else "") + sentence,
                subject=subject or scope.subject,
                object_name=scope.object_name,
                field_name=scope.field_name,
            )
        )

    # -- building blocks -------------------------------------------------------------------

    def setting(
        self,
        scope: _Scope,
        old_container: Any,
        new_container: Any,
        key: str,
        label: str,
        show: Callable[[Any], str] | None = None,
    ) -> None:
        old, new = _get(old_container, key), _get(new_container, key)
        kind = _kind(old, new)
        if kind:
            self.emit(
                scope.at(key), kind, old, new, _sentence(kind, label, old, new, show or _show)
            )

    def generic(self, scope: _Scope, old: Any, new: Any, label: str) -> None:
        kind = _kind(old, new)
        if kind is None:
            return
        if kind == "changed" and isinstance(old, Mapping) and isinstance(new, Mapping):
            self.rest(scope, old, new, known=frozenset(), label_prefix=label)
        else:
            self.emit(scope, kind, old, new, _sentence(kind, label, old, new, _show))

    def rest(
        self,
        scope: _Scope,
        old: Mapping[Any, Any],
        new: Mapping[Any, Any],
        *,
        known: frozenset[str],
        label_prefix: str = "",
    ) -> None:
        """Compare, by path, every key of `old` and `new` not in `known`."""
        keys = {key for key in (*old, *new) if key not in known}
        for key in sorted(keys, key=lambda key: (str(key), type(key).__name__)):
            label = f"{label_prefix}.{key}" if label_prefix else str(key)
            self.generic(scope.at(key), old.get(key, _MISSING), new.get(key, _MISSING), label)

    def block(self, scope: _Scope, old: Any, new: Any, label: str, drill: _Drill) -> None:
        """A nested mapping: drilled into when on both sides, else reported whole."""
        kind = _kind(old, new)
        if kind is None:
            return
        if kind == "changed" and isinstance(old, Mapping) and isinstance(new, Mapping):
            before = len(self.changes)
            drill(scope, old, new)
            if len(self.changes) == before:
                self.emit(scope, "changed", old, new, f"{label} changed")
            return
        if kind == "added":
            sentence = f"{label} added ({_show(new)})"
        elif kind == "removed":
            sentence = f"{label} removed"
        else:
            sentence = _sentence(kind, label, old, new, _show)
        self.emit(scope, kind, old, new, sentence)

    def strings(self, scope: _Scope, old: Any, new: Any, label: str, item_label: str) -> None:
        """A list of names compared as a set: each name added or removed."""
        if not (_is_string_list(old) and _is_string_list(new)):
            self.generic(scope, old, new, label)
            return
        old_names = _unique(() if old is _MISSING else old)
        new_names = _unique(() if new is _MISSING else new)
        for name in old_names:
            if name not in new_names:
                self.emit(scope.at(name), "removed", name, None, f"{item_label} {name} removed")
        for name in new_names:
            if name not in old_names:
                self.emit(scope.at(name), "added", None, name, f"{item_label} {name} added")

    def odd_items(
        self,
        scope: _Scope,
        old_items: list[tuple[int, Any]],
        new_items: list[tuple[int, Any]],
        noun: str,
    ) -> None:
        """Entries that cannot be matched by name, compared as a multiset of values."""
        unmatched_new = list(new_items)
        for index, item in old_items:
            twin = next((pair for pair in unmatched_new if _same(pair[1], item)), None)
            if twin is not None:
                unmatched_new.remove(twin)
                continue
            self.emit(
                replace(scope, path=f"{scope.path}[{index}]"),
                "removed",
                item,
                None,
                f"unrecognised {noun} removed ({_show(item)})",
            )
        for index, item in unmatched_new:
            self.emit(
                replace(scope, path=f"{scope.path}[{index}]"),
                "added",
                None,
                item,
                f"unrecognised {noun} added ({_show(item)})",
            )

    # -- the integration -------------------------------------------------------------------

    def integration(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        top = _Scope("integration")
        for key, label in _INTEGRATION_LABELS.items():
            self.setting(top, old, new, key, label, _quoted if key == "displayName" else None)
        self.action(old, new, "read", self.read_object)
        self.action(old, new, "write", self.write_object)
        self.action(old, new, "subscribe", self.subscribe_object)
        self.block(
            _Scope("proxy", "proxy"), _get(old, "proxy"), _get(new, "proxy"), "proxy", self.proxy
        )
        self.block(
            _Scope("watchSchema", "watchSchema"),
            _get(old, "watchSchema"),
            _get(new, "watchSchema"),
            "schema watch",
            self.watch_schema,
        )
        known = frozenset(
            {*_INTEGRATION_LABELS, "read", "write", "subscribe", "proxy", "watchSchema"}
        )
        self.rest(_Scope("other"), old, new, known=known)

    def proxy(self, scope: _Scope, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        self.setting(scope, old, new, "enabled", "proxy enabled")
        self.setting(scope, old, new, "useModule", "proxy useModule")
        self.rest(scope, old, new, known=frozenset({"enabled", "useModule"}), label_prefix="proxy")

    def watch_schema(self, scope: _Scope, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        self.setting(scope, old, new, "destination", "schema watch destination")
        self.setting(scope, old, new, "schedule", "schema watch schedule")
        self.block(
            scope.at("allObjects"),
            _get(old, "allObjects"),
            _get(new, "allObjects"),
            "schema watch events",
            self.schema_events,
        )
        self.rest(
            scope,
            old,
            new,
            known=frozenset({"destination", "schedule", "allObjects"}),
            label_prefix="schema watch",
        )

    def schema_events(self, scope: _Scope, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        for key, label in _SCHEMA_EVENTS:
            self.block(
                scope.at(key),
                _get(old, key),
                _get(new, key),
                f"schema watch {label}",
                self.event_drill(f"schema watch {label}"),
            )
        known = frozenset(key for key, _ in _SCHEMA_EVENTS)
        self.rest(scope, old, new, known=known, label_prefix="schema watch events")

    def event_drill(self, label: str, **extra: tuple[str, str]) -> _Drill:
        """An event block: `enabled`, the given extra settings (key: (label, kind)), the rest."""

        def drill(scope: _Scope, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
            self.setting(scope, old, new, "enabled", f"{label} enabled")
            for key, (key_label, shape) in extra.items():
                if shape == "names":
                    self.strings(
                        scope.at(key),
                        _get(old, key),
                        _get(new, key),
                        f"{label} {key_label}",
                        key_label,
                    )
                else:
                    self.setting(scope, old, new, key, f"{label} {key_label}")
            self.rest(scope, old, new, known=frozenset({"enabled", *extra}), label_prefix=label)

        return drill

    # -- read, write, subscribe ------------------------------------------------------------

    def action(
        self,
        old_content: Mapping[str, Any],
        new_content: Mapping[str, Any],
        section: str,
        on_object: _Drill,
    ) -> None:
        old, new = _get(old_content, section), _get(new_content, section)
        scope = _Scope(section, section, prefix=f"{section}: ")
        if not (_mapping_or_missing(old) and _mapping_or_missing(new)):
            self.generic(replace(scope, prefix=""), old, new, f"{section} section")
            return
        old_map = old if isinstance(old, Mapping) else {}
        new_map = new if isinstance(new, Mapping) else {}
        self.objects(scope, _get(old_map, "objects"), _get(new_map, "objects"), on_object)
        self.rest(scope, old_map, new_map, known=frozenset({"objects"}))

    def objects(self, scope: _Scope, old: Any, new: Any, on_object: _Drill) -> None:
        section = scope.section
        objects_scope = scope.at("objects")
        old_list = [] if old is _MISSING else old
        new_list = [] if new is _MISSING else new
        if not (_is_list(old_list) and _is_list(new_list)):
            self.generic(objects_scope, old, new, "objects")
            return
        old_named, old_odd = _by_name(old_list, "objectName")
        new_named, new_odd = _by_name(new_list, "objectName")
        for name in _unique([*old_named, *new_named]):
            object_scope = _Scope(
                section, f"{section}.{name}", prefix=f"{section} {name}: ", object_name=name
            )
            old_object, new_object = old_named.get(name), new_named.get(name)
            if new_object is None:
                self.emit(
                    object_scope,
                    "removed",
                    old_object,
                    None,
                    f"{section} object {name} removed",
                    subject=OBJECT,
                    prefixed=False,
                )
            elif old_object is None:
                self.emit(
                    object_scope,
                    "added",
                    None,
                    new_object,
                    f"{section} object {name} added",
                    subject=OBJECT,
                    prefixed=False,
                )
            elif not _same(old_object, new_object):
                on_object(object_scope, old_object, new_object)
        self.odd_items(objects_scope, old_odd, new_odd, f"{section} object entry")

    def read_object(self, scope: _Scope, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        self.setting(scope, old, new, "schedule", "schedule")
        self.setting(scope, old, new, "destination", "destination")
        self.setting(scope, old, new, "mapToName", "mapped object name")
        self.setting(scope, old, new, "mapToDisplayName", "mapped object display name", _quoted)
        self.block(
            scope.at("delivery"),
            _get(old, "delivery"),
            _get(new, "delivery"),
            "delivery",
            self.delivery,
        )
        self.setting(scope, old, new, "enabled", "enabled")
        self.backfill(scope.at("backfill"), _get(old, "backfill"), _get(new, "backfill"))
        self.setting(scope, old, new, "optionalFieldsAuto", "optional fields auto")
        self.fields(scope, old, new)
        self.rest(scope, old, new, known=_READ_OBJECT_KEYS)

    def delivery(self, scope: _Scope, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        self.setting(scope, old, new, "mode", "delivery mode")
        self.setting(scope, old, new, "pageSize", "delivery page size")
        self.rest(scope, old, new, known=frozenset({"mode", "pageSize"}), label_prefix="delivery")

    def backfill(self, scope: _Scope, old: Any, new: Any) -> None:
        kind = _kind(old, new)
        if kind is None:
            return
        before, after = describe_backfill(old), describe_backfill(new)
        if _mapping_or_missing(old) and _mapping_or_missing(new) and before != after:
            self.emit(scope, kind, old, new, _sentence(kind, "backfill", before, after, str))
        else:
            self.generic(scope, old, new, "backfill")

    def write_object(self, scope: _Scope, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        self.setting(scope, old, new, "inheritMapping", "inherit mapping")
        self.block(
            scope.at("valueDefaults"),
            _get(old, "valueDefaults"),
            _get(new, "valueDefaults"),
            "value defaults",
            self.value_defaults,
        )
        self.rest(
            scope, old, new, known=frozenset({"objectName", "inheritMapping", "valueDefaults"})
        )

    def value_defaults(self, scope: _Scope, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        self.setting(scope, old, new, "allowAnyFields", "allow any fields for value defaults")
        self.rest(
            scope, old, new, known=frozenset({"allowAnyFields"}), label_prefix="value defaults"
        )

    def subscribe_object(
        self, scope: _Scope, old: Mapping[str, Any], new: Mapping[str, Any]
    ) -> None:
        self.setting(scope, old, new, "destination", "destination")
        self.setting(scope, old, new, "inheritFieldsAndMapping", "inherit fields and mapping")
        for key, label in _SUBSCRIBE_EVENTS:
            extra: dict[str, tuple[str, str]] = {}
            if key == "updateEvent":
                extra = {
                    "watchFieldsAuto": ("watch fields auto", "value"),
                    "requiredWatchFields": ("required watch field", "names"),
                }
            elif key == "associationChangeEvent":
                extra = {"includeFullRecords": ("include full records", "value")}
            self.block(
                scope.at(key),
                _get(old, key),
                _get(new, key),
                label,
                self.event_drill(label, **extra),
            )
        self.strings(
            scope.at("otherEvents"),
            _get(old, "otherEvents"),
            _get(new, "otherEvents"),
            "other events",
            "other event",
        )
        known = frozenset(
            {"objectName", "destination", "inheritFieldsAndMapping", "otherEvents"}
            | {key for key, _ in _SUBSCRIBE_EVENTS}
        )
        self.rest(scope, old, new, known=known)

    # -- fields ----------------------------------------------------------------------------

    def fields(
        self, scope: _Scope, old_object: Mapping[str, Any], new_object: Mapping[str, Any]
    ) -> None:
        lists = {
            key: (_get(old_object, key), _get(new_object, key))
            for key in ("requiredFields", "optionalFields")
        }
        if not all(
            value is _MISSING or _is_list(value) for pair in lists.values() for value in pair
        ):
            for key, (old, new) in lists.items():
                self.generic(scope.at(key), old, new, key)
            return
        old_fields, old_odd = _collect_fields(*(pair[0] for pair in lists.values()))
        new_fields, new_odd = _collect_fields(*(pair[1] for pair in lists.values()))
        conversions = _conversions(
            [key for key in old_fields if key not in new_fields],
            [key for key in new_fields if key not in old_fields],
            old_fields,
            new_fields,
        )
        converted_into = set(conversions.values())
        for key in _unique([*old_fields, *new_fields]):
            old_entry, new_entry = old_fields.get(key), new_fields.get(key)
            if old_entry and new_entry:
                self.field_pair(scope, key, old_entry, new_entry)
            elif old_entry and key in conversions:
                new_key = conversions[key]
                self.field_conversion(scope, key, old_entry, new_key, new_fields[new_key])
            elif old_entry:
                self.field_presence(scope, key, old_entry, "removed")
            elif new_entry and key not in converted_into:
                self.field_presence(scope, key, new_entry, "added")
        for key, group in (("requiredFields", "required"), ("optionalFields", "optional")):
            self.odd_items(scope.at(key), old_odd[group], new_odd[group], f"{group} field entry")

    def field_scope(self, scope: _Scope, key: tuple[str, str]) -> _Scope:
        namespace, name = key
        return replace(
            scope, path=f"{scope.path}.{namespace}.{name}", subject=FIELD, field_name=name
        )

    def field_presence(
        self, scope: _Scope, key: tuple[str, str], entry: _FieldEntry, kind: str
    ) -> None:
        label = _field_label(key)
        sentence = f"{entry.group} {label} {kind}"
        target = entry.value.get("mapToName")
        if key[0] == "fields" and isinstance(target, str) and target != key[1]:
            sentence += f" (maps to {target})"
        old, new = (entry.value, None) if kind == "removed" else (None, entry.value)
        self.emit(self.field_scope(scope, key), kind, old, new, sentence)

    def field_conversion(
        self,
        scope: _Scope,
        old_key: tuple[str, str],
        old_entry: _FieldEntry,
        new_key: tuple[str, str],
        new_entry: _FieldEntry,
    ) -> None:
        fixed_key = old_key if old_key[0] == "fields" else new_key
        field_scope = self.field_scope(scope, fixed_key)
        if old_key[0] == "fields":
            sentence = f"field {old_key[1]} is now a user-picked mapping to {new_key[1]}"
        else:
            sentence = f"user-picked mapping {old_key[1]} is now fixed to field {new_key[1]}"
        self.emit(field_scope, "changed", old_entry.value, new_entry.value, sentence)
        if old_entry.group != new_entry.group:
            self.emit(
                field_scope,
                "moved",
                old_entry.group,
                new_entry.group,
                f"{_field_label(new_key)} moved from {old_entry.group} to {new_entry.group}",
            )

    def field_pair(
        self, scope: _Scope, key: tuple[str, str], old_entry: _FieldEntry, new_entry: _FieldEntry
    ) -> None:
        field_scope = self.field_scope(scope, key)
        label = _field_label(key)
        if old_entry.group != new_entry.group:
            self.emit(
                field_scope,
                "moved",
                old_entry.group,
                new_entry.group,
                f"{label} moved from {old_entry.group} to {new_entry.group}",
            )
        old, new = old_entry.value, new_entry.value
        settings = replace(field_scope, subject=FIELD_SETTING)
        if key[0] == "fields":
            self.field_target(settings, key[1], old, new)
            self.setting(settings, old, new, "mapToDisplayName", f"{label} display name", _quoted)
            known = frozenset({"fieldName", "mapToName", "mapToDisplayName"})
        else:
            for attribute, attribute_label in (
                ("mapToDisplayName", "display name"),
                ("prompt", "prompt"),
                ("default", "default"),
            ):
                self.setting(settings, old, new, attribute, f"{label} {attribute_label}", _quoted)
            known = frozenset({"mapToName", "mapToDisplayName", "prompt", "default"})
        self.rest(settings, old, new, known=known, label_prefix=label)

    def field_target(
        self, scope: _Scope, field_name: str, old: Mapping[str, Any], new: Mapping[str, Any]
    ) -> None:
        old_raw, new_raw = _get(old, "mapToName"), _get(new, "mapToName")
        kind = _kind(old_raw, new_raw)
        if kind is None:
            return
        old_target = field_name if old_raw is _MISSING else old_raw
        new_target = field_name if new_raw is _MISSING else new_raw
        if _same(old_target, new_target):
            sentence = _sentence(kind, f"field {field_name} mapToName", old_raw, new_raw, _show)
        else:
            # Without mapToName a fixed field keeps its own name, so re-mapping is a change of
            # target even when the key merely appears or disappears.
            kind = "changed"
            sentence = (
                f"field {field_name} now maps to {_show(new_target)} (was {_show(old_target)})"
            )
        self.emit(scope.at("mapToName"), kind, old_raw, new_raw, sentence)


# -- pure helpers --------------------------------------------------------------------------


def _get(container: Any, key: str) -> Any:
    return container.get(key, _MISSING) if isinstance(container, Mapping) else _MISSING


def _kind(old: Any, new: Any) -> str | None:
    if old is _MISSING and new is _MISSING:
        return None
    if old is _MISSING:
        return "added"
    if new is _MISSING:
        return "removed"
    return None if _same(old, new) else "changed"


def _same(a: Any, b: Any) -> bool:
    """Equality as JSON sees it: true is not 1, key order does not matter."""
    try:
        written = orjson.dumps(a, option=orjson.OPT_SORT_KEYS)
        # Written alike, they are the same (the usual case, at C speed), unless a null is in
        # them (orjson writes NaN and infinities as null too); else they are compared part by
        # part (1 and 1.0 are the same number, written apart).
        if b"null" not in written and written == orjson.dumps(b, option=orjson.OPT_SORT_KEYS):
            return True
    except TypeError:  # not JSON as orjson writes it (a lone surrogate, a key not a string)
        pass
    return _same_parts(a, b)


def _same_parts(a: Any, b: Any) -> bool:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same_parts(a[key], b[key]) for key in a)
    if _is_list(a) and _is_list(b):
        return len(a) == len(b) and all(_same_parts(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if _is_list(a) or _is_list(b) or isinstance(a, Mapping) or isinstance(b, Mapping):
        return False
    try:
        return bool(a == b)
    except Exception:
        return False


def _is_list(value: Any) -> bool:
    return isinstance(value, list | tuple)


def _mapping_or_missing(value: Any) -> bool:
    return value is _MISSING or isinstance(value, Mapping)


def _is_string_list(value: Any) -> bool:
    return value is _MISSING or (_is_list(value) and all(isinstance(item, str) for item in value))


def _unique(items: Iterable[Any]) -> list[Any]:
    seen: list[Any] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def _by_name(items: Iterable[Any], key: str) -> tuple[dict[str, Any], list[tuple[int, Any]]]:
    """Items by their non-empty string `key`; the rest (and duplicates) with their index."""
    named: dict[str, Any] = {}
    odd: list[tuple[int, Any]] = []
    for index, item in enumerate(items):
        name = item.get(key) if isinstance(item, Mapping) else None
        if isinstance(name, str) and name and name not in named:
            named[name] = item
        else:
            odd.append((index, item))
    return named, odd


def _field_key(item: Any) -> tuple[str, str] | None:
    if not isinstance(item, Mapping):
        return None
    if "fieldName" in item:
        name = item["fieldName"]
        return ("fields", name) if isinstance(name, str) and name else None
    target = item.get("mapToName")
    return ("mappings", target) if isinstance(target, str) and target else None


def _collect_fields(
    required: Any, optional: Any
) -> tuple[dict[tuple[str, str], _FieldEntry], dict[str, list[tuple[int, Any]]]]:
    fields: dict[tuple[str, str], _FieldEntry] = {}
    odd: dict[str, list[tuple[int, Any]]] = {"required": [], "optional": []}
    for group, items in (("required", required), ("optional", optional)):
        for index, item in enumerate([] if items is _MISSING else items):
            key = _field_key(item)
            if key is None or key in fields:
                odd[group].append((index, item))
            else:
                fields[key] = _FieldEntry(group, item)
    return fields, odd


def _conversions(
    removed: list[tuple[str, str]],
    added: list[tuple[str, str]],
    old_fields: dict[tuple[str, str], _FieldEntry],
    new_fields: dict[tuple[str, str], _FieldEntry],
) -> dict[tuple[str, str], tuple[str, str]]:
    """Removed fields that reappear on the other side of fixed <-> user-picked, same target."""

    def target(key: tuple[str, str], entry: _FieldEntry) -> Any:
        return entry.value.get("mapToName", key[1]) if key[0] == "fields" else key[1]

    pairs: dict[tuple[str, str], tuple[str, str]] = {}
    available = list(added)
    for old_key in removed:
        for new_key in available:
            if new_key[0] != old_key[0] and _same(
                target(old_key, old_fields[old_key]), target(new_key, new_fields[new_key])
            ):
                pairs[old_key] = new_key
                available.remove(new_key)
                break
    return pairs


def _field_label(key: tuple[str, str]) -> str:
    namespace, name = key
    return f"field {name}" if namespace == "fields" else f"user-picked mapping {name}"


def _sentence(kind: str, label: str, old: Any, new: Any, show: Callable[[Any], str]) -> str:
    if kind == "added":
        return f"{label} set to {show(new)}"
    if kind == "removed":
        return f"{label} removed (was {show(old)})"
    return f"{label} changed to {show(new)} (was {show(old)})"


def _count(number: int, noun: str, verb: str) -> str:
    if not number:
        return ""
    return f"{number} {noun}{'' if number == 1 else 's'} {verb}"


_SHOW_LIMIT: Final = 80


def _show(value: Any) -> str:
    text = _render(value, depth=0)
    return text if len(text) <= _SHOW_LIMIT else text[: _SHOW_LIMIT - 1] + "…"


def _quoted(value: Any) -> str:
    return _show(f'"{value}"') if isinstance(value, str) else _show(value)


def _render(value: Any, depth: int) -> str:
    if depth > 3:
        return "…"
    if value is None or value is _MISSING:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if value else '""'
    if isinstance(value, Mapping):
        items = list(value.items())[:10]
        return "{" + ", ".join(f"{key}: {_render(item, depth + 1)}" for key, item in items) + "}"
    if _is_list(value):
        return "[" + ", ".join(_render(item, depth + 1) for item in list(value)[:10]) + "]"
    try:
        return str(value)
    except Exception:
        return "?"


def _detach(value: Any) -> Any:
    """A copy, so a change never aliases (or is altered through) the caller's content."""
    if value is _MISSING:
        return None
    try:
        return copy.deepcopy(value)
    except Exception:
        return value
