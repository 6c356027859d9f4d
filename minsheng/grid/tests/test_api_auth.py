"""The grid API's credential: `Authorization: Bearer <device token>` of an active grid
worker. Anything else is a 401; a presented token that fails is audited."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from minsheng.audit.models import AuditEvent

from ..actions import do_issue_device_token, do_revoke_device_token
from ..models import DeviceToken

pytestmark = pytest.mark.django_db


@pytest.fixture
def device(cast):
    worker = cast["grid_worker"]
    return do_issue_device_token(worker, name="工作手机", acting_user=worker)


def get(client, token=None, **headers):
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.get(reverse("grid-api:me"), headers=headers)


def test_it_runs_the_call_as_the_token_s_worker(client, cast, device):
    response = get(client, device[1])
    assert response.status_code == 200
    assert response.json()["username"] == "grid_worker"
    assert response.json()["device"] == "工作手机"


def test_it_refuses_a_revoked_token_with_401_and_audits_it(client, cast, device):
    token_row, token = device
    do_revoke_device_token(token_row, acting_user=cast["clerk"])
    response = get(client, token)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    event = AuditEvent.objects.filter(event_type="login_failed").latest("seq")
    assert event.object_type == "device_token" and event.object_id == str(token_row.pk)
    assert event.details["reason"] == "revoked" and event.actor_username == "grid_worker"


def test_it_refuses_an_unknown_token_and_no_token(client, device):
    assert get(client, device[1] + "x").status_code == 401
    assert AuditEvent.objects.filter(event_type="login_failed").latest("seq").details == {
        "reason": "unknown",
        "channel": "grid_api",
    }
    assert get(client).status_code == 401
    assert get(client, Authorization=f"Token {device[1]}").status_code == 401


def test_it_takes_no_session_for_a_token(client, cast, login):
    login(cast["grid_worker"])
    assert get(client).status_code == 401


def test_it_refuses_the_token_of_a_worker_who_is_no_longer_active(client, cast, device):
    cast["grid_worker"].is_active = False
    cast["grid_worker"].save(update_fields=["is_active"])
    assert get(client, device[1]).status_code == 401
    assert (
        AuditEvent.objects.filter(event_type="login_failed").latest("seq").details["reason"]
        == "not_an_active_grid_worker"
    )


def test_it_notes_the_last_use_at_most_once_a_minute(client, device):
    token_row, token = device
    assert token_row.last_used_at is None
    get(client, token)
    first = DeviceToken.objects.get(pk=token_row.pk).last_used_at
    assert first is not None
    get(client, token)
    assert DeviceToken.objects.get(pk=token_row.pk).last_used_at == first
    earlier = timezone.now() - timedelta(seconds=61)
    DeviceToken.objects.filter(pk=token_row.pk).update(last_used_at=earlier)
    get(client, token)
    assert DeviceToken.objects.get(pk=token_row.pk).last_used_at > earlier + timedelta(seconds=60)
