"""Syncs of one project that run at the same time: in threads, in processes, and after a crash.

Overlap is made certain rather than hoped for: once armed, `held_fetch` holds the emulator's
next listIntegrations answer (in the `response_served` signal, so the sync waiting for it has
already recorded its running SyncRun) until the test lets it go, and each test lets it go only
once the competing sync has made its attempt. The free-race tests slow every fetch with the
emulator's `latency=` fault instead and accept either outcome, checking which one happened.

Processes: each `manage.py sync_integrations` subprocess is pointed (DATABASE_URL) at this
test's own database, the file on SQLite or the `test_…` database on PostgreSQL, which the
transactional tests commit to; its project's API URL is the live server that pytest-django runs
in this process. So no second server, port or migration is needed, and the test can hold the
emulator's answers from here. Waits are bounded; a hung process fails the test, it never hangs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from emulator.signals import response_served
from integrations.models import Integration, Project, Snapshot, SyncRun
from integrations.services import client_for
from integrations.sync import SyncAlreadyRunning, fail_dead_sync_runs, sync_project
from tests.integrations.test_sync_faults import (
    REMOTE_PROJECT,
    SEEDED_COUNT,
    assert_matches_emulator,
    connect_project,
    remap_one_field,
    remote_integrations,
)

pytestmark = pytest.mark.django_db(transaction=True)

MANAGE_PY = Path(__file__).resolve().parents[2] / "manage.py"
WAIT_SECONDS = 30.0


@pytest.fixture
def seeded(emulator_api):
    call_command(
        "seed_emulator", project=REMOTE_PROJECT, integrations=SEEDED_COUNT, seed=5, api_key="k-5"
    )
    return replace(emulator_api, project=REMOTE_PROJECT, api_key="k-5")


@pytest.fixture
def project(seeded) -> Project:
    return connect_project("local", seeded)


@pytest.fixture(autouse=True)
def _patient_client(settings):
    # A held answer must not look like a read timeout, or the client would fetch again.
    settings.AMPERSAND_TIMEOUT_SECONDS = 60


@dataclass
class HeldFetch:
    """Once armed, the next listIntegrations answer is held in the emulator until released."""

    armed: threading.Event
    arrived: threading.Event
    release: threading.Event

    def arm(self) -> None:
        self.armed.set()


@pytest.fixture
def held_fetch() -> Iterator[HeldFetch]:
    held = HeldFetch(threading.Event(), threading.Event(), threading.Event())
    lock = threading.Lock()

    def hold_next(sender, request, response, operation_id, fault, **kwargs):
        if operation_id != "listIntegrations":
            return
        with lock:
            hold = held.armed.is_set() and not held.arrived.is_set()
            if hold:
                held.arrived.set()
        if hold:
            held.release.wait(timeout=WAIT_SECONDS)

    response_served.connect(hold_next, weak=False)
    yield held
    held.release.set()
    response_served.disconnect(hold_next)


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


def in_thread(work: Callable[[], Any], results: dict[str, Any], key: str) -> threading.Thread:
    """A thread running `work` on its own database connection, keeping its result or error."""

    def run() -> None:
        try:
            results[key] = work()
        except Exception as error:
            results[key] = error
        finally:
            connections.close_all()

    return threading.Thread(target=run, name=key, daemon=True)


def join_all(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(timeout=WAIT_SECONDS)
        assert not thread.is_alive(), f"{thread.name} did not finish"


def assert_consistent(project: Project) -> None:
    """What must hold whatever interleaving happened."""
    remote_ids = list(project.integrations.values_list("remote_id", flat=True))
    assert len(remote_ids) == len(set(remote_ids)), "an integration was stored twice"
    versions = list(
        Snapshot.objects.filter(integration__project=project).values_list(
            "integration_id", "content_hash"
        )
    )
    assert len(versions) == len(set(versions)), "a version was snapshotted twice"
    for integration in project.integrations.all():
        assert integration.latest_snapshot_id == integration.snapshots.order_by("-pk")[0].pk
    assert not project.sync_runs.filter(status=SyncRun.Status.RUNNING).exists()
    assert_matches_emulator(project)


def assert_serial(runs: list[SyncRun]) -> None:
    """Two runs that both succeeded must have run one after the other."""
    first, second = sorted(runs, key=lambda run: run.started_at)
    assert first.finished_at <= second.started_at, "two syncs of one project overlapped"
    assert (second.new, second.changed) == (0, 0)


# --- Threads -------------------------------------------------------------------------------------


def test_sync_started_while_another_thread_syncs_is_refused(project, held_fetch):
    held_fetch.arm()
    barrier = threading.Barrier(2, timeout=WAIT_SECONDS)
    results: dict[str, Any] = {}

    def sync() -> SyncRun:
        barrier.wait()
        return sync_project(project=Project.objects.get(pk=project.pk))

    threads = [in_thread(sync, results, name) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    # Whichever thread won is held with its run recorded; let it go once the other has tried.
    wait_until(lambda: len(results) == 1, "the losing thread's attempt")
    held_fetch.release.set()
    join_all(threads)

    refused = [result for result in results.values() if isinstance(result, SyncAlreadyRunning)]
    synced = [result for result in results.values() if isinstance(result, SyncRun)]
    assert len(refused) == 1, results
    assert "already running" in str(refused[0])
    [run] = synced
    assert (run.status, run.new) == (SyncRun.Status.SUCCEEDED, SEEDED_COUNT)
    assert project.sync_runs.count() == 1
    assert_consistent(project)


def test_threads_started_together_never_store_anything_twice(project, seeded):
    running_seen: list[int] = []
    stop_watching = threading.Event()

    def watch_running_runs() -> None:
        while not stop_watching.is_set():
            running_seen.append(project.sync_runs.filter(status=SyncRun.Status.RUNNING).count())
            time.sleep(0.01)

    watcher_results: dict[str, Any] = {}
    watcher = in_thread(watch_running_runs, watcher_results, "watcher")
    watcher.start()
    try:
        for round_number in range(4):
            remap_one_field(seeded, remote_integrations()[round_number], f"race_{round_number}")
            barrier = threading.Barrier(2, timeout=WAIT_SECONDS)
            results: dict[str, Any] = {}

            def sync(barrier: threading.Barrier = barrier) -> SyncRun:
                own = Project.objects.get(pk=project.pk)
                with client_for(own, headers={"X-Emulator-Faults": "latency=0.3"}) as client:
                    barrier.wait()
                    return sync_project(project=own, client=client)

            threads = [in_thread(sync, results, name) for name in ("one", "two")]
            for thread in threads:
                thread.start()
            join_all(threads)

            synced = [result for result in results.values() if isinstance(result, SyncRun)]
            refused = [r for r in results.values() if isinstance(r, SyncAlreadyRunning)]
            assert len(synced) + len(refused) == 2, results
            assert all(run.status == SyncRun.Status.SUCCEEDED for run in synced)
            if refused:
                [run] = synced
                assert run.changed == (1 if round_number else 0)
            else:
                assert_serial(synced)
            assert_consistent(project)
    finally:
        stop_watching.set()
        watcher.join(timeout=WAIT_SECONDS)
    assert watcher_results == {"watcher": None}
    assert running_seen
    assert max(running_seen) <= 1


def test_run_taken_for_dead_that_finishes_late_stores_nothing(project, seeded, held_fetch):
    sync_project(project=project)
    remote = remote_integrations()[0]
    remap_one_field(seeded, remote, "fetched_by_the_slow_sync")
    held_fetch.arm()
    results: dict[str, Any] = {}
    slow = in_thread(
        lambda: sync_project(project=Project.objects.get(pk=project.pk)), results, "slow"
    )
    slow.start()
    wait_until(held_fetch.arrived.is_set, "the slow sync's fetch")
    # The slow run has its answer in hand; it now looks dead (no sign of life for an hour)
    # while the integration changes again and another sync runs.
    slow_run = project.sync_runs.get(status=SyncRun.Status.RUNNING)
    SyncRun.objects.filter(pk=slow_run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    remap_one_field(seeded, remote_integrations()[0], "fetched_by_the_next_sync")
    assert sync_project(project=project).changed == 1

    held_fetch.release.set()
    join_all([slow])

    # The late run must neither bring back the older version nor pass for a success.
    assert_matches_emulator(project)
    slow_run.refresh_from_db()
    assert slow_run.status == SyncRun.Status.FAILED
    assert not slow_run.snapshots.exists()
    assert_consistent(project)
    assert sync_project(project=project).changed == 0
    assert_consistent(project)


def test_a_run_its_worker_is_storing_is_never_taken_for_dead(project):
    # As `run_sync` stores: the run's row locked in the transaction that ends it. Its last
    # sign of life is old, as after a store that takes longer than the stale limit.
    run = SyncRun.objects.create(project=project, trigger=SyncRun.Trigger.TASK, worker="w:1")
    SyncRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    locked, commit = threading.Event(), threading.Event()

    def store() -> None:
        with transaction.atomic():
            SyncRun.objects.select_for_update().filter(pk=run.pk).get()
            locked.set()
            commit.wait(timeout=WAIT_SECONDS)
            SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.SUCCEEDED)

    results: dict[str, Any] = {}
    worker = in_thread(store, results, "worker")
    worker.start()
    assert locked.wait(timeout=WAIT_SECONDS)
    if connection.vendor == "postgresql":
        assert fail_dead_sync_runs(project) == 0  # it skips the locked row, at once
    else:
        threading.Timer(0.5, commit.set).start()  # one writer: the check waits for the commit
        assert fail_dead_sync_runs(project) == 0
    commit.set()
    join_all([worker])

    assert results == {"worker": None}
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED


# --- Processes -----------------------------------------------------------------------------------


def database_url() -> str:
    database = connection.settings_dict
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{database['NAME']}"
    credentials = quote(database["USER"] or "", safe="")
    if database["PASSWORD"]:
        credentials += ":" + quote(database["PASSWORD"], safe="")
    host = f"{database['HOST'] or 'localhost'}:{database['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{database['NAME']}"


def start_sync_command(project_name: str) -> subprocess.Popen[str]:
    return manage("sync_integrations", "--project", project_name)


def manage(*arguments: str) -> subprocess.Popen[str]:
    """`manage.py` with `arguments`, in a process of its own, on this test's database."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "AMPERSAND_TIMEOUT_SECONDS": "60",
        "DJANGO_SECRET_KEY": django_settings.SECRET_KEY,
    }
    return subprocess.Popen(
        [sys.executable, str(MANAGE_PY), *arguments],
        cwd=MANAGE_PY.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str


def finish(process: subprocess.Popen[str]) -> Outcome:
    try:
        stdout, stderr = process.communicate(timeout=WAIT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"sync_integrations (pid {process.pid}) did not finish")
    return Outcome(process.returncode, stdout.strip(), stderr.strip())


FIRST_SUMMARY = f"synced project=local fetched={SEEDED_COUNT} new={SEEDED_COUNT} changed=0 "
SECOND_SUMMARY = f"synced project=local fetched={SEEDED_COUNT} new=0 changed=0 "


def test_sync_command_started_while_another_process_syncs_is_refused(project, held_fetch):
    held_fetch.arm()
    processes = [start_sync_command("local"), start_sync_command("local")]
    try:
        # The winner is held with its run recorded until the loser has exited.
        wait_until(
            lambda: any(process.poll() is not None for process in processes), "a process to exit"
        )
    finally:
        held_fetch.release.set()
    outcomes = sorted((finish(process) for process in processes), key=lambda o: o.returncode)

    synced, refused = outcomes
    assert synced.returncode == 0, synced
    assert synced.stdout.startswith(FIRST_SUMMARY), synced
    assert refused.returncode != 0
    assert refused.stdout == ""
    assert "sync refused project=local: A sync of project local is already running" in (
        refused.stderr
    )
    assert list(project.sync_runs.values_list("status", flat=True)) == [SyncRun.Status.SUCCEEDED]
    assert_consistent(project)


def test_sync_commands_started_together_end_consistent(project, settings):
    settings.AMPERSAND_EMULATOR_FAULTS = "latency=0.5"
    processes = [start_sync_command("local"), start_sync_command("local")]
    outcomes = sorted((finish(process) for process in processes), key=lambda o: o.returncode)

    assert outcomes[0].returncode == 0, outcomes
    assert outcomes[0].stdout.startswith("synced project=local "), outcomes
    runs = list(project.sync_runs.all())
    assert all(run.status == SyncRun.Status.SUCCEEDED for run in runs)
    if outcomes[1].returncode == 0:
        assert sorted(outcome.stdout for outcome in outcomes)[0].startswith(SECOND_SUMMARY)
        assert_serial(runs)
    else:
        assert "sync refused project=local" in outcomes[1].stderr
        assert len(runs) == 1
    assert_consistent(project)


def killed_during_its_fetch(
    start: Callable[[], subprocess.Popen[str]], held_fetch: HeldFetch
) -> subprocess.Popen[str]:
    """A process that `start` starts, killed while the emulator holds its fetch's answer."""
    held_fetch.arm()
    victim = start()
    try:
        wait_until(held_fetch.arrived.is_set, "the doomed process's fetch")
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=WAIT_SECONDS)
    finally:
        held_fetch.release.set()
    return victim


