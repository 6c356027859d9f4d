"""Stage 5 of an import, link: protected rows → each row's person in the person index.

`link(protected, batch)` reads the person index, links the batch's rows to it (the pure
algorithm is `linkage.link_batch`), creates the batch's new persons and gives existing
persons what they lacked (linkage.new_persons / person_fills: the same rules the linkage
evaluation replays in memory). It writes the Person table, so it runs inside the batch's
transaction (pipeline.import_file), with imports serialised by `lock_imports`.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import polars as pl
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from minsheng.keys import provider

from .bulk import analyze, insert_frame
from .linkage import (
    INDEX_SCHEMA,
    link_batch,
    new_persons,
    person_fills,
    prepare_records,
    with_person_ids,
)
from .models import Batch, LinkMethod, Person
from .protect import Protected, blind_index, encrypt
from .relink import relink

__all__ = ["Linked", "link", "load_index", "lock_imports", "relink_at_end"]

PERSON_TABLE = Person._meta.db_table


@dataclass
class Linked:
    protected: Protected
    # rid, person_id (existing), new_key, method, match_weight, candidate_id, final_person_id
    links: pl.DataFrame
    records: pl.DataFrame  # linkage.prepare_records of the batch (rid = row)
    persons_created: int
    conflicts: dict[str, int]  # name / sex / birth_date differing from the index, ID conflicts


def lock_imports() -> None:
    """Person ids are allocated by the importer, so imports run one at a time (SQLite's
    write lock already serialises them; PostgreSQL takes an advisory lock)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(7317001)")


def load_index() -> pl.DataFrame:
    """The person index as linkage reads it (linkage.INDEX_SCHEMA)."""
    with connection.cursor() as cursor:
        # the date as ISO text on both databases, parsed once by Polars
        cursor.execute(
            "SELECT id, id_hash, name, sex, CAST(birth_date AS text), phone_hash, address, "
            f"district_code FROM {PERSON_TABLE}"
        )
        rows = cursor.fetchall()
    schema = {**INDEX_SCHEMA, "birth_date": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row").with_columns(
        pl.col("birth_date").str.to_date(strict=False)
    )


def link(protected: Protected, batch: Batch) -> Linked:
    parsed = protected.parsed
    src = parsed.source
    index = load_index()
    records = prepare_records(
        parsed.accepted,
        name_column=src.name_column,
        phone_hash=protected.crypt.get("phone_hash"),
    )
    links = link_batch(records, index, blind_index=provider().blind_index)
    first_id = (Person.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    news = new_persons(records, links, first_id)
    _insert_persons(batch, news)
    _fill_persons(person_fills(records, links))
    analyze(PERSON_TABLE)
    links = with_person_ids(links, news)
    if not news.is_empty():
        # earlier rows held unresolved may be one of the persons this batch brought
        if _DEFERRED:
            _DEFERRED[-1].append(news)
        else:
            relink(news, _grown(index, news))
    return Linked(protected, links, records, news.height, _conflicts(links, records, index))


# The new persons of each batch linked inside `relink_at_end`, to relink once at its end.
_DEFERRED: list[list[pl.DataFrame]] = []


@contextmanager
def relink_at_end():
    """Several files imported one after another: the unresolved rows meet all their new
    persons once, at the end (one pass instead of one per file), in a transaction of its
    own. A failure inside leaves them pending; the next import relinks them."""
    _DEFERRED.append([])
    try:
        yield
    finally:
        news = _DEFERRED.pop()
    if news:
        with transaction.atomic():
            lock_imports()
            relink(pl.concat(news, how="vertical_relaxed"), load_index())


def _grown(index: pl.DataFrame, news: pl.DataFrame) -> pl.DataFrame:
    """The person index with the batch's new persons (as link_batch reads it)."""
    added = news.with_columns(id_hash=blind_index(news["id_number"])).select(list(INDEX_SCHEMA))
    return pl.concat([index, added], how="vertical_relaxed")


def _insert_persons(batch: Batch, news: pl.DataFrame) -> None:
    if news.is_empty():
        return
    # only a valid number identifies a person; a raw unusable one stays on the fact row
    persons = news.select(
        pl.col("person_id").alias("id"),
        id_hash=blind_index(news["id_number"]),
        id_enc=encrypt(news["id_number"]),
        name="name",
        sex="sex",
        birth_date="birth_date",
        phone_hash="phone_hash",
        address="address",
        district_code="district_code",
        first_source=pl.lit(batch.source),
        first_batch_id=pl.lit(batch.pk, dtype=pl.Int64),
        first_row=pl.col("rid"),
        created_at=pl.lit(timezone.now()),
    )
    insert_frame(PERSON_TABLE, persons)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{PERSON_TABLE}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {PERSON_TABLE}), 1))"
            )


def _fill_persons(fills: pl.DataFrame) -> None:
    """Existing persons keep what they have and take what they lacked from this batch, so
    later batches can match on it before the archive is rebuilt."""
    if fills.is_empty():
        return
    attrs = [c for c in fills.columns if c != "person_id"]
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS person_fill")
        cursor.execute(
            "CREATE TEMPORARY TABLE person_fill (id bigint PRIMARY KEY, name varchar(64), "
            "sex varchar(1), birth_date date, phone_hash varchar(64), address text, "
            "district_code varchar(6))"
        )
        insert_frame("person_fill", fills.rename({"person_id": "id"}))
        sets = ", ".join(
            f"{a} = COALESCE({PERSON_TABLE}.{a}, "
            f"(SELECT u.{a} FROM person_fill u WHERE u.id = {PERSON_TABLE}.id))"
            for a in attrs
        )
        cursor.execute(f"UPDATE {PERSON_TABLE} SET {sets} WHERE id IN (SELECT id FROM person_fill)")
        cursor.execute("DROP TABLE person_fill")


def _conflicts(links: pl.DataFrame, records: pl.DataFrame, index: pl.DataFrame) -> dict:
    """Rows linked to an existing person whose name, sex or birth date differ from it."""
    linked = (
        links.filter(pl.col("person_id").is_not_null())
        .select("rid", "person_id")
        .join(records.select("rid", "name", "sex", "birth_date"), on="rid")
        .join(
            index.select("person_id", "name", "sex", "birth_date"),
            on="person_id",
            suffix="_idx",
        )
    )

    def differ(c: str) -> int:
        return linked.filter(
            pl.col(c).is_not_null()
            & pl.col(f"{c}_idx").is_not_null()
            & (pl.col(c) != pl.col(f"{c}_idx"))
        ).height

    out = {c: differ(c) for c in ("name", "sex", "birth_date")}
    out["id_conflict"] = links.filter(pl.col("method") == LinkMethod.ID_CONFLICT).height
    return out
