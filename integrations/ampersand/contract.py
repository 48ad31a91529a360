"""A fast, JSON-level check of API answers against the contract models.

`contract_checker` (models.py) is the precise check: it says exactly what is wrong and where,
but it validates decoded Python data, building a model per nested object. `JsonContractCheck`
validates JSON text in one pass in Rust and returns the decoded data itself, so checking and
decoding an item cost little more than decoding it. It only answers "certainly valid" (the data)
or "not sure" (None): the precise check then decides, and names the faults.

Its schema is derived from the models' own pydantic core schema, so the two cannot drift apart:
- every model becomes a typed dict keyed by its JSON names, unknown keys allowed, fields that
  have a default optional; a key under its Python name (which `populate_by_name` would also
  accept) is refused, leaving those rare items to the precise check;
- validation is strict, so every value is the JSON value unchanged (no "5" read as 5), and the
  returned data is exactly what `json.loads` gives;
- the variant of an integration field is told by whether `fieldName` is present
  (`FIELD_VARIANT_MARKERS`), as the models' discriminator does, without a Python call per field;
- a date-time is a string of the plain RFC 3339 form the API sends (`RFC3339_SUBSET`), which
  the precise check always accepts; the contract's timestamps only refuse numbers before that
  (`_require_timestamp_text`), which a strict string refuses too;
- a model rule "at least one of these fields is set" (`needs_one_of`, `DefaultPeriod`) is a
  union of the model with each of those fields required and not null;
- any other Python validator, and any type whose value would not come back as JSON, runs the
  precise check on that part only, in Python, and keeps the JSON value.

So the fast check accepts nothing that the precise check refuses; tests hold it to that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from pydantic_core import CoreConfig, SchemaValidator

from integrations.ampersand.models import (
    FIELD_VARIANT_MARKERS,
    ApiModel,
    _field_variant,
    _require_timestamp_text,
    _without_raw_hooks,
)

# Schema types whose strict JSON validation returns the JSON value itself.
_AS_JSON = frozenset({"any", "bool", "definition-ref", "dict", "int", "list", "none", "nullable"})
# Of those, the ones whose own `strict=False` would override the validator's strictness.
_STRICTABLE = frozenset({"bool", "dict", "int", "list", "nullable", "str"})
# A str schema with these options changes the string it returns.
_STR_REWRITES = frozenset({"strip_whitespace", "to_lower", "to_upper"})
# Model options that change the strings a model keeps.
_CONFIG_REWRITES = ("str_strip_whitespace", "str_to_lower", "str_to_upper")
# Refuses whatever value it is given: marks a key the fast check leaves to the precise one.
_REFUSED = {"type": "str", "strict": True, "pattern": "[^\\s\\S]"}
# Date-times in the form the API sends, every one a valid date: year 1000-9999, at most six
# digits of fraction, Z or an offset under 24 hours. February 29 is left out (leap years), so
# it goes to the precise check, as does any other form the precise check may accept.
RFC3339_SUBSET = (
    "^[1-9][0-9]{3}-(?:"
    "(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    "|(?:0[13-9]|1[0-2])-(?:29|30)"
    "|(?:0[13578]|1[02])-31"
    ")T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,6})?"
    "(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"
)
# datetime options that do not narrow what it accepts from such a string.
_PLAIN_DATETIME = frozenset({"type", "microseconds_precision", "ref", "metadata", "serialization"})


class JsonContractCheck:
    """`check(text)`: the decoded JSON if it certainly meets the contract of `model`, else None."""

    def __init__(self, model: type[ApiModel]) -> None:
        original = _without_raw_hooks(model.__pydantic_core_schema__)
        self._definitions = original["definitions"] if original["type"] == "definitions" else []
        self._by_ref = {definition["ref"]: definition for definition in self._definitions}
        self._fast_schema = self._fast(original, config=None)
        self._validator = SchemaValidator(self._fast_schema, config=CoreConfig(strict=True))

    def check(self, text: bytes | bytearray | str) -> Any:
        try:
            return self._validator.validate_json(text)
        except ValidationError:
            return None

    # --- Deriving the fast schema ---------------------------------------------------------------

    def _fast(self, schema: Any, *, config: dict[str, Any] | None) -> Any:
        kind = schema["type"]
        function = schema.get("function", {}).get("function")
        if kind == "definitions":
            return {
                "type": "definitions",
                "schema": self._fast(schema["schema"], config=config),
                "definitions": [self._fast(item, config=config) for item in schema["definitions"]],
            }
        if kind == "model":
            fast = self._model(schema)
        elif kind == "datetime" and schema.keys() <= _PLAIN_DATETIME:
            fast = {"type": "str", "pattern": RFC3339_SUBSET}
        elif kind == "function-before" and function is _require_timestamp_text:
            fast = self._fast(schema["schema"], config=config)
        elif kind == "function-after" and hasattr(function, "needs_one_of"):
            fast = self._one_of(schema, config=config)
        elif kind == "tagged-union" and schema["discriminator"] is _field_variant:
            fast = self._field_union(schema, config=config)
        elif kind == "union":
            fast = {
                "type": "union",
                "choices": [
                    self._fast(self._choice(choice), config=config) for choice in schema["choices"]
                ],
            }
        elif kind == "str" and not _STR_REWRITES & schema.keys():
            fast = {key: value for key, value in schema.items() if key not in ("ref", "metadata")}
        elif kind in _AS_JSON:
            fast = {
                key: self._fast_part(key, value, config=config)
                for key, value in schema.items()
                if key not in ("ref", "metadata", "serialization")
            }
        else:
            fast = self._precisely(schema, config=config)
        if kind in _STRICTABLE:
            fast["strict"] = True
        if "ref" in schema:
            fast["ref"] = schema["ref"]
        return fast

    def _fast_part(self, key: str, value: Any, *, config: dict[str, Any] | None) -> Any:
        if key in ("schema", "items_schema", "keys_schema", "values_schema"):
            return self._fast(value, config=config)
        return value

    def _choice(self, choice: Any) -> Any:
        # A union choice may be given as (schema, label).
        return choice[0] if isinstance(choice, tuple) else choice

    def _model(self, schema: dict[str, Any]) -> dict[str, Any]:
        config = schema.get("config") or {}
        fields_schema = schema["schema"]
        if (
            fields_schema["type"] != "model-fields"
            or schema.get("root_model")
            or any(config.get(option) for option in _CONFIG_REWRITES)
        ):
            return self._precisely(schema, config=config)
        fields: dict[str, Any] = {}
        for name, field in fields_schema["fields"].items():
            alias = field.get("validation_alias", name)
            inner = field["schema"]
            if not isinstance(alias, str) or (
                inner["type"] == "default" and inner.get("validate_default")
            ):
                return self._precisely(schema, config=config)
            required = inner["type"] != "default"
            if not required:
                inner = inner["schema"]
            fields[alias] = {
                "type": "typed-dict-field",
                "schema": self._fast(inner, config=config),
                "required": required,
            }
            if name != alias:
                fields[name] = {"type": "typed-dict-field", "schema": _REFUSED, "required": False}
        extra = fields_schema.get("extra_behavior") or config.get("extra_fields_behavior")
        # Unknown keys a model ignores are kept all the same: the data must come back whole.
        return {
            "type": "typed-dict",
            "fields": fields,
            "extra_behavior": "forbid" if extra == "forbid" else "allow",
        }

    def _one_of(self, schema: dict[str, Any], *, config: dict[str, Any] | None) -> Any:
        """A model whose rule needs one of some fields set: a union of the model with each of
        them required and not null."""
        model = self._resolved(schema["schema"])
        fast = self._fast(model, config=config)
        if fast.get("type") != "typed-dict":
            return self._precisely(schema, config=config)
        fast.pop("ref", None)
        fields = model["schema"]["fields"]
        choices = []
        for name in schema["function"]["function"].needs_one_of:
            alias = fields[name].get("validation_alias", name)
            field = fast["fields"][alias]
            inner = field["schema"]
            if inner.get("type") == "nullable":
                inner = {**inner["schema"], "strict": True}
            choices.append(
                {
                    **fast,
                    "fields": {
                        **fast["fields"],
                        alias: {**field, "schema": inner, "required": True},
                    },
                }
            )
        return {"type": "union", "choices": choices, "mode": "left_to_right"}

    def _field_union(self, schema: dict[str, Any], *, config: dict[str, Any] | None) -> Any:
        choices = {tag: self._resolved(choice) for tag, choice in schema["choices"].items()}
        fixed = self._fast(choices["FixedField"], config=config)
        mapped = self._fast(choices["MappedField"], config=config)
        fixed.pop("ref", None)
        mapped.pop("ref", None)
        refused = {"type": "typed-dict-field", "schema": _REFUSED, "required": False}
        # Without a marker key the models' discriminator picks MappedField, with one FixedField.
        mapped["fields"] = {
            **mapped["fields"],
            **dict.fromkeys(FIELD_VARIANT_MARKERS, refused),
        }
        return {"type": "union", "choices": [fixed, mapped], "mode": "left_to_right"}

    def _resolved(self, schema: dict[str, Any]) -> dict[str, Any]:
        if schema["type"] == "definition-ref":
            return self._by_ref[schema["schema_ref"]]
        return schema

    def _precisely(self, schema: Any, *, config: dict[str, Any] | None) -> dict[str, Any]:
        """This part checked by the precise validator, in Python, keeping the JSON value."""
        validator = SchemaValidator(
            {"type": "definitions", "schema": schema, "definitions": self._definitions},
            config=config or None,
        )
        return {
            "type": "function-plain",
            "function": {"type": "no-info", "function": _keeping_value(validator)},
        }


def _keeping_value(validator: SchemaValidator) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        validator.validate_python(value)
        return value

    return check