def test_sync_left_running_by_a_killed_process_is_failed_by_the_next_one(project, held_fetch):
    victim = killed_during_its_fetch(lambda: start_sync_command("local"), held_fetch)
    orphan = project.sync_runs.get()
    assert orphan.status == SyncRun.Status.RUNNING
    assert orphan.worker.endswith(f":{victim.pid}")

    next_sync = finish(start_sync_command("local"))

    assert next_sync.returncode == 0, next_sync
    assert next_sync.stdout.startswith(FIRST_SUMMARY)
    orphan.refresh_from_db()
    assert orphan.status == SyncRun.Status.FAILED
    assert orphan.error_title == "Worker stopped"
    assert not orphan.snapshots.exists()
    assert Integration.objects.filter(project=project).count() == SEEDED_COUNT
    assert_consistent(project)


# What the Sync now button does, in a web process that then exits (a restart, a recycle).
QUEUE_FROM_A_WEB_PROCESS = (
    "from integrations.models import Project, SyncRun; "
    "from integrations.tasks import start_background_sync; "
    "start_background_sync(project=Project.objects.get(name='local'), trigger='button')"
)


def start_db_worker() -> subprocess.Popen[str]:
    return manage("db_worker", "--batch", "--no-reload", "--no-startup-delay")


def test_a_background_sync_outlives_the_web_process_that_queued_it(project, held_fetch):
    web = finish(manage("shell", "--command", QUEUE_FROM_A_WEB_PROCESS))
    assert web.returncode == 0, web
    held_fetch.arm()
    worker = start_db_worker()
    try:
        wait_until(held_fetch.arrived.is_set, "the worker's fetch")
        # The page of the run, polled through another web process while db_worker syncs.
        assert fail_dead_sync_runs(project) == 0
        run = project.sync_runs.get()
        assert run.worker.endswith(f":{worker.pid}")
    finally:
        held_fetch.release.set()
    assert finish(worker).returncode == 0

    run.refresh_from_db()
    assert (run.status, run.new) == (SyncRun.Status.SUCCEEDED, SEEDED_COUNT)
    assert_consistent(project)


def test_a_background_sync_whose_worker_was_killed_is_failed_naming_it(project, held_fetch):
    assert finish(manage("shell", "--command", QUEUE_FROM_A_WEB_PROCESS)).returncode == 0
    worker = killed_during_its_fetch(start_db_worker, held_fetch)

    assert fail_dead_sync_runs(project) == 1

    run = project.sync_runs.get()
    assert (run.status, run.error_title) == (SyncRun.Status.FAILED, "Worker stopped")
    assert f":{worker.pid}) is gone" in run.error_detail
    assert not run.snapshots.exists()
    assert sync_project(project=project).new == SEEDED_COUNT
    assert_consistent(project)
