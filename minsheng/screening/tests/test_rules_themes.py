"""Every target list's rule on hand-made archive rows: one resident it must find and one,
differing in a single item, it must not; retirement-age boundaries; household aggregates;
and the explanation of a rule for one resident."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from django.utils import timezone

from minsheng.residents.models import Holding, HoldingKind, Resident
from minsheng.screening import catalog, engine
from minsheng.sources.models import Batch, BatchStatus, Person

AS_OF = date(2026, 11, 13)
_numbers = itertools.count(1)

# Working age: well inside 16 .. statutory retirement.
WORKING = {
    "identity.age": 35,
    "identity.birth_date": date(1991, 5, 1),
    "insurance.statutory_retirement_date": date(2054, 6, 1),
}
PENSIONER = {
    "identity.age": 70,
    "benefits.pension_type": "1",
    "benefits.pension_payment_status": "1",
}


@pytest.fixture
def batch(db):
    return Batch.objects.create(
        source="gongan_hukou",
        file_name="gongan_hukou_20261110.csv",
        sha256="f" * 64,
        status=BatchStatus.LOADED,
        archived=True,
    )


# business.* items → the column of the set entry (`Holding`) that stands for them
BUSINESS_ENTRY = {
    "business.uscc": "key",
    "business.entity_name": "label",
    "business.entity_kind": "category",
    "business.status": "status",
    "business.established_date": "start_date",
    "business.employees": "employees",
}


@pytest.fixture
def resident(batch):
    """A resident holding only the items given (dictionary codes), alive unless told. Given
    business items, the business they describe is also the person's one business in the
    archive's set (as the refresh would keep it)."""

    def make(**items):
        n = next(_numbers)
        values = {"identity.survival_status": "1", **items}
        person = Person.objects.create(
            first_source="gongan_hukou", first_batch=batch, first_row=n, created_at=timezone.now()
        )
        Resident.objects.create(
            person=person,
            as_of=AS_OF,
            refreshed_at=timezone.now(),
            **{code.replace(".", "_"): v for code, v in values.items()},
        )
        if any(code.startswith("business.") for code in values):
            Holding.objects.create(
                person=person,
                kind=HoldingKind.BUSINESS,
                source="scjg_business",
                batch=batch,
                row=n,
                **{col: values[code] for code, col in BUSINESS_ENTRY.items() if code in values},
            )
        return person.pk

    return make


def found(code: str) -> set[int]:
    _, rule = catalog.find_list(code)
    return set(engine.matching_all(rule.rule, rule=code).values_list("person_id", flat=True))


