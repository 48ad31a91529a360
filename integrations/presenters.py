"""What the integration pages show, computed from snapshot content: pure functions, no Django.

`present_content(content)` turns a manifest integration entry (a snapshot's `content`) into
cards and field rows for the Read, Write, Subscribe and Proxy tabs; `installation_differences`
compares one installation (its API JSON) with that content; `find_uses` answers "which
objects read this provider field or map to this name". Malformed content never raises: odd
values read as absent.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from integrations.cron import describe_cron
from integrations.diff import describe_backfill

PATH_SEPARATOR: Final = " \u203a "
_PATH_STEP: Final = re.compile(
    r"""\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]|\.([^.\[\]]+)|\[(\d+|\*)\]"""
)
DELIVERY_MODES: Final = {"auto": "automatic", "onRequest": "on request"}
EVENT_LABELS: Final = (
    ("createEvent", "create"),
    ("updateEvent", "update"),
    ("deleteEvent", "delete"),
    ("associationChangeEvent", "association change"),
)
SCHEMA_EVENT_LABELS: Final = (
    ("fieldCreated", "field created"),
    ("fieldDeleted", "field deleted"),
    ("fieldChanged", "field changed"),
)
HEALTH_BADGES: Final = {"healthy": "ok", "unhealthy": "bad"}
OPERATION_BADGES: Final = {"success": "ok", "failure": "bad", "in_progress": "info"}


# --- names ----------------------------------------------------------------------------------


def is_json_path(name: str) -> bool:
    return name.startswith("$")


# Installations are compared field by field: the same few hundred names come again and again.
@functools.lru_cache(maxsize=4096)
def readable_field_name(name: str) -> str:
    """A JSONPath field name as its steps, e.g. `$['address']['city']` -> "address \u203a city".

    Plain names, and anything that is not a JSONPath made only of known steps, stay as given.
    """
    if not is_json_path(name) or len(name) < 2:
        return name
    steps: list[str] = []
    position = 1
    for match in _PATH_STEP.finditer(name, 1):
        if match.start() != position:
            return name
        quoted, double_quoted, dotted, index = match.groups()
        if quoted is not None:
            steps.append(re.sub(r"\\(.)", r"\1", quoted))
        elif double_quoted is not None:
            steps.append(re.sub(r"\\(.)", r"\1", double_quoted))
        else:
            steps.append(dotted if dotted is not None else index)
        position = match.end()
    if position != len(name) or not steps:
        return name
    return PATH_SEPARATOR.join(steps)


# --- read -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldRow:
    """One field of a read object: a fixed provider field, or a mapping the customer picks."""

    required: bool
    user_picked: bool = False
    field_name: str = ""  # the provider field; "" for a user-picked mapping
    map_to_name: str = ""
    map_to_display_name: str = ""
    prompt: str = ""
    default: str = ""
    # Where the row came from ("requiredFields:3"): an edit keeps the keys no form knows.
    origin: str = ""

    @property
    def list_key(self) -> str:
        return "requiredFields" if self.required else "optionalFields"

    @functools.cached_property
    def field_label(self) -> str:
        # Kept: a sync compares thousands of installations with the same few rows.
        return readable_field_name(self.field_name)

    @property
    def field_is_path(self) -> bool:
        return is_json_path(self.field_name)

    @property
    def default_label(self) -> str:
        return readable_field_name(self.default)

    @property
    def destination_name(self) -> str:
        """The name the value lands under: mapToName, else the provider field's own name."""
        return self.map_to_name or self.field_name

    @property
    def is_mapped(self) -> bool:
        """Renamed or user-picked: what a write object with inheritMapping inherits."""
        return bool(self.map_to_name)


@dataclass(frozen=True)
class ReadCard:
    object_name: str
    destination: str
    schedule: str
    schedule_text: str
    delivery_text: str
    enabled_text: str
    always_enabled: bool
    backfill_text: str
    optional_fields_auto: str
    map_to_name: str = ""
    map_to_display_name: str = ""
    fields: tuple[FieldRow, ...] = ()

    @property
    def required_count(self) -> int:
        return sum(1 for row in self.fields if row.required)

    @property
    def optional_count(self) -> int:
        return sum(1 for row in self.fields if not row.required)

    @property
    def user_picked_count(self) -> int:
        return sum(1 for row in self.fields if row.user_picked)

    @property
    def mapped_fields(self) -> tuple[FieldRow, ...]:
        return tuple(row for row in self.fields if row.is_mapped)

    @functools.cached_property
    def fixed_fields(self) -> tuple[FieldRow, ...]:
        """The provider fields an installation selects (every field but the user-picked)."""
        return tuple(row for row in self.fields if not row.user_picked)


