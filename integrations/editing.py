"""What the editor's forms do to an integration's content: pure functions, no Django.

Each function takes the content (one integration of an amp.yaml, as a dict) and returns a new
one; the input is never changed. Keys no form knows are carried through untouched, and a key a
form clears is removed rather than written empty, so an untouched form never changes the
amp.yaml. New keys go where amp.yaml files usually have them (`_put`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, Final

from integrations.ampersand.manifest import ValidationIssue
from integrations.presenters import FieldRow

FIELD_LISTS: Final = ("requiredFields", "optionalFields")
# The order of a read object's keys in Ampersand's examples: a new key is placed by it.
READ_KEY_ORDER: Final = (
    "objectName",
    "destination",
    "schedule",
    "mapToName",
    "mapToDisplayName",
    "enabled",
    "delivery",
    "requiredFields",
    "optionalFields",
    "optionalFieldsAuto",
    "backfill",
)
WRITE_KEY_ORDER: Final = ("objectName", "inheritMapping", "valueDefaults")
SUBSCRIBE_KEY_ORDER: Final = (
    "objectName",
    "destination",
    "inheritFieldsAndMapping",
    "createEvent",
    "updateEvent",
    "deleteEvent",
    "associationChangeEvent",
    "otherEvents",
)
EVENT_KEY_ORDER: Final = ("enabled", "watchFieldsAuto", "requiredWatchFields", "includeFullRecords")
WATCH_SCHEMA_KEY_ORDER: Final = ("destination", "schedule", "allObjects")
SCHEMA_EVENTS: Final = ("fieldCreated", "fieldDeleted", "fieldChanged")
INTEGRATION_KEY_ORDER: Final = (
    "name",
    "provider",
    "displayName",
    "module",
    "read",
    "write",
    "subscribe",
    "proxy",
    "watchSchema",
)


def _put(mapping: dict[str, Any], key: str, value: Any, order: tuple[str, ...] = ()) -> None:
    """Set `key` (removed when `value` is None): in place when present, else where `order`
    puts it among the keys present, else last."""
    if value is None:
        mapping.pop(key, None)
        return
    if key in mapping or key not in order:
        mapping[key] = value
        return
    rank = order.index(key)
    items = list(mapping.items())
    at = next(
        (i for i, (k, _) in enumerate(items) if k in order and order.index(k) > rank), len(items)
    )
    items.insert(at, (key, value))
    mapping.clear()
    mapping.update(items)


def _text(value: str) -> str | None:
    return value or None


# --- The integration ---------------------------------------------------------------------------


def set_integration(
    content: Mapping[str, Any], *, display_name: str, module: str | None, proxy: bool | None
) -> dict[str, Any]:
    """displayName, module and proxy. `module` None leaves the module as it is; `proxy` None
    leaves the proxy section as it is (the provider has no proxy)."""
    changed = copy.deepcopy(dict(content))
    _put(changed, "displayName", _text(display_name), INTEGRATION_KEY_ORDER)
    if module is not None:
        _put(changed, "module", _text(module), INTEGRATION_KEY_ORDER)
    if proxy is not None:
        section = changed.get("proxy") if isinstance(changed.get("proxy"), dict) else None
        if proxy:
            _put(changed, "proxy", {**(section or {}), "enabled": True}, INTEGRATION_KEY_ORDER)
        elif section is not None:
            rest = {key: value for key, value in section.items() if key != "enabled"}
            _put(changed, "proxy", {**rest, "enabled": False} if rest else None)
    return changed


# --- An action's objects (read, write, subscribe) ----------------------------------------------


def section_objects(content: Mapping[str, Any], action: str) -> list[Any]:
    """The objects of `action` ("read", "write" or "subscribe"); [] when it has none."""
    section = content.get(action)
    objects = section.get("objects") if isinstance(section, dict) else None
    return objects if isinstance(objects, list) else []


def set_section_objects(
    content: Mapping[str, Any], action: str, objects: list[Any]
) -> dict[str, Any]:
    """The content with `objects` as the objects of `action`. Without objects the action is
    removed (its other keys, if any, are kept): an empty list would not deploy."""
    changed = copy.deepcopy(dict(content))
    if objects == section_objects(content, action):
        return changed
    section = dict(changed[action]) if isinstance(changed.get(action), dict) else {}
    if objects:
        _put(changed, action, {**section, "objects": objects}, INTEGRATION_KEY_ORDER)
    else:
        section.pop("objects", None)
        _put(changed, action, section or None)
    return changed


def _flag(current: Any, checked: bool) -> bool | None:
    """A boolean key's value from a checkbox: true when checked, else absent (an explicit
    false already there stays, so an untouched form changes nothing)."""
    return True if checked else (False if current is False else None)


def _always(current: Any, checked: bool) -> dict[str, Any] | None:
    """An event's setting from a checkbox: `enabled: always` added or removed, the event's
    other keys kept; an event left with no key is removed."""
    event = dict(current) if isinstance(current, dict) else {}
    _put(event, "enabled", "always" if checked else None, EVENT_KEY_ORDER)
    return event or None


def _names(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


# --- Read objects ------------------------------------------------------------------------------


def read_objects(content: Mapping[str, Any]) -> list[Any]:
    return section_objects(content, "read")


def _with_read_objects(content: Mapping[str, Any], objects: list[Any]) -> dict[str, Any]:
    return set_section_objects(content, "read", objects)


def add_read_object(
    content: Mapping[str, Any], *, object_name: str, destination: str, schedule: str
) -> dict[str, Any]:
    obj: dict[str, Any] = {"objectName": object_name}
    _put(obj, "destination", _text(destination))
    _put(obj, "schedule", _text(schedule))
    return _with_read_objects(content, [*copy.deepcopy(read_objects(content)), obj])


def remove_read_object(content: Mapping[str, Any], index: int) -> dict[str, Any]:
    objects = copy.deepcopy(read_objects(content))
    del objects[index]
    return _with_read_objects(content, objects)


class Backfill(StrEnum):
    NONE = "none"
    DAYS = "days"
    FULL = "full"


def read_object_settings(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The settings form's initial values for a read object."""
    delivery = obj.get("delivery") if isinstance(obj.get("delivery"), dict) else {}
    backfill = obj.get("backfill") if isinstance(obj.get("backfill"), dict) else {}
    period = (
        backfill.get("defaultPeriod") if isinstance(backfill.get("defaultPeriod"), dict) else {}
    )
    if period.get("fullHistory") is True:
        choice, days = Backfill.FULL, None
    elif isinstance(period.get("days"), int) and period["days"] > 0:
        choice, days = Backfill.DAYS, period["days"]
    else:
        choice, days = Backfill.NONE, None
    return {
        "object_name": _str(obj.get("objectName")),
        "destination": _str(obj.get("destination")),
        "schedule": _str(obj.get("schedule")),
        "map_to_name": _str(obj.get("mapToName")),
        "map_to_display_name": _str(obj.get("mapToDisplayName")),
        "delivery_mode": _str(delivery.get("mode")),
        "page_size": delivery.get("pageSize")
        if isinstance(delivery.get("pageSize"), int)
        else None,
        "always_enabled": obj.get("enabled") == "always",
        "optional_fields_auto": obj.get("optionalFieldsAuto") == "all",
        "backfill": choice,
        "backfill_days": days,
    }


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def apply_read_object_settings(
    obj: Mapping[str, Any], settings: Mapping[str, Any]
) -> dict[str, Any]:
    """The read object with the settings form's cleaned values; fields untouched."""
    if read_object_settings(obj) == dict(settings):
        return copy.deepcopy(dict(obj))
    changed = copy.deepcopy(dict(obj))
    for key, name in (
        ("objectName", "object_name"),
        ("destination", "destination"),
        ("schedule", "schedule"),
        ("mapToName", "map_to_name"),
        ("mapToDisplayName", "map_to_display_name"),
    ):
        _put(changed, key, _text(settings[name]), READ_KEY_ORDER)
    _put(changed, "enabled", "always" if settings["always_enabled"] else None, READ_KEY_ORDER)
    _put(
        changed,
        "optionalFieldsAuto",
        "all" if settings["optional_fields_auto"] else None,
        READ_KEY_ORDER,
    )
    delivery = dict(changed["delivery"]) if isinstance(changed.get("delivery"), dict) else {}
    _put(delivery, "mode", _text(settings["delivery_mode"]), ("mode", "pageSize"))
    _put(delivery, "pageSize", settings["page_size"], ("mode", "pageSize"))
    _put(changed, "delivery", delivery or None, READ_KEY_ORDER)
    _put(changed, "backfill", _backfill(changed.get("backfill"), settings), READ_KEY_ORDER)
    return changed


