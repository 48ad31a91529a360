"""The search index loses a snapshot's entry when its search text is deleted, in the database.

Deleting snapshots deletes their search texts (the ORM's delete cascades; SQL must delete them
first, as bench/sync.py does: see `SnapshotSearchText`), but their entries in the index table
that `SearchIndex.index_new()` fills stayed behind, found by searches and then skipped. A
trigger on the texts now deletes each entry with its text:
- SQLite: FTS5's 'delete' command, which a contentless table needs with the text it indexed,
  and only for a text it holds (otherwise FTS5's own count of its rows goes wrong);
- PostgreSQL: one DELETE per statement, of the rows it deleted (a transition table); a
  TRUNCATE of the texts empties the index.
Entries left by earlier deletes are removed here (on SQLite, by indexing again what is there).
"""

from django.db import migrations

INDEX = "integrations_searchindex"
TEXTS = "integrations_snapshotsearchtext"
TRIGGER = "integrations_searchtext_unindex"


def _has_sqlite_index(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = %s", [INDEX])
        return cursor.fetchone() is not None


def remove_orphan_entries(connection) -> None:
    """Remove the index entries whose search text is gone."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"DELETE FROM {INDEX} AS i WHERE NOT EXISTS "  # noqa: S608 (names, not input)
                f"(SELECT 1 FROM {TEXTS} AS t WHERE t.snapshot_id = i.snapshot_id)"
            )
        elif connection.vendor == "sqlite" and _has_sqlite_index(connection):
            cursor.execute(
                f"SELECT 1 FROM {INDEX} WHERE rowid NOT IN (SELECT snapshot_id FROM {TEXTS}) "  # noqa: S608
                "LIMIT 1"
            )
            if cursor.fetchone() is None:
                return
            # A contentless table forgets an entry only given its text: index again instead.
            cursor.execute(f"INSERT INTO {INDEX}({INDEX}) VALUES ('delete-all')")
            cursor.execute(
                f"INSERT INTO {INDEX}(rowid, text) SELECT snapshot_id, text FROM {TEXTS} "  # noqa: S608
                "ORDER BY snapshot_id"
            )


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            f"CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP = 'TRUNCATE' THEN DELETE FROM {INDEX}; ELSE DELETE FROM {INDEX} AS i "
            "USING deleted WHERE i.snapshot_id = deleted.snapshot_id; END IF; "
            "RETURN NULL; END $$"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {TRIGGER} AFTER DELETE ON {TEXTS} REFERENCING OLD TABLE AS deleted "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}()"
        )
        # As the tests' flush empties the tables between tests.
        schema_editor.execute(
            f"CREATE TRIGGER {TRIGGER}_all AFTER TRUNCATE ON {TEXTS} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}()"
        )
    elif vendor == "sqlite" and _has_sqlite_index(schema_editor.connection):
        schema_editor.execute(
            f"CREATE TRIGGER {TRIGGER} AFTER DELETE ON {TEXTS} "
            f"WHEN EXISTS (SELECT 1 FROM {INDEX} WHERE rowid = old.snapshot_id) BEGIN "
            f"INSERT INTO {INDEX}({INDEX}, rowid, text) VALUES ('delete', old.snapshot_id, old.text); "
            "END"
        )
    remove_orphan_entries(schema_editor.connection)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}_all ON {TEXTS}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {TEXTS}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {TRIGGER}()")
    elif vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [("integrations", "0021_search_text_lz4")]

    operations = [migrations.RunPython(create, drop)]
