"""Validate an amp.yaml manifest by Ampersand's own rules.

The rules and their ids and severities are those of Ampersand's specification
(amp-labs/amp-yaml-validator `VALIDATION_RULES.md`, its section 10 index), applied to what a
manifest may hold (the published manifest schema, `data/manifest.json`). ERROR refuses the
manifest; WARNING and NOTE do not. Every issue names its path and, for YAML text, its line and
column.

Rules of the spec that are not applicable to a manifest, and why:

| Rule id                        | Why it is left out                                              |
|--------------------------------|-----------------------------------------------------------------|
| required-mappings-selected     | compares requiredFieldMappings with selectedFieldMappings, both |
|                                | installation-config keys; a manifest holds neither              |
| always-enabled-mapping-limit   | counts requiredFieldMappings against builderFieldMappings,      |
|                                | installation-config keys                                        |
| minimum-fields-required        | asks the config for selectedFields, selectedFieldMappings or    |
|                                | selectedFieldsAuto; a config can pick `selectedFieldsAuto: all` |
|                                | whatever the manifest lists, so no manifest breaks it           |
| provider-bulk-write-support    | no manifest key asks for bulk insert/update/upsert/delete       |
| hubspot-scopes-required        | about provider apps (their scopes), not the manifest            |
| object-exists                  | the catalog lists no objects, so it could only warn on every    |
|                                | object alike (the spec's own graceful degradation)              |
| destination-active             | whether a destination is active is known only at run time       |
| catalog-unavailable            | the catalog is bundled with this package, always available      |
| Appendix A (source, install,   | API requests, not amp.yaml content (spec: out of scope)         |
| proxy headers)                 |                                                                 |

The spec's "at least one field" rule for always-enabled objects is `always-enabled-required-fields`
here: in a manifest, the fields an always-enabled object reads are its requiredFields.
`enabled: always` on a read object is the manifest's spelling of an always-enabled object.

Rules beyond the spec, all ERROR, kept from the emulator that validated manifests before:
manifest-too-large, yaml-syntax, yaml-duplicate-key, yaml-too-deep, yaml-too-large (alias bombs),
manifest-too-deep (a parsed document nested too deeply or referring to itself),
manifest-not-mapping, manifest-schema (any other mismatch with the published schema),
integrations-required, integration-name-unique, subscribe-object-read (a subscribed object must be
read too), field-name-unique, watch-schema-minimum-interval (hourly at most, as the schema says),
string-too-long, string-blank, string-control-characters.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

from jsonschema import ValidationError

from integrations.ampersand.manifest.catalog import Catalog, load_catalog
from integrations.ampersand.manifest.cron import (
    CronError,
    ever_runs,
    minimum_interval_minutes,
    parse_cron,
)
from integrations.ampersand.manifest.issues import (
    Path,
    Severity,
    ValidationIssue,
    ValidationResult,
    format_path,
    quoted,
)
from integrations.ampersand.manifest.schema import is_whole_number, known_keys_only, schema_errors
from integrations.ampersand.manifest.yaml_source import (
    MAX_EXPANDED_NODES,
    MAX_NESTING,
    Position,
    Positions,
    parse_yaml,
)

ERROR, WARNING, NOTE = Severity.ERROR, Severity.WARNING, Severity.NOTE

SPEC_VERSION = "1.0.0"
MAX_ISSUES = 100
MIN_READ_INTERVAL_MINUTES = 10
# Near the minimum, high-volume objects risk the provider's rate limits (spec 4.4).
FREQUENT_SCHEDULE_MINUTES = 15
MIN_WATCH_SCHEMA_INTERVAL_MINUTES = 60
MIN_ON_REQUEST_PAGE_SIZE, MAX_ON_REQUEST_PAGE_SIZE = 50, 500
# The spec's suggestion for large backfills: "90 days or less for initial sync".
LARGE_BACKFILL_DAYS = 90
MAX_GOOGLE_CALENDAR_BACKFILL_DAYS = 28
MAX_SALESFORCE_SUBSCRIBE_OBJECTS = 5
MAX_DAYS = 2**63 - 1  # the largest 64-bit integer; the platform cannot store more
MAX_STRING_LENGTHS = {"name": 200, "provider": 100, "specVersion": 20}
DEFAULT_MAX_STRING_LENGTH = 1000

ACTIONS = ("read", "write", "subscribe")
EVENT_KEYS = ("createEvent", "updateEvent", "deleteEvent", "associationChangeEvent")
# Keys whose strings name something, so a blank one is meaningless.
NON_BLANK_KEYS = frozenset(
    {
        "name",
        "provider",
        "module",
        "objectName",
        "fieldName",
        "mapToName",
        "destination",
        "requiredWatchFields",
        "otherEvents",
    }
)
# Free text where line breaks are ordinary (a YAML block scalar ends with one).
MULTILINE_KEYS = frozenset({"prompt", "default"})
LINE_BREAKS = frozenset("\n\r\t")
MAPPED_FIELD_ONLY_KEYS = ("default", "prompt")

# Required keys of the published schema, by schema title, and the spec rule that asks for each.
REQUIRED_KEY_RULES = {
    ("Integration Manifest", "specVersion"): "spec-version",
    ("Integration Manifest", "integrations"): "integrations-required",
    ("Integration", "name"): "integration-name-required",
    ("Integration", "provider"): "integration-provider-required",
    ("Integration Object", "objectName"): "read-object-name-required",
    ("Integration Object", "destination"): "read-object-destination-required",
    ("Integration Object", "schedule"): "read-object-schedule-required",
    ("Integration Write Object", "objectName"): "write-object-name-required",
    ("Integration Subscribe Object", "objectName"): "subscribe-object-name-required",
    ("Integration Subscribe Object", "destination"): "subscribe-object-destination-required",
    ("Integration Field Mapping", "mapToName"): "field-mapping-names-required",
    ("Backfill", "defaultPeriod"): "backfill-struct-valid",
}
# Enum and range checks of the published schema, by the key they sit on, and their spec rule.
VALUE_RULES = {
    ("delivery", "mode"): "delivery-mode-enum",
    ("delivery", "pageSize"): "delivery-onrequest-pagesize-range",
    ("updateEvent", "watchFieldsAuto"): "watch-fields-auto-enum",
    ("updateEvent", "enabled"): "update-event-enabled-value",
    ("defaultPeriod", "days"): "backfill-struct-valid",
    ("defaultPeriod", "fullHistory"): "backfill-struct-valid",
    ("backfill", "defaultPeriod"): "backfill-struct-valid",
    ("integrations", "specVersion"): "spec-version",
}
JSON_TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


@dataclass(frozen=True)
class Finding:
    severity: Severity
    rule: str
    path: Path
    message: str


def validate_manifest(
    source: str | dict[str, Any],
    *,
    catalog: Catalog | None = None,
    destinations: set[str] | None = None,
) -> ValidationResult:
    """Every issue of an amp.yaml (text, or its parsed document); never raises.

    `catalog` defaults to the bundled provider catalog. `destinations` are the project's
    destination names; None skips the destination checks.
    """
    if isinstance(source, str):
        parsed = parse_yaml(source)
        if parsed.issues:
            return ValidationResult(None, parsed.issues)
        document, positions = parsed.document, parsed.positions
    else:
        document, positions = source, {}
        refusal = _unwalkable_issue(document)
        if refusal is not None:
            return ValidationResult(None, [refusal])
    if not isinstance(document, dict):
        message = (
            "The manifest must be a mapping with specVersion and integrations, not "
            f"{_type_name(document)}."
        )
        issue = ValidationIssue(ERROR, "manifest-not-mapping", "manifest", message)
        return ValidationResult(None, [_located(issue, positions)])
    clean, dropped, clean_positions = known_keys_only(document, positions)
    issues = [_unknown_key_issue(parent, written, positions) for parent, written in dropped]
    findings = _document_findings(clean, catalog or load_catalog(), destinations)
    issues += [_issue(finding, clean_positions) for finding in _unique(findings)]
    return ValidationResult(clean, issues[:MAX_ISSUES])


def _unwalkable_issue(document: object) -> ValidationIssue | None:
    """An error for a document too deep (or cyclic) or too large to walk; as YAML text is held."""
    stack: list[tuple[object, int]] = [(document, 0)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_NESTING:
            message = (
                f"The manifest is nested deeper than {MAX_NESTING} levels (or refers to itself)."
            )
            return ValidationIssue(ERROR, "manifest-too-deep", "manifest", message)
        if count > MAX_EXPANDED_NODES:
            message = f"The manifest holds more than {MAX_EXPANDED_NODES} values."
            return ValidationIssue(ERROR, "manifest-too-large", "manifest", message)
        if isinstance(node, dict):
            stack += [(value, depth + 1) for value in node.values()]
        elif isinstance(node, list | tuple):
            stack += [(value, depth + 1) for value in node]
    return None


# --- positions ---------------------------------------------------------------------------------


def _issue(finding: Finding, positions: Positions) -> ValidationIssue:
    issue = ValidationIssue(
        finding.severity, finding.rule, format_path(finding.path), finding.message
    )
    return _located(issue, positions, finding.path)


def _located(issue: ValidationIssue, positions: Positions, path: Path = ()) -> ValidationIssue:
    """The issue with the line and column of its path's node (of the nearest ancestor if absent).

    A key names a mapping entry, so an entry whose value is a collection is placed at its key; a
    scalar at the value itself. An absent path is placed where its parent mapping starts.
    """
    position: Position | None = positions.get(path)
    if position is not None:
        line, column = (
            (position.value_line, position.value_column)
            if position.scalar
            else (position.line, position.column)
        )
    else:
        while path and path not in positions:
            path = path[:-1]
        if path not in positions:
            return issue
        position = positions[path]
        line, column = position.value_line, position.value_column
    return ValidationIssue(issue.severity, issue.rule, issue.path, issue.message, line, column)


def _unknown_key_issue(parent: Path, written: Path, positions: Positions) -> ValidationIssue:
    key = written[-1]
    where = format_path(parent) if parent else "the top level"
    position = positions.get(written)
    line, column = (position.line, position.column) if position is not None else (None, None)
    return ValidationIssue(
        WARNING,
        "unknown-key",
        format_path((*parent, key)),
        f"The key {quoted(key)} is not part of the amp.yaml schema at {where}; the platform "
        "ignores it (a typo, or a key under the wrong parent?).",
        line,
        column,
    )


def _unique(findings: Iterator[Finding]) -> list[Finding]:
    seen: dict[tuple[str, Path, str], Finding] = {}
    for finding in findings:
        seen.setdefault((finding.rule, finding.path, finding.message), finding)
        if len(seen) >= MAX_ISSUES:
            break
    return list(seen.values())


# --- the document ------------------------------------------------------------------------------


def _document_findings(
    document: dict[str, Any], catalog: Catalog, destinations: set[str] | None
) -> Iterator[Finding]:
    yield from _schema_findings(document)
    yield from _string_findings(document, (), "")
    spec_version = document.get("specVersion")
    if isinstance(spec_version, str) and spec_version != SPEC_VERSION:
        yield Finding(
            ERROR,
            "spec-version",
            ("specVersion",),
            f"specVersion must be {SPEC_VERSION!r}, not {quoted(spec_version)}.",
        )
    integrations = document.get("integrations")
    if not isinstance(integrations, list):
        return
    if not integrations:
        yield Finding(
            ERROR,
            "integrations-required",
            ("integrations",),
            "The manifest needs at least one integration.",
        )
    first_index_of_name: dict[str, int] = {}
    for index, content in enumerate(integrations):
        if not isinstance(content, dict):
            continue
        yield from _integration_findings(content, ("integrations", index), catalog, destinations)
        name = content.get("name")
        if not isinstance(name, str):
            continue
        if name in first_index_of_name:
            yield Finding(
                ERROR,
                "integration-name-unique",
                ("integrations", index, "name"),
                f"The integration name {quoted(name)} is already used by "
                f"integrations[{first_index_of_name[name]}]; names must be unique.",
            )
        else:
            first_index_of_name[name] = index


def _integration_findings(
    content: dict[str, Any], base: Path, catalog: Catalog, destinations: set[str] | None
) -> Iterator[Finding]:
    if not any(content.get(action) is not None for action in (*ACTIONS, "proxy")):
        name = content.get("name")
        named = f" {quoted(name)}" if isinstance(name, str) else ""
        yield Finding(
            ERROR,
            "integration-action-required",
            base,
            f"The integration{named} defines no action: it needs at least one of read, write, "
            "subscribe or proxy.",
        )
    read_names: set[str] = set()
    for action in ACTIONS:
        objects = _objects_of(content, action)
        if objects is None:
            continue
        if not objects:
            yield Finding(
                ERROR,
                f"{action}-objects-required",
                (*base, action, "objects"),
                f"{action}.objects must list at least one object.",
            )
        names = yield from _duplicate_object_findings(objects, (*base, action, "objects"), action)
        if action == "read":
            read_names = names
    provider = content.get("provider")
    provider = provider if isinstance(provider, str) else ""
    module = content.get("module") if isinstance(content.get("module"), str) else ""
    for index, obj in enumerate(_objects_of(content, "read") or []):
        if isinstance(obj, dict):
            path = (*base, "read", "objects", index)
            yield from _read_object_findings(obj, path, provider, module, catalog, destinations)
    yield from _subscribe_findings(content, base, read_names, provider, destinations)
    yield from _watch_schema_findings(content, base, destinations)
    if provider:
        yield from _provider_findings(content, base, provider, module, catalog)


def _objects_of(content: dict[str, Any], action: str) -> list[Any] | None:
    """The objects of an action; None when the action is absent or not shaped as a mapping."""
    section = content.get(action)
    if not isinstance(section, dict):
        return None
    objects = section.get("objects")
    return objects if isinstance(objects, list) else [] if objects is None else None


def _duplicate_object_findings(
    objects: list[Any], path: Path, action: str
) -> Generator[Finding, None, set[str]]:
    """Findings for objects listed twice; returns the object names."""
    seen: set[str] = set()
    for index, obj in enumerate(objects):
        name = obj.get("objectName") if isinstance(obj, dict) else None
        if not isinstance(name, str):
            continue
        if name in seen:
            yield Finding(
                ERROR,
                f"duplicate-{action}-object",
                (*path, index, "objectName"),
                f"The object {quoted(name)} appears twice in {action}.objects; each object may "
                "be listed once per action.",
            )
        seen.add(name)
    return seen


# --- read objects ------------------------------------------------------------------------------


def _read_object_findings(
    obj: dict[str, Any],
    path: Path,
    provider: str,
    module: str,
    catalog: Catalog,
    destinations: set[str] | None,
) -> Iterator[Finding]:
    yield from _destination_findings(obj, path, destinations)
    schedule = obj.get("schedule")
    if isinstance(schedule, str):
        yield from _schedule_findings(schedule, (*path, "schedule"), MIN_READ_INTERVAL_MINUTES)
    yield from _field_findings(obj, path)
    yield from _always_enabled_findings(obj, path)
    delivery = obj.get("delivery")
    if isinstance(delivery, dict):
        yield from _delivery_findings(delivery, (*path, "delivery"))
    backfill = obj.get("backfill")
    if isinstance(backfill, dict) and isinstance(backfill.get("defaultPeriod"), dict):
        period_path = (*path, "backfill", "defaultPeriod")
        period = backfill["defaultPeriod"]
        yield from _default_period_findings(period, period_path)
        yield from _provider_backfill_findings(
            period, period_path, obj.get("objectName"), provider, module, catalog
        )


def _schedule_findings(schedule: str, path: Path, minimum: int) -> Iterator[Finding]:
    if len(schedule) > DEFAULT_MAX_STRING_LENGTH:
        return
    try:
        fields = parse_cron(schedule)
    except CronError as error:
        yield Finding(
            ERROR,
            "schedule-valid-cron",
            path,
            f"The schedule {quoted(schedule)} is not a valid 5-part cron expression: {error}",
        )
        return
    minute_field = schedule.split()[0]
    if minute_field == "*" and minimum == MIN_READ_INTERVAL_MINUTES:
        yield Finding(
            ERROR,
            "schedule-no-asterisk-minute",
            path,
            f"The schedule {quoted(schedule)} runs every minute ('*' in the minute field); use "
            "an interval such as '*/10 * * * *'.",
        )
        return
    if not ever_runs(schedule, fields):
        yield Finding(
            ERROR,
            "schedule-tick-calculation",
            path,
            f"The schedule {quoted(schedule)} never runs: no date matches its day and month "
            "fields, so it has no previous or next run.",
        )
        return
    interval = minimum_interval_minutes(fields)
    if interval < minimum:
        if minimum == MIN_READ_INTERVAL_MINUTES:
            rule, what, example = "schedule-minimum-interval", "10 minutes", "*/10 * * * *"
        else:
            rule, what, example = "watch-schema-minimum-interval", "an hour", "0 */6 * * *"
        yield Finding(
            ERROR,
            rule,
            path,
            f"The schedule {quoted(schedule)} runs {interval} minutes apart; runs must be at "
            f"least {what} apart (e.g. {example!r}).",
        )
    elif minimum == MIN_READ_INTERVAL_MINUTES and interval < FREQUENT_SCHEDULE_MINUTES:
        yield Finding(
            WARNING,
            "frequent-schedule-risk",
            path,
            f"The schedule {quoted(schedule)} runs every {interval} minutes, near the minimum; "
            "watch the provider's API rate limits for high-volume objects.",
        )


def _delivery_findings(delivery: dict[str, Any], path: Path) -> Iterator[Finding]:
    mode = delivery.get("mode", "auto")
    if mode == "auto" and "pageSize" in delivery:
        yield Finding(
            ERROR,
            "delivery-auto-no-pagesize",
            (*path, "pageSize"),
            f"pageSize {quoted(delivery['pageSize'])} cannot be set with delivery mode 'auto'; "
            "the platform sizes pages itself (pageSize is for mode 'onRequest').",
        )
    if mode == "onRequest" and delivery.get("pageSize") is None:
        yield Finding(
            ERROR,
            "delivery-onrequest-pagesize-required",
            (*path, "pageSize"),
            f"Delivery mode 'onRequest' needs a pageSize between {MIN_ON_REQUEST_PAGE_SIZE} and "
            f"{MAX_ON_REQUEST_PAGE_SIZE}.",
        )


def _default_period_findings(period: dict[str, Any], path: Path) -> Iterator[Finding]:
    has_days, has_full_history = "days" in period, "fullHistory" in period
    if has_days and has_full_history:
        yield Finding(
            ERROR,
            "backfill-period-exclusive",
            path,
            f"The backfill gives both days ({quoted(period['days'])}) and fullHistory "
            f"({quoted(period['fullHistory'])}); give only one.",
        )
        return
    if not has_days and not has_full_history:
        yield Finding(
            ERROR,
            "backfill-struct-valid",
            path,
            "The backfill's defaultPeriod needs days (how many days back to read, 0 for none) or "
            "fullHistory.",
        )
        return
    days = period.get("days")
    if is_whole_number(days) and days > MAX_DAYS:
        yield Finding(
            ERROR,
            "backfill-struct-valid",
            (*path, "days"),
            f"The backfill of {days} days is more than {MAX_DAYS}; use fullHistory: true for "
            "everything.",
        )
    elif is_whole_number(days) and days > LARGE_BACKFILL_DAYS:
        yield Finding(
            WARNING,
            "large-backfill-risk",
            (*path, "days"),
            f"A backfill of {days} days may time out on large datasets; consider "
            f"{LARGE_BACKFILL_DAYS} days or less for the initial sync.",
        )


def _provider_backfill_findings(
    period: dict[str, Any],
    path: Path,
    object_name: object,
    provider: str,
    module: str,
    catalog: Catalog,
) -> Iterator[Finding]:
    full_history, days = period.get("fullHistory"), period.get("days")
    if provider == "snowflake":
        if "days" in period or full_history is False:
            key = "days" if "days" in period else "fullHistory"
            yield Finding(
                ERROR,
                "snowflake-only-full-history",
                (*path, key),
                f"Snowflake backfills only the full history; replace {key}: "
                f"{quoted(period[key])} with fullHistory: true.",
            )
        return
    if full_history is True:
        yield Finding(
            WARNING,
            "large-backfill-risk",
            (*path, "fullHistory"),
            "A full-history backfill may time out on large datasets; consider a days-based "
            "backfill or test with a smaller range first.",
        )
    if object_name != "events" or not _is_google_calendar(provider, module, catalog):
        return
    if full_history is True:
        yield Finding(
            ERROR,
            "google-calendar-no-full-history",
            (*path, "fullHistory"),
            "Google Calendar cannot backfill the full history of events; use days: "
            f"{MAX_GOOGLE_CALENDAR_BACKFILL_DAYS} or fewer.",
        )
    if is_whole_number(days) and days > MAX_GOOGLE_CALENDAR_BACKFILL_DAYS:
        yield Finding(
            ERROR,
            "google-calendar-max-backfill",
            (*path, "days"),
            f"Google Calendar events backfill at most {MAX_GOOGLE_CALENDAR_BACKFILL_DAYS} days, "
            f"not {days}.",
        )


def _is_google_calendar(provider: str, module: str, catalog: Catalog) -> bool:
    # The spec names it `googlecalendar`; the catalog has it as the `calendar` module of `google`,
    # which is also that provider's default module.
    if provider == "googlecalendar":
        return True
    info = catalog.provider(provider) if provider == "google" else None
    return info is not None and (module or info.default_module) == "calendar"


def _field_findings(obj: dict[str, Any], path: Path) -> Iterator[Finding]:
    field_names: set[str] = set()
    map_to_names: set[str] = set()
    for list_key in ("requiredFields", "optionalFields"):
        fields = obj.get(list_key)
        if not isinstance(fields, list):
            continue
        for index, field in enumerate(fields):
            field_path = (*path, list_key, index)
            if not isinstance(field, dict):
                yield Finding(
                    ERROR,
                    "field-type-oneof",
                    field_path,
                    f"Each of {list_key} must be a mapping with fieldName (a provider field) or "
                    f"mapToName (a mapping the user picks), not {_type_name(field)}.",
                )
                continue
            yield from _field_shape_findings(field, field_path)
            field_name = field.get("fieldName")
            if isinstance(field_name, str):
                if field_name in field_names:
                    yield Finding(
                        ERROR,
                        "field-name-unique",
                        (*field_path, "fieldName"),
                        f"The field {quoted(field_name)} is listed twice in this object.",
                    )
                field_names.add(field_name)
            map_to_name = field.get("mapToName")
            if not isinstance(map_to_name, str):
                continue
            if map_to_name in map_to_names:
                yield Finding(
                    ERROR,
                    "field-mapping-unique",
                    (*field_path, "mapToName"),
                    f"Two fields of this object map to {quoted(map_to_name)}; each mapToName "
                    "must be unique.",
                )
            map_to_names.add(map_to_name)
            if "[" in map_to_name or "]" in map_to_name:
                yield Finding(
                    NOTE,
                    "field-mapping-simple-names",
                    (*field_path, "mapToName"),
                    f"mapToName {quoted(map_to_name)} uses bracket notation; mappings are meant "
                    "for simple field names.",
                )


def _field_shape_findings(field: dict[str, Any], path: Path) -> Iterator[Finding]:
    if "fieldName" in field:
        mixed = [key for key in MAPPED_FIELD_ONLY_KEYS if key in field]
        if mixed:
            yield Finding(
                ERROR,
                "field-type-oneof",
                (*path, mixed[0]),
                f"A field with fieldName {quoted(field['fieldName'])} is a provider field and "
                f"cannot take {', '.join(mixed)}, which belong to a mapping the user picks "
                "(one without fieldName).",
            )
    elif "mapToName" not in field and not (
        set(field) & {"mapToDisplayName", *MAPPED_FIELD_ONLY_KEYS}
    ):
        yield Finding(
            ERROR,
            "field-existent-name-required",
            (*path, "fieldName"),
            "A field needs fieldName (a provider field) or mapToName (a mapping the user picks).",
        )


def _always_enabled_findings(obj: dict[str, Any], path: Path) -> Iterator[Finding]:
    if obj.get("enabled") != "always":
        return
    required = obj.get("requiredFields")
    if not isinstance(required, list) or not required:
        yield Finding(
            ERROR,
            "always-enabled-required-fields",
            (*path, "requiredFields"),
            f"The object {quoted(obj.get('objectName'))} is read for every installation "
            "(enabled: always), so it needs requiredFields to read.",
        )
        return
    for index, field in enumerate(required):
        if isinstance(field, dict) and "mapToName" in field:
            yield Finding(
                ERROR,
                "always-enabled-no-maptoname",
                (*path, "requiredFields", index, "mapToName"),
                f"requiredFields of an object read for every installation (enabled: always) "
                f"name provider fields only; drop mapToName {quoted(field['mapToName'])}.",
            )


def _destination_findings(
    obj: dict[str, Any], path: Path, destinations: set[str] | None
) -> Iterator[Finding]:
    destination = obj.get("destination")
    if destinations is None or not isinstance(destination, str) or not destination.strip():
        return
    if destination in destinations:
        return
    known = ", ".join(sorted(destinations)[:20]) or "none"
    yield Finding(
        WARNING,
        "destination-exists",
        (*path, "destination"),
        f"No destination named {quoted(destination)} in this project (known: {known}); "
        "configure it before deploying.",
    )


# --- subscribe, schema watch, provider ---------------------------------------------------------


def _subscribe_findings(
    content: dict[str, Any],
    base: Path,
    read_names: set[str],
    provider: str,
    destinations: set[str] | None,
) -> Iterator[Finding]:
    objects = _objects_of(content, "subscribe")
    if objects is None:
        return
    if not isinstance(content.get("read"), dict):
        yield Finding(
            ERROR,
            "subscribe-requires-read",
            (*base, "subscribe"),
            "subscribe needs read: add a read section to this integration.",
        )
    elif provider == "salesforce" and len(objects) > MAX_SALESFORCE_SUBSCRIBE_OBJECTS:
        yield Finding(
            ERROR,
            "salesforce-subscribe-limit",
            (*base, "subscribe", "objects"),
            f"Salesforce allows at most {MAX_SALESFORCE_SUBSCRIBE_OBJECTS} subscribe objects, "
            f"not {len(objects)}.",
        )
    for index, obj in enumerate(objects):
        if not isinstance(obj, dict):
            continue
        path = (*base, "subscribe", "objects", index)
        yield from _destination_findings(obj, path, destinations)
        yield from _subscribe_object_findings(obj, path)
        name = obj.get("objectName")
        if (
            isinstance(content.get("read"), dict)
            and isinstance(name, str)
            and name not in read_names
        ):
            yield Finding(
                ERROR,
                "subscribe-object-read",
                (*path, "objectName"),
                f"Subscribing to {quoted(name)} needs it among the read objects of this "
                "integration.",
            )


def _subscribe_object_findings(obj: dict[str, Any], path: Path) -> Iterator[Finding]:
    events = [key for key in EVENT_KEYS if obj.get(key) is not None]
    if events and obj.get("inheritFieldsAndMapping") is not True:
        yield Finding(
            ERROR,
            "subscribe-inherit-fields-required",
            (*path, "inheritFieldsAndMapping"),
            f"The object {quoted(obj.get('objectName'))} subscribes to {', '.join(events)}, so "
            "it needs inheritFieldsAndMapping: true (spec version 1.0.0 has no separate field "
            "configuration for subscribe).",
        )
    if not events and not obj.get("otherEvents"):
        yield Finding(
            WARNING,
            "subscribe-minimum-events",
            path,
            f"The subscribe object {quoted(obj.get('objectName'))} enables no event; it "
            "subscribes to nothing until an installation config enables one.",
        )
    update = obj.get("updateEvent")
    if not isinstance(update, dict):
        return
    update_path = (*path, "updateEvent")
    auto, fields = update.get("watchFieldsAuto"), update.get("requiredWatchFields")
    if auto is not None and fields is not None:
        yield Finding(
            ERROR,
            "update-event-watch-fields-exclusive",
            update_path,
            f"updateEvent gives both watchFieldsAuto ({quoted(auto)}) and requiredWatchFields; "
            "choose one.",
        )
    elif auto is None and not fields:
        yield Finding(
            ERROR,
            "update-event-watch-fields-required",
            update_path,
            "updateEvent needs the fields to watch: requiredWatchFields (a list of fields) or "
            "watchFieldsAuto ('all' or 'selected').",
        )
    for index, field in enumerate(fields if isinstance(fields, list) else []):
        if isinstance(field, str) and ("." in field or "[" in field or "]" in field):
            yield Finding(
                ERROR,
                "watch-fields-no-nesting",
                (*update_path, "requiredWatchFields", index),
                f"The watch field {quoted(field)} is a nested path; only top-level fields can "
                "trigger update events.",
            )


def _watch_schema_findings(
    content: dict[str, Any], base: Path, destinations: set[str] | None
) -> Iterator[Finding]:
    watch = content.get("watchSchema")
    if not isinstance(watch, dict):
        return
    path = (*base, "watchSchema")
    yield from _destination_findings(watch, path, destinations)
    schedule = watch.get("schedule")
    if isinstance(schedule, str):
        yield from _schedule_findings(
            schedule, (*path, "schedule"), MIN_WATCH_SCHEMA_INTERVAL_MINUTES
        )


def _provider_findings(
    content: dict[str, Any], base: Path, provider: str, module: str, catalog: Catalog
) -> Iterator[Finding]:
    info = catalog.provider(provider)
    if info is None:
        yield Finding(
            ERROR,
            "provider-exists",
            (*base, "provider"),
            f"Unknown provider {quoted(provider)}: it is not in Ampersand's provider catalog.",
        )
        return
    shown = catalog.display_name(provider)
    if module and module not in info.modules:
        known = ", ".join(catalog.modules(provider)) or "none"
        yield Finding(
            ERROR,
            "provider-module-support",
            (*base, "module"),
            f"{shown} has no module {quoted(module)} (its modules: {known}).",
        )
        module = ""
    for action in ACTIONS:
        if content.get(action) is not None and not catalog.supports(provider, action, module):
            yield _unsupported(base, action, shown, module)
    proxy = content.get("proxy")
    if isinstance(proxy, dict) and proxy.get("enabled") is not False:
        # A proxy goes to the module's base URL only with useModule; otherwise to the provider's.
        proxy_module = module if proxy.get("useModule") is True else None
        if not catalog.supports(provider, "proxy", proxy_module):
            yield _unsupported(base, "proxy", shown, proxy_module or "")


def _unsupported(base: Path, action: str, shown: str, module: str) -> Finding:
    through = f" (module {module!r})" if module else ""
    return Finding(
        ERROR,
        f"provider-{action}-support",
        (*base, action),
        f"{shown}{through} does not support the {action} action.",
    )


# --- the published schema ----------------------------------------------------------------------


def _schema_findings(document: dict[str, Any]) -> Iterator[Finding]:
    for error in schema_errors(document):
        yield from _findings_from_schema_error(error)


def _findings_from_schema_error(error: ValidationError) -> Iterator[Finding]:
    path: Path = tuple(error.path)
    instance = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "required" and isinstance(instance, dict):
        title = schema.get("title", "")
        for key in error.validator_value:
            if key in instance:
                continue
            rule = REQUIRED_KEY_RULES.get((title, key), "manifest-schema")
            if rule == "read-object-schedule-required" and instance.get("enabled") == "always":
                rule = "always-enabled-schedule-required"
            if rule == "field-mapping-names-required" and not set(instance) - {"fieldName"}:
                continue  # an empty field entry: field-existent-name-required says it
            yield Finding(ERROR, rule, (*path, key), _required_message(title, key))
        return
    parent = path[-2] if len(path) > 1 and isinstance(path[-2], str) else "integrations"
    key = path[-1] if path and isinstance(path[-1], str) else ""
    rule = VALUE_RULES.get((parent, key), "manifest-schema")
    if path[:1] == ("specVersion",):
        rule = "spec-version"
    if any(part in ("backfill",) for part in path):
        rule = "backfill-struct-valid"
    shown = quoted(instance) if isinstance(instance, str | int | float | bool) else ""
    if error.validator == "type":
        if len(path) >= 2 and path[-2] in ("requiredFields", "optionalFields"):
            return  # field-type-oneof says it
        if rule not in ("spec-version", "backfill-struct-valid"):
            rule = "manifest-schema"
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(JSON_TYPE_NAMES.get(name, name) for name in names)
        yield Finding(
            ERROR,
            rule,
            path,
            f"{format_path(path)} must be {wanted}, not {_type_name(instance)} {shown}".rstrip()
            + ".",
        )
    elif error.validator == "enum":
        choices = ", ".join(repr(choice) for choice in error.validator_value)
        yield Finding(
            ERROR, rule, path, f"{format_path(path)} must be one of {choices}, not {shown}."
        )
    elif error.validator in ("minimum", "maximum"):
        if rule == "delivery-onrequest-pagesize-range":
            yield Finding(
                ERROR,
                rule,
                path,
                f"pageSize must be between {MIN_ON_REQUEST_PAGE_SIZE} and "
                f"{MAX_ON_REQUEST_PAGE_SIZE}, not {shown}.",
            )
            return
        bound = "at least" if error.validator == "minimum" else "at most"
        yield Finding(
            ERROR,
            rule,
            path,
            f"{format_path(path)} must be {bound} {error.validator_value}, not {shown}.",
        )
    else:
        yield Finding(
            ERROR,
            rule,
            path,
            f"{format_path(path)} does not match the manifest schema ({error.validator}).",
        )


def _required_message(title: str, key: str) -> str:
    if title == "Integration Field Mapping" and key == "mapToName":
        return (
            "A field without fieldName is a mapping the user picks, and needs mapToName (or give "
            "fieldName to read a provider field)."
        )
    what = {
        "Integration Manifest": "The manifest",
        "Integration": "Each integration",
        "Integration Object": "Each read object",
        "Integration Write Object": "Each write object",
        "Integration Subscribe Object": "Each subscribe object",
        "Backfill": "A backfill",
    }.get(title, title or "This mapping")
    return f"{what} needs {key}."


# --- strings -----------------------------------------------------------------------------------


def _string_findings(node: object, path: Path, parent_key: str) -> Iterator[Finding]:
    """Blank names, control characters and oversized strings anywhere in the manifest."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _string_findings(value, (*path, key), key if isinstance(key, str) else "")
        return
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _string_findings(item, (*path, index), parent_key)
        return
    if not isinstance(node, str):
        return
    limit = MAX_STRING_LENGTHS.get(parent_key, DEFAULT_MAX_STRING_LENGTH)
    if len(node) > limit:
        yield Finding(
            ERROR,
            "string-too-long",
            path,
            f"{format_path(path)} is {len(node)} characters long; the limit is {limit} "
            f"({quoted(node, 40)}).",
        )
        return
    if parent_key in NON_BLANK_KEYS and not node.strip():
        yield Finding(ERROR, "string-blank", path, f"{format_path(path)} must not be empty.")
        return
    if node.isprintable():
        return
    allowed = LINE_BREAKS if parent_key in MULTILINE_KEYS else frozenset()
    # Surrogates cannot be stored as UTF-8; a YAML "\ud800" escape can produce one.
    control = next(
        (
            char
            for char in node
            if unicodedata.category(char) in ("Cc", "Cs") and char not in allowed
        ),
        None,
    )
    if control is not None:
        yield Finding(
            ERROR,
            "string-control-characters",
            path,
            f"{format_path(path)} must not contain control characters (found U+{ord(control):04X} "
            f"in {quoted(node, 40)}).",
        )


def _type_name(value: object) -> str:
    names = {
        type(None): "null",
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }
    return names.get(type(value), type(value).__name__)
