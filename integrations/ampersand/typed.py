"""Decoding an integration's JSON straight into typed structs (msgspec), the fastest check.

For JSON with exactly the contract's keys, `decode_integration(text)` returns structs that hold
every value of the JSON as sent (strings, numbers, lists; timestamps stay text): enough to
check it, hash it and read it, without building the dicts of a plain decode. Anything it is not
sure of gives None, and the caller takes the slower paths (`contract.py`, then the precise
check), so like `JsonContractCheck` it accepts nothing the precise check refuses.

The structs are derived from the contract models, so they cannot drift apart:
- each model becomes a struct keyed by its JSON names that refuses unknown keys (a struct must
  hold the whole JSON, for the hash) and leaves an absent key UNSET (absent is not null);
- types are the JSON ones, strict: no "5" read as 5; a timestamp is text of a plain RFC 3339
  form that the models' datetime certainly accepts (other forms are left to the precise check);
- `ge`/`le` constraints carry over; a model with a validator, option or type it cannot carry
  makes the whole tree underivable (`INTEGRATION_STRUCT` is then None and nothing takes this
  path), except the two rules written here against the models: a field's variant is told by
  `fieldName` (as the models' discriminator does; a mapped field needs a `mapToName` string) and
  a backfill period needs days or fullHistory (`period_is_set`, which the model's validator
  also uses); a model gaining any other validator is no longer derived.

`canonical_bytes(struct)` is the JSON of the struct with keys sorted: the same bytes as the
models' `canonical_hash` input for the same JSON, as tests hold it to.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Union

import annotated_types
import msgspec
from msgspec import UNSET, Meta, UnsetType
from pydantic import BaseModel, BeforeValidator, Discriminator

from integrations.ampersand.models import (
    DefaultPeriod,
    FixedField,
    Integration,
    MappedField,
    _field_variant,
    _require_timestamp_text,
    period_is_set,
)

# RFC 3339 timestamps in the form the API sends, each of which Python's datetime (so the models)
# accepts: day 29 to 31 only in months that always have it, years 1000 to 9999.
TIMESTAMP_PATTERN = (
    r"\A[1-9]\d{3}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
    r"|(?:0[13578]|1[02])-31)T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?"
    r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)\Z"
)
Timestamp = Annotated[str, Meta(pattern=TIMESTAMP_PATTERN)]

# Model validators the structs cannot express, by name, and the rule checked after decoding in
# their place. A model with any other validator is not derived.
MODEL_RULES: dict[type[BaseModel], tuple[set[str], Callable[[Any], bool]]] = {
    DefaultPeriod: (
        {"_days_or_full_history"},
        lambda period: period_is_set(
            None if period.days is UNSET else period.days,
            None if period.full_history is UNSET else period.full_history,
        ),
    ),
}
# Model options that change nothing of what a model accepts.
_NEUTRAL_CONFIG = frozenset({"alias_generator", "populate_by_name", "extra", "frozen", "title"})
_CONSTRAINTS = {
    annotated_types.Ge: "ge",
    annotated_types.Gt: "gt",
    annotated_types.Le: "le",
    annotated_types.Lt: "lt",
}


class Underivable(Exception):
    """A model uses something the structs cannot carry: no struct for it."""


class _Deriver:
    """Builds the struct of a model and of every model under it."""

    def __init__(self) -> None:
        self.structs: dict[Any, type[msgspec.Struct]] = {}
        self.rules: dict[type[msgspec.Struct], Callable[[Any], bool]] = {}
        # Per struct, its attributes that lead to a struct with a rule (so a check walks no
        # more), each with how it is checked.
        self.leads: dict[type[msgspec.Struct], list[tuple[str, Any]]] = {}

    def model(self, model: type[BaseModel]) -> type[msgspec.Struct]:
        if model in self.structs:
            return self.structs[model]
        _check_plain(model)
        fields = []
        rename = {}
        for name, info in model.model_fields.items():
            alias = info.validation_alias or info.alias or name
            if not isinstance(alias, str):
                raise Underivable(f"{model.__name__}.{name} has a complex alias")
            rename[name] = alias
            kind = self.annotation(info.annotation, info.metadata)
            fields.append((name, kind) if info.is_required() else (name, kind | UnsetType, UNSET))
        struct = msgspec.defstruct(
            f"{model.__name__}Struct",
            fields,
            kw_only=True,
            rename=rename,
            forbid_unknown_fields=True,
        )
        self.structs[model] = struct
        if model in MODEL_RULES:
            self.rules[struct] = MODEL_RULES[model][1]
        return struct

    def annotation(self, annotation: Any, metadata: list[Any] = ()) -> Any:
        constraints = {}
        for item in metadata:
            if type(item) in _CONSTRAINTS:
                name = _CONSTRAINTS[type(item)]
                constraints[name] = getattr(item, name)
            elif not (isinstance(item, BeforeValidator) and item.func is _require_timestamp_text):
                raise Underivable(f"cannot carry {item!r}")
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is Annotated:
            base, *more = args
            if any(isinstance(item, Discriminator) for item in more):
                return self.field_union(base, more)
            return self.annotation(base, [*metadata, *more])
        if annotation is datetime:
            return Timestamp
        if annotation in (str, bool) or (annotation is int and not constraints):
            return annotation
        if annotation is int:
            return Annotated[int, Meta(**constraints)]
        if origin in (Union, types.UnionType):
            # Constraints of an optional field are on the value when there is one.
            parts = [None if arg is type(None) else self.annotation(arg, metadata) for arg in args]
            return Union[tuple(parts)]  # noqa: UP007 (built from a list)
        if constraints:
            raise Underivable(f"constraints on {annotation!r}")
        if origin is list:
            return list[self.annotation(args[0])]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return self.model(annotation)
        raise Underivable(f"cannot carry {annotation!r}")

    def field_union(self, union: Any, metadata: list[Any]) -> Any:
        """The models' integration field: one struct with the keys of both variants, told apart
        after decoding by `fieldName` (see `_field_is_valid`)."""
        if union in self.structs:
            return self.structs[union]
        [discriminator] = [item for item in metadata if isinstance(item, Discriminator)]
        members = [typing.get_args(arg)[0] for arg in typing.get_args(union)]
        if discriminator.discriminator is not _field_variant or members != [
            FixedField,
            MappedField,
        ]:
            raise Underivable("an unknown union")
        # The rule below knows these variants as they are: a change of them must be seen here.
        if {n for n, f in FixedField.model_fields.items() if f.is_required()} != {"field_name"} or {
            n for n, f in MappedField.model_fields.items() if f.is_required()
        } != {"map_to_name"}:
            raise Underivable("the field variants changed")
        fields: dict[str, Any] = {}
        for member in members:
            _check_plain(member)
            for name, info in member.model_fields.items():
                kind = self.annotation(info.annotation, info.metadata)
                fields[name] = kind if name not in fields else Union[fields[name], kind]  # noqa: UP007
        struct = msgspec.defstruct(
            "IntegrationFieldStruct",
            [(name, kind | UnsetType, UNSET) for name, kind in fields.items()],
            kw_only=True,
            rename={name: _alias(name, members) for name in fields},
            forbid_unknown_fields=True,
        )
        self.rules[struct] = _field_is_valid
        self.structs[union] = struct
        return struct

    def link(self) -> None:
        """Record, for each struct, which attributes lead to a struct with a rule."""
        reaches: dict[Any, bool] = {}

        def reaches_rule(kind: Any) -> bool:
            if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
                if kind not in reaches:
                    reaches[kind] = kind in self.rules
                    leads = [
                        field for field in msgspec.structs.fields(kind) if reaches_rule(field.type)
                    ]
                    self.leads[kind] = [(field.name, field.type) for field in leads]
                    reaches[kind] = reaches[kind] or bool(leads)
                return reaches[kind]
            return any(reaches_rule(arg) for arg in typing.get_args(kind))

        for struct in self.structs.values():
            reaches_rule(struct)
        # How each lead is checked: a struct that has a rule and nothing under it to check (a
        # list of fields) by the rule alone, without a call per struct to the walk.
        for struct, leads in self.leads.items():
            self.leads[struct] = [(name, self.check_of(kind)) for name, kind in leads]

    def check_of(self, kind: Any) -> Callable[[Any], bool]:
        [struct] = _structs_in(kind)
        if struct in self.rules and not self.leads.get(struct):
            return self.rules[struct]
        return _follows_rules


def _check_plain(model: type[BaseModel]) -> None:
    """Refuse a model whose validators or options the structs do not carry."""
    decorators = model.__pydantic_decorators__
    validators = set(decorators.model_validators) - {"_remember_raw"}
    known = MODEL_RULES[model][0] if model in MODEL_RULES else set()
    if decorators.field_validators or decorators.root_validators or validators != known:
        raise Underivable(f"{model.__name__} has validators")
    if set(model.model_config) - _NEUTRAL_CONFIG:
        raise Underivable(f"{model.__name__} has options that change what it accepts")


def _structs_in(kind: Any) -> set[type[msgspec.Struct]]:
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        return {kind}
    return set().union(*map(_structs_in, typing.get_args(kind)))


def _alias(name: str, models: list[type[BaseModel]]) -> str:
    [alias] = {model.model_fields[name].alias for model in models if name in model.model_fields}
    return alias


def _field_is_valid(field: Any) -> bool:
    # With fieldName it is a FixedField, which needs nothing more; without, a MappedField,
    # whose mapToName is a string.
    return field.field_name is not UNSET or type(field.map_to_name) is str


def _derive(model: type[BaseModel]) -> tuple[Any, dict, dict]:
    deriver = _Deriver()
    try:
        struct = deriver.model(model)
    except Underivable:
        return None, {}, {}
    deriver.link()
    return struct, deriver.rules, deriver.leads


def decode_integration(text: bytes | str) -> Any:
    """The integration as structs if it certainly meets the contract, else None."""
    if _DECODER is None:
        return None
    try:
        integration = _DECODER.decode(text)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    return integration if _follows_rules(integration) else None


def canonical_bytes(integration: Any) -> bytes:
    """The JSON of decoded structs with every object's keys sorted, compact."""
    return _ENCODER.encode(integration)


def _follows_rules(node: Any) -> bool:
    rule = _RULES.get(type(node))
    if rule is not None and not rule(node):
        return False
    for name, check in _LEADS.get(type(node), ()):
        child = getattr(node, name)
        if type(child) is list:
            if not all(map(check, child)):
                return False
        elif child is not UNSET and child is not None and not check(child):
            return False
    return True


INTEGRATION_STRUCT, _RULES, _LEADS = _derive(Integration)
_DECODER = msgspec.json.Decoder(INTEGRATION_STRUCT) if INTEGRATION_STRUCT else None
_ENCODER = msgspec.json.Encoder(order="sorted")
