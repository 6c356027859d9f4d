"""The workers of an area ranked by their month's score (`grid:supervision_workers`)."""

# ruff: noqa: F811 (month_world, a fixture imported from supervision_world, is a parameter)

import pytest
from django.urls import reverse

from minsheng.grid.models import GridPost

from .supervision_world import month_world  # noqa: F401
from .test_supervision_area import assert_no_personal_data

pytestmark = pytest.mark.django_db


def test_it_ranks_the_city_s_workers_by_score(client, login, cast, month_world):
    w = month_world
    login(cast["supervision"])
    response = client.get(
        reverse("grid:supervision_workers", args=["150300"]), {"month": w["month"].key}
    )
    assert response.status_code == 200
    ranked = [line.code for line in response.context["page"].object_list]
    # 李娜 100, the grid worker 47.6, 朱晨 0; then the idle, unscored; the unheld work last
    assert ranked[:3] == [w["li"].username, w["me"].username, w["zhu"].username]
    assert [line.score for line in response.context["page"].object_list][:3] == [
        100.0,
        47.6,
        0.0,
    ]
    assert response.context["page"].object_list[-1].code == ""  # nobody: 巴音赛 1
    html = response.content.decode()
    assert_no_personal_data(html)


def test_it_lists_an_area_s_idle_workers_and_covers(client, login, cast, areas, month_world):
    login(cast["clerk"])
    response = client.get(reverse("grid:supervision_workers", args=[areas["qingquan"].code]))
    codes = {line.code for line in response.context["page"].object_list}
    q2 = GridPost.objects.get(grid=areas["grids"]["qingquan2"]).worker.username
    assert codes == {cast["grid_worker"].username, q2}
    assert month_world["li"].username not in codes


def test_it_costs_the_same_queries_for_the_city_as_for_a_community(
    client,
    login,
    cast,
    areas,
    month_world,
    django_assert_num_queries,
):
    login(cast["supervision"])
    client.get(reverse("grid:supervision"))
    for code in ("150300", areas["qingquan"].code):
        # session and user (2), the area (1), figures (1), the workers (1), session save (3)
        with django_assert_num_queries(8):
            client.get(reverse("grid:supervision_workers", args=[code]))


def test_it_hides_another_area_from_a_clerk(client, login, cast, areas):
    login(cast["outsider"])
    url = reverse("grid:supervision_workers", args=[areas["qingquan"].code])
    assert client.get(url).status_code == 404