def present_read_object(obj: Mapping[str, Any]) -> ReadCard:
    schedule = _text(obj.get("schedule"))
    return ReadCard(
        object_name=_text(obj.get("objectName")),
        map_to_name=_text(obj.get("mapToName")),
        map_to_display_name=_text(obj.get("mapToDisplayName")),
        destination=_text(obj.get("destination")),
        schedule=schedule,
        schedule_text=describe_cron(schedule) if schedule else "",
        delivery_text=describe_delivery(obj.get("delivery")),
        enabled_text=describe_enabled(obj.get("enabled")),
        always_enabled=obj.get("enabled") == "always",
        backfill_text=describe_backfill(obj.get("backfill")),
        optional_fields_auto=describe_optional_fields_auto(obj.get("optionalFieldsAuto")),
        fields=tuple(field_rows(obj)),
    )


def field_rows(obj: Mapping[str, Any]) -> list[FieldRow]:
    """The object's fields, required ones first, each in its list's order."""
    return [
        *_field_rows(obj.get("requiredFields"), required=True),
        *_field_rows(obj.get("optionalFields"), required=False),
    ]


def field_count(obj: Mapping[str, Any]) -> int:
    """How many rows `field_rows` gives, without making them."""
    return sum(
        isinstance(item, Mapping)
        for key in ("requiredFields", "optionalFields")
        for item in _list(obj.get(key))
    )


def _field_rows(fields: Any, *, required: bool) -> Iterator[FieldRow]:
    list_key = "requiredFields" if required else "optionalFields"
    for index, item in enumerate(_list(fields)):
        if not isinstance(item, Mapping):
            continue
        picked = "fieldName" not in item
        yield FieldRow(
            required=required,
            user_picked=picked,
            field_name=_text(item.get("fieldName")),
            map_to_name=_text(item.get("mapToName")),
            map_to_display_name=_text(item.get("mapToDisplayName")),
            prompt=_text(item.get("prompt")),
            default=_text(item.get("default")),
            origin=f"{list_key}:{index}",
        )


def describe_delivery(delivery: Any) -> str:
    """ "automatic", "on request, pages of 200 records", ..."""
    delivery = _mapping(delivery)
    mode = delivery.get("mode")
    text = DELIVERY_MODES.get(mode, _text(mode)) if mode else "automatic (default)"
    page_size = delivery.get("pageSize")
    if isinstance(page_size, int) and not isinstance(page_size, bool):
        text += f", pages of {page_size} records"
    return text


def describe_enabled(enabled: Any) -> str:
    if enabled == "always":
        return "always"
    if enabled is None:
        return "when the customer turns it on"
    return _text(enabled)


def describe_optional_fields_auto(value: Any) -> str:
    if value == "all":
        return "all: the customer may add any other field"
    return _text(value)


# --- write, subscribe, proxy ------------------------------------------------------------------


@dataclass(frozen=True)
class WriteCard:
    object_name: str
    inherit_mapping: bool | None
    allow_any_fields: bool | None
    # The mapped fields of the read object of the same name, when inheritMapping is on.
    inherited: tuple[FieldRow, ...] = ()
    read_object_found: bool = False


@dataclass(frozen=True)
class EventRow:
    label: str
    enabled: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class SubscribeCard:
    object_name: str
    destination: str
    inherit_fields_and_mapping: bool | None
    events: tuple[EventRow, ...] = ()
    other_events: tuple[str, ...] = ()


@dataclass(frozen=True)
class WatchSchemaView:
    destination: str
    schedule: str
    schedule_text: str
    events: tuple[EventRow, ...] = ()


@dataclass(frozen=True)
class ProxyView:
    enabled: bool | None
    use_module: bool | None


