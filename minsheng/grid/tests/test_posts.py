"""The staffing page (`grid:posts`) and its two forms (`grid:post_vacate`, `grid:post_assign`)."""

import pytest
from django.urls import reverse

from conftest import make_user
from minsheng.accounts.roles import Role
from minsheng.audit.models import AuditEvent

from ..models import GridPost

pytestmark = pytest.mark.django_db


def test_it_lists_the_grids_of_the_clerks_area_with_vacancies(client, login, staffed, cast):
    login(cast["clerk"])
    response = client.get(reverse("grid:posts"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("qingquan1", "qingquan2", "qingquan3"):
        assert f'data-grid="{staffed[name].code}"' in html
    assert f'data-grid="{staffed["xinnan1"].code}"' not in html
    assert "空缺（已代管）" in html
    # the worker's phone is masked
    assert "13900000002" not in html
    assert "139****0002" in html


def test_it_costs_the_same_queries_for_a_street_as_for_a_community(
    client, login, staffed, cast, django_assert_num_queries
):
    login(cast["clerk"])
    client.get(reverse("grid:posts"))  # the session's first queries
    with django_assert_num_queries(8):
        client.get(reverse("grid:posts"))
    client.logout()
    login(cast["street_clerk"])
    client.get(reverse("grid:posts"))
    with django_assert_num_queries(8):
        client.get(reverse("grid:posts"))


def test_it_records_a_worker_leaving_from_the_page(client, login, staffed, cast):
    login(cast["clerk"])
    cover = GridPost.objects.get(grid=staffed["qingquan2"]).worker
    response = client.post(
        reverse("grid:post_vacate", args=[staffed["qingquan1"].code]),
        {"reason": "辞职", "cover": cover.username},
        follow=True,
    )
    assert "已保存" in response.content.decode()
    post = GridPost.objects.get(grid=staffed["qingquan1"])
    assert post.vacant and post.cover == cover
    assert AuditEvent.objects.filter(object_type="grid_post", actor=cast["clerk"]).exists()


def test_it_says_in_chinese_why_a_cover_is_refused(client, login, staffed, cast):
    login(cast["clerk"])
    response = client.post(
        reverse("grid:post_vacate", args=[staffed["qingquan1"].code]),
        {"reason": "辞职", "cover": "street_clerk"},
        follow=True,
    )
    assert "代管人须为同一街道其他网格的网格员" in response.content.decode()
    assert GridPost.objects.get(grid=staffed["qingquan1"]).worker == cast["grid_worker"]


def test_it_hands_a_vacant_grid_to_its_new_worker(client, login, staffed, cast):
    newcomer = make_user("newcomer", Role.GRID_WORKER, staffed["qingquan3"])
    login(cast["clerk"])
    page = client.get(reverse("grid:posts")).content.decode()
    assert 'value="newcomer"' in page
    client.post(
        reverse("grid:post_assign", args=[staffed["qingquan3"].code]), {"worker": "newcomer"}
    )
    assert GridPost.objects.get(grid=staffed["qingquan3"]).worker == newcomer


def test_it_hides_another_areas_grid_from_the_outsider(client, login, staffed, cast):
    login(cast["outsider"])
    response = client.post(
        reverse("grid:post_vacate", args=[staffed["qingquan1"].code]), {"reason": "辞职"}
    )
    assert response.status_code == 404
    assert AuditEvent.objects.filter(
        event_type="denied", object_type="grid_post", actor=cast["outsider"]
    ).exists()
    assert GridPost.objects.get(grid=staffed["qingquan1"]).worker == cast["grid_worker"]


def test_it_lets_a_viewer_read_but_not_change(client, login, staffed, cast):
    login(cast["viewer"])
    page = client.get(reverse("grid:posts")).content.decode()
    assert staffed["qingquan1"].code in page
    assert "post_vacate" not in page and "/vacate/" not in page
    response = client.post(
        reverse("grid:post_vacate", args=[staffed["qingquan1"].code]), {"reason": "辞职"}
    )
    assert response.status_code == 403
