"""The deploy service against the emulator over a real socket: validation, the conflict guard,
records, faults at each call, and two deploys at once."""

from __future__ import annotations

import copy
import threading
import uuid
from typing import Any

import pytest
import yaml
from django.db import connection
from django.urls import reverse

from emulator.models import Integration as RemoteIntegration
from emulator.signals import response_served
from integrations.ampersand.manifest import ValidationResult, build_manifest_yaml
from integrations.deploy import service
from integrations.deploy.service import DeployBusy, deploy, latest_revisions
from integrations.models import DeployRecord, Integration, Snapshot
from integrations.services import client_for
from integrations.sync import sync_project
from tests.integrations.conftest import connected_project, seed_remote

Outcome = DeployRecord.Outcome


@pytest.fixture
def seeded(emulator_api):
    return seed_remote(emulator_api, integrations=4, seed=11)


@pytest.fixture
def project(seeded):
    project = connected_project(seeded)
    sync_project(project=project)
    return project


@pytest.fixture
def upserts_sent():
    """Every batch upsert the emulator received, by the fault plan it carried ("" for none)."""
    sent: list[str] = []

    def record(sender, request, response, operation_id, fault, **kwargs):
        if operation_id == "batchUpsertIntegrations":
            sent.append(request.headers.get("X-Emulator-Faults", ""))

    response_served.connect(record, weak=False)
    yield sent
    response_served.disconnect(record)


def remote(name: str) -> RemoteIntegration:
    return RemoteIntegration.objects.select_related("latest_revision").get(name=name)


def with_read_object(project) -> Integration:
    """A local integration whose content reads at least one object."""
    for integration in project.integrations.select_related("latest_snapshot").order_by("name"):
        # Snowflake and Google Calendar have backfill rules of their own.
        if integration.latest_snapshot.content.get("read") and integration.provider not in (
            "snowflake",
            "google",
        ):
            return integration
    raise AssertionError("the seeded project has no integration that reads")


def edited(integration: Integration, change) -> str:
    content = copy.deepcopy(integration.latest_snapshot.content)
    change(content)
    return build_manifest_yaml([content])


def new_backfill(content: dict[str, Any]) -> None:
    content["read"]["objects"][0]["backfill"] = {"defaultPeriod": {"days": 17}}


def teammate_renames(integration: Integration) -> None:
    """A teammate deploys a new display name first, straight to Ampersand."""
    teammate = copy.deepcopy(integration.latest_snapshot.content)
    teammate["displayName"] = "Renamed by a teammate"
    with client_for(integration.project) as api:
        api.batch_upsert(build_manifest_yaml([teammate]))


def deploy_as(user, project, amp_yaml: str, **options: Any) -> DeployRecord:
    names = [content["name"] for content in _contents(amp_yaml)]
    options.setdefault("base_revisions", latest_revisions(project, names))
    return deploy(project=project, user=user, amp_yaml=amp_yaml, **options)


def _contents(amp_yaml: str) -> list[dict[str, Any]]:
    return yaml.safe_load(amp_yaml)["integrations"]


def flaky(monkeypatch, plan: str) -> str:
    """Make the deploy's API client send `plan` as its fault switch, retrying fast."""
    plan = f"{plan}; stall=1; id={uuid.uuid4()}"

    def client(project, **options):
        return client_for(
            project,
            headers={"X-Emulator-Faults": plan},
            timeout=0.5,
            max_retries=2,
            backoff_base=0.0,
            sleep=lambda seconds: None,
        )

    monkeypatch.setattr(service, "client_for", client)
    return plan


# --- Round trips ---------------------------------------------------------------------------------


