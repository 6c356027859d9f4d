"""POST /grid/devices/<worker>/<device>/revoke/: the token stops opening the API at once."""

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent

from ..actions import do_issue_device_token, worker_username
from ..models import DeviceToken

pytestmark = pytest.mark.django_db


@pytest.fixture
def device(cast):
    worker = cast["grid_worker"]
    return do_issue_device_token(worker, name="丢失的手机", acting_user=worker)


def revoke(client, worker, device_pk):
    return client.post(reverse("grid:device_revoke", kwargs={"pk": worker.pk, "device": device_pk}))


def test_it_revokes_the_token(client, login, cast, device):
    row, token = device
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(reverse("grid-api:me"), headers=headers).status_code == 200
    login(cast["clerk"])
    response = revoke(client, cast["grid_worker"], row.pk)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "grid:device_list", kwargs={"pk": cast["grid_worker"].pk}
    )
    row.refresh_from_db()
    assert row.revoked_at is not None and row.revoked_by == cast["clerk"]
    event = AuditEvent.objects.filter(object_type="device_token").latest("seq")
    assert event.details["action"] == "revoke" and event.actor == cast["clerk"]
    client.logout()
    assert client.get(reverse("grid-api:me"), headers=headers).status_code == 401


def test_the_worker_revokes_their_own(client, login, cast, device):
    login(cast["grid_worker"])
    assert revoke(client, cast["grid_worker"], device[0].pk).status_code == 302
    assert not DeviceToken.objects.get(pk=device[0].pk).active


def test_it_answers_404_for_a_device_of_another_worker(client, login, cast, staffed, device):
    other = type(cast["grid_worker"]).objects.get(
        username=worker_username(staffed["qingquan2"].code)
    )
    login(cast["clerk"])
    # the clerk manages both workers, but the device is not the one named in the URL
    assert revoke(client, other, device[0].pk).status_code == 404
    assert revoke(client, cast["grid_worker"], 987654).status_code == 404
    assert DeviceToken.objects.get(pk=device[0].pk).active


def test_it_is_refused_outside_the_area_and_to_other_roles(client, login, cast, device):
    login(cast["outsider"])
    assert revoke(client, cast["grid_worker"], device[0].pk).status_code == 404
    login(cast["viewer"])
    assert revoke(client, cast["grid_worker"], device[0].pk).status_code == 403
    assert DeviceToken.objects.get(pk=device[0].pk).active
