"""Inserting many rows at once for the sync, without a model instance per row.

`bulk_create` builds an instance per row and then prepares each of its values through its field:
for the first sync of 1,000 integrations some 25,000 Python calls, several times what the
database takes to store the rows. The sync's values are plain strings, numbers and times, so
here each column's adaptation to the database is chosen once, and only columns that need one
(times, JSON) call anything per value.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Sequence
from itertools import chain
from typing import Any

from django.db import connections, models, router


def insert_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning_pks: bool = False,
) -> list[Any]:
    """Insert `rows` (values in the order of `fields`, as a model instance would hold them)
    into `model`'s table; with `returning_pks`, the new rows' primary keys, in order.

    No signal is sent and no default is filled in: every value comes from `rows`, and a
    column left out gets the database's NULL.
    """
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    model_fields = [opts.get_field(name) for name in fields]
    rows = _adapted(connection, model_fields, rows)
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    columns = ", ".join(quote(field.column) for field in model_fields)
    one_row = "(" + ", ".join(["%s"] * len(model_fields)) + ")"
    with connection.cursor() as cursor:
        if not returning_pks:
            # One statement prepared once and run per row: cheaper for the database than
            # parsing a statement of many rows.
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES {one_row}",  # noqa: S608 (names, not input)
                rows,
            )
            return []
        pks: list[Any] = []
        batch_size = max(1, connection.ops.bulk_batch_size(model_fields, rows))
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "  # noqa: S608 (names, not input)
                f"VALUES {', '.join([one_row] * len(batch))} RETURNING {quote(opts.pk.column)}",
                list(chain.from_iterable(batch)),
            )
            pks += [pk for (pk,) in cursor.fetchall()]
    return pks


def update_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Set `fields` of the rows of `model` whose primary key is each row's first value to the
    row's other values (in the order of `fields`), by one statement run per row."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    opts = model._meta
    model_fields = [opts.get_field(name) for name in fields]
    rows = _adapted(connection, [opts.pk, *model_fields], rows)
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in model_fields)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(opts.db_table)} SET {assignments} "  # noqa: S608 (names, not input)
            f"WHERE {quote(opts.pk.column)} = %s",
            [(*values, pk) for pk, *values in rows],
        )


def _adapted(
    connection: Any, model_fields: Sequence[models.Field], rows: Sequence[Sequence[Any]]
) -> Sequence[Sequence[Any]]:
    """`rows` with each value as the database driver takes it."""
    if any(len(row) != len(model_fields) for row in rows):
        raise ValueError(f"every row needs {len(model_fields)} values, one per field")
    adapted = [
        (index, adapt)
        for index, field in enumerate(model_fields)
        if (adapt := _adapter(field, connection)) is not None
    ]
    if not adapted:
        return rows
    rows = [list(row) for row in rows]
    for row in rows:
        for index, adapt in adapted:
            row[index] = adapt(row[index])
    return rows


def _adapter(field: models.Field, connection: Any) -> Callable[[Any], Any] | None:
    """How a value of `field` is turned into what the database driver takes; None: as it is."""
    if isinstance(field, models.DateTimeField):
        # Rows often share a time (when the sync ran): each one is adapted once.
        return functools.lru_cache(maxsize=256)(connection.ops.adapt_datetimefield_value)
    if field.choices:  # a member of its TextChoices: the driver takes the plain value
        return lambda value: value.value if isinstance(value, enum.Enum) else value
    if isinstance(field, models.CharField | models.TextField | models.IntegerField):
        return None
    if field.is_relation:  # a foreign key's id, given as it is stored
        return None
    return lambda value: field.get_db_prep_save(value, connection)
