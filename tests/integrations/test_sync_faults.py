"""The sync under faults: a flaky, broken or absent API, and a crash while storing.

Faults come from the emulator's injection (`X-Emulator-Faults` on the client, or
`AMPERSAND_EMULATOR_FAULTS` in settings). Seeded fault plans carry a fresh `id=` so each test
starts its own repeatable sequence. After every sync the local store is checked against what
the emulator served: each snapshot is byte-for-byte an answer the API gave, none is lost or
stored twice, and the latest one of each integration is its newest.
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import replace
from typing import Any

import pytest
from django.core.management import call_command

from emulator import views as emulator_views
from emulator.models import Integration as RemoteIntegration
from emulator.signals import response_served
from integrations import snapshots
from integrations.ampersand import AmpersandClient
from integrations.ampersand.manifest import Catalog, build_manifest_yaml, load_catalog
from integrations.models import (
    Integration,
    Project,
    ProviderCatalog,
    Snapshot,
    SnapshotSearchText,
    SyncRun,
    canonical_hash,
    known_catalog,
)
from integrations.services import client_for
from integrations.sync import sync_project

REMOTE_PROJECT = "seeded"
SEEDED_COUNT = 6
FLAKY_KINDS = "500,502,503,504,429,timeout"


@pytest.fixture
def seeded(emulator_api):
    call_command(
        "seed_emulator", project=REMOTE_PROJECT, integrations=SEEDED_COUNT, seed=3, api_key="k-3"
    )
    return replace(emulator_api, project=REMOTE_PROJECT, api_key="k-3")


@pytest.fixture
def project(seeded) -> Project:
    return connect_project("local", seeded)


@pytest.fixture
def served(seeded) -> dict[str, dict[str, Any]]:
    """Every integration JSON the emulator held, by hash; `remember_remote` adds changes."""
    answers: dict[str, dict[str, Any]] = {}
    remember_remote(answers)
    return answers


def connect_project(name: str, api) -> Project:
    project = Project.objects.create(name=name, ampersand_project=api.project, api_url=api.base_url)
    project.set_api_key(api.api_key)
    project.save()
    return project


def remote_client(api) -> AmpersandClient:
    return AmpersandClient(base_url=api.base_url, api_key=api.api_key, project=api.project)


def flaky_client(project: Project, faults: str, **options: Any) -> AmpersandClient:
    """A client that sends `faults`, with timeouts short enough for a test."""
    settings = {
        "max_retries": 1,
        "timeout": 0.5,
        "total_timeout": 6.0,
        "backoff_base": 0.05,
        "max_retry_wait": 0.2,
        **options,
    }
    return client_for(project, headers={"X-Emulator-Faults": faults}, **settings)


def fresh(plan: str) -> str:
    return f"{plan}; id={uuid.uuid4()}"


def remote_integrations() -> list[RemoteIntegration]:
    return list(
        RemoteIntegration.objects.filter(project__name=REMOTE_PROJECT)
        .select_related("latest_revision")
        .order_by("create_time", "name")
    )


def remember_remote(answers: dict[str, dict[str, Any]]) -> None:
    for remote in remote_integrations():
        raw = remote.to_api()
        answers[canonical_hash(raw)] = raw


def remap_one_field(api, remote: RemoteIntegration, new_name: str) -> tuple[str, str]:
    """Upsert `remote` with one fixed read field mapped to `new_name`; its object and field."""
    content = copy.deepcopy(remote.latest_revision.content)
    for read_object in content["read"]["objects"]:
        for field in read_object["requiredFields"]:
            if "fieldName" in field and field.get("mapToName") != new_name:
                field["mapToName"] = new_name
                with remote_client(api) as client:
                    client.batch_upsert(build_manifest_yaml([content]))
                return read_object["objectName"], field["fieldName"]
    raise AssertionError(f"{remote.name} has no fixed read field to remap")


def stored_rows(project: Project) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every column of the project's snapshots and integrations, to compare before and after."""
    snapshots = list(Snapshot.objects.filter(integration__project=project).order_by("pk").values())
    integrations = list(project.integrations.order_by("pk").values())
    return snapshots, integrations


