import pytest
from django.urls import reverse

from minsheng.accounts.models import User
from minsheng.audit.models import AuditEvent


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", ["clerk", "outsider", "viewer", "city_staff", "sys_admin", "audit_admin", "grid_worker"]
)
def test_it_refuses_the_account_pages_to_everyone_but_the_security_admin(cast, login, role):
    client = login(cast[role])
    target = cast["clerk"].pk
    assert client.get(reverse("accounts:user_list")).status_code == 403
    assert client.get(reverse("accounts:user_detail", args=[target])).status_code == 403
    assert client.post(reverse("accounts:user_unlock", args=[target])).status_code == 403


@pytest.mark.django_db
def test_it_lists_accounts_for_the_security_admin(cast, login, django_assert_max_num_queries):
    client = login(cast["sec_admin"])
    client.get(reverse("accounts:user_list"))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("accounts:user_list"))
    assert {u.username for u in response.context["page"]} >= {"clerk", "outsider", "audit_admin"}


@pytest.mark.django_db
def test_it_creates_an_account_that_must_change_its_password(cast, login):
    client = login(cast["sec_admin"])
    response = client.post(
        reverse("accounts:user_create"),
        {
            "username": "newclerk",
            "staff_no": "S100",
            "display_name": "新经办",
            "role": "community_clerk",
            "area": cast["clerk"].area.pk,
        },
    )
    assert response.status_code == 200
    user = User.objects.get(username="newclerk")
    assert user.must_change_password and user.check_password(response.context["password"])
    assert AuditEvent.objects.get(event_type="user_create").object_id == str(user.pk)


@pytest.mark.django_db
def test_it_refuses_a_role_on_an_area_of_the_wrong_level(cast, login):
    client = login(cast["sec_admin"])
    response = client.post(
        reverse("accounts:user_create"),
        {
            "username": "bad",
            "staff_no": "S101",
            "display_name": "x",
            "role": "grid_worker",
            "area": cast["clerk"].area.pk,
        },
    )
    assert response.status_code == 200 and not User.objects.filter(username="bad").exists()


@pytest.mark.django_db
def test_it_changes_permissions_with_a_reason_and_audits_it(cast, login):
    client = login(cast["sec_admin"])
    clerk = cast["clerk"]
    response = client.post(
        reverse("accounts:user_detail", args=[clerk.pk]),
        {"role": "community_clerk", "area_code": "150302001002", "reason": "调岗到新南社区"},
    )
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.area.code == "150302001002"
    event = AuditEvent.objects.get(event_type="permission_change")
    assert event.reason == "调岗到新南社区"
    assert event.details["before"] == {"role": "community_clerk", "area": "150302001001"}


@pytest.mark.django_db
def test_it_refuses_the_security_admin_changing_their_own_role(cast, login):
    client = login(cast["sec_admin"])
    me = cast["sec_admin"]
    client.post(
        reverse("accounts:user_detail", args=[me.pk]),
        {"role": "audit_admin", "area_code": "150300", "reason": "x"},
    )
    me.refresh_from_db()
    assert me.role == "sec_admin"


@pytest.mark.django_db
def test_it_unlocks_an_account(cast, login):
    from django.utils import timezone

    clerk = cast["clerk"]
    clerk.locked_until = timezone.now() + timezone.timedelta(minutes=10)
    clerk.save(update_fields=["locked_until"])
    login(cast["sec_admin"]).post(reverse("accounts:user_unlock", args=[clerk.pk]))
    clerk.refresh_from_db()
    assert not clerk.is_locked()
    assert AuditEvent.objects.filter(event_type="account_unlock").exists()


@pytest.mark.django_db
def test_it_resets_a_password_to_a_one_time_one(cast, login):
    clerk = cast["clerk"]
    response = login(cast["sec_admin"]).post(
        reverse("accounts:user_reset_password", args=[clerk.pk])
    )
    clerk.refresh_from_db()
    assert clerk.must_change_password and clerk.check_password(response.context["password"])
