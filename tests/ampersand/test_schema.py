"""The compiled schema check only ever accepts what `jsonschema` accepts (it answers first)."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.ampersand.manifest import schema
from tests.ampersand.manifest_strategies import documents, manifests, mutated_manifests
from tests.ampersand.validator_cases import CASES

FULL = schema._validator()


def refused_by_jsonschema(document: object) -> bool:
    return any(True for _ in FULL.iter_errors(document))


@settings(max_examples=300)
@given(document=st.one_of(documents, mutated_manifests()))
def test_what_the_compiled_check_accepts_jsonschema_accepts(document):
    if schema._fast_accepts(document):
        assert not refused_by_jsonschema(document)


@settings(max_examples=50)
@given(integrations=manifests())
def test_valid_manifests_are_accepted_by_the_compiled_check(integrations):
    document = {"specVersion": "1.0.0", "integrations": integrations}

    assert schema._fast_accepts(document) == (not refused_by_jsonschema(document))


def test_a_whole_number_written_as_a_float_is_left_to_jsonschema():
    document = {
        "specVersion": "1.0.0",
        "integrations": [
            {
                "name": "sync",
                "provider": "salesforce",
                "read": {
                    "objects": [
                        {
                            "objectName": "Account",
                            "destination": "db",
                            "schedule": "*/30 * * * *",
                            "backfill": {"defaultPeriod": {"days": 5.0}},
                        }
                    ]
                },
            }
        ],
    }

    assert not schema._fast_accepts(document)
    assert [error.validator for error in schema.schema_errors(document)] == ["type"]


def test_every_rule_example_jsonschema_refuses_the_compiled_check_refuses():
    refused = 0
    for _rule, _severity, invalid, _path, valid in CASES:
        for text in (invalid, valid):
            document = yaml.safe_load(text)
            if refused_by_jsonschema(document):
                refused += 1
                assert not schema._fast_accepts(document), text
    assert refused >= 10
