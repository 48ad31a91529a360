"""Parse and validate amp.yaml manifests the way the Ampersand API does.

Validation is the published manifest schema (`emulator/schema/manifest.json`, made strict at load
time) plus the rules the real API enforces beyond it: cron schedules, backfill periods, subscribe
needing read, unique names, delivery options, known destinations, sizes and control characters.
Every problem is reported as a `ManifestIssue` naming the path of the offending input.
"""

from __future__ import annotations

import itertools
import json
import math
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, ValidationError, validators
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_VERSION = "1.0.0"
MAX_SOURCE_BYTES = 1024 * 1024
MAX_ISSUES = 100
# A YAML document whose aliases expand beyond this many nodes is refused (billion laughs).
MAX_EXPANDED_NODES = 200_000
MAX_NESTING = 40
MIN_READ_INTERVAL_MINUTES = 10
MIN_WATCH_SCHEMA_INTERVAL_MINUTES = 60
MAX_STRING_LENGTHS = {"name": 200, "provider": 100}
DEFAULT_MAX_STRING_LENGTH = 1000
MAX_DAYS = 2**63 - 1  # the largest 64-bit integer; the API cannot store more

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

FIXED_FIELD_KEYS = ("fieldName", "mapToName", "mapToDisplayName")
MAPPED_FIELD_KEYS = ("mapToName", "mapToDisplayName", "default", "prompt")

SCHEMA_PATH = Path(__file__).parent / "schema" / "manifest.json"
SCHEMA_URI = "urn:ampersand:manifest"


@dataclass(frozen=True)
class ManifestIssue:
    name: str
    detail: str
    value: object = None


class ManifestError(Exception):
    def __init__(self, title: str, issues: list[ManifestIssue]) -> None:
        super().__init__(title)
        self.title = title
        self.issues = issues


# --- public interface ---------------------------------------------------------------------


def parse_manifest(source_yaml: str, *, destinations: set[str] | None = None) -> dict:
    """Parse and validate an amp.yaml text.

    Returns {"specVersion": "1.0.0", "integrations": [<content dict>, ...]}; raises ManifestError
    with every issue found (up to MAX_ISSUES).
    """
    document = load_yaml(source_yaml)
    issues = _schema_issues(document, _validator("Manifest"), [])
    if isinstance(document, dict):
        issues += _manifest_rule_issues(document, destinations)
    issues = _capped(issues)
    if issues:
        raise ManifestError("The manifest is not valid", issues)
    return {"specVersion": document["specVersion"], "integrations": document["integrations"]}


def validate_integration_content(
    content: object, *, path: str = "content", destinations: set[str] | None = None
) -> list[ManifestIssue]:
    """The issues of one manifest integration (the contract's `Integration-2`); [] if valid."""
    segments: list[str | int] = [path] if path else []
    issues = _schema_issues(content, _validator("Integration"), segments)
    if isinstance(content, dict):
        issues += _integration_rule_issues(content, segments, destinations)
    return _capped(issues)


def load_yaml(source_yaml: str) -> object:
    """`yaml.safe_load` with limits on size, nesting and alias expansion.

    Raises ManifestError for malformed or refused YAML.
    """
    if not isinstance(source_yaml, str):
        raise ManifestError(
            "The manifest is not valid YAML",
            [ManifestIssue("manifest", "The manifest must be text.", None)],
        )
    size = len(source_yaml.encode("utf-8", errors="replace"))
    if size > MAX_SOURCE_BYTES:
        raise ManifestError(
            "The manifest is too large",
            [
                ManifestIssue(
                    "manifest",
                    f"The manifest is {size} bytes; the limit is {MAX_SOURCE_BYTES} bytes (1 MiB).",
                    size,
                )
            ],
        )
    loader = yaml.SafeLoader(source_yaml)
    try:
        root = loader.get_single_node()
        if root is None:
            document = None
        else:
            _check_node_graph(root)
            document = loader.construct_document(root)
    except yaml.MarkedYAMLError as error:
        raise ManifestError("The manifest is not valid YAML", [_yaml_issue(error)]) from None
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as error:
        detail = "The YAML is nested too deeply." if isinstance(error, RecursionError) else ""
        raise ManifestError(
            "The manifest is not valid YAML",
            [ManifestIssue("manifest", detail or f"The YAML could not be read: {_short(error)}.")],
        ) from None
    finally:
        loader.dispose()
    return document