def assert_store_is_sound(
    project: Project, served: dict[str, dict[str, Any]], earlier: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Check the invariants of the store; returns the snapshots for the next comparison."""
    snapshots, integrations = stored_rows(project)
    by_pk = {row["id"]: row for row in snapshots}
    for row in earlier:
        assert by_pk.get(row["id"]) == row, f"snapshot {row['id']} was lost or altered"
    for row in snapshots:
        assert canonical_hash(row["raw"]) == row["content_hash"]
        assert served.get(row["content_hash"]) == row["raw"], "a snapshot the API never served"
    pairs = [(row["integration_id"], row["content_hash"]) for row in snapshots]
    assert len(pairs) == len(set(pairs)), "the same version was stored twice"
    remote_ids = [row["remote_id"] for row in integrations]
    assert len(remote_ids) == len(set(remote_ids))
    for integration in integrations:
        own = [row["id"] for row in snapshots if row["integration_id"] == integration["id"]]
        assert own, f"integration {integration['remote_id']} has no snapshot"
        assert integration["latest_snapshot_id"] == max(own)
    assert not SyncRun.objects.filter(project=project, status=SyncRun.Status.RUNNING).exists()
    return snapshots


def state_of(project: Project) -> dict[str, tuple[str, str, str, str, str]]:
    return {
        integration.remote_id: (
            integration.name,
            integration.provider,
            integration.display_name,
            integration.state,
            integration.latest_snapshot.content_hash,
        )
        for integration in project.integrations.select_related("latest_snapshot")
    }


def assert_matches_emulator(project: Project) -> None:
    remotes = {remote.id: remote for remote in remote_integrations()}
    present = project.integrations.filter(state=Integration.State.PRESENT)
    assert set(present.values_list("remote_id", flat=True)) == set(remotes)
    for integration in present.select_related("latest_snapshot"):
        remote = remotes[integration.remote_id]
        assert integration.latest_snapshot.raw == remote.to_api(), (
            f"{remote.name}: the latest snapshot is not the version the API holds"
        )
        assert (integration.name, integration.provider) == (remote.name, remote.provider)


def assert_failed_cleanly(run: SyncRun) -> None:
    assert run.status == SyncRun.Status.FAILED
    assert run.finished_at is not None
    assert run.error_title
    assert run.error_detail
    assert not run.snapshots.exists()
    if "Injected fault" in run.error_detail:
        # The API answered with a problem, so its requestId must reach the run.
        assert run.error_request_id


def test_flaky_api_gives_exact_counts_or_clean_failures_and_converges(project, seeded, served):
    plan = fresh(f"rate=0.3; kinds={FLAKY_KINDS}; stall=2; seed=8")
    earlier: list[dict[str, Any]] = []
    outcomes = []
    expected_new, pending_changes = SEEDED_COUNT, set()

    for round_number in range(8):
        if round_number:
            changed = remote_integrations()[round_number % SEEDED_COUNT]
            remap_one_field(seeded, changed, f"flaky_round_{round_number}")
            remember_remote(served)
            pending_changes.add(changed.id)
        with flaky_client(project, plan) as client:
            run = sync_project(project=project, client=client)
        outcomes.append(run.status)

        if run.status == SyncRun.Status.SUCCEEDED:
            expected_changed = 0 if expected_new else len(pending_changes)
            assert (run.fetched, run.new, run.changed, run.removed) == (
                SEEDED_COUNT,
                expected_new,
                expected_changed,
                0,
            )
            assert run.unchanged == SEEDED_COUNT - expected_new - expected_changed
            assert run.snapshots.count() == expected_new + expected_changed
            assert_matches_emulator(project)
            expected_new, pending_changes = 0, set()
        else:
            assert_failed_cleanly(run)
        earlier = assert_store_is_sound(project, served, earlier)

    assert SyncRun.Status.FAILED in outcomes, "the seeded faults never sank a sync"
    assert SyncRun.Status.SUCCEEDED in outcomes, "the seeded faults sank every sync"

    for _ in range(20):
        with flaky_client(project, plan) as client:
            if sync_project(project=project, client=client).status == SyncRun.Status.SUCCEEDED:
                break
    else:
        pytest.fail("twenty flaky syncs in a row failed")
    assert_store_is_sound(project, served, earlier)
    reference = connect_project("reference", seeded)
    assert sync_project(project=reference).status == SyncRun.Status.SUCCEEDED
    assert state_of(project) == state_of(reference)

    clean = sync_project(project=project)
    assert (clean.new, clean.changed, clean.unchanged) == (0, 0, SEEDED_COUNT)


@pytest.fixture
def faults_served():
    """The fault kinds the emulator injected into listIntegrations answers, by fault plan.

    Keyed by the request's plan, because a request stalled by an earlier test may still be
    answered by the live server's threads while this test runs.
    """
    kinds: dict[str, list[str | None]] = {}

    def record(sender, request, response, operation_id, fault, **kwargs):
        if operation_id == "listIntegrations":
            plan = request.headers.get("X-Emulator-Faults", "")
            kinds.setdefault(plan, []).append(fault)

    response_served.connect(record, weak=False)
    yield kinds
    response_served.disconnect(record)


def test_truncated_body_is_fetched_again(project, served, faults_served):
    plan = fresh("seq=truncate,ok")
    with flaky_client(project, plan) as client:
        run = sync_project(project=project, client=client)

    assert faults_served[plan] == ["truncate", None]
    assert run.status == SyncRun.Status.SUCCEEDED
    assert (run.fetched, run.new) == (SEEDED_COUNT, SEEDED_COUNT)
    assert_matches_emulator(project)
    assert_store_is_sound(project, served, [])


def test_bodies_truncated_every_time_fail_the_sync_and_store_nothing(project, seeded, served):
    sync_project(project=project)
    remap_one_field(seeded, remote_integrations()[2], "changed_before_truncation")
    remember_remote(served)
    before = stored_rows(project)

    with flaky_client(project, "kinds=truncate", max_retries=2) as client:
        run = sync_project(project=project, client=client)

    assert_failed_cleanly(run)
    assert run.error_request_id
    assert stored_rows(project) == before
    assert sync_project(project=project).changed == 1
    assert_matches_emulator(project)
    assert_store_is_sound(project, served, before[0])


def test_first_sync_with_an_invalid_item_stores_the_others_and_removes_nothing(project, served):
    first = remote_integrations()[0]

    with flaky_client(project, "kinds=invalid") as client:
        run = sync_project(project=project, client=client)

    assert run.status == SyncRun.Status.PARTIAL
    assert (run.fetched, run.new, run.removed) == (SEEDED_COUNT, SEEDED_COUNT - 1, 0)
    [item] = run.failed_items
    assert item["name"] == first.name
    assert any(error.startswith("[0].id") for error in item["errors"])
    assert not project.integrations.filter(remote_id=first.id).exists()
    assert not project.integrations.filter(state=Integration.State.REMOVED).exists()
    assert_store_is_sound(project, served, [])

    rerun = sync_project(project=project)
    assert (rerun.status, rerun.new, rerun.unchanged, rerun.removed) == (
        SyncRun.Status.SUCCEEDED,
        1,
        SEEDED_COUNT - 1,
        0,
    )
    assert_matches_emulator(project)


def test_invalid_item_keeps_its_last_good_version_while_other_changes_land(project, seeded, served):
    sync_project(project=project)
    first, other = remote_integrations()[0], remote_integrations()[3]
    remap_one_field(seeded, first, "changed_but_invalid")
    remap_one_field(seeded, other, "changed_and_valid")
    remember_remote(served)
    earlier = assert_store_is_sound(project, served, [])
    kept = project.integrations.get(remote_id=first.id).latest_snapshot_id

    with flaky_client(project, "kinds=invalid") as client:
        run = sync_project(project=project, client=client)

    assert run.status == SyncRun.Status.PARTIAL
    assert (run.new, run.changed, run.unchanged, run.removed) == (0, 1, SEEDED_COUNT - 2, 0)
    assert [item["name"] for item in run.failed_items] == [first.name]
    invalid = project.integrations.get(remote_id=first.id)
    assert (invalid.state, invalid.latest_snapshot_id) == (Integration.State.PRESENT, kept)
    assert project.integrations.get(remote_id=other.id).latest_snapshot.sync_run == run
    earlier = assert_store_is_sound(project, served, earlier)

    rerun = sync_project(project=project)
    assert (rerun.changed, rerun.unchanged, rerun.removed) == (1, SEEDED_COUNT - 1, 0)
    assert_matches_emulator(project)
    assert_store_is_sound(project, served, earlier)


def holding(text: str, where: str) -> Any:
    """A change of an item's JSON that puts `text` in its name, its display name, or the name of
    one of its fields."""

    def change(raw: dict[str, Any]) -> None:
        content = raw["latestRevision"]["content"]
        if where == "name":
            raw["name"] += text
        elif where == "displayName":
            content["displayName"] = f"A{text}B"
        else:
            content[f"x{text}"] = 1

    return change


CANNOT_STORE = "holds a NUL or a lone surrogate character, which ampdash cannot store"


@pytest.mark.parametrize(
    ("text", "where", "error"),
    [
        ("\x00", "name", f"name: {CANNOT_STORE}"),
        ("\ud800", "name", f"name: {CANNOT_STORE}"),
        ("\x00", "displayName", f"latestRevision.content.displayName: {CANNOT_STORE}"),
        ("\ud800", "displayName", f"latestRevision.content.displayName: {CANNOT_STORE}"),
        ("\x00", "key", f"latestRevision.content.x\\x00: {CANNOT_STORE}"),
        # The contract's own check refuses a lone surrogate in a key.
        ("\ud800", "key", "[0].latestRevision.content: Input should be a valid string, unable"),
    ],
)
def test_an_item_holding_text_no_database_can_keep_fails_alone(
    project, monkeypatch, text, where, error
):
    # Found by fuzzing on PostgreSQL: a NUL sank the whole sync there, and a lone surrogate on
    # both databases, at every sync until the API changed.
    first = remote_integrations()[0]
    served = RemoteIntegration.to_api

    def to_api(remote: RemoteIntegration, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raw = served(remote, *args, **kwargs)
        if remote.id == first.id:
            holding(text, where)(raw)
        return raw

    monkeypatch.setattr(RemoteIntegration, "to_api", to_api)

    run = sync_project(project=project)

    run.refresh_from_db()
    assert run.status == SyncRun.Status.PARTIAL
    assert (run.new, run.removed) == (SEEDED_COUNT - 1, 0)
    [item] = run.failed_items
    assert item["remote_id"] == first.id
    assert item["errors"][0].startswith(error)
    assert not project.integrations.filter(remote_id=first.id).exists()

    monkeypatch.undo()
    rerun = sync_project(project=project)
    assert (rerun.status, rerun.new, rerun.unchanged) == ("succeeded", 1, SEEDED_COUNT - 1)
    assert_matches_emulator(project)


def change_remote_in_every_way(api, served: dict[str, dict[str, Any]]) -> None:
    """One integration remapped, one deleted, one created: a sync would write every kind of row."""
    remotes = remote_integrations()
    remap_one_field(api, remotes[1], "changed_while_down")
    new_content = copy.deepcopy(remotes[2].latest_revision.content)
    new_content["name"] = "created-while-down"
    with remote_client(api) as client:
        client.delete_integration(remotes[4].id)
        client.batch_upsert(build_manifest_yaml([new_content]))
    remember_remote(served)


def test_api_answering_503_to_everything_fails_the_sync_and_touches_nothing(
    project, seeded, served, settings
):
    sync_project(project=project)
    change_remote_in_every_way(seeded, served)
    before = stored_rows(project)
    settings.AMPERSAND_EMULATOR_FAULTS = "kinds=503"

    run = sync_project(project=project)

    assert_failed_cleanly(run)
    assert run.error_title == "Service Unavailable"
    assert run.error_detail == "Injected fault: 503 answer."
    assert run.error_request_id
    assert stored_rows(project) == before

    settings.AMPERSAND_EMULATOR_FAULTS = ""
    recovered = sync_project(project=project)
    assert (recovered.new, recovered.changed, recovered.removed) == (1, 1, 1)
    assert_store_is_sound(project, served, before[0])


def test_refused_api_key_fails_the_sync_and_touches_nothing(project, seeded, served):
    sync_project(project=project)
    change_remote_in_every_way(seeded, served)
    project.set_api_key("wrong-key")
    project.save()
    before = stored_rows(project)

    run = sync_project(project=project)

    assert_failed_cleanly(run)
    assert run.error_title == "Unauthorized"
    assert run.error_request_id
    assert stored_rows(project) == before

    project.set_api_key(seeded.api_key)
    project.save()
    recovered = sync_project(project=project)
    assert (recovered.new, recovered.changed, recovered.removed) == (1, 1, 1)
    assert_store_is_sound(project, served, before[0])


def crash(*args: Any, **kwargs: Any) -> None:
    raise OSError("disk full")


def crash_on_final_run_save(monkeypatch: pytest.MonkeyPatch) -> None:
    """The last write of the store: everything else has been written when it fails."""
    save = SyncRun.save

    def save_unless_finishing(run: SyncRun, *args: Any, **kwargs: Any) -> None:
        if run.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL):
            crash()
        save(run, *args, **kwargs)

    monkeypatch.setattr(SyncRun, "save", save_unless_finishing)


def crash_inserting_into(model: type) -> Any:
    """A crash when the sync inserts rows of `model` (it writes each kind in its own statements)."""

    def patch(monkeypatch: pytest.MonkeyPatch) -> None:
        insert_rows = snapshots.insert_rows

        def insert_rows_unless_into_model(into: type, *args: Any, **kwargs: Any) -> Any:
            if into is model:
                crash()
            return insert_rows(into, *args, **kwargs)

        monkeypatch.setattr(snapshots, "insert_rows", insert_rows_unless_into_model)

    return patch


def crash_updating_integrations(monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash when the writer points known integrations at their new versions."""
    update_rows = snapshots.update_rows

    def update_rows_unless_integrations(into: type, *args: Any, **kwargs: Any) -> Any:
        if into is Integration:
            crash()
        return update_rows(into, *args, **kwargs)

    monkeypatch.setattr(snapshots, "update_rows", update_rows_unless_integrations)


CRASH_POINTS = {
    "new integrations": crash_inserting_into(Integration),
    "snapshots": crash_inserting_into(Snapshot),
    "search texts": crash_inserting_into(SnapshotSearchText),
    "changed integrations": crash_updating_integrations,
    "final run save": crash_on_final_run_save,
}


@pytest.mark.parametrize("crash_point", CRASH_POINTS)
def test_crash_while_storing_lands_nothing_and_the_next_sync_works(
    project, seeded, served, monkeypatch, crash_point
):
    sync_project(project=project)
    change_remote_in_every_way(seeded, served)
    before = stored_rows(project)

    CRASH_POINTS[crash_point](monkeypatch)
    with pytest.raises(OSError, match="disk full"):
        sync_project(project=project)
    monkeypatch.undo()

    run = project.sync_runs.latest()
    assert run.status == SyncRun.Status.FAILED
    assert run.error_title == "Could not store the integrations"
    assert run.error_detail == "disk full"
    assert not run.snapshots.exists()
    assert stored_rows(project) == before

    recovered = sync_project(project=project)
    assert (recovered.status, recovered.new, recovered.changed, recovered.removed) == (
        SyncRun.Status.SUCCEEDED,
        1,
        1,
        1,
    )
    assert_matches_emulator(project)
    assert_store_is_sound(project, served, before[0])


def test_stored_key_that_cannot_be_decrypted_fails_the_sync_cleanly(project, seeded):
    # A key stored under another SECRET_KEY: the client is never built, like a refused key.
    project.api_key_encrypted = "stored-under-another-secret-key"
    project.save()

    run = sync_project(project=project)

    assert run.status == SyncRun.Status.FAILED
    assert "cannot be decrypted" in run.error_detail
    assert not project.integrations.exists()
    project.set_api_key(seeded.api_key)
    project.save()
    assert sync_project(project=project).new == SEEDED_COUNT


def test_crash_while_fetching_fails_the_run_and_does_not_block_the_next(project, monkeypatch):
    def crash(self: AmpersandClient) -> None:
        raise RuntimeError("decoder blew up")

    monkeypatch.setattr(AmpersandClient, "list_integrations_checked", crash)
    with pytest.raises(RuntimeError, match="decoder blew up"):
        sync_project(project=project)
    monkeypatch.undo()

    run = project.sync_runs.latest()
    assert run.status == SyncRun.Status.FAILED
    assert run.error_detail == "decoder blew up"
    assert sync_project(project=project).new == SEEDED_COUNT


def test_upserted_mapping_change_is_the_one_change_the_next_sync_reports(project, seeded, served):
    sync_project(project=project)
    remote = remote_integrations()[1]
    previous = project.integrations.get(remote_id=remote.id).latest_snapshot
    object_name, field_name = remap_one_field(seeded, remote, "renamed_by_test")
    remember_remote(served)

    with flaky_client(project, fresh("seq=503,timeout,ok; stall=2"), max_retries=2) as client:
        run = sync_project(project=project, client=client)

    assert (run.status, run.changed, run.unchanged) == (
        SyncRun.Status.SUCCEEDED,
        1,
        SEEDED_COUNT - 1,
    )
    latest = project.integrations.get(remote_id=remote.id).latest_snapshot
    assert latest.sync_run == run
    [change] = latest.diff(previous).changes
    assert change.path == f"read.{object_name}.fields.{field_name}.mapToName"
    assert (change.object_name, change.field_name, change.new) == (
        object_name,
        field_name,
        "renamed_by_test",
    )
    assert_store_is_sound(project, served, [])


def test_crash_after_earlier_batches_were_written_lands_none_of_them(project, served, monkeypatch):
    monkeypatch.setattr(snapshots, "SNAPSHOT_BATCH_SIZE", 2)
    insert_rows = snapshots.insert_rows
    batches: list[int] = []

    def crash_on_second_batch(model: type, fields: Any, rows: list, **kwargs: Any) -> Any:
        if model is Snapshot:
            batches.append(len(rows))
            if len(batches) == 2:
                crash()
        return insert_rows(model, fields, rows, **kwargs)

    monkeypatch.setattr(snapshots, "insert_rows", crash_on_second_batch)
    with pytest.raises(OSError, match="disk full"):
        sync_project(project=project)
    monkeypatch.setattr(snapshots, "insert_rows", insert_rows)

    assert batches == [2, 2]
    run = project.sync_runs.latest()
    assert (run.status, run.error_detail) == (SyncRun.Status.FAILED, "disk full")
    assert not project.integrations.exists()
    assert not Snapshot.objects.exists()
    assert not SnapshotSearchText.objects.exists()

    recovered = sync_project(project=project)
    assert (recovered.status, recovered.new) == (SyncRun.Status.SUCCEEDED, SEEDED_COUNT)
    assert SnapshotSearchText.objects.count() == SEEDED_COUNT
    assert_matches_emulator(project)
    assert_store_is_sound(project, served, [])


@pytest.mark.parametrize("fault", ["500", "503", "truncate"])
def test_a_catalog_fetch_failure_leaves_integrations_synced_and_the_old_catalog_kept(
    project, seeded, served, monkeypatch, caplog, fault
):
    sync_project(project=project)
    kept = ProviderCatalog.objects.get()
    changed = {
        **load_catalog().raw,
        "hubspot": {**load_catalog().raw["hubspot"], "displayName": "X"},
    }
    monkeypatch.setattr(emulator_views, "load_catalog", lambda: Catalog(changed))
    changed_remote = remote_integrations()[0]
    remap_one_field(seeded, changed_remote, "after_the_catalog")
    remember_remote(served)

    # listIntegrations and listInstallationsForProject answer; listProviders fails, its retry too.
    with flaky_client(project, fresh(f"seq=ok,ok,{fault},{fault}")) as client:
        run = sync_project(project=project, client=client)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert (run.changed, run.unchanged) == (1, SEEDED_COUNT - 1)
    assert_matches_emulator(project)
    assert_store_is_sound(project, served, [])
    assert ProviderCatalog.objects.get().content_hash == kept.content_hash
    assert known_catalog(project.base_url).display_name("hubspot") == "HubSpot"
    assert "could not refresh the provider catalog" in caplog.text