def _backfill(current: Any, settings: Mapping[str, Any]) -> dict[str, Any] | None:
    backfill = dict(current) if isinstance(current, dict) else {}
    period = (
        backfill.get("defaultPeriod") if isinstance(backfill.get("defaultPeriod"), dict) else {}
    )
    rest = {key: value for key, value in period.items() if key not in ("days", "fullHistory")}
    match settings["backfill"]:
        case Backfill.FULL:
            period = {**rest, "fullHistory": True}
        case Backfill.DAYS:
            period = {**rest, "days": settings["backfill_days"]}
        case _ if not backfill:
            return None
        case _:
            period = {**rest, "days": 0}
    return {**backfill, "defaultPeriod": period}


def set_read_object(content: Mapping[str, Any], index: int, obj: dict[str, Any]) -> dict[str, Any]:
    objects = copy.deepcopy(read_objects(content))
    objects[index] = obj
    return _with_read_objects(content, objects)


# --- Fields ------------------------------------------------------------------------------------


def set_field_rows(obj: Mapping[str, Any], rows: Iterable[FieldRow]) -> dict[str, Any]:
    """The object with `rows` as its required and optional fields, in their order."""
    changed = copy.deepcopy(dict(obj))
    lists: dict[str, list[dict[str, Any]]] = {key: [] for key in FIELD_LISTS}
    for row in rows:
        lists[row.list_key].append(_field(_origin(obj, row.origin), row))
    for list_key, fields in lists.items():
        was_list = isinstance(obj.get(list_key), list)
        _put(changed, list_key, fields if fields or was_list else None, READ_KEY_ORDER)
    return changed


