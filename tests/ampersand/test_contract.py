"""The fast JSON-level contract check never accepts what the precise check refuses, and what it
accepts it returns exactly as `json.loads` would."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import Field, StringConstraints, TypeAdapter, ValidationError

from integrations.ampersand.client import (
    INTEGRATION_CHECK,
    INTEGRATION_JSON_CHECK,
    ListedIntegration,
    listed_integrations,
)
from integrations.ampersand.contract import RFC3339_SUBSET, JsonContractCheck
from integrations.ampersand.models import ApiModel, Integration, Timestamp
from tests.ampersand.samples import integration_body

# Values of every JSON type, and near misses of the contract's types.
SUBSTITUTES = [None, True, 0, -1, 5.0, 2**70, "", "x", "2026-02-30T00:00:00Z", [], {}, [{}]]


def precise_accepts(data: Any) -> bool:
    try:
        INTEGRATION_CHECK.validate_python(data)
    except ValidationError:
        return False
    return True


def assert_sound(data: Any) -> Any:
    """The fast check's verdict on `data` as JSON text, held to the precise check."""
    text = json.dumps(data)
    checked = INTEGRATION_JSON_CHECK.check(text.encode())
    if checked is not None:
        assert precise_accepts(json.loads(text)), f"fast check accepted what is invalid: {text}"
        assert checked == json.loads(text)
    return checked


