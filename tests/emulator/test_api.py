from __future__ import annotations

import httpx
import pytest
from django.utils import timezone

from emulator.models import ApiKey, Installation, Integration, Project
from tests.emulator.helpers import (
    READ_ACCOUNTS,
    WRITE_CONTACTS,
    assert_problem,
    issue_names,
    manifest,
    project_client,
)


@pytest.fixture
def api(emulator_api):
    with project_client(emulator_api) as client:
        yield client


@pytest.fixture
def project_url(emulator_api) -> str:
    return f"{emulator_api.base_url}/projects/{emulator_api.project}"


def deploy(api: httpx.Client, source_yaml: str, **params: str) -> httpx.Response:
    return api.put("./integrations:batch", params=params, json={"sourceYaml": source_yaml})


def integration_body(name: str = "read-accounts", **content: object) -> dict:
    content = content or {"proxy": {"enabled": True}}
    return {
        "name": name,
        "provider": "salesforce",
        "latestRevision": {
            "specVersion": "1.0.0",
            "content": {"name": name, "provider": "salesforce", **content},
        },
    }


# --- projects and auth -------------------------------------------------------------------------


def test_get_project_answers_it_by_name_and_by_id(api, project_url, emulator_project):
    by_name = api.get(project_url)
    by_id = api.get(project_url.replace(emulator_project.name, emulator_project.id))

    assert by_name.status_code == 200
    assert by_name.headers["Content-Type"] == "application/json"
    assert by_name.json() == by_id.json()
    assert by_name.json()["appName"] == "Test App"
    assert by_name.json()["createTime"].endswith("Z")
    assert "entitlements" not in by_name.json()


def test_get_project_includes_entitlements_when_asked(api, project_url):
    project = api.get(project_url, params={"includeEntitlements": "true"}).json()

    assert project["entitlements"]["logRetentionDays"] == {"value": 30}


def test_a_request_without_api_key_is_401(emulator_api, project_url):
    response = httpx.get(project_url)

    problem = assert_problem(response, 401)
    assert problem["title"] == "Unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("key", ["wrong-key", "inactive-key", "x" * 500])
def test_an_unknown_or_inactive_api_key_is_401(emulator_project, emulator_api, project_url, key):
    ApiKey.objects.create(key="inactive-key", project=emulator_project, active=False)

    assert_problem(httpx.get(project_url, headers={"X-Api-Key": key}), 401)


def test_a_bearer_token_is_accepted_like_an_api_key(emulator_api, project_url):
    response = httpx.get(project_url, headers={"Authorization": f"Bearer {emulator_api.api_key}"})

    assert response.status_code == 200


def test_another_projects_key_is_403(emulator_api, project_url):
    other = Project.objects.create(name="other", app_name="Other", create_time=timezone.now())
    ApiKey.objects.create(key="other-key", project=other)

    assert_problem(httpx.get(project_url, headers={"X-Api-Key": "other-key"}), 403)


def test_an_unknown_project_is_404(api, emulator_api):
    response = api.get(f"{emulator_api.base_url}/projects/no-such-project")

    assert issue_names(assert_problem(response, 404)) == ["projectIdOrName"]


def test_a_problem_only_accept_header_is_served_normally(api, project_url):
    response = api.get(project_url, headers={"Accept": "application/problem+json"})

    assert response.status_code == 200
    assert response.json()["name"] == "test-project"


def test_each_answer_has_its_own_request_id(api, project_url):
    first, second = api.get(project_url), api.get(project_url)

    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


def test_a_wrong_method_on_a_known_path_is_405_with_allow(api, project_url):
    response = api.patch(f"{project_url}/integrations", json={})

    assert_problem(response, 405)
    assert response.headers["Allow"] == "GET, POST"


def test_an_unknown_path_under_the_api_is_a_404_problem(api, emulator_api):
    assert_problem(api.get(f"{emulator_api.base_url}/no/such/path"), 404)


