"""`make bench`: how the sync of a large project compares with bare fetching and parsing.

The emulator's listIntegrations answer for a seeded project is recorded once (cached under
bench/.cache/), then replayed as fixed bytes by a static server on loopback, so only ampdash's
own work is timed. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import harness

PROJECT = "bench"
API_KEY = "bench-key"
ROUTE = f"/v1/projects/{PROJECT}/integrations"
INSTALLATIONS_ROUTE = f"/v1/projects/{PROJECT}/installations"
PROVIDERS_ROUTE = "/v1/providers"
# The project of many installations: one integration (the data set's objects and fields).
INSTALLATIONS_PROJECT = "bench-installations"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--integrations", type=int, default=1000)
    parser.add_argument("--objects", type=int, default=10)
    parser.add_argument("--fields", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--installations",
        type=int,
        default=10_000,
        help="installations of the one integration of the installations figures",
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each kind (median)")
    parser.add_argument("--cache-dir", type=Path, default=harness.DEFAULT_CACHE_DIR)
    # Internal: the steps that run in processes of their own.
    parser.add_argument(
        "--step",
        choices=[
            "record",
            "record-providers",
            "sync",
            "record-installations",
            "sync-installations",
        ],
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--integration-body", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--expect", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 1 <= args.runs <= 50:
        parser.error("--runs must be between 1 and 50")

    if args.step == "record":
        record(args.out, args)
    elif args.step == "record-providers":
        harness.setup_django()
        args.out.write_bytes(emulator_get(PROVIDERS_ROUTE))
        print("{}")
    elif args.step == "sync":
        print(json.dumps(measure_sync(args.url, runs=args.runs, expect=args.expect)))
    elif args.step == "record-installations":
        record_installations(args.out, args)
    elif args.step == "sync-installations":
        figures = measure_installations_sync(
            args.url, args.integration_body, runs=args.runs, expect=args.expect
        )
        print(json.dumps(figures))
    else:
        run_bench(args)


def run_bench(args: argparse.Namespace) -> None:
    body_file = recorded_answer(args)
    expect = len(json.loads(body_file.read_bytes()))
    with harness.scratch_dir() as scratch:
        database_url = os.environ.get("DATABASE_URL") or harness.sqlite_url(scratch / "bench.db")
        harness.migrate(database_url)
        # Everything a sync asks for: its integrations, the project's installations (none:
        # their own figures follow) and the provider catalog, as the emulator answers them.
        no_installations = scratch / "installations.json"
        no_installations.write_text("[]")
        bodies = {
            ROUTE: body_file,
            INSTALLATIONS_ROUTE: no_installations,
            PROVIDERS_ROUTE: recorded_providers(args.cache_dir),
        }
        with harness.static_server(bodies) as server:
            base_url = f"{server}/v1"
            raw = measure_raw_fetch(base_url, runs=args.runs)
            raw_reused = measure_raw_fetch_reused_client(base_url, runs=args.runs)
            figures = harness.run_json(
                [
                    __file__,
                    *("--step", "sync", "--url", base_url),
                    *("--runs", str(args.runs), "--expect", str(expect)),
                ],
                harness.django_env(database_url),
            )
    full, resync = figures["full_sync"], figures["resync"]
    print(f"integrations = {expect} ({body_file.stat().st_size / 1e6:.1f} MB of JSON)")
    print(f"median raw_fetch = {raw:.3f} s")
    print(f"median full_sync = {full:.3f} s")
    print(f"median resync = {resync:.3f} s")
    print(f"ratio full_sync/raw_fetch = {full / raw:.2f}")
    print(f"ratio resync/raw_fetch = {resync / raw:.2f}")
    print(f"peak_rss sync = {figures['peak_rss_mb']} MB")
    # The same fetch without the client's setup (httpx loads its CA bundle for every new
    # client, ~20 ms, which the sync's clients share): a stricter baseline, for comparison.
    print(f"median raw_fetch_reused_client = {raw_reused:.3f} s")
    print(f"ratio full_sync/raw_fetch_reused_client = {full / raw_reused:.2f}")
    run_installations_bench(args)


def run_installations_bench(args: argparse.Namespace) -> None:
    """One integration of `--installations` installations: their sync (into empty tables, then
    with nothing changed) against a bare fetch and parse of listInstallationsForProject."""
    installations_file = recorded_installations(args)
    integration_file = installations_integration_file(args)
    expect = args.installations
    with harness.scratch_dir() as scratch:
        database_url = os.environ.get("DATABASE_URL") or harness.sqlite_url(scratch / "bench.db")
        harness.migrate(database_url)
        with harness.static_server({INSTALLATIONS_ROUTE: installations_file}) as server:
            base_url = f"{server}/v1"
            raw = measure_raw_fetch(base_url, runs=args.runs, path="installations")
            figures = harness.run_json(
                [
                    *(__file__, "--step", "sync-installations", "--url", base_url),
                    *("--integration-body", str(integration_file)),
                    *("--runs", str(args.runs), "--expect", str(expect)),
                ],
                harness.django_env(database_url),
            )
    full, resync = figures["installations_sync"], figures["installations_resync"]
    size = installations_file.stat().st_size / 1e6
    print(f"installations = {expect} on one integration ({size:.1f} MB of JSON)")
    print(f"median raw_fetch_installations = {raw:.3f} s")
    print(f"median installations_sync = {full:.3f} s")
    print(f"median installations_resync = {resync:.3f} s")
    print(f"ratio installations_sync/raw_fetch_installations = {full / raw:.2f}")
    print(f"ratio installations_resync/raw_fetch_installations = {resync / raw:.2f}")


def recorded_installations(args: argparse.Namespace) -> Path:
    """The emulator's listInstallationsForProject body for one integration of
    `--installations` installations (and, beside it, that integration's listIntegrations body),
    recorded once."""
    return harness.recorded(
        args.cache_dir / f"installations-{installations_key(args)}.json",
        [
            *(__file__, "--step", "record-installations", "--cache-dir", str(args.cache_dir)),
            *("--installations", str(args.installations), "--objects", str(args.objects)),
            *("--fields", str(args.fields), "--seed", str(args.seed)),
        ],
    )


def installations_key(args: argparse.Namespace) -> str:
    return f"n{args.installations}-o{args.objects}-f{args.fields}-s{args.seed}"


def installations_integration_file(args: argparse.Namespace) -> Path:
    return args.cache_dir / f"installations-{installations_key(args)}.integration.json"


def record_installations(out: Path, args: argparse.Namespace) -> None:
    from django.core.management import call_command

    harness.setup_django()
    call_command("migrate", verbosity=0)
    call_command(
        "seed_emulator",
        project=PROJECT,
        api_key=API_KEY,
        integrations=1,
        objects=args.objects,
        fields=args.fields,
        seed=args.seed,
        exact_installations=args.installations,
        operations=0,
        stdout=sys.stderr,
    )
    installations_integration_file(args).write_bytes(emulator_get(ROUTE))
    body = emulator_get(INSTALLATIONS_ROUTE)
    out.write_bytes(body)
    print(json.dumps({"bytes": len(body)}))


def recorded_answer(args: argparse.Namespace) -> Path:
    """The emulator's listIntegrations body for these seed parameters, recorded once."""
    key = f"i{args.integrations}-o{args.objects}-f{args.fields}-s{args.seed}"
    return harness.recorded(
        args.cache_dir / f"list-integrations-{key}.json",
        [
            __file__,
            "--step",
            "record",
            *("--integrations", str(args.integrations), "--objects", str(args.objects)),
            *("--fields", str(args.fields), "--seed", str(args.seed)),
        ],
    )


def answering_client(answers: dict[str, bytes]):
    """An API client answered from memory: each request gets `answers` of its path's last
    segment (e.g. "integrations"), as JSON, with no socket."""
    import httpx

    from integrations.ampersand import AmpersandClient

    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200,
            content=answers[request.url.path.rsplit("/", 1)[-1]],
            headers={"content-type": "application/json"},
        )
    )
    return AmpersandClient(
        base_url="http://bench.invalid/v1", api_key="-", project=PROJECT, transport=transport
    )


