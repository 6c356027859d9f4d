"""A confirmed death (maker: a clerk, checker: city staff) stops every benefit from the month
after death and recovers what was paid for later months; the SQL agrees with
`lib.benefit_rules.overpaid`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from minsheng.audit.models import AuditEvent
from minsheng.benefits.actions import deaths as actions
from minsheng.benefits.models import (
    Benefit,
    BenefitKind,
    BenefitStatus,
    DeathCase,
    DeathCaseStatus,
    DeathSignal,
    Payment,
    Recovery,
)
from minsheng.lib import benefit_rules as rules
from minsheng.pipeline.signals import person_died

from .roll_world import NOW, areas_of, confirm, m, on_roll, signal_case


def month_rows(benefit: Benefit) -> list[tuple[date, Decimal]]:
    """The benefit's payment lines as the pure rule reads them: one row per month paid."""
    return [
        (rules.month_from_index(month), p.monthly_amount)
        for p in benefit.payments.all()
        for month in range(p.first_month, p.last_month + 1)
    ]


@pytest.fixture
def dead(resident):
    return resident(age=78, insurance_employee_pension_months=300)


# -- the month-after-death rule ----------------------------------------------------------------


@pytest.mark.django_db
def test_it_stops_from_the_month_after_a_death_on_the_last_day_of_a_month(cast, dead):
    # paid through the opening line to February, then April, May and June by payroll
    benefit = on_roll(
        dead, opening_through=m(2026, 2), regular=(m(2026, 3), m(2026, 4), m(2026, 5))
    )
    case = confirm(signal_case(dead), date(2026, 3, 31), cast["clerk"], cast["city_staff"])
    benefit.refresh_from_db()
    assert case.status == DeathCaseStatus.CONFIRMED
    assert benefit.status == BenefitStatus.STOPPED and benefit.stop_reason == "death"
    assert benefit.stopped_from == m(2026, 4)  # March, the month of death, was owed
    recovery = Recovery.objects.get(case=case, benefit=benefit)
    assert recovery.months == 2 and recovery.amount_due == Decimal("6000.00")
    assert recovery.amount_due == rules.overpaid(month_rows(benefit), date(2026, 3, 31))


@pytest.mark.django_db
def test_it_recovers_a_payment_already_made_for_the_month_after_death(cast, dead):
    benefit = on_roll(dead, amount="2750.55", opening_through=m(2026, 3), regular=(m(2026, 4),))
    case = confirm(signal_case(dead), date(2026, 3, 1), cast["clerk"], cast["city_staff"])
    recovery = Recovery.objects.get(case=case)
    assert (recovery.months, recovery.amount_due) == (1, Decimal("2750.55"))
    assert recovery.amount_due == rules.overpaid(month_rows(benefit), date(2026, 3, 1))


@pytest.mark.django_db
def test_it_recovers_nothing_when_nothing_was_paid_after_the_month_of_death(cast, dead):
    benefit = on_roll(dead, opening_through=m(2026, 3))
    case = confirm(signal_case(dead), date(2026, 3, 12), cast["clerk"], cast["city_staff"])
    assert not Recovery.objects.filter(case=case).exists()
    benefit.refresh_from_db()
    assert benefit.status == BenefitStatus.STOPPED and benefit.stopped_from == m(2026, 4)


@pytest.mark.django_db
def test_it_stops_and_recovers_every_benefit_of_the_person(cast, dead):
    pension = on_roll(dead, amount="3100.20", opening_through=m(2026, 6))
    jobless = on_roll(
        dead,
        kind=BenefitKind.UNEMPLOYMENT,
        amount="1764.00",
        start=m(2026, 1),
        regular=tuple(range(m(2026, 1), m(2026, 7))),
    )
    ended = on_roll(
        dead, kind=BenefitKind.SUBSIDY, reference="old", start=m(2024, 1), status="ended"
    )
    case = confirm(signal_case(dead), date(2026, 4, 18), cast["clerk"], cast["city_staff"])
    for b in (pension, jobless):
        b.refresh_from_db()
        assert (b.status, b.stopped_from) == (BenefitStatus.STOPPED, m(2026, 5))
        r = Recovery.objects.get(case=case, benefit=b)
        assert r.months == 2
        assert r.amount_due == rules.overpaid(month_rows(b), date(2026, 4, 18))
    ended.refresh_from_db()
    assert ended.status == BenefitStatus.ENDED and ended.stopped_from is None
    assert Recovery.objects.filter(case=case).count() == 2