def test_a_switched_off_emulator_answers_404_everywhere(api, project_url, settings):
    settings.AMPERSAND_EMULATOR = False

    problem = assert_problem(api.get(project_url), 404)
    assert "switched off" in problem["detail"]
    assert_problem(api.put("./integrations:batch", json={"sourceYaml": ""}), 404)


# --- integrations ------------------------------------------------------------------------------


def test_a_new_project_lists_no_integrations(api):
    response = api.get("integrations")

    assert response.status_code == 200
    assert response.json() == []


def test_create_integration_answers_201_without_body_and_is_then_found(api):
    response = api.post("integrations", json=integration_body())

    assert response.status_code == 201
    assert response.content == b""
    by_name = api.get("integrations/read-accounts").json()
    assert api.get(f"integrations/{by_name['id']}").json() == by_name
    assert by_name["latestRevision"]["content"] == {
        "name": "read-accounts",
        "provider": "salesforce",
        "proxy": {"enabled": True},
    }
    assert [item["id"] for item in api.get("integrations").json()] == [by_name["id"]]


def test_create_integration_with_a_taken_name_is_409(api):
    api.post("integrations", json=integration_body())

    assert_problem(api.post("integrations", json=integration_body()), 409)


def test_create_integration_with_missing_fields_is_400_naming_them(api):
    response = api.post("integrations", json={"provider": 5})

    problem = assert_problem(response, 400)
    assert issue_names(problem) == ["name", "provider", "latestRevision"]
    assert {issue["in"] for issue in problem["issues"]} == {"body"}


def test_create_integration_with_content_for_another_name_is_422(api):
    body = integration_body()
    body["latestRevision"]["content"]["name"] = "something-else"

    problem = assert_problem(api.post("integrations", json=body), 422)
    assert issue_names(problem) == ["latestRevision.content.name"]


def test_create_integration_with_an_invalid_schedule_is_422_at_its_path(api):
    body = integration_body(
        read={
            "objects": [
                {"objectName": "account", "destination": "defaultWebhook", "schedule": "never"}
            ]
        }
    )

    problem = assert_problem(api.post("integrations", json=body), 422)
    assert issue_names(problem) == ["latestRevision.content.read.objects[0].schedule"]


def test_create_integration_stores_its_content_without_unknown_keys(api):
    body = integration_body(proxy={"enabled": True, "viaModule": True}, notes="typo'd key")

    response = api.post("integrations", json=body)

    assert response.status_code == 201
    content = api.get("integrations/read-accounts").json()["latestRevision"]["content"]
    assert content == {
        "name": "read-accounts",
        "provider": "salesforce",
        "proxy": {"enabled": True},
    }


def test_create_revision_with_only_warnings_is_accepted(api):
    deploy(api, manifest(READ_ACCOUNTS))
    integration_id = api.get("integrations/read-accounts").json()["id"]
    warned = READ_ACCOUNTS.replace("defaultWebhook", "missingWebhook").replace(
        "*/15 * * * *", "*/10 * * * *"
    )

    response = api.post(
        f"integrations/{integration_id}/revisions", json={"sourceYaml": manifest(warned)}
    )

    assert response.status_code == 201, response.text


def test_get_an_unknown_integration_is_404_naming_the_path_parameter(api):
    problem = assert_problem(api.get("integrations/nope"), 404)

    assert problem["issues"][0]["in"] == "path"
    assert issue_names(problem) == ["integrationIdOrName"]


def test_delete_integration_answers_204_and_removes_it(api):
    api.post("integrations", json=integration_body())

    response = api.delete("integrations/read-accounts")

    assert response.status_code == 204
    assert response.content == b""
    assert "Content-Type" not in response.headers
    assert_problem(api.get("integrations/read-accounts"), 404)
    assert_problem(api.delete("integrations/read-accounts"), 404)


# --- batch upsert ------------------------------------------------------------------------------


def test_batch_upsert_creates_the_integrations_in_manifest_order(api):
    response = deploy(api, manifest(WRITE_CONTACTS, READ_ACCOUNTS))

    assert response.status_code == 200
    assert [item["name"] for item in response.json()] == ["write-contacts", "read-accounts"]
    assert response.json()[1]["latestRevision"]["content"]["read"]["objects"][0][
        "requiredFields"
    ] == [{"fieldName": "id", "mapToName": "accountId"}]
    assert len(api.get("integrations").json()) == 2


