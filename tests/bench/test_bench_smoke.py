"""`make bench` end to end on a tiny data set: it runs, ends by itself and prints its figures."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIGURES = {
    "ratio full_sync/raw_fetch": r"\d+\.\d\d",
    "ratio resync/raw_fetch": r"\d+\.\d\d",
    "peak_rss sync": r"\d+ MB",
    "ratio full_sync/raw_fetch_reused_client": r"\d+\.\d\d",
    "ratio installations_sync/raw_fetch_installations": r"\d+\.\d\d",
    "ratio installations_resync/raw_fetch_installations": r"\d+\.\d\d",
}


# Two recordings, two migrated databases and three sync processes: about 30 s alone.
@pytest.mark.timeout(300)
def test_sync_bench_prints_ratios_and_peak_rss_for_a_tiny_project(tmp_path):
    # Its own throwaway SQLite database whatever the suite runs on, and its own recording.
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    done = subprocess.run(
        [
            *(sys.executable, "bench/sync.py", "--integrations", "5", "--objects", "2"),
            *("--fields", "3", "--runs", "1", "--cache-dir", str(tmp_path / "cache")),
            *("--installations", "20"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "integrations = 5 (0.0 MB of JSON)" in lines
    assert "installations = 20 on one integration (0.0 MB of JSON)" in lines
    for name, number in FIGURES.items():
        [line] = [line for line in lines if line.startswith(f"{name} = ")]
        assert re.fullmatch(rf"{re.escape(name)} = {number}", line)
    medians = [line for line in lines if line.startswith("median ")]
    assert [line.split()[1] for line in medians] == [
        *("raw_fetch", "full_sync", "resync", "raw_fetch_reused_client"),
        *("raw_fetch_installations", "installations_sync", "installations_resync"),
    ]
    assert all(re.fullmatch(r"median \w+ = \d+\.\d{3} s", line) for line in medians)
    [peak_rss] = [line for line in lines if line.startswith("peak_rss sync = ")]
    assert int(peak_rss.split()[-2]) > 0
    assert list((tmp_path / "cache").glob("list-integrations-i5-o2-f3-s1.json"))
    # The timed sync got all it asks for (the provider catalog, the project's installations),
    # as from the API: nothing failed and was only logged.
    assert (tmp_path / "cache" / "list-providers.json").stat().st_size > 1000
    assert "WARNING" not in done.stderr, done.stderr
