"""No reuse of any of the last five passwords (等保三级 password rules)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from conftest import PASSWORD
from minsheng.accounts.actions import do_change_password, do_reset_password
from minsheng.accounts.models import PasswordHistory

NEW = ["Qingquan@2027a", "Qingquan@2027b", "Qingquan@2027c", "Qingquan@2027d", "Qingquan@2027e"]


def change_through(user, passwords, start=PASSWORD):
    old = start
    for new in passwords:
        do_change_password(user, old_password=old, new_password=new, acting_user=user)
        old = new
    return old


@pytest.mark.django_db
@pytest.mark.parametrize("reused", [0, 1, 2, 3, 4])
def test_it_refuses_any_of_the_last_five_passwords(cast, reused):
    # Given the clerk went through five passwords (the last is the current one)
    clerk = cast["clerk"]
    current = change_through(clerk, NEW)
    # When they pick one of them again
    with pytest.raises(ValidationError) as refused:
        do_change_password(clerk, old_password=current, new_password=NEW[reused], acting_user=clerk)
    # Then it is refused and the password stays
    # (the current one is refused as the current one)
    assert {"password_reused", "same_password"} & {e.code for e in refused.value.error_list}
    clerk.refresh_from_db()
    assert clerk.check_password(current)


@pytest.mark.django_db
def test_it_allows_a_password_older_than_the_last_five(cast):
    clerk = cast["clerk"]
    current = change_through(clerk, NEW)
    # (PASSWORD, the cast's, was the sixth from last)
    do_change_password(clerk, old_password=current, new_password=PASSWORD, acting_user=clerk)
    clerk.refresh_from_db()
    assert clerk.check_password(PASSWORD)


@pytest.mark.django_db
def test_it_keeps_only_the_last_five_hashes_never_the_passwords(cast):
    clerk = cast["clerk"]
    change_through(clerk, NEW + ["Qingquan@2027f"])
    hashes = list(
        PasswordHistory.objects.filter(user=clerk).values_list("password_hash", flat=True)
    )
    assert len(hashes) == 5
    assert all(h.startswith("md5$") for h in hashes)  # the tests' hasher
    assert not set(hashes) & set(NEW)


@pytest.mark.django_db
def test_it_remembers_a_password_the_security_admin_set(cast):
    clerk = cast["clerk"]
    temporary = do_reset_password(clerk, acting_user=cast["sec_admin"])
    clerk.refresh_from_db()
    with pytest.raises(ValidationError):
        do_change_password(clerk, old_password=temporary, new_password=PASSWORD, acting_user=clerk)


@pytest.mark.django_db
def test_it_says_so_in_chinese_on_the_password_page(client, cast, login):
    clerk = cast["clerk"]
    current = change_through(clerk, NEW[:2])
    login(clerk)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": current, "new_password1": NEW[0], "new_password2": NEW[0]},
    )
    assert response.status_code == 200
    assert "新密码不能与最近 5 次使用过的密码相同" in response.content.decode()
