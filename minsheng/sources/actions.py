"""Importing department files and deciding linkage reviews: every write of the import
pipeline goes through here.

One batch = one file = one transaction. The Batch row is committed first (status running) so
that an interrupted import is visible and is simply run again: the facts, quarantine rows
and new persons of the batch are written in one transaction that either commits whole or
leaves nothing. The same file twice is recognised by its SHA-256 and changes nothing.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

import polars as pl
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from minsheng.audit.actions import record_event
from minsheng.audit.models import EventType, Result
from minsheng.keys import provider
from minsheng.lib import failpoints
from minsheng.residents import archive
from minsheng.residents.models import Person, Resident
from minsheng.screening.tags import recompute_tags

from . import registry
from .bulk import analyze, indexes_deferred, insert_frame, json_column
from .linkage import link_batch
from .models import (
    FACT_MODELS,
    Batch,
    BatchStatus,
    LinkMethod,
    LinkReview,
    QuarantinedRow,
    ReviewKind,
    ReviewStatus,
    encrypted,
    fact_columns,
)
from .parse import ParsedFile, read_source_file

Progress = Callable[[str, float], None]

# Sources that seed the person index go first; the rest link against it.
SEED_ORDER = ("gongan_hukou", "grid_census")
DEATH_SOURCES = frozenset({"gongan_death", "wj_death"})


def _noop(stage: str, fraction: float) -> None:
    pass


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# -- encryption of whole columns -------------------------------------------------------

# Same plaintext → same token within a process: each distinct value is encrypted and
# hashed once, across all batches of a run (an ID appears in many sources). The caches
# belong to one provider: a new key (file) starts them afresh.
_CACHES: dict[str, dict[str, str]] = {"hash": {}, "token": {}}
_CACHE_OWNER: list[object] = [None]
_CACHE_LIMIT = 3_000_000


def _cache(kind: str) -> dict[str, str]:
    if _CACHE_OWNER[0] is not provider():
        _CACHE_OWNER[0] = provider()
        for cache in _CACHES.values():
            cache.clear()
    return _CACHES[kind]


def _mapped(values: pl.Series, cache: dict[str, str], fn: Callable[[str], str]) -> pl.Series:
    distinct = values.drop_nulls().unique()
    missing = [v for v in distinct.to_list() if v not in cache]
    if len(cache) + len(missing) > _CACHE_LIMIT:
        cache.clear()
        missing = distinct.to_list()
    for v in missing:
        cache[v] = fn(v)
    lookup = pl.DataFrame(
        {"v": distinct, "out": [cache[v] for v in distinct.to_list()]},
        schema={"v": pl.String, "out": pl.String},
    )
    return (
        pl.DataFrame({"v": values.cast(pl.String)})
        .join(lookup, on="v", how="left", maintain_order="left")
        .get_column("out")
    )


def blind_index(values: pl.Series) -> pl.Series:
    return _mapped(values, _cache("hash"), provider().blind_index)


def encrypt(values: pl.Series) -> pl.Series:
    return _mapped(values, _cache("token"), provider().encrypt)


# -- claiming a batch ------------------------------------------------------------------


def _claim(src: registry.Source, path: Path, sha: str, user) -> Batch:
    """The batch of this file: the existing one (loaded → nothing to do; running/failed →
    run again) or a new one, committed before any work starts."""
    existing = Batch.objects.filter(source=src.name, sha256=sha).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Batch.objects.create(
                source=src.name,
                file_name=path.name,
                sha256=sha,
                size_bytes=path.stat().st_size,
                status=BatchStatus.RUNNING,
                created_by=user if getattr(user, "pk", None) else None,
                started_at=timezone.now(),
            )
    except IntegrityError:  # another import of the same file won the race
        return Batch.objects.get(source=src.name, sha256=sha)


def _lock_imports() -> None:
    # Person ids are allocated by the importer; imports run one at a time. SQLite's write
    # lock already serialises them.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(7317001)")


# -- the person index ------------------------------------------------------------------

INDEX_SCHEMA = {
    "person_id": pl.Int64,
    "id_hash": pl.String,
    "name": pl.String,
    "sex": pl.String,
    "birth_date": pl.Date,
    "phone_hash": pl.String,
    "address": pl.String,
    "district_code": pl.String,
}


def load_index() -> pl.DataFrame:
    """The person index as linkage reads it (see linkage.link_batch)."""
    with connection.cursor() as cursor:
        # the date as ISO text on both databases, parsed once by Polars
        cursor.execute(
            "SELECT id, id_hash, name, sex, CAST(birth_date AS text), phone_hash, address, "
            "district_code FROM residents_person"
        )
        rows = cursor.fetchall()
    schema = {**INDEX_SCHEMA, "birth_date": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row").with_columns(
        pl.col("birth_date").str.to_date(strict=False)
    )


# -- preparing a parsed file -----------------------------------------------------------


def _birth_from_id(ids: pl.Expr) -> pl.Expr:
    return ids.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)


def _records(parsed: ParsedFile, crypt: dict[str, pl.Series]) -> pl.DataFrame:
    """The linkage view of the accepted rows (see linkage.link_batch)."""
    df = parsed.accepted
    src = parsed.source

    def col(name: str, dtype=pl.String) -> pl.Expr:
        return pl.col(name) if name in df.columns else pl.lit(None, dtype=dtype).alias(name)

    address = [c for c in ("address", "hukou_address") if c in df.columns]
    birth = col("birth_date", pl.Date)
    out = df.select(
        pl.col("row").cast(pl.Int64).alias("rid"),
        col("id_number"),
        col("id_raw"),
        col("id_error"),
        col(src.name_column or "name"),
        col("sex"),
        pl.coalesce(birth, _birth_from_id(col("id_number"))).alias("birth_date"),
        pl.coalesce([pl.col(a) for a in address]).alias("address")
        if address
        else pl.lit(None, dtype=pl.String).alias("address"),
        col("grid_code").str.slice(0, 6).alias("district_code"),
    ).rename({src.name_column or "name": "name"})
    phone = crypt.get("phone_hash")
    return out.with_columns(
        phone_hash=phone if phone is not None else pl.lit(None, dtype=pl.String)
    )


def _crypt_columns(parsed: ParsedFile) -> dict[str, pl.Series]:
    """Blind index and ciphertext of every encrypted column. For an ID the canonical number
    is stored when there is one, else the raw value as given (kept for review)."""
    df = parsed.accepted
    out: dict[str, pl.Series] = {}
    for col in parsed.source.columns:
        if not encrypted(col):
            continue
        if col.name not in df.columns:
            out[f"{col.name}_hash"] = pl.Series([None] * df.height, dtype=pl.String)
            out[f"{col.name}_enc"] = pl.Series([None] * df.height, dtype=pl.String)
            continue
        value = df.get_column(col.name).cast(pl.String)
        if col.kind == "id" and col.name == parsed.source.id_column:
            plain = df.select(pl.coalesce("id_number", "id_raw")).to_series()
        else:
            plain = value
        out[f"{col.name}_hash"] = blind_index(value)
        out[f"{col.name}_enc"] = encrypt(plain)
    return out


def _fact_frame(
    batch: Batch,
    parsed: ParsedFile,
    crypt: dict[str, pl.Series],
    links: pl.DataFrame,
    loaded_at,
) -> pl.DataFrame:
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
        pl.lit(loaded_at).alias("loaded_at"),
        duplicate_of=df.get_column("duplicate_of")
        if "duplicate_of" in df.columns
        else pl.lit(None, dtype=pl.Int64),
        extra=extras,
    )
    linked = links.select(
        pl.col("rid").alias("row"),
        pl.col("final_person_id").alias("person_id"),
        pl.col("method").alias("link_method"),
        "match_weight",
    )
    return pl.concat([base, pl.DataFrame(typed)], how="horizontal").join(
        linked, on="row", how="left", maintain_order="left"
    )


# -- the batch -------------------------------------------------------------------------


def _next_person_id() -> int:
    return (Person.objects.aggregate(m=Max("id"))["m"] or 0) + 1


def _reset_sequence() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('residents_person', 'id'), "
                "COALESCE((SELECT MAX(id) FROM residents_person), 1))"
            )


def _new_persons(
    batch: Batch,
    records: pl.DataFrame,
    links: pl.DataFrame,
    crypt: dict[str, pl.Series],
    now,
) -> pl.DataFrame:
    """Create one Person per new_key; return links with `final_person_id` set."""
    first_id = _next_person_id()
    id_col = f"{batch_source(batch).id_column}"
    with_crypt = records.with_columns(
        id_hash=crypt.get(f"{id_col}_hash", pl.Series([None] * records.height, dtype=pl.String)),
        id_enc=crypt.get(f"{id_col}_enc", pl.Series([None] * records.height, dtype=pl.String)),
    ).with_columns(
        # only a valid number identifies a person; a raw unusable one stays on the fact row
        id_hash=pl.when(pl.col("id_number").is_not_null()).then("id_hash"),
        id_enc=pl.when(pl.col("id_number").is_not_null()).then("id_enc"),
    )
    new = (
        links.filter(pl.col("new_key").is_not_null())
        .select("rid", "new_key")
        .join(with_crypt, on="rid")
        .sort("rid")
        .group_by("new_key", maintain_order=True)
        .first()
    )
    new = new.with_columns(id=pl.int_range(first_id, first_id + new.height, dtype=pl.Int64))
    persons = new.select(
        "id",
        "id_hash",
        "id_enc",
        "name",
        "sex",
        "birth_date",
        "phone_hash",
        "address",
        "district_code",
        first_source=pl.lit(batch.source),
        first_batch_id=pl.lit(batch.pk, dtype=pl.Int64),
        first_row=pl.col("rid"),
        created_at=pl.lit(now),
    )
    insert_frame("residents_person", persons)
    _reset_sequence()
    return links.join(
        new.select("new_key", pl.col("id").alias("new_person_id")), on="new_key", how="left"
    ).with_columns(final_person_id=pl.coalesce("person_id", "new_person_id"))


def batch_source(batch: Batch) -> registry.Source:
    return registry.source(batch.source)


def _fill_person_attributes(
    records: pl.DataFrame, links: pl.DataFrame, index: pl.DataFrame
) -> None:
    """Give linked persons without a phone/address/district the first one this batch offers,
    so later batches can match on them before the archive is rebuilt."""
    attrs = ("phone_hash", "address", "district_code")
    offered = (
        links.filter(pl.col("person_id").is_not_null())
        .select("rid", "person_id")
        .join(records.select("rid", *attrs), on="rid")
        .sort("rid")
        .group_by("person_id", maintain_order=True)
        .agg(pl.col(a).drop_nulls().first() for a in attrs)
        .join(
            index.select("person_id", *[pl.col(a).alias(f"{a}_now") for a in attrs]), on="person_id"
        )
        .with_columns(pl.when(pl.col(f"{a}_now").is_null()).then(a).alias(a) for a in attrs)
        .filter(pl.any_horizontal(pl.col(a).is_not_null() for a in attrs))
        .select(pl.col("person_id").alias("id"), *attrs)
    )
    if offered.is_empty():
        return
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS person_fill")
        cursor.execute(
            "CREATE TEMPORARY TABLE person_fill (id bigint PRIMARY KEY, phone_hash varchar(64), "
            "address text, district_code varchar(6))"
        )
        insert_frame("person_fill", offered)
        sets = ", ".join(
            f"{a} = COALESCE(residents_person.{a}, "
            f"(SELECT u.{a} FROM person_fill u WHERE u.id = residents_person.id))"
            for a in attrs
        )
        cursor.execute(
            f"UPDATE residents_person SET {sets} WHERE id IN (SELECT id FROM person_fill)"
        )
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


def _quarantine_frame(batch: Batch, parsed: ParsedFile) -> pl.DataFrame:
    q = parsed.quarantined
    raw = q.get_column("raw_value").cast(pl.String)
    return pl.DataFrame(
        {
            "batch_id": pl.Series([batch.pk] * q.height, dtype=pl.Int64),
            "row": q.get_column("row"),
            "column": q.get_column("column").fill_null(""),
            "raw_value_enc": encrypt(raw).fill_null(""),
            "reason_code": q.get_column("reason_code"),
            # parse's sentence ends with the raw value, which is stored encrypted instead
            "reason": q.select(
                pl.col("reason").str.strip_suffix(
                    pl.format(" ({})", pl.col("raw_value").fill_null("empty"))
                )
            ).to_series(),
        }
    )


def _reviews(batch: Batch, links: pl.DataFrame) -> int:
    pending = links.filter(pl.col("method").is_in([LinkMethod.REVIEW, LinkMethod.ID_CONFLICT]))
    if pending.is_empty():
        return 0
    model = FACT_MODELS[batch.source]
    fact_ids = dict(
        model.objects.filter(batch=batch, row__in=pending["rid"].to_list()).values_list("row", "id")
    )
    areas = {
        r["person_id"]: r
        for r in Resident.objects.filter(
            person_id__in=pending["candidate_id"].drop_nulls().to_list()
        ).values("person_id", "district_code", "town_code", "community_code", "grid_code")
    }
    items = []
    for rid, method, weight, cand in pending.select(
        "rid", "method", "match_weight", "candidate_id"
    ).iter_rows():
        area = areas.get(cand, {})
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
                district_code=area.get("district_code", ""),
                town_code=area.get("town_code", ""),
                community_code=area.get("community_code", ""),
                grid_code=area.get("grid_code", ""),
            )
        )
    LinkReview.objects.bulk_create(items, batch_size=2000)
    return len(items)


def _load(batch: Batch, parsed: ParsedFile, report: Progress) -> dict:
    timings: dict[str, float] = {}
    t = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[stage] = round(now - t, 3)
        t = now

    src = parsed.source
    now = timezone.now()
    crypt = _crypt_columns(parsed)
    lap("encrypt")
    report(_("Linking to the person index"), 0.35)
    index = load_index()
    records = _records(parsed, crypt)
    links = link_batch(records, index, blind_index=provider().blind_index)
    lap("link")
    report(_("Writing the facts"), 0.6)
    links = _new_persons(batch, records, links, crypt, now)
    persons_created = links.filter(pl.col("new_key").is_not_null())["new_key"].n_unique()
    facts = _fact_frame(batch, parsed, crypt, links, now)
    table = FACT_MODELS[src.name]._meta.db_table
    if facts.height > FACT_MODELS[src.name].objects.count():
        with indexes_deferred(table):
            insert_frame(table, facts)
    else:
        insert_frame(table, facts)
    insert_frame(QuarantinedRow._meta.db_table, _quarantine_frame(batch, parsed))
    analyze(table)
    analyze("residents_person")
    _fill_person_attributes(records, links, index)
    failpoints.reach("ingest.after_facts")
    lap("load")
    reviews = _reviews(batch, links)
    methods = links.get_column("method").value_counts()
    return {
        "timings": timings,
        "persons_created": persons_created,
        "reviews": reviews,
        "link_methods": dict(
            zip(methods["method"].to_list(), methods["count"].to_list(), strict=True)
        ),
        "conflicts": _conflicts(links, records, index),
    }


def do_ingest_file(
    path: str | Path,
    *,
    source: str | None = None,
    acting_user=None,
    progress: Progress | None = None,
    refresh_archive: bool = True,
    as_of: date | None = None,
) -> Batch:
    """Import one department file as one batch (see the module docstring)."""
    report = progress or _noop
    path = Path(path)
    src = registry.source(source) if source else registry.detect_source(path)
    report(_("Checking the file"), 0.02)
    batch = _claim(src, path, file_sha256(path), acting_user)
    if batch.status == BatchStatus.LOADED:
        report(_("Already imported"), 1.0)
        return batch
    started = time.perf_counter()
    try:
        report(_("Reading and validating"), 0.05)
        parsed = read_source_file(path, src)
        parse_s = time.perf_counter() - started
        with transaction.atomic():
            _lock_imports()
            loaded = _load(batch, parsed, report)
            batch.encoding = parsed.encoding
            batch.rows_read = parsed.read
            batch.rows_accepted = parsed.accepted.height
            batch.rows_quarantined = parsed.quarantined.height
            batch.reasons = parsed.reasons
            batch.warnings = parsed.warnings
            batch.link_methods = loaded["link_methods"]
            batch.conflicts = loaded["conflicts"]
            batch.persons_created = loaded["persons_created"]
            batch.timings = {"parse": round(parse_s, 3), **loaded["timings"]}
            batch.status = BatchStatus.LOADED
            batch.error = ""
            batch.archived = False
            batch.finished_at = timezone.now()
            batch.save()
            record_event(
                EventType.IMPORT,
                actor=acting_user,
                object_type="batch",
                object_id=batch.pk,
                details={
                    "source": src.name,
                    "file": path.name,
                    "sha256": batch.sha256,
                    "read": batch.rows_read,
                    "accepted": batch.rows_accepted,
                    "quarantined": batch.rows_quarantined,
                },
            )
        if refresh_archive:
            report(_("Updating the archive"), 0.8)
            do_refresh_archive(as_of=as_of)
    except Exception as exc:
        Batch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        record_event(
            EventType.IMPORT,
            actor=acting_user,
            object_type="batch",
            object_id=batch.pk,
            result=Result.FAILURE,
            details={"source": src.name, "file": path.name, "error": str(exc)[:500]},
        )
        raise
    batch.refresh_from_db()
    report(_("Done"), 1.0)
    return batch


def ordered(paths: Iterable[Path]) -> list[tuple[Path, registry.Source]]:
    """Files with their sources, seeding sources first, then by source and file name."""
    found = [(p, registry.detect_source(p)) for p in paths]
    rank = {name: i for i, name in enumerate(SEED_ORDER)}
    return sorted(found, key=lambda ps: (rank.get(ps[1].name, len(rank)), ps[1].name, ps[0].name))


def do_ingest_folder(
    folder: str | Path,
    *,
    acting_user=None,
    progress: Progress | None = None,
    as_of: date | None = None,
) -> list[Batch]:
    """Import every export in a folder, then rebuild the archive once for all of them."""
    files = ordered(p for p in sorted(Path(folder).iterdir()) if p.suffix in (".csv", ".xlsx"))
    batches = []
    for n, (path, src) in enumerate(files):

        def step(stage: str, fraction: float, n=n, name=path.name) -> None:
            if progress:
                progress(f"{name}: {stage}", (n + fraction) / (len(files) + 1))

        batches.append(
            do_ingest_file(
                path,
                source=src.name,
                acting_user=acting_user,
                progress=step,
                refresh_archive=False,
            )
        )
    if progress:
        progress(_("Updating the archive"), len(files) / (len(files) + 1))
    do_refresh_archive(as_of=as_of)
    return [Batch.objects.get(pk=b.pk) for b in batches]


def do_refresh_archive(*, as_of: date | None = None) -> int:
    """Rebuild the archive rows of every person touched by a batch not yet archived."""
    pending = list(
        Batch.objects.filter(status=BatchStatus.LOADED, archived=False).values_list("id", "source")
    )
    if not pending:
        return 0
    with transaction.atomic():
        _lock_imports()
        n, touched = archive.refresh_batches(pending, as_of=as_of)
        recompute_tags(touched)
        for batch_id, source in pending:
            stale = archive.stale_rows(source, batch_id) if source not in DEATH_SOURCES else 0
            Batch.objects.filter(pk=batch_id).update(
                archived=True, stale_rows=stale, residents_refreshed=n
            )
    return n


# -- clerical review -------------------------------------------------------------------


def do_decide_review(review: LinkReview, *, confirm: bool, reason: str, acting_user) -> LinkReview:
    """A clerk's decision on one review item. Confirm links the row to the candidate;
    reject of a probable match makes the row its own new person; reject of an ID conflict
    leaves the row unlinked and flagged."""
    if not reason.strip():
        raise ValueError(_("A reason is required."))
    model = FACT_MODELS[review.source]
    with transaction.atomic():
        review = LinkReview.objects.select_for_update().get(pk=review.pk)
        if review.status != ReviewStatus.PENDING:
            raise ValueError(_("This item has already been decided."))
        fact = model.objects.select_for_update().get(pk=review.fact_id)
        touched = []
        if confirm:
            fact.person_id = review.candidate_id
            fact.link_method = LinkMethod.CLERICAL
            touched.append(review.candidate_id)
        elif review.kind == ReviewKind.PROBABLE:
            person = _person_from_fact(fact, review)
            fact.person_id = person.pk
            fact.link_method = LinkMethod.CLERICAL
            touched.append(person.pk)
        fact.save(update_fields=["person", "link_method"])
        review.status = ReviewStatus.CONFIRMED if confirm else ReviewStatus.REJECTED
        review.decided_by = acting_user
        review.decided_at = timezone.now()
        review.reason = reason.strip()[:500]
        review.save(update_fields=["status", "decided_by", "decided_at", "reason", "updated_at"])
        if touched:
            archive.refresh(touched)
            recompute_tags(touched)
        record_event(
            EventType.CHANGE,
            actor=acting_user,
            object_type="link_review",
            object_id=review.pk,
            reason=review.reason,
            details={
                "decision": review.status,
                "source": review.source,
                "row": review.row,
                "candidate": review.candidate_id,
            },
        )
    return review


def _person_from_fact(fact, review: LinkReview) -> Person:
    src = registry.source(review.source)
    name = getattr(fact, src.name_column or "name", None)
    return Person.objects.create(
        id_hash=None,
        name=name,
        sex=getattr(fact, "sex", None),
        birth_date=getattr(fact, "birth_date", None),
        first_source=review.source,
        first_batch_id=review.batch_id,
        first_row=review.row,
        created_at=timezone.now(),
    )
