"""Random amp.yaml (any text, YAML of any shape, valid manifests with a value gone wrong, alias
and tag tricks) never gives a 5xx or an exception: not from the validator, the deploy API, the
import page (preview, then its confirmation) or the emulator's batch upsert; and nothing is
stored on either side unless the text happened to be valid."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.models import Integration as RemoteIntegration
from integrations.ampersand.manifest import validate_manifest
from integrations.deploy.service import latest_revisions
from integrations.models import DeployRecord, Snapshot
from tests.ampersand.manifest_strategies import amp_yaml_texts, documents, mutated_manifests
from tests.integrations.conftest import connected_project

# Examples per run, the same in CI. With test_deploy_properties.py: 1,070 examples (and 68
# fixed ones), about 27 s of CPU and under a minute on this 2-CPU machine.
VALIDATOR_TEXTS = 400
VALIDATOR_DOCUMENTS = 200
THROUGH_EVERY_DOOR = 50

Outcome = DeployRecord.Outcome


@pytest.fixture
def project(emulator_api):
    return connected_project(emulator_api)


@settings(max_examples=VALIDATOR_TEXTS)
@given(text=amp_yaml_texts)
def test_the_validator_never_raises_on_random_text(text):
    result = validate_manifest(text)

    assert result.ok or result.errors
    assert all(issue.rule and issue.message for issue in result.issues)


@settings(max_examples=VALIDATOR_DOCUMENTS)
@given(document=st.one_of(documents, mutated_manifests()))
def test_the_validator_never_raises_on_random_documents(document):
    result = validate_manifest(document)

    assert result.ok or result.errors


def declared_names(text: str) -> list[str]:
    result = validate_manifest(text)
    return [content["name"] for content in result.manifest["integrations"]] if result.ok else []


def as_a_browser_sends(text: str) -> str:
    # A form posts UTF-8: a lone surrogate cannot be sent, a browser sends U+FFFD instead.
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


# 50 examples through three doors each: 5 s alone, yet past the default 120 s once on a loaded
# 2-CPU machine (seen once on PostgreSQL).
@pytest.mark.timeout(360)
@settings(max_examples=THROUGH_EVERY_DOOR)
@given(text=amp_yaml_texts)
def test_random_amp_yaml_gets_an_answer_and_stores_nothing_unless_valid(
    editor_client, project, emulator_api, text
):
    valid = validate_manifest(text).ok
    snapshots, remote = Snapshot.objects.count(), RemoteIntegration.objects.count()
    succeeded = DeployRecord.objects.filter(outcome=Outcome.SUCCEEDED).count()

    answers = [
        deploy_through_the_api(editor_client, project, text),
        *import_through_the_page(editor_client, project, as_a_browser_sends(text)),
    ]
    emulated = editor_client.put(
        f"/emulator/v1/projects/{emulator_api.project}/integrations:batch",
        {"sourceYaml": text},
        content_type="application/json",
        headers={"X-Api-Key": emulator_api.api_key},
    )

    assert [answer.status_code for answer in answers if answer.status_code >= 500] == []
    if valid:
        assert answers[0].status_code == 201, answers[0].json()
        assert emulated.status_code == 200, emulated.json()
        return
    assert answers[0].status_code in (400, 422), answers[0].json()
    assert emulated.status_code in (400, 413, 422), emulated.json()
    assert Snapshot.objects.count() == snapshots
    assert RemoteIntegration.objects.count() == remote
    assert DeployRecord.objects.filter(outcome=Outcome.SUCCEEDED).count() == succeeded


def deploy_through_the_api(client, project, text: str) -> Any:
    return client.post(
        f"/api/projects/{project.pk}/deploys/",
        {"amp_yaml": text, "base_revisions": latest_revisions(project, declared_names(text))},
        content_type="application/json",
    )


def import_through_the_page(client, project, text: str) -> list[Any]:
    """The preview of `text`, then its confirmation and the deploy record's page."""
    url = f"/projects/{project.pk}/import/"
    preview = client.post(url, {"text": text})
    # An invalid text names no integration; any base gets it as far as the deploy service.
    bases = latest_revisions(project, declared_names(text)) or {"sync": None}
    confirmed = client.post(
        url,
        {
            "amp_yaml": text,
            "base_revisions": json.dumps(bases),
            "idempotency_key": uuid.uuid4().hex,
            "reason": "",
        },
        follow=True,
    )
    return [preview, confirmed]