@pytest.mark.django_db
def test_it_recovers_a_year_of_payments_for_a_death_reported_a_year_late(cast, dead):
    # the opening line runs past the death; the roll then paid five months more
    benefit = on_roll(
        dead,
        amount="2999.99",
        opening_through=m(2025, 12),
        regular=tuple(range(m(2026, 1), m(2026, 6))),
    )
    died = date(2025, 5, 31)
    case = confirm(signal_case(dead), died, cast["clerk"], cast["city_staff"])
    recovery = Recovery.objects.get(case=case)
    assert recovery.months == 12  # June 2025 to May 2026
    assert recovery.amount_due == Decimal("35999.88")
    assert recovery.amount_due == rules.overpaid(month_rows(benefit), died)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "lines, died",
    [
        ([("opening", 2019, 1, 2026, 10)], date(2026, 10, 31)),
        ([("opening", 2019, 1, 2026, 1), ("back_pay", 2026, 2, 2026, 4)], date(2026, 1, 1)),
        ([("regular", 2026, 5, 2026, 5), ("back_pay", 2026, 5, 2026, 5)], date(2026, 4, 30)),
        ([("opening", 2019, 1, 2024, 12)], date(2025, 3, 3)),
    ],
)
def test_it_agrees_with_the_pure_overpaid_rule(cast, dead, lines, died):
    # hand-made payment lines, a month paid twice included: SQL and rule must agree
    benefit = on_roll(dead, amount="1234.57", start=m(2019, 1))
    for kind, y1, m1, y2, m2 in lines:
        n = m(y2, m2) - m(y1, m1) + 1
        Payment.objects.create(
            benefit=benefit,
            person=dead,
            kind=kind,
            first_month=m(y1, m1),
            last_month=m(y2, m2),
            monthly_amount=benefit.monthly_amount,
            amount=benefit.monthly_amount * n,
            created_at=NOW,
        )
    case = confirm(signal_case(dead), died, cast["clerk"], cast["city_staff"])
    expected = rules.overpaid(month_rows(benefit), died)
    got = Recovery.objects.filter(case=case).values_list("amount_due", flat=True).first()
    assert (got or Decimal("0.00")) == expected


# -- the maker's conditions --------------------------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_a_single_source_without_a_documented_check(cast, dead):
    on_roll(dead, opening_through=m(2026, 3))
    case = signal_case(dead, DeathSignal.Source.GRID, DeathSignal.Source.SCREENING)
    with pytest.raises(actions.DeathCaseError):
        actions.do_propose_death(
            case, death_date=date(2026, 3, 2), check_note="  ", acting_user=cast["clerk"]
        )
    case.refresh_from_db()
    assert case.status == DeathCaseStatus.OPEN and case.proposed_by is None


@pytest.mark.django_db
def test_it_accepts_two_independent_sources_without_a_note(cast, dead):
    on_roll(dead, opening_through=m(2026, 3))
    case = signal_case(dead, DeathSignal.Source.GRID, DeathSignal.Source.HEALTH)
    case = actions.do_propose_death(case, death_date=date(2026, 3, 2), acting_user=cast["clerk"])
    assert case.status == DeathCaseStatus.PROPOSED and case.proposed_by == cast["clerk"]


@pytest.mark.django_db
def test_it_refuses_a_date_of_death_in_the_future(cast, dead):
    case = signal_case(dead)
    with pytest.raises(actions.DeathCaseError):
        actions.do_propose_death(
            case, death_date=date(2999, 1, 1), check_note="x", acting_user=cast["clerk"]
        )


# -- the checker ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_the_proposer_as_approver(cast, dead):
    benefit = on_roll(dead, opening_through=m(2026, 6))
    case = signal_case(dead)
    staff = cast["city_staff"]
    actions.do_propose_death(case, death_date=date(2026, 3, 2), check_note="x", acting_user=staff)
    with pytest.raises(PermissionDenied):
        actions.do_approve_death(case, acting_user=staff)
    case.refresh_from_db()
    benefit.refresh_from_db()
    assert case.status == DeathCaseStatus.PROPOSED and benefit.status == BenefitStatus.PAYING


@pytest.mark.django_db
def test_it_refuses_the_proposers_second_account(cast, dead, make_twin):
    on_roll(dead, opening_through=m(2026, 6))
    case = signal_case(dead)
    staff = cast["city_staff"]
    actions.do_propose_death(case, death_date=date(2026, 3, 2), check_note="x", acting_user=staff)
    with pytest.raises(PermissionDenied):
        actions.do_approve_death(case, acting_user=make_twin(staff))
    assert DeathCase.objects.get(pk=case.pk).status == DeathCaseStatus.PROPOSED


@pytest.mark.django_db
def test_the_database_refuses_one_account_as_proposer_and_approver(cast, dead):
    case = signal_case(dead)
    staff = cast["city_staff"]
    case.proposed_by = case.approved_by = staff
    with pytest.raises(IntegrityError), transaction.atomic():
        case.save()


