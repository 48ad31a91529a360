"""bench/harness.py's peak RSS is the measured process's own, not its parent's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