# --- YAML ---------------------------------------------------------------------------------


class _NodeGraphError(yaml.MarkedYAMLError):
    pass


def _check_node_graph(root: yaml.Node) -> None:
    """Refuse documents that expand too much through aliases, nest too deeply or repeat a key."""
    measured: dict[int, tuple[int, int]] = {}

    def measure(node: yaml.Node, depth: int) -> tuple[int, int]:
        known = measured.get(id(node))
        if known is not None:
            size, height = known
        else:
            if depth > MAX_NESTING:
                raise _NodeGraphError(
                    problem=f"nested deeper than {MAX_NESTING} levels (or an alias refers to "
                    "itself)",
                    problem_mark=node.start_mark,
                )
            size, height = 1, 0
            children: list[yaml.Node] = []
            if isinstance(node, yaml.SequenceNode):
                children = list(node.value)
            elif isinstance(node, yaml.MappingNode):
                seen_keys: set[str] = set()
                for key_node, value_node in node.value:
                    if isinstance(key_node, yaml.ScalarNode) and key_node.value != "<<":
                        if key_node.value in seen_keys:
                            raise _NodeGraphError(
                                problem=f"the key {_short(key_node.value)!r} appears twice in "
                                "this mapping",
                                problem_mark=key_node.start_mark,
                            )
                        seen_keys.add(key_node.value)
                    children += [key_node, value_node]
            for child in children:
                child_size, child_height = measure(child, depth + 1)
                size += child_size
                height = max(height, child_height + 1)
                if size > MAX_EXPANDED_NODES:
                    raise _NodeGraphError(
                        problem=f"expands to more than {MAX_EXPANDED_NODES} nodes through "
                        "aliases or sheer size",
                        problem_mark=node.start_mark,
                    )
            measured[id(node)] = (size, height)
        if depth + height > MAX_NESTING:
            raise _NodeGraphError(
                problem=f"nested deeper than {MAX_NESTING} levels", problem_mark=node.start_mark
            )
        return size, height

    measure(root, 0)


def _yaml_issue(error: yaml.MarkedYAMLError) -> ManifestIssue:
    mark = error.problem_mark or error.context_mark
    problem = _short(error.problem or error.context or "malformed YAML", 200)
    if mark is None:
        return ManifestIssue("manifest", f"The YAML is malformed: {problem}.")
    return ManifestIssue(
        "manifest",
        f"The YAML is malformed at line {mark.line + 1}, column {mark.column + 1}: {problem}.",
        {"line": mark.line + 1, "column": mark.column + 1},
    )


# --- the published schema -----------------------------------------------------------------


def _is_field_variant_one_of(node: dict[str, Any]) -> bool:
    variants = node.get("oneOf")
    if not isinstance(variants, list) or len(variants) != 2:
        return False
    required = {tuple(variant.get("required", ())) for variant in variants}
    return required == {("fieldName",), ("mapToName",)}


def _patched_schema(node: Any) -> Any:
    """The published schema, made strict: unknown keys refused, field variants told apart."""
    if isinstance(node, list):
        return [_patched_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    if _is_field_variant_one_of(node):
        # The published `oneOf` refuses a renamed fixed field {fieldName, mapToName}: it matches
        # both variants, yet the docs use it everywhere. The API tells them apart by fieldName.
        fixed, mapped = sorted(
            node["oneOf"], key=lambda variant: variant["required"] != ["fieldName"]
        )
        patched = {key: value for key, value in node.items() if key != "oneOf"}
        patched |= {
            "if": {"type": "object", "required": ["fieldName"]},
            "then": _patched_schema(fixed),
            "else": _patched_schema(mapped),
        }
        return patched
    patched = {key: _patched_schema_member(key, value) for key, value in node.items()}
    if "properties" in patched and "additionalProperties" not in patched:
        # The schema never closes its objects; the API refuses keys it does not know.
        patched["additionalProperties"] = False
    return patched


def _patched_schema_member(key: str, value: Any) -> Any:
    if key == "properties" and isinstance(value, dict):
        return {name: _patched_schema(schema) for name, schema in value.items()}
    if key in {"items", "additionalProperties", "not", "if", "then", "else"}:
        return _patched_schema(value)
    if key in {"oneOf", "anyOf", "allOf"}:
        return _patched_schema(value)
    return value


def _is_whole_number(_checker: object, instance: object) -> bool:
    # JSON Schema counts 5.0 as an integer; the API (Go) does not.
    return isinstance(instance, int) and not isinstance(instance, bool)


_StrictValidator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_whole_number),
)


