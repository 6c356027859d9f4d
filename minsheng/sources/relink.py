"""Unresolved records (待核实) meet the persons a later import brings.

A row without a valid ID that matched nobody is held as an `UnresolvedRecord` (load). When a
later batch creates persons, `relink(news)` links again the pending rows that could be one
of them (same name by sound, or the same phone): the same algorithm as an import
(`linkage.link_batch`) against the whole person index, so a namesake still blocks a guess.
A row it links is attached to its person (method as linked); a record whose rows are all
attached is `relinked`. Runs inside the batch's transaction (link), and announces the
persons whose facts changed (`persons_relinked`) so their archive rows follow.
"""

from __future__ import annotations

import polars as pl
from django.db import connection
from django.utils import timezone

from minsheng.catalogue import registry
from minsheng.keys import provider

from .linkage import link_batch, name_sounds, prepare_records
from .models import FACT_MODELS, LinkMethod, UnresolvedRecord, UnresolvedStatus
from .signals import persons_relinked

__all__ = ["pending_records", "relink"]

ATTACHED = (LinkMethod.EXACT, LinkMethod.REPAIRED, LinkMethod.PROBABILISTIC)


def pending_records(source: str, fact_ids: list[int]) -> pl.DataFrame:
    """The `records` frame (linkage.prepare_records) of these unresolved fact rows of one
    source, rid = fact id: what the row said, its unusable ID decrypted for repair."""
    src = registry.source(source)
    table = FACT_MODELS[source]._meta.db_table
    have = {c.name for c in src.columns}
    idc = src.id_column
    wanted = {
        "name": src.name_column or "name",
        "sex": "sex",
        "birth_date": "birth_date",
        "address": "address" if "address" in have else "hukou_address",
        "grid_code": "grid_code",
    }
    cols = {alias: col for alias, col in wanted.items() if col in have}
    select = ", ".join(
        ["f.id", f"f.{idc}_enc", f"f.{idc}_error"]
        + (["f.phone_hash"] if "phone" in have else [])
        + [f"f.{col}" for col in cols.values()]
    )
    rows = []
    with connection.cursor() as cursor:
        for start in range(0, len(fact_ids), 500):
            chunk = fact_ids[start : start + 500]
            cursor.execute(
                f"SELECT {select} FROM {table} f WHERE f.id IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
            rows += cursor.fetchall()
    names = ["row", "id_enc", "id_error"] + (["phone_hash"] if "phone" in have else []) + list(cols)
    df = pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)
    decrypt = provider().decrypt
    df = df.with_columns(
        id_number=pl.lit(None, pl.String),
        id_raw=pl.col("id_enc").map_elements(decrypt, return_dtype=pl.String),
    )
    if "birth_date" in df.columns:
        df = df.with_columns(pl.col("birth_date").cast(pl.String).str.to_date(strict=False))
    phone = df["phone_hash"] if "phone_hash" in df.columns else None
    return prepare_records(df, name_column="name", phone_hash=phone)


def relink(news: pl.DataFrame, index: pl.DataFrame) -> list[int]:
    """Link again the pending unresolved rows that could be one of the new persons `news`
    (name, phone_hash); `index` is the person index including them. Returns the persons
    given rows."""
    pending = list(
        UnresolvedRecord.objects.filter(status=UnresolvedStatus.PENDING).values_list(
            "id", "source", "rows"
        )
    )
    if news.is_empty() or not pending:
        return []
    sounds = set(name_sounds(news["name"]).drop_nulls().to_list())
    phones = set(news["phone_hash"].drop_nulls().to_list())
    by_source: dict[str, list[tuple[int, list]]] = {}
    for rec_id, source, rows in pending:
        by_source.setdefault(source, []).append((rec_id, rows))
    # the rows of every source that could be one of them, linked in one pass
    candidates = []
    for n, (source, records) in enumerate(by_source.items()):
        fact_ids = [fid for _rec, rows in records for _row, fid in rows]
        recs = pending_records(source, fact_ids)
        could = name_sounds(recs["name"]).is_in(list(sounds)) | recs["phone_hash"].is_in(
            list(phones)
        )
        # rid: unique across sources and spread out, so that no two rows look like
        # neighbours of one file
        candidates.append(
            recs.filter(could.fill_null(False)).with_columns(
                source=pl.lit(n, pl.Int64),
                fact_id=pl.col("rid"),
                rid=(pl.col("rid") * len(by_source) + n) * 4,
            )
        )
    recs = pl.concat(candidates, how="vertical_relaxed")
    if recs.is_empty():
        return []
    links = link_batch(recs.drop("fact_id", "source"), index, blind_index=provider().blind_index)
    got = (
        links.filter(pl.col("person_id").is_not_null() & pl.col("method").is_in(ATTACHED))
        .join(recs.select("rid", "fact_id", "source"), on="rid")
        .select("source", "fact_id", "person_id", "method", "match_weight")
    )
    touched: set[int] = set()
    for n, (source, records) in enumerate(by_source.items()):
        mine = got.filter(pl.col("source") == n).drop("source")
        if mine.is_empty():
            continue
        _attach(source, mine)
        touched |= set(mine["person_id"].to_list())
        _close(
            records, dict(zip(mine["fact_id"].to_list(), mine["person_id"].to_list(), strict=True))
        )
    if touched:
        persons_relinked.send(sender=UnresolvedRecord, person_ids=sorted(touched), acting_user=None)
    return sorted(touched)


def _attach(source: str, got: pl.DataFrame) -> None:
    model = FACT_MODELS[source]
    for fact_id, person_id, method, weight in got.iter_rows():
        model.objects.filter(pk=fact_id, link_method=LinkMethod.UNRESOLVED).update(
            person_id=person_id, link_method=method, match_weight=weight
        )


def _close(records: list[tuple[int, list]], attached: dict[int, int]) -> None:
    """Each record keeps the rows still unresolved; one with none left is relinked."""
    now = timezone.now()
    for rec_id, rows in records:
        if not any(fid in attached for _row, fid in rows):
            continue
        left = [[row, fid] for row, fid in rows if fid not in attached]
        persons = {attached[fid] for _row, fid in rows if fid in attached}
        update = {"rows": left}
        if not left:
            update |= {
                "status": UnresolvedStatus.RELINKED,
                "person_id": min(persons),
                "decided_at": now,
            }
        UnresolvedRecord.objects.filter(pk=rec_id).update(**update)
