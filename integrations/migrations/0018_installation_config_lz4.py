"""PostgreSQL: installations' configs compressed with lz4 rather than pglz, as snapshots' JSON (0017).

Storing the configs of 10,000 installations (64.8 MB of JSON) took about 1.0-1.2 s of server time
with pglz and 0.8 s with lz4 (one INSERT from UNNEST, measured 2026-12-05). lz4 needs PostgreSQL 14
built with it; elsewhere the columns keep the default. Values already stored stay as they are
until rewritten.
"""

from django.db import DatabaseError, migrations, transaction

COLUMNS = [
    ("integrations_installation", "config"),
    ("integrations_installationconfigversion", "config"),
]


def _on_postgresql_14(schema_editor) -> bool:
    connection = schema_editor.connection
    return connection.vendor == "postgresql" and connection.pg_version >= 140000


def compress_with_lz4(apps, schema_editor):
    if not _on_postgresql_14(schema_editor):
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            for table, column in COLUMNS:
                schema_editor.execute(
                    f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4"
                )
    except DatabaseError:  # a server built without lz4
        pass


def compress_as_before(apps, schema_editor):
    if _on_postgresql_14(schema_editor):
        for table, column in COLUMNS:
            schema_editor.execute(
                f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION default"
            )


class Migration(migrations.Migration):
    dependencies = [("integrations", "0017_snapshot_raw_lz4")]

    operations = [migrations.RunPython(compress_with_lz4, compress_as_before)]
