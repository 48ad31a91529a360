from __future__ import annotations

import ast
import copy
import json
import socket
import threading
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from emulator import views as emulator_views
from emulator.models import Integration as RemoteIntegration
from emulator.signals import response_served
from integrations import models, services, snapshots
from integrations import sync as sync_package
from integrations.ampersand import AmpersandClient
from integrations.ampersand.manifest import Catalog, build_manifest_yaml, load_catalog
from integrations.models import (
    Integration,
    Project,
    ProviderCatalog,
    Snapshot,
    SyncRun,
    known_catalog,
)
from integrations.search import search_text
from integrations.services import this_worker
from integrations.sync import SyncAlreadyRunning, fail_dead_sync_runs, start_sync, sync_project
from integrations.sync import project as sync_project_module
from integrations.sync import runs as sync_runs
from integrations.sync.runs import SYNC_STALE_AFTER
from integrations.tasks import start_background_sync
from tests.ampersand.samples import integration_body
from tests.integrations.conftest import connected_project, run_worker, seed_remote


@pytest.fixture
def seeded(emulator_api):
    return seed_remote(emulator_api, integrations=6, seed=3)


@pytest.fixture
def project(seeded, settings) -> Project:
    return connected_project(seeded)


def remote_client(api, **options) -> AmpersandClient:
    return AmpersandClient(
        base_url=api.base_url, api_key=api.api_key, project=api.project, **options
    )


def test_first_sync_stores_one_snapshot_per_integration(project):
    result = sync_project(project=project)

    assert (result.fetched, result.new, result.changed, result.unchanged) == (6, 6, 0, 0)
    assert Integration.objects.filter(project=project).count() == 6
    assert Snapshot.objects.count() == 6
    remote = RemoteIntegration.objects.get(name=Integration.objects.first().name)
    local = Integration.objects.get(remote_id=remote.id)
    assert local.latest_snapshot.raw == remote.to_api()
    assert local.latest_snapshot.revision_id == remote.latest_revision_id


def test_resync_without_changes_writes_no_snapshot(project):
    sync_project(project=project)
    result = sync_project(project=project)
    assert (result.new, result.changed, result.unchanged) == (0, 0, 6)
    assert Snapshot.objects.count() == 6
    assert result.summary() == (
        "synced project=local fetched=6 new=0 changed=0 unchanged=6 removed=0"
    )


def test_upsert_that_changes_a_mapping_makes_the_next_sync_report_one_change(project, seeded):
    sync_project(project=project)
    remote = RemoteIntegration.objects.order_by("name").first()
    content = remote.latest_revision.content
    field = content["read"]["objects"][0]["requiredFields"][0]
    field["mapToName"] = "renamed_by_test"
    with remote_client(seeded) as client:
        client.batch_upsert(build_manifest_yaml([content]))

    result = sync_project(project=project)

    assert (result.changed, result.unchanged) == (1, 5)
    local = Integration.objects.get(remote_id=remote.id)
    assert local.snapshots.count() == 2
    assert (
        local.latest_snapshot.content["read"]["objects"][0]["requiredFields"][0]["mapToName"]
        == "renamed_by_test"
    )


def test_integration_deleted_remotely_is_marked_removed_and_keeps_history(project, seeded):
    sync_project(project=project)
    remote = RemoteIntegration.objects.order_by("name").first()
    content = remote.latest_revision.content
    with remote_client(seeded) as client:
        client.delete_integration(remote.id)

    result = sync_project(project=project)

    assert result.removed == 1
    local = Integration.objects.get(remote_id=remote.id)
    assert local.state == Integration.State.REMOVED
    assert local.snapshots.count() == 1
    assert sync_project(project=project).removed == 0

    with remote_client(seeded) as client:
        client.batch_upsert(build_manifest_yaml([content]))
    result = sync_project(project=project)
    assert result.new == 1  # the API gives the re-created integration a new id


def test_failed_fetch_changes_nothing_and_records_the_problem(project, seeded):
    sync_project(project=project)
    before = list(Snapshot.objects.values_list("pk", "content_hash"))
    with remote_client(
        seeded, max_retries=1, headers={"X-Emulator-Faults": "kinds=503"}, total_timeout=5
    ) as failing:
        run = sync_project(project=project, client=failing)

    assert run.status == SyncRun.Status.FAILED
    assert run.error_title
    assert run.error_request_id
    assert run.finished_at is not None
    assert list(Snapshot.objects.values_list("pk", "content_hash")) == before
    assert not Integration.objects.filter(state=Integration.State.REMOVED).exists()


