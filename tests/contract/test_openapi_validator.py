from __future__ import annotations

import json

from tests.contract.openapi import find_operation, load_spec, response_mismatches

INTEGRATION = {
    "id": "7a0d3c4e-1111-4c5a-9d2e-000000000001",
    "projectId": "project-1",
    "name": "read-accounts",
    "provider": "salesforce",
    "createTime": "2026-01-02T03:04:05.000006Z",
    "latestRevision": {
        "id": "rev-1",
        "specVersion": "1.0.0",
        "createTime": "2026-01-02T03:04:05.000006Z",
        "content": {
            "name": "read-accounts",
            "provider": "salesforce",
            "read": {
                "objects": [
                    {
                        "objectName": "account",
                        "destination": "defaultWebhook",
                        "schedule": "*/15 * * * *",
                        "requiredFields": [{"fieldName": "id", "mapToName": "accountId"}],
                        "optionalFields": [{"mapToName": "region", "prompt": "Which region?"}],
                    }
                ]
            },
        },
    },
}
PATH = "/emulator/v1/projects/demo/integrations/read-accounts"


def as_body(data: object) -> bytes:
    return json.dumps(data).encode()


def test_a_conforming_integration_passes():
    assert response_mismatches("GET", PATH, 200, "application/json", as_body(INTEGRATION)) == []


def test_a_renamed_fixed_field_passes_despite_the_published_one_of():
    schemas = load_spec()["components"]["schemas"]

    assert "oneOf" not in schemas["IntegrationField"]
    assert "anyOf" in schemas["HydratedIntegrationField"]


def test_a_missing_id_and_an_integer_time_are_reported():
    broken = {**INTEGRATION, "createTime": 12345}
    del broken["id"]

    mismatches = response_mismatches("GET", PATH, 200, "application/json", as_body(broken))

    assert any("'id' is a required property" in mismatch for mismatch in mismatches)
    assert any("$.createTime" in mismatch for mismatch in mismatches)


def test_a_time_without_zone_fails_the_date_time_format():
    broken = {**INTEGRATION, "createTime": "2026-01-02 03:04:05"}

    mismatches = response_mismatches("GET", PATH, 200, "application/json", as_body(broken))

    assert mismatches == [
        "getIntegration 200: $.createTime: '2026-01-02 03:04:05' is not a 'date-time'"
    ]


def test_an_error_must_be_problem_json():
    problem = {"title": "Not Found", "status": 404, "detail": "No such integration."}

    assert response_mismatches("GET", PATH, 404, "application/problem+json", as_body(problem)) == []
    assert response_mismatches("GET", PATH, 404, "application/json", as_body(problem)) != []


def test_a_problem_with_a_wrong_status_type_is_reported():
    problem = {"title": "Not Found", "status": "404"}

    mismatches = response_mismatches("GET", PATH, 404, "application/problem+json", as_body(problem))

    assert any("$.status" in mismatch for mismatch in mismatches)


def test_a_create_without_a_body_in_the_spec_must_answer_empty():
    path = "/emulator/v1/projects/demo/integrations"

    assert response_mismatches("POST", path, 201, "", b"") == []
    assert response_mismatches("POST", path, 201, "application/json", b"{}") != []


def test_an_undocumented_success_status_falls_to_the_default_problem_response():
    assert response_mismatches("GET", PATH, 202, "application/json", b"{}") == [
        "getIntegration 202: Content-Type 'application/json' is not one of "
        "['application/problem+json']"
    ]


def test_the_batch_path_is_not_taken_for_an_integration_id():
    operation = find_operation("PUT", "/emulator/v1/projects/demo/integrations:batch")

    assert operation is not None
    assert operation.operation_id == "batchUpsertIntegrations"
    assert find_operation("GET", PATH).operation_id == "getIntegration"


def test_truncated_json_is_reported():
    body = as_body([INTEGRATION])

    mismatches = response_mismatches(
        "GET", "/emulator/v1/projects/demo/integrations", 200, "application/json", body[:50]
    )

    assert len(mismatches) == 1
    assert "body is not JSON" in mismatches[0]
