"""The doorplate opened by a grid worker holding the house's grid (`grid:doorplate`): the
house's residents, masked as a grid worker reads them, each with the 信息更新 form."""
# ruff: noqa: F811 (house_world, a fixture imported from doorplate_world, is a parameter)

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent
from minsheng.lib.masking import mask_phone

from .doorplate_world import PEOPLE, house_world  # noqa: F401

pytestmark = pytest.mark.django_db


def page(client, house):
    return client.get(reverse("grid:doorplate", args=[house.doorplate_token]))


def test_it_shows_the_residents_masked(client, login, house_world):
    login(house_world["worker"])

    response = page(client, house_world["house"])

    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('data-testid="resident"') == 3
    assert "欧阳**" in body and "陈**" in body and "刘**" in body
    for someone in PEOPLE:
        assert someone.name not in body
        assert someone.id_number not in body and someone.id_number[-4:] not in body
        assert someone.phone not in body
    assert mask_phone("13912345678") in body
    assert house_world["house"].address in body  # the worker is at the door


def test_it_shows_only_this_houses_residents(client, login, house_world, residents):
    # 王芳 and 赵强 live in the same grid, not at this house
    login(house_world["worker"])

    body = page(client, house_world["house"]).content.decode()

    assert "王*" not in body and "赵*" not in body


def test_it_offers_the_update_form_with_a_key_to_each_living_resident(client, login, house_world):
    login(house_world["worker"])

    body = page(client, house_world["house"]).content.decode()

    assert body.count('data-testid="update-form"') == 2  # not to 刘秀英, who died
    assert body.count('name="key"') == 2
    assert 'data-testid="survival"' in body and "死亡" in body
    update = reverse("grid:doorplate_update", args=[house_world["house"].doorplate_token])
    assert f'action="{update}"' in body


def test_it_opens_a_house_of_a_vacant_grid_to_its_cover(client, login, house_world):
    login(house_world["cover"])

    body = page(client, house_world["covered_house"]).content.decode()

    assert body.count('data-testid="resident"') == 1 and "马*" in body


def test_it_audits_the_view_of_the_house_with_its_residents(client, login, house_world):
    login(house_world["worker"])

    page(client, house_world["house"])

    event = AuditEvent.objects.filter(object_type="house").latest("seq")
    assert (event.event_type, event.object_id) == ("view", house_world["house"].code)
    persons = house_world["persons"]
    assert sorted(event.details["persons"]) == sorted(
        persons[k].pk for k in ("ouyang", "chen", "liu")
    )


def test_it_is_kept_out_of_every_cache(client, login, house_world):
    login(house_world["worker"])

    response = page(client, house_world["house"])

    assert response["Cache-Control"] == "no-store"
    # not no-referrer: its forms would post `Origin: null`, refused by the CSRF check
    assert response["Referrer-Policy"] == "same-origin"


def test_it_hides_the_residents_from_a_worker_of_another_grid(client, login, house_world):
    login(house_world["neighbour"])

    body = page(client, house_world["house"]).content.decode()

    assert 'data-testid="resident"' not in body and "陈**" not in body
    assert "清泉社区服务站" in body


def test_it_reads_a_house_in_a_fixed_number_of_queries(
    client, login, house_world, django_assert_max_num_queries
):
    login(house_world["worker"])

    with django_assert_max_num_queries(14):
        response = page(client, house_world["house"])

    assert response.status_code == 200