def test_integration_that_breaks_the_contract_is_a_failed_item_of_a_partial_sync(project, seeded):
    sync_project(project=project)
    with remote_client(seeded, headers={"X-Emulator-Faults": "kinds=invalid"}) as broken:
        run = sync_project(project=project, client=broken)

    assert run.status == SyncRun.Status.PARTIAL
    assert (run.fetched, run.unchanged, run.removed) == (6, 5, 0)
    [item] = run.failed_items
    assert any(error.startswith("[0].id") for error in item["errors"])
    assert not Integration.objects.filter(state=Integration.State.REMOVED).exists()


def test_second_sync_of_a_project_is_refused_while_one_runs(project):
    running = start_sync(project=project, trigger=SyncRun.Trigger.BUTTON)

    with pytest.raises(SyncAlreadyRunning, match="already running"):
        sync_project(project=project)

    assert SyncRun.objects.filter(status=SyncRun.Status.RUNNING).get() == running


def test_sync_left_running_by_a_dead_worker_is_failed_on_the_next_start(project):
    dead = SyncRun.objects.create(
        project=project, trigger=SyncRun.Trigger.TASK, worker=f"{socket.gethostname()}:999999"
    )
    stale = SyncRun.objects.create(
        project=Project.objects.create(name="p2", ampersand_project="seeded"),
        trigger=SyncRun.Trigger.TASK,
        worker="elsewhere:1",
    )
    SyncRun.objects.filter(pk=stale.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))

    assert sync_project(project=project).status == SyncRun.Status.SUCCEEDED
    assert fail_dead_sync_runs(stale.project) == 1

    dead.refresh_from_db()
    assert dead.status == SyncRun.Status.FAILED
    assert dead.error_title == "Worker stopped"


# A web process that has exited (restarted or recycled) since it queued a sync: no such pid.
GONE_WEB_PROCESS = f"{socket.gethostname()}:999999"


def queue_sync_from(web_process: str, project: Project, monkeypatch) -> SyncRun:
    """Queue a sync as the Sync now button does, from the web process `web_process`."""
    with monkeypatch.context() as patched:
        patched.setattr(services, "this_worker", lambda: web_process)
        return start_background_sync(project=project, trigger=SyncRun.Trigger.BUTTON)


def test_a_queued_sync_outlives_the_web_process_that_queued_it(project, monkeypatch):
    run = queue_sync_from(GONE_WEB_PROCESS, project, monkeypatch)

    # Polled by another web process while the task waits for db_worker.
    assert fail_dead_sync_runs(project) == 0
    run_worker()

    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.worker == this_worker()  # db_worker's process (here, this one), not the web's


def test_time_a_sync_waits_in_the_queue_never_counts_as_staleness(project):
    run = start_background_sync(project=project, trigger=SyncRun.Trigger.BUTTON)
    long_ago = timezone.now() - 10 * SYNC_STALE_AFTER
    SyncRun.objects.filter(pk=run.pk).update(started_at=long_ago, heartbeat_at=long_ago)

    assert fail_dead_sync_runs(project) == 0
    task_started = timezone.now()
    run_worker()

    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.heartbeat_at >= task_started


def test_the_worker_claims_the_run_when_its_task_starts(project, monkeypatch):
    run = queue_sync_from("web-host:4242", project, monkeypatch)
    assert SyncRun.objects.get(pk=run.pk).worker == ""  # queued: no worker yet
    during_fetch = {}

    def look_at_the_run(sender, operation_id, **kwargs):
        if operation_id == "listIntegrations":
            during_fetch.update(SyncRun.objects.values("worker", "heartbeat_at").get(pk=run.pk))

    response_served.connect(look_at_the_run, weak=False)
    try:
        task_started = timezone.now()
        run_worker()
    finally:
        response_served.disconnect(look_at_the_run)

    assert during_fetch["worker"] == this_worker()
    assert during_fetch["heartbeat_at"] >= task_started


def test_a_sync_whose_worker_stopped_showing_signs_of_life_is_failed_naming_it(project):
    quiet = SyncRun.objects.create(
        project=project, trigger=SyncRun.Trigger.BUTTON, worker="worker-host:77"
    )
    last_beat = timezone.now() - SYNC_STALE_AFTER + timedelta(seconds=30)
    SyncRun.objects.filter(pk=quiet.pk).update(heartbeat_at=last_beat)
    assert fail_dead_sync_runs(project) == 0

    last_beat = timezone.now() - SYNC_STALE_AFTER - timedelta(seconds=1)
    SyncRun.objects.filter(pk=quiet.pk).update(heartbeat_at=last_beat)
    assert fail_dead_sync_runs(project) == 1

    quiet.refresh_from_db()
    assert quiet.status == SyncRun.Status.FAILED
    assert quiet.error_title == "Worker stopped"
    assert quiet.error_detail == (
        "The worker running this sync (worker-host:77) has shown no sign of life since "
        f"{last_beat:%Y-%m-%d %H:%M:%S} UTC, more than 5 minutes; nothing it fetched was stored."
    )


