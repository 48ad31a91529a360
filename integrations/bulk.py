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
    adapted = [
        (index, adapt)
        for index, field in enumerate(model_fields)
        if (adapt := _adapter(field, connection)) is not None
    ]
    if any(len(row) != len(model_fields) for row in rows):
        raise ValueError(f"every row needs {len(model_fields)} values, one per field")
    if adapted:
        rows = [list(row) for row in rows]
        for row in rows:
            for index, adapt in adapted:
                row[index] = adapt(row[index])
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in model_fields)
    one_row = "(" + ", ".join(["%s"] * len(model_fields)) + ")"
    returning = f" RETURNING {quote(opts.pk.column)}" if returning_pks else ""
    batch_size = max(1, connection.ops.bulk_batch_size(model_fields, rows))
    pks: list[Any] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            cursor.execute(
                f"INSERT INTO {quote(opts.db_table)} ({columns}) "  # noqa: S608 (names, not input)
                f"VALUES {', '.join([one_row] * len(batch))}{returning}",
                list(chain.from_iterable(batch)),
            )
            if returning_pks:
                pks += [pk for (pk,) in cursor.fetchall()]
    return pks


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