def _origin(obj: Mapping[str, Any], origin: str) -> dict[str, Any]:
    list_key, _, index = origin.partition(":")
    fields = obj.get(list_key) if list_key in FIELD_LISTS else None
    if isinstance(fields, list) and index.isdigit() and int(index) < len(fields):
        field = fields[int(index)]
        return copy.deepcopy(field) if isinstance(field, dict) else {}
    return {}


def _field(original: dict[str, Any], row: FieldRow) -> dict[str, Any]:
    field = original
    order = ("fieldName", "mapToName", "mapToDisplayName", "prompt", "default")
    _put(field, "fieldName", _text(row.field_name), order)
    _put(field, "mapToName", _text(row.map_to_name), order)
    _put(field, "mapToDisplayName", _text(row.map_to_display_name), order)
    _put(field, "prompt", _text(row.prompt), order)
    _put(field, "default", _text(row.default), order)
    return field


def move_item[T](items: list[T], index: int, step: int) -> list[T]:
    """`items` with item `index` moved one place up (-1) or down (+1); as they are when it
    cannot move so."""
    target = index + step
    if not (0 <= index < len(items) and 0 <= target < len(items)):
        return items
    moved = list(items)
    moved[index], moved[target] = moved[target], moved[index]
    return moved


def move_row(rows: list[FieldRow], index: int, step: int) -> list[FieldRow]:
    """`rows` with row `index` moved one place up (-1) or down (+1) within its own list."""
    target = index + step
    if 0 <= target < len(rows) and rows[target].required != rows[index].required:
        return rows
    return move_item(rows, index, step)


def ordered(rows: Iterable[FieldRow]) -> list[FieldRow]:
    """Required rows first, each list keeping its order; a row moved to the other list (its
    origin is in the other one) goes last in its new one."""
    rows = list(rows)

    def moved(row: FieldRow) -> bool:
        return bool(row.origin) and not row.origin.startswith(f"{row.list_key}:")

    return sorted(rows, key=lambda row: (not row.required, moved(row)))


def row_path(rows: list[FieldRow], index: int) -> str:
    """The manifest path of row `index`, relative to its object: `optionalFields[2]`."""
    row = rows[index]
    position = sum(1 for other in rows[:index] if other.required == row.required)
    return f"{row.list_key}[{position}]"