def test_a_queued_sync_whose_task_is_gone_is_failed(project):
    run = start_background_sync(project=project, trigger=SyncRun.Trigger.BUTTON)
    DBTaskResult.objects.all().delete()

    assert fail_dead_sync_runs(project) == 1

    run.refresh_from_db()
    assert (run.status, run.error_title) == (SyncRun.Status.FAILED, "Task lost")
    assert run.error_detail == (
        "This sync's task is no longer in the task queue; no worker will run it."
    )


def test_a_queued_sync_whose_task_started_but_never_claimed_it_is_failed(project):
    run = start_background_sync(project=project, trigger=SyncRun.Trigger.BUTTON)
    # db_worker took the task, then died before the task could claim the run.
    taken = timezone.now() - SYNC_STALE_AFTER + timedelta(seconds=30)
    DBTaskResult.objects.update(status="RUNNING", started_at=taken, worker_ids=["gone"])
    assert fail_dead_sync_runs(project) == 0

    DBTaskResult.objects.update(started_at=taken - timedelta(minutes=1))
    assert fail_dead_sync_runs(project) == 1

    run.refresh_from_db()
    assert run.status == SyncRun.Status.FAILED
    assert (run.error_title, run.error_detail) == (
        "Worker stopped",
        f"A worker took this sync's task at {taken - timedelta(minutes=1):%Y-%m-%d %H:%M:%S} UTC "
        "and stopped before it could start the sync.",
    )


@pytest.mark.parametrize(
    "module", [services, snapshots, sync_package, sync_project_module, sync_runs]
)
def test_the_sync_and_services_never_import_the_tasks_that_run_them(module):
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert "integrations.tasks" not in imported


def test_sync_command_prints_the_summary_line(project, capsys):
    call_command("sync_integrations", project="local")
    call_command("sync_integrations", project="local")
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == [
        "synced project=local fetched=6 new=6 changed=0 unchanged=0 removed=0",
        "synced project=local fetched=6 new=0 changed=0 unchanged=6 removed=0",
    ]


def test_sync_command_fails_clearly_when_the_api_refuses_the_key(project, capsys):
    project.set_api_key("wrong-key")
    project.save()
    with pytest.raises(CommandError, match="1 project"):
        call_command("sync_integrations", project="local")
    assert "sync failed project=local" in capsys.readouterr().err


def test_snapshots_hold_the_json_exactly_as_the_api_sent_it(project, seeded):
    with httpx.Client() as http:
        served = http.get(
            f"{seeded.base_url}/projects/{seeded.project}/integrations",
            headers={"X-Api-Key": seeded.api_key},
        ).content

    sync_project(project=project)

    items = json.loads(served)
    stored = {snapshot.integration.remote_id: snapshot for snapshot in Snapshot.objects.all()}
    assert {item["id"]: stored[item["id"]].raw for item in items} == {
        item["id"]: item for item in items
    }
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT raw FROM integrations_snapshot")
            texts = [row[0] for row in cursor.fetchall()]
        assert len(texts) == len(items)
        assert all(text.encode() in served for text in texts)


def test_items_the_fast_check_leaves_to_the_precise_one_are_judged_by_it(project):
    valid = integration_body(id="fast")
    by_python_name = integration_body(id="precise", name="by-python-name")
    fields = by_python_name["latestRevision"]["content"]["read"]["objects"][0]["requiredFields"]
    fields[0] = {"field_name": "name"}
    invalid = integration_body(id="broken", name="broken", createTime=1713812128)
    body = f"[{json.dumps(valid)},\n{json.dumps(by_python_name, indent=2)}, {json.dumps(invalid)}]"
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body.encode()))
    client = AmpersandClient(
        base_url="http://api.test/v1", api_key="k", project="p", transport=transport
    )

    run = sync_project(project=project, client=client)

    assert (run.status, run.new) == (SyncRun.Status.PARTIAL, 2)
    [failed] = run.failed_items
    assert failed["remote_id"] == "broken"
    assert failed["errors"] == [
        "[2].createTime: Value error, expected an RFC 3339 date-time string"
    ]
    stored = Integration.objects.get(remote_id="precise").latest_snapshot
    assert stored.raw == by_python_name
    assert stored.search_entry.text == search_text(by_python_name)


