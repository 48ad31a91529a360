"""The demo installations' operations: consistent with each installation, mostly successes."""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter, defaultdict
from datetime import timedelta

import pytest

from emulator.demo_builder import DemoData, DemoInstallation
from emulator.demo_operations import RETENTION, DemoOperation, build_operations
from tests.emulator.test_seed import built_demo


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return built_demo(1, integrations=24)


@pytest.fixture(scope="module")
def operations(demo: DemoData) -> list[DemoOperation]:
    return build_operations(demo.installations, most=20)


def by_installation(operations: list[DemoOperation]) -> dict[str, list[DemoOperation]]:
    grouped: dict[str, list[DemoOperation]] = defaultdict(list)
    for operation in operations:
        grouped[operation.installation_id].append(operation)
    return grouped


def demo_end(demo: DemoData):
    return max(i.update_time or i.create_time for i in demo.installations) + timedelta(days=1)


def test_each_installation_that_ran_something_has_its_last_status_newest(demo, operations):
    grouped = by_installation(operations)

    for installation in demo.installations:
        mine = grouped[installation.id]
        if not installation.last_operation_status:
            assert mine == []
            continue
        assert 1 <= len(mine) <= 20
        assert mine == sorted(mine, key=lambda o: o.create_time, reverse=True)
        assert mine[0].status == installation.last_operation_status


def test_operations_follow_the_installations_config(demo, operations):
    installations = {i.id: i for i in demo.installations}
    until = demo_end(demo)

    for operation in operations:
        installation = installations[operation.installation_id]
        content = installation.config["content"]
        chosen = set(content.get(operation.action_type, {}).get("objects", {}))
        assert operation.metadata["objects"]
        assert set(operation.metadata["objects"]) <= chosen
        if operation.action_type == "read":
            (name,) = operation.metadata["objects"]
            assert not content["read"]["objects"][name].get("disabled")
            assert operation.metadata["progress"]["objectName"] == name
            assert operation.metadata["progress"]["operationId"] == operation.id
        assert operation.integration_id == installation.integration_id
        assert operation.config_id == installation.config["id"]
        assert installation.create_time <= operation.create_time <= until
        assert operation.create_time >= until - RETENTION - timedelta(hours=1)
    assert len({operation.id for operation in operations}) == len(operations)


def test_the_default_demo_reads_writes_and_subscribes(operations):
    assert {o.action_type for o in operations} == {"read", "write", "subscribe"}
    assert {o.status for o in operations} == {"success", "failure", "in_progress"}


def test_most_succeed_and_every_failure_says_why(operations):
    statuses = Counter(operation.status for operation in operations)
    failures = [operation for operation in operations if operation.status == "failure"]

    assert statuses["success"] > 0.8 * len(operations)
    assert len(failures) >= 10
    assert {o.action_type for o in failures} >= {"read", "write"}
    for failure in failures:
        assert "failed" in failure.result
    for running in (o for o in operations if o.status == "in_progress"):
        assert running.result == ""
    for success in (o for o in operations if o.status == "success"):
        assert success.result


def test_transient_failures_were_retried(operations):
    transient = [o for o in operations if "Too Many Requests" in o.result]

    assert transient
    for failure in transient:
        assert failure.metadata["retry"]["attempts"] >= 2


def test_bad_credentials_fail_everything_since_they_broke(demo, operations):
    grouped = by_installation(operations)
    broken = [
        i
        for i in demo.installations
        if i.connection["status"] == "bad_credentials" and i.last_operation_status
    ]

    assert broken
    for installation in broken:
        mine = grouped[installation.id]
        failing = [o.status == "failure" and "token" in o.result for o in mine]
        assert failing[0]
        # Newest first: a run of failures, then none caused by the credentials.
        assert failing == sorted(failing, reverse=True)


def test_an_unhealthy_connection_that_works_fails_one_objects_reads(demo, operations):
    grouped = by_installation(operations)
    unhealthy = [
        i
        for i in demo.installations
        if i.health_status == "unhealthy"
        and i.connection["status"] != "bad_credentials"
        and i.last_operation_status
    ]

    assert unhealthy
    for installation in unhealthy:
        newest = grouped[installation.id][0]
        (name,) = newest.metadata["objects"]
        assert newest.status == "failure"
        assert newest.result.startswith(f"[{name}] Read failed: ")
        assert "Forbidden" in newest.result or "has no field" in newest.result


def test_reads_run_on_the_objects_schedule(demo, operations):
    quarter_hourly = [
        (installation, name)
        for installation in demo.installations
        for name, config in installation.config["content"]
        .get("read", {})
        .get("objects", {})
        .items()
        if config["schedule"] == "*/15 * * * *" and not config.get("disabled")
    ]
    grouped = by_installation(operations)

    assert quarter_hourly
    for installation, name in quarter_hourly:
        runs = [
            o.create_time.replace(second=0, microsecond=0)
            for o in grouped[installation.id]
            if o.action_type == "read"
            and o.metadata["objects"] == [name]
            and "Backfill" not in o.result
        ]
        assert all(run.minute % 15 == 0 for run in runs)
        assert all(a - b == timedelta(minutes=15) for a, b in itertools.pairwise(runs))


def test_the_same_installation_always_gets_the_same_operations(demo, operations):
    assert build_operations(demo.installations, most=20) == operations


def test_at_most_the_asked_number_per_installation(demo):
    few = by_installation(build_operations(demo.installations, most=3))

    assert max(len(mine) for mine in few.values()) == 3
    assert build_operations(demo.installations, most=0) == []


def test_a_disabled_read_object_is_not_read(demo):
    installation = next(
        i
        for i in demo.installations
        if len(i.config["content"].get("read", {}).get("objects", {})) > 1
        and i.last_operation_status
    )
    content = installation.config["content"]
    disabled_name = next(iter(content["read"]["objects"]))
    objects = {
        name: {**config, "disabled": True} if name == disabled_name else config
        for name, config in content["read"]["objects"].items()
    }
    changed: DemoInstallation = dataclasses.replace(
        installation,
        config={**installation.config, "content": {**content, "read": {"objects": objects}}},
    )

    read = {
        name
        for operation in build_operations([changed], most=50)
        for name in operation.metadata["objects"]
        if operation.action_type == "read"
    }

    assert disabled_name not in read
    assert read
