"""`minsheng worker`: it runs the queued jobs, and at start requeues the jobs of workers that
died (failing them after their last allowed attempt), never those of live workers."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django_tasks import TaskContext, TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from minsheng.pipeline.jobs import recompute_portrait_tags
from minsheng.pipeline.worker import MAX_ATTEMPTS, recover_interrupted
from minsheng.sources import progress

from .support import run_worker

pytestmark = pytest.mark.django_db(transaction=True)


@task(takes_context=True)
def stopped_once(context: TaskContext) -> str:
    """A job whose first attempt is stopped with its worker (as a second Ctrl-C does)."""
    if context.attempt == 1:
        raise SystemExit(1)
    return "ran"


def claimed(*workers: str) -> DBTaskResult:
    """A queued job claimed by these workers in turn, the last still marked running."""
    job = DBTaskResult.objects.get(pk=recompute_portrait_tags.enqueue(person_ids=[]).id)
    for worker in workers:
        job.claim(worker)
    return job


def test_it_runs_a_job_again_whose_worker_died(var_dir):
    # given a job left running by a worker that no longer holds its lock
    job = claimed("killed-worker")

    # when a worker starts
    run_worker()

    # then it requeued the job and ran it
    job.refresh_from_db()
    assert job.status == TaskResultStatus.SUCCESSFUL
    assert job.worker_ids[0] == "killed-worker" and len(job.worker_ids) == 2


def test_it_leaves_the_job_of_a_live_worker_alone(var_dir):
    # given a job running in a worker that is alive (it holds its lock)
    with progress.worker_lock("live-worker"):
        job = claimed("live-worker")
        assert progress.worker_alive("live-worker")

        # when another worker starts
        run_worker()

        # then the job is still the live worker's
        job.refresh_from_db()
        assert job.status == TaskResultStatus.RUNNING and job.worker_ids == ["live-worker"]
    # and once that worker is gone, it no longer counts as alive
    assert not progress.worker_alive("live-worker")
    assert recover_interrupted() == (1, 0)


def test_it_fails_a_job_whose_worker_died_on_its_last_attempt(var_dir):
    # given a job whose every allowed attempt ended with its worker killed
    job = claimed(*(f"killed-worker-{n}" for n in range(MAX_ATTEMPTS)))

    # when a worker starts
    run_worker()

    # then the job failed, saying why, and did not run again
    job.refresh_from_db()
    assert job.status == TaskResultStatus.FAILED
    assert job.exception_class_path == "minsheng.pipeline.worker.WorkerLost"
    assert "stopped while running this job" in job.traceback
    assert len(job.worker_ids) == MAX_ATTEMPTS


def test_it_requeues_a_job_stopped_with_its_worker(var_dir):
    # given a job whose first attempt is stopped with the worker
    job = stopped_once.enqueue()

    # when a worker runs it
    run_worker()

    # then the job is queued again, not failed, and the worker stopped
    result = DBTaskResult.objects.get(pk=job.id)
    assert result.status == TaskResultStatus.READY and len(result.worker_ids) == 1

    # and the next worker runs it to the end
    run_worker()
    result.refresh_from_db()
    assert result.status == TaskResultStatus.SUCCESSFUL and result.return_value == "ran"


def test_it_refuses_a_second_worker_with_the_same_id(var_dir):
    with progress.worker_lock("worker-1"), pytest.raises(CommandError, match="worker-1"):
        call_command("worker", "--batch", "--worker-id", "worker-1", verbosity=0)


def test_it_removes_the_locks_that_killed_workers_left(var_dir):
    # given the lock file of a killed worker, and a live worker's
    stale = progress._worker_lock_path("killed-worker")
    stale.parent.mkdir(parents=True)
    stale.touch()
    with progress.worker_lock("live-worker") as live:
        # when a worker starts and ends
        run_worker()

        # then the stale file is gone, the live one kept, and the worker left none
        assert not stale.exists() and live.exists()
        assert [p.name for p in stale.parent.iterdir()] == [live.name]
