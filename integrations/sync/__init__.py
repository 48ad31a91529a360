"""The sync: what ampdash keeps of a project's integrations follows what Ampersand lists.

Read `project.py` (the sync itself, top to bottom), then `runs.py` (a run's life: started,
claimed, alive, ended or failed). Snapshots are written by `integrations.snapshots`.
"""

from __future__ import annotations

from integrations.sync.project import refresh_catalog, run_sync, sync_project
from integrations.sync.runs import SyncAlreadyRunning, fail_dead_sync_runs, start_sync

__all__ = [
    "SyncAlreadyRunning",
    "fail_dead_sync_runs",
    "refresh_catalog",
    "run_sync",
    "start_sync",
    "sync_project",
]