def test_resync_of_an_item_with_a_huge_integer_finds_it_unchanged(project):
    body = integration_body(id="big", futureCounter=2**70, ratio=0.1)
    content = f"[{json.dumps(body)}]".encode()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=content))

    def sync() -> SyncRun:
        client = AmpersandClient(
            base_url="http://api.test/v1", api_key="k", project="p", transport=transport
        )
        return sync_project(project=project, client=client)

    assert sync().new == 1
    assert (sync().unchanged, Snapshot.objects.count()) == (1, 1)
    assert Snapshot.objects.get().raw["futureCounter"] == 2**70


class Listener:
    """A plain socket on a loopback port that records what reaches it and answers 404."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(5)
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}/v1"

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                data = b""
                while b"\r\n\r\n" not in data and (chunk := connection.recv(65536)):
                    data += chunk
                self.received.append(data)
                connection.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")

    def close(self) -> None:
        self.server.close()
        self.thread.join(5)


@pytest.fixture
def listener():
    listener = Listener()
    yield listener
    listener.close()


def test_project_pointed_elsewhere_without_its_own_key_sends_nothing(db, settings, listener):
    settings.AMPERSAND_API_KEY = "environment-key-stays-home"
    project = Project.objects.create(name="p", ampersand_project="p", api_url=listener.url)
    run = sync_project(project=project)
    assert run.status == SyncRun.Status.FAILED
    assert "no API key of its own" in run.error_detail
    assert listener.received == []


def test_project_pointed_elsewhere_with_its_own_key_sends_only_that_key(db, settings, listener):
    settings.AMPERSAND_API_KEY = "environment-key-stays-home"
    project = Project.objects.create(name="p", ampersand_project="p", api_url=listener.url)
    project.set_api_key("the-project-own-key")
    project.save()
    sync_project(project=project)
    assert listener.received
    sent = b"".join(listener.received)
    assert b"the-project-own-key" in sent
    assert b"environment-key-stays-home" not in sent


# --- the provider catalog ----------------------------------------------------------------------


def serve_catalog(monkeypatch, **display_names: str) -> dict:
    """Have the emulator answer listProviders with the bundled catalog, renamed as given."""
    providers = copy.deepcopy(load_catalog().raw)
    for name, display_name in display_names.items():
        providers[name]["displayName"] = display_name
    monkeypatch.setattr(emulator_views, "load_catalog", lambda: Catalog(providers))
    return providers


def test_sync_stores_the_provider_catalog_the_api_sent(project):
    assert known_catalog(project.base_url) is load_catalog()

    sync_project(project=project)

    stored = ProviderCatalog.objects.get()
    assert stored.base_url == project.base_url
    assert stored.providers == load_catalog().raw
    assert known_catalog(project.base_url).display_name("hubspot") == "HubSpot"


def test_resync_with_an_unchanged_catalog_writes_nothing(project):
    sync_project(project=project)
    stored = ProviderCatalog.objects.get()

    with CaptureQueriesContext(connection) as queries:
        sync_project(project=project)

    writes = [
        query["sql"]
        for query in queries
        if "integrations_providercatalog" in query["sql"]
        and not query["sql"].lstrip().upper().startswith("SELECT")
    ]
    assert writes == []
    assert ProviderCatalog.objects.get().fetched_at == stored.fetched_at


def test_sync_refreshes_a_changed_catalog_for_every_process(project, monkeypatch):
    sync_project(project=project)
    serve_catalog(monkeypatch, hubspot="HubSpot CRM")
    before = ProviderCatalog.objects.get()

    sync_project(project=project)

    after = ProviderCatalog.objects.get()
    assert after.content_hash != before.content_hash
    assert after.fetched_at > before.fetched_at
    assert known_catalog(project.base_url).display_name("hubspot") == "HubSpot CRM"
    # Another process holds the catalog it parsed before: the stored version replaces it.
    monkeypatch.setattr(models, "_known_catalogs", {project.base_url: ("old", load_catalog())})
    assert known_catalog(project.base_url).display_name("hubspot") == "HubSpot CRM"


def test_catalogs_are_kept_per_api_base_url(project):
    sync_project(project=project)
    elsewhere = "https://api.example.com/v1"

    assert known_catalog(elsewhere) is load_catalog()
    assert list(ProviderCatalog.objects.values_list("base_url", flat=True)) == [project.base_url]