def test_batch_upsert_without_changes_keeps_revisions_and_times(api):
    first = deploy(api, manifest(READ_ACCOUNTS, WRITE_CONTACTS)).json()

    again = deploy(api, manifest(READ_ACCOUNTS, WRITE_CONTACTS), destructive="true").json()

    assert again == first
    assert Integration.objects.get(name="read-accounts").revisions.count() == 1


def test_batch_upsert_gives_a_new_revision_only_to_the_changed_integration(api):
    first = {
        item["name"]: item for item in deploy(api, manifest(READ_ACCOUNTS, WRITE_CONTACTS)).json()
    }
    remapped = READ_ACCOUNTS.replace("mapToName: accountId", "mapToName: account_id")

    second = {item["name"]: item for item in deploy(api, manifest(remapped, WRITE_CONTACTS)).json()}

    changed, unchanged = second["read-accounts"], second["write-contacts"]
    assert changed["id"] == first["read-accounts"]["id"]
    assert changed["latestRevision"]["id"] != first["read-accounts"]["latestRevision"]["id"]
    assert changed["updateTime"] > first["read-accounts"]["updateTime"]
    assert changed["createTime"] == first["read-accounts"]["createTime"]
    assert unchanged == first["write-contacts"]
    assert api.get("integrations/read-accounts").json() == changed


def test_batch_upsert_of_an_invalid_manifest_is_422_with_issue_paths(api):
    broken = READ_ACCOUNTS.replace('"*/15 * * * *"', '"every day"')

    problem = assert_problem(deploy(api, manifest(WRITE_CONTACTS, broken)), 422)

    assert issue_names(problem) == ["integrations[1].read.objects[0].schedule"]
    assert problem["issues"][0]["in"] == "body"
    assert api.get("integrations").json() == []


def test_batch_upsert_to_an_unknown_destination_is_accepted_as_the_spec_only_warns(api):
    elsewhere = READ_ACCOUNTS.replace("defaultWebhook", "missingWebhook")

    response = deploy(api, manifest(elsewhere))

    assert response.status_code == 200, response.text


def test_batch_upsert_stores_the_manifest_without_its_unknown_keys(api):
    typo = READ_ACCOUNTS.replace("schedule:", "scheduel: x\n          schedule:")

    response = deploy(api, manifest(typo))

    assert response.status_code == 200, response.text
    stored = response.json()[0]["latestRevision"]["content"]["read"]["objects"][0]
    assert "scheduel" not in stored


def test_batch_upsert_of_malformed_yaml_is_422(api):
    assert_problem(deploy(api, "specVersion: [1.0.0\nintegrations: {"), 422)


def test_batch_upsert_from_a_zip_url_is_422_saying_only_yaml_is_supported(api):
    response = api.put("./integrations:batch", json={"sourceZipUrl": "https://example.com/a.zip"})

    problem = assert_problem(response, 422)
    assert "sourceYaml" in problem["detail"]
    assert issue_names(problem) == ["sourceZipUrl"]


def test_batch_upsert_without_source_yaml_is_400(api):
    problem = assert_problem(api.put("./integrations:batch", json={"sourceYaml": 3}), 400)

    assert issue_names(problem) == ["sourceYaml"]


def test_batch_upsert_with_a_non_boolean_destructive_is_400_query_issue(api):
    problem = assert_problem(deploy(api, manifest(READ_ACCOUNTS), destructive="maybe"), 400)

    assert problem["issues"] == [
        {"in": "query", "name": "destructive", "detail": "Must be true or false.", "value": "maybe"}
    ]


# --- revisions ---------------------------------------------------------------------------------


