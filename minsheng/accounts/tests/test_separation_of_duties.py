"""三员分立: the three administrator roles are held by three different people, and none of
them gets personal data."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from minsheng.accounts.actions import do_change_user_permissions, do_create_user
from minsheng.accounts.models import User
from minsheng.geo.models import Area


@pytest.mark.django_db
def test_it_refuses_a_second_administrator_role_to_the_same_person(cast):
    city = Area.objects.get(code="150300")
    with pytest.raises(ValidationError):
        do_create_user(
            username="sys2",
            staff_no=cast["sec_admin"].staff_no,
            role="sys_admin",
            area=city,
            acting_user=cast["sec_admin"],
        )
    assert not User.objects.filter(username="sys2").exists()


@pytest.mark.django_db
def test_it_refuses_even_the_same_administrator_role_on_a_second_account(cast):
    # One account per person (the staff number is unique across accounts).
    city = Area.objects.get(code="150300")
    with pytest.raises(ValidationError):
        do_create_user(
            username="sec2",
            staff_no=cast["sec_admin"].staff_no,
            role="sec_admin",
            area=city,
            acting_user=None,
        )
    assert not User.objects.filter(username="sec2").exists()


@pytest.mark.django_db
def test_it_refuses_to_promote_an_administrator_into_a_second_administrator_role(cast):
    # An account from before staff numbers were normalised, holding the system
    # administrator's staff number in lower case.
    city = Area.objects.get(code="150300")
    other = User.objects.create(
        username="ops", staff_no=cast["sys_admin"].staff_no.lower(), role="city_fund", area=city
    )
    with pytest.raises(ValidationError):
        do_change_user_permissions(
            other, role="audit_admin", area=city, acting_user=cast["sec_admin"], reason="x"
        )


@pytest.mark.django_db
def test_it_lets_only_the_security_administrator_grant(cast):
    for role in ("sys_admin", "audit_admin", "city_staff", "clerk"):
        with pytest.raises(PermissionDenied):
            do_change_user_permissions(
                cast["viewer"],
                role="viewer",
                area=cast["viewer"].area,
                acting_user=cast[role],
                reason="x",
            )


@pytest.mark.django_db
def test_it_forbids_superusers_in_the_database(cast):
    clerk = cast["clerk"]
    clerk.is_superuser = True
    with pytest.raises(IntegrityError):
        clerk.save(update_fields=["is_superuser"])


@pytest.mark.django_db
def test_it_gives_administrators_no_personal_data(cast):
    for role in ("sys_admin", "sec_admin", "audit_admin", "supervision"):
        assert not cast[role].may_see_personal_data
    for role in ("clerk", "street_clerk", "viewer", "grid_worker", "city_staff"):
        assert cast[role].may_see_personal_data