@cache
def _validator(schema_name: str) -> Draft202012Validator:
    document = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    schemas = document["components"]["schemas"]
    document["components"]["schemas"] = {
        name: _patched_schema(schema) for name, schema in schemas.items()
    }
    registry = Registry().with_resource(
        SCHEMA_URI, Resource(contents=document, specification=DRAFT202012)
    )
    return _StrictValidator(
        {"$ref": f"{SCHEMA_URI}#/components/schemas/{schema_name}"}, registry=registry
    )


def _schema_issues(
    instance: object, validator: Draft202012Validator, base: list[str | int]
) -> list[ManifestIssue]:
    issues: list[ManifestIssue] = []
    errors = sorted(validator.iter_errors(instance), key=lambda error: list(map(str, error.path)))
    for error in errors:
        issues += _issues_from_error(error, [*base, *error.path])
        if len(issues) > MAX_ISSUES:
            break
    return issues


JSON_TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


def _issues_from_error(error: ValidationError, path: list[str | int]) -> list[ManifestIssue]:
    instance = error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    title = schema.get("title", "")
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = list(schema.get("properties", {}))
        issues = []
        for key in instance:
            if key in allowed:
                continue
            if title == "Integration Field Existent":
                detail = (
                    f"Unknown key {_short(key)!r}: a field with fieldName is a fixed field and "
                    f"allows only {', '.join(FIXED_FIELD_KEYS)} (a field the user picks has no "
                    f"fieldName and allows {', '.join(MAPPED_FIELD_KEYS)})."
                )
            else:
                detail = f"Unknown key {_short(key)!r}; allowed keys here: {', '.join(allowed)}."
            issues.append(ManifestIssue(_format_path([*path, key]), detail, _short(key)))
        return issues
    if error.validator == "required" and isinstance(instance, dict):
        issues = []
        for key in error.validator_value:
            if key in instance:
                continue
            if title == "Integration Field Mapping" and key == "mapToName":
                detail = (
                    "A field without fieldName is a mapping the user picks, and needs mapToName "
                    "(or give fieldName to read a fixed field)."
                )
            else:
                detail = f"{key} is required."
            issues.append(ManifestIssue(_format_path([*path, key]), detail))
        return issues
    name = _format_path(path)
    value = _json_safe(instance)
    if error.validator == "type" and not path:
        return [
            ManifestIssue(
                name,
                f"The manifest must be a mapping with specVersion and integrations, not "
                f"{_type_name(instance)}.",
            )
        ]
    if error.validator == "type":
        expected = error.validator_value
        expected_names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(JSON_TYPE_NAMES.get(item, item) for item in expected_names)
        return [ManifestIssue(name, f"Must be {wanted}, not {_type_name(instance)}.", value)]
    if error.validator == "enum":
        choices = ", ".join(repr(choice) for choice in error.validator_value)
        return [ManifestIssue(name, f"Must be one of: {choices}.", value)]
    if error.validator == "minimum":
        return [ManifestIssue(name, f"Must be at least {error.validator_value}.", value)]
    if error.validator == "maximum":
        return [ManifestIssue(name, f"Must be at most {error.validator_value}.", value)]
    return [ManifestIssue(name, f"Does not match the manifest schema ({error.validator}).", value)]


# --- rules beyond the schema --------------------------------------------------------------


def _manifest_rule_issues(
    document: dict[str, Any], destinations: set[str] | None
) -> list[ManifestIssue]:
    issues: list[ManifestIssue] = []
    spec_version = document.get("specVersion")
    if isinstance(spec_version, str) and spec_version != SPEC_VERSION:
        issues.append(
            ManifestIssue(
                "specVersion",
                f"Only specVersion {SPEC_VERSION!r} is supported.",
                _json_safe(spec_version),
            )
        )
    integrations = document.get("integrations")
    if not isinstance(integrations, list):
        return issues
    if not integrations:
        issues.append(
            ManifestIssue("integrations", "The manifest needs at least one integration.", None)
        )
    first_index_of_name: dict[str, int] = {}
    for index, content in enumerate(integrations):
        if not isinstance(content, dict):
            continue
        issues += _integration_rule_issues(content, ["integrations", index], destinations)
        name = content.get("name")
        if isinstance(name, str):
            if name in first_index_of_name:
                issues.append(
                    ManifestIssue(
                        _format_path(["integrations", index, "name"]),
                        f"Integration names must be unique; integrations"
                        f"[{first_index_of_name[name]}] has the same name.",
                        _json_safe(name),
                    )
                )
            else:
                first_index_of_name[name] = index
        if len(issues) > MAX_ISSUES:
            break
    return issues


