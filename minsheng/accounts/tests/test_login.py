from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from minsheng.audit.models import AuditEvent

LOGIN_REFUSED_ZH = "登录失败：用户名或密码错误，或因多次登录失败已被锁定。请核对后稍后再试。"


def post_login(client, username, password, address="127.0.0.1"):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


@pytest.mark.django_db
def test_it_logs_in_and_audits_the_login(client, cast):
    response = post_login(client, "clerk", PASSWORD)
    assert response.status_code == 302
    event = AuditEvent.objects.get(event_type="login")
    assert (event.actor_username, event.actor_role, event.actor_area, event.client_address) == (
        "clerk",
        "community_clerk",
        "150302001001",
        "127.0.0.1",
    )


@pytest.mark.django_db
def test_it_audits_a_failed_login_for_an_unknown_account(client, cast):
    response = post_login(client, "nobody", "whatever")
    assert response.status_code == 200
    event = AuditEvent.objects.get(event_type="login_failed")
    assert (event.actor_username, event.result, event.reason) == (
        "nobody",
        "failure",
        "unknown account",
    )


@pytest.mark.django_db
def test_it_locks_the_account_after_five_failures(client, cast):
    # Five failures from five addresses: one address alone is throttled first
    # (test_login_throttle.py), the account counts failures from all of them.
    for n in range(5):
        post_login(client, "clerk", "Wrong#Passw0rd", address=f"10.0.0.{n + 1}")
    clerk = cast["clerk"]
    clerk.refresh_from_db()
    assert clerk.is_locked()
    assert timedelta(minutes=29) < clerk.locked_until - timezone.now() <= timedelta(minutes=30)
    assert AuditEvent.objects.filter(event_type="login_failed", actor_username="clerk").count() == 5
    assert AuditEvent.objects.filter(event_type="lockout", actor_username="clerk").count() == 1

    # Even the right password is refused while locked, with the message of any failure.
    response = post_login(client, "clerk", PASSWORD, address="10.0.0.9")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].errors["__all__"] == [LOGIN_REFUSED_ZH]


@pytest.mark.django_db
def test_it_does_not_lock_after_four_failures_and_a_success(client, cast):
    for n in range(4):
        post_login(client, "clerk", "Wrong#Passw0rd", address=f"10.0.0.{n + 1}")
    assert post_login(client, "clerk", PASSWORD, address="10.0.0.9").status_code == 302
    cast["clerk"].refresh_from_db()
    assert cast["clerk"].failed_login_count == 0


@pytest.mark.django_db
def test_it_lets_the_user_in_again_after_thirty_minutes(client, cast):
    clerk = cast["clerk"]
    clerk.locked_until = timezone.now() - timedelta(seconds=1)
    clerk.save(update_fields=["locked_until"])
    assert post_login(client, "clerk", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_it_refuses_a_disabled_account(client, cast):
    cast["clerk"].is_active = False
    cast["clerk"].save(update_fields=["is_active"])
    assert post_login(client, "clerk", PASSWORD).status_code == 200
    assert AuditEvent.objects.get(event_type="login_failed").reason == "inactive account"


@pytest.mark.django_db
def test_it_audits_logout(client, cast):
    post_login(client, "clerk", PASSWORD)
    client.post(reverse("accounts:logout"))
    assert AuditEvent.objects.filter(event_type="logout", actor_username="clerk").exists()
