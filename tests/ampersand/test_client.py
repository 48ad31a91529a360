from __future__ import annotations

import copy
import json

import httpx
import pytest

from integrations.ampersand import (
    AmpersandClient,
    FixedField,
    IntegrationContent,
    InvalidResponseError,
    NotFoundError,
)
from tests.ampersand.samples import (
    CONTRACT_EXAMPLES,
    DESTINATION_BODY,
    PROJECT_BODY,
    READ_ACCOUNTS_CONTENT,
    integration_body,
)


class RecordingApi:
    """A MockTransport handler answering by (method, path) and recording every request."""

    def __init__(self, answers: dict[tuple[str, str], httpx.Response]) -> None:
        self.answers = answers
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.method, request.url.raw_path.decode().split("?")[0])
        return self.answers.get(key, httpx.Response(404, json={"title": "Not Found"}))


def make_client(api: RecordingApi, **options: object) -> AmpersandClient:
    return AmpersandClient(
        base_url="https://api.test/v1",
        api_key="k",
        project="my project",
        transport=httpx.MockTransport(api),
        sleep=lambda seconds: None,
        **options,
    )


PROJECT_PATH = "/v1/projects/my%20project"


def test_get_integration_quotes_path_segments():
    path = f"{PROJECT_PATH}/integrations/a%20b%2Fc"
    api = RecordingApi({("GET", path): httpx.Response(200, json=integration_body())})

    integration = make_client(api).get_integration("a b/c")

    assert integration.name == "read-accounts"
    assert api.requests[0].url.raw_path.decode() == path


def test_list_integrations_parses_each_integration_and_keeps_its_raw_json():
    bodies = [integration_body(), integration_body(id="second", name="other", extra={"a": 1})]
    api = RecordingApi({("GET", f"{PROJECT_PATH}/integrations"): httpx.Response(200, json=bodies)})

    integrations = make_client(api).list_integrations()

    assert [i.id for i in integrations] == ["123e4567-e89b-12d3-a456-426614174000", "second"]
    assert [i.raw for i in integrations] == bodies
    assert integrations[1].extra == {"a": 1}


def test_missing_id_raises_invalid_response_naming_the_field():
    body = integration_body()
    del body["id"]
    api = RecordingApi({("GET", f"{PROJECT_PATH}/integrations"): httpx.Response(200, json=[body])})

    with pytest.raises(InvalidResponseError) as caught:
        make_client(api).list_integrations()

    assert any(error.startswith("[0].id:") for error in caught.value.field_errors)
    assert "[0].id" in str(caught.value)


def test_wrong_types_raise_invalid_response_naming_nested_paths():
    body = integration_body(createTime=12345)
    body["latestRevision"]["content"]["read"]["objects"][2]["schedule"] = 5
    api = RecordingApi({("GET", f"{PROJECT_PATH}/integrations/x"): httpx.Response(200, json=body)})

    with pytest.raises(InvalidResponseError) as caught:
        make_client(api).get_integration("x")

    paths = [error.split(":")[0] for error in caught.value.field_errors]
    assert paths == ["createTime", "latestRevision.content.read.objects[2].schedule"]


def test_field_variant_tags_are_left_out_of_error_paths():
    body = integration_body()
    body["latestRevision"]["content"]["read"]["objects"][0]["requiredFields"][1]["fieldName"] = 7
    api = RecordingApi({("GET", f"{PROJECT_PATH}/integrations/x"): httpx.Response(200, json=body)})

    with pytest.raises(InvalidResponseError) as caught:
        make_client(api).get_integration("x")

    assert caught.value.field_errors[0].startswith(
        "latestRevision.content.read.objects[0].requiredFields[1].fieldName:"
    )


def test_non_json_success_body_is_an_invalid_response():
    api = RecordingApi(
        {("GET", PROJECT_PATH): httpx.Response(200, content=b"<html>maintenance</html>")}
    )

    with pytest.raises(InvalidResponseError):
        make_client(api, max_retries=1).get_project()

    assert len(api.requests) == 2


def test_object_where_a_list_belongs_names_the_body():
    api = RecordingApi({("GET", f"{PROJECT_PATH}/integrations"): httpx.Response(200, json={})})

    with pytest.raises(InvalidResponseError) as caught:
        make_client(api).list_integrations()

    assert caught.value.field_errors[0].startswith("(body):")


def test_create_integration_posts_the_contract_body_then_fetches_it_by_name():
    api = RecordingApi(
        {
            ("POST", f"{PROJECT_PATH}/integrations"): httpx.Response(201),
            ("GET", f"{PROJECT_PATH}/integrations/read-accounts"): httpx.Response(
                200, json=integration_body()
            ),
        }
    )

    integration = make_client(api).create_integration(
        name="read-accounts", provider="salesforce", content=READ_ACCOUNTS_CONTENT
    )

    assert integration.id == "123e4567-e89b-12d3-a456-426614174000"
    assert json.loads(api.requests[0].content) == {
        "name": "read-accounts",
        "provider": "salesforce",
        "latestRevision": {"specVersion": "1.0.0", "content": READ_ACCOUNTS_CONTENT},
    }


