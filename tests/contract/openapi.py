"""Check HTTP answers against the official Ampersand OpenAPI spec (`api.bundled.json` beside this).

`response_mismatches(method, path, status, content_type, body)` lists every way an answer departs
from the contract: undocumented status, wrong media type, a body where none belongs, or a JSON body
the operation's response schema rejects (formats such as `date-time` included).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator, oas30_format_checker

SPEC_PATH = Path(__file__).with_name("api.bundled.json")
EMULATOR_PREFIX = "/emulator/v1"
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
# The published schema wraps these in `oneOf` of a fixed-field variant {fieldName, mapToName?} and a
# mapping variant {mapToName, ...}; a renamed fixed field matches both and so fails `oneOf`. The
# API and its SDKs accept such fields, so they are checked with `anyOf` here. Nothing else changes.
ONE_OF_BUG_SCHEMAS = ("IntegrationField", "HydratedIntegrationField")


@dataclass(frozen=True)
class Operation:
    method: str
    path_template: str
    operation_id: str
    spec: dict[str, Any]


@cache
def load_spec() -> dict[str, Any]:
    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    for name in ONE_OF_BUG_SCHEMAS:
        schemas[name]["anyOf"] = schemas[name].pop("oneOf")
    return spec


@cache
def _path_patterns() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for template in load_spec()["paths"]:
        literal = re.escape(template)
        regex = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", literal)
        patterns.append((re.compile(f"{regex}$"), template))
    # Literal paths win over templated ones (`integrations:batch` before `integrations/{id}`).
    patterns.sort(key=lambda item: item[1].count("{"))
    return patterns


def find_operation(method: str, path: str) -> Operation | None:
    """The spec's operation for `method` on `path` (with or without the emulator's prefix)."""
    if path.startswith(EMULATOR_PREFIX):
        path = path.removeprefix(EMULATOR_PREFIX)
    for pattern, template in _path_patterns():
        if pattern.match(path):
            spec = load_spec()["paths"][template].get(method.lower())
            if spec is not None:
                return Operation(method.upper(), template, spec.get("operationId", ""), spec)
    return None


def schema_errors(schema: dict[str, Any], instance: Any) -> list[str]:
    """Why `instance` does not match `schema`, whose `#/components/...` refs point into the spec."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    errors = sorted(validator.iter_errors(instance), key=lambda error: list(error.path))
    return [f"{_json_path(error.absolute_path)}: {error.message[:300]}" for error in errors]


@cache
def _validator(schema_text: str) -> OAS30Validator:
    # The spec's components ride along in the root, so its internal refs resolve.
    schema = {**json.loads(schema_text), "components": load_spec()["components"]}
    return OAS30Validator(schema, format_checker=oas30_format_checker)


def _json_path(path: Any) -> str:
    text = "$"
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def response_mismatches(
    method: str, path: str, status: int, content_type: str, body: bytes
) -> list[str]:
    """Every way this answer departs from the spec; [] when it conforms."""
    media_type = content_type.split(";")[0].strip().lower()
    operation = find_operation(method, path)
    if operation is None:
        if status < 400:
            return [f"no operation {method} {path} in the spec, yet it answered {status}"]
        # Paths and methods the API lacks still answer with the API's problem shape.
        problem_schema = {"$ref": "#/components/schemas/ApiProblem"}
        return _body_mismatches({PROBLEM_JSON: {"schema": problem_schema}}, media_type, body)
    responses = operation.spec.get("responses", {})
    response = responses.get(str(status)) or responses.get("default")
    if response is None:
        return [f"{operation.operation_id}: status {status} is not in the spec"]
    mismatches = _body_mismatches(response.get("content") or {}, media_type, body)
    if status >= 400 and media_type != PROBLEM_JSON:
        mismatches.append(f"error status {status} answered as {media_type!r}, not {PROBLEM_JSON}")
    return [f"{operation.operation_id} {status}: {mismatch}" for mismatch in mismatches]


def _body_mismatches(content: dict[str, Any], media_type: str, body: bytes) -> list[str]:
    if not content:
        return [f"the spec gives no body, yet one came: {body[:80]!r}"] if body else []
    if media_type not in content:
        return [f"Content-Type {media_type!r} is not one of {sorted(content)}"]
    try:
        instance = json.loads(body)
    except ValueError as error:
        return [f"body is not JSON ({error}): {body[:80]!r}"]
    schema = content[media_type].get("schema")
    return schema_errors(schema, instance) if schema else []