def _integration_rule_issues(
    content: dict[str, Any], base: list[str | int], destinations: set[str] | None
) -> list[ManifestIssue]:
    issues = list(_string_issues(content, base, parent_key=""))
    if not any(
        content.get(action) is not None for action in ("read", "write", "subscribe", "proxy")
    ):
        issues.append(
            ManifestIssue(
                _format_path(base),
                "An integration needs at least one of read, write, subscribe or proxy.",
            )
        )
    read_names = set()
    for action in ("read", "write", "subscribe"):
        objects = _objects_of(content, action)
        if objects is None:
            continue
        if not objects:
            issues.append(
                ManifestIssue(_format_path([*base, action, "objects"]), f"{action} needs objects.")
            )
        seen: set[str] = set()
        for index, obj in enumerate(objects):
            object_path = [*base, action, "objects", index]
            if not isinstance(obj, dict):
                continue
            object_name = obj.get("objectName")
            if isinstance(object_name, str):
                if object_name in seen:
                    issues.append(
                        ManifestIssue(
                            _format_path([*object_path, "objectName"]),
                            f"{object_name!r} appears twice in {action}; each object may be "
                            "listed once.",
                            _json_safe(object_name),
                        )
                    )
                seen.add(object_name)
            if action == "read":
                issues += _read_object_issues(obj, object_path, destinations)
            elif action == "subscribe":
                issues += _destination_issues(obj, object_path, destinations)
        if action == "read":
            read_names = seen
    issues += _subscribe_issues(content, base, read_names)
    watch_schema = content.get("watchSchema")
    if isinstance(watch_schema, dict):
        watch_path = [*base, "watchSchema"]
        issues += _destination_issues(watch_schema, watch_path, destinations)
        issues += _schedule_issues(
            watch_schema, watch_path, MIN_WATCH_SCHEMA_INTERVAL_MINUTES, "Schema watches"
        )
    return issues


def _objects_of(content: dict[str, Any], action: str) -> list[Any] | None:
    section = content.get(action)
    if not isinstance(section, dict):
        return None
    objects = section.get("objects")
    return objects if isinstance(objects, list) else [] if objects is None else None


def _subscribe_issues(
    content: dict[str, Any], base: list[str | int], read_names: set[str]
) -> list[ManifestIssue]:
    subscribe_objects = _objects_of(content, "subscribe")
    if subscribe_objects is None:
        return []
    if not isinstance(content.get("read"), dict):
        return [
            ManifestIssue(
                _format_path([*base, "subscribe"]),
                "subscribe needs read: each subscribed object must also be a read object.",
            )
        ]
    issues = []
    for index, obj in enumerate(subscribe_objects):
        if not isinstance(obj, dict):
            continue
        object_name = obj.get("objectName")
        if isinstance(object_name, str) and object_name not in read_names:
            issues.append(
                ManifestIssue(
                    _format_path([*base, "subscribe", "objects", index, "objectName"]),
                    f"Subscribing to {_short(object_name)!r} needs it among the read objects of "
                    "this integration.",
                    _json_safe(object_name),
                )
            )
    return issues


def _read_object_issues(
    obj: dict[str, Any], path: list[str | int], destinations: set[str] | None
) -> list[ManifestIssue]:
    issues = _destination_issues(obj, path, destinations)
    issues += _schedule_issues(obj, path, MIN_READ_INTERVAL_MINUTES, "Reads")
    issues += _field_uniqueness_issues(obj, path)
    backfill = obj.get("backfill")
    if isinstance(backfill, dict) and isinstance(backfill.get("defaultPeriod"), dict):
        issues += _default_period_issues(
            backfill["defaultPeriod"], [*path, "backfill", "defaultPeriod"]
        )
    delivery = obj.get("delivery")
    if isinstance(delivery, dict):
        mode = delivery.get("mode", "auto")
        if mode == "auto" and "pageSize" in delivery:
            issues.append(
                ManifestIssue(
                    _format_path([*path, "delivery", "pageSize"]),
                    "pageSize applies only to delivery mode 'onRequest'; mode 'auto' (the "
                    "default) delivers every record as it is read.",
                    _json_safe(delivery["pageSize"]),
                )
            )
    return issues