def test_create_revision_adds_a_revision_and_makes_it_latest(api):
    before = deploy(api, manifest(READ_ACCOUNTS)).json()[0]
    remapped = READ_ACCOUNTS.replace("mapToName: accountId", "mapToName: account_id")

    response = api.post(
        f"integrations/{before['id']}/revisions", json={"sourceYaml": manifest(remapped)}
    )

    assert response.status_code == 201
    assert response.content == b""
    after = api.get(f"integrations/{before['id']}").json()
    assert after["latestRevision"]["id"] != before["latestRevision"]["id"]
    mapping = after["latestRevision"]["content"]["read"]["objects"][0]["requiredFields"][0]
    assert mapping["mapToName"] == "account_id"


def test_create_revision_for_another_integration_name_is_422(api):
    integration = deploy(api, manifest(READ_ACCOUNTS)).json()[0]

    response = api.post(
        f"integrations/{integration['id']}/revisions",
        json={"sourceYaml": manifest(WRITE_CONTACTS)},
    )

    assert issue_names(assert_problem(response, 422)) == ["integrations[0].name"]


def test_create_revision_needs_exactly_one_integration(api):
    integration = deploy(api, manifest(READ_ACCOUNTS)).json()[0]

    response = api.post(
        f"integrations/{integration['id']}/revisions",
        json={"sourceYaml": manifest(READ_ACCOUNTS, WRITE_CONTACTS)},
    )

    assert issue_names(assert_problem(response, 422)) == ["integrations"]


def test_create_revision_names_the_integration_by_id_only(api):
    deploy(api, manifest(READ_ACCOUNTS))

    response = api.post(
        "integrations/read-accounts/revisions", json={"sourceYaml": manifest(READ_ACCOUNTS)}
    )

    assert issue_names(assert_problem(response, 404)) == ["integrationId"]


# --- installations -----------------------------------------------------------------------------


def add_installation(project: Project, integration: Integration, group_ref: str) -> Installation:
    now = timezone.now()
    group = {
        "groupRef": group_ref,
        "groupName": f"Group {group_ref}",
        "projectId": project.id,
        "createTime": "2026-01-01T00:00:00.000000Z",
    }
    return Installation.objects.create(
        project=project,
        integration=integration,
        group=group,
        connection={
            "id": f"connection-{group_ref}",
            "projectId": project.id,
            "provider": integration.provider,
            "group": group,
            "consumer": {
                "consumerRef": "user-1",
                "consumerName": "Ada",
                "projectId": project.id,
                "createTime": "2026-01-01T00:00:00.000000Z",
            },
            "createTime": "2026-01-01T00:00:00.000000Z",
            "authScheme": "oauth2/authorizationCode",
            "status": "working",
        },
        config={
            "id": f"config-{group_ref}",
            "revisionId": integration.latest_revision_id,
            "createTime": "2026-01-01T00:00:00.000000Z",
            "createdBy": "consumer:user-1",
            "content": {"provider": integration.provider},
        },
        created_by="consumer:user-1",
        create_time=now,
    )


def test_installations_are_listed_per_integration_and_per_project(api, emulator_project):
    deploy(api, manifest(READ_ACCOUNTS, WRITE_CONTACTS))
    accounts = Integration.objects.get(name="read-accounts")
    contacts = Integration.objects.get(name="write-contacts")
    add_installation(emulator_project, accounts, "acme")
    add_installation(emulator_project, accounts, "globex")
    add_installation(emulator_project, contacts, "acme")

    per_integration = api.get(f"integrations/{accounts.id}/installations").json()
    per_project = api.get("installations").json()
    for_acme = api.get("installations", params={"groupRef": "acme"}).json()
    acme_accounts = api.get(
        f"integrations/{accounts.id}/installations", params={"groupRef": "acme"}
    ).json()

    assert [item["group"]["groupRef"] for item in per_integration] == ["acme", "globex"]
    assert len(per_project) == 3
    assert {item["integrationId"] for item in for_acme} == {accounts.id, contacts.id}
    assert [item["integrationId"] for item in acme_accounts] == [accounts.id]


def test_installations_of_an_unknown_integration_is_404(api):
    assert_problem(api.get("integrations/nope/installations"), 404)


