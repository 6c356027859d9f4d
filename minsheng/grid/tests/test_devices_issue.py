"""POST /grid/devices/<worker>/issue/: a token for one of the worker's phones, shown on the
answer page once; only its hash is kept."""

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent

from ..actions import token_hash
from ..models import DeviceToken

pytestmark = pytest.mark.django_db


def issue(client, worker, name="工作手机"):
    return client.post(reverse("grid:device_issue", kwargs={"pk": worker.pk}), {"name": name})


@pytest.mark.parametrize("who", ["grid_worker", "clerk"])
def test_it_shows_the_new_token_once_and_keeps_its_hash(client, login, cast, who):
    worker = cast["grid_worker"]
    login(cast[who])
    response = issue(client, worker)
    assert response.status_code == 200
    token = response.context["token"]
    assert token and token in response.content.decode()
    device = DeviceToken.objects.get(user=worker)
    assert device.name == "工作手机" and device.created_by == cast[who]
    assert device.key_hash == token_hash(token) and token not in device.key_hash
    event = AuditEvent.objects.filter(object_type="device_token").latest("seq")
    assert event.event_type == "permission_change" and event.details["action"] == "issue"
    assert token not in str(event.details)
    # the list shows it no more
    again = client.get(reverse("grid:device_list", kwargs={"pk": worker.pk}))
    assert token not in again.content.decode()
    # and it opens the API as the worker
    me = client.get(reverse("grid-api:me"), headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["username"] == "grid_worker"


def test_it_needs_a_device_name(client, login, cast):
    login(cast["grid_worker"])
    response = issue(client, cast["grid_worker"], name="  ")
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert response.context["token"] is None
    assert not DeviceToken.objects.exists()


def test_it_issues_none_for_a_disabled_worker(client, login, cast):
    worker = cast["grid_worker"]
    worker.is_active = False
    worker.save(update_fields=["is_active"])
    login(cast["clerk"])
    response = issue(client, worker)
    assert response.status_code == 302
    assert not DeviceToken.objects.exists()


def test_it_is_refused_outside_the_area_and_to_other_roles(client, login, cast):
    login(cast["outsider"])
    assert issue(client, cast["grid_worker"]).status_code == 404
    login(cast["city_staff"])
    assert issue(client, cast["grid_worker"]).status_code == 403
    assert not DeviceToken.objects.exists()
    assert AuditEvent.objects.filter(event_type="denied", object_type="device_tokens").count() == 2


def test_it_takes_only_post(client, login, cast):
    login(cast["grid_worker"])
    url = reverse("grid:device_issue", kwargs={"pk": cast["grid_worker"].pk})
    assert client.get(url).status_code == 405
