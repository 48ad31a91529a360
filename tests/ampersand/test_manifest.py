from __future__ import annotations

import copy

import pytest
import yaml

from integrations.ampersand import (
    IntegrationContent,
    InvalidManifestError,
    build_manifest_yaml,
    load_manifest,
)
from tests.ampersand.samples import READ_ACCOUNTS_CONTENT


def test_manifest_yaml_is_block_style_in_the_given_key_order():
    text = build_manifest_yaml([READ_ACCOUNTS_CONTENT])

    assert text.startswith("specVersion: 1.0.0\nintegrations:\n- name: read-accounts\n")
    assert "{" not in text
    assert list(yaml.safe_load(text)["integrations"][0]) == list(READ_ACCOUNTS_CONTENT)


def test_manifest_round_trips_contents_exactly():
    tricky = copy.deepcopy(READ_ACCOUNTS_CONTENT)
    tricky["displayName"] = "Comptes — été"
    tricky["read"]["objects"][0]["mapToDisplayName"] = "yes"
    tricky["read"]["objects"][1]["mapToName"] = "1.0"
    tricky["read"]["objects"][2]["mapToDisplayName"] = "on: # not a comment"
    tricky["module"] = "x" * 300

    text = build_manifest_yaml([tricky, READ_ACCOUNTS_CONTENT], spec_version="1.0.0")
    manifest = load_manifest(text)

    assert "Comptes — été" in text
    assert manifest.spec_version == "1.0.0"
    assert [content.to_api() for content in manifest.integrations] == [
        tricky,
        READ_ACCOUNTS_CONTENT,
    ]
    assert manifest.integrations[0].raw == tricky


def test_manifest_accepts_content_models():
    model = IntegrationContent.model_validate(READ_ACCOUNTS_CONTENT)

    assert build_manifest_yaml([model]) == build_manifest_yaml([READ_ACCOUNTS_CONTENT])


def test_loading_text_that_is_not_yaml_is_an_invalid_manifest():
    with pytest.raises(InvalidManifestError) as caught:
        load_manifest("specVersion: [1.0.0\n")

    assert caught.value.detail


def test_loading_a_yaml_list_is_an_invalid_manifest():
    with pytest.raises(InvalidManifestError):
        load_manifest("- a\n- b\n")


def test_schema_errors_name_the_field_path():
    broken = copy.deepcopy(READ_ACCOUNTS_CONTENT)
    del broken["read"]["objects"][2]["schedule"]

    with pytest.raises(InvalidManifestError) as caught:
        load_manifest(build_manifest_yaml([broken]))

    assert caught.value.field_errors == ["integrations[0].read.objects[2].schedule: Field required"]
