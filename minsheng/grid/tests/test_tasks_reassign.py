"""Handing tasks over from the list (`grid:tasks_reassign`) and cancelling one (`grid:task_cancel`)."""

import pytest
from django.urls import reverse

from minsheng.accounts.models import User

from ..actions import do_create_task
from ..models import GridTask, TaskKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def tasks(cast, residents):
    for p in residents.values():
        do_create_task(p.pk, kind=TaskKind.VERIFY, reason="核实", acting_user=cast["city_staff"])
    return {k: GridTask.objects.get(person=p) for k, p in residents.items()}


def test_it_hands_the_chosen_tasks_to_a_worker(client, login, cast, staffed, tasks):
    other = User.objects.get(username=f"wg{staffed['qingquan2'].code}")
    login(cast["clerk"])
    response = client.post(
        reverse("grid:tasks_reassign"),
        {"task": [tasks["wang"].pk, tasks["zhao"].pk], "worker": other.username},
        follow=True,
    )
    assert "已转交 2 个任务" in response.content.decode()
    assert set(GridTask.objects.filter(assignee=other)) == {tasks["wang"], tasks["zhao"]}


def test_it_refuses_a_task_of_another_area_as_not_found(client, login, cast, tasks):
    login(cast["clerk"])
    response = client.post(reverse("grid:tasks_reassign"), {"task": [tasks["zhou"].pk]})
    assert response.status_code == 404
    assert not GridTask.objects.filter(assignee__isnull=False).exists()


def test_it_cancels_with_a_reason(client, login, cast, tasks):
    login(cast["clerk"])
    url = reverse("grid:task_cancel", args=[tasks["wang"].pk])
    response = client.post(url, {"reason": ""}, follow=True)
    assert "请说明取消任务的原因" in response.content.decode()
    client.post(url, {"reason": "居民已搬离"})
    tasks["wang"].refresh_from_db()
    assert tasks["wang"].status == "cancelled" and tasks["wang"].cancel_reason == "居民已搬离"
    assert (
        client.post(
            reverse("grid:task_cancel", args=[tasks["zhou"].pk]), {"reason": "x"}
        ).status_code
        == 404
    )
