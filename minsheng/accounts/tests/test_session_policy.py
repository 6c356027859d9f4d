import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from minsheng.accounts.middleware import LAST_ACTIVITY
from minsheng.audit.models import AuditEvent


@pytest.mark.django_db
def test_it_logs_out_after_thirty_idle_minutes(client, cast, login):
    login(cast["clerk"])
    home = reverse("geo:area_detail", args=["150302001001"])
    assert client.get(home).status_code == 200
    session = client.session
    session[LAST_ACTIVITY] = time.time() - 31 * 60
    session.save()

    response = client.get(home)

    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(event_type="idle_logout", actor_username="clerk").exists()


@pytest.mark.django_db
def test_it_keeps_an_active_session(client, cast, login):
    login(cast["clerk"])
    home = reverse("geo:area_detail", args=["150302001001"])
    client.get(home)
    session = client.session
    session[LAST_ACTIVITY] = time.time() - 29 * 60
    session.save()
    assert client.get(home).status_code == 200


@pytest.mark.django_db
def test_it_forces_a_password_change_at_first_login(client, cast, login):
    clerk = cast["clerk"]
    clerk.must_change_password = True
    clerk.save(update_fields=["must_change_password"])
    login(clerk)
    response = client.get(reverse("geo:area_detail", args=["150302001001"]))
    assert response.status_code == 302 and response["Location"] == reverse(
        "accounts:password_change"
    )


@pytest.mark.django_db
def test_it_forces_a_change_of_an_expired_password(client, cast, login):
    clerk = cast["clerk"]
    clerk.password_changed_at = timezone.now() - timedelta(days=91)
    clerk.save(update_fields=["password_changed_at"])
    login(clerk)
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("accounts:password_change")
