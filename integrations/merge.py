"""Three-way merge of an integration's content: a draft's change onto a teammate's.

`merge_contents(base, remote, mine)` takes what changed from `base` to `remote` and from
`base` to `mine`, as `diff_contents` reports it, and sorts the changes into parts of the
content ("units": a top-level key, a read/write/subscribe object, one setting of an object, one
field of a read object). A unit changed on one side only takes that side's value; changed on
both sides to different values, it is a conflict, which keeps `mine` unless its key is in
`take_remote`. A unit that holds another (an object holds its settings) conflicts with it.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from integrations.diff import OBJECT, Change, diff_contents

ACTIONS = ("read", "write", "subscribe")
FIELD_LISTS = ("requiredFields", "optionalFields")
Unit = tuple[str, ...]


@dataclass(frozen=True)
class Conflict:
    unit: Unit
    remote_changes: list[Change]
    my_changes: list[Change]
    base: Any
    remote: Any
    mine: Any

    @property
    def key(self) -> str:
        """A stable name for the form field choosing this conflict's side."""
        return "c" + hashlib.blake2b(repr(self.unit).encode(), digest_size=6).hexdigest()

    @property
    def label(self) -> str:
        return ".".join(self.unit)


@dataclass
class Merge:
    content: dict[str, Any]
    conflicts: list[Conflict] = field(default_factory=list)
    merged_remote: list[Change] = field(default_factory=list)


def merge_contents(
    base: Mapping[str, Any],
    remote: Mapping[str, Any],
    mine: Mapping[str, Any],
    take_remote: Iterable[str] = (),
) -> Merge:
    """`mine` with the remote change merged in; see the module's docstring."""
    chosen = set(take_remote)
    theirs = _by_unit(diff_contents(base, remote).changes)
    ours = _by_unit(diff_contents(base, mine).changes)
    merged = Merge(content=copy.deepcopy(dict(mine)))
    for unit, changes in theirs.items():
        overlapping = [other for other in ours if _overlap(unit, other)]
        if overlapping and not all(
            _same(unit_value(remote, other), unit_value(mine, other))
            for other in {unit, *overlapping}
        ):
            conflict = Conflict(
                unit=unit,
                remote_changes=changes,
                my_changes=[change for other in overlapping for change in ours[other]],
                base=unit_value(base, unit),
                remote=unit_value(remote, unit),
                mine=unit_value(mine, unit),
            )
            merged.conflicts.append(conflict)
            if conflict.key not in chosen:
                continue
        for other in {unit, *overlapping}:
            set_unit(merged.content, other, unit_value(remote, other))
        merged.merged_remote.extend(changes)
    return merged


def _overlap(a: Unit, b: Unit) -> bool:
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def _by_unit(changes: Iterable[Change]) -> dict[Unit, list[Change]]:
    units: dict[Unit, list[Change]] = {}
    for change in changes:
        for unit in units_of(change):
            units.setdefault(unit, []).append(change)
    return units


def units_of(change: Change) -> list[Unit]:
    """The parts of the content `change` is about."""
    if change.section in ACTIONS:
        if change.object_name is None:
            return [(change.section,)]  # the section's own settings or odd entries: all of it
        obj: Unit = (change.section, change.object_name)
        if change.subject == OBJECT:
            return [obj]
        rest = change.path.removeprefix(f"{change.section}.{change.object_name}.")
        head = rest.split(".", 1)[0]
        if change.field_name is None or head not in ("fields", "mappings"):
            # Unrecognised field entries are compared as whole lists: the object's fields.
            return [(*obj, "fields")] if head.startswith(FIELD_LISTS) else [(*obj, head)]
        units = [(*obj, "fields", head, change.field_name)]
        for value in (change.old, change.new):  # a fixed field turned mapping, or back
            key = field_key(value)
            if key is not None and (*obj, "fields", *key) not in units:
                units.append((*obj, "fields", *key))
        return units
    if change.section in ("integration", "other"):
        return [(change.path.split(".", 1)[0],)]
    return [(change.section,)]  # proxy, watchSchema: the whole block


