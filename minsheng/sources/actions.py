"""Every write of the import: claiming a file's batch, loading it, recording a failure, and a
clerk's decision on a linkage review.

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
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minsheng.audit.actions import record_event
from minsheng.audit.models import EventType, Result
from minsheng.catalogue import registry

from .access import may_decide_review
from .load import Loaded
from .models import (
    FACT_MODELS,
    Batch,
    BatchStatus,
    LinkMethod,
    LinkReview,
    Person,
    ReviewKind,
    ReviewStatus,
)
from .signals import persons_relinked


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


def do_load_batch(batch: Batch, loaded: Loaded, *, timings: dict[str, float], acting_user) -> Batch:
    """Record a loaded batch: its counts, link methods and conflicts, and the import event.
    Runs in the transaction that wrote the batch's persons and facts (see the pipeline)."""
    linked = loaded.linked
    parsed = linked.protected.parsed
    with transaction.atomic():
        batch.encoding = parsed.encoding
        batch.rows_read = parsed.read
        batch.rows_accepted = parsed.accepted.height
        batch.rows_quarantined = parsed.quarantined.height
        batch.reasons = parsed.reasons
        batch.warnings = parsed.warnings
        batch.link_methods = loaded.link_methods
        batch.conflicts = linked.conflicts
        batch.persons_created = linked.persons_created
        batch.timings = timings  # stage → seconds
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
                "source": batch.source,
                "file": batch.file_name,
                "sha256": batch.sha256,
                "read": batch.rows_read,
                "accepted": batch.rows_accepted,
                "quarantined": batch.rows_quarantined,
            },
        )
    return batch


def do_fail_batch(batch: Batch, error: str, *, acting_user) -> None:
    """Mark a batch failed (its transaction left nothing behind) so it can be run again."""
    with transaction.atomic():
        Batch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.FAILED, error=error[:2000], finished_at=timezone.now()
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
    for batch_id in batch_ids:
        Batch.objects.filter(pk=batch_id).update(
            archived=True, stale_rows=stale.get(batch_id, 0), residents_refreshed=refreshed
        )


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
