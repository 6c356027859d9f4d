"""The upload page /sources/upload/ and its live progress page.

The import runs in a background thread with its own database connection, so the tests
that let it run are transactional: the thread must see the committed users.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from minsheng.audit.models import AuditEvent, EventType
from minsheng.sources import progress, views
from minsheng.sources.models import Batch, BatchStatus

URL = reverse("sources:upload")


@pytest.fixture
def imports(monkeypatch):
    """The view's import threads, held back until the test has read the progress page.

    The tests' in-memory SQLite shares one cache between connections, where a competing
    write (the session save of a page view) fails at once instead of waiting as a file
    database does; so the thread runs only while the test client stays off the database.
    """
    threads: list[threading.Thread] = []

    def start_import(token, path, source, user_id):
        thread = threading.Thread(
            target=views.run_import,
            args=(token, path, source, user_id, translation.get_language()),
            daemon=True,
        )
        threads.append(thread)
        return thread

    monkeypatch.setattr(views, "start_import", start_import)
    return threads


def wait_for(client, response, imports, seconds: float = 120.0):
    """Follow the redirect to the progress page, let the import run, wait for it as the
    fragment does (by its progress file), then fetch the fragment the browser shows last."""
    assert response.status_code == 302, response.content[:500]
    page = client.get(response["Location"])
    assert page.status_code == 200
    state = page.context["state"]
    fragment = reverse("sources:upload_progress_fragment", args=[state["token"]])
    assert state["status"] == progress.RUNNING
    assert f'hx-get="{fragment}"' in page.content.decode()
    assert 'hx-trigger="every 1s"' in page.content.decode()
    thread = imports.pop()
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the import did not finish in time"
    assert progress.read(state["token"])["status"] != progress.RUNNING
    polled = client.get(fragment)
    assert polled.status_code == 200
    return polled


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
def test_it_shows_plainly_that_a_file_is_of_no_known_source(cast, login, var_dir, crypto, imports):
    # given city staff
    client = login(cast["city_staff"])

    # when they upload a CSV that no source declares
    upload = SimpleUploadedFile("notes.csv", "备注,日期\n你好,2026-01-01\n".encode())
    done = wait_for(client, client.post(URL, {"file": upload}), imports)

    # then the import failed, the reason is shown, and no batch exists
    assert done.context["state"]["status"] == progress.FAILED
    assert 'data-testid="error"' in done.content.decode()
    assert "notes.csv" in done.context["state"]["error"]
    assert not Batch.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_it_shows_plainly_that_a_required_column_is_missing(cast, login, var_dir, crypto, imports):
    # given city staff and a 公安 death file without its ID and name columns
    client = login(cast["city_staff"])
    upload = SimpleUploadedFile("gongan_death_20260301.csv", "死亡日期\n2026-01-01\n".encode())

    # when they upload it
    done = wait_for(client, client.post(URL, {"file": upload}), imports)

    # then the import failed with the file's problem, and the failed batch is linked
    state = done.context["state"]
    assert state["status"] == progress.FAILED and state["error"]
    batch = Batch.objects.get()
    assert batch.status == BatchStatus.FAILED and state["batch_id"] == batch.pk
    assert reverse("sources:batch_detail", args=[batch.pk]) in done.content.decode()


@pytest.mark.django_db(transaction=True)
def test_it_imports_a_synthetic_export_end_to_end(
    cast, login, var_dir, crypto, synth_city, imports
):
    # given city staff and the small city's 退役军人 export
    path = next((Path(synth_city) / "exports").glob("va_veterans_*.xlsx"))
    client = login(cast["city_staff"])

    # when they upload it with the source left on automatic and wait for the import
    with path.open("rb") as f:
        done = wait_for(client, client.post(URL, {"file": f, "source": ""}), imports)

    # then the batch is loaded, every row accounted for, and the page links its report
    state = done.context["state"]
    assert state["status"] == progress.DONE, state
    assert state["percent"] == 100
    batch = Batch.objects.get(pk=state["batch_id"])
    assert batch.source == "va_veterans" and batch.file_name == path.name
    assert batch.status == BatchStatus.LOADED
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
        again = wait_for(client, client.post(URL, {"file": f, "source": "va_veterans"}), imports)
    assert again.context["state"]["batch_id"] == batch.pk
    assert Batch.objects.count() == 1
