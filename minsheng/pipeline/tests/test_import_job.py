"""The import of an uploaded file as a job: queued when the upload commits, run by the
worker, and run again to the same result after its worker was killed halfway."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from minsheng.audit.models import AuditEvent, EventType
from minsheng.pipeline.ingest import import_file
from minsheng.residents.models import Resident
from minsheng.sources import progress
from minsheng.sources.models import Batch, BatchStatus, Person
from minsheng.sources.signals import upload_received

from .support import export, run_worker


def announce(token: str, path, user) -> None:
    """What the upload page does once it has stored the file."""
    progress.start(token, user_id=user.pk, file_name=path.name, source="")
    upload_received.send(
        sender=None, token=token, path=path, source=None, user_id=user.pk, language="zh-hans"
    )


@pytest.mark.django_db(transaction=True)
def test_it_runs_an_uploads_import_as_a_job_through_the_worker(cast, var_dir, crypto, synth_city):
    # given an uploaded 公安 household export
    path = export(synth_city, "gongan_hukou")
    token = progress.new_token()
    announce(token, path, cast["city_staff"])

    # then its import is queued, not run
    job = DBTaskResult.objects.get(pk=progress.read(token)["job_id"])
    assert job.status == TaskResultStatus.READY
    assert job.task_path == "minsheng.pipeline.jobs.import_upload"
    assert progress.read(token)["status"] == progress.QUEUED
    assert not Batch.objects.exists()

    # when the worker runs
    run_worker()

    # then the job succeeded with the batch it loaded, archived, as the clerk
    job.refresh_from_db()
    assert job.status == TaskResultStatus.SUCCESSFUL, job.traceback
    batch = Batch.objects.get()
    assert job.return_value == batch.pk
    assert batch.status == BatchStatus.LOADED and batch.archived
    assert batch.created_by == cast["city_staff"]
    assert Person.objects.count() == Resident.objects.count() > 0
    assert AuditEvent.objects.filter(
        event_type=EventType.IMPORT, actor=cast["city_staff"], object_id=str(batch.pk)
    ).exists()
    state = progress.read(token)
    assert state["status"] == progress.DONE and state["batch_id"] == batch.pk


@pytest.mark.django_db(transaction=True)
def test_it_queues_nothing_for_an_upload_whose_request_rolls_back(
    cast, var_dir, crypto, synth_city
):
    # given an upload announced inside a transaction that then fails
    token = progress.new_token()
    with pytest.raises(RuntimeError), transaction.atomic():
        announce(token, export(synth_city, "gongan_hukou"), cast["city_staff"])
        raise RuntimeError("the request failed")

    # then no job was queued, and the worker has nothing to do
    assert not DBTaskResult.objects.exists()
    assert progress.read(token)["job_id"] == ""
    run_worker()
    assert not Batch.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_it_archives_a_file_loaded_by_an_attempt_whose_refresh_died(
    cast, var_dir, crypto, synth_city
):
    # given a file loaded by an earlier attempt that died before the archive refresh
    path = export(synth_city, "gongan_hukou")
    batch = import_file(path, acting_user=cast["city_staff"], refresh=False)
    assert batch.status == BatchStatus.LOADED and not batch.archived

    # when its import job runs (again)
    token = progress.new_token()
    announce(token, path, cast["city_staff"])
    run_worker()

    # then the same batch is archived by the job, and the refresh names the job
    job_id = progress.read(token)["job_id"]
    assert DBTaskResult.objects.get(pk=job_id).return_value == batch.pk
    batch.refresh_from_db()
    assert batch.archived and Batch.objects.count() == 1
    assert Resident.objects.count() == Person.objects.count() > 0
    event = AuditEvent.objects.get(object_type="archive", object_id="refresh")
    assert event.details["job"] == job_id and event.actor == cast["city_staff"]
    assert progress.read(token)["status"] == progress.DONE


def test_it_runs_an_import_killed_with_its_worker_again_to_the_same_result(
    cast, synth_city, copies
):
    # given an uploaded 公安 household export, queued, in two copies of the database
    path = export(synth_city, "gongan_hukou")
    token = progress.new_token()
    announce(token, path, cast["city_staff"])
    job = progress.read(token)["job_id"]
    uninterrupted, interrupted = copies("a"), copies("b")

    # and a worker that imports it in one of them without trouble
    done = uninterrupted.worker()
    assert done.returncode == 0, done.stderr[-3000:]
    assert uninterrupted.job(job) == ("SUCCESSFUL", 1)

    # when the other's worker is killed (SIGKILL) after the facts are written
    killed = interrupted.worker(failpoint="ingest.after_facts")
    assert killed.returncode == -9, killed.stderr[-3000:]

    # then the job is left running, and its batch holds no facts and no persons
    assert interrupted.job(job) == ("RUNNING", 1)
    [(batch_id, status)] = interrupted.query("SELECT id, status FROM sources_batch")
    assert status == "running"
    assert interrupted.query("SELECT COUNT(*) FROM fact_gongan_hukou") == [(0,)]
    assert interrupted.query(
        f"SELECT COUNT(*) FROM residents_person WHERE first_batch_id = {batch_id}"
    ) == [(0,)]
    assert interrupted.query("SELECT COUNT(*) FROM residents_person") == [(0,)]
    assert interrupted.progress(token)["status"] == progress.RUNNING

    # and when the worker is started again
    restarted = interrupted.worker()
    assert restarted.returncode == 0, restarted.stderr[-3000:]

    # then it ran the job again, to the end, with the uninterrupted import's result
    assert "1 requeued" in restarted.stdout
    assert interrupted.job(job) == ("SUCCESSFUL", 2)
    state = interrupted.progress(token)
    assert state["status"] == progress.DONE and state["batch_id"] == batch_id
    assert interrupted.snapshot("fact_gongan_hukou") == uninterrupted.snapshot("fact_gongan_hukou")
