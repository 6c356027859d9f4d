"""`minsheng worker`: run the background jobs (imports of uploaded files, archive refresh,
portrait tags) until stopped; `--batch` runs what is queued and exits.

It is django-tasks-db's `db_worker` (the same queue options: --queue-name, --interval,
--max-tasks, --worker-id, --backend) with three differences:

- **Jobs of a killed worker run again.** A worker killed outright (SIGKILL, the OOM killer,
  a power cut) leaves its job marked RUNNING for ever: django-tasks-db never looks at it
  again. At start, this command finds the RUNNING jobs whose worker is gone (it no longer
  holds the lock file every worker holds while it runs, see `sources.progress.worker_lock`;
  the operating system drops the lock with the process) and puts them back in the queue,
  where they run again from the start. Requeueing rather than failing them is correct
  because every job of the pipeline is safe to repeat: an import is idempotent by the file's
  SHA-256 and leaves nothing half-done (its link and load commit in one transaction; the
  claimed batch is simply run again, a loaded one is not imported twice, an archive left
  unrefreshed is refreshed), the archive refresh and the tag recompute each commit in one
  transaction. So the clerk's upload completes without anyone acting (until a worker
  starts, the upload page shows the import as interrupted). A job that has had
  `--max-attempts` attempts (3) fails instead, with `WorkerLost`: a file that kills the
  worker every time must not block the queue; its clerk sees the failure and uploads again.
  Jobs of workers that are alive are never touched, so several workers may run side by
  side (on machines sharing VAR_DIR, which the uploads require anyway). Run jobs with this
  command only: a plain `db_worker` holds no lock, so its running jobs look interrupted.
- **Stopping does not fail a job.** Ctrl-C or SIGTERM lets the running job finish, then
  exits; a second one stops the job, which goes back to the queue (django-tasks-db would
  mark it failed).
- No autoreload (`db_worker` reloads in debug mode, which the demo runs in).
"""

from __future__ import annotations

import signal
from contextlib import ExitStack

from django.core.management.base import CommandError
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands import db_worker

from minsheng.pipeline.signals import worker_starting
from minsheng.pipeline.worker import MAX_ATTEMPTS, Worker, new_worker_id, recover_interrupted
from minsheng.sources import progress

SIGNALS = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGQUIT] if hasattr(signal, "SIGQUIT") else [])


class Command(db_worker.Command):
    help = (
        "Run the background jobs until stopped (--batch: what is queued, then exit); "
        "jobs left running by a killed worker run again first."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", action="store_true", help="run the queued jobs, then exit (tests, cron)"
        )
        parser.add_argument(
            "--queue-name",
            default=DEFAULT_TASK_QUEUE_NAME,
            help="queues to run, comma-separated, '*' for all (default: %(default)s)",
        )
        parser.add_argument(
            "--interval",
            type=db_worker.valid_interval,
            default=1.0,
            help="seconds between looks at an empty queue (default: %(default)s)",
        )
        parser.add_argument(
            "--max-tasks",
            type=db_worker.valid_max_tasks,
            default=None,
            help="exit after running this many jobs",
        )
        parser.add_argument(
            "--max-attempts",
            type=db_worker.valid_max_tasks,
            default=MAX_ATTEMPTS,
            help="attempts of a job interrupted by a killed worker before it fails "
            "(default: %(default)s)",
        )
        parser.add_argument(
            "--worker-id",
            type=db_worker.validate_worker_id,
            default=None,
            help="this worker's id, unique among the running workers (default: host-pid-random)",
        )
        parser.add_argument(
            "--backend",
            dest="backend_name",
            type=db_worker.valid_backend_name,
            default=DEFAULT_TASK_BACKEND_ALIAS,
            help="the task backend (default: %(default)s)",
        )

    def handle(
        self,
        *,
        verbosity: int,
        batch: bool,
        queue_name: str,
        interval: float,
        max_tasks: int | None,
        max_attempts: int,
        worker_id: str | None,
        backend_name: str,
        **options,
    ) -> None:
        self.configure_logging(verbosity)
        worker_id = worker_id or new_worker_id()
        with ExitStack() as stack:
            try:
                stack.enter_context(progress.worker_lock(worker_id))
            except RuntimeError as exc:
                raise CommandError(str(exc)) from exc
            progress.sweep_worker_locks()
            requeued, failed = recover_interrupted(
                backend_name=backend_name, max_attempts=max_attempts
            )
            if verbosity and (requeued or failed):
                self.stdout.write(
                    f"Jobs of stopped workers: {requeued} requeued, {failed} failed "
                    f"after {max_attempts} attempts."
                )
            worker_starting.send(sender=self.__class__)
            worker = Worker(
                queue_names=queue_name.split(","),
                interval=interval,
                batch=batch,
                backend_name=backend_name,
                # A random pause spreads workers started together; one alone needs none.
                startup_delay=False,
                max_tasks=max_tasks,
                worker_id=worker_id,
                excluded_queue_names=[],
                max_attempts=max_attempts,
            )
            if verbosity:
                how = "until the queue is empty" if batch else "until stopped (Ctrl-C)"
                self.stdout.write(f"Worker {worker_id} runs the background jobs {how}.")
                self.stdout.flush()
            saved = {s: signal.getsignal(s) for s in SIGNALS}
            worker.configure_signals()
            try:
                worker.run()
            finally:
                for s, handler in saved.items():  # the caller's, when called in-process
                    signal.signal(s, handler)
