import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_it_shows_the_system_administrator_the_system_without_personal_data(cast, login):
    response = login(cast["sys_admin"]).get(reverse("system_status"))
    assert response.status_code == 200
    assert response.context["areas"] >= 107 and response.context["pending_migrations"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", ["clerk", "outsider", "city_staff", "sec_admin", "audit_admin", "supervision"]
)
def test_it_refuses_everyone_else(cast, login, role):
    assert login(cast[role]).get(reverse("system_status")).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "target"),
    [
        ("audit_admin", "/audit/"),
        ("sec_admin", "/accounts/users/"),
        ("sys_admin", "/system/"),
        ("clerk", "/areas/150302001001/"),
        ("outsider", "/areas/150304001/"),
    ],
)
def test_it_sends_each_role_home_to_its_own_page(cast, login, role, target):
    response = login(cast[role]).get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == target