# list code → (items of a resident the list must find, the one change that must drop them)
CASES = {
    "population_no_record": (
        {**WORKING, "education.in_school": False},
        {"employment.form": "1"},
    ),
    "population_suspected_dead": (
        {"identity.survival_status": "3"},
        {"identity.survival_status": "1"},
    ),
    "population_lives_alone_elderly": (
        {"identity.age": 75, "residence.lives_alone": True},
        {"identity.age": 69},
    ),
    "population_floating": (
        {"residence.population_type": "2"},
        {"residence.population_type": "1"},
    ),
    "graduates_unemployed": (
        {"education.recent_graduate": True, "employment.status": "3"},
        {"employment.status": "1"},
    ),
    "graduates_job_subsidy": (
        {
            "education.recent_graduate": True,
            "hukou.household_number": "H-GRAD",
            "assistance.tekun": True,
        },
        # another household: the aggregate is over the household, so the pair cannot share one
        {"assistance.tekun": False, "hukou.household_number": "H-GRAD-2"},
    ),
    "graduates_willing_to_train": (
        {
            "education.recent_graduate": True,
            "employment.status": "3",
            "education.training_willingness": "1",
        },
        {"education.training_willingness": "2"},
    ),
    "graduates_no_insurance": (
        {"education.recent_graduate": True, "employment.status": "1", "insurance.any_pension": 0},
        {"insurance.any_pension": True},
    ),
    "veterans_unemployed": (
        {**WORKING, "veterans.veteran": True, "employment.status": "2"},
        {"insurance.statutory_retirement_date": date(2026, 1, 1)},
    ),
    "veterans_no_pension": (
        {"veterans.veteran": True, "identity.age": 40, "insurance.any_pension": False},
        {"insurance.any_pension": True},
    ),
    "veterans_self_employed_support": (
        {
            **WORKING,
            "veterans.veteran": True,
            "veterans.resettlement": "1",
            "employment.status": "3",
        },
        {"veterans.resettlement": "2"},
    ),
    "card_none": ({"card.has_card": False}, {"card.has_card": True}),
    "card_old_generation": (
        {"card.generation": "1", "card.status": "1"},
        {"card.generation": "3"},
    ),
    "card_lost_not_replaced": ({"card.status": "2"}, {"card.status": "1"}),
    "card_no_ecard": (
        {"card.has_card": True, "identity.age": 30, "card.ecard": False},
        {"card.ecard": True},
    ),
    "card_not_activated": (
        {"card.has_card": True, "card.financial_activated": False, "benefits.pension_type": "1"},
        {"benefits.pension_type": None},
    ),
    "certification_overdue": (
        {**PENSIONER, "benefits.next_certification_due": date(2026, 10, 1)},
        {"benefits.next_certification_due": date(2027, 1, 1)},
    ),
    "certification_due_30d": (
        {
            **PENSIONER,
            "benefits.last_certification_date": date(2025, 12, 1),
            "benefits.next_certification_due": date(2026, 12, 1),
        },
        {
            "benefits.last_certification_date": date(2026, 6, 1),
            "benefits.next_certification_due": date(2027, 6, 1),
        },
    ),
    "certification_door_to_door_80plus": (
        {**PENSIONER, "identity.age": 85, "benefits.last_certification_date": date(2025, 11, 20)},
        {"identity.age": 79},
    ),
    "certification_door_to_door_disabled": (
        {
            **PENSIONER,
            "disability.severe": True,
            "benefits.last_certification_date": date(2025, 11, 20),
        },
        {"disability.severe": False},
    ),
    "deceased_still_paid": (
        {"identity.survival_status": "2", "benefits.pension_payment_status": "1"},
        {"benefits.pension_payment_status": "3"},
    ),
    "unemployment_benefit_while_employed": (
        {
            "unemployment.benefit_status": "1",
            "unemployment.registration_date": date(2026, 1, 1),
            "employment.employer_uscc": "91150300MA0N000001",
            "employment.start_date": date(2026, 5, 1),
        },
        {"employment.start_date": date(2025, 6, 1)},
    ),
    "unemployment_benefit_while_business_owner": (
        {
            "unemployment.benefit_status": "1",
            "unemployment.registration_date": date(2026, 1, 1),
            "business.is_legal_rep": True,
            "business.status": "1",
            "business.established_date": date(2026, 3, 1),
        },
        {"business.established_date": date(2025, 1, 1)},
    ),
    "dibao_with_company": (
        {
            "assistance.dibao": True,
            "assistance.status": "1",
            "business.is_legal_rep": True,
            "business.entity_kind": "1",
            "business.status": "2",
        },
        {"business.entity_kind": "2"},
    ),
    "employer_owner_no_insurance": (
        {
            "business.is_legal_rep": True,
            "business.entity_kind": "1",
            "business.status": "1",
            "business.employees": 5,
        },
        {"business.employees": 0},
    ),
    "insurance_no_pension": (
        {**WORKING, "education.in_school": False, "insurance.any_pension": False},
        {"education.in_school": True},
    ),
    "daijiao_candidates": (
        {
            "hukou.local": True,
            "identity.age": 40,
            "education.in_school": False,
            "assistance.dibao": True,
            "assistance.status": "1",
        },
        {"insurance.employee_pension_status": "1"},
    ),
    "insurance_willing": (
        {**WORKING, "insurance.willingness": "1", "insurance.any_pension": False},
        {"insurance.willingness": "2"},
    ),
    "insurance_interrupted": (
        {**WORKING, "insurance.employee_pension_status": "2"},
        {"insurance.employee_pension_status": "3"},
    ),
    "insurance_short_years_near_retirement": (
        {
            "insurance.statutory_retirement_date": date(2029, 1, 1),
            "insurance.employee_pension_months": 100,
        },
        {"insurance.employee_pension_months": 200},
    ),
    "difficulty_recognised": (
        {"employment.difficulty_recognised": True},
        {"employment.difficulty_recognised": False},
    ),
    "difficulty_4050": (
        {**WORKING, "identity.sex": "2", "identity.age": 42, "employment.status": "3"},
        {"identity.sex": "1"},
    ),
    "difficulty_disabled": (
        {**WORKING, "disability.disabled": True, "employment.status": "3"},
        {"employment.status": "1"},
    ),
    "difficulty_dibao_family": (
        {
            **WORKING,
            "hukou.household_number": "H-DIBAO",
            "assistance.dibao": True,
            "employment.status": "3",
        },
        {"employment.status": "1"},
    ),
    "difficulty_long_unemployed": (
        {**WORKING, "employment.status": "2", "unemployment.duration_months": 14},
        {"unemployment.duration_months": 6},
    ),
    "difficulty_zero_employment_household": (
        {**WORKING, "employment.zero_employment_household": True},
        {"employment.zero_employment_household": False},
    ),
}


def test_it_has_a_case_for_every_list_of_the_catalogue():
    # given the catalogue's lists
    codes = {r.code for t in catalog.themes() for r in t.lists}
    # then each is exercised below, and the catalogue is as big as the design asks
    assert codes == set(CASES)
    assert len(codes) >= 25
    assert [t.code for t in catalog.themes()] == [
        "population",
        "graduates",
        "veterans",
        "card",
        "certification",
        "inspection",
        "insurance_expansion",
        "employment_difficulty",
    ]


