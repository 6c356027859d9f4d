"""POST /api/grid/tasks/{id}/result: a task's result as JSON, with an Idempotency-Key."""

import base64
import json
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from minsheng.audit.models import AuditEvent
from minsheng.sources.models import fact_model

from ..actions import do_create_task, do_issue_device_token
from ..models import GridTask, TaskKind, TaskResult

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


@pytest.fixture
def headers(cast):
    worker = cast["grid_worker"]
    _, token = do_issue_device_token(worker, name="工作手机", acting_user=worker)
    return {"Authorization": f"Bearer {token}"}


def task_for(cast, person, kind=TaskKind.INSURANCE):
    do_create_task(person.pk, kind=kind, reason="test", acting_user=cast["city_staff"])
    return GridTask.objects.get(person=person, kind=kind, status="open")


def post(client, task, body, headers, key=None):
    extra = {"Idempotency-Key": str(key)} if key is not None else {}
    return client.post(
        reverse("grid-api:task_result", kwargs={"task_id": task.pk}),
        data=json.dumps(body),
        content_type="application/json",
        headers={**headers, **extra},
    )


WILLING = {"insurance_willingness": "1", "income_band": "100"}


def test_it_records_a_new_result_with_201(client, cast, residents, headers):
    task = task_for(cast, residents["wang"])
    key = uuid.uuid4()
    response = post(client, task, WILLING, headers, key)
    assert response.status_code == 201
    body = response.json()
    assert body["task"] == task.pk and body["key"] == str(key)
    assert body["status"] == "done" and body["replayed"] is False
    result = TaskResult.objects.get(task=task)
    assert result.key == key and result.submitted_by == cast["grid_worker"]
    assert result.data == WILLING
    fact = fact_model("grid_collect").objects.get(batch_id=result.batch_id)
    assert fact.worker == "grid_worker" and fact.task_id == task.pk
    task.refresh_from_db()
    assert task.status == "done"
    assert AuditEvent.objects.filter(object_type="grid_task", object_id=str(task.pk)).exists()


def test_it_answers_the_same_key_again_with_the_first_result(client, cast, residents, headers):
    task = task_for(cast, residents["wang"])
    key = uuid.uuid4()
    first = post(client, task, WILLING, headers, key)
    # a retry whose body changed (or is empty) still gets the first result
    again = post(client, task, {"insurance_willingness": "2"}, headers, key)
    empty = post(client, task, {}, headers, key)
    assert first.status_code == 201
    assert again.status_code == 200 and empty.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}
    assert TaskResult.objects.count() == 1
    assert fact_model("grid_collect").objects.count() == 1
    assert TaskResult.objects.get().data == WILLING


def test_it_refuses_a_key_of_another_task_with_409(client, cast, residents, headers):
    wang, zhao = task_for(cast, residents["wang"]), task_for(cast, residents["zhao"])
    key = uuid.uuid4()
    assert post(client, wang, WILLING, headers, key).status_code == 201
    response = post(client, zhao, WILLING, headers, key)
    assert response.status_code == 409
    assert TaskResult.objects.count() == 1
    zhao.refresh_from_db()
    assert zhao.is_open


def test_it_refuses_a_second_result_for_a_done_task_with_409(client, cast, residents, headers):
    task = task_for(cast, residents["wang"])
    assert post(client, task, WILLING, headers, uuid.uuid4()).status_code == 201
    response = post(client, task, WILLING, headers, uuid.uuid4())
    assert response.status_code == 409
    assert TaskResult.objects.count() == 1
    # a cancelled task too
    other = task_for(cast, residents["zhao"])
    GridTask.objects.filter(pk=other.pk).update(status="cancelled", closed_at=timezone.now())
    assert post(client, other, WILLING, headers, uuid.uuid4()).status_code == 409


def test_it_answers_the_form_s_errors_in_chinese_with_422(client, cast, residents, headers):
    task = task_for(cast, residents["wang"])
    response = post(client, task, {"income_band": "7"}, headers, uuid.uuid4())
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors["insurance_willingness"] == ["这个字段是必填项。"]
    assert errors["income_band"] == ["选择一个有效的选项。 7 不在可用的选项中。"]
    assert not TaskResult.objects.exists()
    task.refresh_from_db()
    assert task.is_open


def test_it_refuses_unknown_fields_and_a_body_that_is_no_object(client, cast, residents, headers):
    task = task_for(cast, residents["wang"])
    response = post(client, task, {**WILLING, "incomeband": "100"}, headers, uuid.uuid4())
    assert response.status_code == 422 and set(response.json()["errors"]) == {"incomeband"}
    response = post(client, task, ["1"], headers, uuid.uuid4())
    assert response.status_code == 422
    assert not TaskResult.objects.exists()


def test_it_needs_an_idempotency_key_that_is_a_uuid(client, cast, residents, headers):
    task = task_for(cast, residents["wang"])
    missing = post(client, task, WILLING, headers)
    assert missing.status_code == 422
    assert missing.json()["errors"] == {"Idempotency-Key": ["这个字段是必填项。"]}
    malformed = post(client, task, WILLING, headers, "retry-1")
    assert malformed.status_code == 422 and "Idempotency-Key" in malformed.json()["errors"]
    assert not TaskResult.objects.exists()


def test_it_takes_the_certification_s_images_as_base64(client, cast, residents, headers):
    task = task_for(cast, residents["wang"], TaskKind.CERTIFICATION)
    body = {
        "outcome": "certified",
        "certification_date": timezone.localdate().isoformat(),
        "photo": base64.b64encode(JPEG).decode(),
        "signature": "data:image/png;base64," + base64.b64encode(PNG).decode(),
    }
    response = post(client, task, body, headers, uuid.uuid4())
    assert response.status_code == 201, response.json()
    result = TaskResult.objects.get(task=task)
    assert bytes(result.photo) == JPEG and bytes(result.signature) == PNG
    assert result.data["photo"] == {"bytes": len(JPEG)}


def test_it_refuses_images_that_are_not_base64_or_not_images(client, cast, residents, headers):
    task = task_for(cast, residents["wang"], TaskKind.CERTIFICATION)
    body = {
        "outcome": "certified",
        "certification_date": timezone.localdate().isoformat(),
        "photo": "not base64!",
        "signature": base64.b64encode(b"GIF89a" + b"\x00" * 50).decode(),
    }
    response = post(client, task, body, headers, uuid.uuid4())
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"photo", "signature"}
    assert not TaskResult.objects.exists()


def test_it_answers_404_for_another_grid_s_task_and_audits_it(client, cast, residents, headers):
    task = task_for(cast, residents["qian"])  # 新南 1
    response = post(client, task, WILLING, headers, uuid.uuid4())
    assert response.status_code == 404
    event = AuditEvent.objects.filter(event_type="denied").latest("seq")
    assert (event.object_type, event.object_id) == ("grid_task", str(task.pk))
    assert not TaskResult.objects.exists()


def test_it_refuses_a_body_larger_than_two_images_with_413(client, cast, residents, headers):
    task = task_for(cast, residents["wang"])
    response = post(client, task, {"note": "长" * 3_000_000}, headers, uuid.uuid4())
    assert response.status_code == 413
    assert not TaskResult.objects.exists()
