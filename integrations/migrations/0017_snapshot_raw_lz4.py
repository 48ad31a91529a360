"""PostgreSQL: snapshots' JSON compressed with lz4 rather than pglz, the default.

A first sync of 1,000 integrations (15.6 MB of JSON) spent about 0.1 s of its 0.6 s in pglz
(bench/sync.py, 2026-12-05). lz4 needs PostgreSQL 14 built with it; elsewhere the column keeps
the default, and nothing else changes: values already stored stay as they are until rewritten.
"""

from django.db import DatabaseError, migrations, transaction

SNAPSHOTS = "integrations_snapshot"


def compress_with_lz4(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    try:
        with transaction.atomic(using=connection.alias):
            schema_editor.execute(f"ALTER TABLE {SNAPSHOTS} ALTER COLUMN raw SET COMPRESSION lz4")
    except DatabaseError:  # a server built without lz4
        pass


def compress_as_before(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql" and connection.pg_version >= 140000:
        schema_editor.execute(f"ALTER TABLE {SNAPSHOTS} ALTER COLUMN raw SET COMPRESSION default")


class Migration(migrations.Migration):
    dependencies = [("integrations", "0016_installations")]

    operations = [migrations.RunPython(compress_with_lz4, compress_as_before)]
