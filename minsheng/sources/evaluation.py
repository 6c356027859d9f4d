"""Linkage quality of what is in the database, against the synthetic city's truth.

Used by bench/archive.py and the tests: every fact row becomes (file, row, person, noid,
method) and `linkage.evaluate` scores it.
"""

from __future__ import annotations

import polars as pl
from django.db import connection

from minsheng.catalogue.registry import sources

from .models import FACT_MODELS

SCHEMA = {
    "file": pl.String,
    "row": pl.Int64,
    "person_id": pl.Int64,
    "noid": pl.Boolean,
    "method": pl.String,
    "id_hash": pl.String,
}


def fact_assignments() -> pl.DataFrame:
    """(file, row, person_id, noid, method, id_hash) of every fact row."""
    frames = []
    with connection.cursor() as cursor:
        for src in sources():  # the department files (grid collection is linked by its task)
            model, id_col = FACT_MODELS[src.name], src.id_column
            cursor.execute(
                f"SELECT b.file_name, f.row, f.person_id, f.{id_col}_hash IS NULL, "
                f"f.link_method, f.{id_col}_hash FROM {model._meta.db_table} f "
                "JOIN sources_batch b ON b.id = f.batch_id"
            )
            frames.append(pl.DataFrame(cursor.fetchall(), schema=SCHEMA, orient="row"))
    return pl.concat(frames)


def id_only_baseline(assign: pl.DataFrame) -> pl.DataFrame:
    """The same rows linked by an exact join on normalised ID numbers alone."""
    return assign.select(
        "file",
        "row",
        "noid",
        person_id=pl.when(pl.col("id_hash").is_not_null()).then(
            pl.col("id_hash").rank("dense").cast(pl.Int64)
        ),
    )


def clerical_share(assign: pl.DataFrame) -> float:
    """Rows without a usable ID sent to clerical review, as a share of those rows."""
    noid = assign.filter(pl.col("noid"))
    return noid.filter(pl.col("method") == "review").height / noid.height if noid.height else 0.0
