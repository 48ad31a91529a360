"""bench/harness.py: peak RSS is the measured process's own, not its parent's; a PostgreSQL
database named for the bench is made when missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from psycopg import sql

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"
REPORT_PEAK = (
    f"import sys; sys.path.insert(0, {str(BENCH_DIR)!r}); import harness; "
    "print(harness.peak_rss_mb())"
)


def peak_rss_of_child() -> int:
    done = subprocess.run(
        [sys.executable, "-c", REPORT_PEAK], capture_output=True, text=True, check=True
    )
    return int(done.stdout)


def test_a_child_does_not_report_the_memory_its_parent_held():
    alone = peak_rss_of_child()
    held = bytearray(200 * 1024 * 1024)
    for offset in range(0, len(held), 4096):  # touch every page, so it is resident
        held[offset] = 1

    beside_a_large_parent = peak_rss_of_child()

    assert beside_a_large_parent < alone + 50
    del held


# Runs in the PostgreSQL half of the suite: the SQLite half needs no PostgreSQL server, and
# there is nothing to create on SQLite.
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="creates a PostgreSQL database: nothing on SQLite"
)
def test_the_bench_creates_its_postgresql_database_when_it_does_not_exist():
    sys.path.insert(0, str(BENCH_DIR))
    import harness

    settings = connection.settings_dict
    name = f"ampdash_bench_new_{os.getpid()}"
    url = (
        f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@"
        f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{name}"
    )
    maintenance = harness.maintenance_connection(url)
    try:
        harness.ensure_database(url)
        harness.ensure_database(url)  # already there: left as it is

        exists = maintenance.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        assert exists.fetchone() == (1,)
    finally:
        maintenance.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        maintenance.close()