def present_write_object(obj: Mapping[str, Any], read_cards: Mapping[str, ReadCard]) -> WriteCard:
    name = _text(obj.get("objectName"))
    inherit = _flag(obj.get("inheritMapping"))
    read = read_cards.get(name)
    return WriteCard(
        object_name=name,
        inherit_mapping=inherit,
        allow_any_fields=_flag(_mapping(obj.get("valueDefaults")).get("allowAnyFields")),
        inherited=read.mapped_fields if read is not None and inherit else (),
        read_object_found=read is not None,
    )


def present_subscribe_object(obj: Mapping[str, Any]) -> SubscribeCard:
    events = []
    for key, label in EVENT_LABELS:
        event = obj.get(key)
        if not isinstance(event, Mapping):
            continue
        details: list[str] = []
        if event.get("watchFieldsAuto") == "all":
            details.append("watches every field")
        elif event.get("watchFieldsAuto"):
            details.append(f"watches {_text(event.get('watchFieldsAuto'))}")
        watched = [
            readable_field_name(_text(name)) for name in _list(event.get("requiredWatchFields"))
        ]
        if watched:
            details.append("watches " + ", ".join(watched))
        if "includeFullRecords" in event:
            full = event.get("includeFullRecords") is True
            details.append("with full records" if full else "without full records")
        events.append(EventRow(label, _text(event.get("enabled")) or "—", tuple(details)))
    return SubscribeCard(
        object_name=_text(obj.get("objectName")),
        destination=_text(obj.get("destination")),
        inherit_fields_and_mapping=_flag(obj.get("inheritFieldsAndMapping")),
        events=tuple(events),
        other_events=tuple(_text(name) for name in _list(obj.get("otherEvents"))),
    )


def present_watch_schema(watch: Any) -> WatchSchemaView | None:
    if not isinstance(watch, Mapping):
        return None
    schedule = _text(watch.get("schedule"))
    all_objects = _mapping(watch.get("allObjects"))
    return WatchSchemaView(
        destination=_text(watch.get("destination")),
        schedule=schedule,
        schedule_text=describe_cron(schedule) if schedule else "",
        events=tuple(
            EventRow(label, _text(_mapping(all_objects[key]).get("enabled")) or "—")
            for key, label in SCHEMA_EVENT_LABELS
            if key in all_objects
        ),
    )


def present_proxy(proxy: Any) -> ProxyView | None:
    if not isinstance(proxy, Mapping):
        return None
    return ProxyView(enabled=_flag(proxy.get("enabled")), use_module=_flag(proxy.get("useModule")))


# --- the whole integration --------------------------------------------------------------------


@dataclass(frozen=True)
class IntegrationView:
    read: tuple[ReadCard, ...] = ()
    write: tuple[WriteCard, ...] = ()
    subscribe: tuple[SubscribeCard, ...] = ()
    watch_schema: WatchSchemaView | None = None
    proxy: ProxyView | None = None
    module: str = ""

    @property
    def field_count(self) -> int:
        return sum(len(card.fields) for card in self.read)


def present_content(content: Any) -> IntegrationView:
    """Everything the tabs show of one integration's content."""
    content = _mapping(content)
    read = tuple(present_read_object(obj) for obj in _objects(content, "read"))
    read_by_name = {card.object_name: card for card in reversed(read)}
    return IntegrationView(
        read=read,
        write=tuple(present_write_object(obj, read_by_name) for obj in _objects(content, "write")),
        subscribe=tuple(present_subscribe_object(obj) for obj in _objects(content, "subscribe")),
        watch_schema=present_watch_schema(content.get("watchSchema")),
        proxy=present_proxy(content.get("proxy")),
        module=_text(content.get("module")),
    )


# --- where used -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldUse:
    object_name: str
    row: FieldRow
    how: str  # "reads it", "maps to it", "default of a user-picked mapping"


def find_uses(content: Any, *, field_name: str = "", map_to_name: str = "") -> list[FieldUse]:
    """The read fields of `content` that read provider field `field_name` or map to `map_to_name`.

    A field that keeps its provider name (no mapToName) lands under that name, so it maps to it.
    """
    uses = []
    for obj in _objects(_mapping(content), "read"):
        card = present_read_object(obj)
        for row in card.fields:
            if field_name and row.field_name == field_name:
                uses.append(FieldUse(card.object_name, row, "reads it"))
            elif field_name and row.user_picked and row.default == field_name:
                uses.append(FieldUse(card.object_name, row, "default of a user-picked mapping"))
            if map_to_name and row.destination_name == map_to_name:
                uses.append(FieldUse(card.object_name, row, "maps to it"))
    return uses


