"""The per-item work of a sync, and its sharing with forked processes.

Sharing is tested in a process of its own (`sync_work_probe`): this one has threads once a live
server ran, and then rightly never forks.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from integrations.ampersand import typed
from integrations.ampersand.client import listed_integrations
from integrations.models import Project, Snapshot, canonical_hash
from integrations.search import search_text
from integrations.services import sync_project
from integrations.sync_work import OWN_SHARE_WEIGHT, ItemWork, _shares, work_on
from tests.integrations.conftest import connected_project, integration_json, seed_remote
from tests.integrations.test_sync_concurrency import database_url

ROOT = Path(__file__).resolve().parents[2]


def fields(*names: str) -> list[dict[str, Any]]:
    return [{"fieldName": name, "mapToName": name.lower()} for name in names]


def listing() -> list[Any]:
    """Valid integrations of several shapes, two items that fail the contract, one not even an
    object: twelve items, so each of three processes gets several."""
    items: list[Any] = [
        integration_json(
            f"Integration {n}",
            displayName=f"Société n°{n}" if n % 3 == 0 else f"Display {n}",
            read={
                "objects": [
                    {
                        "objectName": "account",
                        "destination": "defaultWebhook",
                        "schedule": "*/10 * * * *",
                        "requiredFields": fields("Id", f"Name{n}"),
                        "optionalFields": [{"mapToName": "owner", "prompt": "Who owns it?"}],
                    }
                ]
            },
        )
        for n in range(9)
    ]
    items[4]["futureCounter"] = 2**70  # beyond 64 bits: decoded and hashed alike everywhere
    invalid = integration_json("Broken")
    invalid["latestRevision"]["createTime"] = 1713812128
    items[6:6] = [invalid, 5]
    items.append({"id": "no-name"})
    return items


@pytest.fixture
def body_file(tmp_path) -> Path:
    path = tmp_path / "listing.json"
    path.write_text(json.dumps(listing(), ensure_ascii=False), encoding="utf-8")
    return path


def expected(body_file: Path, known: dict[str, str], *, check_first: bool) -> list[dict]:
    """The work on every item, done here one by one, as the probe prints it."""
    work = functools.partial(work_on, known_hashes=known, check_first=check_first)
    done = [dataclasses.asdict(work(item)) for item in listed_integrations(body_file.read_bytes())]
    return json.loads(json.dumps(done, default=str))


def probe(body_file: Path, mode: str, known: dict[str, str], *, check_first: bool) -> dict:
    case = body_file.with_suffix(".case.json")
    case.write_text(
        json.dumps({"body": str(body_file), "known": known, "check_first": check_first})
    )
    env = {
        **os.environ,
        "SYNC_PROCESSES": "3",
        "SYNC_PARALLEL_MIN_BYTES": "0",
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.integrations.sync_work_probe", str(case), mode],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_first_sync_work_is_what_a_snapshot_of_the_item_keeps():
    raw, invalid = listing()[0], listing()[6]
    [item, broken] = listed_integrations(json.dumps([raw, invalid]).encode())

    done = work_on(item, known_hashes={}, check_first=True)

    snapshot = Snapshot.from_raw(raw)
    assert (done.remote_id, done.content_hash) == (raw["id"], canonical_hash(raw))
    assert done.to_store.columns == {
        name: getattr(snapshot, name)
        for name in (
            *("revision_id", "revision_created_at", "spec_version"),
            *("read_count", "write_count", "subscribe_count"),
        )
    }
    assert done.to_store.search_text == search_text(raw)
    assert (done.to_store.name, done.to_store.provider, done.to_store.display_name) == (
        "Integration 0",
        "salesforce",
        "Société n°0",
    )
    assert work_on(broken, known_hashes={}, check_first=True) == ItemWork(None, None)
    assert broken.field_errors == [
        "[1].latestRevision.createTime: Value error, expected an RFC 3339 date-time string"
    ]


def test_resync_work_tells_unchanged_changed_and_failed_items_apart():
    same, changed, invalid = listing()[0], listing()[1], listing()[6]
    items = listed_integrations(json.dumps([same, changed, invalid]).encode())
    known = {same["id"]: canonical_hash(same), changed["id"]: "an older hash"}

    done = [work_on(item, known_hashes=known, check_first=False) for item in items]

    assert done[0] == ItemWork(same["id"], canonical_hash(same))  # nothing to store
    assert done[1].to_store is not None
    assert done[1].content_hash == canonical_hash(changed)
    assert (done[2].remote_id, done[2].content_hash) == (invalid["id"], None)


@pytest.mark.parametrize("check_first", [True, False])
def test_items_decoded_into_structs_get_the_work_of_the_dict_path(monkeypatch, check_first):
    raws = listing()
    items = listed_integrations(json.dumps(raws).encode())
    known = {} if check_first else {raws[0]["id"]: canonical_hash(raws[0]), raws[1]["id"]: "old"}
    work = functools.partial(work_on, known_hashes=known, check_first=check_first)

    typed_work = [work(item) for item in listed_integrations(json.dumps(raws).encode())]
    # All but the integration with an unknown key and the three broken items take the struct path.
    assert sum(typed.decode_integration(item.text) is not None for item in items) == 8
    monkeypatch.setattr(typed, "decode_integration", lambda text: None)
    dict_work = [work(item) for item in items]

    assert typed_work == dict_work
    assert sum(done.to_store is not None for done in typed_work) == (9 if check_first else 8)


@pytest.mark.parametrize(("count", "processes"), [(12, 1), (12, 2), (12, 3), (1000, 4), (2, 3)])
def test_shares_cover_every_item_once_in_order_and_this_process_takes_less(count, processes):
    shares = _shares(count, processes=processes)

    assert len(shares) == processes
    assert [index for start, stop in shares for index in range(start, stop)] == list(range(count))
    if processes > 1 and count >= 100:
        own = shares[0][1] - shares[0][0]
        weight = OWN_SHARE_WEIGHT / (OWN_SHARE_WEIGHT + processes - 1)
        assert own == pytest.approx(count * weight, abs=1)


@pytest.mark.parametrize("check_first", [True, False])
def test_work_shared_with_forked_processes_is_the_work_done_in_one(body_file, check_first):
    raws = listing()
    # For a re-sync: one integration unchanged, one changed, the rest new.
    known = {raws[0]["id"]: canonical_hash(raws[0]), raws[1]["id"]: "an older hash"}
    known = known if not check_first else {}

    shared = probe(body_file, "all", known, check_first=check_first)

    assert shared["forks"] == 2
    assert shared["results"] == expected(body_file, known, check_first=check_first)
    assert not shared["left_behind"]
    assert shared["warnings"] == []


def test_what_a_failed_forked_process_did_not_send_is_done_by_the_sync_itself(body_file):
    shared = probe(body_file, "child-fails", {}, check_first=True)

    assert shared["forks"] == 2
    assert shared["results"] == expected(body_file, {}, check_first=True)
    assert not shared["left_behind"]
    assert len(shared["warnings"]) == 2
    assert "stopped after 0 of its" in shared["warnings"][0]


def test_stopping_early_ends_the_forked_processes(body_file):
    shared = probe(body_file, "stop-early", {}, check_first=True)

    assert shared["forks"] == 2
    assert shared["results"] == expected(body_file, {}, check_first=True)[:3]
    assert not shared["left_behind"]


def test_a_process_with_other_threads_never_forks(body_file):
    alone = probe(body_file, "threaded", {}, check_first=True)

    assert alone["forks"] == 0
    assert alone["results"] == expected(body_file, {}, check_first=True)


@pytest.mark.django_db(transaction=True)
def test_sync_command_sharing_its_work_stores_what_one_process_stores(emulator_api):
    remote = seed_remote(emulator_api, integrations=12, seed=3)
    shared, alone = connected_project(remote, "shared"), connected_project(remote, "alone")

    command = subprocess.run(
        [sys.executable, "manage.py", "sync_integrations", "--project", "shared"],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "SYNC_PROCESSES": "3",
            "SYNC_PARALLEL_MIN_BYTES": "0",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    sync_project(project=alone)  # in this process, which has threads: no fork

    assert command.returncode == 0, command.stderr
    assert "working on 12 listed items in 3 processes" in command.stderr
    assert command.stdout.strip() == (
        "synced project=shared fetched=12 new=12 changed=0 unchanged=0 removed=0"
    )
    assert stored(shared) == stored(alone)
    assert len(stored(shared)) == 12


def stored(project: Project) -> list[tuple]:
    """What the project holds of each integration, less its ids and times."""
    return [
        (
            *(integration.remote_id, integration.name, integration.provider),
            *(integration.display_name, integration.state),
            snapshot.raw,
            *(snapshot.content_hash, snapshot.revision_id, snapshot.revision_created_at),
            *(snapshot.spec_version, snapshot.read_count, snapshot.write_count),
            *(snapshot.subscribe_count, snapshot.source, snapshot.search_entry.text),
        )
        for integration in project.integrations.select_related(
            "latest_snapshot__search_entry"
        ).order_by("remote_id")
        for snapshot in [integration.latest_snapshot]
    ]
