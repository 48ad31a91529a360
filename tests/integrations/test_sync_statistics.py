"""The sync refreshes PostgreSQL's statistics when it grew the tables it joins next: without
them the planner took them for empty after a first sync, and joined each integration to its
latest snapshot by a loop over every snapshot (180 ms for 1,000 integrations, 2 ms after)."""

from __future__ import annotations

import pytest
from django.db import connection

from integrations.bulk import analyze_if_grown
from integrations.models import Integration, Snapshot
from tests.integrations.conftest import seed_remote, synced_project


def planned_rows(model) -> float:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table]
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_first_sync_leaves_the_planner_knowing_the_snapshots_it_stored(emulator_api):
    if connection.vendor != "postgresql":
        # SQLite plans without gathered statistics: there is nothing to refresh.
        assert analyze_if_grown(10_000, Snapshot, Integration) is False
        return
    with connection.cursor() as cursor:  # what the planner knows of the tables, now empty
        cursor.execute(f"ANALYZE {Snapshot._meta.db_table}, {Integration._meta.db_table}")
    assert planned_rows(Snapshot) <= 0

    project = synced_project(seed_remote(emulator_api, integrations=80, seed=3))

    stored = Snapshot.objects.filter(integration__project=project).count()
    assert stored == 80
    assert planned_rows(Snapshot) == stored
    assert planned_rows(Integration) == stored
    # A few more rows are not worth it: autovacuum will count them.
    assert analyze_if_grown(50, Snapshot, Integration) is False
    assert analyze_if_grown(60, Snapshot, Integration) is True
