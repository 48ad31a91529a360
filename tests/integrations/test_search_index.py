"""The trigram search index: the same answers as a scan, found before and after indexing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.models import Integration, SearchIndex, Snapshot
from integrations.search import search_terms
from tests.integrations.conftest import integration_json, run_worker, store_integration
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