def _default_period_issues(period: dict[str, Any], path: list[str | int]) -> list[ManifestIssue]:
    has_days, has_full_history = "days" in period, "fullHistory" in period
    if has_days and has_full_history:
        return [
            ManifestIssue(
                _format_path(path),
                "Give either days or fullHistory, not both.",
            )
        ]
    if not has_days and not has_full_history:
        return [
            ManifestIssue(
                _format_path(path),
                "Give days (how many days back to read, 0 for none) or fullHistory.",
            )
        ]
    days = period.get("days")
    if _is_whole_number(None, days) and days > MAX_DAYS:
        return [
            ManifestIssue(
                _format_path([*path, "days"]),
                f"Must be at most {MAX_DAYS}; use fullHistory: true for everything.",
                _json_safe(days),
            )
        ]
    return []


def _destination_issues(
    obj: dict[str, Any], path: list[str | int], destinations: set[str] | None
) -> list[ManifestIssue]:
    destination = obj.get("destination")
    if destinations is None or not isinstance(destination, str) or not destination.strip():
        return []
    if destination in destinations:
        return []
    known = ", ".join(sorted(destinations)[:20]) or "none"
    return [
        ManifestIssue(
            _format_path([*path, "destination"]),
            f"No destination named {_short(destination)!r} in this project (known: {known}).",
            _json_safe(destination),
        )
    ]


def _field_uniqueness_issues(obj: dict[str, Any], path: list[str | int]) -> list[ManifestIssue]:
    issues = []
    field_names: set[str] = set()
    map_to_names: set[str] = set()
    for list_key in ("requiredFields", "optionalFields"):
        fields = obj.get(list_key)
        if not isinstance(fields, list):
            continue
        for index, field in enumerate(fields):
            if not isinstance(field, dict):
                continue
            field_path = [*path, list_key, index]
            field_name = field.get("fieldName")
            if isinstance(field_name, str):
                if field_name in field_names:
                    issues.append(
                        ManifestIssue(
                            _format_path([*field_path, "fieldName"]),
                            f"The field {_short(field_name)!r} is listed twice in this object.",
                            _json_safe(field_name),
                        )
                    )
                field_names.add(field_name)
            map_to_name = field.get("mapToName")
            if isinstance(map_to_name, str):
                if map_to_name in map_to_names:
                    issues.append(
                        ManifestIssue(
                            _format_path([*field_path, "mapToName"]),
                            f"Two fields of this object map to {_short(map_to_name)!r}.",
                            _json_safe(map_to_name),
                        )
                    )
                map_to_names.add(map_to_name)
    return issues


