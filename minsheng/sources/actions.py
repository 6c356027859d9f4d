"""Every write of the import: claiming a file's batch, loading it, recording a failure, a
department's column and code mappings and their re-application to a batch, and a clerk's
decision on a linkage review.

One batch = one file = one transaction. The Batch row is committed first (status running) so
that an interrupted import is visible and is simply run again: the new persons, facts,
quarantine rows and review items of the batch are written in one transaction that either
commits whole or leaves nothing. The same file twice is recognised by its SHA-256 and changes
nothing. The stages that feed these actions, and the order they run in, are in
`minsheng.pipeline.ingest`; what must happen after a change here (the archive refresh, the
portrait tags) is announced by the signals of `signals.py`, never called from here.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minsheng.audit.actions import record_event
from minsheng.audit.models import EventType, Result
from minsheng.catalogue import registry
from minsheng.catalogue.codes import code_map

from . import link, load, protect
from .access import may_decide_review, may_edit_mappings, may_resolve_unresolved
from .load import Loaded
from .mappings import overrides_for
from .models import (
    FACT_MODELS,
    Batch,
    BatchStatus,
    CodeMapping,
    ColumnMapping,
    LinkMethod,
    LinkReview,
    Person,
    QuarantinedRow,
    ReviewKind,
    ReviewStatus,
    RowWarning,
    UnresolvedRecord,
    UnresolvedStatus,
)
from .parse import read_source_file
from .report import mask_cell
from .signals import persons_relinked
from .validate import ParsedFile


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# -- claiming a batch ------------------------------------------------------------------


def do_claim_batch(src: registry.Source, path: Path, *, acting_user) -> Batch:
    """The batch of this file: the existing one (loaded → nothing to do; running/failed →
    run again) or a new one, committed before any work starts. Recorded with the import's
    own event when it loads or fails."""
    return _claim(src, path, file_sha256(path), acting_user)


def _claim(src: registry.Source, path: Path, sha: str, user) -> Batch:
    """The batch of this file: the existing one (loaded → nothing to do; running/failed →
    run again) or a new one, committed before any work starts."""
    existing = Batch.objects.filter(source=src.name, sha256=sha).first()
    if existing is not None:
        if not _kept(existing):
            # The file kept for the batch is gone; this copy (same SHA-256) replaces it, so
            # the department's mappings can be re-applied to the batch again.
            Batch.objects.filter(pk=existing.pk).update(stored_path=_server_path(path))
            existing.stored_path = _server_path(path)
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
                stored_path=_server_path(path),
            )
    except IntegrityError:  # another import of the same file won the race
        return Batch.objects.get(source=src.name, sha256=sha)


def _server_path(path: Path) -> str:
    return str(Path(path).resolve())


def _kept(batch: Batch) -> bool:
    return bool(batch.stored_path) and Path(batch.stored_path).is_file()


def columns_of(parsed: ParsedFile) -> list[dict]:
    """The file's columns as the batch keeps them (`Batch.columns`): the sample values of an
    unmapped column may be anyone's data, so they are kept masked (`report.mask_cell`)."""
    return [
        {
            "letter": c.letter,
            "header": c.header,
            "maps_to": c.maps_to,
            "unit": c.unit,
            "hidden": bool(c.hidden),
            "used": bool(c.used),
            "ignored": bool(getattr(c, "ignored", False)),
            "samples": [mask_cell(str(v)) for v in c.samples],
        }
        for c in parsed.columns
    ]


def _record_load(batch: Batch, loaded: Loaded, timings: dict[str, float]) -> None:
    """The figures of a loaded batch and how its file was read, saved on the batch."""
    linked = loaded.linked
    parsed = linked.protected.parsed
    batch.encoding = parsed.encoding
    batch.rows_read = parsed.read
    batch.rows_accepted = parsed.accepted.height
    batch.rows_quarantined = parsed.quarantined.height
    batch.reasons = parsed.reasons
    batch.warnings = parsed.warnings
    batch.link_methods = loaded.link_methods
    batch.conflicts = linked.conflicts
    batch.sheet_name = parsed.sheet_name or ""
    batch.header_row = parsed.header_row
    batch.other_sheets = list(parsed.other_sheets)
    batch.columns = columns_of(parsed)
    batch.file_warnings = [dict(w) for w in parsed.file_warnings]
    batch.stored_path = _server_path(parsed.path)
    batch.timings = timings  # stage → seconds
    batch.status = BatchStatus.LOADED
    batch.error = ""
    batch.archived = False
    batch.finished_at = timezone.now()


