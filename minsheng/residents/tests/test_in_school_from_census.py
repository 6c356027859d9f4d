"""education.in_school from the grid census's 人员类别: a student over compulsory-school age
is in school (not 未就业, and no 代缴 candidate) when the latest census says 在校学生."""

from __future__ import annotations

from datetime import date

import pytest

from minsheng.residents.models import Resident
from minsheng.residents.tests.test_conflicts_detection import World


@pytest.fixture
def world(crypto, areas):
    return World(crypto, areas)


def census(world, person, category: str, code: str | None, *, day: str):
    return world.fact(
        "grid_census",
        person,
        day=day,
        name=person.name,
        person_category=category,
        person_category_code=code,
        collected_date=date(int(day[:4]), int(day[4:6]), int(day[6:])),
    )


@pytest.mark.django_db
def test_it_takes_a_student_over_fifteen_from_the_latest_census(world):
    student = world.person("15030220060304151", "王小明", date(2006, 3, 4))
    census(world, student, "在校学生", "5", day="20261001")
    world.refresh(student)
    r = Resident.objects.get(pk=student.pk)
    assert r.education_in_school is True
    assert r.employment_status == "5"  # 在校学生


@pytest.mark.django_db
def test_it_follows_the_latest_census_when_school_is_over(world):
    former = world.person("15030220040304151", "李大明", date(2004, 3, 4))
    census(world, former, "在校学生", "5", day="20250901")
    census(world, former, "", None, day="20261001")
    world.refresh(former)
    assert Resident.objects.get(pk=former.pk).education_in_school is False
