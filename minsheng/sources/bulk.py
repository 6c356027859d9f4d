"""Loading a Polars frame into a table fast: COPY of CSV on PostgreSQL, executemany on SQLite.

The ORM's bulk_create builds one model instance per row, which at 3.4 million rows costs
minutes; these rows are already validated and typed, so they go straight in. Runs inside
the caller's transaction.
"""

from __future__ import annotations

import json
from contextlib import contextmanager

import polars as pl
from django.db import connection


def _sqlite_ready(df: pl.DataFrame) -> pl.DataFrame:
    # Store dates and datetimes the way Django's SQLite backend writes them (ISO text, UTC,
    # naive), so the ORM reads these rows back like any other.
    out = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if dtype == pl.Date:
            out.append(col.dt.strftime("%Y-%m-%d"))
        elif isinstance(dtype, pl.Datetime):
            if dtype.time_zone is not None:
                col = col.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            out.append(col.dt.strftime("%Y-%m-%d %H:%M:%S%.6f"))
        elif dtype == pl.Boolean:
            out.append(col.cast(pl.Int8))
    return df.with_columns(out) if out else df


def insert_frame(table: str, df: pl.DataFrame, *, chunk_rows: int = 100_000) -> int:
    """Insert every row of `df` into `table` (column names = frame column names)."""
    if df.is_empty():
        return 0
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in df.columns)
    if connection.vendor == "postgresql":
        # CSV written by Polars (no Python object per value): every text quoted, so an
        # empty text stays empty and only a null is an empty field, which COPY reads as NULL
        copy_sql = f"COPY {qn(table)} ({cols}) FROM STDIN (FORMAT csv)"
        with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
            for part in df.iter_slices(chunk_rows):
                copy.write(part.write_csv(include_header=False, quote_style="non_numeric"))
        return df.height
    df = _sqlite_ready(df)
    sql = f"INSERT INTO {qn(table)} ({cols}) VALUES ({', '.join('?' * df.width)})"
    connection.ensure_connection()
    raw = connection.connection
    for part in df.iter_slices(chunk_rows):
        raw.executemany(sql, part.iter_rows())
    return df.height


def json_column(df: pl.DataFrame, columns: list[str]) -> pl.Series:
    """The given columns of each row as one JSON object (None where all are empty)."""
    if not columns:
        return pl.Series([None] * df.height, dtype=pl.String)
    rows = df.select(columns).iter_rows()
    return pl.Series(
        [
            json.dumps(
                {k: v for k, v in zip(columns, r, strict=True) if v not in (None, "")},
                ensure_ascii=False,
            )
            if any(v not in (None, "") for v in r)
            else None
            for r in rows
        ],
        dtype=pl.String,
    )


@contextmanager
def indexes_deferred(table: str):
    """Drop the table's plain indexes, run the block, then build them again.

    Building an index once over many new rows is several times faster than maintaining it
    row by row; callers use this when the rows they insert outnumber those present.
    Constraint indexes (primary key, unique) stay. Inside the caller's transaction, so a
    failure restores the indexes with everything else.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                [table],
            )
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL",
                [table],
            )
        indexes = cursor.fetchall()
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        if connection.vendor == "postgresql":
            # PostgreSQL will not build an index over rows with pending deferred foreign-key
            # checks, so check them as the rows go in.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield
    with connection.cursor() as cursor:
        for _name, sql in indexes:
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def analyze(table: str, columns: tuple[str, ...] = ()) -> None:
    """Refresh PostgreSQL's statistics of a table after a bulk load, so the next statements
    are planned for the rows it now holds (autovacuum would catch up only later); of these
    columns only, if given."""
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        named = f" ({', '.join(quote(c) for c in columns)})" if columns else ""
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {quote(table)}{named}")
