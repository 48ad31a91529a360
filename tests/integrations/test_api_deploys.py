"""POST /api/projects/<id>/deploys/: the deploy service's answers as HTTP statuses, and roles."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from emulator.models import Integration as RemoteIntegration
from integrations.ampersand.manifest import build_manifest_yaml
from integrations.deploy import service
from integrations.models import DeployRecord
from integrations.services import client_for
from integrations.sync import sync_project
from tests.integrations.conftest import connected_project, seed_remote


@pytest.fixture
def project(emulator_api):
    project = connected_project(seed_remote(emulator_api, integrations=2, seed=5))
    sync_project(project=project)
    return project


def url(project) -> str:
    return f"/api/projects/{project.pk}/deploys/"


def reading_integration(project):
    for integration in project.integrations.select_related("latest_snapshot").order_by("name"):
        if integration.latest_snapshot.content.get("read"):
            return integration
    raise AssertionError("no integration that reads")


def request_body(integration, change=None, **overrides: Any) -> dict[str, Any]:
    content = copy.deepcopy(integration.latest_snapshot.content)
    if change:
        change(content)
    return {
        "amp_yaml": build_manifest_yaml([content]),
        "base_revisions": {integration.name: integration.latest_snapshot.revision_id},
        "reason": "from a script",
        **overrides,
    }


def thirty_days(content: dict[str, Any]) -> None:
    content["read"]["objects"][0]["backfill"] = {"defaultPeriod": {"days": 30}}


def test_a_deploy_answers_201_with_the_record_and_new_revisions(editor_client, project):
    integration = reading_integration(project)

    answer = editor_client.post(
        url(project), request_body(integration, thirty_days), content_type="application/json"
    )

    assert answer.status_code == 201, answer.json()
    body = answer.json()
    live = RemoteIntegration.objects.get(name=integration.name)
    assert body["revisions"] == {integration.name: live.latest_revision_id}
    assert body["outcome"] == "succeeded"
    assert body["reason"] == "from a script"
    assert body["user"] == "editor"
    listed = editor_client.get(url(project)).json()
    assert [record["id"] for record in listed["results"]] == [body["id"]]


def test_a_stale_base_answers_409_with_the_conflicts(editor_client, project):
    integration = reading_integration(project)
    stale = request_body(integration, thirty_days)
    with client_for(project) as api:
        teammate = copy.deepcopy(integration.latest_snapshot.content)
        teammate["displayName"] = "theirs"
        api.batch_upsert(build_manifest_yaml([teammate]))

    answer = editor_client.post(url(project), stale, content_type="application/json")

    assert answer.status_code == 409
    [conflict] = answer.json()["conflicts"]
    assert conflict["name"] == integration.name
    assert conflict["base"] == integration.latest_snapshot.revision_id
    assert (
        conflict["remote"]
        == RemoteIntegration.objects.get(name=integration.name).latest_revision_id
    )


def test_an_invalid_manifest_answers_422_with_its_issues(editor_client, project):
    integration = reading_integration(project)

    def too_often(content: dict[str, Any]) -> None:
        content["read"]["objects"][0]["schedule"] = "* * * * *"

    answer = editor_client.post(
        url(project), request_body(integration, too_often), content_type="application/json"
    )

    assert answer.status_code == 422
    errors = [issue for issue in answer.json()["issues"] if issue["severity"] == "error"]
    assert errors
    assert all(issue["line"] for issue in errors)
    assert {"path", "rule", "message", "line"} <= set(errors[0])


def test_ampersand_failing_answers_502_with_its_problem(editor_client, project, monkeypatch):
    integration = reading_integration(project)

    def failing(project, **options):
        return client_for(
            project,
            headers={"X-Emulator-Faults": "kinds=503"},
            max_retries=0,
            sleep=lambda seconds: None,
        )

    monkeypatch.setattr(service, "client_for", failing)

    answer = editor_client.post(
        url(project), request_body(integration, thirty_days), content_type="application/json"
    )

    assert answer.status_code == 502
    problem = answer.json()["problem"]
    assert problem["title"]
    assert problem["request_id"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"amp_yaml": "x"},
        {"amp_yaml": ["a"], "base_revisions": {}},
        {"amp_yaml": "x", "base_revisions": []},
        {"amp_yaml": "x", "base_revisions": {"a": 5}, "destructive": "perhaps"},
    ],
)
def test_malformed_requests_answer_400(editor_client, project, body):
    answer = editor_client.post(url(project), body, content_type="application/json")
    assert answer.status_code == 400
    assert not DeployRecord.objects.exists()


@pytest.mark.parametrize("name", ["\x00", "deals\x00", "\ud800"])
def test_base_revisions_that_no_database_can_keep_answer_400(editor_client, project, name):
    integration = reading_integration(project)
    body = request_body(integration, thirty_days)
    body["base_revisions"][name] = None

    # JSON's escapes carry both characters; json.dumps writes them so.
    answer = editor_client.post(url(project), json.dumps(body), content_type="application/json")

    assert answer.status_code == 400
    assert answer.json() == {
        "base_revisions": ["Base revisions may not hold NUL or lone surrogate characters."]
    }
    assert not DeployRecord.objects.exists()


def test_a_viewer_may_list_but_not_deploy(viewer_client, project):
    client = viewer_client
    integration = reading_integration(project)

    answer = client.post(
        url(project), request_body(integration, thirty_days), content_type="application/json"
    )

    assert answer.status_code == 403
    assert client.get(url(project)).status_code == 200
    assert not DeployRecord.objects.exists()


def test_an_outsider_gets_404(outsider_client, project):
    client = outsider_client
    integration = reading_integration(project)

    answer = client.post(
        url(project), request_body(integration, thirty_days), content_type="application/json"
    )

    assert answer.status_code == 404
    assert client.get(url(project)).status_code == 404
