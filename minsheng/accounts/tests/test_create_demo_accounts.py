import pytest
from django.core.management import call_command

from conftest import make_grid
from minsheng.accounts.management.commands.create_demo_accounts import DEMO_ACCOUNTS
from minsheng.accounts.models import User
from minsheng.accounts.roles import Role
from minsheng.geo.models import Area


@pytest.mark.django_db
def test_it_creates_one_account_per_role_and_is_idempotent(capsys):
    make_grid(Area.objects.get(code="150302001001"), 1)
    call_command("create_demo_accounts")
    call_command("create_demo_accounts")
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert User.objects.get(username="wangge").area.level == "grid"
    assert "Minsheng#2026" in capsys.readouterr().out
    assert all(u.role_fits_area() for u in User.objects.all())


@pytest.mark.django_db
def test_it_gives_every_demo_account_its_own_staff_number():
    make_grid(Area.objects.get(code="150302001001"), 1)
    call_command("create_demo_accounts")
    staff_numbers = list(User.objects.values_list("staff_no", flat=True))
    assert len(staff_numbers) == len(set(staff_numbers)) == len(DEMO_ACCOUNTS)
    assert all(staff_numbers)
