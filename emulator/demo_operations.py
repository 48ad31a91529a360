"""The recent operations of demo installations: what listOperations answers for seeded data.

Pure and deterministic: an installation's operations follow from its id, config, connection,
health and last operation status, and from when the demo ends (a day after the last
installation was made or changed). So the seed builds the same operations every time, and can
add them to installations it seeded before the emulator kept operations.

What they are, from the installation's config: each read object's runs on its schedule, newest
first, and its first read (the backfill) when the installation was made; writes to the objects
it writes; a subscribe when it was made and when its config changed. Nothing older than the
log retention (30 days) is kept. Most succeed. A connection with bad credentials fails every
operation since it broke, an unhealthy installation fails one object's reads since then, and
now and then a rate limit or an outage of the provider fails a run. The newest operation has
the installation's lastOperationStatus.
"""

from __future__ import annotations

import functools
import heapq
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from random import Random
from typing import Any, Protocol

from emulator import demo_data as catalog
from emulator.models import rfc3339
from integrations.ampersand.manifest.cron import CronError, parse_cron

# The default logRetentionDays entitlement: older operations are gone.
RETENTION = timedelta(days=30)
# Writes come from the customer's app at any time; the demo spreads them over the last week.
WRITE_WINDOW = timedelta(days=7)
# Providers whose reads report an estimated total (see the contract's Operation.metadata).
ESTIMATING_PROVIDERS = frozenset({"salesforce", "hubspot"})
TRANSIENT_FAILURE_RATE = 0.04
PARTIAL_WRITE_RATE = 0.08
SALESFORCE_ID_PREFIXES = {
    "account": "001",
    "contact": "003",
    "opportunity": "006",
    "lead": "00Q",
    "case": "500",
    "task": "00T",
}
ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
DISPLAY_NAMES = {provider.name: provider.display_name for provider in catalog.PROVIDERS}


class InstallationLike(Protocol):
    """What the builder reads of an installation: a seeded `DemoInstallation` or a stored row."""

    id: str
    integration_id: str
    connection: dict[str, Any]
    config: dict[str, Any]
    health_status: str
    last_operation_status: str
    create_time: datetime
    update_time: datetime | None


@dataclass
class DemoOperation:
    id: str
    installation_id: str
    integration_id: str
    config_id: str
    action_type: str
    status: str
    result: str
    metadata: dict[str, Any]
    create_time: datetime


@dataclass
class _Event:
    """An operation before its outcome is known."""

    moment: datetime
    action_type: str
    objects: list[str]
    backfill: bool = False


