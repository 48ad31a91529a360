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


FORKS_AND_WRITES = """
import json, os, time
shared = bytearray(60 * 1024 * 1024)  # resident in the parent, shared with the copy
for offset in range(0, len(shared), 4096):
    shared[offset] = 1
pid = os.fork()
if pid == 0:
    own = bytearray(40 * 1024 * 1024)
    for offset in range(0, len(own), 4096):  # the copy's own pages
        own[offset] = 1
    time.sleep(0.5)
    os._exit(0)
os.waitpid(pid, 0)
print(json.dumps({"forked": True}))
"""


def test_the_private_memory_of_forked_processes_is_sampled_without_what_they_share():
    sys.path.insert(0, str(BENCH_DIR))
    import harness

    result, peak_kb = harness.run_json_sampling_children(["-c", FORKS_AND_WRITES], {})
    alone, no_children_kb = harness.run_json_sampling_children(
        ["-c", "import json; print(json.dumps({}))"], {}
    )

    assert result == {"forked": True}
    assert 40 * 1024 <= peak_kb < 55 * 1024  # its own 40 MB, not the 60 MB it shares
    assert (alone, no_children_kb) == ({}, 0)
