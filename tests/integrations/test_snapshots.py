"""The one snapshot writer: every road that stores a version (the sync, a deploy from a page or
the API, the test fixtures) goes through `SnapshotWriter`, and nothing else can write one."""

from __future__ import annotations

import copy

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.ampersand.manifest import build_manifest_yaml
from integrations.deploy.service import latest_revisions
from integrations.models import DeployRecord, Integration, Membership, Snapshot
from integrations.snapshots import SnapshotWriter
from integrations.sync import sync_project
from tests.integrations.conftest import (
    add_version,
    connected_project,
    integration_json,
    renamed,
    seed_remote,
    store_integration,
)
from tests.integrations.test_deploy_pages import form_fields


@pytest.fixture
def written(monkeypatch) -> list[int]:
    """The snapshot ids each `SnapshotWriter.flush` wrote, and a check that every INSERT into
    the snapshots' table ran inside one."""
    ids: list[int] = []
    flushing = [False]
    real_flush = SnapshotWriter.flush

    def flush(self: SnapshotWriter) -> None:
        flushing[0] = True
        before = self.written
        try:
            real_flush(self)
        finally:
            flushing[0] = False
        if self.written > before:
            ids.extend(
                Snapshot.objects.order_by("-pk").values_list("pk", flat=True)[
                    : self.written - before
                ]
            )

    def outside_the_writer(execute, sql, params, many, context):
        if "INSERT INTO" in sql and Snapshot._meta.db_table in sql and not flushing[0]:
            raise AssertionError(f"a snapshot written outside SnapshotWriter: {sql[:80]}")
        return execute(sql, params, many, context)

    monkeypatch.setattr(SnapshotWriter, "flush", flush)
    with connection.execute_wrapper(outside_the_writer):
        yield ids


def assert_every_snapshot_came_from_the_writer(ids: list[int]) -> None:
    assert ids
    assert sorted(ids) == sorted(Snapshot.objects.values_list("pk", flat=True))


def test_the_sync_stores_through_the_writer(written, emulator_api):
    project = connected_project(seed_remote(emulator_api, integrations=3, seed=2))
    run = sync_project(project=project)
    assert run.new == 3
    assert_every_snapshot_came_from_the_writer(written)


def test_the_fixtures_store_through_the_writer(written, project):
    integration = store_integration(project, integration_json("fixture"))
    add_version(integration, renamed(integration.latest_snapshot.raw, "Again"))
    assert Snapshot.objects.count() == 2
    assert_every_snapshot_came_from_the_writer(written)


def reading(project) -> Integration:
    for integration in project.integrations.select_related("latest_snapshot").order_by("name"):
        if integration.latest_snapshot.content.get("read"):
            return integration
    raise AssertionError("no integration that reads")


def with_backfill(integration: Integration) -> str:
    content = copy.deepcopy(integration.latest_snapshot.content)
    content["read"]["objects"][0]["backfill"] = {"defaultPeriod": {"days": 30}}
    return build_manifest_yaml([content])


def synced_for(editor, api, *, integrations: int, seed: int):
    project = connected_project(seed_remote(api, integrations=integrations, seed=seed), "remote")
    Membership.objects.create(user=editor, project=project, role=Membership.Role.EDITOR)
    sync_project(project=project)
    return project


def test_a_deploy_from_the_api_stores_through_the_writer(
    written, emulator_api, editor, editor_client
):
    project = synced_for(editor, emulator_api, integrations=2, seed=5)
    integration = reading(project)
    written.clear()

    answer = editor_client.post(
        f"/api/projects/{project.pk}/deploys/",
        {
            "amp_yaml": with_backfill(integration),
            "base_revisions": latest_revisions(project, [integration.name]),
        },
        content_type="application/json",
    )

    assert answer.status_code == 201, answer.json()
    [new] = written
    assert Snapshot.objects.get(pk=new).deploy_id == answer.json()["id"]


def test_a_restore_from_its_page_stores_through_the_writer(
    written, emulator_api, editor, editor_client
):
    project = synced_for(editor, emulator_api, integrations=3, seed=7)
    integration = reading(project)
    original = integration.latest_snapshot
    editor_client.post(
        f"/api/projects/{project.pk}/deploys/",
        {
            "amp_yaml": with_backfill(integration),
            "base_revisions": latest_revisions(project, [integration.name]),
        },
        content_type="application/json",
    )
    written.clear()
    url = f"/integrations/{integration.pk}/versions/{original.pk}/restore/"

    answer = editor_client.post(url, {**form_fields(editor_client.get(url).content.decode())})

    assert answer.status_code == 302
    record = DeployRecord.objects.latest()
    assert (record.kind, record.outcome) == ("restore", "succeeded")
    [new] = written
    assert Snapshot.objects.get(pk=new).deploy_id == record.pk


def test_writing_around_the_writer_is_refused(project):
    integration = store_integration(project, integration_json("only-one-road"))
    with CaptureQueriesContext(connection) as queries, pytest.raises(TypeError):
        Snapshot.objects.create(integration=integration, raw={}, content_hash="x")
    assert not queries.captured_queries