def mutations(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """(path, mutated copy of the whole) for each way of breaking one place of `value`."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from mutations(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from mutations(item, (*path, index))
    for substitute in SUBSTITUTES:
        if substitute != value or type(substitute) is not type(value):
            yield path, ("replace", substitute)
    if path:
        yield path, ("delete", None)


def mutated(body: Any, path: tuple, change: tuple[str, Any]) -> Any:
    body = copy.deepcopy(body)
    if not path:
        return change[1]
    parent = body
    for part in path[:-1]:
        parent = parent[part]
    kind, substitute = change
    if kind == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = copy.deepcopy(substitute)
    return body


def test_fast_check_accepts_contract_shaped_integrations_and_returns_their_json():
    minimal = integration_body()
    minimal["latestRevision"]["content"] = {"name": "bare", "provider": "hubspot"}
    del minimal["updateTime"]
    for body in (integration_body(), minimal):
        assert assert_sound(body) == body


def test_fast_check_accepts_no_mutation_the_precise_check_refuses():
    body = integration_body()
    refused = accepted = 0
    for path, change in mutations(body):
        candidate = mutated(body, path, change)
        if assert_sound(candidate) is None:
            refused += 1
        else:
            accepted += 1
    # Both verdicts happen: the property is not met by refusing everything.
    assert refused > 100
    assert accepted > 10


def field_of(body: dict[str, Any]) -> dict[str, Any]:
    return body["latestRevision"]["content"]["read"]["objects"][0]["requiredFields"][0]


@pytest.mark.parametrize(
    ("field", "valid"),
    [
        ({"fieldName": "Id", "mapToName": "account_id"}, True),  # a renamed fixed field
        ({"mapToName": "priority", "prompt": "Pick"}, True),
        ({"fieldName": 5, "mapToName": "account_id"}, False),  # fieldName decides the variant
        ({"fieldName": None, "mapToName": "account_id"}, False),
        ({"prompt": "Pick"}, False),
        ("Id", False),
    ],
)
def test_field_variant_is_told_by_field_name_as_in_the_models(field, valid):
    body = integration_body()
    field_of(body).clear()
    if isinstance(field, dict):
        field_of(body).update(field)
    else:
        body["latestRevision"]["content"]["read"]["objects"][0]["requiredFields"][0] = field
    assert precise_accepts(body) is valid
    assert (assert_sound(body) is not None) is valid


@pytest.mark.parametrize(
    "field",
    [
        {"field_name": "Id"},
        {"fieldName": "Id", "map_to_name": "account_id"},
        {"mapToName": "x", "map_to_display_name": 5},
    ],
)
def test_python_names_are_left_to_the_precise_check(field):
    body = integration_body()
    field_of(body).clear()
    field_of(body).update(field)
    assert INTEGRATION_JSON_CHECK.check(json.dumps(body).encode()) is None
    assert_sound(body)


@pytest.mark.parametrize(
    ("period", "valid"),
    [
        ({"days": 0}, True),
        ({"fullHistory": True}, True),
        ({"days": None, "fullHistory": False}, True),
        ({"days": None}, False),
        ({}, False),
        ({"days": -1}, False),
    ],
)
def test_backfill_period_needs_days_or_full_history(period, valid):
    body = integration_body()
    body["latestRevision"]["content"]["read"]["objects"][0]["backfill"]["defaultPeriod"] = period
    assert precise_accepts(body) is valid
    assert (assert_sound(body) is not None) is valid


@pytest.mark.parametrize("moment", [1713812128, 1713812128.5, "2024-02-30T00:00:00Z", "soon"])
def test_timestamps_that_are_numbers_or_not_dates_are_refused(moment):
    body = integration_body(createTime=moment)
    assert not precise_accepts(body)
    assert assert_sound(body) is None


def test_values_the_precise_check_coerces_are_returned_as_sent():
    body = integration_body()
    body["latestRevision"]["content"]["read"]["objects"][0]["backfill"]["defaultPeriod"] = {
        "days": "30"
    }
    assert precise_accepts(body)
    # Strict, the fast check is not sure; the precise check then accepts the item, as sent.
    assert assert_sound(body) is None
    checked = ListedIntegration(0, text=json.dumps(body).encode()).checked()
    assert checked == body
    assert checked["latestRevision"]["content"]["read"]["objects"][0]["backfill"] == {
        "defaultPeriod": {"days": "30"}
    }


def test_duplicate_keys_count_as_json_reads_them():
    text = json.dumps(integration_body())
    # The last of two "fieldName" keys is the one json.loads keeps.
    broken = text.replace('{"fieldName": "name"}', '{"fieldName": "name", "fieldName": 5}')
    assert broken != text
    assert not precise_accepts(json.loads(broken))
    assert INTEGRATION_JSON_CHECK.check(broken.encode()) is None


def test_unknown_keys_and_unusual_json_come_back_exactly():
    body = integration_body(futureField={"nested": [1.5e-7, 2**70, "é\u2028😀", None]})
    body["latestRevision"]["content"]["read"]["objects"][0]["newThing"] = {"x": [True]}
    checked = assert_sound(body)
    assert checked == body


def test_listing_is_cut_into_the_exact_text_of_each_item():
    first, second = json.dumps(integration_body()), '{"id": 1,\n  "x": "é"}'
    content = f"[ {first} ,{second}]".encode()
    items = listed_integrations(content)
    assert [item.text for item in items] == [first.encode(), second.encode()]
    assert items[0].checked() == json.loads(first)
    assert items[1].checked() is None
    assert items[1].field_errors[0].startswith("[1].id:")
    assert items[1].decode() == {"id": 1, "x": "é"}


@pytest.mark.parametrize(
    "content",
    [b'[{"id": NaN}]', b'[{"id": "\\udc00"}]', b'\xef\xbb\xbf[{"id": 1}]'],
)
def test_listing_only_json_loads_reads_is_decoded_whole(content):
    items = listed_integrations(content)
    assert [item.text for item in items] == [None]
    assert items[0].decode() == json.loads(content)[0]
    assert not items[0].is_valid


def test_listing_with_invalid_utf8_is_undecodable():
    with pytest.raises(ValueError):  # noqa: PT011 - the transport treats any ValueError alike
        listed_integrations(b'[{"id": "\xff"}]')


def test_listing_that_is_not_an_array_is_returned_decoded():
    assert listed_integrations(b'{"items": []}') == {"items": []}


def test_listed_item_keeps_no_decoded_json():
    item = ListedIntegration(0, text=json.dumps(integration_body()).encode())
    assert item.checked() is not item.checked()
    assert item.is_valid
    assert item.integration.latest_revision.content.name == "read-accounts"


class Lenient(ApiModel):
    count: Annotated[int, Field(strict=False)]
    at: datetime
    label: Annotated[str, StringConstraints(to_lower=True)] = "x"


@pytest.mark.parametrize(
    "text",
    [
        b'{"count": "5", "at": "2024-01-01T00:00:00Z"}',
        b'{"count": 5.0, "at": "2024-01-01T00:00:00Z"}',
        b'{"count": 5, "at": "2024-01-01T00:00:00Z", "label": "MiXeD"}',
        b'{"count": 5, "at": "2024-01-01T00:00:00Z", "extra": [1, {"b": null}]}',
    ],
)
def test_fast_check_of_any_model_returns_json_values_as_sent_or_nothing(text):
    checked = JsonContractCheck(Lenient).check(text)
    Lenient.model_validate_json(text)
    assert checked in (None, json.loads(text))


TIMESTAMP = TypeAdapter(Timestamp)


@settings(max_examples=500, deadline=None)
@given(st.from_regex(RFC3339_SUBSET, fullmatch=True))
def test_every_date_time_of_the_fast_form_is_one_the_precise_check_accepts(moment):
    assert TIMESTAMP.validate_python(moment) == TIMESTAMP.validate_json(json.dumps(moment))


@pytest.mark.parametrize(
    ("moment", "valid"),
    [
        ("2024-02-29T12:00:00Z", True),  # a leap day: left to the precise check
        ("2023-02-29T12:00:00Z", False),
        ("2024-04-31T00:00:00Z", False),
        ("2024-12-31T23:59:59.999999+05:30", True),
        ("2024-01-01T00:00:00.1234567Z", True),  # more digits than the fast form holds
        ("2024-01-01 00:00:00Z", True),
        ("2024-01-01T24:00:00Z", False),
        ("2024-01-01T00:00:00+24:00", False),
    ],
)
def test_date_times_outside_the_fast_form_get_the_precise_verdict(moment, valid):
    body = integration_body(updateTime=moment)
    assert precise_accepts(body) is valid
    text = json.dumps(body).encode()
    assert (ListedIntegration(0, text=text).checked() == body) is valid
    assert_sound(body)


def test_an_integration_is_checked_without_a_python_call():
    # Timestamps and the backfill period's rule are in the fast schema itself: nothing in it
    # hands a part over to the precise check, the cost that used to dominate a large sync.
    def handed_over(schema: Any) -> int:
        if isinstance(schema, dict):
            own = schema.get("type", "").startswith("function-")
            return own + sum(handed_over(value) for value in schema.values())
        if isinstance(schema, list):
            return sum(handed_over(item) for item in schema)
        return 0

    check = JsonContractCheck(Integration)
    assert handed_over(check._fast_schema) == 0
    assert handed_over(JsonContractCheck(Lenient)._fast_schema) > 0
