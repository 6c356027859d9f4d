"""The writes that span apps: the archive refresh after imports (with the tag recompute and
the screening pages' figures)."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from minsheng.audit.actions import record_event
from minsheng.audit.models import EventType
from minsheng.catalogue import registry
from minsheng.lib import failpoints
from minsheng.residents import archive
from minsheng.screening import figures
from minsheng.screening.tags import recompute_tags
from minsheng.sources.actions import mark_archived
from minsheng.sources.link import lock_imports
from minsheng.sources.models import Batch, BatchStatus


def do_refresh_archive(*, acting_user, as_of: date | None = None, job: str = "") -> int:
    """Rebuild the archive rows (and portrait tags, and the screening pages' figures) of
    every person touched by a loaded batch not yet archived. `acting_user` is who asked
    (None for a command or a job: `job` names it). A failure leaves the batches loaded and
    not archived: the refresh is run again."""
    pending = list(
        Batch.objects.filter(status=BatchStatus.LOADED, archived=False).values_list("id", "source")
    )
    if not pending:
        return 0
    split = archive.ready_to_split()
    with transaction.atomic():
        lock_imports()
        n, touched = archive.refresh_batches(pending, as_of=as_of, split=split)
        recompute_tags(touched)
        figures.refresh(touched)
        # stale rows: a department's rows about someone dead (not its death reports, not
        # what grid workers collected)
        departments = {s.name for s in registry.sources()} - registry.DEATH_SOURCES
        stale = {
            batch_id: archive.stale_rows(source, batch_id)
            for batch_id, source in pending
            if source in departments
        }
        mark_archived([b for b, _s in pending], stale=stale, refreshed=n)
        record_event(
            EventType.SYSTEM if acting_user is None else EventType.CHANGE,
            actor=acting_user,
            object_type="archive",
            object_id="refresh",
            details={
                "batches": [b for b, _s in pending],
                "residents": n,
                "as_of": as_of.isoformat() if as_of else None,
                "job": job,
            },
        )
        failpoints.reach("archive.before_commit")  # tests: a refresh killed before it commits
    return n


def refresh_persons(person_ids: list[int]) -> None:
    """Rebuild these persons' archive rows, tags and screening figures, inside the caller's
    transaction (whose action records the event)."""
    archive.refresh(person_ids)
    recompute_tags(person_ids)
    figures.refresh(person_ids)
