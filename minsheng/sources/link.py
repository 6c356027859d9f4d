"""Stage 5 of an import, link: protected rows → each row's person in the person index.

`link(protected, batch)` reads the person index, links the batch's rows to it (the pure
algorithm is `linkage.link_batch`), creates the batch's new persons and gives existing
persons what they lacked (linkage.new_persons / person_fills: the same rules the linkage
evaluation replays in memory). It writes the Person table, so it runs inside the batch's
transaction (pipeline.import_file), with imports serialised by `lock_imports`.
"""

from __future__ import annotations

import uuid
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
    Prepared,
    link_batch,
    name_sounds,
    new_persons,
    person_fills,
    prepare_records,
    with_person_ids,
)
from .models import Batch, LinkMethod, Person, PersonIndexStamp
from .protect import Protected, blind_index, encrypt
from .relink import relink

__all__ = ["Linked", "link", "load_index", "lock_imports", "records_of", "relink_at_end"]

PERSON_TABLE = Person._meta.db_table
STAMP_TABLE = PersonIndexStamp._meta.db_table


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
    """The person index as linkage reads it (linkage.INDEX_SCHEMA).

    The index read for the previous batch is kept (with what `link` wrote since) and used
    again while the table's stamp is unchanged: at full scale a whole read costs two seconds
    a batch on SQLite and more on PostgreSQL. See `_IndexCache`."""
    with connection.cursor() as cursor:
        return _INDEX.load(cursor)


def _read_index(cursor, where: str = "", params: list | None = None) -> pl.DataFrame:
    # the date as ISO text on both databases, parsed once by Polars
    cursor.execute(
        "SELECT id, id_hash, name, sex, CAST(birth_date AS text), phone_hash, address, "
        f"district_code FROM {PERSON_TABLE} {where} ORDER BY id",
        params or [],
    )
    rows = cursor.fetchall()
    schema = {**INDEX_SCHEMA, "birth_date": pl.String}
    frame = pl.DataFrame(rows, schema=schema, orient="row").with_columns(
        pl.col("birth_date").str.to_date(strict=False)
    )
    # the names' sounds once per person read, not once per batch (link_batch takes them)
    return frame.with_columns(name_py=name_sounds(frame["name"]))


class _IndexCache:
    """The person index of the last `load_index` on this database, and the stamp token it
    is valid under.

    Any write of the person table marks `PersonIndexStamp` as written: a new random token
    starting with "w" (database triggers, so whoever writes; on SQLite an insert shows in
    the largest id instead, see migration 0006). Before reading the table this sets a
    clean token of its own, and `link`, having written the batch's persons, reads those
    back (`wrote`) and sets another; the index is kept while the token is the clean one set
    last and the largest id the one seen then. A transaction rolled back takes its tokens
    with it: the table's token is then an older one, and the whole table is read again.
    On PostgreSQL the stamp's row is locked until the batch's transaction ends, so no other
    writer can come between the read and the batch's own writes (on SQLite the database's
    write lock does that, and a batch whose read another connection's commit made stale
    cannot write: SQLite refuses it)."""

    def __init__(self) -> None:
        self.key: tuple | None = None  # database name, clean token, largest id
        self.frame: pl.DataFrame | None = None

    @staticmethod
    def _state(cursor) -> tuple | None:
        """The database's name, the stamp's token and the table's largest id (None if the
        stamp's row is gone)."""
        lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
        cursor.execute(
            f"SELECT token, (SELECT MAX(id) FROM {PERSON_TABLE}) FROM {STAMP_TABLE} "
            f"WHERE id = 1{lock}"
        )
        row = cursor.fetchone()
        return (str(connection.settings_dict["NAME"]), *row) if row else None

    @classmethod
    def _clean(cls, cursor) -> tuple | None:
        """A new clean token (hex: never "w") and the state with it."""
        token = uuid.uuid4().hex
        cursor.execute(f"UPDATE {STAMP_TABLE} SET token = %s WHERE id = 1", [token])
        return cls._state(cursor)

    def load(self, cursor) -> pl.DataFrame:
        state = self._state(cursor)
        if self.frame is not None and state is not None and state == self.key:
            return self.frame
        self.key = self._clean(cursor)  # first: a write after it marks the stamp
        self.frame = _read_index(cursor)
        return self.frame

    def wrote(self, first_new_id: int | None, filled: list[int]) -> None:
        """This transaction wrote the persons from `first_new_id` on and filled `filled`
        since `load` (and nothing else of the table): bring the kept index up to date."""
        with connection.cursor() as cursor:
            if self.frame is None or self.key is None:
                return
            parts = []
            changed = pl.Series("person_id", filled, dtype=pl.Int64)
            for i in range(0, len(filled), 5000):
                chunk = filled[i : i + 5000]
                where = f"WHERE id IN ({', '.join(['%s'] * len(chunk))})"
                parts.append(_read_index(cursor, where, chunk))
            if first_new_id is not None:
                parts.append(_read_index(cursor, "WHERE id >= %s", [first_new_id]))
                changed = pl.concat([changed, parts[-1]["person_id"]])
            if parts:
                kept = self.frame.filter(~pl.col("person_id").is_in(changed.implode()))
                self.frame = pl.concat([kept, *parts]).sort("person_id").rechunk()
            self.key = self._clean(cursor)


_INDEX = _IndexCache()


def records_of(protected: Protected) -> pl.DataFrame:
    """The batch's rows as linkage reads them (linkage.prepare_records)."""
    return prepare_records(
        protected.parsed.accepted,
        name_column=protected.parsed.source.name_column,
        phone_hash=protected.crypt.get("phone_hash"),
    )


def link(protected: Protected, batch: Batch, prepared: Prepared | None = None) -> Linked:
    """`prepared`: linkage.prepare_batch of `records_of(protected)`, made beforehand with
    this process's key (pipeline.ingest makes it in its worker process)."""
    index = load_index()
    records = records_of(protected)
    links = link_batch(records, index, blind_index=provider().blind_index, prepared=prepared)
    first_id = (Person.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    news = new_persons(records, links, first_id)
    _insert_persons(batch, news)
    filled = _fill_persons(_gaps(person_fills(records, links), index))
    analyze(PERSON_TABLE)
    _INDEX.wrote(None if news.is_empty() else first_id, filled)
    links = with_person_ids(links, news)
    if not news.is_empty():
        # earlier rows held unresolved may be one of the persons this batch brought
        if _DEFERRED:
            _DEFERRED[-1].append(news)
        else:
            relink(news, load_index())
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


def _gaps(fills: pl.DataFrame, index: pl.DataFrame) -> pl.DataFrame:
    """Of the values a batch offers its existing persons, those the index lacks: a person
    who has them all is not written at all (at full scale most of a large file's persons)."""
    attrs = [c for c in fills.columns if c != "person_id"]
    if fills.is_empty():
        return fills
    known = index.select("person_id", *attrs)
    return (
        fills.join(known, on="person_id", how="left", suffix="_known")
        .select(
            "person_id",
            *(pl.when(pl.col(f"{a}_known").is_null()).then(pl.col(a)).alias(a) for a in attrs),
        )
        .filter(pl.any_horizontal(pl.col(a).is_not_null() for a in attrs))
    )


def _fill_persons(fills: pl.DataFrame) -> list[int]:
    """Existing persons keep what they have and take what they lacked from this batch, so
    later batches can match on it before the archive is rebuilt. The persons filled."""
    if fills.is_empty():
        return []
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
    return fills["person_id"].to_list()


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
