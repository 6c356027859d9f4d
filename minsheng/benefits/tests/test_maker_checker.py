"""A manual stop and resume of a benefit need two people: one proposes, city staff other
than the proposer approve, and only the approval acts. The database refuses one account in
both roles; the action also refuses two accounts of one natural person."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from minsheng.audit.models import AuditEvent
from minsheng.benefits.actions import deaths as actions
from minsheng.benefits.models import BenefitStatus, Decision, DecisionKind

from .roll_world import confirm, m, on_roll, signal_case


@pytest.fixture
def benefit(resident):
    return on_roll(resident(age=70), opening_through=m(2026, 9))


@pytest.mark.django_db
def test_it_stops_only_on_approval(cast, benefit, second_staff):
    decision = actions.do_propose_stop(benefit, reason="moved abroad", acting_user=cast["clerk"])
    benefit.refresh_from_db()
    assert benefit.status == BenefitStatus.PAYING
    actions.do_approve_decision(decision, acting_user=second_staff)
    benefit.refresh_from_db()
    assert benefit.status == BenefitStatus.STOPPED
    assert (benefit.stopped_from, benefit.stop_reason) == (m(2026, 10), "manual")
    decision.refresh_from_db()
    assert decision.status == Decision.Status.APPROVED and decision.approved_by == second_staff


@pytest.mark.django_db
def test_it_resumes_a_stopped_benefit(cast, benefit, second_staff):
    stop = actions.do_propose_stop(benefit, reason="moved abroad", acting_user=cast["clerk"])
    actions.do_approve_decision(stop, acting_user=second_staff)
    resume = actions.do_propose_resume(benefit, reason="came back", acting_user=cast["clerk"])
    assert resume.kind == DecisionKind.RESUME
    actions.do_approve_decision(resume, acting_user=cast["city_staff"])
    benefit.refresh_from_db()
    assert (benefit.status, benefit.stopped_from, benefit.stop_reason) == ("paying", None, "")


@pytest.mark.django_db
def test_it_leaves_a_rejected_stop_undone(cast, benefit, second_staff):
    decision = actions.do_propose_stop(benefit, reason="moved abroad", acting_user=cast["clerk"])
    actions.do_reject_decision(decision, reason="not proven", acting_user=second_staff)
    decision.refresh_from_db()
    benefit.refresh_from_db()
    assert decision.status == Decision.Status.REJECTED and benefit.status == BenefitStatus.PAYING
    with pytest.raises(actions.DeathCaseError):
        actions.do_approve_decision(decision, acting_user=cast["city_staff"])


@pytest.mark.django_db
def test_it_refuses_the_same_user(cast, benefit):
    staff = cast["city_staff"]
    decision = actions.do_propose_stop(benefit, reason="x", acting_user=staff)
    with pytest.raises(PermissionDenied):
        actions.do_approve_decision(decision, acting_user=staff)
    benefit.refresh_from_db()
    assert benefit.status == BenefitStatus.PAYING


@pytest.mark.django_db
def test_it_refuses_two_accounts_with_one_staff_number(cast, benefit, make_twin):  # noqa: F811
    staff = cast["city_staff"]
    decision = actions.do_propose_stop(benefit, reason="x", acting_user=staff)
    with pytest.raises(PermissionDenied):
        actions.do_approve_decision(decision, acting_user=make_twin(staff))
    assert Decision.objects.get(pk=decision.pk).status == Decision.Status.PROPOSED


@pytest.mark.django_db
def test_the_database_refuses_one_account_in_both_roles(cast, benefit):
    staff = cast["city_staff"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Decision.objects.create(
            kind=DecisionKind.STOP,
            benefit=benefit,
            reason="x",
            proposed_by=staff,
            proposed_at=timezone.now(),
            approved_by=staff,
        )


@pytest.mark.django_db
def test_a_clerk_proposes_but_does_not_approve(cast, benefit):
    decision = actions.do_propose_stop(benefit, reason="x", acting_user=cast["clerk"])
    with pytest.raises(PermissionDenied):
        actions.do_approve_decision(decision, acting_user=cast["street_clerk"])
    with pytest.raises(PermissionDenied):
        actions.do_reject_decision(decision, reason="no", acting_user=cast["street_clerk"])


@pytest.mark.django_db
def test_it_refuses_the_outsider(cast, benefit):
    assert not actions.may_propose(cast["outsider"], benefit)
    assert not actions.may_approve(cast["outsider"])
    with pytest.raises(PermissionDenied):
        actions.do_propose_stop(benefit, reason="x", acting_user=cast["outsider"])
    assert not Decision.objects.exists()


@pytest.mark.django_db
def test_it_does_not_resume_a_death_stop(cast, resident):
    person = resident(age=80)
    benefit = on_roll(person, opening_through=m(2026, 9))
    confirm(signal_case(person), date(2026, 5, 1), cast["clerk"], cast["city_staff"])
    with pytest.raises(actions.DeathCaseError):
        actions.do_propose_resume(benefit, reason="x", acting_user=cast["clerk"])


@pytest.mark.django_db
def test_it_keeps_one_pending_decision_of_a_kind(cast, benefit):
    actions.do_propose_stop(benefit, reason="x", acting_user=cast["clerk"])
    with pytest.raises(actions.DeathCaseError):
        actions.do_propose_stop(benefit, reason="y", acting_user=cast["street_clerk"])


@pytest.mark.django_db
def test_each_step_is_its_own_event(cast, benefit, second_staff):
    decision = actions.do_propose_stop(benefit, reason="x", acting_user=cast["clerk"])
    actions.do_approve_decision(decision, acting_user=second_staff)
    events = AuditEvent.objects.filter(object_type="decision", object_id=str(decision.pk))
    assert list(events.order_by("seq").values_list("details__step", "actor")) == [
        ("propose", cast["clerk"].pk),
        ("approve", second_staff.pk),
    ]