def test_redeploying_every_integration_unchanged_changes_nothing_remotely(project, editor):
    integrations = list(project.integrations.select_related("latest_snapshot").order_by("name"))
    revisions_before = {i.name: remote(i.name).latest_revision_id for i in integrations}
    snapshots_before = Snapshot.objects.count()
    amp_yaml = build_manifest_yaml([i.latest_snapshot.content for i in integrations])

    record = deploy_as(editor, project, amp_yaml, reason="round trip")

    assert record.outcome == Outcome.SUCCEEDED, record.problem_detail
    assert {i.name: remote(i.name).latest_revision_id for i in integrations} == revisions_before
    assert record.result_revisions == revisions_before
    assert Snapshot.objects.count() == snapshots_before
    assert {change["summary"] for change in record.changes} == {"no change"}


def test_a_changed_backfill_lands_as_a_new_revision_and_snapshot(project, editor):
    integration = with_read_object(project)
    base = integration.latest_snapshot

    record = deploy_as(editor, project, edited(integration, new_backfill), reason="all history")

    assert record.outcome == Outcome.SUCCEEDED, record.problem_detail
    live = remote(integration.name)
    assert live.latest_revision_id != base.revision_id
    assert record.result_revisions == {integration.name: live.latest_revision_id}
    integration.refresh_from_db()
    snapshot = integration.latest_snapshot
    assert snapshot.revision_id == live.latest_revision_id
    assert (snapshot.source, snapshot.taken_by, snapshot.deploy) == ("upsert", editor, record)
    backfill = snapshot.content["read"]["objects"][0]["backfill"]
    assert backfill == {"defaultPeriod": {"days": 17}}
    [change] = snapshot.diff(base).changes
    assert change.path.endswith(".backfill")
    assert record.changes == [
        {"name": integration.name, "new": False, "summary": snapshot.diff(base).summary_line()}
    ]
    # The next sync finds what the deploy stored.
    assert sync_project(project=project).changed == 0


def test_an_unknown_kind_is_refused_before_anything_is_sent(project, editor, upserts_sent):
    integration = with_read_object(project)

    with pytest.raises(ValueError, match="Unknown deploy kind 'edit'"):
        deploy_as(editor, project, edited(integration, new_backfill), kind="edit")

    assert upserts_sent == []
    assert not DeployRecord.objects.exists()
    assert remote(integration.name).latest_revision_id == integration.latest_snapshot.revision_id


def test_a_restore_is_recorded_as_a_rollback_version(project, editor):
    integration = with_read_object(project)
    original = integration.latest_snapshot
    deploy_as(editor, project, edited(integration, new_backfill))

    record = deploy_as(
        editor,
        project,
        build_manifest_yaml([original.content]),
        kind=DeployRecord.Kind.RESTORE,
    )

    assert record.outcome == Outcome.SUCCEEDED
    integration.refresh_from_db()
    assert integration.latest_snapshot.source == Snapshot.Source.ROLLBACK
    assert integration.latest_snapshot.content == original.content
    assert remote(integration.name).latest_revision.content == original.content


def test_a_new_integration_deploys_with_a_null_base(project, editor):
    content = copy.deepcopy(with_read_object(project).latest_snapshot.content)
    content["name"] = "brand-new"

    record = deploy_as(editor, project, build_manifest_yaml([content]))

    assert record.outcome == Outcome.SUCCEEDED, record.problem_detail
    assert record.base_revisions == {"brand-new": None}
    assert record.changes[0]["new"] is True
    local = project.integrations.get(name="brand-new")
    assert local.latest_snapshot.revision_id == remote("brand-new").latest_revision_id


# --- Refusals ------------------------------------------------------------------------------------


def test_a_stale_base_is_refused_with_the_remote_change_and_nothing_sent(
    project, editor, upserts_sent
):
    integration = with_read_object(project)
    base = integration.latest_snapshot.revision_id
    teammate_renames(integration)
    theirs = remote(integration.name).latest_revision_id
    upserts_sent.clear()

    record = deploy_as(
        editor,
        project,
        edited(integration, new_backfill),
        base_revisions={integration.name: base},
    )

    assert record.outcome == Outcome.CONFLICT
    assert upserts_sent == []
    assert remote(integration.name).latest_revision_id == theirs
    [conflict] = record.conflicts
    assert (conflict["name"], conflict["base"], conflict["remote"]) == (
        integration.name,
        base,
        theirs,
    )
    assert conflict["summary"] == "display name changed"
    # What the teammate deployed is kept as a version, to diff against.
    integration.refresh_from_db()
    assert integration.latest_snapshot.revision_id == theirs