@pytest.mark.django_db
def test_it_refuses_approval_by_a_clerk(cast, dead):
    case = signal_case(dead)
    actions.do_propose_death(
        case, death_date=date(2026, 3, 2), check_note="x", acting_user=cast["clerk"]
    )
    with pytest.raises(PermissionDenied):
        actions.do_approve_death(case, acting_user=cast["street_clerk"])


# -- area scoping --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_shows_a_case_only_within_its_area(cast, dead):
    case = signal_case(dead)
    assert not DeathCase.objects.visible_to(cast["outsider"]).exists()
    assert list(DeathCase.objects.visible_to(cast["clerk"])) == [case]
    assert list(DeathCase.objects.visible_to(cast["street_clerk"])) == [case]


@pytest.mark.django_db
def test_it_refuses_the_outsider(cast, dead):
    case = signal_case(dead)
    assert not actions.may_propose(cast["outsider"], case)
    assert not actions.may_propose(cast["viewer"], case)
    assert actions.may_propose(cast["clerk"], case)
    with pytest.raises(PermissionDenied):
        actions.do_propose_death(
            case, death_date=date(2026, 3, 2), check_note="x", acting_user=cast["outsider"]
        )
    assert not AuditEvent.objects.filter(object_type="death_case").exists()


# -- what the approval also does -----------------------------------------------------------------


@pytest.mark.django_db
def test_it_cancels_the_persons_open_grid_tasks(cast, dead):
    from minsheng.grid.models import GridTask, TaskStatus

    on_roll(dead, opening_through=m(2026, 6))
    task = GridTask.objects.create(
        kind="certification",
        due_date=date(2026, 12, 31),
        person=dead,
        origin="hand",
        created_at=NOW,
        **areas_of(dead),
    )
    received = []

    def listen(sender, *, person_ids, acting_user, **kwargs):
        received.append((list(person_ids), acting_user))

    person_died.connect(listen)
    try:
        confirm(signal_case(dead), date(2026, 3, 2), cast["clerk"], cast["city_staff"])
    finally:
        person_died.disconnect(listen)
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED and task.closed_by == cast["city_staff"]
    assert received == [([dead.pk], cast["city_staff"])]


@pytest.mark.django_db
def test_it_proposes_the_survivors_entitlements(cast, dead, settings):
    settings.MINSHENG_PROVINCE_MONTHLY_INCOME = "4000.00"
    on_roll(dead, start=m(2016, 1), opening_through=m(2026, 6))
    died = date(2026, 3, 2)
    case = confirm(signal_case(dead), died, cast["clerk"], cast["city_staff"])
    expected = rules.survivor_benefits(
        monthly_disposable_income=Decimal("4000.00"),
        contribution_months=300,
        died=died,
        pension_months_drawn=m(2026, 3) - m(2016, 1) + 1,
    )
    assert case.survivors["funeral_grant"] == "8000.00"
    assert case.survivors["survivor_allowance"] == str(expected.survivor_allowance)
    assert case.survivors["total"] == str(expected.total)


@pytest.mark.django_db
def test_it_proposes_no_survivors_entitlements_without_an_employee_pension(cast, resident):
    person = resident(age=70)
    on_roll(person, kind=BenefitKind.RESIDENT_PENSION, amount="180.00", opening_through=m(2026, 6))
    case = confirm(signal_case(person), date(2026, 3, 2), cast["clerk"], cast["city_staff"])
    assert case.survivors == {}


@pytest.mark.django_db
def test_it_records_one_event_per_step(cast, dead):
    on_roll(dead, opening_through=m(2026, 6))
    case = confirm(signal_case(dead), date(2026, 3, 2), cast["clerk"], cast["city_staff"])
    steps = list(
        AuditEvent.objects.filter(object_type="death_case", object_id=str(case.pk))
        .order_by("seq")
        .values_list("details__step", flat=True)
    )
    assert steps == ["propose", "approve"]


# -- dismissal --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_dismisses_a_wrong_report_before_confirmation(cast, dead):
    benefit = on_roll(dead, opening_through=m(2026, 6))
    case = signal_case(dead)
    case = actions.do_dismiss_death(case, reason="seen alive at home", acting_user=cast["clerk"])
    assert case.status == DeathCaseStatus.DISMISSED
    benefit.refresh_from_db()
    assert benefit.status == BenefitStatus.PAYING


@pytest.mark.django_db
def test_it_refuses_to_dismiss_a_confirmed_death(cast, dead):
    case = confirm(signal_case(dead), date(2026, 3, 2), cast["clerk"], cast["city_staff"])
    with pytest.raises(actions.DeathCaseError):
        actions.do_dismiss_death(case, reason="oops", acting_user=cast["clerk"])
