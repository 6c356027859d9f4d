"""GET /api/grid/tasks/{id}: a task the worker holds with its resident card (only what the
task needs, masked as a grid worker reads them); an audited view of the resident."""

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent
from minsheng.residents.models import Resident

from ..actions import do_create_task, do_issue_device_token
from ..forms import CARD_ITEMS
from ..models import GridTask, TaskKind

pytestmark = pytest.mark.django_db


def bearer(worker) -> dict:
    _, token = do_issue_device_token(worker, name="工作手机", acting_user=worker)
    return {"Authorization": f"Bearer {token}"}


def task_for(cast, person, kind):
    do_create_task(person.pk, kind=kind, reason="信息更新", acting_user=cast["city_staff"])
    return GridTask.objects.get(person=person, kind=kind, status="open")


def test_it_shows_only_the_card_items_of_the_kind_masked(client, cast, crypto, residents):
    wang = residents["wang"]
    Resident.objects.filter(pk=wang.pk).update(
        residence_address="内蒙古乌海市海勃湾区新华街道清泉社区3号楼2单元301",
        identity_phone=crypto.encrypt("13812345678"),
        residence_lives_alone=True,
        insurance_willingness="1",
    )
    task = task_for(cast, wang, TaskKind.INFO_UPDATE)
    response = client.get(
        reverse("grid-api:task", kwargs={"task_id": task.pk}), headers=bearer(cast["grid_worker"])
    )
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == task.pk and body["kind"] == TaskKind.INFO_UPDATE
    assert body["resident"] == "王*" and body["result"] is None
    card = {line["code"]: line["value"] for line in body["card"]}
    expected = {"identity.name", "identity.sex", "identity.age", "residence.address"}
    assert set(card) == expected | set(CARD_ITEMS[TaskKind.INFO_UPDATE])
    assert card["identity.name"] == "王*"
    assert card["identity.sex"] == "女"
    assert card["residence.address"] == "内蒙古乌海市海勃湾区新华街道清泉社区***"
    assert card["identity.phone"] == "138****5678"
    text = response.content.decode()
    for secret in ("王芳", "13812345678", "3号楼", "150302196001011"):
        assert secret not in text
    # what another kind needs is not on this card
    assert "insurance.willingness" not in card


def test_it_is_an_audited_view_of_the_resident(client, cast, residents):
    task = task_for(cast, residents["zhao"], TaskKind.JOB_SEEKER)
    client.get(
        reverse("grid-api:task", kwargs={"task_id": task.pk}), headers=bearer(cast["grid_worker"])
    )
    event = AuditEvent.objects.filter(event_type="view", object_type="resident").latest("seq")
    assert event.object_id == str(residents["zhao"].pk)
    assert event.actor == cast["grid_worker"]
    assert event.details == {"task": task.pk, "kind": TaskKind.JOB_SEEKER, "via": "grid_api"}


def test_it_answers_404_for_another_grid_s_task_and_audits_it(client, cast, residents):
    task = task_for(cast, residents["qian"], TaskKind.INSURANCE)  # 新南 1
    headers = bearer(cast["grid_worker"])
    response = client.get(reverse("grid-api:task", kwargs={"task_id": task.pk}), headers=headers)
    assert response.status_code == 404
    assert response.json() == {"detail": "未找到。"}
    event = AuditEvent.objects.filter(event_type="denied").latest("seq")
    assert (event.object_type, event.object_id) == ("grid_task", str(task.pk))
    assert event.actor == cast["grid_worker"]
    # a task that does not exist looks the same
    missing = client.get(reverse("grid-api:task", kwargs={"task_id": 987654}), headers=headers)
    assert missing.status_code == 404 and missing.json() == response.json()
    assert not AuditEvent.objects.filter(
        event_type="view", object_type="resident", object_id=str(residents["qian"].pk)
    ).exists()
