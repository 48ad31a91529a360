"""Hostile and malformed input gets a 4xx problem, never a 500."""

from __future__ import annotations

import json

import httpx
import pytest

from emulator.models import Integration
from tests.emulator.helpers import (
    READ_ACCOUNTS,
    assert_problem,
    issue_names,
    manifest,
    project_client,
)

JSON_HEADERS = {"Content-Type": "application/json"}


@pytest.fixture
def api(emulator_api):
    with project_client(emulator_api) as client:
        yield client


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"\xff\xfe\x00",
        b'{"sourceYaml": NaN}',
        b"[" * 100_000,
        b'{"n": 1' + b"0" * 5000 + b"}",
    ],
)
def test_a_body_that_is_not_json_is_400(api, body):
    response = api.put("./integrations:batch", content=body, headers=JSON_HEADERS)

    assert_problem(response, 400)


@pytest.mark.parametrize(
    ("body", "issue"),
    [
        (b'{"sourceYaml": "a\\u0000b"}', "sourceYaml"),
        (b'{"sourceYaml": "\\ud800"}', "sourceYaml"),
        (b'{"nested": {"x": [1, 1e400]}}', "nested.x[1]"),
        (b'{"a\\u0000": 1}', "a\x00"),
    ],
)
def test_text_or_numbers_the_database_cannot_hold_are_400(api, body, issue):
    response = api.put("./integrations:batch", content=body, headers=JSON_HEADERS)

    assert issue_names(assert_problem(response, 400)) == [issue]


def test_a_body_over_one_mebibyte_is_413(api):
    body = json.dumps({"sourceYaml": "x" * (2 * 1024 * 1024)})

    response = api.put("./integrations:batch", content=body, headers=JSON_HEADERS)

    assert_problem(response, 413)


@pytest.mark.parametrize("body", [[], "text", 12, None, {"sourceYaml": ["a"]}])
def test_a_body_of_the_wrong_type_is_400(api, body):
    assert_problem(api.put("./integrations:batch", json=body), 400)


@pytest.mark.parametrize(
    "body",
    [
        {"name": 5, "provider": [], "latestRevision": "x"},
        {"name": "a", "provider": "b", "latestRevision": {"specVersion": 1, "content": []}},
    ],
)
def test_create_integration_with_wrong_types_is_400(api, body):
    assert_problem(api.post("integrations", json=body), 400)


def test_a_one_megabyte_string_inside_a_manifest_is_refused(api):
    huge = READ_ACCOUNTS.replace("Read accounts", "x" * 1_000_000)

    problem = assert_problem(
        api.put("./integrations:batch", json={"sourceYaml": manifest(huge)}), 422
    )

    assert issue_names(problem) == ["integrations[0].displayName"]
    assert len(json.dumps(problem)) < 5000


def test_unicode_and_html_in_a_display_name_are_stored_as_given(api):
    display_name = "Comptes 🚀 <script>alert('x')</script> 日本"
    source = manifest(
        READ_ACCOUNTS.replace("Read accounts", json.dumps(display_name, ensure_ascii=False))
    )

    response = api.put("./integrations:batch", json={"sourceYaml": source})

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()[0]["latestRevision"]["content"]["displayName"] == display_name


def odd_integration(name: str) -> dict:
    return {
        "name": name,
        "provider": "salesforce",
        "latestRevision": {
            "specVersion": "1.0.0",
            "content": {"name": name, "provider": "salesforce", "proxy": {"enabled": True}},
        },
    }


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "ünïcødé-名前 🚀"])
def test_html_and_unicode_integration_names_are_kept_verbatim(api, name):
    response = api.post("integrations", json=odd_integration(name))

    assert response.status_code == 201
    integration = Integration.objects.get()
    assert integration.name == name
    assert api.get(f"integrations/{integration.id}").json()["name"] == name


def test_an_integration_name_over_200_characters_is_422(api):
    response = api.post("integrations", json=odd_integration("a" * 300))

    assert issue_names(assert_problem(response, 422)) == ["name"]
    assert not Integration.objects.exists()


def test_html_and_unicode_in_path_parameters_are_a_404_problem(api):
    for name in ["<script>alert(1)</script>", "名前", "%00", "a%2Fb"]:
        assert_problem(api.get(f"integrations/{name}"), 404)
        assert_problem(api.get(f"destinations/{name}"), 404)


def test_html_in_the_project_path_is_a_404_problem(api, emulator_api):
    response = api.get(f"{emulator_api.base_url}/projects/<img src=x onerror=alert(1)>")

    assert issue_names(assert_problem(response, 404)) == ["projectIdOrName"]


def test_a_nul_in_a_query_value_is_400(api):
    response = api.get("installations", params={"groupRef": "a\x00b"})

    assert issue_names(assert_problem(response, 400)) == ["groupRef"]


def test_a_non_ascii_api_key_is_401(emulator_api):
    url = f"{emulator_api.base_url}/projects/{emulator_api.project}"

    response = httpx.get(url, headers={"X-Api-Key": "clé-ünïcødé".encode("latin-1")})

    assert_problem(response, 401)