def test_create_integration_uses_a_returned_body_without_fetching():
    api = RecordingApi(
        {("POST", f"{PROJECT_PATH}/integrations"): httpx.Response(201, json=integration_body())}
    )
    content = IntegrationContent.model_validate(READ_ACCOUNTS_CONTENT)

    integration = make_client(api).create_integration(
        name="read-accounts", provider="salesforce", content=content, spec_version="1.1.0"
    )

    assert integration.name == "read-accounts"
    assert len(api.requests) == 1
    sent = json.loads(api.requests[0].content)
    assert sent["latestRevision"] == {"specVersion": "1.1.0", "content": READ_ACCOUNTS_CONTENT}


def test_batch_upsert_puts_source_yaml_and_parses_the_integrations():
    answer = [integration_body()]
    api = RecordingApi(
        {("PUT", f"{PROJECT_PATH}/integrations:batch"): httpx.Response(200, json=answer)}
    )

    integrations = make_client(api).batch_upsert("specVersion: 1.0.0\n", destructive=True)

    assert integrations[0].raw == answer[0]
    assert json.loads(api.requests[0].content) == {"sourceYaml": "specVersion: 1.0.0\n"}
    assert api.requests[0].url.params["destructive"] == "true"


def test_create_revision_posts_yaml_then_returns_the_refetched_integration():
    updated = integration_body()
    updated["latestRevision"]["id"] = "revision-id-2"
    api = RecordingApi(
        {
            ("POST", f"{PROJECT_PATH}/integrations/abc/revisions"): httpx.Response(201),
            ("GET", f"{PROJECT_PATH}/integrations/abc"): httpx.Response(200, json=updated),
        }
    )

    integration = make_client(api).create_revision("abc", "specVersion: 1.0.0\n")

    assert integration.latest_revision.id == "revision-id-2"
    assert "destructive" not in api.requests[0].url.params
    assert json.loads(api.requests[0].content) == {"sourceYaml": "specVersion: 1.0.0\n"}


def test_delete_integration_returns_none_and_maps_404():
    api = RecordingApi({("DELETE", f"{PROJECT_PATH}/integrations/gone"): httpx.Response(204)})
    client = make_client(api)

    assert client.delete_integration("gone") is None
    with pytest.raises(NotFoundError):
        client.delete_integration("never-there")


def test_installation_lists_pass_the_group_ref():
    example = CONTRACT_EXAMPLES["listInstallations.200"]
    api = RecordingApi(
        {
            ("GET", f"{PROJECT_PATH}/integrations/i-1/installations"): httpx.Response(
                200, json=example
            ),
            ("GET", f"{PROJECT_PATH}/installations"): httpx.Response(200, json=example),
        }
    )
    client = make_client(api)

    per_integration = client.list_installations("i-1", group_ref="org_12345")
    per_project = client.list_installations()

    assert json.loads(bytes(per_integration[0].config)) == example[0]["config"]
    assert per_integration[0].connection.group.group_ref == "org_12345"
    assert per_project[0].id == example[0]["id"]
    assert api.requests[0].url.params["groupRef"] == "org_12345"
    assert "groupRef" not in api.requests[1].url.params


def test_destinations_and_project():
    api = RecordingApi(
        {
            ("GET", f"{PROJECT_PATH}/destinations"): httpx.Response(200, json=[DESTINATION_BODY]),
            ("POST", f"{PROJECT_PATH}/destinations"): httpx.Response(201, json=DESTINATION_BODY),
            ("GET", PROJECT_PATH): httpx.Response(200, json=PROJECT_BODY),
        }
    )
    client = make_client(api)

    listed = client.list_destinations()
    created = client.create_destination(
        name="leadConvertedWebhook",
        type="webhook",
        metadata=DESTINATION_BODY["metadata"],
        secrets={"password": "pw"},
    )
    project = client.get_project()

    assert listed[0].metadata["url"].startswith("https://")
    assert created.name == "leadConvertedWebhook"
    assert json.loads(api.requests[1].content)["secrets"] == {"password": "pw"}
    assert (project.app_name, project.org_id) == ("MailMonkey", PROJECT_BODY["orgId"])


def test_client_is_a_context_manager_that_closes_its_connection_pool():
    api = RecordingApi({})

    with make_client(api) as client:
        pass

    with pytest.raises(RuntimeError):
        client.get_project()