def test_a_null_base_for_an_integration_that_exists_is_a_conflict(project, editor, upserts_sent):
    integration = with_read_object(project)
    record = deploy_as(
        editor,
        project,
        edited(integration, new_backfill),
        base_revisions={integration.name: None},
    )
    assert record.outcome == Outcome.CONFLICT
    assert upserts_sent == []


def test_every_integration_needs_its_base_revision(project, editor, upserts_sent):
    integration = with_read_object(project)
    record = deploy_as(editor, project, edited(integration, new_backfill), base_revisions={})

    assert record.outcome == Outcome.INVALID
    errors = [issue["rule"] for issue in record.issues if issue["severity"] == "error"]
    assert errors == ["base-revision-required"]
    assert upserts_sent == []


def test_an_invalid_manifest_is_refused_at_its_line_and_nothing_sent(project, editor, upserts_sent):
    integration = with_read_object(project)

    def too_often(content: dict[str, Any]) -> None:
        content["read"]["objects"][0]["schedule"] = "*/5 * * * *"

    amp_yaml = edited(integration, too_often)
    record = deploy_as(editor, project, amp_yaml)

    assert record.outcome == Outcome.INVALID
    errors = [issue for issue in record.issues if issue["severity"] == "error"]
    assert [issue["rule"] for issue in errors] == ["schedule-minimum-interval"]
    line = amp_yaml.splitlines()[errors[0]["line"] - 1]
    assert "*/5 * * * *" in line
    assert upserts_sent == []
    assert DeployRecord.objects.get().outcome == Outcome.INVALID


@pytest.mark.parametrize("text", ["", "[1, 2", "just text", "specVersion: 1.0.0\n"])
def test_text_that_is_no_manifest_is_refused_not_raised(project, editor, text, upserts_sent):
    record = deploy(project=project, user=editor, amp_yaml=text, base_revisions={})
    assert record.outcome == Outcome.INVALID
    assert any(issue["severity"] == "error" for issue in record.issues)
    assert upserts_sent == []


def test_the_same_idempotency_key_deploys_once(project, editor, upserts_sent):
    integration = with_read_object(project)
    amp_yaml = edited(integration, new_backfill)

    first = deploy_as(editor, project, amp_yaml, idempotency_key="form-123")
    second = deploy_as(editor, project, amp_yaml, idempotency_key="form-123")

    assert first.outcome == Outcome.SUCCEEDED
    assert second.pk == first.pk
    assert upserts_sent == [""]
    assert DeployRecord.objects.count() == 1


# --- Faults --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["503", "429", "timeout", "truncate"])
def test_the_api_failing_before_the_upsert_records_the_problem_and_sends_nothing(
    project, editor, monkeypatch, upserts_sent, kind
):
    integration = with_read_object(project)
    base = integration.latest_snapshot
    flaky(monkeypatch, f"seq={kind},{kind},{kind}")

    record = deploy_as(editor, project, edited(integration, new_backfill))

    assert record.outcome == Outcome.FAILED
    assert record.problem_title
    assert upserts_sent == []
    assert remote(integration.name).latest_revision_id == base.revision_id
    integration.refresh_from_db()
    assert integration.latest_snapshot == base


