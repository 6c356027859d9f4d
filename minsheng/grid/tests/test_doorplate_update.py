"""A grid worker's 信息更新 from the doorplate (`grid:doorplate_update`): recorded as a visit,
a 网格采集 fact with the task's provenance, once per idempotency key."""
# ruff: noqa: F811 (house_world, a fixture imported from doorplate_world, is a parameter)

import uuid

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent
from minsheng.residents.models import Resident
from minsheng.sources.models import fact_model

from ..models import GridTask, TaskKind, TaskResult
from .conftest import archive_pending
from .doorplate_world import house_world  # noqa: F401

pytestmark = pytest.mark.django_db


def update(client, house, person, key=None, **fields):
    data = {"person": person.pk, "key": str(key or uuid.uuid4())}
    data.update({f"p{person.pk}-{k}": v for k, v in fields.items()})
    return client.post(reverse("grid:doorplate_update", args=[house.doorplate_token]), data)


def test_it_records_the_update_as_a_grid_collected_fact_with_provenance(client, login, house_world):
    house, chen = house_world["house"], house_world["persons"]["chen"]
    login(house_world["worker"])
    key = uuid.uuid4()

    response = update(client, house, chen, key, phone="13700001234", lives_alone="1")

    assert response.status_code == 302
    assert response["Location"] == reverse("grid:doorplate", args=[house.doorplate_token])
    result = TaskResult.objects.get(key=key)
    task = result.task
    assert (task.kind, task.person_id, task.status) == (TaskKind.INFO_UPDATE, chen.pk, "done")
    assert task.reason == "门牌扫码" and task.assignee == house_world["worker"]
    fact = fact_model("grid_collect").objects.get(batch_id=result.batch_id, row=result.row)
    assert (fact.person_id, fact.task_id, fact.worker) == (chen.pk, task.pk, "grid_worker")
    assert fact.lives_alone_code == "1"
    archive_pending()
    archived = Resident.objects.get(pk=chen.pk)
    assert archived.residence_lives_alone is True
    assert archived.identity_phone_hash == fact.phone_hash


def test_it_records_once_for_a_key_sent_twice(client, login, house_world):
    house, chen = house_world["house"], house_world["persons"]["chen"]
    login(house_world["worker"])
    key = uuid.uuid4()

    first = update(client, house, chen, key, marital_status="20")
    again = update(client, house, chen, key, marital_status="20")

    assert first.status_code == again.status_code == 302
    assert TaskResult.objects.filter(key=key).count() == 1
    assert GridTask.objects.filter(person=chen, kind=TaskKind.INFO_UPDATE).count() == 1
    assert fact_model("grid_collect").objects.filter(person=chen).count() == 1


def test_it_shows_the_form_again_with_its_errors_and_key(client, login, house_world):
    house, chen = house_world["house"], house_world["persons"]["chen"]
    login(house_world["worker"])
    key = uuid.uuid4()

    response = update(client, house, chen, key, phone="12345")

    body = response.content.decode()
    assert response.status_code == 400
    assert "12345" in body and 'class="text-danger small"' in body
    assert f'value="{key}"' in body
    assert not TaskResult.objects.exists()


def test_it_refuses_a_worker_of_another_grid_as_not_found(client, login, house_world):
    house, chen = house_world["house"], house_world["persons"]["chen"]
    login(house_world["neighbour"])

    response = update(client, house, chen, phone="13700001234")

    assert response.status_code == 404
    assert not TaskResult.objects.exists()
    event = AuditEvent.objects.latest("seq")
    assert (event.event_type, event.object_type, event.object_id) == (
        "denied",
        "house",
        house.code,
    )


def test_it_refuses_a_resident_of_another_house(client, login, house_world):
    house, ma = house_world["house"], house_world["persons"]["ma"]
    login(house_world["cover"])  # holds 清泉 3, where 马兰 lives, but not this house

    assert update(client, house, ma, phone="13700001234").status_code == 404
    login(house_world["worker"])  # holds this house, where 马兰 does not live

    assert update(client, house, ma, phone="13700001234").status_code == 404
    assert not TaskResult.objects.exists()


def test_it_offers_no_update_for_a_resident_who_died(client, login, house_world):
    login(house_world["worker"])

    response = update(
        client, house_world["house"], house_world["persons"]["liu"], phone="13700001234"
    )

    assert response.status_code == 400
    assert not TaskResult.objects.exists()


@pytest.mark.parametrize("who", ["clerk", "street_clerk", "city_staff"])
def test_it_refuses_other_roles(client, login, cast, house_world, who):
    login(cast[who])

    response = update(
        client, house_world["house"], house_world["persons"]["chen"], phone="13700001234"
    )

    assert response.status_code == 403
    assert AuditEvent.objects.latest("seq").event_type == "denied"


def test_it_sends_an_anonymous_visitor_to_sign_in(client, house_world):
    response = update(
        client, house_world["house"], house_world["persons"]["chen"], phone="13700001234"
    )

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not TaskResult.objects.exists()
