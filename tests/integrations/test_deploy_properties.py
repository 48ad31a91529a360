"""Properties of deploying amp.yaml, checked with hypothesis against the emulator over a socket.

- Round trip: any integration contents Ampersand's rules accept, written as amp.yaml, come back
  unchanged, and sending them again makes no new revision. Most examples go through the
  validator alone, and through the emulator's batch upsert and the client's parse (the socket
  and client the deploy service uses); fewer through the whole road (`deploy`, `sync_project`,
  the latest snapshot, a redeploy), which costs a dozen database writes per example.
- Refused alike: every invalid example of the validator's tests is refused by the dashboard's
  API (422, naming the rule) and by the emulator (422), and nothing is sent or stored; every
  example that only warns deploys.
"""

from __future__ import annotations

import httpx
import pytest
from django.core.cache import caches
from hypothesis import given, settings

from emulator.models import Integration as RemoteIntegration
from emulator.models import Revision as RemoteRevision
from emulator.signals import response_served
from integrations.ampersand.manifest import Severity, build_manifest_yaml, validate_manifest
from integrations.deploy.service import deploy, latest_revisions
from integrations.models import DeployRecord, Integration, Snapshot
from integrations.services import client_for
from integrations.sync import sync_project
from tests.ampersand.manifest_strategies import manifests
from tests.ampersand.validator_cases import CASES, SPEC_INVALID_EXAMPLES, manifest
from tests.integrations.conftest import connected_project

Outcome = DeployRecord.Outcome

# Examples per run, the same in CI. With test_deploy_random_input.py: 1,070 examples (and 68
# fixed ones), about 27 s of CPU and under a minute on this 2-CPU machine.
THROUGH_THE_VALIDATOR = 250
THROUGH_THE_EMULATOR = 150
THROUGH_DEPLOY_AND_SYNC = 20


@pytest.fixture
def project(emulator_api):
    return connected_project(emulator_api)


@pytest.fixture
def operations_served():
    """The operationId of every emulator answer, in order."""
    served: list[str] = []

    def record(sender, request, response, operation_id, fault, **kwargs):
        served.append(operation_id)

    response_served.connect(record, weak=False)
    yield served
    response_served.disconnect(record)


def assert_valid(amp_yaml: str) -> None:
    """The strategy is honest: what it draws, the rules accept."""
    result = validate_manifest(amp_yaml)
    assert result.ok, [(issue.rule, issue.path, issue.message) for issue in result.errors]


# --- Round trip ----------------------------------------------------------------------------------


@settings(max_examples=THROUGH_THE_VALIDATOR)
@given(contents=manifests())
def test_valid_contents_are_the_validated_manifest_unchanged(contents):
    result = validate_manifest(build_manifest_yaml(contents))

    assert result.ok, [(issue.rule, issue.path, issue.message) for issue in result.errors]
    assert result.manifest == {"specVersion": "1.0.0", "integrations": contents}
    assert not [issue for issue in result.warnings if issue.rule == "unknown-key"]


@settings(max_examples=THROUGH_THE_EMULATOR)
@given(contents=manifests())
def test_valid_contents_come_back_from_the_emulator_unchanged(project, contents):
    amp_yaml = build_manifest_yaml(contents)
    assert_valid(amp_yaml)

    with client_for(project) as api:
        upserted = api.batch_upsert(amp_yaml)
        again = api.batch_upsert(amp_yaml)

    assert [integration.raw["latestRevision"]["content"] for integration in upserted] == contents
    assert [integration.latest_revision.content.to_api() for integration in upserted] == contents
    assert [i.latest_revision.id for i in again] == [i.latest_revision.id for i in upserted]


