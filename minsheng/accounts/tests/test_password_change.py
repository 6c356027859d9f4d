import pytest
from django.urls import reverse

from conftest import PASSWORD
from minsheng.audit.models import AuditEvent


def change(client, old, new, again=None):
    return client.post(
        reverse("accounts:password_change"),
        {"old_password": old, "new_password1": new, "new_password2": again or new},
    )


@pytest.mark.django_db
def test_it_changes_the_password_and_lifts_the_forced_change(client, cast, login):
    clerk = cast["clerk"]
    clerk.must_change_password = True
    clerk.save(update_fields=["must_change_password"])
    login(clerk)

    response = change(client, PASSWORD, "Qingquan@2027x")

    assert response.status_code == 302
    clerk.refresh_from_db()
    assert not clerk.must_change_password and clerk.check_password("Qingquan@2027x")
    assert AuditEvent.objects.filter(event_type="password_change", actor_username="clerk").exists()
    assert client.get(reverse("geo:area_detail", args=["150302001001"])).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "new",
    [
        "Ab1!",  # too short
        "abcdefgh12",  # two classes only
        "ABCDEFGH!!",  # two classes only
        "Password1",  # common password
    ],
)
def test_it_refuses_passwords_that_break_the_rules(client, cast, login, new):
    login(cast["clerk"])
    response = change(client, PASSWORD, new)
    assert response.status_code == 200
    cast["clerk"].refresh_from_db()
    assert cast["clerk"].check_password(PASSWORD)


@pytest.mark.django_db
def test_it_refuses_a_wrong_current_password(client, cast, login):
    login(cast["clerk"])
    response = change(client, "Not#TheRight1", "Qingquan@2027x")
    assert response.status_code == 200
    assert (
        "当前密码错误" in response.content.decode()
        or "current password is wrong" in response.content.decode()
    )


@pytest.mark.django_db
def test_it_refuses_reusing_the_current_password(client, cast, login):
    login(cast["clerk"])
    assert change(client, PASSWORD, PASSWORD).status_code == 200
