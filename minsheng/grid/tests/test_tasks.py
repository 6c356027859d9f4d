"""The clerks' grid task list (`grid:tasks`)."""

from datetime import timedelta

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent
from minsheng.geo.models import Area

from ..actions import do_create_task
from ..models import GridTask, TaskKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def tasks(cast, residents):
    for p in residents.values():
        do_create_task(
            p.pk, kind=TaskKind.INSURANCE, reason="参保扩面", acting_user=cast["city_staff"]
        )
    return {k: GridTask.objects.get(person=p) for k, p in residents.items()}


def test_it_lists_the_tasks_of_the_clerk_s_area_masked(client, login, cast, tasks):
    login(cast["clerk"])
    html = client.get(reverse("grid:tasks")).content.decode()
    for name in ("wang", "zhao", "sun"):
        assert f'data-task="{tasks[name].pk}"' in html
    for name in ("qian", "zhou"):
        assert f'data-task="{tasks[name].pk}"' not in html
    assert "王芳" not in html and "王*" in html
    assert "空缺网格" in html  # 孙丽's grid is vacant
    # each task names its grid (the grid's code on hover)
    assert (
        f'title="{tasks["wang"].grid_code}">{Area.objects.get(code=tasks["wang"].grid_code).name}'
        in html
    )
    assert AuditEvent.objects.filter(object_type="grid_tasks", event_type="view").exists()


def test_it_marks_overdue_tasks_and_filters_them(client, login, cast, tasks):
    GridTask.objects.filter(pk=tasks["wang"].pk).update(
        due_date=tasks["wang"].created_at.date() - timedelta(days=1)
    )
    login(cast["clerk"])
    html = client.get(reverse("grid:tasks"), {"flag": "overdue"}).content.decode()
    assert f'data-task="{tasks["wang"].pk}"' in html and 'data-testid="overdue"' in html
    assert f'data-task="{tasks["zhao"].pk}"' not in html


def test_it_costs_the_same_queries_for_more_tasks(client, login, cast, tasks, residents):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(cast["street_clerk"])
    client.get(reverse("grid:tasks"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("grid:tasks"))
    for p in residents.values():
        do_create_task(p.pk, kind=TaskKind.TRAINING, reason="培训", acting_user=cast["city_staff"])
    with CaptureQueriesContext(connection) as more:
        html = client.get(reverse("grid:tasks")).content.decode()
    assert html.count("data-task=") == 8
    assert len(more) == len(few) <= 14


def test_it_is_refused_to_grid_workers_and_the_supervision_centre(client, login, cast, tasks):
    for who in ("grid_worker", "supervision"):
        login(cast[who])
        assert client.get(reverse("grid:tasks")).status_code == 403


def test_it_shows_the_outsider_none_of_another_area(client, login, cast, tasks):
    login(cast["outsider"])
    html = client.get(reverse("grid:tasks")).content.decode()
    assert f'data-task="{tasks["zhou"].pk}"' in html
    assert f'data-task="{tasks["wang"].pk}"' not in html