def field_key(entry: Any) -> tuple[str, str] | None:
    """("fields", fieldName) for a fixed field, ("mappings", mapToName) for a user-picked one."""
    if not isinstance(entry, Mapping):
        return None
    if isinstance(entry.get("fieldName"), str):
        return ("fields", entry["fieldName"])
    if isinstance(entry.get("mapToName"), str):
        return ("mappings", entry["mapToName"])
    return None


_ABSENT = object()


def unit_value(content: Mapping[str, Any], unit: Unit) -> Any:
    """The value of `unit` in `content`; a field is (its list, its entry). None when absent."""
    value = _unit_value(content, unit)
    return None if value is _ABSENT else value


def _unit_value(content: Mapping[str, Any], unit: Unit) -> Any:
    if len(unit) == 1:
        return content.get(unit[0], _ABSENT)
    section = content.get(unit[0])
    obj = _find_object(section, unit[1])
    if obj is None:
        return _ABSENT
    if len(unit) == 2:
        return obj
    if unit[2] != "fields":
        return obj.get(unit[2], _ABSENT)
    if len(unit) == 3:
        return {key: obj[key] for key in FIELD_LISTS if key in obj}
    for list_key in FIELD_LISTS:
        entries = obj.get(list_key)
        for entry in entries if isinstance(entries, list) else ():
            if field_key(entry) == (unit[3], unit[4]):
                return [list_key, entry]
    return _ABSENT


def set_unit(content: dict[str, Any], unit: Unit, value: Any) -> None:
    """Make `unit` of `content` hold `value` (None: remove it), leaving the rest as it is."""
    value = copy.deepcopy(value)
    if len(unit) == 1:
        if value is None:
            content.pop(unit[0], None)
        else:
            content[unit[0]] = value
        return
    section = content.get(unit[0])
    if not isinstance(section, dict):
        if value is None:
            return
        section = content[unit[0]] = {"objects": []}
    objects = section.setdefault("objects", [])
    if not isinstance(objects, list):
        return
    index = next(
        (
            i
            for i, obj in enumerate(objects)
            if isinstance(obj, dict) and obj.get("objectName") == unit[1]
        ),
        None,
    )
    if len(unit) == 2:
        if index is not None and value is None:
            del objects[index]
        elif index is not None:
            objects[index] = value
        elif value is not None:
            objects.append(value)
        return
    if index is None:
        return  # the object is gone on this side: its parts go with it
    obj = objects[index]
    if unit[2] != "fields":
        if value is None:
            obj.pop(unit[2], None)
        else:
            obj[unit[2]] = value
        return
    if len(unit) == 3:
        for list_key in FIELD_LISTS:
            obj.pop(list_key, None)
        obj.update(value or {})
        return
    position: tuple[str, int] | None = None
    for list_key in FIELD_LISTS:
        entries = obj.get(list_key)
        if not isinstance(entries, list):
            continue
        for i, entry in enumerate(entries):
            if field_key(entry) == (unit[3], unit[4]):
                position = position or (list_key, i)
        obj[list_key] = [e for e in entries if field_key(e) != (unit[3], unit[4])]
    if value is None:
        return
    list_key, entry = value
    entries = obj.setdefault(list_key, [])
    at = position[1] if position and position[0] == list_key else len(entries)
    entries.insert(min(at, len(entries)), entry)


def _find_object(section: Any, name: str) -> dict[str, Any] | None:
    objects = section.get("objects") if isinstance(section, Mapping) else None
    for obj in objects if isinstance(objects, list) else ():
        if isinstance(obj, dict) and obj.get("objectName") == name:
            return obj
    return None


def _same(a: Any, b: Any) -> bool:
    return a == b and type(a) is type(b)
