"""Stage 6 of an import, load: linked rows → fact rows, quarantine rows and review items.

`load(batch, linked)` writes the batch's accepted rows into its source's fact table (typed
values, ciphertext and blind index, the linked person, provenance: batch, row, load time),
its quarantined rows and the warnings of its kept rows (each with the row as the sheet
shows it, the column's letter and header, and the raw value encrypted), and a review item
for every row a clerk must decide, and an unresolved record (待核实) for every group of rows
without a valid ID that matched nobody. Facts, quarantine and warnings go in through the bulk
path (`bulk.insert_frame`: a file may have a hundred thousand warnings). It runs inside
the batch's transaction (actions.do_load_batch).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from django.utils import timezone

from minsheng.geo.locate import area_codes
from minsheng.geo.models import Area
from minsheng.lib import failpoints

from .bulk import analyze, indexes_deferred, insert_frame, json_column
from .link import Linked
from .models import (
    FACT_MODELS,
    Batch,
    LinkMethod,
    LinkReview,
    QuarantinedRow,
    ReviewKind,
    RowWarning,
    UnresolvedRecord,
    fact_columns,
)
from .protect import encrypt

__all__ = ["Loaded", "load"]


@dataclass
class Loaded:
    linked: Linked
    reviews: int
    unresolved: int
    link_methods: dict[str, int]


def load(batch: Batch, linked: Linked) -> Loaded:
    protected = linked.protected
    parsed = protected.parsed
    model = FACT_MODELS[parsed.source.name]
    table = model._meta.db_table
    facts = _fact_frame(batch, linked)
    if facts.height > model.objects.count():
        with indexes_deferred(table):
            insert_frame(table, facts)
    else:
        insert_frame(table, facts)
    insert_frame(QuarantinedRow._meta.db_table, _quarantine_frame(batch, linked))
    insert_frame(RowWarning._meta.db_table, _warning_frame(batch, linked))
    analyze(table)
    failpoints.reach("ingest.after_facts")
    methods = linked.links.get_column("method").value_counts()
    return Loaded(
        linked,
        _reviews(batch, linked.links),
        _unresolved(batch, linked),
        dict(zip(methods["method"].to_list(), methods["count"].to_list(), strict=True)),
    )


def _fact_frame(batch: Batch, linked: Linked) -> pl.DataFrame:
    parsed, crypt = linked.protected.parsed, linked.protected.crypt
    src = parsed.source
    df = parsed.accepted
    typed = []
    for name in fact_columns(src):
        if name in crypt:
            typed.append(crypt[name].alias(name))
        elif name.endswith("_error") and name[: -len("_error")] == src.id_column:
            typed.append(df.get_column("id_error").alias(name))
        elif name in df.columns:
            typed.append(df.get_column(name))
        else:
            typed.append(pl.Series(name, [None] * df.height, dtype=pl.String))
    extra_cols = [c for c in df.columns if c.startswith("extra:")]
    extras = json_column(df.rename({c: c[6:] for c in extra_cols}), [c[6:] for c in extra_cols])
    base = pl.DataFrame(
        {
            "batch_id": pl.Series([batch.pk] * df.height, dtype=pl.Int64),
            "row": df.get_column("row"),
        }
    ).with_columns(
        pl.lit(timezone.now()).alias("loaded_at"),
        duplicate_of=df.get_column("duplicate_of")
        if "duplicate_of" in df.columns
        else pl.lit(None, dtype=pl.Int64),
        extra=extras,
    )
    links = linked.links.select(
        pl.col("rid").alias("row"),
        pl.col("final_person_id").alias("person_id"),
        pl.col("method").alias("link_method"),
        "match_weight",
    )
    return pl.concat([base, pl.DataFrame(typed)], how="horizontal").join(
        links, on="row", how="left", maintain_order="left"
    )


HEADER_CHARS = 255  # QuarantinedRow.header, RowWarning.header: a header cell may be longer


def _text(df: pl.DataFrame, name: str, limit: int | None = None) -> pl.Series:
    """A text column of the frame, empty text where it is null, cut to `limit` characters."""
    out = df.get_column(name).cast(pl.String).fill_null("")
    return (out.str.slice(0, limit) if limit else out).alias(name)


def _quarantine_frame(batch: Batch, linked: Linked) -> pl.DataFrame:
    q = linked.protected.parsed.quarantined
    return pl.DataFrame(
        {
            "batch_id": pl.Series([batch.pk] * q.height, dtype=pl.Int64),
            "row": q.get_column("row"),
            "sheet_row": q.get_column("sheet_row").cast(pl.Int64),
            "column": q.get_column("column").fill_null(""),
            "letter": _text(q, "letter"),
            "header": _text(q, "header", HEADER_CHARS),
            "raw_value_enc": linked.protected.quarantined_raw_enc,
            "reason_code": q.get_column("reason_code"),
            # the sentence ends with the raw value, which is stored encrypted instead
            "reason": q.select(
                pl.col("reason").str.strip_suffix(
                    pl.format(" ({})", pl.col("raw_value").fill_null("empty"))
                )
            ).to_series(),
        }
    )


def _warning_frame(batch: Batch, linked: Linked) -> pl.DataFrame:
    """One row per warning of a kept row; the raw value encrypted (it may be an ID), each
    distinct value once (protect.encrypt)."""
    w = linked.protected.parsed.cell_warnings
    return pl.DataFrame(
        {
            "batch_id": pl.Series([batch.pk] * w.height, dtype=pl.Int64),
            "row": w.get_column("row").cast(pl.Int64),
            "sheet_row": w.get_column("sheet_row").cast(pl.Int64),
            "column": _text(w, "column"),
            "letter": _text(w, "letter"),
            "header": _text(w, "header", HEADER_CHARS),
            "code": w.get_column("code").cast(pl.String),
            "raw_value_enc": encrypt(w.get_column("raw_value").cast(pl.String)).fill_null(""),
        }
    )


def _reviews(batch: Batch, links: pl.DataFrame) -> int:
    """A review item per row a clerk must decide (seen in the candidate's area)."""
    pending = links.filter(pl.col("method").is_in([LinkMethod.REVIEW, LinkMethod.ID_CONFLICT]))
    if pending.is_empty():
        return 0
    model = FACT_MODELS[batch.source]
    fact_ids = dict(
        model.objects.filter(batch=batch, row__in=pending["rid"].to_list()).values_list("row", "id")
    )
    items = []
    for rid, method, weight, cand in pending.select(
        "rid", "method", "match_weight", "candidate_id"
    ).iter_rows():
        items.append(
            LinkReview(
                batch=batch,
                source=batch.source,
                row=rid,
                fact_id=fact_ids[rid],
                kind=ReviewKind.ID_CONFLICT
                if method == LinkMethod.ID_CONFLICT
                else ReviewKind.PROBABLE,
                candidate_id=cand,
                match_weight=weight,
            )
        )
    LinkReview.objects.bulk_create(items, batch_size=2000)
    return len(items)


def _unresolved(batch: Batch, linked: Linked) -> int:
    """One unresolved record per group of unresolved rows, in the area its first row names
    (its grid or community, else its district)."""
    rows = linked.links.filter(pl.col("method") == LinkMethod.UNRESOLVED)
    if rows.is_empty():
        return 0
    model = FACT_MODELS[batch.source]
    fact_ids = pl.DataFrame(
        list(
            model.objects.filter(batch=batch, link_method=LinkMethod.UNRESOLVED).values_list(
                "row", "id"
            )
        ),
        schema={"rid": pl.Int64, "fact_id": pl.Int64},
        orient="row",
    )
    grid = linked.protected.parsed.accepted.select(
        rid=pl.col("row").cast(pl.Int64),
        grid_code=pl.col("grid_code").cast(pl.String)
        if "grid_code" in linked.protected.parsed.accepted.columns
        else pl.lit(None, pl.String),
    )
    where = (
        rows.select("rid", "group_key")
        .join(fact_ids, on="rid")
        .join(linked.records.select("rid", "address", "district_code"), on="rid", how="left")
        .join(grid, on="rid", how="left")
        .sort("rid")
    )
    where = where.with_columns(area_code=area_codes(where))
    groups = where.group_by("group_key", maintain_order=True).agg(
        pl.col("area_code").drop_nulls().first(), rows=pl.concat_list("rid", "fact_id")
    )
    areas = dict(
        Area.objects.filter(
            code__in=groups["area_code"].drop_nulls().unique().to_list()
        ).values_list("code", "id")
    )
    UnresolvedRecord.objects.bulk_create(
        [
            UnresolvedRecord(
                batch=batch,
                source=batch.source,
                group_key=key,
                rows=members,
                area_id=areas.get(code),
            )
            for key, code, members in groups.iter_rows()
        ],
        batch_size=2000,
    )
    return groups.height
