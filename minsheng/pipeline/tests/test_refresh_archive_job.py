"""The archive refresh as a job: it archives the loaded batches and audits its job id; a
refresh killed before it commits leaves the batch loaded and not archived, and a later
refresh job (the same one run again, or a new one) archives it."""

from __future__ import annotations

import json

import pytest
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from minsheng.audit.models import AuditEvent, EventType
from minsheng.pipeline.ingest import import_file
from minsheng.pipeline.jobs import refresh_archive
from minsheng.residents.models import Resident
from minsheng.sources.models import BatchStatus, Person

from .support import export, run_worker


def refresh_events(process) -> list[dict]:
    rows = process.query(
        "SELECT details FROM audit_auditevent WHERE object_type = 'archive' ORDER BY seq"
    )
    return [json.loads(d) if isinstance(d, str) else d for (d,) in rows]


@pytest.mark.django_db(transaction=True)
def test_it_archives_the_loaded_batches_as_the_user_and_audits_the_job(
    cast, var_dir, crypto, synth_city
):
    # given a loaded batch whose archive refresh has not run
    batch = import_file(export(synth_city, "gongan_hukou"), refresh=False)
    assert batch.status == BatchStatus.LOADED and not batch.archived

    # when city staff's refresh job runs
    job = refresh_archive.enqueue(user_id=cast["city_staff"].pk)
    run_worker()

    # then the batch is archived, the job returns the rows rebuilt, and its event names it
    result = DBTaskResult.objects.get(pk=job.id)
    assert result.status == TaskResultStatus.SUCCESSFUL, result.traceback
    batch.refresh_from_db()
    assert batch.archived
    assert result.return_value == Resident.objects.count() == Person.objects.count() > 0
    event = AuditEvent.objects.get(object_type="archive", object_id="refresh")
    assert event.event_type == EventType.CHANGE and event.actor == cast["city_staff"]
    assert event.details["job"] == job.id and event.details["batches"] == [batch.pk]

    # and a refresh with nothing left to archive does nothing
    again = refresh_archive.enqueue()
    run_worker()
    assert DBTaskResult.objects.get(pk=again.id).return_value == 0
    assert AuditEvent.objects.filter(object_type="archive").count() == 1


def test_it_archives_a_batch_by_a_later_job_after_a_refresh_was_killed(areas, synth_city, copies):
    # given a loaded batch not yet archived and its refresh job queued, in two copies
    batch = import_file(export(synth_city, "gongan_hukou"), refresh=False)
    job = refresh_archive.enqueue().id
    rerun, replaced = copies("a"), copies("b")

    # when each copy's worker is killed (SIGKILL) inside the refresh, before it commits
    for process in (rerun, replaced):
        killed = process.worker(failpoint="archive.before_commit")
        assert killed.returncode == -9, killed.stderr[-3000:]

        # then the batch is still loaded and not archived, and nothing of the refresh is kept
        assert process.query(
            f"SELECT status, archived FROM sources_batch WHERE id = {batch.pk}"
        ) == [("loaded", False)]
        assert process.query("SELECT COUNT(*) FROM residents_resident") == [(0,)]
        assert refresh_events(process) == []
        assert process.job(job) == ("RUNNING", 1)

    # and when one worker restarts, it runs the killed job again, which archives the batch
    restarted = rerun.worker()
    assert restarted.returncode == 0, restarted.stderr[-3000:]
    assert "1 requeued" in restarted.stdout
    assert rerun.job(job) == ("SUCCESSFUL", 2)
    assert [e["job"] for e in refresh_events(rerun)] == [job]

    # and when the other restarts allowing one attempt only, the killed job fails
    restarted = replaced.worker("--max-attempts", "1")
    assert restarted.returncode == 0, restarted.stderr[-3000:]
    assert "1 failed" in restarted.stdout
    assert replaced.job(job) == ("FAILED", 1)
    assert replaced.query("SELECT COUNT(*) FROM residents_resident") == [(0,)]
    # and a new refresh job archives the batch
    later = replaced.python(
        "from minsheng.pipeline.jobs import refresh_archive\nprint(refresh_archive.enqueue().id)"
    ).split()[-1]
    assert replaced.worker().returncode == 0
    assert replaced.job(later) == ("SUCCESSFUL", 1)
    assert [e["job"] for e in refresh_events(replaced)] == [later]

    # and both archives are the one an uninterrupted refresh builds
    for process in (rerun, replaced):
        [(archived,)] = process.query(f"SELECT archived FROM sources_batch WHERE id = {batch.pk}")
        assert archived
        assert process.query("SELECT COUNT(*) FROM residents_resident") == process.query(
            "SELECT COUNT(*) FROM residents_person"
        )
    assert rerun.snapshot("fact_gongan_hukou") == replaced.snapshot("fact_gongan_hukou")
