"""The trigram search index: the same answers as a scan, found before and after indexing."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.models import Integration, SearchIndex, Snapshot
from integrations.search import search_terms
from tests.integrations.conftest import (
    add_version,
    integration_json,
    renamed,
    run_worker,
    store_integration,
)
from tests.integrations.test_listing import read_objects, sync_answering

NAMES = [
    "Account-Sync",
    'quo"te-sync',
    "100%-growth",
    "a_b-export",
    "billing",
    "Ünïcode-Konto",
    "back\\slash",
]
QUERIES = [
    "account",
    "ACCOUNT sync",
    "sync",
    'quo"te',
    "100%",
    "a_b",
    "ab",  # shorter than a trigram: always a scan
    "ünï",
    "konto sync",
    "nothing-matches-this",
    "count",  # inside a word
    "k\\sl",  # LIKE's escape character
    "k\\",
]


def expected(query: str) -> list[str]:
    """Every integration whose search text holds every word of `query`, found by hand."""
    terms = search_terms(query)
    return sorted(
        integration.name
        for integration in Integration.objects.select_related("latest_snapshot__search_entry")
        if all(term in integration.latest_snapshot.search_entry.text for term in terms)
    )


def found(query: str) -> list[str]:
    """The names of the integrations the list's search condition matches."""
    condition, params = SearchIndex.matching("i.latest_snapshot_id", query)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT i.name FROM {Integration._meta.db_table} i WHERE {condition}",  # noqa: S608
            params,
        )
        return sorted(name for (name,) in cursor.fetchall())


@pytest.fixture
def named(project) -> None:
    for name in NAMES:
        store_integration(project, integration_json(name, read=read_objects(f"{name} object")))


@pytest.mark.parametrize("query", QUERIES)
def test_indexed_and_scanned_searches_find_the_same_integrations(named, query):
    before = found(query)
    SearchIndex.index_new()
    after = found(query)

    assert before == after == expected(query)


def test_the_examples_find_what_a_person_would_expect(named):
    SearchIndex.index_new()

    assert found("account") == ["Account-Sync"]
    assert found('quo"te') == ['quo"te-sync']
    assert found("100%") == ["100%-growth"]
    assert found("a_b") == ["a_b-export"]
    assert found("k\\sl") == ["back\\slash"]
    assert found("konto sync") == []
    assert found("ünï object") == ["Ünïcode-Konto"]


def test_snapshots_stored_after_indexing_are_found_before_the_next_run(project, named):
    assert SearchIndex.index_new() in (len(NAMES), 0)  # 0 where there is no index
    late = store_integration(project, integration_json("late-account"))

    assert found("account") == ["Account-Sync", "late-account"]
    SearchIndex.index_new()
    assert found("account") == ["Account-Sync", "late-account"]
    assert SearchIndex.index_new() == 0
    assert late.latest_snapshot_id is not None


def test_a_sync_that_stores_snapshots_has_a_worker_index_them(transactional_db, project):
    sync_answering(project, integration_json("alpha", read=read_objects("account")))

    run_worker()

    assert found("account") == ["alpha"]
    assert SearchIndex.index_new() == 0  # the worker did it


def test_the_search_uses_the_trigram_index_of_the_database(named):
    SearchIndex.index_new()

    with CaptureQueriesContext(connection) as queries:
        found("account")

    (sql,) = [query["sql"] for query in queries]
    if connection.vendor == "sqlite":
        assert f"{SearchIndex.TABLE} MATCH" in sql
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'integrations_searchindex_trgm'"
            )
            (definition,) = cursor.fetchone()
        # On the table the index task fills behind the sync, not on the texts the sync writes.
        assert f"ON public.{SearchIndex.TABLE} USING gin (text gin_trgm_ops)" in definition
        assert f"FROM {SearchIndex.TABLE} WHERE text LIKE" in sql
        assert "LIKE" in sql


def test_a_resync_without_changes_queues_no_indexing(transactional_db, project):
    raw = integration_json("alpha", read=read_objects("account"))
    sync_answering(project, raw)
    run_worker()

    with CaptureQueriesContext(connection) as queries:
        sync_answering(project, raw)

    assert not any("django_tasks_database" in query["sql"] for query in queries)
    assert Snapshot.objects.count() == 1


needs_index = pytest.mark.skipif(
    not SearchIndex.available(), reason="this SQLite has no FTS5 trigram tokenizer"
)
# Loaded by name: a module whose name starts with a digit cannot be imported by statement.
index_migration = importlib.import_module(
    "integrations.migrations.0022_search_index_follows_deleted_texts"
)


def indexed_snapshot_ids() -> list[int]:
    key = "snapshot_id" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {key} FROM {SearchIndex.TABLE} ORDER BY 1")  # noqa: S608
        return [pk for (pk,) in cursor.fetchall()]


def snapshot_ids() -> list[int]:
    return sorted(Snapshot.objects.values_list("pk", flat=True))


def check_index_integrity() -> None:
    """On SQLite, FTS5's own check, and its count of the rows it holds (the first varint of its
    "averages" record, which a 'delete' of a row it never held would lower) against them."""
    if connection.vendor != "sqlite":
        return
    table = SearchIndex.TABLE
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")  # noqa: S608
        cursor.execute(f"SELECT block FROM {table}_data WHERE id = 1")  # noqa: S608
        (averages,) = cursor.fetchone()
    counted = 0
    for byte in averages:  # SQLite's varint: 7 bits a byte, the high bit for "more"
        counted = counted << 7 | byte & 0x7F
        if byte < 0x80:
            break
    assert counted == len(indexed_snapshot_ids())


def versions(project, count: int) -> list[Snapshot]:
    """An integration stored in `count` versions, its display name changed in each."""
    raw = integration_json("versioned", read=read_objects("account"))
    integration = store_integration(project, raw)
    snapshots = [integration.latest_snapshot]
    for number in range(1, count):
        raw = renamed(raw, f"account version {number}")
        snapshots.append(add_version(integration, raw))
    return snapshots


@needs_index
def test_deleting_snapshots_takes_them_out_of_the_search_index(project, named):
    first, second, _ = versions(project, 3)
    SearchIndex.index_new()

    Snapshot.objects.filter(pk__in=[first.pk, second.pk]).delete()

    assert indexed_snapshot_ids() == snapshot_ids()
    check_index_integrity()
    assert found("account") == ["Account-Sync", "versioned"]
    assert SearchIndex.index_new() == 0


@needs_index
def test_deleting_a_snapshot_not_indexed_yet_leaves_the_index_whole(project, named):
    SearchIndex.index_new()
    _, second, _ = versions(project, 3)

    Snapshot.objects.filter(pk=second.pk).delete()

    check_index_integrity()
    assert SearchIndex.index_new() == 2
    assert indexed_snapshot_ids() == snapshot_ids()
    assert found("account") == ["Account-Sync", "versioned"]


@needs_index
def test_the_migration_removes_entries_left_by_earlier_deletes(named):
    SearchIndex.index_new()
    gone = max(snapshot_ids()) + 1000
    key = "snapshot_id" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SearchIndex.TABLE} ({key}, text) VALUES (%s, 'account of a deleted')",  # noqa: S608
            [gone],
        )

    index_migration.remove_orphan_entries(connection)

    assert indexed_snapshot_ids() == snapshot_ids()
    check_index_integrity()
    assert found("account") == ["Account-Sync"]
