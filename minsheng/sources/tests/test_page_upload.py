"""The upload page /sources/upload/ and its live progress page.

The import runs as a job of the database queue: the tests enqueue it for real by uploading
and run the worker in-process (`minsheng worker --batch`), between two looks at the page.
They are transactional: the job is enqueued when the upload's request commits.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from minsheng.audit.models import AuditEvent, EventType
from minsheng.sources import progress
from minsheng.sources.models import Batch, BatchStatus

URL = reverse("sources:upload")


def run_worker() -> None:
    """Run the queued jobs in this process, as `minsheng worker --batch` does."""
    call_command("worker", "--batch", "--interval", "0", verbosity=0)


def fragment_of(token: str) -> str:
    return reverse("sources:upload_progress_fragment", args=[token])


def wait_for(client, response):
    """Follow the redirect to the progress page, which shows the import queued and polls;
    run the worker; then fetch the fragment the browser shows last."""
    assert response.status_code == 302, response.content[:500]
    page = client.get(response["Location"])
    assert page.status_code == 200
    state = page.context["state"]
    assert state["status"] == progress.QUEUED
    assert f'hx-get="{fragment_of(state["token"])}"' in page.content.decode()
    assert 'hx-trigger="every 1s"' in page.content.decode()
    assert DBTaskResult.objects.get(pk=state["job_id"]).status == TaskResultStatus.READY
    run_worker()
    assert progress.read(state["token"])["status"] in (progress.DONE, progress.FAILED)
    polled = client.get(fragment_of(state["token"]))
    assert polled.status_code == 200
    return polled


def upload_veterans(client, synth_city, **fields):
    path = next((Path(synth_city) / "exports").glob("va_veterans_*.xlsx"))
    with path.open("rb") as f:
        response = client.post(URL, {"file": f, "source": "", **fields})
    assert response.status_code == 302, response.content[:500]
    return path, response


def test_it_offers_the_form_to_city_staff(cast, login, var_dir):
    # given city staff
    client = login(cast["city_staff"])

    # when they open the upload page
    response = client.get(URL)

    # then the form offers a file and the source, detected by default
    assert response.status_code == 200
    form = response.context["form"]
    assert form.fields["source"].choices[0][0] == ""
    assert len(form.fields["source"].choices) == 15


@pytest.mark.parametrize("who", ["clerk", "outsider", "viewer", "grid_worker", "sys_admin"])
def test_it_refuses_everyone_but_city_staff_and_audits_it(cast, login, var_dir, who):
    # given a user who is not city staff
    client = login(cast[who])

    # when they open the page and try to upload
    opened = client.get(URL)
    posted = client.post(URL, {"file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n")})

    # then both are refused and audited, and nothing was stored
    assert opened.status_code == 403 and posted.status_code == 403
    assert (
        AuditEvent.objects.filter(
            event_type=EventType.DENIED, actor=cast[who], object_type="import_upload"
        ).count()
        == 2
    )
    assert not (var_dir / "uploads").exists()


def test_it_refuses_a_file_that_is_neither_csv_nor_xlsx(cast, login, var_dir):
    # given city staff
    client = login(cast["city_staff"])

    # when they upload a PDF
    response = client.post(URL, {"file": SimpleUploadedFile("report.pdf", b"%PDF-1.4")})

    # then the form says so and no import starts
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not (var_dir / "progress").exists()


def test_it_hides_another_users_upload(cast, login, var_dir, db):
    # given an upload started by someone else
    token = progress.new_token()
    progress.start(token, user_id=cast["city_staff"].pk + 1000, file_name="a.csv", source="")
    client = login(cast["city_staff"])

    # when city staff open its progress page
    response = client.get(reverse("sources:upload_progress", args=[token]))

    # then it is not found and the refusal is audited
    assert response.status_code == 404
    assert AuditEvent.objects.filter(
        event_type=EventType.DENIED, object_type="import_progress", object_id=token
    ).exists()


def test_it_stores_progress_atomically_and_refuses_odd_tokens(var_dir):
    # given a token
    token = progress.new_token()

    # when progress is reported twice
    progress.start(token, user_id=1, file_name="a.csv", source="")
    progress.reporter(token)("Linking", 0.35)

    # then the last state is read back, no temporary file remains, and a path is no token
    assert progress.read(token)["fraction"] == 0.35
    assert [p.name for p in (var_dir / "progress").iterdir()] == [f"{token}.json"]
    assert progress.read("../../etc/passwd") is None
    with pytest.raises(ValueError):
        progress.write("../x", status="done")


@pytest.mark.django_db(transaction=True)
def test_it_shows_plainly_that_a_file_is_of_no_known_source(cast, login, var_dir, crypto):
    # given city staff
    client = login(cast["city_staff"])

    # when they upload a CSV that no source declares
    upload = SimpleUploadedFile("notes.csv", "备注,日期\n你好,2026-01-01\n".encode())
    done = wait_for(client, client.post(URL, {"file": upload}))

    # then the import and its job failed, the reason is shown, and no batch exists
    state = done.context["state"]
    assert state["status"] == progress.FAILED
    assert DBTaskResult.objects.get(pk=state["job_id"]).status == TaskResultStatus.FAILED
    assert 'data-testid="error"' in done.content.decode()
    assert "notes.csv" in state["error"]
    assert "hx-trigger" not in done.content.decode()
    assert not Batch.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_it_shows_plainly_that_a_required_column_is_missing(cast, login, var_dir, crypto):
    # given city staff and a 公安 death file without its ID and name columns
    client = login(cast["city_staff"])
    upload = SimpleUploadedFile("gongan_death_20260301.csv", "死亡日期\n2026-01-01\n".encode())

    # when they upload it
    done = wait_for(client, client.post(URL, {"file": upload}))

    # then the import failed with the file's problem, and the failed batch is linked
    state = done.context["state"]
    assert state["status"] == progress.FAILED and state["error"]
    batch = Batch.objects.get()
    assert batch.status == BatchStatus.FAILED and state["batch_id"] == batch.pk
    assert reverse("sources:batch_detail", args=[batch.pk]) in done.content.decode()


@pytest.mark.django_db(transaction=True)
def test_it_imports_a_synthetic_export_end_to_end(cast, login, var_dir, crypto, synth_city):
    # given city staff and the small city's 退役军人 export
    client = login(cast["city_staff"])

    # when they upload it with the source left on automatic and the worker runs the import
    path, response = upload_veterans(client, synth_city)
    done = wait_for(client, response)

    # then the batch is loaded, every row accounted for, and the page links its report
    state = done.context["state"]
    assert state["status"] == progress.DONE, state
    assert state["percent"] == 100
    batch = Batch.objects.get(pk=state["batch_id"])
    assert batch.source == "va_veterans" and batch.file_name == path.name
    assert batch.status == BatchStatus.LOADED and batch.archived
    job = DBTaskResult.objects.get(pk=state["job_id"])
    assert job.status == TaskResultStatus.SUCCESSFUL and job.return_value == batch.pk
    assert batch.rows_read > 0
    assert batch.rows_read == batch.rows_accepted + batch.rows_quarantined
    assert sum(batch.link_methods.values()) == batch.rows_accepted
    assert batch.created_by == cast["city_staff"]
    html = done.content.decode()
    assert reverse("sources:batch_detail", args=[batch.pk]) in html
    assert "hx-trigger" not in html  # polling stops once done
    assert AuditEvent.objects.filter(event_type=EventType.IMPORT, object_id=str(batch.pk))

    # and when the same file is uploaded again, nothing changes
    with path.open("rb") as f:
        again = wait_for(client, client.post(URL, {"file": f, "source": "va_veterans"}))
    assert again.context["state"]["batch_id"] == batch.pk
    assert Batch.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_shows_an_import_whose_worker_died_and_runs_it_again(
    cast, login, var_dir, crypto, synth_city
):
    # given an upload whose job a worker claimed and then died with (no lock held)
    client = login(cast["city_staff"])
    _path, response = upload_veterans(client, synth_city)
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    job = DBTaskResult.objects.get(pk=progress.read(token)["job_id"])
    job.claim("killed-worker")
    progress.running(token)
    progress.reporter(token)("Linking to the person index", 0.35)

    # when the clerk looks at the progress page
    page = client.get(fragment_of(token))

    # then it says the import was interrupted and keeps polling
    assert page.context["state"]["status"] == progress.INTERRUPTED
    html = page.content.decode()
    assert 'data-testid="interrupted"' in html and 'hx-trigger="every 1s"' in html

    # and when a worker starts, it runs the job again, to the end
    run_worker()
    done = client.get(fragment_of(token))
    state = done.context["state"]
    assert state["status"] == progress.DONE, state
    job.refresh_from_db()
    assert job.status == TaskResultStatus.SUCCESSFUL and len(job.worker_ids) == 2
    assert Batch.objects.get(pk=state["batch_id"]).status == BatchStatus.LOADED


@pytest.mark.django_db(transaction=True)
def test_it_shows_that_an_import_failed_with_its_worker_and_imports_it_uploaded_again(
    cast, login, var_dir, crypto, synth_city
):
    # given an upload whose job has had its last allowed attempt killed
    client = login(cast["city_staff"])
    _path, response = upload_veterans(client, synth_city)
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    job = DBTaskResult.objects.get(pk=progress.read(token)["job_id"])
    for n in range(3):
        job.claim(f"killed-worker-{n}")

    # when a worker starts and the clerk looks at the progress page
    run_worker()
    page = client.get(fragment_of(token))

    # then the job failed, the page says why, stops polling and offers a new upload
    job.refresh_from_db()
    assert job.status == TaskResultStatus.FAILED
    assert job.exception_class_path == "minsheng.pipeline.worker.WorkerLost"
    state = page.context["state"]
    assert state["status"] == progress.FAILED
    assert "Upload the file again" in state["error"] or "请重新上传" in state["error"]
    html = page.content.decode()
    assert "hx-trigger" not in html and reverse("sources:upload") in html

    # and when the clerk uploads the same file again, it is imported cleanly
    _path, again = upload_veterans(client, synth_city)
    done = wait_for(client, again)
    assert done.context["state"]["status"] == progress.DONE
    batch = Batch.objects.get()
    assert batch.status == BatchStatus.LOADED and batch.archived
    assert batch.rows_read == batch.rows_accepted + batch.rows_quarantined
