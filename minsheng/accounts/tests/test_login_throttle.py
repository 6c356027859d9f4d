"""Failed logins tell nothing about the account, and one client address can neither guess
on nor lock out an account: it is throttled before the account's lockout threshold."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from minsheng.accounts.models import LoginFailure, User
from minsheng.accounts.tests.test_login import LOGIN_REFUSED_ZH, post_login
from minsheng.audit.actions import client_address
from minsheng.audit.models import AuditEvent
from minsheng.settings import check_login_limits

ATTACKER = "203.0.113.7"


def refusal(response) -> list[str]:
    assert response.status_code == 200 and "_auth_user_id" not in response.client.session
    return response.context["form"].errors["__all__"]


def age_failures(minutes: int) -> None:
    """Let time pass for the throttle and the account windows."""
    LoginFailure.objects.update(at=timezone.now() - timedelta(minutes=minutes))
    User.objects.exclude(failed_login_window_start=None).update(
        failed_login_window_start=timezone.now() - timedelta(minutes=minutes)
    )


@pytest.mark.django_db
def test_it_gives_one_message_whatever_went_wrong(client, cast):
    # An unknown name, a wrong password, a disabled account and a locked account
    cast["viewer"].is_active = False
    cast["viewer"].save(update_fields=["is_active"])
    cast["outsider"].locked_until = timezone.now() + timedelta(minutes=10)
    cast["outsider"].save(update_fields=["locked_until"])
    answers = [
        refusal(post_login(client, "nobody", "Wrong#Passw0rd", address="10.0.1.1")),
        refusal(post_login(client, "clerk", "Wrong#Passw0rd", address="10.0.1.2")),
        refusal(post_login(client, "viewer", PASSWORD, address="10.0.1.3")),
        refusal(post_login(client, "outsider", PASSWORD, address="10.0.1.4")),
    ]
    # all read the same, and the page says nothing more
    assert answers == [[LOGIN_REFUSED_ZH]] * 4
    assert "此账号" not in post_login(client, "outsider", PASSWORD).content.decode()


@pytest.mark.django_db
def test_it_does_not_let_one_address_lock_an_administrator_out(client, cast, settings):
    # Given an attacker hammering the security administrator's name from one address
    for _ in range(3 * settings.LOCKOUT_THRESHOLD):
        answer = refusal(post_login(client, "sec_admin", "Guess#Passw0rd", address=ATTACKER))
        assert answer == [LOGIN_REFUSED_ZH]
    # Then the account is not locked: the address was throttled first
    admin = User.objects.get(username="sec_admin")
    assert not admin.is_locked()
    assert admin.failed_login_count == settings.LOGIN_THROTTLE_ACCOUNT_FAILURES
    assert settings.LOGIN_THROTTLE_ACCOUNT_FAILURES < settings.LOCKOUT_THRESHOLD
    # And the throttled attempts are in the audit trail, refused unchecked
    throttled = AuditEvent.objects.filter(event_type="login_failed", reason="address throttled")
    assert throttled.count() == 3 * settings.LOCKOUT_THRESHOLD - 3
    assert {(e.actor_username, e.result, e.details["throttle_address"]) for e in throttled} == {
        ("sec_admin", "denied", ATTACKER)
    }
    assert not AuditEvent.objects.filter(event_type="lockout").exists()
    # And the administrator still logs in from their own address
    assert post_login(client, "sec_admin", PASSWORD, address="10.0.0.2").status_code == 302


@pytest.mark.django_db
def test_it_refuses_even_the_right_password_from_a_throttled_address(client, cast):
    for _ in range(3):
        post_login(client, "clerk", "Wrong#Passw0rd", address=ATTACKER)
    # (no more guesses: the right one is refused unchecked, like any other)
    assert refusal(post_login(client, "clerk", PASSWORD, address=ATTACKER)) == [LOGIN_REFUSED_ZH]
    # until the failures leave the window
    age_failures(31)
    assert post_login(client, "clerk", PASSWORD, address=ATTACKER).status_code == 302


@pytest.mark.django_db
def test_it_throttles_an_address_trying_many_names(client, cast, settings):
    # Given an address trying one password on many names (some of them real)
    names = [f"user{n}" for n in range(settings.LOGIN_THROTTLE_FAILURES)]
    for name in names:
        post_login(client, name, "Spring#2026", address=ATTACKER)
    # Then the address may not try any name any more, not even a real one
    assert refusal(post_login(client, "clerk", PASSWORD, address=ATTACKER)) == [LOGIN_REFUSED_ZH]
    event = AuditEvent.objects.filter(reason="address throttled").get()
    assert event.details["scope"] == "address"
    # while other addresses are not affected
    assert post_login(client, "clerk", PASSWORD, address="10.0.0.2").status_code == 302


@pytest.mark.django_db
def test_it_still_locks_an_account_guessed_at_from_several_addresses(client, cast, settings):
    for n in range(settings.LOCKOUT_THRESHOLD):
        post_login(client, "sys_admin", "Guess#Passw0rd", address=f"198.51.100.{n % 2 + 1}")
    assert User.objects.get(username="sys_admin").is_locked()
    assert AuditEvent.objects.filter(event_type="lockout", actor_username="sys_admin").exists()


@pytest.mark.django_db
def test_it_counts_an_accounts_failures_within_the_lockout_window(client, cast):
    # Failures spread wider than the window (a slow drip from one address) lock nothing
    for _ in range(4):
        for _ in range(3):
            post_login(client, "clerk", "Wrong#Passw0rd", address=ATTACKER)
        age_failures(31)
    clerk = User.objects.get(username="clerk")
    assert not clerk.is_locked() and clerk.failed_login_count <= 3
    assert post_login(client, "clerk", PASSWORD, address=ATTACKER).status_code == 302


@pytest.mark.django_db
def test_it_does_not_count_a_successful_login_against_the_address(client, cast, settings):
    for _ in range(2 * settings.LOGIN_THROTTLE_FAILURES):
        assert post_login(client, "clerk", PASSWORD, address=ATTACKER).status_code == 302
        client.post(reverse("accounts:logout"))
    assert not LoginFailure.objects.exists()


@pytest.mark.django_db
def test_it_takes_the_address_the_proxy_saw_not_the_one_the_client_claims(settings):
    factory = RequestFactory()
    settings.TRUSTED_PROXIES = 1
    spoofed = factory.post("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7", REMOTE_ADDR="10.0.0.1")
    assert client_address(spoofed) == "203.0.113.7"
    assert client_address(factory.post("/", REMOTE_ADDR="10.0.0.1")) == "10.0.0.1"
    settings.TRUSTED_PROXIES = 0
    assert client_address(spoofed) == "10.0.0.1"


@pytest.mark.django_db
def test_it_does_not_let_a_forged_forwarded_header_dodge_the_throttle(client, cast):
    # Behind one proxy, the attacker varies the X-Forwarded-For it sends; the proxy appends
    # the real address
    for n in range(3):
        client.post(
            reverse("accounts:login"),
            {"username": "sec_admin", "password": "Guess#Passw0rd"},
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {ATTACKER}",
        )
    response = client.post(
        reverse("accounts:login"),
        {"username": "sec_admin", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR=f"192.0.2.99, {ATTACKER}",
    )
    assert refusal(response) == [LOGIN_REFUSED_ZH]


@pytest.mark.parametrize(
    ("threshold", "window", "per_account", "minutes"),
    [(5, 30, 5, 30), (5, 30, 6, 30), (5, 30, 0, 30), (5, 30, 3, 29)],
)
def test_it_refuses_limits_that_would_let_one_address_lock_an_account(
    threshold, window, per_account, minutes
):
    with pytest.raises(ImproperlyConfigured):
        check_login_limits(threshold, window, per_account, minutes)
    check_login_limits(5, 30, 4, 30)