# --- destinations ------------------------------------------------------------------------------


def webhook(name: str = "leads-webhook", **metadata: object) -> dict:
    return {
        "name": name,
        "type": "webhook",
        "metadata": {"url": "https://example.com/hook", **metadata},
    }


def test_list_destinations_answers_the_projects_destinations(api):
    response = api.get("destinations")

    assert response.status_code == 200
    assert [item["name"] for item in response.json()] == ["defaultWebhook"]


def test_create_destination_answers_201_with_the_destination(api):
    response = api.post("destinations", json=webhook(headers={"Authorization": "Bearer x"}))

    assert response.status_code == 201
    created = response.json()
    assert created["metadata"]["headers"] == {"Authorization": "Bearer x"}
    assert api.get("destinations/leads-webhook").json() == created


def test_create_destination_with_a_taken_name_is_409(api):
    assert_problem(api.post("destinations", json=webhook("defaultWebhook")), 409)


@pytest.mark.parametrize(
    ("body", "status", "issue"),
    [
        (webhook("no spaces allowed"), 422, "name"),
        (webhook("<script>alert(1)</script>"), 422, "name"),
        ({**webhook(), "type": "carrier-pigeon"}, 422, "type"),
        ({**webhook(), "metadata": {"url": "http://insecure.example.com"}}, 422, "metadata.url"),
        (webhook(batchSize="ten"), 400, "metadata.batchSize"),
        (webhook(headers={"X-Count": 3}), 400, "metadata.headers.X-Count"),
        ({**webhook(), "metadata": []}, 400, "metadata"),
        ({**webhook(), "secrets": {"password": 1}}, 400, "secrets"),
    ],
)
def test_create_destination_refuses_invalid_input_naming_it(api, body, status, issue):
    problem = assert_problem(api.post("destinations", json=body), status)

    assert issue_names(problem) == [issue]


def test_get_an_unknown_destination_is_404(api):
    assert issue_names(assert_problem(api.get("destinations/nope"), 404)) == ["destination"]


def test_get_destination_with_secrets_and_rotation(api):
    plain = api.get("destinations/defaultWebhook").json()
    with_secret = api.get("destinations/defaultWebhook", params={"includeSecrets": "true"}).json()
    same = api.get("destinations/defaultWebhook", params={"includeSecrets": "1"}).json()
    rotated = api.get(
        "destinations/defaultWebhook", params={"includeSecrets": "true", "rotate": "true"}
    ).json()

    assert "secrets" not in plain
    assert with_secret["secrets"]["webhookSigningKey"].startswith("whsec_")
    assert same["secrets"] == with_secret["secrets"]
    assert rotated["secrets"] != with_secret["secrets"]


def test_an_unexpected_error_is_a_logged_500_problem(api, project_url, monkeypatch, caplog):
    def explode(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(Project, "to_api", explode)

    problem = assert_problem(api.get(project_url), 500)

    assert "boom" not in problem["detail"]
    assert any(record.name == "emulator" and record.exc_info for record in caplog.records)


# --- provider catalog --------------------------------------------------------------------------


def test_list_providers_answers_the_catalog_keyed_by_name_without_an_api_key(emulator_api):
    response = httpx.get(f"{emulator_api.base_url}/providers")

    assert response.status_code == 200
    providers = response.json()
    assert len(providers) == 238
    assert providers["salesforce"]["displayName"] == "Salesforce"
    assert providers["google"]["modules"]["calendar"]["support"]["subscribe"] is True


def test_get_provider_answers_one_provider_without_an_api_key(emulator_api):
    response = httpx.get(f"{emulator_api.base_url}/providers/hubspot")

    assert response.status_code == 200
    assert response.json()["name"] == "hubspot"
    assert response.json()["defaultModule"] == "crm"


def test_get_provider_of_an_unknown_provider_is_a_404_problem(emulator_api):
    response = httpx.get(f"{emulator_api.base_url}/providers/nosuch")

    problem = assert_problem(response, 404)
    assert issue_names(problem) == ["provider"]
