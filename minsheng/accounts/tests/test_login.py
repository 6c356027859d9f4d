from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from minsheng.audit.models import AuditEvent


def post_login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


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
    for _ in range(5):
        post_login(client, "clerk", "Wrong#Passw0rd")
    clerk = cast["clerk"]
    clerk.refresh_from_db()
    assert clerk.is_locked()
    assert timedelta(minutes=29) < clerk.locked_until - timezone.now() <= timedelta(minutes=30)
    assert AuditEvent.objects.filter(event_type="login_failed", actor_username="clerk").count() == 5
    assert AuditEvent.objects.filter(event_type="lockout", actor_username="clerk").count() == 1

    # Even the right password is refused while locked, with a message that says so.
    response = post_login(client, "clerk", PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert (
        response.context["form"].errors["__all__"][0].startswith("此账号")
        or "locked" in response.content.decode()
    )


@pytest.mark.django_db
def test_it_does_not_lock_after_four_failures_and_a_success(client, cast):
    for _ in range(4):
        post_login(client, "clerk", "Wrong#Passw0rd")
    assert post_login(client, "clerk", PASSWORD).status_code == 302
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