@pytest.mark.parametrize("code", sorted(CASES))
def test_it_finds_the_resident_the_list_is_about_and_not_the_one_beside_it(resident, code):
    # given a resident the list is about, and one differing in a single item
    items, change = CASES[code]
    inside = resident(**items)
    outside = resident(**{**items, **change})
    # when the list's rule runs over the whole city
    got = found(code)
    # then only the first is on it
    assert inside in got
    assert outside not in got


@pytest.mark.parametrize(
    ("retires", "listed"),
    [(date(2026, 12, 13), True), (date(2026, 10, 13), False), (AS_OF, False)],
)
def test_it_counts_working_age_up_to_the_statutory_retirement_date(resident, retires, listed):
    # given a 59-year-old without pension insurance who retires a month after, a month
    # before, or on the archive's date
    pid = resident(
        **{**WORKING, "identity.age": 59, "insurance.statutory_retirement_date": retires},
        **{"education.in_school": False, "insurance.any_pension": False},
    )
    # when the coverage and employment-difficulty lists run
    # then they are working age only before the retirement date
    assert (pid in found("insurance_no_pension")) is listed
    assert (pid in found("population_no_record")) is listed


def test_it_takes_a_hardship_from_any_member_of_the_household(resident):
    # given three recent graduates: one whose household has a 低保 member in 在保, one
    # whose household member's 低保 has stopped, one alone in another household
    grad = {"education.recent_graduate": True}
    in_need = resident(**grad, **{"hukou.household_number": "H1"})
    resident(**{"hukou.household_number": "H1", "assistance.dibao": True, "assistance.status": "1"})
    stopped = resident(**grad, **{"hukou.household_number": "H2"})
    resident(**{"hukou.household_number": "H2", "assistance.dibao": True, "assistance.status": "2"})
    alone = resident(**grad, **{"hukou.household_number": "H3"})
    # when the job-subsidy list runs
    got = found("graduates_job_subsidy")
    # then only the graduate of the household in need is on it
    assert in_need in got
    assert stopped not in got
    assert alone not in got


def test_it_takes_dibao_family_members_not_on_dibao_themselves(resident):
    # given a jobless adult whose mother is on 低保, and one from a household without
    son = resident(**WORKING, **{"employment.status": "3", "hukou.household_number": "H9"})
    resident(**{"hukou.household_number": "H9", "assistance.dibao": True, "identity.age": 60})
    other = resident(**WORKING, **{"employment.status": "3", "hukou.household_number": "H8"})
    # then the dibao-family list finds the son only
    got = found("difficulty_dibao_family")
    assert son in got
    assert other not in got


def test_it_explains_which_conditions_held_for_one_resident(resident):
    # given a recent graduate from a 特困 household who already had the subsidy paid
    pid = resident(
        **{"education.recent_graduate": True, "assistance.tekun": True},
        **{"hukou.household_number": "H5", "employment.status": "3"},
    )
    _, rule = catalog.find_list("graduates_job_subsidy")
    # when the rule is explained for them
    why = dict(engine.explain(pid, rule.rule, rule=rule.code))
    # then every condition is named with whether it held
    assert why["education.recent_graduate"] is True
    assert why["identity.survival_status = '生存'"] is True
    assert why["not handled_within('求职创业补贴申领', 24)"] is True
    assert len(why) == 4
    # and a condition that fails says so
    _, jobs = catalog.find_list("graduates_no_insurance")
    held = dict(engine.explain(pid, jobs.rule, rule=jobs.code))
    assert held["employment.status = '就业'"] is False


def test_it_takes_the_graduates_own_hardship_when_no_household_is_known(resident):
    # given a disabled recent graduate of whom 公安 holds no household, and one not disabled
    own = resident(**{"education.recent_graduate": True, "disability.disabled": True})
    none = resident(**{"education.recent_graduate": True, "disability.disabled": False})
    # then the job-subsidy list finds the first from their own record
    got = found("graduates_job_subsidy")
    assert own in got
    assert none not in got


def test_it_counts_the_plain_lists_of_a_theme_in_one_query(resident, django_assert_num_queries):
    # given one resident for each list of the catalogue
    for items, _change in CASES.values():
        resident(**items)
    lists = [r for t in catalog.themes() for r in t.lists]
    with_subqueries = [
        r for r in lists if " FROM " in engine.compiled(r.rule, rule=r.code, as_of=AS_OF).sql
    ]
    # when every list is counted at once
    with django_assert_num_queries(1 + len(with_subqueries)):
        together = engine.counts(
            Resident.objects.all(), [(r.code, r.rule) for r in lists], as_of=AS_OF
        )
    # then each count is what the list's own query counts
    one_by_one = {
        r.code: engine.matching_all(r.rule, rule=r.code, as_of=AS_OF).count() for r in lists
    }
    assert together == one_by_one
    assert all(together[code] >= 1 for code in CASES)
