"""Portrait tags: each rule of tags.toml on hand-made residents, and the set-wise recompute
(subset, idempotence, dropped tags, the command)."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from minsheng.residents.tests.conftest import id_number, make_batch, make_person
from minsheng.screening import catalog
from minsheng.screening.models import ResidentTag
from minsheng.screening.tags import person_tags, recompute_tags


def resident(crypto, areas, n: int, *, grid="qingquan1", age=40, **values):
    """A living resident of the given grid, `age` years old on the archive date 2026-03-01,
    with the given archive values."""
    batch = make_batch("gongan_hukou", f"2026{n:04d}")
    born = date(2026 - age, 1, 1)
    person, row = make_person(
        crypto,
        batch,
        id_number(f"150302{born:%Y%m%d}{n:03d}"),
        f"居民{n}",
        "1",
        born,
        areas["grids"][grid],
    )
    row.identity_age = age
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    return person


def holders(tag: str) -> set[int]:
    return set(ResidentTag.objects.filter(tag=tag).values_list("person_id", flat=True))


# tag → (archive values for which it holds, values for which it does not)
CASES = {
    "unemployed": ({"employment_status": "3"}, {"employment_status": "1"}),
    "training_willing": (
        {"education_training_willingness": "1"},
        {"education_training_willingness": "2"},
    ),
    "employment_difficulty": (
        {"unemployment_registered": True, "unemployment_registration_date": date(2024, 12, 1)},
        {"unemployment_registered": True, "unemployment_registration_date": date(2025, 12, 1)},
    ),
    "recent_graduate": ({"education_recent_graduate": True}, {"education_recent_graduate": False}),
    "uninsured": (
        {"insurance_any_pension": False, "insurance_statutory_retirement_age": 63},
        {"insurance_any_pension": True, "insurance_statutory_retirement_age": 63},
    ),
    "pension_recipient": (
        {"benefits_pension_payment_status": "1"},
        {"benefits_pension_payment_status": "3"},
    ),
    "certification_overdue": (
        {
            "benefits_pension_payment_status": "1",
            "benefits_last_certification_date": date(2025, 2, 1),
        },
        {
            "benefits_pension_payment_status": "1",
            "benefits_last_certification_date": date(2025, 9, 1),
        },
    ),
    "no_card": ({"card_has_card": False}, {"card_has_card": True}),
    "dibao": ({"assistance_dibao": True}, {"assistance_dibao": False}),
    "tekun": ({"assistance_tekun": True}, {"assistance_tekun": False}),
    "disabled": ({"disability_disabled": True}, {"disability_disabled": False}),
    "veteran": ({"veterans_veteran": True}, {"veterans_veteran": False}),
    "aged_80_plus": ({"age": 85}, {"age": 79}),
    "elderly_alone": (
        {"age": 70, "residence_lives_alone": True},
        {"age": 55, "residence_lives_alone": True},
    ),
}


def test_it_declares_the_portrait_tags_the_profile_needs():
    # Given the tag catalogue
    names = {t.name_zh for t in catalog.tags()}
    # Then the required tags are there, each with a group for its colour, and each is tested
    for name in ("未就业", "有培训意愿", "80岁以上", "未参保", "低保", "退役军人", "高校毕业生"):
        assert name in names
    assert "就业困难" in names and "待遇领取" in names and "残疾人" in names and "特困" in names
    assert all(t.group for t in catalog.tags())
    assert {t.code for t in catalog.tags()} == set(CASES)


@pytest.mark.django_db
@pytest.mark.parametrize("tag", sorted(CASES))
def test_it_tags_exactly_the_residents_the_rule_describes(crypto, areas, tag):
    # Given one resident for whom the tag's rule holds, one for whom it does not, and one
    # for whom it would hold but who has died
    yes, no = CASES[tag]
    holder = resident(crypto, areas, 1, **yes)
    other = resident(crypto, areas, 2, **no)
    dead = resident(crypto, areas, 3, identity_survival_status="2", **yes)
    # When the tags are recomputed
    counts = recompute_tags()
    # Then only the first holds the tag
    assert holders(tag) == {holder.pk}
    assert counts[tag] == 1
    assert other.pk not in holders(tag) and dead.pk not in holders(tag)


@pytest.mark.django_db
def test_it_counts_long_registered_unemployment_zero_employment_and_disability_as_difficulty(
    crypto, areas
):
    # Given a disabled unemployed adult, a member of a zero-employment household, a
    # recognised person, and a disabled adult in work
    disabled = resident(crypto, areas, 1, disability_disabled=True, employment_status="3")
    zero = resident(crypto, areas, 2, employment_zero_employment_household=True)
    recognised = resident(crypto, areas, 3, employment_difficulty_recognised=True)
    working = resident(crypto, areas, 4, disability_disabled=True, employment_status="1")
    old = resident(crypto, areas, 5, age=70, employment_difficulty_recognised=True)
    # When the tags are recomputed
    recompute_tags()
    # Then the first three are in employment difficulty, the worker and the retiree are not
    assert holders("employment_difficulty") == {disabled.pk, zero.pk, recognised.pk}
    assert working.pk not in holders("employment_difficulty")
    assert old.pk not in holders("employment_difficulty")


@pytest.mark.django_db
def test_it_treats_a_student_or_a_retiree_as_not_uninsured(crypto, areas):
    # Given three adults without pension insurance: one of working age, one a student, one
    # past the retirement age without a statutory age computed
    adult = resident(crypto, areas, 1, age=30, insurance_any_pension=False)
    student = resident(
        crypto, areas, 2, age=20, insurance_any_pension=False, education_in_school=True
    )
    retiree = resident(crypto, areas, 3, age=65, insurance_any_pension=False)
    # When the tags are recomputed
    recompute_tags()
    # Then only the working-age adult is uninsured
    assert holders("uninsured") == {adult.pk}
    assert student.pk not in holders("uninsured") and retiree.pk not in holders("uninsured")


@pytest.mark.django_db
def test_it_recomputes_only_the_given_persons(crypto, areas):
    # Given two unemployed residents whose tags were computed
    a = resident(crypto, areas, 1, employment_status="3")
    b = resident(crypto, areas, 2, employment_status="3")
    recompute_tags()
    before_b = ResidentTag.objects.get(person=b, tag="unemployed").computed_at
    # When both find work but only the first is recomputed
    from minsheng.residents.models import Resident

    Resident.objects.filter(person__in=[a, b]).update(employment_status="1")
    counts = recompute_tags([a.pk])
    # Then the first lost the tag; the second still has it, untouched
    assert counts["unemployed"] == 0
    assert holders("unemployed") == {b.pk}
    assert ResidentTag.objects.get(person=b, tag="unemployed").computed_at == before_b
    # and an empty subset touches nobody
    assert recompute_tags([]) == {t.code: 0 for t in catalog.tags()}
    assert holders("unemployed") == {b.pk}


@pytest.mark.django_db
def test_it_is_idempotent(crypto, areas):
    # Given residents with a few tags
    resident(crypto, areas, 1, employment_status="3", veterans_veteran=True)
    resident(crypto, areas, 2, age=85, assistance_dibao=True)
    # When the tags are recomputed twice
    first = recompute_tags()
    rows = set(ResidentTag.objects.values_list("person_id", "tag", "rule_version"))
    second = recompute_tags()
    # Then the same tags hold with the same counts and no duplicates
    assert first == second
    assert set(ResidentTag.objects.values_list("person_id", "tag", "rule_version")) == rows
    assert ResidentTag.objects.count() == len(rows) == sum(second.values())


@pytest.mark.django_db
def test_it_drops_tags_no_longer_in_the_catalogue_and_records_the_rule_version(crypto, areas):
    # Given a tag row whose tag was removed from tags.toml
    from django.utils import timezone

    person = resident(
        crypto, areas, 1, veterans_veteran=True, card_has_card=True, insurance_any_pension=True
    )
    ResidentTag.objects.create(
        person=person, tag="retired_tag", rule_version="0.x", computed_at=timezone.now()
    )
    # When all tags are recomputed
    recompute_tags()
    # Then the old tag is gone and the current one carries its rule's version
    assert not ResidentTag.objects.filter(tag="retired_tag").exists()
    version = next(t.version for t in catalog.tags() if t.code == "veteran")
    assert ResidentTag.objects.get(person=person, tag="veteran").rule_version == version
    # and the person's tags read back with their group colour
    (tag,) = person_tags(person.pk)
    assert (tag.code, tag.group, tag.style) == ("veteran", "身份", "info")


@pytest.mark.django_db
def test_it_prints_the_counts_and_the_time_from_the_command(crypto, areas):
    # Given an unemployed resident
    resident(crypto, areas, 1, employment_status="3")
    # When the command runs
    out = StringIO()
    call_command("recompute_tags", stdout=out)
    # Then it prints each tag's count and how long it took
    text = out.getvalue()
    assert "unemployed" in text and "未就业" in text
    assert " s" in text.splitlines()[-1]
    assert holders("unemployed")
