"""`dibao_with_company` over the refreshed archive: a 低保 recipient who is the legal
representative of a company still in business is found even when their latest registered
business is something else (a later 个体工商户), and the explanation says the
`business_any(...)` condition held."""

from __future__ import annotations

from datetime import date

import pytest

from minsheng.residents.models import Resident
from minsheng.residents.tests.test_conflicts_detection import AS_OF, World
from minsheng.screening import catalog, engine

LIST = "dibao_with_company"


@pytest.fixture
def world(crypto, areas):
    return World(crypto, areas)


def dibao(world, person):
    world.fact(
        "mz_assistance",
        person,
        day="20261103",
        name=person.name,
        assistance_type="低保",
        assistance_type_code="dibao",
        approval_date=date(2023, 2, 14),
        assistance_status="在保",
        assistance_status_code="1",
    )


def business(world, person, uscc, name, kind, since, status="存续", code="1"):
    world.fact(
        "scjg_business",
        person,
        day="20261108",
        uscc=uscc,
        entity_name=name,
        entity_type=kind,
        name=person.name,
        established_date=since,
        status=status,
        status_code=code,
        employees=3,
    )


def found() -> set[int]:
    _, rule = catalog.find_list(LIST)
    return set(
        engine.matching_all(rule.rule, rule=LIST, as_of=AS_OF).values_list("person_id", flat=True)
    )


@pytest.mark.django_db
def test_it_finds_a_company_behind_a_later_shop(world):
    # given 孙志强 on 低保, legal representative of a company (2020) and, later, owner of a
    # shop (2025), both in business; and 周红 on 低保 whose company is cancelled and whose
    # shop is open
    sun = world.person("15030219800101153", "孙志强", date(1980, 1, 1))
    dibao(world, sun)
    business(
        world, sun, "91150302MA0N5LDP8A", "乌海市志强建材有限公司", "有限责任公司", date(2020, 5, 6)
    )
    business(world, sun, "92150302MA0R2FQ93W", "海勃湾区孙记烧烤店", "个体工商户", date(2025, 4, 1))
    zhou = world.person("15030219820202244", "周红", date(1982, 2, 2))
    dibao(world, zhou)
    business(
        world,
        zhou,
        "91150302MA0N9UCE1T",
        "乌海市红运商贸有限公司",
        "有限责任公司",
        date(2018, 3, 3),
        status="注销",
        code="4",
    )
    business(
        world, zhou, "92150302MA0R6MJX4Y", "海勃湾区周记水果店", "个体工商户", date(2024, 9, 9)
    )
    # when the archive is refreshed
    world.refresh(sun, zhou)
    # then both rows show the shop as their business, yet the list finds 孙志强 only
    assert set(
        Resident.objects.filter(pk__in=[sun.pk, zhou.pk]).values_list("business_entity_kind")
    ) == {("2",)}
    got = found()
    assert sun.pk in got
    assert zhou.pk not in got
    # and the explanation names the condition on any of his businesses as held
    _, rule = catalog.find_list(LIST)
    why = dict(engine.explain(sun.pk, rule.rule, rule=LIST, as_of=AS_OF))
    condition = (
        "business_any(business.is_legal_rep and business.entity_kind = '企业' "
        "and business.status in ('存续', '在业'))"
    )
    assert why[condition] is True
    assert all(why.values())
    assert dict(engine.explain(zhou.pk, rule.rule, rule=LIST, as_of=AS_OF))[condition] is False