def recorded_providers(cache_dir: Path) -> Path:
    """The emulator's listProviders body (its provider catalog), recorded once."""
    return harness.recorded(
        cache_dir / "list-providers.json", [__file__, "--step", "record-providers"]
    )


def record(out: Path, args: argparse.Namespace) -> None:
    harness.setup_django()
    seed_emulator(args)
    body = emulator_get(ROUTE)
    out.write_bytes(body)
    print(json.dumps({"bytes": len(body)}))


def seed_emulator(args: argparse.Namespace, *, installations: int = 3) -> None:
    """seed_emulator into the (migrated) database of an emulator process, as project bench."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command(
        "seed_emulator",
        project=PROJECT,
        api_key=API_KEY,
        integrations=args.integrations,
        objects=args.objects,
        fields=args.fields,
        seed=args.seed,
        installations=installations,
        stdout=sys.stderr,
    )


def emulator_get(route: str) -> bytes:
    """The body the emulator answers to a GET of `route` (e.g. ROUTE), which must be a 200."""
    from django.test import Client

    response = Client().get(
        f"/emulator{route}", headers={"X-Api-Key": API_KEY}, HTTP_HOST="127.0.0.1"
    )
    if response.status_code != 200:
        raise SystemExit(f"the emulator answered HTTP {response.status_code} to GET {route}")
    return response.content


def measure_raw_fetch(base_url: str, *, runs: int, path: str = "integrations") -> float:
    """The bare cost: one GET with httpx and `json.loads` of the body, as a client would."""

    def once() -> float:
        started = time.perf_counter()
        with raw_client(base_url) as http:
            fetch_and_parse(http, path)
        return time.perf_counter() - started

    once()  # warm-up: imports, first connection
    return harness.median([once() for _ in range(runs)])


def measure_raw_fetch_reused_client(base_url: str, *, runs: int) -> float:
    """raw_fetch through one client kept for every run: no TLS setup, a kept connection."""
    with raw_client(base_url) as http:

        def once() -> float:
            started = time.perf_counter()
            fetch_and_parse(http)
            return time.perf_counter() - started

        once()
        return harness.median([once() for _ in range(runs)])


def raw_client(base_url: str):
    import httpx

    return httpx.Client(base_url=base_url, headers={"X-Api-Key": API_KEY}, timeout=30)


def fetch_and_parse(http, path: str = "integrations") -> None:
    response = http.get(f"projects/{PROJECT}/{path}")
    response.raise_for_status()
    json.loads(response.content)


def measure_sync(base_url: str, *, runs: int, expect: int) -> dict[str, float | int]:
    """Full syncs into empty tables, then no-change re-syncs; in a fresh process for peak RSS."""
    harness.setup_django()
    from integrations.models import Project

    project, _ = Project.objects.update_or_create(
        name=PROJECT, defaults={"ampersand_project": PROJECT, "api_url": base_url}
    )
    project.set_api_key(API_KEY)
    project.save()

    full = []
    for _ in range(runs):
        empty_project(project)
        full.append(checked_sync(project, fetched=expect, new=expect, unchanged=0))
    resync = [checked_sync(project, fetched=expect, new=0, unchanged=expect) for _ in range(runs)]
    return {
        "full_sync": harness.median(full),
        "resync": harness.median(resync),
        "peak_rss_mb": harness.peak_rss_mb(),
    }


def measure_installations_sync(
    base_url: str, integration_body: Path, *, runs: int, expect: int
) -> dict[str, float]:
    """sync_installations into empty tables, then with nothing changed; the integration is
    stored first (untimed) from its recorded listIntegrations body."""
    harness.setup_django()
    from integrations.installations import sync_installations
    from integrations.models import Installation, InstallationConfigVersion, Project
    from integrations.services import client_for
    from integrations.sync import sync_project

    project, _ = Project.objects.update_or_create(
        name=INSTALLATIONS_PROJECT, defaults={"ampersand_project": PROJECT, "api_url": base_url}
    )
    project.set_api_key(API_KEY)
    project.save()
    stored = answering_client(
        {"integrations": integration_body.read_bytes(), "installations": b"[]", "providers": b"{}"}
    )
    if sync_project(project=project, client=stored).status != "succeeded":
        raise SystemExit("could not store the installations' integration")

    def timed(*, new: int) -> float:
        started = time.perf_counter()
        with client_for(project) as client:
            result = sync_installations(project, client=client)
        elapsed = time.perf_counter() - started
        outcome = (result.error, result.fetched, result.new, result.changed, result.removed)
        if outcome != ("", expect, new, 0, 0):
            raise SystemExit(f"unexpected installations sync outcome {outcome}")
        return elapsed

    full = []
    for _ in range(runs):
        Installation.objects.filter(project=project).delete()
        harness.vacuum_on_postgresql(Installation, InstallationConfigVersion)
        full.append(timed(new=expect))
    resync = [timed(new=0) for _ in range(runs)]
    return {
        "installations_sync": harness.median(full),
        "installations_resync": harness.median(resync),
    }


def checked_sync(project, *, fetched: int, new: int, unchanged: int) -> float:
    """The seconds `sync_project` takes, after checking it did what was expected: a broken sync
    cannot pass for a fast one."""
    from integrations.sync import sync_project

    started = time.perf_counter()
    run = sync_project(project=project)
    elapsed = time.perf_counter() - started
    counts = (run.status, run.fetched, run.new, run.unchanged)
    if counts != ("succeeded", fetched, new, unchanged):
        raise SystemExit(f"unexpected sync outcome {counts}: {run.error_detail}")
    return elapsed


def empty_project(project) -> None:
    """Delete what earlier syncs stored for `project`, in SQL: loading it would distort RSS."""
    from django.db import connection, transaction

    from integrations.models import (
        Draft,
        Installation,
        InstallationConfigVersion,
        Integration,
        Snapshot,
        SnapshotSearchText,
        SyncRun,
    )

    integrations = Integration._meta.db_table
    installations = Installation._meta.db_table
    # What refers to the project's integrations and snapshots (pages.py keeps a draft and
    # installations in it), then the snapshots, then the integrations.
    dependents = [
        f"DELETE FROM {InstallationConfigVersion._meta.db_table} WHERE installation_id IN "  # noqa: S608
        f"(SELECT id FROM {installations} WHERE project_id = %s)",
        f"DELETE FROM {installations} WHERE project_id = %s",  # noqa: S608
        f"DELETE FROM {Draft._meta.db_table} WHERE integration_id IN "  # noqa: S608
        f"(SELECT id FROM {integrations} WHERE project_id = %s)",
    ]
    snapshots = (
        f"SELECT s.id FROM {Snapshot._meta.db_table} AS s JOIN {integrations} AS i "  # noqa: S608
        "ON i.id = s.integration_id WHERE i.project_id = %s"
    )
    # Statistics of the rows the last run wrote first: without them PostgreSQL's planner took
    # the 1,000 snapshots for one and joined them row by row (a minute a DELETE).
    harness.vacuum_on_postgresql()
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in dependents:
            cursor.execute(statement, [project.pk])
        # Their search texts too (no database constraint would refuse to leave them), which
        # takes them out of the search index (a trigger, migration 0022): the search index
        # task would otherwise index them again, and every earlier run's texts would slow the
        # next run's searches.
        cursor.execute(
            f"DELETE FROM {SnapshotSearchText._meta.db_table} WHERE snapshot_id IN ({snapshots})",  # noqa: S608
            [project.pk],
        )
        cursor.execute(
            f"UPDATE {integrations} SET latest_snapshot_id = NULL WHERE project_id = %s",  # noqa: S608
            [project.pk],
        )
        cursor.execute(
            f"DELETE FROM {Snapshot._meta.db_table} WHERE id IN ({snapshots})",  # noqa: S608
            [project.pk],
        )
        for table in (integrations, SyncRun._meta.db_table):
            cursor.execute(f"DELETE FROM {table} WHERE project_id = %s", [project.pk])  # noqa: S608
    harness.vacuum_on_postgresql()


if __name__ == "__main__":
    main()