def do_load_batch(batch: Batch, loaded: Loaded, *, timings: dict[str, float], acting_user) -> Batch:
    """Record a loaded batch: its counts, link methods and conflicts, how its file was read,
    and the import event. Runs in the transaction that wrote the batch's persons and facts
    (see the pipeline)."""
    with transaction.atomic():
        _record_load(batch, loaded, timings)
        batch.persons_created = loaded.linked.persons_created
        batch.save()
        record_event(
            EventType.IMPORT,
            actor=acting_user,
            object_type="batch",
            object_id=batch.pk,
            details={
                "source": batch.source,
                "file": batch.file_name,
                "sha256": batch.sha256,
                "read": batch.rows_read,
                "accepted": batch.rows_accepted,
                "quarantined": batch.rows_quarantined,
            },
        )
    return batch


def do_fail_batch(batch: Batch, error: str, *, acting_user, read: dict | None = None) -> None:
    """Mark a batch failed (its transaction left nothing behind) so it can be run again.
    `read`: how the file was read when the mapping stage refused it
    (`mappings.read_of_refused`), kept so that its headers can be mapped from the batch's
    page."""
    with transaction.atomic():
        Batch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.FAILED,
            error=error[:2000],
            finished_at=timezone.now(),
            **(read or {}),
        )
        record_event(
            EventType.IMPORT,
            actor=acting_user,
            object_type="batch",
            object_id=batch.pk,
            result=Result.FAILURE,
            details={"source": batch.source, "file": batch.file_name, "error": error[:500]},
        )


def mark_archived(batch_ids: list[int], *, stale: dict[int, int], refreshed: int) -> None:
    """The archive rows of these batches' persons have been rebuilt (called inside the
    refresh's transaction, whose audit event covers it)."""
    for batch_id, rows in stale.items():
        Batch.objects.filter(pk=batch_id).update(
            archived=True, stale_rows=rows, residents_refreshed=refreshed
        )
    rest = [b for b in batch_ids if b not in stale]
    for i in range(0, len(rest), 500):
        Batch.objects.filter(pk__in=rest[i : i + 500]).update(
            archived=True, stale_rows=0, residents_refreshed=refreshed
        )


# -- a department's mappings -----------------------------------------------------------


def _source(source: registry.Source | str) -> registry.Source:
    if isinstance(source, registry.Source):
        return source
    try:
        return registry.source(source)
    except registry.UnknownSource:
        raise ValueError(_("Unknown source: %(source)s") % {"source": source}) from None


def _header(header: str) -> str:
    name = registry.normalise_header(header or "")[0]
    if not name:
        raise ValueError(_("A header is required."))
    if len(name) > ColumnMapping._meta.get_field("header").max_length:
        raise ValueError(_("The header is too long."))
    return name


def do_save_column_mapping(
    source: registry.Source | str, header: str, column: str | None, *, acting_user
) -> ColumnMapping:
    """Map a header of a department's files (compared normalised) to a declared column of
    its source, or to nothing (`column` empty or None: the column is ignored). Replaces the
    header's earlier mapping; applies to the source's later files and re-applications."""
    if not may_edit_mappings(acting_user):
        raise PermissionDenied
    src = _source(source)
    name = _header(header)
    column = column or ""
    if column and column not in {c.name for c in src.columns}:
        raise ValueError(
            _("%(column)s is not a column of %(source)s.") % {"column": column, "source": src.label}
        )
    with transaction.atomic():
        previous = (
            ColumnMapping.objects.select_for_update()
            .filter(source=src.name, header=name)
            .values_list("column", flat=True)
            .first()
        )
        mapping, created = ColumnMapping.objects.update_or_create(
            source=src.name,
            header=name,
            defaults={"column": column, "created_by": acting_user, "created_at": timezone.now()},
        )
        record_event(
            EventType.CHANGE,
            actor=acting_user,
            object_type="column_mapping",
            object_id=mapping.pk,
            details={
                "source": src.name,
                "header": name,
                "column": column or None,
                "previous": None if created else (previous or None),
                "created": created,
            },
        )
    return mapping


def do_delete_column_mapping(mapping: ColumnMapping, *, acting_user) -> None:
    """Forget a saved column mapping: later files read the header as the registry does."""
    if not may_edit_mappings(acting_user):
        raise PermissionDenied
    with transaction.atomic():
        pk = mapping.pk
        ColumnMapping.objects.filter(pk=pk).delete()
        record_event(
            EventType.CHANGE,
            actor=acting_user,
            object_type="column_mapping",
            object_id=pk,
            details={
                "deleted": True,
                "source": mapping.source,
                "header": mapping.header,
                "column": mapping.column or None,
            },
        )


