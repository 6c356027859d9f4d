"""The theme pages: headline counts and charts in the user's scope, drill-down by area."""

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent, EventType
from minsheng.screening import catalog

pytestmark = pytest.mark.django_db


def test_it_shows_every_theme_with_its_count_in_the_users_scope(cast, login, graduates):
    # given a street clerk of 新华街道
    client = login(cast["street_clerk"])

    # when they open the screening index
    response = client.get(reverse("screening:index"))

    # then every theme of the catalogue is a card, graduates counting their street's three
    assert response.status_code == 200
    cards = {c["theme"].code: c["count"] for c in response.context["cards"]}
    assert set(cards) == {t.code for t in catalog.themes()}
    assert cards["graduates"] == 3


@pytest.mark.parametrize(
    ("who", "population", "unemployed"),
    [
        ("street_clerk", 3, 2),
        ("clerk", 3, 2),
        ("grid_worker", 2, 1),
        ("outsider", 1, 1),
        ("city_staff", 4, 3),
    ],
)
def test_it_counts_the_theme_and_its_lists_in_scope(
    cast, login, graduates, who, population, unemployed
):
    # given a user of some area
    client = login(cast[who])

    # when they open the graduates theme
    response = client.get(reverse("screening:theme", args=["graduates"]))

    # then the figures are those of their area only
    assert response.status_code == 200
    assert response.context["total"] == population
    counts = {row["rule"].code: row["count"] for row in response.context["lists"]}
    assert counts["graduates_unemployed"] == unemployed
    assert set(counts) == {r.code for r in catalog.theme("graduates").lists}


def test_it_groups_the_charts_by_child_area_age_sex_and_employment(cast, login, graduates):
    # given a street clerk
    client = login(cast["street_clerk"])

    # when they open the graduates theme for their street
    charts = client.get(reverse("screening:theme", args=["graduates"])).context["charts"]

    # then the street's communities, age bands, sexes and employment statuses are counted
    by_area = dict(zip(charts["area"]["names"], charts["area"]["values"], strict=True))
    assert by_area["清泉社区"] == 3
    assert by_area["新南社区"] == 0
    assert sum(charts["age"]["values"]) == 3
    assert dict(zip(charts["sex"]["names"], charts["sex"]["values"], strict=True)) == {
        "男": 1,
        "女": 2,
    }
    assert sorted(charts["employment"]["names"]) == sorted(["未就业", "就业", "登记失业"])


def test_it_drills_down_to_a_community_and_its_grids(cast, login, graduates, areas):
    # given a street clerk
    client = login(cast["street_clerk"])

    # when they drill down to 清泉社区
    response = client.get(
        reverse("screening:theme", args=["graduates"]), {"area": areas["qingquan"].code}
    )

    # then the community's grids are the chart's bars, with a drill-down link each
    assert response.status_code == 200
    assert response.context["total"] == 3
    assert response.context["charts"]["area"]["values"] == [2, 1]
    assert f"?area={areas['grids']['qingquan1'].code}" in response.content.decode()


def test_it_refuses_to_drill_down_outside_the_users_scope(cast, login, graduates, areas):
    # given a street clerk of 新华街道
    client = login(cast["street_clerk"])

    # when they ask for a community of 巴音赛街道
    outside = areas["bayinsai_community"].code
    response = client.get(reverse("screening:theme", args=["graduates"]), {"area": outside})

    # then the answer is 404 and the refusal is audited
    assert response.status_code == 404
    assert AuditEvent.objects.filter(
        event_type=EventType.DENIED, object_type="area", object_id=outside
    ).exists()


def test_it_answers_404_for_an_unknown_theme(cast, login):
    client = login(cast["clerk"])
    assert client.get(reverse("screening:theme", args=["nosuch"])).status_code == 404


@pytest.mark.parametrize("who", ["sys_admin", "sec_admin", "audit_admin", "supervision"])
@pytest.mark.parametrize(
    "url",
    [
        ("screening:index", []),
        ("screening:theme", ["graduates"]),
        ("screening:list", ["graduates", "graduates_unemployed"]),
        ("screening:export", ["graduates", "graduates_unemployed"]),
        ("screening:snapshots", []),
    ],
)
def test_it_refuses_administrators_and_supervision(cast, login, graduates, who, url):
    # given a user who may see no personal data
    client = login(cast[who])

    # when they open a screening page
    response = client.get(reverse(url[0], args=url[1]))

    # then they are refused, and the refusal is audited
    assert response.status_code == 403
    assert AuditEvent.objects.filter(
        event_type=EventType.DENIED, actor_username=cast[who].username
    ).exists()


def test_it_puts_the_entry_in_the_menu_only_for_who_may_see_personal_data(cast, login):
    # given a clerk and a system administrator
    url = reverse("screening:index")

    # then the clerk's menu has 精准服务 and the administrator's does not
    assert url in login(cast["clerk"]).get(reverse("residents:dictionary")).content.decode()
    client = login(cast["sys_admin"])
    assert url not in client.get(reverse("system_status")).content.decode()


def test_it_draws_a_population_pyramid_for_the_population_theme(cast, login, graduates):
    # given the whole-population theme (skipped while its file is not there)
    if "population" not in {t.code for t in catalog.themes()}:
        pytest.skip("population.toml not in the catalogue")
    client = login(cast["street_clerk"])

    # when the street clerk opens it
    charts = client.get(reverse("screening:theme", args=["population"])).context["charts"]

    # then the pyramid counts men (negative, to the left) and women per age band
    pyramid = charts["pyramid"]
    assert -sum(pyramid["male"]) == 2  # 王小明, 周老
    assert sum(pyramid["female"]) == 2  # 赵丽, 钱多
    assert pyramid["male"][pyramid["names"].index("65+")] == -1
