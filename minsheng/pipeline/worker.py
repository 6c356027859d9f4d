"""The background worker: django-tasks-db's database worker, plus recovery of the jobs that
a killed worker left running (see `minsheng worker`, management/commands/worker.py).

A worker claims a job by marking its row RUNNING and appending its own id to the row's
`worker_ids`, so `len(worker_ids)` counts the attempts. While it runs it holds the lock of
its id (`sources.progress.worker_lock`); a RUNNING job whose last worker no longer holds its
lock was interrupted: its worker died (SIGKILL, OOM killer, power cut) before it could write
the outcome.
"""

from __future__ import annotations

import logging
import os
import socket

from django.core.exceptions import SuspiciousOperation
from django.utils.crypto import get_random_string
from django_tasks import TaskContext, TaskResultStatus, task_backends
from django_tasks.signals import task_finished, task_started
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from minsheng.sources import progress

log = logging.getLogger(__name__)

# Attempts of a job (its first run included) before an interruption counts as its failure:
# a job that kills its worker every time (a file too large for the memory) must not keep
# the queue busy for ever.
MAX_ATTEMPTS = 3


class WorkerLost(Exception):
    """The job's worker stopped while running it, on its last allowed attempt."""


def new_worker_id() -> str:
    """Host, process and a random tail: unique, and readable in the job table."""
    return f"{socket.gethostname()[:24]}-{os.getpid()}-{get_random_string(12)}"


def requeue(job: DBTaskResult) -> None:
    """Put a claimed job back in the queue, to run again from the start."""
    job.status = TaskResultStatus.READY
    job.started_at = None
    job.save(update_fields=["status", "started_at"])


def recover_interrupted(
    *, backend_name: str = "default", max_attempts: int = MAX_ATTEMPTS
) -> tuple[int, int]:
    """Requeue the RUNNING jobs whose worker is gone, or fail them once they have had
    `max_attempts` attempts; returns (requeued, failed). Jobs of live workers are left."""
    requeued = failed = 0
    with exclusive_transaction(DBTaskResult.objects.db):
        jobs = (
            DBTaskResult.objects.running()
            .filter(backend_name=backend_name)
            .select_for_update(skip_locked=True)
        )
        for job in jobs:
            last = job.worker_ids[-1] if job.worker_ids else ""
            if progress.worker_alive(last):
                continue
            if len(job.worker_ids) >= max_attempts:
                job.set_failed(
                    WorkerLost(
                        f"the worker {last} stopped while running this job "
                        f"(attempt {len(job.worker_ids)} of {max_attempts})"
                    )
                )
                failed += 1
                log.warning("job %s (%s): its worker stopped; failed", job.id, job.task_path)
            else:
                requeue(job)
                requeued += 1
                log.warning("job %s (%s): its worker stopped; requeued", job.id, job.task_path)
    return requeued, failed


class Worker(db_worker.Worker):
    """django-tasks-db's worker, except that a job interrupted by stopping the worker (a
    second Ctrl-C or SIGTERM while it runs, or anything else raising SystemExit or
    KeyboardInterrupt in it) goes back to the queue instead of failing: it did not fail, and
    the next worker runs it again, up to `max_attempts` in all. The worker then stops."""

    def __init__(self, *, max_attempts: int = MAX_ATTEMPTS, **kwargs):
        super().__init__(**kwargs)
        self.max_attempts = max_attempts

    def run_task(self, db_task_result: DBTaskResult) -> None:
        job = db_task_result
        self.running_task = True
        try:
            task = job.task
            result = job.task_result
            sender = type(task.get_backend())
            task_started.send(sender=sender, task_result=result)
            if task.takes_context:
                value = task.call(TaskContext(task_result=result), *result.args, **result.kwargs)
            else:
                value = task.call(*result.args, **result.kwargs)
            # Inside the handler: a return value that cannot be stored fails the job.
            job.set_successful(value)
            task_finished.send(sender=sender, task_result=job.task_result)
        except (KeyboardInterrupt, SystemExit):
            self.running = False  # the worker stops: its next job waits for the next worker
            try:
                if len(job.worker_ids) >= self.max_attempts:
                    job.set_failed(WorkerLost(f"stopped on attempt {len(job.worker_ids)}"))
                else:
                    requeue(job)
                log.warning("job %s interrupted by the worker's stop", job.id)
            except Exception:
                # Left RUNNING: the next worker's start recovers it (this one's lock is gone).
                log.exception("job %s interrupted; not requeued", job.id)
        except Exception as exc:
            job.set_failed(exc)
            try:
                sender = type(task_backends[job.backend_name])
                task_finished.send(sender=sender, task_result=job.task_result)
            except (ImportError, SuspiciousOperation):
                log.exception("job %s failed unexpectedly", job.id)
        finally:
            self.running_task = False
            self._run_tasks += 1
