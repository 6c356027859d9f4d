"""GET /api/grid/tasks: the worker's tasks, as the phone's tabs, 50 a page."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from minsheng.accounts.models import User
from minsheng.audit.models import AuditEvent

from ..actions import do_create_task, do_issue_device_token, do_submit_result, worker_username
from ..forms import FORMS
from ..models import GridTask, TaskKind, TaskStatus

pytestmark = pytest.mark.django_db


def bearer(worker) -> dict:
    _, token = do_issue_device_token(worker, name="工作手机", acting_user=worker)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tasks(cast, residents):
    """An insurance-willingness task for each of the five residents."""
    for person in residents.values():
        do_create_task(
            person.pk, kind=TaskKind.INSURANCE, reason="参保扩面", acting_user=cast["city_staff"]
        )
    return {t.person_id: t for t in GridTask.objects.all()}


def test_it_lists_only_the_tasks_the_worker_holds_with_masked_names(
    client, cast, residents, tasks, django_assert_max_num_queries
):
    headers = bearer(cast["grid_worker"])
    # (token, grids held, count, page, grid names, the audit event and its chain)
    with django_assert_max_num_queries(11):
        response = client.get(reverse("grid-api:tasks"), headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["page"] == 1 and body["pages"] == 1
    items = {i["id"]: i for i in body["items"]}
    assert set(items) == {tasks[residents["wang"].pk].pk, tasks[residents["zhao"].pk].pk}
    wang = items[tasks[residents["wang"].pk].pk]
    assert wang["resident"] == "王*" and wang["grid_name"] == "清泉社区第1网格"
    assert wang["kind"] == TaskKind.INSURANCE and wang["status"] == "open"
    assert not wang["overdue"] and not wang["via_cover"]
    assert "王芳" not in response.content.decode()


def test_it_gives_the_cover_the_vacant_grid_s_tasks(client, staffed, residents, tasks):
    # 清泉 3 is vacant, covered by the worker of 清泉 2 (the nearest grid number)
    cover = User.objects.get(username=worker_username(staffed["qingquan2"].code))
    body = client.get(reverse("grid-api:tasks"), headers=bearer(cover)).json()
    sun = tasks[residents["sun"].pk]
    assert [i["id"] for i in body["items"]] == [sun.pk]
    assert body["items"][0]["via_cover"]


def test_it_filters_by_status(client, cast, residents, tasks):
    worker = cast["grid_worker"]
    headers = bearer(worker)
    wang, zhao = tasks[residents["wang"].pk], tasks[residents["zhao"].pk]
    GridTask.objects.filter(pk=zhao.pk).update(due_date=timezone.localdate() - timedelta(days=1))
    form = FORMS[TaskKind.INSURANCE]({"insurance_willingness": "2"})
    assert form.is_valid()
    do_submit_result(wang, key=uuid.uuid4(), form=form, acting_user=worker)

    def ids(status):
        response = client.get(reverse("grid-api:tasks"), {"status": status}, headers=headers)
        assert response.status_code == 200
        return [i["id"] for i in response.json()["items"]]

    assert ids("open") == [zhao.pk]
    assert ids("overdue") == [zhao.pk]
    assert ids("done") == [wang.pk]
    response = client.get(reverse("grid-api:tasks"), {"status": "cancelled"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"] == {"status": ["输入一个有效的值。"]}


def test_it_pages_by_fifty(client, cast, residents):
    person = residents["wang"]
    now = timezone.now()
    GridTask.objects.bulk_create(
        GridTask(
            kind=TaskKind.VERIFY,
            status=TaskStatus.DONE,
            due_date=timezone.localdate(),
            person=person,
            district_code=person.resident.district_code,
            town_code=person.resident.town_code,
            community_code=person.resident.community_code,
            grid_code=person.resident.grid_code,
            origin="hand",
            created_at=now,
            closed_at=now - timedelta(minutes=n),
        )
        for n in range(55)
    )
    headers = bearer(cast["grid_worker"])
    first = client.get(reverse("grid-api:tasks"), {"status": "done"}, headers=headers).json()
    second = client.get(
        reverse("grid-api:tasks"), {"status": "done", "page": 2}, headers=headers
    ).json()
    assert (first["count"], first["pages"], len(first["items"])) == (55, 2, 50)
    assert (second["page"], len(second["items"])) == (2, 5)
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    beyond = client.get(reverse("grid-api:tasks"), {"status": "done", "page": 3}, headers=headers)
    assert beyond.status_code == 200 and beyond.json()["items"] == []


def test_it_is_audited_as_a_view_of_the_list(client, cast, tasks):
    client.get(reverse("grid-api:tasks"), headers=bearer(cast["grid_worker"]))
    event = AuditEvent.objects.filter(object_type="grid_task_list").latest("seq")
    assert event.event_type == "view" and event.actor == cast["grid_worker"]
    assert event.details["via"] == "grid_api" and event.details["total"] == 2
