"""A grid worker's month (`grid:supervision_worker`): per grid, the score and its parts,
done per day; audited; no resident's data."""

# ruff: noqa: F811 (month_world, a fixture imported from supervision_world, is a parameter)

import pytest
from django.urls import reverse

from conftest import make_user
from minsheng.accounts.roles import Role
from minsheng.audit.models import AuditEvent, EventType

from .supervision_world import month_world  # noqa: F401
from .test_supervision_area import assert_no_personal_data

pytestmark = pytest.mark.django_db


def url(user) -> str:
    return reverse("grid:supervision_worker", args=[user.username])


def test_it_shows_the_worker_s_month_and_score(client, login, cast, areas, month_world):
    w = month_world
    login(cast["supervision"])
    response = client.get(url(w["me"]), {"month": w["month"].key})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="total-score">47.6<' in html
    assert 'data-testid="total-median">4.0<' in html
    assert 'data-testid="total-on-time">67%<' in html
    # the parts of the score: timely 2/6 of 40, completion 3/7 of 30, 1 − 3/7 of 20, reach 10
    parts = {p["name"]: p["points"] for p in response.context["parts"]}
    assert parts == {"timely": "13.3", "completion": "12.9", "not_overdue": "11.4", "reach": "10.0"}
    grid1 = areas["grids"]["qingquan1"].code
    assert f'href="{reverse("grid:supervision_area", args=[grid1])}?month={w["month"].key}"' in html
    assert_no_personal_data(html)
    event = AuditEvent.objects.get(event_type=EventType.VIEW, object_type="grid_worker_figures")
    assert event.object_id == w["me"].username and event.details == {"month": w["month"].key}


def test_it_counts_only_the_reader_s_area(client, login, cast, month_world):
    w = month_world
    login(cast["clerk"])  # 清泉社区: 朱晨 works 清泉 2 and covers 清泉 3
    response = client.get(url(w["zhu"]), {"month": w["month"].key})
    assert response.status_code == 200
    assert response.context["total"].f.overdue == 1


def test_it_hides_a_worker_of_another_area(client, login, cast, month_world):
    w = month_world
    login(cast["clerk"])
    assert client.get(url(w["li"])).status_code == 404  # 李娜 works 新南社区
    assert AuditEvent.objects.filter(
        event_type=EventType.DENIED, object_id=w["li"].username
    ).exists()
    login(cast["outsider"])
    assert client.get(url(w["me"])).status_code == 404


def test_it_finds_no_worker_behind_another_account(client, login, cast, areas):
    login(cast["supervision"])
    assert client.get(url(cast["clerk"])).status_code == 404
    assert client.get(reverse("grid:supervision_worker", args=["nobody"])).status_code == 404
    idle = make_user("idle", Role.GRID_WORKER, areas["grids"]["qingquan2"])
    response = client.get(url(idle))
    assert response.status_code == 200
    assert 'data-testid="total-score">—<' in response.content.decode()


def test_it_refuses_a_grid_worker_even_their_own_page(client, login, cast):
    login(cast["grid_worker"])
    assert client.get(url(cast["grid_worker"])).status_code == 403