def do_save_code_mapping(
    source: registry.Source | str, column: str, label: str, code: str, *, acting_user
) -> CodeMapping:
    """Map a label a department writes in a code column to one of the column's codes
    (`catalogue.codes.code_map`); replaces the label's earlier mapping."""
    if not may_edit_mappings(acting_user):
        raise PermissionDenied
    src = _source(source)
    try:
        col = src.column(column)
    except KeyError:
        raise ValueError(
            _("%(column)s is not a column of %(source)s.") % {"column": column, "source": src.label}
        ) from None
    codes = code_map(col)
    if not codes:
        raise ValueError(_("%(column)s has no code list.") % {"column": col.headers[0]})
    if code not in set(codes.values()):
        raise ValueError(
            _("%(code)s is not a code of %(column)s.") % {"code": code, "column": col.headers[0]}
        )
    label = (label or "").strip()
    if not label:
        raise ValueError(_("A label is required."))
    if len(label) > CodeMapping._meta.get_field("label").max_length:
        raise ValueError(_("The label is too long."))
    with transaction.atomic():
        previous = (
            CodeMapping.objects.select_for_update()
            .filter(source=src.name, column=col.name, label=label)
            .values_list("code", flat=True)
            .first()
        )
        mapping, created = CodeMapping.objects.update_or_create(
            source=src.name,
            column=col.name,
            label=label,
            defaults={"code": code, "created_by": acting_user, "created_at": timezone.now()},
        )
        record_event(
            EventType.CHANGE,
            actor=acting_user,
            object_type="code_mapping",
            object_id=mapping.pk,
            details={
                "source": src.name,
                "column": col.name,
                "label": label,
                "code": code,
                "previous": previous,
                "created": created,
            },
        )
    return mapping


def do_delete_code_mapping(mapping: CodeMapping, *, acting_user) -> None:
    """Forget a saved code mapping."""
    if not may_edit_mappings(acting_user):
        raise PermissionDenied
    with transaction.atomic():
        pk = mapping.pk
        CodeMapping.objects.filter(pk=pk).delete()
        record_event(
            EventType.CHANGE,
            actor=acting_user,
            object_type="code_mapping",
            object_id=pk,
            details={
                "deleted": True,
                "source": mapping.source,
                "column": mapping.column,
                "label": mapping.label,
                "code": mapping.code,
            },
        )


REAPPLICABLE = (BatchStatus.LOADED, BatchStatus.FAILED)


def reapply_problem(batch: Batch) -> str | None:
    """Why the mappings cannot be re-applied to this batch now (None: they can). A failed
    batch can: its file is then imported into it (a refusal for a column the department
    writes under another header is cured by mapping that header)."""
    if batch.status not in REAPPLICABLE:
        return _("Only a loaded or failed batch can be read again.")
    if not _kept(batch):
        return _(
            "The file of this batch is no longer kept on the server. Upload it again, then "
            "re-apply the mappings."
        )
    return None


def do_reapply_mappings(
    batch: Batch, *, acting_user, progress: Callable[[str, float], None] | None = None
) -> Batch:
    """Read the batch's kept file again with the source's current mappings and replace what
    the batch loaded: its facts, quarantined rows, warnings and review items are deleted
    and written again in one transaction (read → map → validate → protect → link → load,
    as an import; a failed batch has nothing to replace and is loaded). The archive rows of
    the persons the batch no longer touches are rebuilt inside it (`persons_relinked`); the
    batch is left not archived, so the pipeline's refresh rebuilds those it touches now.
    Decided review items of the batch are replaced by new ones: the rows are linked again.
    A file the mapping stage still refuses raises its `SourceFileError` (a ValueError) and
    changes nothing."""
    if not may_edit_mappings(acting_user):
        raise PermissionDenied
    problem = reapply_problem(batch)
    if problem:
        raise ValueError(problem)
    report = progress or (lambda stage, fraction: None)
    path = Path(batch.stored_path)
    if file_sha256(path) != batch.sha256:
        raise ValueError(_("The file kept for this batch has changed since it was imported."))
    src = registry.source(batch.source)
    timings: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        timings[stage] = round(now - clock[0], 3)
        clock[0] = now

    report(_("Reading and validating"), 0.05)
    overrides = overrides_for(src.name)
    parsed = read_source_file(path, src, overrides=overrides)
    lap("parse")
    protected = protect.protect(parsed)
    lap("encrypt")
    with transaction.atomic():
        link.lock_imports()
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        if batch.status not in REAPPLICABLE:
            raise ValueError(_("Only a loaded or failed batch can be read again."))
        model = FACT_MODELS[src.name]
        facts = model.objects.filter(batch=batch)
        before = set(facts.exclude(person=None).values_list("person_id", flat=True).distinct())
        reviews = LinkReview.objects.filter(batch=batch)
        replaced = {
            "facts": batch.rows_accepted,
            "quarantined": batch.rows_quarantined,
            "warnings": RowWarning.objects.filter(batch=batch).count(),
            "reviews": reviews.count(),
            "decided_reviews": reviews.exclude(status=ReviewStatus.PENDING).count(),
        }
        reviews.delete()
        facts.delete()
        QuarantinedRow.objects.filter(batch=batch).delete()
        RowWarning.objects.filter(batch=batch).delete()
        report(_("Linking to the person index"), 0.35)
        linked = link.link(protected, batch)
        lap("link")
        report(_("Writing the facts"), 0.6)
        loaded = load.load(batch, linked)
        lap("load")
        created_before = batch.persons_created
        _record_load(batch, loaded, timings)
        batch.persons_created = created_before + linked.persons_created
        batch.save()
        after = set(
            linked.links.get_column("final_person_id").drop_nulls().cast(pl.Int64).to_list()
        )
        dropped = sorted(before - after)
        if dropped:
            persons_relinked.send(sender=Batch, person_ids=dropped, acting_user=acting_user)
        record_event(
            EventType.IMPORT,
            actor=acting_user,
            object_type="batch",
            object_id=batch.pk,
            details={
                "reapply_mappings": True,
                "source": batch.source,
                "file": batch.file_name,
                "sha256": batch.sha256,
                "read": batch.rows_read,
                "accepted": batch.rows_accepted,
                "quarantined": batch.rows_quarantined,
                "column_mappings": len(overrides.columns),
                "code_mappings": sum(len(v) for v in overrides.codes.values()),
                "replaced": replaced,
                "persons_no_longer_touched": len(dropped),
            },
        )
    return batch


