"""PostgreSQL: snapshots' search texts compressed with lz4 rather than pglz, the default, as
their JSON (0017) and installations' configs (0018).

Most search texts are about 2 KB, where PostgreSQL tries to compress a row: with pglz, COPY of
the 1,000 texts of a first sync (2.4 MB) took 0.042-0.058 s, with lz4 0.026-0.030 s (three
runs each, 2026-12-06). lz4 needs PostgreSQL 14 built with it; elsewhere the column keeps the
default. SQLite is left as it is.
"""

from django.db import DatabaseError, migrations, transaction

SEARCH_TEXTS = "integrations_snapshotsearchtext"


def compress_with_lz4(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    try:
        with transaction.atomic(using=connection.alias):
            schema_editor.execute(
                f"ALTER TABLE {SEARCH_TEXTS} ALTER COLUMN text SET COMPRESSION lz4"
            )
    except DatabaseError:  # a server built without lz4
        pass


def compress_as_before(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql" and connection.pg_version >= 140000:
        schema_editor.execute(
            f"ALTER TABLE {SEARCH_TEXTS} ALTER COLUMN text SET COMPRESSION default"
        )


class Migration(migrations.Migration):
    dependencies = [("integrations", "0020_integration_installation_counts")]

    operations = [migrations.RunPython(compress_with_lz4, compress_as_before)]
