"""One natural person, one account: staff numbers are unique across accounts, and the rules
that need two different people compare the person, not the account."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from conftest import make_user
from minsheng.accounts.actions import do_create_user
from minsheng.accounts.models import User
from minsheng.accounts.persons import normalize_staff_no, same_natural_person
from minsheng.accounts.roles import Role
from minsheng.geo.models import Area


def test_it_tells_two_accounts_of_one_person():
    a = User(pk=1, username="a", staff_no="WH0042")
    assert same_natural_person(a, User(pk=2, username="b", staff_no="WH0042"))
    assert same_natural_person(a, User(pk=3, username="c", staff_no=" wh0042 "))
    assert same_natural_person(a, User(pk=4, username="d", staff_no="ＷＨ００４２"))
    assert same_natural_person(a, User(pk=1, username="a", staff_no=""))


def test_it_tells_two_people_apart():
    a = User(pk=1, username="a", staff_no="WH0042")
    assert not same_natural_person(a, User(pk=2, username="b", staff_no="WH0043"))
    assert not same_natural_person(User(pk=1, staff_no=""), User(pk=2, staff_no=""))
    assert not same_natural_person(a, None) and not same_natural_person(None, None)


def test_it_normalises_staff_numbers():
    assert normalize_staff_no(" ｗｈ 0042\t") == "WH0042"
    assert normalize_staff_no(None) == ""


@pytest.mark.django_db
def test_it_refuses_a_second_account_with_one_staff_number_in_the_database(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(
            username="clerk2", staff_no=cast["clerk"].staff_no, role=Role.VIEWER, area=None
        )


@pytest.mark.django_db
def test_it_allows_several_accounts_without_a_staff_number(areas):
    city = Area.objects.get(code="150300")
    User.objects.create(username="legacy1", staff_no="", role=Role.VIEWER, area=city)
    User.objects.create(username="legacy2", staff_no="", role=Role.VIEWER, area=city)
    assert User.objects.filter(staff_no="").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("staff_no", ["CLERK", "clerk", " Clerk ", "ＣＬＥＲＫ"])
def test_it_refuses_a_second_account_for_one_staff_number(cast, staff_no):
    with pytest.raises(ValidationError) as refused:
        do_create_user(
            username="clerk2",
            staff_no=staff_no,
            role=Role.VIEWER,
            area=Area.objects.get(code="150302"),
            acting_user=cast["sec_admin"],
        )
    assert refused.value.code == "staff_no_taken"
    assert not User.objects.filter(username="clerk2").exists()


@pytest.mark.django_db
def test_it_stores_staff_numbers_normalised(cast):
    user, _ = do_create_user(
        username="newviewer",
        staff_no=" wh 0099 ",
        role=Role.VIEWER,
        area=Area.objects.get(code="150302"),
        acting_user=cast["sec_admin"],
    )
    assert user.staff_no == "WH0099"


@pytest.mark.django_db
def test_it_says_so_in_chinese_on_the_account_form(cast, login):
    client = login(cast["sec_admin"])
    response = client.post(
        reverse("accounts:user_create"),
        {
            "username": "clerk2",
            "staff_no": "clerk",
            "display_name": "第二个账号",
            "role": "viewer",
            "area": Area.objects.get(code="150302").pk,
        },
    )
    assert response.status_code == 200
    assert "工号 CLERK 已属于另一个账号" in response.content.decode()
    assert not User.objects.filter(username="clerk2").exists()


@pytest.mark.django_db
def test_it_treats_a_legacy_twin_account_as_the_same_person(cast):
    # An account from before normalisation whose staff number differs only in case
    twin = make_user("clerk_twin", Role.VIEWER, cast["viewer"].area, staff_no="clerk")
    assert same_natural_person(cast["clerk"], twin)
    assert not same_natural_person(cast["clerk"], cast["street_clerk"])
