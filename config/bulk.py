"""Inserting many rows in one statement, for the hot paths that write thousands of them.

``bulk_create`` builds a model instance per row and prepares every value through its field: the
profile of the webhook relay found that to be a third of the fan-out's time and most of recording
a batch of attempts. On PostgreSQL :func:`insert_rows` passes each column as one array instead,
``INSERT INTO t (cols) SELECT * FROM unnest(%s::type[], ...)``, and psycopg adapts the arrays
itself. Elsewhere (SQLite in development) it is ``bulk_create``.

The caller names the columns (attnames: ``event_id``, not ``event``) and gives every NOT NULL one
that has no database default (a missing one fails loudly). Values must be what psycopg adapts as
they are: ``str``, ``int``, ``bool``, ``None``, ``UUID``, aware ``datetime`` (not JSON, not enums
that are not ``str``).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence], *, ignore_conflicts: bool = False
) -> None:
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [model(**dict(zip(fields, row, strict=True))) for row in rows], ignore_conflicts=ignore_conflicts
        )
        return
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in columns)
    # Names from the model's metadata, quoted; every value is a parameter.
    names = ", ".join(quote(field.column) for field in columns)
    sql = f"INSERT INTO {quote(meta.db_table)} ({names}) SELECT * FROM unnest({arrays})"  # noqa: S608
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(column) for column in zip(*rows, strict=True)])
