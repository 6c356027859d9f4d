"""Background work of the pipeline, as jobs of the database task queue (django-tasks).

A job is enqueued as a row of the job table (`django_tasks_db`, on SQLite as on PostgreSQL)
and run by `minsheng worker` in its own process; the row records its state (READY →
RUNNING → SUCCESSFUL or FAILED), its return value or the exception, and the workers that
ran it. Every job here may run again after its worker was killed (the worker requeues it,
see `worker.py`), so each is safe to repeat:

    import_upload            an uploaded file: the file's SHA-256 names its batch, link and
                             load commit together, a loaded batch is not imported twice
    reapply_mappings         a batch's kept file read again with the department's current
                             mappings: its rows are replaced in one transaction, so a second
                             run replaces them again with the same; then the refresh
    refresh_archive          the loaded batches not yet archived; none left → nothing to do
    recompute_portrait_tags  tags recomputed from the archive, in one transaction
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import TaskContext, TaskResult, TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from minsheng.accounts.models import User
from minsheng.screening import tags
from minsheng.sources import progress
from minsheng.sources.actions import do_reapply_mappings, file_sha256
from minsheng.sources.models import Batch, BatchStatus

from .actions import do_refresh_archive
from .ingest import import_file

log = logging.getLogger(__name__)


def _user(user_id: int | None) -> User | None:
    return User.objects.get(pk=user_id) if user_id is not None else None


def _batch_of(path: str) -> int | None:
    """The newest batch of this file, if one was claimed (a failed import links it)."""
    try:
        sha = file_sha256(Path(path))
    except OSError:
        return None
    return Batch.objects.filter(sha256=sha).order_by("-id").values_list("pk", flat=True).first()


@task(takes_context=True)
def import_upload(
    context: TaskContext,
    token: str,
    path: str,
    source: str | None,
    user_id: int | None,
    language: str,
) -> int:
    """Import an uploaded file as its clerk (`user_id`), report progress under the upload's
    token, and return the batch id. A failure is written for the clerk, then raised: the
    job fails with it."""
    with translation.override(language):
        progress.running(token)
        report = progress.reporter(token)
        try:
            user = _user(user_id)
            batch = import_file(path, source=source, acting_user=user, progress=report)
            if batch.status == BatchStatus.LOADED and not batch.archived:
                # Loaded by an attempt whose worker died during the archive refresh.
                report(_("Updating the archive"), 0.8)
                do_refresh_archive(acting_user=user, job=context.task_result.id)
                batch.refresh_from_db()
                report(_("Done"), 1.0)
        except Exception as exc:
            if not isinstance(exc, ValueError):  # UnknownSource, SourceFileError are
                log.exception("import of %s failed", Path(path).name)
            progress.fail(token, error=progress.error_text(exc), batch_id=_batch_of(path))
            raise
        progress.finish(token, batch_id=batch.pk)
        return batch.pk


@task(takes_context=True)
def reapply_mappings(
    context: TaskContext, token: str, batch_id: int, user_id: int | None, language: str
) -> int:
    """Re-apply the department's current mappings to a batch as its clerk (`user_id`, whose
    right to do so the action checks), refresh the archive, report progress under the
    token, and return the batch id. A failure is written for the clerk, then raised."""
    with translation.override(language):
        progress.running(token)
        report = progress.reporter(token)
        try:
            user = _user(user_id)
            batch = Batch.objects.get(pk=batch_id)
            do_reapply_mappings(batch, acting_user=user, progress=report)
            report(_("Updating the archive"), 0.8)
            do_refresh_archive(acting_user=user, job=context.task_result.id)
            report(_("Done"), 1.0)
        except Exception as exc:
            if not isinstance(exc, ValueError | PermissionDenied):
                log.exception("re-applying the mappings to batch %s failed", batch_id)
            progress.fail(token, error=progress.error_text(exc), batch_id=batch_id)
            raise
        progress.finish(token, batch_id=batch_id)
        return batch_id


@task(takes_context=True)
def refresh_archive(
    context: TaskContext, user_id: int | None = None, as_of: str | None = None
) -> int:
    """Archive the loaded batches not yet archived (`do_refresh_archive`, audited with the
    job's id); returns the number of archive rows rebuilt. `as_of` is an ISO date."""
    return do_refresh_archive(
        acting_user=_user(user_id),
        as_of=date.fromisoformat(as_of) if as_of else None,
        job=context.task_result.id,
    )


@task
def recompute_portrait_tags(person_ids: list[int] | None = None) -> dict[str, int]:
    """Recompute the portrait tags of these persons (everyone if None); returns tag code →
    number of those persons holding it."""
    return tags.recompute_tags(person_ids)


def enqueue_refresh(delay: timedelta = timedelta(0)) -> TaskResult | None:
    """Queue an archive refresh `delay` from now unless one is waiting already (it will take
    up every loaded batch not yet archived, whoever loaded it): the results of a busy
    minute make one job every `delay`, not one each."""
    with transaction.atomic():
        waiting = DBTaskResult.objects.filter(
            task_path=refresh_archive.module_path, status=TaskResultStatus.READY
        ).exists()
        if waiting:
            return None
        return refresh_archive.using(run_after=timezone.now() + delay).enqueue()


def enqueue_import(
    token: str, path: Path | str, source: str | None, user_id: int | None, language: str
) -> TaskResult:
    """Queue the import of an uploaded file. The job's id goes into the upload's progress
    file inside the transaction that inserts the job, so no worker can start the job
    before the page can find it."""
    with transaction.atomic():
        job = import_upload.enqueue(
            token=token, path=str(path), source=source, user_id=user_id, language=language
        )
        progress.queued(token, job_id=job.id)
    return job


def enqueue_reapply(token: str, batch_id: int, user_id: int | None, language: str) -> TaskResult:
    """Queue the re-application of the mappings to a batch (as `enqueue_import`)."""
    with transaction.atomic():
        job = reapply_mappings.enqueue(
            token=token, batch_id=batch_id, user_id=user_id, language=language
        )
        progress.queued(token, job_id=job.id)
    return job
