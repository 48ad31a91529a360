"""A trigram index of the snapshots' search texts, for substring search without a scan.

SQLite: an FTS5 table (trigram tokenizer, contentless) filled behind the snapshots by
`SearchIndex.index_new()`; skipped where SQLite lacks FTS5 or the trigram tokenizer (searches
then scan, as before). PostgreSQL: a pg_trgm GIN index on the search texts, which LIKE uses.
"""

from django.db import DatabaseError, migrations, transaction

SQLITE_TABLE = "integrations_searchindex"
POSTGRES_INDEX = "integrations_searchtext_trgm"
TEXTS = "integrations_snapshotsearchtext"


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        try:
            with transaction.atomic(using=connection.alias):
                schema_editor.execute(
                    f"CREATE VIRTUAL TABLE {SQLITE_TABLE} "
                    "USING fts5(text, content='', tokenize='trigram')"
                )
        except DatabaseError:
            return
        schema_editor.execute(
            f"INSERT INTO {SQLITE_TABLE}(rowid, text) "  # noqa: S608 (no input)
            f"SELECT snapshot_id, text FROM {TEXTS} ORDER BY snapshot_id"
        )
    elif connection.vendor == "postgresql":
        try:
            with transaction.atomic(using=connection.alias):
                schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError:
            return
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {POSTGRES_INDEX} ON {TEXTS} USING gin (text gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {SQLITE_TABLE}")
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {POSTGRES_INDEX}")


class Migration(migrations.Migration):
    dependencies = [("integrations", "0006_snapshot_raw_stored_json")]

    operations = [migrations.RunPython(create, drop)]
