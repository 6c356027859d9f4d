"""Re-applying the department's mappings to a batch from its page:
POST /sources/batches/<id>/reapply/ queues a job (as an upload does), whose progress the
upload's progress page shows; the worker reads the kept file again and refreshes the
archive. Transactional: the job is queued when the request commits."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import resolve, reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from minsheng.audit.models import AuditEvent, EventType
from minsheng.pipeline.ingest import import_file
from minsheng.residents.models import Resident
from minsheng.sources import progress
from minsheng.sources.actions import do_save_code_mapping, do_save_column_mapping
from minsheng.sources.models import Batch, fact_model
from minsheng.sources.tests.test_action_reapply_mappings import write_export

Facts = fact_model("mz_assistance")


def url(batch) -> str:
    return reverse("sources:batch_reapply", args=[batch.pk])


def run_worker() -> None:
    call_command("worker", "--batch", "--interval", "0", verbosity=0)


@pytest.fixture
def imported(cast, crypto, var_dir, tmp_path):
    path = write_export(tmp_path)
    return import_file(path, source="mz_assistance", acting_user=cast["city_staff"])


@pytest.mark.django_db(transaction=True)
def test_it_reads_the_batch_again_in_the_background_and_shows_its_progress(cast, login, imported):
    # given mappings saved for 民政局 since the batch was imported
    staff = cast["city_staff"]
    do_save_column_mapping("mz_assistance", "家庭人口数", "household_size", acting_user=staff)
    do_save_code_mapping("mz_assistance", "assistance_status", "保障中", "1", acting_user=staff)
    client = login(staff)

    # when city staff re-apply the mappings from the batch's page
    response = client.post(url(imported))

    # then they see the progress page of a queued job
    assert response.status_code == 302
    match = resolve(response["Location"])
    assert match.view_name == "sources:upload_progress"
    token = match.kwargs["token"]
    state = progress.read(token)
    job = DBTaskResult.objects.get(pk=state["job_id"])
    assert job.task_path == "minsheng.pipeline.jobs.reapply_mappings"
    assert job.status == TaskResultStatus.READY
    assert client.get(response["Location"]).context["state"]["status"] == progress.QUEUED

    # and when the worker runs it
    run_worker()

    # then the batch holds the mapped values, archived again, and the page shows it done
    job.refresh_from_db()
    assert job.status == TaskResultStatus.SUCCESSFUL, job.traceback
    batch = Batch.objects.get(pk=imported.pk)
    assert batch.archived
    assert sorted(Facts.objects.filter(batch=batch).values_list("household_size", flat=True)) == [
        1,
        3,
    ]
    assert set(Resident.objects.values_list("assistance_status", flat=True)) == {"1"}
    done = client.get(reverse("sources:upload_progress_fragment", args=[token]))
    assert done.context["state"]["status"] == progress.DONE
    assert done.context["batch"] == batch
    assert AuditEvent.objects.filter(
        event_type=EventType.IMPORT, actor=staff, details__reapply_mappings=True
    ).exists()


def test_it_says_so_when_the_file_is_no_longer_kept(cast, login, imported):
    # given a batch whose kept file is gone
    Batch.objects.filter(pk=imported.pk).update(stored_path="")
    client = login(cast["city_staff"])

    # when city staff re-apply the mappings
    response = client.post(url(imported))

    # then nothing is queued and the batch page tells them to upload the file again
    assert response["Location"].startswith(reverse("sources:batch_detail", args=[imported.pk]))
    assert not DBTaskResult.objects.exists()
    assert "请重新上传该文件" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("who", ["viewer", "outsider", "clerk", "supervision"])
def test_it_refuses_everyone_but_city_staff_and_audits_it(cast, login, imported, who):
    response = login(cast[who]).post(url(imported))
    assert response.status_code == 403
    assert not DBTaskResult.objects.exists()
    assert AuditEvent.objects.filter(
        event_type=EventType.DENIED, object_type="batch_reapply", object_id=str(imported.pk)
    ).exists()


def test_it_answers_405_to_get(cast, login, imported):
    assert login(cast["city_staff"]).get(url(imported)).status_code == 405
