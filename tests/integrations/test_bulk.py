from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from integrations.bulk import insert_rows, reserve_pks, update_rows
from integrations.models import EncodedJSON, Integration, Snapshot, SnapshotSearchText
from tests.integrations.conftest import integration_json, store_integration

pytestmark = pytest.mark.django_db

INTEGRATION_FIELDS = (
    *("project", "remote_id", "name", "provider", "display_name", "state"),
    *("first_seen_at", "changed_at"),
)
WHEN = dt.datetime(2026, 11, 28, 3, 4, 5, 123456, tzinfo=dt.UTC)


def integration_rows(project, names: list[str]) -> list[tuple]:
    return [
        (project.pk, f"id-{name}", name, "hubspot", "", Integration.State.REMOVED, WHEN, WHEN)
        for name in names
    ]


def test_inserted_rows_read_back_as_the_values_given(project):
    [pk] = insert_rows(
        Integration, INTEGRATION_FIELDS, integration_rows(project, ["Société"]), returning_pks=True
    )

    integration = Integration.objects.get(pk=pk)
    assert (integration.project, integration.remote_id, integration.name) == (
        project,
        "id-Société",
        "Société",
    )
    # The member of TextChoices is stored as its value, the aware time as that instant.
    assert integration.state == "removed"
    assert integration.changed_at == WHEN
    assert integration.latest_snapshot is None


def test_primary_keys_come_back_in_the_order_of_the_rows_in_one_statement(project):
    names = [f"integration {n:02}" for n in range(8)]

    with CaptureQueriesContext(connection) as queries:
        pks = insert_rows(
            Integration, INTEGRATION_FIELDS, integration_rows(project, names), returning_pks=True
        )

    # The keys drawn, then one COPY (PostgreSQL) or one statement run per row (SQLite).
    writes = [q["sql"] for q in queries if 'INTO "integrations_integration"' in q["sql"]]
    copies = [q["sql"] for q in queries if q["sql"].startswith('COPY "integrations_integration"')]
    assert len(writes + copies) == 1
    assert [Integration.objects.get(pk=pk).name for pk in pks] == names


def test_reserved_keys_follow_every_key_given_and_are_the_ones_rows_get(project):
    [first] = insert_rows(
        Integration, INTEGRATION_FIELDS, integration_rows(project, ["a"]), returning_pks=True
    )
    highest = Integration.objects.create(project=project, remote_id="id-b", name="b").pk
    # The highest key given is not given again, even once its row is gone.
    Integration.objects.filter(pk=highest).delete()

    reserved = reserve_pks(Integration, 3)
    after = Integration.objects.create(project=project, remote_id="id-c", name="c").pk

    assert first < highest < reserved[0]
    assert reserved == list(range(reserved[0], reserved[0] + 3))
    assert after > reserved[-1]
    assert reserve_pks(Integration, 0) == []


@pytest.mark.django_db(transaction=True)
def test_keys_are_reserved_on_sqlite_only_inside_the_transaction_that_uses_them(project):
    if connection.vendor == "sqlite":
        # Outside one, another writer could take them first.
        with pytest.raises(TransactionManagementError, match="in the transaction"):
            reserve_pks(Integration, 1)
    else:  # a sequence gives each key once, transaction or not
        assert len(set(reserve_pks(Integration, 2))) == 2
    with transaction.atomic():
        [pk] = reserve_pks(Integration, 1)
    assert pk > 0


def test_text_longer_than_its_column_is_cut_to_fit_on_both_databases(project):
    rows = integration_rows(project, ["long"])
    rows[0] = (*rows[0][:4], "é" * 1200, *rows[0][5:])

    [pk] = insert_rows(Integration, INTEGRATION_FIELDS, rows, returning_pks=True)

    assert Integration.objects.get(pk=pk).display_name == "é" * 1000


