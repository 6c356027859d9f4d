"""A task on the phone (`grid:phone_task`): the resident card, the form and its submit."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from minsheng.audit.models import AuditEvent
from minsheng.residents.models import Resident
from minsheng.sources.models import fact_model

from ..actions import do_cancel_task, do_create_task
from ..models import GridTask, TaskKind, TaskResult
from .conftest import archive_pending

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
JSON = {"HTTP_ACCEPT": "application/json"}


def task_for(cast, person, kind):
    do_create_task(person.pk, kind=kind, reason="名单：参保扩面", acting_user=cast["city_staff"])
    return GridTask.objects.get(person=person, kind=kind, status="open")


def url(task_or_pk) -> str:
    return reverse("grid:phone_task", kwargs={"pk": getattr(task_or_pk, "pk", task_or_pk)})


def certification(key, **extra):
    return {
        "key": str(key),
        "outcome": "certified",
        "certification_date": timezone.localdate().isoformat(),
        "photo": SimpleUploadedFile("photo.jpg", JPEG, content_type="image/jpeg"),
        "signature": SimpleUploadedFile("signature.png", PNG, content_type="image/png"),
        **extra,
    }


def test_it_shows_a_masked_card_with_only_what_the_task_needs(client, login, cast, residents):
    Resident.objects.filter(pk=residents["wang"].pk).update(
        residence_address="海勃湾区新华街道清泉社区3号楼2单元101",
        benefits_pension_type="1",
        identity_marital_status="20",
    )
    task = task_for(cast, residents["wang"], TaskKind.CERTIFICATION)
    login(cast["grid_worker"])
    response = client.get(url(task))
    assert response.status_code == 200
    html = response.content.decode()
    assert "王*" in html and "王芳" not in html
    assert "清泉社区***" in html and "3号楼" not in html
    assert "企业职工基本养老金" in html  # the certification's own item
    assert 'data-item="benefits.next_certification_due"' in html
    # nothing the task does not need: no ID number, no marital status
    assert "identity.id_number" not in html and "identity.marital_status" not in html
    assert 'enctype="multipart/form-data"' in html and 'name="key"' in html
    assert "data-signature" in html and 'name="photo"' in html


def test_it_audits_the_card_as_a_view_of_the_resident(client, login, cast, residents):
    task = task_for(cast, residents["wang"], TaskKind.INFO_UPDATE)
    login(cast["grid_worker"])
    client.get(url(task))
    event = AuditEvent.objects.filter(event_type="view", object_type="resident").latest("id")
    assert event.object_id == str(residents["wang"].pk) and event.actor == cast["grid_worker"]
    assert event.details["task"] == task.pk
    # the form shown again with its errors shows the card again: another view
    client.post(url(task), {"key": str(uuid.uuid4())})
    views = AuditEvent.objects.filter(event_type="view", object_type="resident")
    assert views.count() == 2


def test_it_masks_the_phone_of_the_information_update_card(client, login, cast, crypto, residents):
    Resident.objects.filter(pk=residents["wang"].pk).update(
        identity_phone=crypto.encrypt("13812345678")
    )
    task = task_for(cast, residents["wang"], TaskKind.INFO_UPDATE)
    login(cast["grid_worker"])
    html = client.get(url(task)).content.decode()
    assert "138****5678" in html and "13812345678" not in html


@pytest.mark.parametrize("who", ["qian", "sun", "missing"])
def test_it_hides_a_task_the_worker_does_not_hold(client, login, cast, residents, who):
    """新南 1's task (another worker's), 清泉 3's (covered by another worker) and an unknown
    id all look the same: 404, audited."""
    pk = 987654 if who == "missing" else task_for(cast, residents[who], TaskKind.INSURANCE).pk
    login(cast["grid_worker"])
    for response in (
        client.get(url(pk)),
        client.post(url(pk), {"key": str(uuid.uuid4()), "insurance_willingness": "2"}),
    ):
        assert response.status_code == 404
    events = AuditEvent.objects.filter(object_type="grid_task", object_id=str(pk))
    assert events.count() == 2 and {e.result for e in events} == {"denied"}
    assert not TaskResult.objects.exists()


def test_it_refuses_a_clerk(client, login, cast, residents):
    task = task_for(cast, residents["wang"], TaskKind.INSURANCE)
    login(cast["clerk"])
    assert client.get(url(task)).status_code == 403
    assert AuditEvent.objects.filter(object_type="grid_phone", result="denied").exists()


def test_it_records_one_result_for_the_same_key_sent_twice(client, login, cast, residents):
    task = task_for(cast, residents["wang"], TaskKind.CERTIFICATION)
    login(cast["grid_worker"])
    key = uuid.uuid4()
    first = client.post(url(task), certification(key))
    again = client.post(url(task), certification(key))
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == url(task)
    assert TaskResult.objects.count() == 1
    assert fact_model("grid_collect").objects.filter(task_id=task.pk).count() == 1
    result = TaskResult.objects.get()
    assert result.key == key and bytes(result.photo) == JPEG and bytes(result.signature) == PNG
    # the confirmation: the task page of a done task
    html = client.get(url(task)).content.decode()
    assert 'data-testid="confirmation"' in html and "已提交" in html and str(key)[:8] in html
    assert "data-task-form" not in html


def test_it_answers_the_phone_s_script_in_json_the_same_way_for_a_retry(
    client, login, cast, residents
):
    task = task_for(cast, residents["wang"], TaskKind.INSURANCE)
    login(cast["grid_worker"])
    key = uuid.uuid4()
    data = {"key": str(key), "insurance_willingness": "2"}
    first = client.post(url(task), data, **JSON)
    again = client.post(url(task), data, **JSON)
    assert first.status_code == again.status_code == 200
    assert first.json()["ok"] and first.json()["created"]
    assert again.json()["ok"] and not again.json()["created"]
    assert first.json()["key"] == again.json()["key"] == str(key)
    assert first.json()["url"] == url(task)
    assert TaskResult.objects.count() == 1
    assert fact_model("grid_collect").objects.count() == 1
    archive_pending()
    assert Resident.objects.get(pk=residents["wang"].pk).insurance_willingness == "2"


def test_it_shows_the_form_s_errors_in_chinese(client, login, cast, residents):
    task = task_for(cast, residents["wang"], TaskKind.CERTIFICATION)
    login(cast["grid_worker"])
    response = client.post(url(task), {"key": str(uuid.uuid4()), "outcome": "certified"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "当面认证必须填写此项。" in html  # date, photo and signature are missing
    missing = client.post(url(task), {"key": str(uuid.uuid4())})
    assert "这个字段是必填项。" in missing.content.decode()
    as_json = client.post(url(task), {"key": str(uuid.uuid4()), "outcome": "certified"}, **JSON)
    assert as_json.status_code == 400
    assert as_json.json()["errors"]["photo"] == ["当面认证必须填写此项。"]
    assert not TaskResult.objects.exists()
    task.refresh_from_db()
    assert task.is_open


def test_it_refuses_a_done_task_a_second_result(client, login, cast, residents):
    task = task_for(cast, residents["wang"], TaskKind.INSURANCE)
    login(cast["grid_worker"])
    client.post(url(task), {"key": str(uuid.uuid4()), "insurance_willingness": "2"})
    other = {"key": str(uuid.uuid4()), "insurance_willingness": "1", "income_band": "100"}
    response = client.post(url(task), other)
    assert response.status_code == 409
    assert "此任务已有结果，不能再次提交。" in response.content.decode()
    as_json = client.post(url(task), other, **JSON)
    assert (
        as_json.status_code == 409 and as_json.json()["message"] == "此任务已有结果，不能再次提交。"
    )
    assert TaskResult.objects.count() == 1
    archive_pending()
    assert Resident.objects.get(pk=residents["wang"].pk).insurance_willingness == "2"


def test_it_refuses_a_submission_without_a_key(client, login, cast, residents):
    task = task_for(cast, residents["wang"], TaskKind.INSURANCE)
    login(cast["grid_worker"])
    response = client.post(url(task), {"insurance_willingness": "2"})
    assert response.status_code == 400
    assert "提交编号" in response.content.decode()
    assert not TaskResult.objects.exists()


def test_it_refuses_another_task_s_key(client, login, cast, residents):
    first = task_for(cast, residents["wang"], TaskKind.INSURANCE)
    second = task_for(cast, residents["zhao"], TaskKind.INSURANCE)
    login(cast["grid_worker"])
    key = str(uuid.uuid4())
    client.post(url(first), {"key": key, "insurance_willingness": "2"})
    response = client.post(url(second), {"key": key, "insurance_willingness": "2"}, **JSON)
    assert response.status_code == 400
    assert TaskResult.objects.count() == 1
    second.refresh_from_db()
    assert second.is_open


def test_it_shows_a_cancelled_task_without_its_form(client, login, cast, residents):
    task = task_for(cast, residents["wang"], TaskKind.INSURANCE)
    do_cancel_task(task, reason="重复", acting_user=cast["clerk"])
    login(cast["grid_worker"])
    html = client.get(url(task)).content.decode()
    assert 'data-testid="closed"' in html and "data-task-form" not in html
