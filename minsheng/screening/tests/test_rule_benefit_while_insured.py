"""`unemployment_benefit_while_employed` over the refreshed archive: a person drawing
unemployment benefit whose new employer pays their contributions is found though no
就业登记 was ever made; one who opened a shop instead is the business-owner list's."""

from __future__ import annotations

from datetime import date

import pytest

from minsheng.residents.tests.test_conflicts_detection import AS_OF, World
from minsheng.screening import catalog, engine

EMPLOYER = "91150302MA0N3CX71B"


@pytest.fixture
def world(crypto, areas):
    return World(crypto, areas)


def unemployed(world, person, since):
    """A 失业登记 with the benefit being paid."""
    world.fact(
        "rs_employment",
        person,
        day="20261109",
        name=person.name,
        registration_type="失业登记",
        registration_type_code="U",
        registration_date=since,
        benefit_status="领取中",
        benefit_status_code="1",
        benefit_months_approved=12,
        benefit_months_left=8,
    )


def found(code: str) -> set[int]:
    _, rule = catalog.find_list(code)
    return set(
        engine.matching_all(rule.rule, rule=code, as_of=AS_OF).values_list("person_id", flat=True)
    )


@pytest.mark.django_db
def test_it_finds_benefit_drawn_while_a_new_employer_pays_contributions(world):
    # given 马晓东, unemployed since March and paid benefit, whose new employer has paid his
    # pension and unemployment insurance since July, with no 就业登记
    ma = world.person("15030219900615171", "马晓东", date(1990, 6, 15))
    unemployed(world, ma, date(2026, 3, 2))
    for scheme in ("110", "210"):
        world.fact(
            "rs_insurance",
            ma,
            day="20261109",
            name=ma.name,
            scheme_code=scheme,
            insured_status="参保缴费",
            insured_identity="在职职工",
            insured_identity_code="1",
            current_insured_date=date(2026, 7, 1),
            employer="乌海市海勃湾区恒通物流有限公司",
            employer_uscc=EMPLOYER,
        )
    # and 高峰, unemployed since March too, who opened a shop in June
    gao = world.person("15030219880808135", "高峰", date(1988, 8, 8))
    unemployed(world, gao, date(2026, 3, 2))
    world.fact(
        "scjg_business",
        gao,
        day="20261108",
        uscc="92150302MA0R5GF77Q",
        entity_name="海勃湾区高记便利店",
        entity_type="个体工商户",
        name=gao.name,
        established_date=date(2026, 6, 1),
        status="存续",
        status_code="1",
    )
    # when the archive is refreshed
    world.refresh(ma, gao)
    # then the benefit-while-employed list finds 马晓东, with every condition held
    employed = found("unemployment_benefit_while_employed")
    assert ma.pk in employed
    _, rule = catalog.find_list("unemployment_benefit_while_employed")
    assert all(dict(engine.explain(ma.pk, rule.rule, rule=rule.code, as_of=AS_OF)).values())
    # and 高峰 is on the business-owner list, not this one
    assert gao.pk not in employed
    assert found("unemployment_benefit_while_business_owner") & {ma.pk, gao.pk} == {gao.pk}
