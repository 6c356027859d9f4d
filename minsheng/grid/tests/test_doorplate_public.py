"""The public page of a smart doorplate (`grid:doorplate` for anyone who does not hold the
house's grid): the community's guide, no personal data, nothing that tells the house, and
an unknown token that looks like any unknown URL."""
# ruff: noqa: F811 (house_world, a fixture imported from doorplate_world, is a parameter)

import secrets

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent
from minsheng.lib.masking import mask_id, mask_name, mask_phone

from .doorplate_world import EVERYONE, house_world  # noqa: F401

pytestmark = pytest.mark.django_db


def page(client, house):
    return client.get(reverse("grid:doorplate", args=[house.doorplate_token]))


def test_it_shows_the_community_its_station_and_the_guide(client, house_world):
    response = page(client, house_world["house"])

    assert response.status_code == 200
    body = response.content.decode()
    assert "清泉社区" in body
    assert "清泉社区服务站" in body
    assert "乌海市海勃湾区新华街道清泉社区党群服务中心一楼" in body
    assert "12333" in body
    assert "城乡居民基本养老保险参保登记" in body
    assert "城乡居民养老保险代缴" in body  # a 免申即享 policy by its Chinese name


def test_it_shows_no_personal_data_masked_or_not(client, house_world):
    house = house_world["house"]

    body = page(client, house).content.decode()

    for someone in EVERYONE:
        for shown in (
            someone.name,
            mask_name(someone.name),
            someone.id_number,
            mask_id(someone.id_number),
            someone.id_number[-4:],
            someone.phone,
            mask_phone(someone.phone),
            someone.phone[-4:],
        ):
            assert shown not in body, shown
    # nor the house: its code, address, building or grid
    for shown in (house.code, house.address, house.building.address, house.building.code):
        assert shown not in body, shown
    assert house.building.grid.name not in body
    assert "data-person" not in body and "update-form" not in body


def test_it_is_the_same_page_for_every_house_of_the_community(client, house_world, areas):
    from conftest import make_house

    other = make_house(areas["grids"]["qingquan2"], 7)

    first = page(client, house_world["house"]).content.decode()
    second = page(client, other).content.decode()

    # but for the sign-in link, which comes back to the page scanned
    token = house_world["house"].doorplate_token
    assert first.count(token) == 1 and second.count(other.doorplate_token) == 1
    assert first.replace(token, "T") == second.replace(other.doorplate_token, "T")


def test_it_keeps_the_token_from_leaking_and_from_shared_caches(client, house_world):
    response = page(client, house_world["house"])

    assert response["Referrer-Policy"] == "no-referrer"
    cache_control = {d.strip() for d in response["Cache-Control"].split(",")}
    assert "private" in cache_control and "max-age=300" in cache_control
    assert "Cookie" in response["Vary"]
    assert '<meta name="referrer" content="no-referrer">' in response.content.decode()


def test_it_answers_an_unknown_token_as_any_unknown_url(client, house_world):
    unknown = client.get(reverse("grid:doorplate", args=[secrets.token_urlsafe(18)]))
    elsewhere = client.get(f"/no-such-page/{secrets.token_urlsafe(18)}/")

    assert unknown.status_code == elsewhere.status_code == 404
    assert unknown.content == elsewhere.content
    assert unknown["Content-Type"] == elsewhere["Content-Type"]
    assert "Referrer-Policy" not in unknown or unknown["Referrer-Policy"] == elsewhere.get(
        "Referrer-Policy"
    )


@pytest.mark.parametrize(
    "path", ["/grid/d/short/", "/grid/d/has%20space-in-it-xxxx/", "/grid/d/" + "a" * 65 + "/"]
)
def test_it_answers_a_malformed_token_as_any_unknown_url(client, house_world, path):
    elsewhere = client.get("/no-such-page/")

    response = client.get(path)

    assert response.status_code == 404
    assert response.content == elsewhere.content


def test_it_does_not_audit_an_anonymous_scan(client, house_world):
    before = AuditEvent.objects.count()

    page(client, house_world["house"])

    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("who", ["neighbour", "other_community"])
def test_it_shows_another_grids_worker_the_public_page_and_audits_it(
    client, login, house_world, who
):
    house = house_world["house"]
    login(house_world[who])

    response = page(client, house)

    body = response.content.decode()
    assert response.status_code == 200
    assert "清泉社区服务站" in body
    assert "陈建国" not in body and "陈**" not in body
    event = AuditEvent.objects.filter(object_type="house").latest("seq")
    assert (event.event_type, event.result, event.object_id) == ("denied", "denied", house.code)
    assert event.actor_username == house_world[who].username


@pytest.mark.parametrize("who", ["clerk", "street_clerk", "city_staff", "supervision"])
def test_it_shows_other_signed_in_roles_the_public_page(client, login, cast, house_world, who):
    login(cast[who])

    response = page(client, house_world["house"])

    body = response.content.decode()
    assert response.status_code == 200
    assert "清泉社区服务站" in body and "陈**" not in body
    assert AuditEvent.objects.filter(
        object_type="house", event_type="denied", actor_username=who
    ).exists()