# --- installations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectDifference:
    object_name: str
    lines: tuple[str, ...]


def installation_differences(
    content: Any, config_content: Any, *, definition: ReadDefinition | None = None
) -> tuple[ObjectDifference, ...]:
    """Per read object, where an installation's choices differ from the integration's.

    `definition` is `read_definition(content)`, when the caller compares many installations.
    """
    differences = (
        ObjectDifference(name, tuple(lines))
        for name, lines in _object_differences(content, config_content, definition)
    )
    return tuple(difference for difference in differences if difference.lines)


def installation_difference_count(
    content: Any, config_content: Any, *, definition: ReadDefinition | None = None
) -> int:
    """How many read objects `installation_differences` names: each object's lines are read only
    up to its first, as a sync counts them for thousands of installations."""
    return sum(
        next(lines, None) is not None
        for _, lines in _object_differences(content, config_content, definition)
    )


def _object_differences(
    content: Any, config_content: Any, definition: ReadDefinition | None
) -> Iterator[tuple[str, Iterator[str]]]:
    """Each read object that may differ, with its lines of differences (made as they are read)."""
    configured = _mapping(_mapping(_mapping(config_content).get("read")).get("objects"))
    defined = set()
    for card, obj in read_definition(content) if definition is None else definition:
        defined.add(card.object_name)
        chosen = configured.get(card.object_name)
        if not isinstance(chosen, (dict, Mapping)):
            yield card.object_name, iter(("not selected",))
        else:
            yield card.object_name, _read_object_differences(card, obj, chosen)
    for name in configured:
        if name not in defined:
            yield str(name), iter(("not in the integration's definition",))


@dataclass(frozen=True)
class FieldComparison:
    """One line of an installation's page: what the definition says, what the installation has."""

    label: str
    defined: str
    chosen: str
    differs: bool


@dataclass(frozen=True)
class ObjectComparison:
    object_name: str
    rows: tuple[FieldComparison, ...]

    @property
    def differs(self) -> bool:
        return any(row.differs for row in self.rows)


def compare_installation_fields(content: Any, config_content: Any) -> list[ObjectComparison]:
    """Per read object, the definition's settings and fields beside the installation's choices."""
    configured = _mapping(_mapping(_mapping(config_content).get("read")).get("objects"))
    compared = []
    for card, obj in read_definition(content):
        chosen = configured.get(card.object_name)
        if not isinstance(chosen, Mapping):
            row = FieldComparison("the object", "defined", "not selected", True)
            compared.append(ObjectComparison(card.object_name, (row,)))
            continue
        compared.append(ObjectComparison(card.object_name, tuple(_compare(card, obj, chosen))))
    defined = {card.object_name for card, _ in read_definition(content)}
    for name in configured:
        if name not in defined:
            row = FieldComparison("the object", "not in the definition", "selected", True)
            compared.append(ObjectComparison(str(name), (row,)))
    return compared


def _compare(
    card: ReadCard, obj: Mapping[str, Any], chosen: Mapping[str, Any]
) -> Iterator[FieldComparison]:
    schedule = _text(chosen.get("schedule")) or card.schedule
    yield FieldComparison("Schedule", card.schedule, schedule, schedule != card.schedule)
    destination = _text(chosen.get("destination")) or card.destination
    yield FieldComparison(
        "Destination", card.destination, destination, destination != card.destination
    )
    backfill = describe_backfill(chosen["backfill"]) if "backfill" in chosen else ""
    yield FieldComparison(
        "Backfill",
        card.backfill_text,
        backfill or card.backfill_text,
        bool(backfill) and backfill != card.backfill_text,
    )
    if chosen.get("disabled") is True:
        yield FieldComparison("Reading", "on", "turned off", True)
    # JSON keys are strings.
    selected = {name for name, on in _mapping(chosen.get("selectedFields")).items() if on is True}
    mappings = {
        str(key): _text(value)
        for key, value in _mapping(chosen.get("selectedFieldMappings")).items()
    }
    known = set()
    for row in card.fields:
        if row.user_picked:
            label = row.map_to_display_name or row.map_to_name
            picked = mappings.get(row.map_to_name, "")
            defined = "user picks" + (f" (default {row.default_label})" if row.default else "")
            yield FieldComparison(
                label,
                defined,
                f"picked {readable_field_name(picked)}" if picked else "none picked",
                (not picked and row.required)
                or bool(picked and row.default and picked != row.default),
            )
            continue
        known.add(row.field_name)
        is_selected = row.field_name in selected
        defined = "required" if row.required else "optional"
        if row.map_to_name:
            defined += f", as {row.map_to_display_name or row.map_to_name}"
        text = "selected" if is_selected else "not selected"
        picked = mappings.get(row.map_to_name) if row.map_to_name else None
        remapped = bool(picked) and picked != row.field_name
        if remapped:
            text += f", {row.map_to_name} mapped from {readable_field_name(picked or '')}"
        yield FieldComparison(row.field_label, defined, text, not is_selected or remapped)
    for name in sorted(selected - known):
        yield FieldComparison(readable_field_name(name), "not defined", "selected", True)


