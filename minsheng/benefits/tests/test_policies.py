"""The policy catalogue and each policy's rule on hand-made residents, at its boundaries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from minsheng.benefits import policies as catalogue
from minsheng.benefits.policies import PolicyError


def ids(qs) -> set[int]:
    return set(qs.values_list("person_id", flat=True))


def test_it_loads_every_policy_with_its_rule_compiled():
    # given the catalogue file
    # when it loads
    found = {p.code: p for p in catalogue.policies()}
    # then the four policies are there, each with a version and a delivery mode
    assert set(found) >= {
        "graduate_job_subsidy",
        "resident_pension_daijiao",
        "certification_door_to_door",
        "job_retention_refund",
    }
    assert found["graduate_job_subsidy"].amount == Decimal(1500)
    assert found["graduate_job_subsidy"].delivery == "benefit_record"
    assert found["resident_pension_daijiao"].unit == "year"
    assert found["certification_door_to_door"].delivery == "grid_task"
    assert found["job_retention_refund"].delivery == "notify"
    assert all(p.version.startswith("1.") for p in found.values())


def test_it_substitutes_thresholds_into_the_rule():
    # given the 代缴 policy
    p = catalogue.policy("resident_pension_daijiao")
    # when its rule is written with another upper age
    text = p.rule_text({"max_age": 64})
    # then the number replaces the placeholder and the default stays for the other
    assert "age between 16 and 64" in text
    assert "{" not in text


@pytest.mark.parametrize("bad", [{"max_ag": 60}, {"max_age": "60 or true"}, {"max_age": -1}])
def test_it_refuses_unknown_or_non_numeric_thresholds(bad):
    # given the 代缴 policy
    p = catalogue.policy("resident_pension_daijiao")
    # when / then a threshold that is not a known non-negative number is refused
    with pytest.raises(PolicyError):
        p.rule_text(bad)


def test_it_stops_loading_on_a_broken_rule(tmp_path):
    # given a catalogue whose rule names an unknown item
    path = tmp_path / "policies.toml"
    path.write_text(
        "[[policies]]\ncode='x'\nrule='''education.nonsense'''\n"
        "[policies.benefit]\nkind='k'\n[policies.delivery]\nmode='notify'\n",
        encoding="utf-8",
    )
    # when / then loading names the policy and the problem
    with pytest.raises(PolicyError, match="policy x.*nonsense"):
        catalogue.load(path)


# -- 求职创业补贴 ----------------------------------------------------------------------


def test_it_finds_hardship_graduates_for_the_job_subsidy(resident, handled):
    # given graduates of the last two years in various situations
    grad = {"education_recent_graduate": True, "age": 23}
    dibao_home = resident(**grad)
    parent = resident(age=50, assistance_dibao=True)
    from minsheng.residents.models import Resident

    household = Resident.objects.get(person=dibao_home).hukou_household_number
    Resident.objects.filter(person=parent).update(hukou_household_number=household)
    disabled = resident(**grad, disability_disabled=True)
    tekun = resident(**grad, assistance_tekun=True)
    plain = resident(**grad)
    not_recent = resident(age=30, assistance_dibao=True, education_recent_graduate=False)
    dead = resident(**grad, assistance_dibao=True, identity_survival_status="2")
    paid = resident(**grad, assistance_dibao=True)
    handled(paid, "求职创业补贴申领", date(2025, 9, 1))
    paid_long_ago = resident(**grad, assistance_dibao=True)
    handled(paid_long_ago, "求职创业补贴申领", date(2023, 9, 1))
    # when the policy's rule runs
    found = ids(catalogue.people(catalogue.policy("graduate_job_subsidy")))
    # then the graduates of a 低保 household, the disabled and the 特困 qualify, and so does
    # one paid outside the 24-month window; the others do not
    assert found == {dibao_home.pk, disabled.pk, tekun.pk, paid_long_ago.pk}
    assert not found & {plain.pk, not_recent.pk, dead.pk, paid.pk, parent.pk}


# -- 城乡居民养老保险代缴 ----------------------------------------------------------------


def test_it_finds_daijiao_candidates_between_16_and_59(resident):
    # given 低保 residents around the age limits and in other situations
    dibao = {"assistance_dibao": True, "assistance_status": "1"}
    at_16, at_59 = resident(age=16, **dibao), resident(age=59, **dibao)
    at_15, at_60 = resident(age=15, **dibao), resident(age=60, **dibao)
    student = resident(age=20, education_in_school=True, **dibao)
    employee = resident(age=40, insurance_employee_pension_status="1", **dibao)
    stopped = resident(age=40, insurance_employee_pension_status="3", **dibao)
    severe = resident(age=40, disability_severe=True)
    mild = resident(age=40, disability_disabled=True, disability_severe=False)
    back_to_poverty = resident(age=40, assistance_returned_to_poverty=True)
    elsewhere = resident(age=40, hukou_local=False, **dibao)
    dibao_stopped = resident(age=40, assistance_dibao=True, assistance_status="2")
    # when the rule runs with its defaults
    p = catalogue.policy("resident_pension_daijiao")
    found = ids(catalogue.people(p))
    # then the age limits are inclusive, students, employee-pension payers, non-locals and
    # people without hardship are out
    assert found == {at_16.pk, at_59.pk, stopped.pk, severe.pk, back_to_poverty.pk}
    assert not found & {
        at_15.pk,
        at_60.pk,
        student.pk,
        employee.pk,
        mild.pk,
        elsewhere.pk,
        dibao_stopped.pk,
    }
    # and the cost is 100 元 a person
    assert catalogue.evaluate(p) == {"count": 5, "cost": Decimal("500.00")}


# -- 上门认证 ------------------------------------------------------------------------------


def test_it_sends_pensioners_aged_80_plus_due_for_certification_to_the_door(resident):
    # given pensioners around the age and certification limits
    pension = {"benefits_pension_type": "1", "benefits_pension_payment_status": "1"}
    due = resident(age=80, benefits_last_certification_date=date(2025, 4, 1), **pension)
    overdue = resident(age=90, benefits_last_certification_date=date(2024, 12, 1), **pension)
    young = resident(age=79, benefits_last_certification_date=date(2025, 1, 1), **pension)
    recent = resident(age=85, benefits_last_certification_date=date(2025, 4, 2), **pension)
    no_pension = resident(age=85, benefits_last_certification_date=date(2024, 1, 1))
    stopped = resident(
        age=85,
        benefits_pension_type="1",
        benefits_pension_payment_status="3",
        benefits_last_certification_date=date(2024, 1, 1),
    )
    # when the rule runs
    found = ids(catalogue.people(catalogue.policy("certification_door_to_door")))
    # then 80+ whose last certification is 11 completed months old or more are found
    assert found == {due.pk, overdue.pk}
    assert not found & {young.pk, recent.pk, no_pension.pk, stopped.pk}


# -- 稳岗返还 ------------------------------------------------------------------------------

KEEPS = "91150302MA0000001A"
LAID_OFF = "91150302MA0000002B"
SMALL = "91150302MA0000003C"


def employ(resident, uscc: str, name: str, n: int, **extra):
    return [
        resident(
            age=35,
            employment_employer_uscc=uscc,
            employment_employer=name,
            employment_status="1",
            insurance_unemployment_insurance_status="1",
            **extra,
        )
        for _ in range(n)
    ]


@pytest.fixture
def enterprises(resident):
    employ(resident, KEEPS, "乌海市稳岗有限公司", 5)
    employ(resident, LAID_OFF, "乌海市裁员有限公司", 6)
    employ(resident, SMALL, "乌海市小微有限公司", 4)
    # one of LAID_OFF's former employees registered unemployed three months ago
    resident(
        age=40,
        employment_employer_uscc=LAID_OFF,
        employment_status="2",
        unemployment_registered=True,
        unemployment_registration_date=date(2025, 12, 1),
    )


def test_it_refunds_enterprises_that_kept_their_staff(enterprises):
    # given three employers (see the fixture)
    p = catalogue.policy("job_retention_refund")
    # when the enterprise policy runs
    found = list(catalogue.enterprises(p))
    # then only the one with five insured employees and no recent layoff qualifies, at
    # 0.6 × 5 × 4,000 元
    assert [(e["employment_employer_uscc"], e["employees"]) for e in found] == [(KEEPS, 5)]
    assert found[0]["name"] == "乌海市稳岗有限公司"
    assert catalogue.evaluate(p) == {"count": 1, "cost": Decimal("12000.00")}


def test_it_forgets_a_layoff_older_than_the_window(enterprises):
    # given the same employers
    p = catalogue.policy("job_retention_refund")
    # when the layoff window is two months and the staff minimum four
    found = catalogue.enterprises(p, {"layoff_months": 2, "min_staff": 4})
    # then the layoff three months ago no longer counts and the small employer qualifies
    assert {e["employment_employer_uscc"] for e in found} == {KEEPS, LAID_OFF, SMALL}
