"""The supervision centre's area page (`grid:supervision`, `grid:supervision_area`): a
month's figures per street → community → grid → worker, counts only."""

# ruff: noqa: F811 (month_world, a fixture imported from supervision_world, is a parameter)

import json

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent, EventType
from minsheng.residents.tests.conftest import id_number

from .supervision_world import month_world  # noqa: F401

pytestmark = pytest.mark.django_db

NAMES = ("王芳", "赵强", "孙丽", "钱进", "周敏")
ID_BODIES = (
    "15030219600101100",
    "15030219700202101",
    "15030219800303102",
    "15030219900404103",
    "15030419500505104",
)


def assert_no_personal_data(html: str) -> None:
    for name in NAMES:
        assert name not in html
        assert f"{name[0]}*" not in html  # not even masked
    for body in ID_BODIES:
        assert id_number(body) not in html and body[:14] not in html
    assert "1号楼" not in html  # the houses' addresses (conftest.make_house)


def page(client, name="grid:supervision", month=None, **kwargs):
    query = {"month": month.key} if month is not None else {}
    return client.get(reverse(name, kwargs=kwargs), query)


def test_it_shows_the_supervision_centre_the_city_by_street(client, login, cast, month_world):
    month = month_world["month"]
    login(cast["supervision"])
    response = page(client, month=month)
    assert response.status_code == 200
    html = response.content.decode()
    assert "网格督导 · 乌海市" in html
    assert 'data-testid="total-assigned">9<' in html
    assert 'data-testid="total-overdue">5<' in html
    assert 'data-testid="total-median">3.0<' in html
    # the streets of the city, each with its district, linked with the month kept
    street = reverse("grid:supervision_area", args=["150302001"])
    assert f'href="{street}?month={month.key}"' in html
    assert 'data-row="150302001"' in html and 'data-row="150304001"' in html
    assert "海勃湾区" in html
    # the score's formula, in Chinese
    assert "得分 = 40 × 及时率 + 30 × 完成率 + 20 × (1 − 逾期率) + 10 × 走访覆盖率" in html
    assert_no_personal_data(html)


def test_it_drills_down_to_the_grid_s_workers(client, login, cast, areas, month_world):
    w = month_world
    login(cast["supervision"])
    community = page(client, "grid:supervision_area", w["month"], code=areas["qingquan"].code)
    html = community.content.decode()
    grid1 = areas["grids"]["qingquan1"].code
    assert f'href="{reverse("grid:supervision_area", args=[grid1])}?month={w["month"].key}"' in html
    assert_no_personal_data(html)
    grid = page(client, "grid:supervision_area", w["month"], code=grid1).content.decode()
    worker = reverse("grid:supervision_worker", args=[w["me"].username])
    assert f'href="{worker}?month={w["month"].key}"' in grid
    assert "47.6" in grid  # the worker's score
    assert_no_personal_data(grid)
    # the chart's data (清泉 1, 2, 3): counts only
    chart = json.loads(json.dumps(community.context["chart"]))  # as the page embeds it
    assert chart["bars"]["done"] == [3, 0, 0] and chart["bars"]["overdue"] == [3, 0, 1]
    assert 'id="supervision-data"' in html


def test_it_shows_a_vacant_grid_s_cover_and_the_unheld_work(
    client, login, cast, areas, month_world
):
    login(cast["supervision"])
    m = month_world["month"]
    grid3 = page(client, "grid:supervision_area", m, code=f"{areas['qingquan'].code}003")
    assert "朱晨" in grid3.content.decode()  # the cover, a worker's display name
    bayinsai = page(client, "grid:supervision_area", m, code=areas["grids"]["bayinsai1"].code)
    assert "无人负责（空缺网格无人代管）" in bayinsai.content.decode()


def test_it_shows_a_clerk_their_own_area_only(client, login, cast, areas, month_world):
    m = month_world["month"]
    login(cast["clerk"])
    own = page(client, month=m)
    assert own.status_code == 200 and "网格督导 · 清泉社区" in own.content.decode()
    assert_no_personal_data(own.content.decode())
    assert page(client, "grid:supervision_area", m, code=areas["xinnan"].code).status_code == 404
    assert AuditEvent.objects.filter(
        event_type=EventType.DENIED, object_type="grid_supervision", object_id=areas["xinnan"].code
    ).exists()
    login(cast["street_clerk"])
    street = page(client, month=m).content.decode()
    assert 'data-row="150302001001"' in street and 'data-row="150302001002"' in street


@pytest.mark.parametrize("who", ["grid_worker", "sys_admin", "sec_admin", "audit_admin"])
def test_it_refuses_grid_workers_and_administrators(client, login, cast, who):
    login(cast[who])
    assert client.get(reverse("grid:supervision")).status_code == 403
    assert AuditEvent.objects.filter(
        event_type=EventType.DENIED, actor=cast[who], object_type="grid_supervision"
    ).exists()


def test_it_is_in_the_menu_of_who_may_read_it(client, login, cast):
    url = reverse("grid:supervision")
    for who in ("supervision", "city_staff", "clerk", "viewer"):
        login(cast[who])
        nav = client.get(reverse("residents:dictionary")).context["nav"]
        assert (str(_label) for _label, u in nav if u == url) and "网格督导" in [
            str(label) for label, u in nav if u == url
        ]
    login(cast["grid_worker"])
    nav = client.get(reverse("residents:dictionary")).context["nav"]
    assert url not in [u for _label, u in nav]


def test_it_costs_the_same_queries_for_the_city_as_for_a_grid(
    client,
    login,
    cast,
    areas,
    month_world,
    django_assert_num_queries,
):
    login(cast["supervision"])
    client.get(reverse("grid:supervision"))  # the session's first queries
    urls = [
        reverse("grid:supervision"),
        reverse("grid:supervision_area", args=["150302001"]),
        reverse("grid:supervision_area", args=[areas["qingquan"].code]),
        reverse("grid:supervision_area", args=[areas["grids"]["qingquan1"].code]),
    ]
    # session and user (2), the area (1), the table's figures and its rows' names (2), the
    # totals (1), done per day (1), the session's save (3)
    for url in urls:
        with django_assert_num_queries(10):
            assert client.get(url, {"month": month_world["month"].key}).status_code == 200


def test_it_defaults_to_the_current_month(client, login, cast, month_world):
    login(cast["supervision"])
    html = client.get(reverse("grid:supervision"), {"month": "nonsense"}).content.decode()
    assert "本月，统计至当前。" in html
    # links of the current month carry no month
    assert f'href="{reverse("grid:supervision_area", args=["150302001"])}"' in html