@settings(max_examples=THROUGH_DEPLOY_AND_SYNC)
@given(contents=manifests(max_integrations=3))
def test_deployed_contents_are_the_synced_snapshots_and_a_redeploy_changes_nothing(
    project, editor, contents
):
    amp_yaml = build_manifest_yaml(contents)
    assert_valid(amp_yaml)
    names = [content["name"] for content in contents]

    record = deploy(
        project=project,
        user=editor,
        amp_yaml=amp_yaml,
        base_revisions=latest_revisions(project, names),
    )
    sync_project(project=project)

    assert record.outcome == Outcome.SUCCEEDED, (record.issues, record.problem_detail)
    latest = {
        integration.name: integration.latest_snapshot
        for integration in Integration.objects.filter(
            project=project, name__in=names, state=Integration.State.PRESENT
        ).select_related("latest_snapshot")
    }
    assert {name: latest[name].content for name in names} == dict(zip(names, contents, strict=True))
    remote_revisions = RemoteRevision.objects.count()
    snapshots = Snapshot.objects.count()

    again = deploy(
        project=project,
        user=editor,
        amp_yaml=amp_yaml,
        base_revisions=latest_revisions(project, names),
    )

    assert again.outcome == Outcome.SUCCEEDED, (again.issues, again.problem_detail)
    assert again.result_revisions == {name: latest[name].revision_id for name in names}
    assert RemoteRevision.objects.count() == remote_revisions
    assert Snapshot.objects.count() == snapshots


# --- Refused alike -------------------------------------------------------------------------------

# One test per list, one subtest per example: a test's users and project cost more than an example.
INVALID_EXAMPLES = [
    (rule, invalid)
    for rule, severity, invalid, _path, _valid in CASES
    if severity is Severity.ERROR
]
INVALID_EXAMPLES += [(rule, text) for text, rule, _line in SPEC_INVALID_EXAMPLES]
INVALID_EXAMPLES.append(
    (
        "integration-name-unique",
        manifest() + "  - name: sync\n    provider: hubspot\n    proxy: {}\n",
    )
)
WARNING_EXAMPLES = [
    (rule, invalid)
    for rule, severity, invalid, _path, _valid in CASES
    if severity is not Severity.ERROR
]


def emulator_upsert(emulator_api, amp_yaml: str) -> httpx.Response:
    return httpx.put(
        f"{emulator_api.base_url}/projects/{emulator_api.project}/integrations:batch",
        json={"sourceYaml": amp_yaml},
        headers={"X-Api-Key": emulator_api.api_key},
    )


def deploy_through_the_api(client, project, amp_yaml: str):
    # Each example is a deploy of its own: the API's per-minute budget of actions (whose
    # counts the shared cache holds) is not what these tests are about.
    caches["shared"].clear()
    result = validate_manifest(amp_yaml)
    names = [content["name"] for content in result.manifest["integrations"]] if result.ok else []
    return client.post(
        f"/api/projects/{project.pk}/deploys/",
        {"amp_yaml": amp_yaml, "base_revisions": latest_revisions(project, names)},
        content_type="application/json",
    )


def test_every_invalid_example_is_refused_alike_by_the_dashboard_and_the_emulator(
    editor_client, project, emulator_api, operations_served, subtests
):
    assert len(INVALID_EXAMPLES) > 50
    for rule, amp_yaml in INVALID_EXAMPLES:
        with subtests.test(rule=rule):
            operations_served.clear()

            answer = deploy_through_the_api(editor_client, project, amp_yaml)

            assert answer.status_code == 422, answer.json()
            refused = [issue for issue in answer.json()["issues"] if issue["severity"] == "error"]
            assert rule in {issue["rule"] for issue in refused}
            assert operations_served == []
            assert answer.json()["outcome"] == Outcome.INVALID

            emulated = emulator_upsert(emulator_api, amp_yaml)

            assert emulated.status_code == 422, emulated.text
            paths = {issue["name"] for issue in emulated.json()["issues"]}
            assert {issue["path"] for issue in refused if issue["rule"] == rule} <= paths
    assert not DeployRecord.objects.exclude(outcome=Outcome.INVALID).exists()
    assert not Snapshot.objects.exists()
    assert not RemoteIntegration.objects.exists()


def test_every_example_that_only_warns_deploys(editor_client, project, subtests):
    assert WARNING_EXAMPLES
    for rule, amp_yaml in WARNING_EXAMPLES:
        with subtests.test(rule=rule):
            answer = deploy_through_the_api(editor_client, project, amp_yaml)

            assert answer.status_code == 201, answer.json()
            assert rule in {issue["rule"] for issue in answer.json()["issues"]}
            latest = Integration.objects.get(name="sync").latest_snapshot
            assert latest.revision_id == RemoteIntegration.objects.get().latest_revision_id
            [content] = validate_manifest(amp_yaml).manifest["integrations"]
            assert latest.content == content
