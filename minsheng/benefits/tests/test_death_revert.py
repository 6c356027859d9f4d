"""A death confirmed by mistake is reverted by two people: the benefits pay again, the
months the stop left unpaid are paid back, the recoveries are cancelled."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from minsheng.audit.models import AuditEvent
from minsheng.benefits.actions import deaths as actions
from minsheng.benefits.models import (
    BenefitKind,
    BenefitStatus,
    DeathCaseStatus,
    Decision,
    DecisionKind,
    Payment,
    PaymentKind,
    Recovery,
    RecoveryStatus,
)

from .roll_world import confirm, m, on_roll, run_for, signal_case

DIED = date(2026, 6, 10)  # wrongly reported


@pytest.fixture
def wrongly_dead(cast, resident):
    """Paid through July (July after the "death": recovered), stopped from July; the payment
    runs of August to October went on without the person."""
    person = resident(age=75, insurance_employee_pension_months=360)
    pension = on_roll(person, amount="3200.00", opening_through=m(2026, 6), regular=(m(2026, 7),))
    subsidy = on_roll(
        person,
        kind=BenefitKind.SUBSIDY,
        reference="p1",
        amount="150.00",
        start=m(2026, 1),
        regular=tuple(range(m(2026, 1), m(2026, 7))),
    )
    case = confirm(signal_case(person), DIED, cast["clerk"], cast["city_staff"])
    for month in (m(2026, 8), m(2026, 9), m(2026, 10)):
        run_for(month)
    return person, pension, subsidy, case


@pytest.mark.django_db
def test_it_restores_payment_with_back_pay(cast, wrongly_dead, second_staff):
    person, pension, subsidy, case = wrongly_dead
    assert Recovery.objects.get(case=case, benefit=pension).amount_due == Decimal("3200.00")
    decision = actions.do_propose_revert(case, reason="seen alive", acting_user=cast["clerk"])
    assert decision.kind == DecisionKind.REVERT and decision.status == Decision.Status.PROPOSED
    actions.do_approve_revert(case, acting_user=second_staff)

    case.refresh_from_db()
    assert case.status == DeathCaseStatus.REVERTED and case.closed_reason == "seen alive"
    for b in (pension, subsidy):
        b.refresh_from_db()
        assert (b.status, b.stopped_from, b.stop_reason) == (BenefitStatus.PAYING, None, "")
        assert b.paid_through == m(2026, 10)
    # July was paid (and is no longer owed back); August to October were not
    back = Payment.objects.get(benefit=pension, kind=PaymentKind.BACK_PAY)
    assert (back.first_month, back.last_month) == (m(2026, 8), m(2026, 10))
    assert back.amount == Decimal("9600.00")
    back = Payment.objects.get(benefit=subsidy, kind=PaymentKind.BACK_PAY)
    assert (back.first_month, back.last_month, back.amount) == (
        m(2026, 7),
        m(2026, 10),
        Decimal("600.00"),
    )
    assert set(Recovery.objects.filter(case=case).values_list("status", flat=True)) == {
        RecoveryStatus.CANCELLED
    }


@pytest.mark.django_db
def test_it_keeps_a_recorded_suspension(cast, wrongly_dead, second_staff):
    person, pension, subsidy, case = wrongly_dead
    pension.suspended_from = m(2026, 9)
    pension.save(update_fields=["suspended_from"])
    actions.do_propose_revert(case, reason="alive", acting_user=cast["clerk"])
    actions.do_approve_revert(case, acting_user=second_staff)
    pension.refresh_from_db()
    assert pension.status == BenefitStatus.SUSPENDED and pension.stopped_from is None
    back = Payment.objects.get(benefit=pension, kind=PaymentKind.BACK_PAY)
    assert (back.first_month, back.last_month) == (m(2026, 8), m(2026, 8))


@pytest.mark.django_db
def test_it_refuses_one_person_as_both(cast, wrongly_dead):
    person, pension, subsidy, case = wrongly_dead
    staff = cast["city_staff"]
    actions.do_propose_revert(case, reason="alive", acting_user=staff)
    with pytest.raises(PermissionDenied):
        actions.do_approve_revert(case, acting_user=staff)
    case.refresh_from_db()
    pension.refresh_from_db()
    assert case.status == DeathCaseStatus.CONFIRMED and pension.status == BenefitStatus.STOPPED
    assert not Payment.objects.filter(kind=PaymentKind.BACK_PAY).exists()


@pytest.mark.django_db
def test_it_reverts_only_a_confirmed_death(cast, resident):
    person = resident(age=75)
    on_roll(person)
    case = signal_case(person)
    with pytest.raises(actions.DeathCaseError):
        actions.do_propose_revert(case, reason="alive", acting_user=cast["clerk"])


@pytest.mark.django_db
def test_it_refuses_a_second_pending_revert(cast, wrongly_dead):
    case = wrongly_dead[3]
    actions.do_propose_revert(case, reason="alive", acting_user=cast["clerk"])
    with pytest.raises(actions.DeathCaseError):
        actions.do_propose_revert(case, reason="alive again", acting_user=cast["street_clerk"])


@pytest.mark.django_db
def test_it_refuses_the_outsider(cast, wrongly_dead):
    case = wrongly_dead[3]
    with pytest.raises(PermissionDenied):
        actions.do_propose_revert(case, reason="alive", acting_user=cast["outsider"])


@pytest.mark.django_db
def test_each_step_is_its_own_event(cast, wrongly_dead, second_staff):
    case = wrongly_dead[3]
    decision = actions.do_propose_revert(case, reason="alive", acting_user=cast["clerk"])
    actions.do_approve_revert(case, acting_user=second_staff)
    steps = list(
        AuditEvent.objects.filter(object_type="decision", object_id=str(decision.pk))
        .order_by("seq")
        .values_list("details__step", flat=True)
    )
    assert steps == ["propose", "approve"]