def test_quotes_backslashes_and_separators_are_stored_as_given(project):
    # Tabs and line breaks between the tokens too, which COPY's text format would escape.
    text = json.dumps({"quote": 'it\'s \\ "here"', "nul-free": "é\u2028"}, indent="\t")
    [integration_pk] = insert_rows(
        Integration, INTEGRATION_FIELDS, integration_rows(project, ["it's"]), returning_pks=True
    )
    fields = ("integration", "raw", "content_hash", "revision_id", "spec_version")
    counts = ("read_count", "write_count", "subscribe_count", "taken_at", "source")

    [pk] = insert_rows(
        Snapshot,
        (*fields, *counts),
        [(integration_pk, EncodedJSON(text), "h", "r", "", 0, 0, 0, WHEN, "sync")],
        returning_pks=True,
    )
    update_rows(Integration, ("name",), [(integration_pk, "it's, {a} ; DROP")])

    with connection.cursor() as cursor:
        cursor.execute("SELECT CAST(raw AS TEXT) FROM integrations_snapshot WHERE id = %s", [pk])
        assert cursor.fetchone()[0] == text
    assert Integration.objects.get(pk=integration_pk).name == "it's, {a} ; DROP"


def test_json_is_stored_as_given_text_or_encoded_from_data(project):
    [integration_pk] = insert_rows(
        Integration, INTEGRATION_FIELDS, integration_rows(project, ["a"]), returning_pks=True
    )
    text = '{"b": 1,  "a": [1.50, "é"]}'
    fields = (
        *("integration", "raw", "content_hash", "revision_id", "spec_version", "read_count"),
        *("write_count", "subscribe_count", "taken_at", "source"),
    )
    pks = insert_rows(
        Snapshot,
        fields,
        [
            (integration_pk, EncodedJSON(text), "h1", "r1", "", 0, 0, 0, WHEN, "sync"),
            (integration_pk, {"a": True}, "h2", "r2", "", 0, 0, 0, WHEN, Snapshot.Source.UPSERT),
        ],
        returning_pks=True,
    )

    as_given, from_data = Snapshot.objects.filter(pk__in=pks).order_by("pk")
    assert as_given.raw == json.loads(text)
    assert from_data.raw == {"a": True}
    assert (as_given.source, from_data.source) == ("sync", "upsert")
    with connection.cursor() as cursor:  # PostgreSQL's `json` keeps the text too
        cursor.execute(
            "SELECT CAST(raw AS TEXT) FROM integrations_snapshot WHERE id = %s", [as_given.pk]
        )
        assert cursor.fetchone()[0] == text


def test_without_returning_pks_nothing_is_read_back(project):
    snapshot = store_integration(project, integration_json("x")).latest_snapshot
    SnapshotSearchText.objects.all().delete()

    assert insert_rows(SnapshotSearchText, ("snapshot", "text"), [(snapshot.pk, "x\ny")]) == []
    assert SnapshotSearchText.objects.get(snapshot=snapshot).text == "x\ny"


def test_no_rows_no_statement(project):
    with CaptureQueriesContext(connection) as queries:
        assert insert_rows(Integration, INTEGRATION_FIELDS, [], returning_pks=True) == []
    assert not queries.captured_queries


def test_a_row_of_the_wrong_length_is_refused_before_any_write(project):
    rows = [*integration_rows(project, ["ok"]), (project.pk, "short")]

    with pytest.raises(ValueError, match="8 values"):
        insert_rows(Integration, INTEGRATION_FIELDS, rows)
    assert not Integration.objects.exists()


def test_update_rows_sets_the_fields_of_each_row_by_primary_key(project):
    pks = insert_rows(
        Integration,
        INTEGRATION_FIELDS,
        integration_rows(project, ["a", "b", "c"]),
        returning_pks=True,
    )
    later = WHEN + dt.timedelta(hours=1)

    update_rows(
        Integration,
        ("name", "state", "changed_at"),
        [(pks[0], "A", Integration.State.PRESENT, later), (pks[2], "C", "present", later)],
    )

    rows = Integration.objects.order_by("pk").values_list("name", "state", "changed_at")
    assert list(rows) == [
        ("A", "present", later),
        ("b", "removed", WHEN),
        ("C", "present", later),
    ]


def test_update_rows_refuses_a_row_of_the_wrong_length_and_runs_nothing_for_none(project):
    with pytest.raises(ValueError, match="3 values"):
        update_rows(Integration, ("name", "state"), [(1, "x")])
    with CaptureQueriesContext(connection) as queries:
        update_rows(Integration, ("name",), [])
    assert not queries.captured_queries