def _string_issues(node: object, path: list[str | int], parent_key: str) -> Iterator[ManifestIssue]:
    """Blank names, control characters and oversized strings anywhere in an integration."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _string_issues(value, [*path, key], key if isinstance(key, str) else "")
        return
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _string_issues(item, [*path, index], parent_key)
        return
    if not isinstance(node, str):
        return
    limit = MAX_STRING_LENGTHS.get(parent_key, DEFAULT_MAX_STRING_LENGTH)
    if len(node) > limit:
        yield ManifestIssue(
            _format_path(path),
            f"Must be at most {limit} characters, not {len(node)}.",
            _json_safe(node),
        )
        return
    if parent_key in NON_BLANK_KEYS and not node.strip():
        yield ManifestIssue(_format_path(path), "Must not be empty.", node)
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
        yield ManifestIssue(
            _format_path(path),
            f"Must not contain control characters (found U+{ord(control):04X}).",
            _json_safe(node),
        )


# --- cron ---------------------------------------------------------------------------------

MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
WEEKDAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
CRON_FIELDS: list[tuple[str, int, int, list[str]]] = [
    ("minute", 0, 59, []),
    ("hour", 0, 23, []),
    ("day of month", 1, 31, []),
    ("month", 1, 12, MONTH_NAMES),
    ("day of week", 0, 6, WEEKDAY_NAMES),
]


class CronError(ValueError):
    pass


def parse_cron(expression: str) -> list[set[int]]:
    """The values each of the 5 fields of a cron expression allows; CronError if malformed."""
    parts = expression.split()
    if len(parts) != len(CRON_FIELDS):
        raise CronError(
            f"A schedule has exactly 5 fields (minute hour day-of-month month day-of-week), "
            f"not {len(parts)}."
        )
    return [_parse_cron_field(part, *field) for part, field in zip(parts, CRON_FIELDS, strict=True)]


def _parse_cron_field(
    text: str, label: str, lowest: int, highest: int, names: list[str]
) -> set[int]:
    def number(token: str) -> int:
        upper = token.upper()
        if upper in names:
            return names.index(upper) + lowest
        if not token.isascii() or not token.isdigit():
            raise CronError(f"The {label} field has {_short(token)!r}, which is not a number.")
        value = int(token)
        if not lowest <= value <= highest:
            raise CronError(f"The {label} field must be within {lowest}-{highest}, not {value}.")
        return value

    values: set[int] = set()
    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not step_text.isascii() or not step_text.isdigit() or int(step_text) < 1:
                raise CronError(f"The {label} field has the step {_short(step_text)!r}; use */n.")
            step = int(step_text)
        if base == "*":
            start, end = lowest, highest
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = number(first), number(last)
            if start > end:
                raise CronError(f"The {label} field has the backward range {_short(base)!r}.")
        else:
            start = number(base)
            end = highest if slash else start
        values.update(range(start, end + 1, step))
    return values


def minimum_interval_minutes(fields: list[set[int]]) -> int:
    """The shortest gap between two runs, counting the minute and hour fields only.

    Day, month and weekday fields can only remove runs, so this never overstates the gap.
    """
    minutes, hours = fields[0], fields[1]
    times = sorted(hour * 60 + minute for hour in hours for minute in minutes)
    if len(times) == 1:
        return 24 * 60
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    gaps.append(24 * 60 - times[-1] + times[0])
    return min(gaps)


def _schedule_issues(
    obj: dict[str, Any], path: list[str | int], minimum: int, what: str
) -> list[ManifestIssue]:
    schedule = obj.get("schedule")
    if not isinstance(schedule, str) or len(schedule) > DEFAULT_MAX_STRING_LENGTH:
        return []
    name = _format_path([*path, "schedule"])
    try:
        fields = parse_cron(schedule)
    except CronError as error:
        return [ManifestIssue(name, f"Not a valid cron schedule: {error}", _json_safe(schedule))]
    interval = minimum_interval_minutes(fields)
    if interval < minimum:
        every = "every 10 minutes" if minimum == 10 else "once an hour"
        example = "*/10 * * * *" if minimum == 10 else "0 */6 * * *"
        return [
            ManifestIssue(
                name,
                f"{what} can run at most {every}, but this schedule runs {interval} minutes "
                f"apart (the shortest gap between two runs from the minute and hour fields); "
                f"e.g. {example!r}.",
                _json_safe(schedule),
            )
        ]
    return []


# --- helpers ------------------------------------------------------------------------------


def _format_path(path: list[str | int]) -> str:
    """`integrations[0].read.objects[1].schedule`; the whole document is `manifest`."""
    if not path:
        return "manifest"
    text = ""
    for segment in path:
        if isinstance(segment, int) and not isinstance(segment, bool):
            text += f"[{segment}]"
        else:
            key = _short(segment if isinstance(segment, str) else repr(segment), 60)
            text += f".{key}" if text else key
    return text


def _short(value: object, limit: int = 80) -> str:
    """Text fit for a message: cut to `limit` characters, surrogates spelled out."""
    text = value if isinstance(value, str) else str(value)
    text = text if len(text) <= limit else f"{text[:limit]}…"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


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


def _json_safe(value: object) -> object:
    """A short, JSON-serialisable stand-in for an offending value."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _short(value, 200)
    return None


def _capped(issues: list[ManifestIssue]) -> list[ManifestIssue]:
    unique = {(issue.name, issue.detail): issue for issue in reversed(issues)}
    return list(reversed(unique.values()))[:MAX_ISSUES]
