"""Decoding into typed structs accepts nothing the precise check refuses, and what it accepts
hashes, reads and searches exactly as the JSON decoded into dicts does."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from pydantic import ConfigDict, field_validator, model_validator
from pydantic_core import from_json

from integrations.ampersand import typed
from integrations.ampersand.models import ApiModel, DefaultPeriod, Integration
from integrations.models import (
    canonical_hash,
    snapshot_columns,
    typed_canonical_hash,
    typed_snapshot_columns,
)
from integrations.search import search_text, typed_search_text
from tests.ampersand.samples import integration_body
from tests.ampersand.test_contract import mutated, mutations, precise_accepts


def full_body(**overrides: Any) -> dict[str, Any]:
    """An integration using every part of the contract's content."""
    body = integration_body(**overrides)
    content = body["latestRevision"]["content"]
    content["displayName"] = "Read accounts"
    content["module"] = "crm"
    obj = content["read"]["objects"][0]
    obj["optionalFields"] = [
        {"fieldName": "Phone", "mapToName": None, "mapToDisplayName": "Téléphone"},
        {"mapToName": "priority", "mapToDisplayName": "Priority", "prompt": "Pick", "default": "x"},
    ]
    obj["delivery"] = {"mode": "auto", "pageSize": 50}
    content["write"] = {
        "objects": [
            {
                "objectName": "contact",
                "inheritMapping": True,
                "valueDefaults": {"allowAnyFields": False},
            }
        ]
    }
    content["subscribe"] = {
        "objects": [
            {
                "objectName": "account",
                "destination": "hook",
                "inheritFieldsAndMapping": False,
                "createEvent": {"enabled": "always"},
                "updateEvent": {"enabled": "always", "requiredWatchFields": ["name"]},
                "deleteEvent": {"enabled": "always"},
                "associationChangeEvent": {"enabled": "always", "includeFullRecords": True},
                "otherEvents": ["merged"],
            }
        ]
    }
    content["proxy"] = {"enabled": True, "useModule": False}
    content["watchSchema"] = {
        "destination": "hook",
        "schedule": "*/5 * * * *",
        "allObjects": {"fieldCreated": {"enabled": "always"}, "fieldDeleted": None},
    }
    return body


def structs_in(node: Any) -> Iterator[msgspec.Struct]:
    if isinstance(node, msgspec.Struct):
        yield node
        for field in msgspec.structs.fields(node):
            yield from structs_in(getattr(node, field.name))
    elif isinstance(node, list):
        for item in node:
            yield from structs_in(item)


def assert_same_as_dicts(data: Any) -> Any:
    """The typed decoding of `data` as JSON text, held to the precise check and to dicts."""
    text = json.dumps(data, ensure_ascii=False).encode()
    integration = typed.decode_integration(text)
    if integration is not None:
        raw = from_json(text)
        assert precise_accepts(raw), f"typed decoding accepted what is invalid: {text}"
        assert typed.canonical_bytes(integration) == msgspec.json.encode(raw, order="sorted")
        assert typed_canonical_hash(integration) == canonical_hash(raw)
        assert typed_search_text(integration) == search_text(raw)
        assert typed_snapshot_columns(integration) == snapshot_columns(raw)
    return integration


def test_the_integration_model_is_derived_whole():
    assert typed.INTEGRATION_STRUCT is not None
    names = {
        (type(node).__name__, field.encode_name)
        for node in structs_in(typed.decode_integration(json.dumps(full_body())))
        for field in msgspec.structs.fields(node)
    }
    # Every key of the contract's JSON is a field of some struct, under its JSON name.
    assert {"latestRevision", "mapToDisplayName", "allowAnyFields", "includeFullRecords"} <= {
        name for _, name in names
    }


@pytest.mark.parametrize("body", [integration_body(), full_body()], ids=["read", "everything"])
def test_contract_shaped_integrations_are_decoded(body):
    assert assert_same_as_dicts(body) is not None


@pytest.mark.parametrize("body", [integration_body(), full_body()], ids=["read", "everything"])
def test_no_mutation_the_precise_check_refuses_is_accepted(body):
    refused = accepted = 0
    for path, change in mutations(body):
        if assert_same_as_dicts(mutated(body, path, change)) is None:
            refused += 1
        else:
            accepted += 1
    assert refused > 100
    assert accepted > 10


def test_a_decoded_integration_holds_all_its_json():
    body = full_body()
    integration = typed.decode_integration(json.dumps(body))
    assert msgspec.to_builtins(integration) == body


@pytest.mark.parametrize(
    "field",
    [
        {"fieldName": None, "mapToName": "x"},
        {"mapToName": None},
        {"prompt": "Pick"},
        {},
        {"fieldName": 5},
        {"field_name": "Id"},
        {"fieldName": "Id", "map_to_name": "account_id"},
    ],
)
def test_fields_the_models_refuse_or_name_in_python_are_not_decoded(field):
    body = integration_body()
    body["latestRevision"]["content"]["read"]["objects"][0]["requiredFields"] = [field]
    assert assert_same_as_dicts(body) is None


@pytest.mark.parametrize(
    ("period", "decoded"),
    [
        ({"days": 0}, True),
        ({"fullHistory": False}, True),
        ({"days": 3, "fullHistory": None}, True),
        ({}, False),
        ({"days": None}, False),
        ({"fullHistory": None, "days": None}, False),
    ],
)
def test_a_backfill_period_needs_days_or_full_history(period, decoded):
    body = integration_body()
    body["latestRevision"]["content"]["read"]["objects"][0]["backfill"]["defaultPeriod"] = period
    assert (assert_same_as_dicts(body) is not None) is decoded
    assert precise_accepts(body) is decoded


