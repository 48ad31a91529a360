from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection, models, transaction

from integrations.bulk import reserve_pks
from integrations.models import Installation, InstallationConfigVersion, Snapshot
from tests.integrations.conftest import integration_json, store_integration

STORED_JSON = [(Snapshot, "raw"), (Installation, "config"), (InstallationConfigVersion, "config")]

unchecked = importlib.import_module("integrations.migrations.0023_stored_json_unchecked_on_sqlite")


def table_sql(model: type[models.Model]) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [model._meta.db_table])
        return cursor.fetchone()[0]


def column_type(model: type[models.Model], column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = %s AND column_name = %s",
            [model._meta.db_table, column],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "column"), STORED_JSON)
def test_the_apis_exact_json_is_stored_as_text_that_the_database_does_not_parse(model, column):
    # The client has checked it: a database check would parse every byte again.
    if connection.vendor == "sqlite":
        assert "JSON_VALID" not in table_sql(model)
    else:
        assert column_type(model, column) == "text"


@pytest.mark.django_db(transaction=True)
def test_migration_0023_drops_the_json_check_keeping_rows_and_the_highest_key_given(project):
    if connection.vendor != "sqlite":  # nothing to drop: the migration does nothing there
        with connection.schema_editor() as editor:
            unchecked.remake_without_json_checks(apps, editor)
        assert column_type(Snapshot, "raw") == "text"
        return
    # The table as migration 0022 left it: a plain JSONField, which SQLite checks.
    stored = Snapshot._meta.get_field("raw")
    checked = models.JSONField(help_text=stored.help_text)
    checked.set_attributes_from_name("raw")
    checked.model = Snapshot
    with connection.schema_editor() as editor:
        editor.alter_field(Snapshot, stored, checked)
    assert "JSON_VALID" in table_sql(Snapshot)
    kept = store_integration(project, integration_json("kept"))
    with connection.cursor() as cursor:  # keys given to rows since deleted
        cursor.execute(
            "UPDATE sqlite_sequence SET seq = seq + 10 WHERE name = %s", [Snapshot._meta.db_table]
        )

    with connection.schema_editor() as editor:
        unchecked.remake_without_json_checks(apps, editor)

    assert "JSON_VALID" not in table_sql(Snapshot)
    assert Snapshot.objects.get().raw == kept.latest_snapshot.raw
    with transaction.atomic():
        assert reserve_pks(Snapshot, 1) == [kept.latest_snapshot_id + 11]
