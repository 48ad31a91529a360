"""SQLite: the API's exact JSON (snapshots' `raw`, installations' configs) without a CHECK that
it is JSON, as on PostgreSQL since 0019.

Django gives a JSONField on SQLite the constraint `JSON_VALID(column)`, so every insert parsed
the text again, which the client had already decoded and checked: for a first sync of 1,000
integrations (14 MB) 34 ms of the sync's writes, for 10,000 installations' configs (53 MB)
40 ms (2026-12-07). `StoredJSONField` no longer asks for it; SQLite cannot drop a constraint,
so each table is made again without it (Django's own way of altering a SQLite table), keeping
its rows and the highest key it ever gave. PostgreSQL has no such constraint: nothing to do.
"""

from django.db import migrations

MODELS = ["Snapshot", "Installation", "InstallationConfigVersion"]


def remake_without_json_checks(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    for name in MODELS:
        model = apps.get_model("integrations", name)
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            highest_given = cursor.fetchone()
        schema_editor._remake_table(model)
        if highest_given is not None:
            # The table made again counts from its highest row, not the highest key given.
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s",
                    [highest_given[0], table],
                )


class Migration(migrations.Migration):
    dependencies = [("integrations", "0022_search_index_follows_deleted_texts")]

    operations = [
        migrations.RunPython(remake_without_json_checks, migrations.RunPython.noop, elidable=True)
    ]
