import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent


@pytest.mark.django_db
def test_it_shows_a_clerk_their_community_with_grids_and_houses(cast, areas, login):
    client = login(cast["clerk"])
    response = client.get(reverse("geo:area_detail", args=["150302001001"]))
    assert response.status_code == 200
    assert "清泉社区第1网格" in response.content.decode()
    assert [c.code for c in response.context["children"]] == [
        areas["grids"]["qingquan1"].code,
        areas["grids"]["qingquan2"].code,
    ]
    assert [c.house_count for c in response.context["children"]] == [1, 1]


@pytest.mark.django_db
def test_it_counts_a_street_clerks_communities(cast, areas, login):
    client = login(cast["street_clerk"])
    response = client.get(reverse("geo:area_detail", args=["150302001"]))
    children = {c.code: c for c in response.context["children"]}
    assert len(children) == 5
    assert children["150302001001"].grid_count == 2
    assert children["150302001002"].house_count == 1
    assert children["150302001003"].house_count == 0


@pytest.mark.django_db
def test_it_refuses_an_outsider_and_audits_the_refusal(cast, areas, login):
    client = login(cast["outsider"])
    response = client.get(reverse("geo:area_detail", args=["150302001001"]))
    assert response.status_code == 404
    event = AuditEvent.objects.filter(event_type="denied").get()
    assert (event.actor_username, event.object_id) == ("outsider", "150302001001")


@pytest.mark.django_db
def test_it_refuses_a_clerk_the_street_above_them(cast, areas, login):
    client = login(cast["clerk"])
    assert client.get(reverse("geo:area_detail", args=["150302001"])).status_code == 404


@pytest.mark.django_db
def test_it_shows_a_grid_worker_the_buildings_of_their_grid(cast, areas, login):
    client = login(cast["grid_worker"])
    grid = areas["grids"]["qingquan1"]
    response = client.get(reverse("geo:area_detail", args=[grid.code]))
    assert response.status_code == 200
    assert [b.house_count for b in response.context["buildings"]] == [1]
    assert (
        client.get(reverse("geo:area_detail", args=[areas["grids"]["qingquan2"].code])).status_code
        == 404
    )


@pytest.mark.django_db
def test_it_sends_anonymous_users_to_login(client, areas):
    response = client.get(reverse("geo:area_detail", args=["150302"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_it_lists_the_city_in_a_fixed_number_of_queries(
    cast, areas, login, django_assert_max_num_queries
):
    client = login(cast["city_staff"])
    client.get(reverse("geo:area_detail", args=["150300"]))  # warm the session
    with django_assert_max_num_queries(12):
        response = client.get(reverse("geo:area_detail", args=["150300"]))
    assert len(response.context["children"]) == 3