# --- Write objects -----------------------------------------------------------------------------


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _changes(before: Mapping[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings whose value differs from `before`: only those are written."""
    return {name: value for name, value in settings.items() if before.get(name) != value}


def write_object_settings(obj: Any) -> dict[str, Any]:
    """The write form's initial values for a write object."""
    obj = _dict(obj)
    return {
        "object_name": _str(obj.get("objectName")),
        "inherit_mapping": obj.get("inheritMapping") is True,
        "allow_any_fields": _dict(obj.get("valueDefaults")).get("allowAnyFields") is True,
    }


def apply_write_object_settings(obj: Any, settings: Mapping[str, Any]) -> Any:
    """The write object with the settings that changed written; the rest as it was."""
    new = _changes(write_object_settings(obj), settings)
    if not new:
        return copy.deepcopy(obj)
    changed = copy.deepcopy(_dict(obj))
    if "object_name" in new:
        _put(changed, "objectName", _text(new["object_name"]), WRITE_KEY_ORDER)
    if "inherit_mapping" in new:
        inherit = _flag(changed.get("inheritMapping"), new["inherit_mapping"])
        _put(changed, "inheritMapping", inherit, WRITE_KEY_ORDER)
    if "allow_any_fields" in new:
        defaults = dict(_dict(changed.get("valueDefaults")))
        _put(
            defaults,
            "allowAnyFields",
            _flag(defaults.get("allowAnyFields"), new["allow_any_fields"]),
        )
        _put(changed, "valueDefaults", defaults or None, WRITE_KEY_ORDER)
    return changed


def new_write_object(object_name: str) -> dict[str, Any]:
    return {"objectName": object_name}


# --- Subscribe objects -------------------------------------------------------------------------


def subscribe_object_settings(obj: Any) -> dict[str, Any]:
    """The subscribe form's initial values for a subscribe object."""
    obj = _dict(obj)
    update = _dict(obj.get("updateEvent"))
    association = _dict(obj.get("associationChangeEvent"))
    return {
        "object_name": _str(obj.get("objectName")),
        "destination": _str(obj.get("destination")),
        "inherit_fields_and_mapping": obj.get("inheritFieldsAndMapping") is True,
        "create_event": _dict(obj.get("createEvent")).get("enabled") == "always",
        "update_event": update.get("enabled") == "always",
        "watch_fields_auto": _str(update.get("watchFieldsAuto")),
        "required_watch_fields": _names(update.get("requiredWatchFields")),
        "delete_event": _dict(obj.get("deleteEvent")).get("enabled") == "always",
        "association_change_event": association.get("enabled") == "always",
        "include_full_records": association.get("includeFullRecords") is True,
        "other_events": _names(obj.get("otherEvents")),
    }


def apply_subscribe_object_settings(obj: Any, settings: Mapping[str, Any]) -> Any:
    """The subscribe object with the settings that changed written; the rest as it was."""
    new = _changes(subscribe_object_settings(obj), settings)
    if not new:
        return copy.deepcopy(obj)
    changed = copy.deepcopy(_dict(obj))
    for key, name in (("objectName", "object_name"), ("destination", "destination")):
        if name in new:
            _put(changed, key, _text(new[name]), SUBSCRIBE_KEY_ORDER)
    if "inherit_fields_and_mapping" in new:
        inherit = _flag(changed.get("inheritFieldsAndMapping"), new["inherit_fields_and_mapping"])
        _put(changed, "inheritFieldsAndMapping", inherit, SUBSCRIBE_KEY_ORDER)
    for key, name in (("createEvent", "create_event"), ("deleteEvent", "delete_event")):
        if name in new:
            _put(changed, key, _always(changed.get(key), new[name]), SUBSCRIBE_KEY_ORDER)
    update = dict(_dict(changed.get("updateEvent")))
    if "update_event" in new:
        _put(update, "enabled", "always" if new["update_event"] else None, EVENT_KEY_ORDER)
    if "watch_fields_auto" in new:
        _put(update, "watchFieldsAuto", _text(new["watch_fields_auto"]), EVENT_KEY_ORDER)
    if "required_watch_fields" in new:
        fields = new["required_watch_fields"] or None
        _put(update, "requiredWatchFields", fields, EVENT_KEY_ORDER)
    if new.keys() & {"update_event", "watch_fields_auto", "required_watch_fields"}:
        _put(changed, "updateEvent", update or None, SUBSCRIBE_KEY_ORDER)
    association = dict(_dict(changed.get("associationChangeEvent")))
    if "association_change_event" in new:
        enabled = "always" if new["association_change_event"] else None
        _put(association, "enabled", enabled, EVENT_KEY_ORDER)
    if "include_full_records" in new:
        full = _flag(association.get("includeFullRecords"), new["include_full_records"])
        _put(association, "includeFullRecords", full, EVENT_KEY_ORDER)
    if new.keys() & {"association_change_event", "include_full_records"}:
        _put(changed, "associationChangeEvent", association or None, SUBSCRIBE_KEY_ORDER)
    if "other_events" in new:
        _put(changed, "otherEvents", new["other_events"] or None, SUBSCRIBE_KEY_ORDER)
    return changed


def new_subscribe_object(object_name: str, destination: str) -> dict[str, Any]:
    """A subscription to `object_name` with no event yet; it inherits the read object's fields
    and mapping, which spec version 1.0.0 requires as soon as an event is enabled."""
    obj: dict[str, Any] = {"objectName": object_name}
    _put(obj, "destination", _text(destination))
    obj["inheritFieldsAndMapping"] = True
    return obj


# --- Schema watch ------------------------------------------------------------------------------

# The schema watch form's checkboxes -> the event of allObjects each enables.
SCHEMA_EVENT_SETTINGS: Final = {
    "field_created": "fieldCreated",
    "field_deleted": "fieldDeleted",
    "field_changed": "fieldChanged",
}


def watch_schema_settings(watch: Any) -> dict[str, Any]:
    """The schema watch form's initial values for a watchSchema section."""
    watch = _dict(watch)
    events = _dict(watch.get("allObjects"))
    return {
        "destination": _str(watch.get("destination")),
        "schedule": _str(watch.get("schedule")),
        **{
            name: _dict(events.get(key)).get("enabled") == "always"
            for name, key in SCHEMA_EVENT_SETTINGS.items()
        },
    }


def set_watch_schema(
    content: Mapping[str, Any], settings: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The content with its watchSchema from the form's values (only those that changed are
    written, all of them for a new one); `settings` None removes the watchSchema."""
    changed = copy.deepcopy(dict(content))
    current = content.get("watchSchema")
    if settings is None:
        _put(changed, "watchSchema", None)
        return changed
    new = _changes(watch_schema_settings(current), settings)
    if isinstance(current, dict) and not new:
        return changed
    starting = not isinstance(current, dict)
    new = dict(settings) if starting else new
    watch = copy.deepcopy(_dict(current))
    for key in ("destination", "schedule"):
        if key in new:
            _put(watch, key, _text(new[key]), WATCH_SCHEMA_KEY_ORDER)
    events = dict(_dict(watch.get("allObjects")))
    for name, key in SCHEMA_EVENT_SETTINGS.items():
        if name in new:
            _put(events, key, _always(events.get(key), new[name]), SCHEMA_EVENTS)
    if starting or new.keys() & SCHEMA_EVENT_SETTINGS.keys():
        # allObjects is required, so it stays even with no event enabled.
        _put(watch, "allObjects", events, WATCH_SCHEMA_KEY_ORDER)
    _put(changed, "watchSchema", watch, INTEGRATION_KEY_ORDER)
    return changed


# --- The validator's issues, next to what they name --------------------------------------------


def place_issues(
    issues: Iterable[ValidationIssue], prefix: str, slots: Iterable[str]
) -> dict[str, list[ValidationIssue]]:
    """The issues under `prefix` (a manifest path), by the slot (a path relative to it) that
    names the most of each issue's path; those no slot names are under "".

    With slots ("schedule", "backfill"), `…objects[0].backfill.defaultPeriod.days` goes to
    "backfill".
    """
    slots = sorted(slots, key=len, reverse=True)
    placed: dict[str, list[ValidationIssue]] = {}
    for issue in issues:
        if not _under(issue.path, prefix):
            continue
        relative = issue.path[len(prefix) :].lstrip(".")
        slot = next((slot for slot in slots if slot and _under(relative, slot)), "")
        placed.setdefault(slot, []).append(issue)
    return placed


def _under(path: str, prefix: str) -> bool:
    if not prefix:
        return True
    return path == prefix or (path.startswith(prefix) and path[len(prefix)] in ".[")