# -- clerical review -------------------------------------------------------------------


def do_decide_review(review: LinkReview, *, confirm: bool, reason: str, acting_user) -> LinkReview:
    """A clerk's decision on one review item. Confirm links the row to the candidate;
    reject of a probable match makes the row its own new person; reject of an ID conflict
    leaves the row unlinked and flagged."""
    if not may_decide_review(acting_user, review):
        raise PermissionDenied
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
            persons_relinked.send(sender=LinkReview, person_ids=touched, acting_user=acting_user)
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


def _person_from_fact(fact, review: LinkReview | UnresolvedRecord) -> Person:
    # person ids are the importer's to allocate while it runs (and the importer keeps the
    # index it read until its batch commits): wait for it
    link.lock_imports()
    src = registry.source(review.source)
    name = getattr(fact, src.name_column or "name", None)
    return Person.objects.create(
        id_hash=None,
        name=name,
        sex=getattr(fact, "sex", None),
        birth_date=getattr(fact, "birth_date", None),
        first_source=review.source,
        first_batch_id=review.batch_id,
        first_row=fact.row,
        created_at=timezone.now(),
    )


# -- unresolved records (待核实) ----------------------------------------------------------


def do_resolve_unresolved(
    record: UnresolvedRecord, *, person: Person | None, reason: str, acting_user
) -> UnresolvedRecord:
    """A clerk's verification of an unresolved record: its rows are this `person`'s (found
    with the evidence on the record's page), or, with `person` None, a person of their own
    (a resident the index did not know, confirmed by the clerk). One audit event."""
    if not may_resolve_unresolved(acting_user, record):
        raise PermissionDenied
    if not reason.strip():
        raise ValueError(_("A reason is required."))
    model = FACT_MODELS[record.source]
    with transaction.atomic():
        record = UnresolvedRecord.objects.select_for_update().get(pk=record.pk)
        if record.status != UnresolvedStatus.PENDING:
            raise ValueError(_("This record has already been resolved."))
        fact_ids = [fid for _row, fid in record.rows]
        if person is None:
            first = model.objects.get(pk=fact_ids[0])
            person = _person_from_fact(first, record)
            record.status = UnresolvedStatus.NEW_PERSON
        else:
            record.status = UnresolvedStatus.MATCHED
        model.objects.filter(pk__in=fact_ids, link_method=LinkMethod.UNRESOLVED).update(
            person_id=person.pk, link_method=LinkMethod.CLERICAL
        )
        record.person = person
        record.decided_by = acting_user
        record.decided_at = timezone.now()
        record.reason = reason.strip()[:500]
        record.save(update_fields=["status", "person", "decided_by", "decided_at", "reason"])
        persons_relinked.send(
            sender=UnresolvedRecord, person_ids=[person.pk], acting_user=acting_user
        )
        record_event(
            EventType.CHANGE,
            actor=acting_user,
            object_type="unresolved_record",
            object_id=record.pk,
            reason=record.reason,
            details={
                "decision": record.status,
                "source": record.source,
                "rows": [row for row, _fid in record.rows],
                "person": person.pk,
            },
        )
    return record
