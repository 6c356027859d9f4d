"""Hand-made archive rows for the policy tests: `resident(grid, **items)` makes a Person and
its Resident row (alive, archive date 2026-03-01, its own household unless told), and
`handled(person, matter, when)` a completed 经办日志 row for `handled_within`."""

from __future__ import annotations

import itertools
from datetime import date, datetime

import pytest
from django.utils import timezone

from conftest import make_user
from minsheng.accounts.roles import Role
from minsheng.geo.models import Area
from minsheng.residents.models import Resident
from minsheng.sources.models import Batch, BatchStatus, Person, fact_model

AS_OF = date(2026, 3, 1)
LOADED = timezone.make_aware(datetime(2026, 3, 5, 9, 0))


def born_aged(years: int, *, months_extra: int = 1) -> date:
    """A birth date that makes the person `years` old on AS_OF (and not yet years + 1)."""
    month = AS_OF.month - months_extra
    year = AS_OF.year - years
    if month < 1:
        month, year = month + 12, year - 1
    return date(year, month, 1)


@pytest.fixture
def batch(db):
    return Batch.objects.create(
        source="gongan_hukou",
        file_name="gongan_hukou_20260110.csv",
        sha256="b" * 64,
        status=BatchStatus.LOADED,
        archived=True,
    )


@pytest.fixture
def resident(batch, areas):
    counter = itertools.count(1)

    def make(grid: str = "qingquan1", *, name: str = "王小明", age: int | None = 30, **items):
        n = next(counter)
        area = areas["grids"][grid]
        born = born_aged(age) if age is not None else None
        person = Person.objects.create(
            name=name,
            sex="1",
            birth_date=born,
            district_code=area.district_code,
            first_source=batch.source,
            first_batch=batch,
            first_row=n,
            created_at=LOADED,
        )
        values = {
            "identity_name": name,
            "identity_sex": "1",
            "identity_birth_date": born,
            "identity_age": age,
            "identity_survival_status": "1",
            "hukou_household_number": f"H{person.pk:08d}",
            "hukou_local": True,
            **items,
        }
        Resident.objects.create(
            person=person,
            district_code=area.district_code,
            town_code=area.town_code,
            community_code=area.community_code,
            grid_code=area.code,
            as_of=AS_OF,
            refreshed_at=LOADED,
            **values,
        )
        return person

    return make


@pytest.fixture
def handled(batch):
    rows = itertools.count(1)

    def make(person, matter: str, when: date):
        return fact_model("rs_handling_log").objects.create(
            batch=batch,
            row=next(rows),
            loaded_at=LOADED,
            person=person,
            link_method="exact",
            matter=matter,
            result="办结",
            handled_at=timezone.make_aware(datetime(when.year, when.month, when.day, 10, 0)),
        )

    return make


@pytest.fixture
def second_staff(cast):
    """Another member of city staff: the second person of the two-person rule."""
    return make_user("city_staff2", Role.CITY_EMPLOYMENT, Area.objects.get(code="150300"))


@pytest.fixture
def make_twin():
    """A second account of the same natural person: the same staff number, in lower case
    (an account from before staff numbers were normalised)."""

    def make(user):
        return make_user(
            f"{user.username}_twin", user.role, user.area, staff_no=user.staff_no.lower()
        )

    return make