@pytest.mark.parametrize("kind", ["503", "500", "timeout"])
def test_the_upsert_failing_records_the_problem_and_a_retry_deploys_once(
    project, editor, monkeypatch, kind
):
    integration = with_read_object(project)
    base = integration.latest_snapshot
    amp_yaml = edited(integration, new_backfill)
    plan = flaky(monkeypatch, f"seq=ok,{kind},{kind},{kind}")

    failed = deploy_as(editor, project, amp_yaml)

    assert failed.outcome == Outcome.FAILED, plan
    assert failed.problem_title
    assert remote(integration.name).latest_revision_id == base.revision_id
    integration.refresh_from_db()
    assert integration.latest_snapshot == base

    monkeypatch.setattr(service, "client_for", client_for)
    retried = deploy_as(editor, project, amp_yaml)
    assert retried.outcome == Outcome.SUCCEEDED
    assert remote(integration.name).revisions.count() == 2


@pytest.mark.parametrize("answers", ["truncate,truncate,truncate", "invalid"])
def test_an_upsert_that_landed_but_whose_answer_was_lost_deploys_once_on_retry(
    project, editor, monkeypatch, answers
):
    integration = with_read_object(project)
    base = integration.latest_snapshot.revision_id
    amp_yaml = edited(integration, new_backfill)
    flaky(monkeypatch, f"seq=ok,{answers}")

    lost = deploy_as(editor, project, amp_yaml)

    assert lost.outcome == Outcome.FAILED
    landed = remote(integration.name).latest_revision_id
    assert landed != base
    monkeypatch.setattr(service, "client_for", client_for)
    # The user retries from the same base: Ampersand already holds exactly this content.
    retried = deploy_as(editor, project, amp_yaml, base_revisions={integration.name: base})

    assert retried.outcome == Outcome.SUCCEEDED
    assert retried.result_revisions == {integration.name: landed}
    assert remote(integration.name).revisions.count() == 2
    integration.refresh_from_db()
    assert integration.latest_snapshot.revision_id == landed


def test_a_truncated_upsert_answer_is_fetched_again_and_deploys_once(project, editor, monkeypatch):
    integration = with_read_object(project)
    flaky(monkeypatch, "seq=ok,truncate,ok")

    record = deploy_as(editor, project, edited(integration, new_backfill))

    assert record.outcome == Outcome.SUCCEEDED
    assert remote(integration.name).revisions.count() == 2


def test_ampersand_refusing_the_manifest_records_its_problem(project, editor, monkeypatch):
    """What only Ampersand knows to refuse: here the emulator's own validator, with ampdash's
    check taken out of the way."""
    integration = with_read_object(project)

    def too_often(content: dict[str, Any]) -> None:
        content["read"]["objects"][0]["schedule"] = "* * * * *"

    amp_yaml = edited(integration, too_often)
    monkeypatch.setattr(
        service,
        "validate_manifest",
        lambda text, **options: ValidationResult(yaml.safe_load(text), []),
    )

    record = deploy_as(editor, project, amp_yaml)

    assert record.outcome == Outcome.FAILED
    assert record.problem_request_id
    assert any("schedule" in issue["name"] for issue in record.problem_issues)
    integration.refresh_from_db()
    assert remote(integration.name).latest_revision_id == integration.latest_snapshot.revision_id