type ReadDefinition = list[tuple[ReadCard, Mapping[str, Any]]]


def read_definition(content: Any) -> ReadDefinition:
    """The integration's read objects, each with its card, as installations are compared with."""
    return [(present_read_object(obj), obj) for obj in _objects(_mapping(content), "read")]


def _read_object_differences(
    card: ReadCard, obj: Mapping[str, Any], chosen: Mapping[str, Any]
) -> Iterator[str]:
    if chosen.get("disabled") is True:
        yield "turned off"
    schedule = _text(chosen.get("schedule"))
    if schedule and schedule != card.schedule:
        yield (
            f"schedule {describe_cron(schedule)} ({schedule}) instead of "
            f"{card.schedule_text or 'none'}"
        )
    destination = _text(chosen.get("destination"))
    if destination and destination != card.destination:
        yield f"destination {destination} instead of {card.destination}"
    if "backfill" in chosen and chosen["backfill"] != obj.get("backfill"):
        backfill = describe_backfill(chosen.get("backfill"))
        if backfill != card.backfill_text:
            yield f"backfill {backfill} instead of {card.backfill_text}"
    yield from _field_differences(card, chosen)


def _field_differences(card: ReadCard, chosen: Mapping[str, Any]) -> Iterator[str]:
    # JSON keys are strings.
    selected = {name for name, on in _mapping(chosen.get("selectedFields")).items() if on is True}
    fixed = card.fixed_fields
    unselected = [row for row in fixed if row.field_name not in selected]
    missing_required = [row.field_label for row in unselected if row.required]
    if missing_required:
        yield "required fields not selected: " + ", ".join(missing_required)
    left_out = [row.field_label for row in unselected if not row.required]
    if left_out:
        yield "optional fields left out: " + ", ".join(left_out)
    known = {row.field_name for row in fixed}
    extra = [readable_field_name(name) for name in sorted(selected - known)]
    if extra:
        yield "extra fields selected: " + ", ".join(extra)
    mappings = {
        str(key): _text(value)
        for key, value in _mapping(chosen.get("selectedFieldMappings")).items()
    }
    mapped_names = set()
    for row in card.fields:
        if not row.map_to_name:
            continue
        mapped_names.add(row.map_to_name)
        picked = mappings.get(row.map_to_name)
        label = row.map_to_display_name or row.map_to_name
        if row.user_picked:
            if not picked:
                if row.required:
                    yield f"no field picked for {label}"
            elif row.default and picked != row.default:
                yield (
                    f"{label} mapped from {readable_field_name(picked)} "
                    f"instead of the default {row.default_label}"
                )
        elif picked and picked != row.field_name:
            yield (
                f"{label} mapped from {readable_field_name(picked)} instead of {row.field_label}"
            )
    for map_to_name in sorted(set(mappings) - mapped_names):
        yield (f"extra mapping: {map_to_name} from {readable_field_name(mappings[map_to_name])}")


# --- helpers ------------------------------------------------------------------------------------


def _objects(content: Mapping[str, Any], action: str) -> Iterator[Mapping[str, Any]]:
    for obj in _list(_mapping(content.get(action)).get("objects")):
        if isinstance(obj, Mapping):
            yield obj


def _mapping(value: Any) -> Mapping[str, Any]:
    # dict first: decoded JSON always is one, and the Mapping ABC's check costs ten times more.
    return value if isinstance(value, (dict, Mapping)) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None