def test_content_built_from_models_keeps_unknown_keys():
    content = copy.deepcopy(READ_ACCOUNTS_CONTENT)
    content["futureKnob"] = {"x": 1}
    model = IntegrationContent.model_validate(content)
    api = RecordingApi(
        {("POST", f"{PROJECT_PATH}/integrations"): httpx.Response(201, json=integration_body())}
    )

    make_client(api).create_integration(name="n", provider="salesforce", content=model)

    assert json.loads(api.requests[0].content)["latestRevision"]["content"] == content
    assert isinstance(model.read.objects[0].required_fields[0], FixedField)


def test_object_metadata_quotes_its_path_and_parses_the_contracts_example():
    example = CONTRACT_EXAMPLES["getObjectMetadataForConnection.200"]
    path = f"{PROJECT_PATH}/providers/hubspot/objects/con%2Ftact/metadata"
    api = RecordingApi({("GET", path): httpx.Response(200, json=example)})
    client = make_client(api)

    metadata = client.get_object_metadata_for_connection("hubspot", "con/tact", group_ref="g 1")
    client.get_object_metadata_for_connection(
        "hubspot", "con/tact", group_ref="g 1", exclude_read_only=True
    )

    stage = metadata.fields["lifecyclestage"]
    assert (stage.display_name, stage.value_type, stage.read_only) == (
        "Lifecycle Stage",
        "singleSelect",
        False,
    )
    assert [value.display_value for value in stage.values] == ["Lead", "Customer"]
    assert metadata.raw == example
    assert dict(api.requests[0].url.params) == {"groupRef": "g 1"}
    assert dict(api.requests[1].url.params) == {"groupRef": "g 1", "excludeReadOnly": "true"}


def test_object_metadata_without_fields_is_an_invalid_response():
    path = f"{PROJECT_PATH}/providers/hubspot/objects/contact/metadata"
    api = RecordingApi({("GET", path): httpx.Response(200, json={"name": "contact"})})

    with pytest.raises(InvalidResponseError) as caught:
        make_client(api).get_object_metadata_for_connection("hubspot", "contact", group_ref="g")

    assert caught.value.field_errors == ["fields: Field required"]


def test_get_installation_quotes_its_path_and_parses_the_contracts_example():
    example = CONTRACT_EXAMPLES["getInstallation.200"]
    path = f"{PROJECT_PATH}/integrations/i%2F1/installations/in%201"
    api = RecordingApi({("GET", path): httpx.Response(200, json=example)})

    installation = make_client(api).get_installation("i/1", "in 1")

    assert installation.id == example["id"]
    assert json.loads(bytes(installation.config)) == example["config"]
    assert installation.connection.provider == "salesforce"


def operations_page(*examples: str, **pagination: object) -> dict:
    return {
        "results": [
            copy.deepcopy(CONTRACT_EXAMPLES[f"getOperation.200.{name}"]) for name in examples
        ],
        "pagination": {"done": True, **pagination},
    }


def test_list_operations_sends_the_page_size_and_token_only_when_given():
    path = f"{PROJECT_PATH}/integrations/i-1/installations/in-1/operations"
    api = RecordingApi(
        {
            ("GET", path): httpx.Response(
                200,
                json=operations_page(
                    "readSuccess", "writeSuccess", done=False, nextPageToken="next=="
                ),
            )
        }
    )
    client = make_client(api)

    page = client.list_operations("i-1", "in-1")
    client.list_operations("i-1", "in-1", page_size=50, page_token="abc/+=")

    assert [operation.action_type for operation in page.results] == ["read", "write"]
    assert (page.pagination.done, page.pagination.next_page_token) == (False, "next==")
    assert dict(api.requests[0].url.params) == {}
    assert dict(api.requests[1].url.params) == {"pageSize": "50", "pageToken": "abc/+="}


def test_an_operations_page_without_results_is_an_invalid_response_naming_them():
    path = f"{PROJECT_PATH}/integrations/i-1/installations/in-1/operations"
    api = RecordingApi({("GET", path): httpx.Response(200, json={"pagination": {"done": True}})})

    with pytest.raises(InvalidResponseError) as caught:
        make_client(api).list_operations("i-1", "in-1")

    assert caught.value.field_errors == ["results: Field required"]


def test_an_operation_without_its_installation_is_an_invalid_response_naming_it():
    page = operations_page("readSuccess", "readProgress")
    del page["results"][1]["installationId"]
    path = f"{PROJECT_PATH}/integrations/i-1/installations/in-1/operations"
    api = RecordingApi({("GET", path): httpx.Response(200, json=page)})

    with pytest.raises(InvalidResponseError) as caught:
        make_client(api).list_operations("i-1", "in-1")

    assert caught.value.field_errors == ["results[1].installationId: Field required"]