def test_unknown_keys_are_left_to_the_slower_checks():
    body = integration_body(futureField=1)
    assert typed.decode_integration(json.dumps(body)) is None
    assert precise_accepts(body)


@pytest.mark.parametrize(
    "text",
    [
        'quote " and \\ backslash',
        "\x00\x01\x1f\x7f control",
        "\u2028\u2029 separators",
        "é ß 中文 😀 \U0001f600",
        "tab\tnew\nline\rreturn\bback\fform",
        "</script>&<>'",
        "",
    ],
)
def test_strings_hash_and_search_as_in_dicts(text):
    body = full_body(name=text)
    body["latestRevision"]["content"]["read"]["objects"][0]["requiredFields"][0]["mapToName"] = text
    assert assert_same_as_dicts(body) is not None
    # The same data with every non-ASCII character escaped is the same content.
    ascii_text = json.dumps(body, ensure_ascii=True)
    integration = typed.decode_integration(ascii_text)
    assert typed_canonical_hash(integration) == canonical_hash(json.loads(ascii_text))


@pytest.mark.parametrize("number", [2**63, 2**64, 2**70, -(2**63) - 1])
def test_huge_integers_are_decoded_exactly_or_not_at_all(number):
    body = integration_body()
    body["latestRevision"]["content"]["read"]["objects"][0]["backfill"]["defaultPeriod"] = {
        "days": number
    }
    assert_same_as_dicts(body)


def random_timestamps(count: int) -> list[str]:
    """Timestamps the pattern accepts, at random and at its edges."""
    chooser = random.Random(7)
    edges = [
        "1000-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999+23:59",
        "2023-01-31T12:00:00-00:00",
        "2023-03-30T12:00:00.5Z",
        "2023-11-30T00:00:00+05:30",
        "2023-02-28T00:00:00Z",
    ]
    for _ in range(count):
        month = chooser.randint(1, 12)
        day = chooser.choice([1, 9, 10, 19, 20, 28, 29, 30, 31])
        fraction = "." + "".join(chooser.choices("0123456789", k=chooser.randint(1, 6)))
        zone = chooser.choice(["Z", f"+{chooser.randint(0, 23):02}:{chooser.randint(0, 59):02}"])
        edges.append(
            f"{chooser.randint(1000, 9999)}-{month:02}-{day:02}T{chooser.randint(0, 23):02}:"
            f"{chooser.randint(0, 59):02}:{chooser.randint(0, 59):02}"
            f"{fraction if chooser.random() < 0.5 else ''}{zone}"
        )
    return edges


def test_every_timestamp_it_decodes_is_one_the_models_accept():
    decoded = 0
    for moment in random_timestamps(400):
        body = integration_body(createTime=moment)
        if assert_same_as_dicts(body) is not None:
            decoded += 1
    assert decoded > 300  # days 29-31 are decoded only in months that always have them


@pytest.mark.parametrize(
    "moment",
    [
        "2024-02-29T00:00:00Z",  # a real day, left to the precise check
        "2023-04-31T00:00:00Z",
        "2023-01-01T24:00:00Z",
        "2023-01-01T00:00:00z",
        "2023-01-01T00:00:00Z\n",
        "2023-01-01 00:00:00Z",
        "2023-01-01T00:00:00.1234567Z",
        "0999-01-01T00:00:00Z",
        "2023-01-01T00:00:00",
    ],
)
def test_other_timestamps_are_left_to_the_slower_checks(moment):
    assert typed.decode_integration(json.dumps(integration_body(createTime=moment))) is None


def test_a_model_with_a_validator_it_does_not_know_is_not_derived():
    class Checked(ApiModel):
        name: str

        @field_validator("name")
        @classmethod
        def _not_empty(cls, value: str) -> str:
            return value

    class Holder(ApiModel):
        inner: Checked

    assert typed._derive(Holder) == (None, {}, {})
    assert typed._derive(Integration)[0] is not None


def test_a_model_with_a_rule_and_one_more_validator_is_not_derived(monkeypatch):
    class StricterPeriod(DefaultPeriod):
        @model_validator(mode="after")
        def _not_too_long(self) -> StricterPeriod:
            return self

    class Holder(ApiModel):
        period: StricterPeriod

    class PlainHolder(ApiModel):
        period: DefaultPeriod

    # Even were its first validator's rule known, the second one is not.
    monkeypatch.setitem(typed.MODEL_RULES, StricterPeriod, typed.MODEL_RULES[DefaultPeriod])
    assert typed._derive(Holder)[0] is None
    assert typed._derive(PlainHolder)[0] is not None


def test_a_model_with_options_that_narrow_what_it_accepts_is_not_derived():
    class Short(ApiModel):
        model_config = ConfigDict(str_max_length=3)
        name: str

    assert typed._derive(Short)[0] is None


@pytest.mark.parametrize(
    ("find", "duplicate"),
    [
        ('{"fieldName": "name"}', '{"fieldName": "name", "fieldName": 5}'),
        ('{"fieldName": "name"}', '{"fieldName": 5, "fieldName": "name"}'),
        ('"provider": "salesforce"', '"provider": "salesforce", "provider": "hubspot"'),
    ],
)
def test_duplicate_keys_count_as_the_dict_decoding_reads_them(find, duplicate):
    text = json.dumps(integration_body())
    doubled = text.replace(find, duplicate, 1)
    assert doubled != text
    integration = typed.decode_integration(doubled)
    if integration is not None:
        raw = from_json(doubled)
        assert precise_accepts(raw)
        assert typed_canonical_hash(integration) == canonical_hash(raw)
