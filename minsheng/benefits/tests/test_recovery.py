"""Recovering an overpayment from the family: contact, instalments, receipts (never more
than is due), and a write-off only with a second person's approval."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from minsheng.audit.models import AuditEvent
from minsheng.benefits.actions import deaths as actions
from minsheng.benefits.models import Decision, Recovery, RecoveryReceipt, RecoveryStatus

from .roll_world import confirm, m, on_roll, signal_case


@pytest.fixture
def recovery(cast, resident):
    person = resident(age=88)
    on_roll(person, amount="2000.00", opening_through=m(2026, 3), regular=(m(2026, 4), m(2026, 5)))
    case = confirm(signal_case(person), date(2026, 3, 20), cast["clerk"], cast["city_staff"])
    return Recovery.objects.get(case=case)


@pytest.mark.django_db
def test_it_records_the_family_contact(cast, recovery):
    r = actions.do_record_family_contact(
        recovery, note="daughter called, will repay", acting_user=cast["clerk"]
    )
    assert Recovery.objects.get(pk=r.pk).contact_note == "daughter called, will repay"


@pytest.mark.django_db
def test_it_closes_when_everything_is_returned_in_instalments(cast, recovery):
    assert recovery.amount_due == Decimal("4000.00")
    actions.do_agree_instalments(recovery, count=2, acting_user=cast["clerk"])
    assert Recovery.objects.get(pk=recovery.pk).status == RecoveryStatus.INSTALMENTS
    actions.do_record_receipt(
        recovery, amount=Decimal("1500"), received_on=date(2026, 10, 1), acting_user=cast["clerk"]
    )
    r = Recovery.objects.get(pk=recovery.pk)
    assert r.amount_returned == Decimal("1500.00") and r.status == RecoveryStatus.INSTALMENTS
    actions.do_record_receipt(
        recovery, amount=Decimal("2500"), received_on=date(2026, 11, 1), acting_user=cast["clerk"]
    )
    r = Recovery.objects.get(pk=recovery.pk)
    assert r.amount_returned == r.amount_due and r.status == RecoveryStatus.CLOSED
    assert r.receipts.count() == 2


@pytest.mark.django_db
def test_it_refuses_more_than_is_due(cast, recovery):
    actions.do_record_receipt(
        recovery, amount=Decimal("3000"), received_on=date(2026, 10, 1), acting_user=cast["clerk"]
    )
    with pytest.raises(actions.DeathCaseError):
        actions.do_record_receipt(
            recovery,
            amount=Decimal("1000.01"),
            received_on=date(2026, 10, 2),
            acting_user=cast["clerk"],
        )
    assert Recovery.objects.get(pk=recovery.pk).amount_returned == Decimal("3000.00")
    assert RecoveryReceipt.objects.count() == 1


@pytest.mark.django_db
def test_the_database_refuses_more_than_is_due(recovery):
    with pytest.raises(IntegrityError), transaction.atomic():
        Recovery.objects.filter(pk=recovery.pk).update(amount_returned=Decimal("4000.01"))


@pytest.mark.django_db
def test_it_refuses_a_receipt_after_closing(cast, recovery):
    actions.do_record_receipt(
        recovery, amount=Decimal("4000"), received_on=date(2026, 10, 1), acting_user=cast["clerk"]
    )
    with pytest.raises(actions.DeathCaseError):
        actions.do_record_receipt(
            recovery, amount=Decimal("1"), received_on=date(2026, 10, 1), acting_user=cast["clerk"]
        )


@pytest.mark.django_db
def test_it_refuses_one_instalment(cast, recovery):
    with pytest.raises(actions.DeathCaseError):
        actions.do_agree_instalments(recovery, count=1, acting_user=cast["clerk"])


@pytest.mark.django_db
def test_it_writes_off_with_a_second_person(cast, recovery, second_staff):
    actions.do_record_receipt(
        recovery, amount=Decimal("500"), received_on=date(2026, 10, 1), acting_user=cast["clerk"]
    )
    decision = actions.do_propose_write_off(
        recovery, reason="no estate, family destitute", acting_user=cast["clerk"]
    )
    assert Recovery.objects.get(pk=recovery.pk).status == RecoveryStatus.OPEN
    actions.do_approve_write_off(recovery, acting_user=second_staff)
    r = Recovery.objects.get(pk=recovery.pk)
    assert r.status == RecoveryStatus.WRITTEN_OFF and r.closed_at is not None
    decision.refresh_from_db()
    assert decision.status == Decision.Status.APPROVED and decision.approved_by == second_staff
    event = AuditEvent.objects.get(object_type="decision", details__step="approve")
    assert event.details["written_off"] == "3500.00"


@pytest.mark.django_db
def test_it_refuses_a_write_off_by_one_person(cast, recovery):
    staff = cast["city_staff"]
    actions.do_propose_write_off(recovery, reason="uncollectable", acting_user=staff)
    with pytest.raises(PermissionDenied):
        actions.do_approve_write_off(recovery, acting_user=staff)
    assert Recovery.objects.get(pk=recovery.pk).status == RecoveryStatus.OPEN


@pytest.mark.django_db
def test_it_refuses_the_outsider(cast, recovery):
    with pytest.raises(PermissionDenied):
        actions.do_record_family_contact(recovery, note="x", acting_user=cast["outsider"])
    with pytest.raises(PermissionDenied):
        actions.do_record_receipt(
            recovery,
            amount=Decimal("1"),
            received_on=date(2026, 10, 1),
            acting_user=cast["outsider"],
        )
    with pytest.raises(PermissionDenied):
        actions.do_propose_write_off(recovery, reason="x", acting_user=cast["outsider"])
    assert not Recovery.objects.visible_to(cast["outsider"]).exists()
    assert Recovery.objects.visible_to(cast["clerk"]).count() == 1