def holding_in_new_revisions(monkeypatch, integration: Integration, text: str) -> None:
    """The emulator answers every revision of `integration` but its stored one with `text` in
    the display name, as an API that kept such text would."""
    served = RemoteIntegration.to_api
    stored = integration.latest_snapshot.revision_id

    def to_api(remote: RemoteIntegration, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raw = served(remote, *args, **kwargs)
        if remote.name == integration.name and raw["latestRevision"]["id"] != stored:
            raw["latestRevision"]["content"]["displayName"] = f"A{text}B"
        return raw

    monkeypatch.setattr(RemoteIntegration, "to_api", to_api)


@pytest.mark.parametrize("text", ["\x00", "\ud800"])
def test_a_teammates_version_no_database_can_keep_is_still_a_conflict(
    project, editor, client, monkeypatch, upserts_sent, text
):
    # Before, storing their version failed the deploy ("Deploy failed in ampdash"): the
    # conflict and its reason were lost.
    integration = with_read_object(project)
    base = integration.latest_snapshot.revision_id
    teammate_renames(integration)
    holding_in_new_revisions(monkeypatch, integration, text)
    upserts_sent.clear()

    record = deploy_as(editor, project, edited(integration, new_backfill))

    record.refresh_from_db()
    assert record.outcome == Outcome.CONFLICT, record.problem_detail
    assert upserts_sent == []
    [conflict] = record.conflicts
    assert (conflict["base"], conflict["remote"]) == (
        base,
        remote(integration.name).latest_revision_id,
    )
    assert conflict["summary"] == service.UNSTORABLE_CHANGE
    integration.refresh_from_db()
    assert integration.latest_snapshot.revision_id == base
    client.force_login(editor)
    page = client.get(reverse("deploy-record", args=[record.pk]))
    assert service.UNSTORABLE_CHANGE in page.content.decode()


@pytest.mark.parametrize("text", ["\x00", "\ud800"])
def test_an_upsert_answered_with_text_no_database_can_keep_says_where(
    project, editor, monkeypatch, text
):
    integration = with_read_object(project)
    base = integration.latest_snapshot
    holding_in_new_revisions(monkeypatch, integration, text)

    record = deploy_as(editor, project, edited(integration, new_backfill))

    record.refresh_from_db()
    assert record.outcome == Outcome.FAILED
    assert record.problem_title == "Deployed, but not recorded as a version"
    assert record.problem_detail.startswith(
        f"Ampersand took the change, but answered with {integration.name}: "
        "latestRevision.content.displayName: holds a NUL or a lone surrogate character"
    )
    assert record.result_revisions == {
        integration.name: remote(integration.name).latest_revision_id
    }
    integration.refresh_from_db()
    assert integration.latest_snapshot == base


# --- Concurrency ---------------------------------------------------------------------------------


def test_two_deploys_of_the_same_base_at_once_one_wins_and_one_conflicts(project, editor):
    integration = with_read_object(project)
    base = {integration.name: integration.latest_snapshot.revision_id}

    def backfill(days: int):
        def change(content: dict[str, Any]) -> None:
            content["read"]["objects"][0]["backfill"] = {"defaultPeriod": {"days": days}}

        return edited(integration, change)

    texts = [backfill(7), backfill(14)]
    records: list[DeployRecord] = []
    start = threading.Barrier(2)

    def run(amp_yaml: str) -> None:
        start.wait()
        try:
            records.append(deploy_as(editor, project, amp_yaml, base_revisions=base))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(record.outcome for record in records) == [Outcome.CONFLICT, Outcome.SUCCEEDED]
    assert remote(integration.name).revisions.count() == 2


def test_a_deploy_waits_no_longer_than_allowed_for_another(project, editor, settings):
    settings.DEPLOY_WAIT_SECONDS = 0
    integration = with_read_object(project)
    DeployRecord.objects.create(
        project=project, amp_yaml="", worker=service.this_worker(), outcome=Outcome.RUNNING
    )
    with pytest.raises(DeployBusy):
        deploy_as(editor, project, edited(integration, new_backfill))


def test_a_deploy_left_running_by_a_dead_process_does_not_block_the_next(project, editor):
    integration = with_read_object(project)
    stuck = DeployRecord.objects.create(
        project=project, amp_yaml="", worker="elsewhere:1", outcome=Outcome.RUNNING
    )
    DeployRecord.objects.filter(pk=stuck.pk).update(
        started_at=stuck.started_at - service.DEPLOY_STALE_AFTER * 2
    )

    record = deploy_as(editor, project, edited(integration, new_backfill))

    assert record.outcome == Outcome.SUCCEEDED
    stuck.refresh_from_db()
    assert stuck.outcome == Outcome.FAILED