def build_operations(
    installations: Sequence[InstallationLike], *, most: int
) -> list[DemoOperation]:
    """Up to `most` recent operations of each installation, newest first per installation."""
    if most < 1 or not installations:
        return []
    latest = max(i.update_time or i.create_time for i in installations)
    until = (latest + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    return [
        operation
        for installation in installations
        for operation in _operations(installation, until=until, most=most)
    ]


def _operations(
    installation: InstallationLike, *, until: datetime, most: int
) -> list[DemoOperation]:
    if not installation.last_operation_status:
        return []  # an installation that never ran anything (proxy only)
    # Seeded by the installation alone, so its operations never depend on the others'.
    rng = Random(f"operations:{installation.id}")  # noqa: S311 (demo data, not secrets)
    events = _events(rng, installation, until=until, most=most)
    if not events:
        return []
    outcomes = _Outcomes(rng, installation, events)
    return [
        _operation(rng, installation, event, outcomes.status(position, event), outcomes)
        for position, event in enumerate(events)
    ]


def _events(
    rng: Random, installation: InstallationLike, *, until: datetime, most: int
) -> list[_Event]:
    content = installation.config.get("content", {})
    # Sorted: PostgreSQL's jsonb keeps no key order, and the operations must not depend on it.
    reads = sorted(
        name
        for name, config in content.get("read", {}).get("objects", {}).items()
        if not config.get("disabled")
    )
    writes = sorted(content.get("write", {}).get("objects", {}))
    subscriptions = sorted(content.get("subscribe", {}).get("objects", {}))
    since = max(installation.create_time, until - RETENTION)
    events: list[_Event] = []
    if installation.create_time >= since:
        made = installation.create_time
        events += [
            _Event(made + timedelta(minutes=2, seconds=rng.uniform(0, 50)), "read", [name], True)
            for name in reads
        ]
    if subscriptions:
        events += [
            _Event(moment + timedelta(minutes=1), "subscribe", subscriptions)
            for moment in (installation.create_time, installation.update_time)
            if moment is not None and since <= moment
        ]
    if writes:
        window = min(WRITE_WINDOW, until - since)
        for _ in range(max(most - len(events), 0) // 4):
            moment = until - timedelta(seconds=rng.uniform(60, window.total_seconds()))
            events.append(_Event(moment, "write", [rng.choice(writes)]))
    first_run = since + timedelta(minutes=5)
    runs = heapq.merge(
        *(_object_runs(name, content["read"]["objects"][name], first_run, until) for name in reads),
        reverse=True,
    )
    events += [
        _Event(moment + timedelta(seconds=rng.uniform(1, 40)), "read", [name])
        for moment, name in islice(runs, max(most - len(events), 0))
    ]
    events.sort(key=lambda event: event.moment, reverse=True)
    return events[:most]


def _object_runs(
    name: str, config: dict[str, Any], since: datetime, until: datetime
) -> Iterator[tuple[datetime, str]]:
    for moment in _runs(config.get("schedule") or "", since, until):
        yield moment, name


# Thousands of installations share a handful of schedules.
_parsed_cron = functools.cache(parse_cron)


def _runs(schedule: str, since: datetime, until: datetime) -> Iterator[datetime]:
    """The schedule's run times after `since` and before `until`, newest first (UTC)."""
    try:
        minutes, hours, days, months, weekdays = _parsed_cron(schedule)
    except CronError:
        return
    every_day, every_weekday = len(days) == 31, len(weekdays) == 7
    hours_newest_first = sorted(hours, reverse=True)
    minutes_newest_first = sorted(minutes, reverse=True)
    day = until.astimezone(UTC).date()
    while day >= since.astimezone(UTC).date():
        in_days, in_weekdays = day.day in days, (day.weekday() + 1) % 7 in weekdays
        # Cron runs on either day field when both are restricted.
        if every_day and every_weekday:
            runs_today = True
        elif every_day or every_weekday:
            runs_today = in_days and in_weekdays
        else:
            runs_today = in_days or in_weekdays
        if day.month in months and runs_today:
            for hour in hours_newest_first:
                for minute in minutes_newest_first:
                    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                    if moment <= since:
                        return
                    if moment < until:
                        yield moment
        day -= timedelta(days=1)


class _Outcomes:
    """Which events fail, and why.

    An unhealthy installation broke at some point before its newest operation: since then,
    with bad credentials everything fails; otherwise the newest operation's object fails to
    read, for one reason. Anything else fails now and then, for a transient reason.
    """

    def __init__(self, rng: Random, installation: InstallationLike, events: list[_Event]) -> None:
        content = installation.config.get("content", {})
        self.rng = rng
        self.provider = content.get("provider", "")
        self.display_name = DISPLAY_NAMES.get(self.provider, self.provider)
        self.read_configs = content.get("read", {}).get("objects", {})
        self.last_status = installation.last_operation_status
        newest = events[0]
        self.broken_since = newest.moment - timedelta(hours=rng.uniform(0.5, 72))
        self.broken_objects: set[str] | None = set()  # None: every object
        self.cause = ""
        if installation.health_status != "healthy":
            if installation.connection.get("status") == "bad_credentials":
                self.broken_objects = None
                self.cause = self._expired_credentials()
            elif newest.action_type == "read":
                self.broken_objects = {newest.objects[0]}
                self.cause = self._unreadable(newest.objects[0])

    def status(self, position: int, event: _Event) -> str:
        """success, failure or in_progress; or partial: a write that some records failed."""
        if position == 0:
            return self.last_status
        if self._broken(event):
            return "failure"
        roll = self.rng.random()
        if roll < TRANSIENT_FAILURE_RATE:
            return "failure"
        if event.action_type == "write" and roll < TRANSIENT_FAILURE_RATE + PARTIAL_WRITE_RATE:
            return "partial"
        return "success"

    def error(self, event: _Event) -> tuple[str, bool]:
        """Why `event` failed, and whether it was transient (retried, to no avail)."""
        if self._broken(event):
            return self.cause, False
        name = self.display_name
        transient = (
            f"429 Too Many Requests from {name}: API rate limit exceeded",
            f"503 Service Unavailable from {name}",
            f"Timed out after 60s waiting for {name}",
        )
        return self.rng.choice(transient), True

    def _broken(self, event: _Event) -> bool:
        if not self.cause or event.moment < self.broken_since:
            return False
        return self.broken_objects is None or not self.broken_objects.isdisjoint(event.objects)

    def _expired_credentials(self) -> str:
        if self.provider == "salesforce":
            return "invalid_grant: expired access/refresh token; reconnect Salesforce"
        return f"401 Unauthorized from {self.display_name}: the access token was revoked"

    def _unreadable(self, object_name: str) -> str:
        fields = sorted(self.read_configs.get(object_name, {}).get("selectedFields", {}))
        if fields and self.rng.random() < 0.5:
            field = self.rng.choice(fields)
            return f"{self.display_name} has no field {field!r} on {object_name} any more"
        return f"403 Forbidden from {self.display_name}: no read access to {object_name}"


def _operation(
    rng: Random, installation: InstallationLike, event: _Event, status: str, outcomes: _Outcomes
) -> DemoOperation:
    operation_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    metadata: dict[str, Any] = {"objects": list(event.objects)}
    error = ""
    if status == "failure":
        error, transient = outcomes.error(event)
        if transient:
            attempts = rng.randint(2, 5)
            last_attempt = rfc3339(event.moment + timedelta(minutes=2 * attempts))
            metadata["retry"] = {
                "attempts": attempts,
                "lastAttempt": last_attempt,
                "lastNotified": last_attempt,
            }
    if event.action_type == "read":
        result = _read(rng, installation, event, status, error, operation_id, metadata, outcomes)
    elif event.action_type == "write":
        result = _write(rng, event, status, error, metadata, outcomes)
    elif status == "success":
        result = f"Subscribed to {', '.join(event.objects)}"
    else:
        result = f"Subscribe failed: {error}" if error else ""
    return DemoOperation(
        id=operation_id,
        installation_id=installation.id,
        integration_id=installation.integration_id,
        config_id=installation.config.get("id", ""),
        action_type=event.action_type,
        status="failure" if status == "partial" else status,
        result=result,
        metadata=metadata,
        create_time=event.moment,
    )


def _read(
    rng: Random,
    installation: InstallationLike,
    event: _Event,
    status: str,
    error: str,
    operation_id: str,
    metadata: dict[str, Any],
    outcomes: _Outcomes,
) -> str:
    object_name = event.objects[0]
    records, estimate = _records_read(rng, outcomes, event, status)
    progress: dict[str, Any] = {
        "installationId": installation.id,
        "objectName": object_name,
        "operationId": operation_id,
        "recordsProcessed": records,
    }
    if outcomes.provider in ESTIMATING_PROVIDERS:
        progress["recordsEstimatedTotal"] = estimate
    metadata["progress"] = progress
    if status == "failure":
        return f"[{object_name}] Read failed: {error}"
    if status == "in_progress":
        return ""
    if event.backfill:
        return f"[{object_name}] Backfill completed: {records} records read"
    if not records:
        return f"[{object_name}] No new data found"
    return f"[{object_name}] Read {records} new records"


def _write(
    rng: Random,
    event: _Event,
    status: str,
    error: str,
    metadata: dict[str, Any],
    outcomes: _Outcomes,
) -> str:
    object_name = event.objects[0]
    written = rng.randint(1, 25) if status in ("success", "partial") else 0
    if written:
        metadata["successfulRecordIds"] = [
            _record_id(rng, outcomes.provider, object_name) for _ in range(written)
        ]
    if status == "success":
        return f"Batch write completed ({written} succeeded, 0 failed)"
    if status == "partial":
        refused = rng.randint(1, 3)
        return (
            f"Batch write completed ({written} succeeded, {refused} failed): [{object_name}] "
            f"400 Bad Request from {outcomes.display_name}: a required field is missing"
        )
    if status == "failure":
        return f"[{object_name}] Write failed: {error}"
    return ""


def _records_read(rng: Random, outcomes: _Outcomes, event: _Event, status: str) -> tuple[int, int]:
    """Records read so far, and the provider's estimate of the total."""
    if event.backfill:
        config = outcomes.read_configs.get(event.objects[0], {})
        period = config.get("backfill", {}).get("defaultPeriod", {})
        if period.get("fullHistory"):
            total = rng.randint(20_000, 400_000)
        else:
            total = rng.randint(0, 300) * (period.get("days") or 0)
    else:
        total = 0 if rng.random() < 0.45 else rng.randint(1, 400)
    if status == "success":
        return total, total
    if status == "in_progress":
        return rng.randint(0, total), total
    return 0, total


def _record_id(rng: Random, provider: str, object_name: str) -> str:
    """An id as the provider assigns them."""
    if provider == "salesforce":
        prefix = SALESFORCE_ID_PREFIXES.get(object_name.lower(), "a0B")
        return prefix + "".join(rng.choices(ALPHANUMERIC, k=15))
    if provider in ("attio", "notion"):
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return str(rng.randint(10**8, 10**11))
