"""The phone's task list (`grid:phone_tasks`): the worker's tasks by status and due date."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from minsheng.audit.models import AuditEvent

from ..actions import do_create_task, do_reassign_tasks
from ..models import GridTask, Priority, TaskKind

pytestmark = pytest.mark.django_db

URL = reverse("grid:phone_tasks")


def task_for(cast, person, kind, *, days=14, priority=Priority.NORMAL):
    do_create_task(
        person.pk,
        kind=kind,
        reason="test",
        due=timezone.localdate() + timedelta(days=days),
        priority=priority,
        acting_user=cast["city_staff"],
    )
    return GridTask.objects.get(person=person, kind=kind, status="open")


def shown(response) -> list[int]:
    """The task ids of the rows, in order."""
    import re

    return [int(m) for m in re.findall(r'data-task="(\d+)"', response.content.decode())]


def test_it_lists_the_worker_s_open_tasks_by_due_date_then_priority(client, login, cast, residents):
    later = task_for(cast, residents["wang"], TaskKind.INSURANCE, days=9)
    normal = task_for(cast, residents["wang"], TaskKind.CERTIFICATION, days=5)
    urgent = task_for(cast, residents["zhao"], TaskKind.TRAINING, days=5, priority=Priority.URGENT)
    task_for(cast, residents["qian"], TaskKind.INSURANCE)  # 新南 1: another worker's
    login(cast["grid_worker"])
    response = client.get(URL)
    assert response.status_code == 200
    assert shown(response) == [urgent.pk, normal.pk, later.pk]
    html = response.content.decode()
    # the resident's name masked, the task type, the grid and the due date
    assert "王*" in html and "赵*" in html and "王芳" not in html and "钱" not in html
    assert "清泉社区第1网格" in html
    assert (timezone.localdate() + timedelta(days=5)).isoformat() in html
    assert 'data-tab="open"' in html


def test_it_reminds_of_what_is_due_within_two_days_and_flags_the_overdue(
    client, login, cast, residents
):
    soon = task_for(cast, residents["wang"], TaskKind.INSURANCE, days=2)
    late = task_for(cast, residents["zhao"], TaskKind.INSURANCE, days=3)
    task_for(cast, residents["wang"], TaskKind.TRAINING, days=10)
    GridTask.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - timedelta(days=1))
    login(cast["grid_worker"])
    response = client.get(URL)
    html = response.content.decode()
    assert 'data-testid="reminder"' in html
    assert "1 个待办任务将在 2 天内到期" in html
    assert "1 个任务已逾期" in html
    assert shown(response)[:2] == [late.pk, soon.pk]  # the overdue one first
    overdue = client.get(URL, {"status": "overdue"})
    assert shown(overdue) == [late.pk]
    assert 'data-testid="overdue"' in overdue.content.decode()


def test_it_shows_the_done_tab_and_no_reminder_without_anything_due(client, login, cast, residents):
    task = task_for(cast, residents["wang"], TaskKind.INSURANCE, days=10)
    GridTask.objects.filter(pk=task.pk).update(status="done", closed_at=timezone.now())
    login(cast["grid_worker"])
    response = client.get(URL)
    assert shown(response) == []
    assert 'data-testid="reminder"' not in response.content.decode()
    assert shown(client.get(URL, {"status": "done"})) == [task.pk]


def test_it_flags_the_task_of_a_vacant_grid(client, login, cast, residents):
    # 孙丽 lives in 清泉 3, vacant: its task is flagged, and handed to the cast's worker here
    task = task_for(cast, residents["sun"], TaskKind.INSURANCE)
    assert task.via_cover
    do_reassign_tasks([task], worker=cast["grid_worker"], acting_user=cast["clerk"])
    login(cast["grid_worker"])
    response = client.get(URL)
    assert shown(response) == [task.pk]
    assert 'data-testid="vacant"' in response.content.decode()


def test_it_is_audited_as_a_view(client, login, cast, residents):
    task_for(cast, residents["wang"], TaskKind.INSURANCE)
    login(cast["grid_worker"])
    client.get(URL)
    event = AuditEvent.objects.filter(object_type="grid_task_list").latest("id")
    assert event.event_type == "view" and event.actor == cast["grid_worker"]
    assert event.details == {"shown": 1, "total": 1}


@pytest.mark.parametrize("who", ["clerk", "city_staff", "outsider", "supervision"])
def test_it_refuses_who_is_not_a_grid_worker(client, login, cast, who):
    login(cast[who])
    response = client.get(URL)
    assert response.status_code == 403
    event = AuditEvent.objects.filter(object_type="grid_phone").latest("id")
    assert event.result == "denied" and event.actor == cast[who]


def test_it_costs_the_same_queries_for_two_tasks_as_for_ten(
    client, login, cast, residents, django_assert_max_num_queries
):
    task_for(cast, residents["wang"], TaskKind.INSURANCE)
    task_for(cast, residents["zhao"], TaskKind.INSURANCE)
    login(cast["grid_worker"])
    client.get(URL)  # the session's first queries
    with CaptureQueriesContext(connection) as two:
        client.get(URL)
    for kind in (TaskKind.TRAINING, TaskKind.CERTIFICATION, TaskKind.JOB_SEEKER, TaskKind.VERIFY):
        task_for(cast, residents["wang"], kind)
        task_for(cast, residents["zhao"], kind)
    with django_assert_max_num_queries(len(two.captured_queries)):
        response = client.get(URL)
    assert len(shown(response)) == 10
    # session, user, the counts, the rows, the grids' names, the audit event (and savepoints)
    assert len(two.captured_queries) <= 14


def test_it_is_in_the_grid_worker_s_menu_only(client, login, cast):
    login(cast["grid_worker"])
    page = client.get(reverse("geo:area_detail", args=[cast["grid_worker"].area.code]))
    assert f'href="{URL}"' in page.content.decode()
    client.logout()
    login(cast["clerk"])
    page = client.get(reverse("geo:area_detail", args=[cast["clerk"].area.code]))
    assert f'href="{URL}"' not in page.content.decode()
