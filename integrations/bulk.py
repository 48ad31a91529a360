"""Inserting and updating many rows at once for the sync, without a model instance per row.

`bulk_create` builds an instance per row and then prepares each of its values through its field:
for the first sync of 1,000 integrations some 25,000 Python calls, several times what the
database takes to store the rows. The sync's values are plain strings, numbers and times, so
here each column's adaptation to the database is chosen once, and only columns that need one
(times, JSON) call anything per value.
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from operator import itemgetter
from typing import Any

from django.db import connections, models, router, transaction


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning_pks: bool = False,
) -> list[Any]:
    """Insert `rows` (values in the order of `fields`, as a model instance would hold them)
    into `model`'s table; with `returning_pks`, the new rows' primary keys, in order (drawn
    first by `reserve_pks`).

    No signal is sent and no default is filled in: every value comes from `rows`, and a
    column left out gets the database's NULL.
    """
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    model_fields = [opts.get_field(name) for name in fields]
    rows = _adapted(connection, model_fields, rows)
    with transaction.atomic(using=connection.alias, savepoint=False):
        pks: list[Any] = []
        if returning_pks:
            pks = reserve_pks(model, len(rows))
            model_fields = [opts.pk, *model_fields]
            rows = [(pk, *row) for pk, row in zip(pks, rows, strict=True)]
        if connection.vendor == "postgresql":
            _copy_rows(connection, model, model_fields, rows)
            return pks
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in model_fields)
        one_row = "(" + ", ".join(["%s"] * len(model_fields)) + ")"
        with connection.cursor() as cursor:
            # One statement prepared once and run per row: cheaper for the database than
            # parsing a statement of many rows.
            cursor.executemany(
                f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES {one_row}",  # noqa: S608 (names, not input)
                rows,
            )
        return pks


def reserve_pks(model: type[models.Model], count: int) -> list[int]:
    """The primary keys of the next `count` rows of `model`, drawn now, for rows inserted with
    them later in the same transaction: e.g. an integration inserted pointing at its latest
    snapshot before that snapshot's row is written (foreign keys are checked at commit).

    PostgreSQL draws them from the table's sequence. SQLite's AUTOINCREMENT keys follow the
    highest ever given, kept in `sqlite_sequence`: it is moved past the keys drawn, as a
    sequence would be. That read and write is safe only inside a transaction, which holds
    SQLite's only write lock (BEGIN IMMEDIATE) until it ends.
    """
    if count <= 0:
        return []
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [opts.db_table, opts.pk.column, count],
            )
            return [pk for (pk,) in cursor.fetchall()]
        if connection.vendor != "sqlite":
            raise NotImplementedError(f"reserve_pks: no way to draw keys on {connection.vendor}")
        if not connection.in_atomic_block:
            raise transaction.TransactionManagementError(
                "reserve_pks on SQLite: draw the keys in the transaction that inserts them"
            )
        # The highest key ever given, or in the table (should it have lost its sequence row).
        quote = connection.ops.quote_name
        highest_in_table = f"SELECT MAX({quote(opts.pk.column)}) FROM {quote(opts.db_table)}"  # noqa: S608 (names, not input)
        cursor.execute(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "  # noqa: S608 (names, not input)
            f"COALESCE(({highest_in_table}), 0))",
            [opts.db_table],
        )
        (last,) = cursor.fetchone()
        values = [last + count, opts.db_table]
        cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", values)
        if cursor.rowcount == 0:
            cursor.execute("INSERT INTO sqlite_sequence (seq, name) VALUES (%s, %s)", values)
    return list(range(last + 1, last + 1 + count))


def update_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Set `fields` of the rows of `model` whose primary key is each row's first value to the
    row's other values (in the order of `fields`)."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    model_fields = [opts.get_field(name) for name in fields]
    rows = _adapted(connection, [opts.pk, *model_fields], rows)
    quote = connection.ops.quote_name
    table, pk_column = quote(opts.db_table), quote(opts.pk.column)
    if connection.vendor == "postgresql":
        names = [f"c{index}" for index in range(len(model_fields))]
        assignments = ", ".join(
            f"{quote(field.column)} = new.{name}"
            for field, name in zip(model_fields, names, strict=True)
        )
        with _server_binding_cursor(connection) as cursor:
            cursor.execute(
                f"UPDATE {table} SET {assignments} "  # noqa: S608 (names, not input)
                f"FROM {_unnest(connection, [opts.pk, *model_fields])} "
                f"AS new(pk, {', '.join(names)}) WHERE {table}.{pk_column} = new.pk",
                _columns_of(rows),
            )
        return
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in model_fields)
    with connection.cursor() as cursor:
        # One statement prepared once and run per row.
        cursor.executemany(
            f"UPDATE {table} SET {assignments} WHERE {pk_column} = %s",  # noqa: S608 (names, not input)
            [(*values, pk) for pk, *values in rows],
        )


def _copy_rows(
    connection: Any,
    model: type[models.Model],
    model_fields: list[models.Field],
    rows: Sequence[Sequence[Any]],
) -> None:
    """PostgreSQL: `rows` sent by COPY, the fastest way in (psycopg formats them in C; a
    statement of arrays had psycopg dump each array in Python).

    In COPY's binary format: each value goes as its bytes, where the text format escapes every
    backslash and line break of a snapshot's JSON and the server reads them back (for a first
    sync's 14 MB, 66 ms against 32 ms in one run).
    """
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in model_fields)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN (FORMAT BINARY)"
    # Binary values are not cast by the server: each is dumped as its column's own type.
    types = [field.cast_db_type(connection).partition("(")[0] for field in model_fields]
    with connection.cursor() as cursor:
        # Logged like any statement (DEBUG, CaptureQueriesContext), its errors Django's own.
        logged = cursor.debug_sql(sql) if connection.queries_logged else nullcontext()
        with logged, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)


# PostgreSQL: the rows go as one array per column, in a statement whose text is the same
# whatever their number (as bulk_create does there). Django's cursors would merge the values
# into the SQL text: for a sync's 15 MB of JSON psycopg would quote every byte, and the server
# parse it back. A server-binding cursor sends them apart, in binary (%b: no escaping).


def _server_binding_cursor(connection: Any) -> Any:
    """A cursor sending values apart from the statement, wrapped like Django's own so query
    logging, execute wrappers and `CaptureQueriesContext` still see its statements."""
    connection.ensure_connection()
    with connection.wrap_database_errors:
        cursor = connection.Database.Cursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(cursor)
    return connection.make_cursor(cursor)


def _unnest(connection: Any, model_fields: Sequence[models.Field]) -> str:
    arrays = ", ".join(f"%b::{field.cast_db_type(connection)}[]" for field in model_fields)
    return f"UNNEST({arrays})"


def _columns_of(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    return [list(column) for column in zip(*rows, strict=True)]


def _adapted(
    connection: Any, model_fields: Sequence[models.Field], rows: Sequence[Sequence[Any]]
) -> Sequence[Sequence[Any]]:
    """`rows` with each value as the database driver takes it."""
    if any(len(row) != len(model_fields) for row in rows):
        raise ValueError(f"every row needs {len(model_fields)} values, one per field")
    adapted = []
    for index, field in enumerate(model_fields):
        longest = _longest(rows, index) if isinstance(field, models.CharField) else 0
        if (adapt := _adapter(field, connection, longest=longest)) is not None:
            adapted.append((index, adapt))
    if not adapted:
        return rows
    rows = [list(row) for row in rows]
    for row in rows:
        for index, adapt in adapted:
            row[index] = adapt(row[index])
    return rows


def _longest(rows: Sequence[Sequence[Any]], index: int) -> float:
    """The length of the longest value at `index` of `rows` (infinite if one has none)."""
    try:
        return max(map(len, map(itemgetter(index), rows)))
    except TypeError:
        return math.inf


def _adapter(
    field: models.Field, connection: Any, *, longest: float
) -> Callable[[Any], Any] | None:
    """How a value of `field`, of which the longest is `longest`, is turned into what the
    database driver takes; None: as it is."""
    if isinstance(field, models.DateTimeField):
        # Rows often share a time (when the sync ran): each one is adapted once.
        return functools.lru_cache(maxsize=256)(connection.ops.adapt_datetimefield_value)
    if field.choices:  # a member of its TextChoices: the driver takes the plain value
        return lambda value: value.value if isinstance(value, enum.Enum) else value
    if isinstance(field, models.CharField) and (length := field.max_length) and longest > length:
        # What is longer than the column is cut to fit, on both databases alike (the API's
        # text, e.g. a display name, is kept whole in the snapshot's JSON).
        return lambda value: value[:length] if isinstance(value, str) else value
    if isinstance(field, models.CharField | models.TextField | models.IntegerField):
        return None
    if field.is_relation:  # a foreign key's id, given as it is stored
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def analyze_if_grown(written: int, *models_: type[models.Model]) -> bool:
    """On PostgreSQL, refresh the planner's statistics of `models_`' tables now when `written`
    new rows are more than autovacuum's own threshold for doing it (50 rows and a tenth of the
    first table, by its statistics); whether it did.

    Autovacuum refreshes them up to a minute later, but the sync's next statements cannot wait:
    after a first sync of 1,000 integrations the planner still took the tables for empty and
    joined each integration to its latest snapshot by a nested loop over every snapshot
    (180 ms for that one query; 2 ms once analysed), in the sync's next steps and its re-syncs.
    """
    if not written:
        return False
    connection = connections[router.db_for_write(models_[0])]
    if connection.vendor != "postgresql":
        return False
    tables = [connection.ops.quote_name(model._meta.db_table) for model in models_]
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [tables[0]])
        [known] = cursor.fetchone()
        if written <= 50 + 0.1 * max(known, 0):
            return False
        cursor.execute(f"ANALYZE {', '.join(tables)}")
    return True
