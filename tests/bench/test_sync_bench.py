"""bench/sync.py empties the bench project between runs and leaves nothing of it behind."""

from __future__ import annotations

import sys
from pathlib import Path

from integrations.models import (
    Integration,
    Project,
    SearchIndex,
    SnapshotSearchText,
)
from tests.integrations.conftest import integration_json, store_integration
from tests.integrations.test_search_index import indexed_snapshot_ids, needs_index

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import sync


def test_emptying_the_bench_project_leaves_no_search_text_to_index(transactional_db):
    project = Project.objects.create(name="bench", ampersand_project="bench")
    other = Project.objects.create(name="kept", ampersand_project="kept")
    for index in range(3):
        store_integration(project, integration_json(f"bench-{index}"))
    kept = store_integration(other, integration_json("kept"))

    sync.empty_project(project)

    assert not Integration.objects.filter(project=project).exists()
    assert list(SnapshotSearchText.objects.values_list("snapshot_id", flat=True)) == [
        kept.latest_snapshot_id
    ]
    if SearchIndex.available():
        # What the search index task then indexes: only the other project's text.
        assert SearchIndex.index_new() == 1


@needs_index
def test_emptying_the_bench_project_takes_its_snapshots_out_of_the_search_index(
    transactional_db,
):
    project = Project.objects.create(name="bench", ampersand_project="bench")
    other = Project.objects.create(name="kept", ampersand_project="kept")
    for index in range(3):
        store_integration(project, integration_json(f"bench-{index}"))
    kept = store_integration(other, integration_json("kept"))
    SearchIndex.index_new()

    sync.empty_project(project)

    assert indexed_snapshot_ids() == [kept.latest_snapshot_id]
