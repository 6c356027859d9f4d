"""Every change to death cases, recoveries and the maker-checker decisions of the roll.

- Collection: every new death report becomes a signal on the person's live case (SQL stages
  in `benefits/deaths.py`).
- Confirmation: a clerk proposes (two independent sources, or a documented check), city
  staff approve; the approval stops every benefit of the person from the month after death,
  opens a recovery per overpaid benefit, proposes the survivors' one-off entitlements and
  sends `person_died` (the grid app cancels the person's open tasks).
- Decisions (two people: the action refuses one natural person, and the database refuses an
  approver who proposed): a manual stop, a resume, a recovery's write-off, a death's revert.
- Recovery: the family contacted, instalments agreed, money returned.

Who may act (`may_propose`, `may_approve`): city bureau staff and the clerks of the person's
area propose and record; only city staff approve. Every action runs in one transaction and
records one audit event.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from minsheng.accounts.persons import same_natural_person
from minsheng.accounts.roles import Role
from minsheng.audit.actions import record_event
from minsheng.audit.models import EventType
from minsheng.lib import benefit_rules as rules
from minsheng.pipeline.signals import person_died
from minsheng.residents.models import Resident

from .. import deaths as stages
from ..models import (
    AREA_FIELDS,
    Benefit,
    BenefitKind,
    BenefitStatus,
    DeathCase,
    DeathCaseStatus,
    Decision,
    DecisionKind,
    Payment,
    PaymentKind,
    Recovery,
    RecoveryReceipt,
    RecoveryStatus,
)

CLERKS = (Role.DISTRICT_CLERK, Role.STREET_CLERK, Role.COMMUNITY_CLERK)
DEATH = "death"  # Benefit.stop_reason of a stop by a confirmed death
MANUAL = "manual"  # Benefit.stop_reason of a stop decided by two people
OPEN_RECOVERIES = (RecoveryStatus.OPEN, RecoveryStatus.INSTALMENTS)

# 内蒙古 城镇常住居民人均可支配收入 ÷ 12, the reference of the survivors' entitlements
# (人社部发〔2021〕18号 Art. 4–5: the year before the death). The 2025 figure was not at hand:
# this is 2022's 46,295 yuan a year (自治区统计局); set MINSHENG_PROVINCE_MONTHLY_INCOME.
DEFAULT_PROVINCE_MONTHLY_INCOME = Decimal("3857.92")


class DeathCaseError(ValidationError):
    """A case, decision or recovery not in a state for this step, or an input refused."""


def province_monthly_income() -> Decimal:
    value = getattr(settings, "MINSHENG_PROVINCE_MONTHLY_INCOME", None)
    return rules.money(str(value)) if value is not None else DEFAULT_PROVINCE_MONTHLY_INCOME


# -- who may act --------------------------------------------------------------------------------


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def may_propose(user, row) -> bool:
    """City staff, and the clerks of the area `row` (a case, benefit, recovery) belongs to."""
    if not _active(user) or user.is_read_only:
        return False
    if user.is_city_staff:
        return True
    area = user.area
    return (
        user.role in CLERKS
        and area is not None
        and getattr(row, f"{area.level}_code", None) == area.code
    )


def may_approve(user) -> bool:
    """The checker of a two-person step: city bureau staff."""
    return _active(user) and user.is_city_staff


def _require_propose(user, row) -> None:
    if not may_propose(user, row):
        raise PermissionDenied(
            _("Only city staff and the clerks of the person's area may do this.")
        )


def _require_approve(user) -> None:
    if not may_approve(user):
        raise PermissionDenied(_("Only city bureau staff may approve this."))


def _require_other_person(proposer, user) -> None:
    # two accounts of one natural person (one staff number) are one person here
    if same_natural_person(proposer, user):
        raise PermissionDenied(_("The person who proposed this cannot also approve it."))


def _event(object_type: str, pk, step: str, user, **details) -> None:
    record_event(
        EventType.CHANGE,
        actor=user,
        object_type=object_type,
        object_id=pk,
        details={"step": step, **details},
    )


def _areas(row) -> dict:
    return {f: getattr(row, f) for f in AREA_FIELDS}


# -- collection -----------------------------------------------------------------------------------


def do_collect_death_signals(*, acting_user, list_ids=None) -> dict:
    """Read every death source into signals and cases, set-wise (safe to repeat). `list_ids`
    names the saved "suspected dead" lists to read; by default every saved list of
    `deaths.SUSPECTED_DEAD_LISTS`."""
    _require_approve(acting_user)
    now = timezone.now()
    with transaction.atomic():
        collected = stages.collect(now, list_ids=list_ids)
        counts = {
            "cases_opened": sum(c.cases_opened for c in collected),
            "signals": sum(c.signals for c in collected),
            "by_source": {c.source: c.signals for c in collected},
        }
        record_event(
            EventType.CHANGE,
            actor=acting_user,
            object_type="death_signals",
            object_id="collect",
            details={"step": "collect", **counts},
        )
    return counts


# -- confirmation --------------------------------------------------------------------------------


def _locked_case(case: DeathCase) -> DeathCase:
    return DeathCase.objects.select_for_update().get(pk=case.pk)


def independent_sources(case: DeathCase) -> set[str]:
    return set(
        case.signals.filter(source__in=stages.INDEPENDENT_SOURCES).values_list("source", flat=True)
    )


def do_propose_death(
    case: DeathCase, *, death_date: date, check_note: str = "", acting_user
) -> DeathCase:
    """The maker: a clerk confirms the death. Needs two independent sources on the case, or
    a documented check (whom the clerk asked, what they saw)."""
    _require_propose(acting_user, case)
    note = (check_note or "").strip()
    with transaction.atomic():
        case = _locked_case(case)
        if case.status != DeathCaseStatus.OPEN:
            raise DeathCaseError(_("This death case is not open for confirmation."))
        if death_date is None or death_date > timezone.localdate():
            raise DeathCaseError(_("Give the date of death; it cannot be in the future."))
        sources = independent_sources(case)
        if len(sources) < 2 and not note:
            raise DeathCaseError(
                _(
                    "A death is confirmed by two independent sources or by a documented "
                    "check: describe the check."
                )
            )
        case.status, case.death_date, case.check_note = (
            DeathCaseStatus.PROPOSED,
            death_date,
            note[:500],
        )
        case.proposed_by, case.proposed_at = acting_user, timezone.now()
        case.save(
            update_fields=["status", "death_date", "check_note", "proposed_by", "proposed_at"]
        )
        _event(
            "death_case",
            case.pk,
            "propose",
            acting_user,
            death_date=death_date.isoformat(),
            sources=sorted(sources),
            documented_check=bool(note),
        )
    return case


def _survivors(person_id: int, death_date: date, death_month: int) -> dict:
    """The 遗属待遇 proposal for an employee-pension recipient ({} for anyone else)."""
    pension = (
        Benefit.objects.filter(person_id=person_id, kind=BenefitKind.EMPLOYEE_PENSION)
        .order_by("start_month")
        .first()
    )
    if pension is None:
        return {}
    income = province_monthly_income()
    contribution = (
        Resident.objects.filter(person_id=person_id)
        .values_list("insurance_employee_pension_months", flat=True)
        .first()
    )
    base = {"benefit": pension.pk, "income": str(income)}
    if contribution is None:
        return {**base, "note": _("The contribution months are not known.")}
    drawn = max(0, death_month - pension.start_month + 1)
    try:
        s = rules.survivor_benefits(
            monthly_disposable_income=income,
            contribution_months=int(contribution),
            died=death_date,
            pension_months_drawn=drawn,
        )
    except ValueError as e:
        return {**base, "note": str(e)}
    return {
        **base,
        "contribution_months": int(contribution),
        "pension_months_drawn": drawn,
        "funeral_grant": str(s.funeral_grant),
        "allowance_months": str(s.allowance_months),
        "survivor_allowance": str(s.survivor_allowance),
        "total": str(s.total),
        "capped": s.capped,
    }


def do_approve_death(case: DeathCase, *, acting_user) -> DeathCase:
    """The checker: city staff other than the proposer. Stops every benefit of the person
    from the month after death, opens a recovery per overpaid benefit, proposes the
    survivors' entitlements and announces the death (the grid cancels open tasks)."""
    _require_approve(acting_user)
    with transaction.atomic():
        case = _locked_case(case)
        _require_other_person(case.proposed_by, acting_user)
        if case.status != DeathCaseStatus.PROPOSED:
            raise DeathCaseError(_("This death case has no confirmation awaiting approval."))
        now = timezone.now()
        death_month = rules.month_index(case.death_date)
        stop_from = rules.month_index(rules.first_unpaid_month(case.death_date))
        stopped = Benefit.objects.filter(
            person_id=case.person_id, status__in=[BenefitStatus.PAYING, BenefitStatus.SUSPENDED]
        ).update(
            status=BenefitStatus.STOPPED, stopped_from=stop_from, stop_reason=DEATH, updated_at=now
        )
        overpaid = stages.overpaid_by_benefit(case.person_id, death_month)
        Recovery.objects.bulk_create(
            Recovery(
                person_id=case.person_id,
                case=case,
                benefit_id=o.benefit_id,
                months=o.months,
                amount_due=o.amount,
                opened_at=now,
                **_areas(case),
            )
            for o in overpaid
        )
        case.survivors = _survivors(case.person_id, case.death_date, death_month)
        case.status, case.approved_by, case.approved_at = (
            DeathCaseStatus.CONFIRMED,
            acting_user,
            now,
        )
        case.save(update_fields=["status", "approved_by", "approved_at", "survivors"])
        person_died.send(sender=DeathCase, person_ids=[case.person_id], acting_user=acting_user)
        _event(
            "death_case",
            case.pk,
            "approve",
            acting_user,
            stopped=stopped,
            stopped_from=stop_from,
            recoveries=len(overpaid),
            overpaid=str(sum((o.amount for o in overpaid), Decimal(0))),
        )
    return case


def do_dismiss_death(case: DeathCase, *, reason: str, acting_user) -> DeathCase:
    """A report that proved wrong before the death was confirmed: the case closes."""
    _require_propose(acting_user, case)
    reason = (reason or "").strip()
    if not reason:
        raise DeathCaseError(_("Say why the report is wrong."))
    with transaction.atomic():
        case = _locked_case(case)
        if case.status not in (DeathCaseStatus.OPEN, DeathCaseStatus.PROPOSED):
            raise DeathCaseError(
                _("A confirmed death is reverted, not dismissed; this case is closed.")
            )
        case.status, case.closed_reason = DeathCaseStatus.DISMISSED, reason[:500]
        case.save(update_fields=["status", "closed_reason"])
        _event("death_case", case.pk, "dismiss", acting_user, reason=reason[:200])
    return case


# -- decisions (maker and checker) ------------------------------------------------------------


def _propose(kind: str, row, *, reason: str, acting_user, **subject) -> Decision:
    reason = (reason or "").strip()
    if not reason:
        raise DeathCaseError(_("Give the reason for this decision."))
    if Decision.objects.filter(kind=kind, status=Decision.Status.PROPOSED, **subject).exists():
        raise DeathCaseError(_("This is already proposed and awaits approval."))
    decision = Decision.objects.create(
        kind=kind,
        reason=reason[:500],
        proposed_by=acting_user,
        proposed_at=timezone.now(),
        **subject,
    )
    _event(
        "decision",
        decision.pk,
        "propose",
        acting_user,
        kind=kind,
        subject={k: v.pk for k, v in subject.items()},
        reason=reason[:200],
    )
    return decision


def _locked_benefit(benefit: Benefit) -> Benefit:
    return Benefit.objects.select_for_update().get(pk=benefit.pk)


def do_propose_stop(benefit: Benefit, *, reason: str, acting_user) -> Decision:
    _require_propose(acting_user, benefit)
    with transaction.atomic():
        benefit = _locked_benefit(benefit)
        if benefit.status not in (BenefitStatus.PAYING, BenefitStatus.SUSPENDED):
            raise DeathCaseError(_("Only a benefit being paid or suspended can be stopped."))
        return _propose(
            DecisionKind.STOP, benefit, reason=reason, acting_user=acting_user, benefit=benefit
        )


def do_propose_resume(benefit: Benefit, *, reason: str, acting_user) -> Decision:
    _require_propose(acting_user, benefit)
    with transaction.atomic():
        benefit = _locked_benefit(benefit)
        if benefit.status != BenefitStatus.STOPPED or benefit.stop_reason == DEATH:
            raise DeathCaseError(
                _("Only a benefit stopped by a decision can be resumed; a death is reverted.")
            )
        return _propose(
            DecisionKind.RESUME, benefit, reason=reason, acting_user=acting_user, benefit=benefit
        )


def do_propose_revert(case: DeathCase, *, reason: str, acting_user) -> Decision:
    """A confirmed death that proved wrong: propose to restore payment."""
    _require_propose(acting_user, case)
    with transaction.atomic():
        case = _locked_case(case)
        if case.status != DeathCaseStatus.CONFIRMED:
            raise DeathCaseError(_("Only a confirmed death can be reverted."))
        return _propose(
            DecisionKind.REVERT, case, reason=reason, acting_user=acting_user, case=case
        )


def do_propose_write_off(recovery: Recovery, *, reason: str, acting_user) -> Decision:
    _require_propose(acting_user, recovery)
    with transaction.atomic():
        recovery = Recovery.objects.select_for_update().get(pk=recovery.pk)
        if recovery.status not in OPEN_RECOVERIES:
            raise DeathCaseError(_("This recovery is closed."))
        return _propose(
            DecisionKind.WRITE_OFF,
            recovery,
            reason=reason,
            acting_user=acting_user,
            recovery=recovery,
        )


def _stop(decision: Decision, now) -> dict:
    benefit = _locked_benefit(decision.benefit)
    if benefit.status not in (BenefitStatus.PAYING, BenefitStatus.SUSPENDED):
        raise DeathCaseError(_("Only a benefit being paid or suspended can be stopped."))
    first_unpaid = benefit.start_month
    if benefit.paid_through is not None:
        first_unpaid = max(first_unpaid, benefit.paid_through + 1)
    benefit.status, benefit.stopped_from, benefit.stop_reason = (
        BenefitStatus.STOPPED,
        first_unpaid,
        MANUAL,
    )
    benefit.updated_at = now
    benefit.save(update_fields=["status", "stopped_from", "stop_reason", "updated_at"])
    return {"benefit": benefit.pk, "stopped_from": first_unpaid}


def _resume(decision: Decision, now) -> dict:
    benefit = _locked_benefit(decision.benefit)
    if benefit.status != BenefitStatus.STOPPED or benefit.stop_reason == DEATH:
        raise DeathCaseError(
            _("Only a benefit stopped by a decision can be resumed; a death is reverted.")
        )
    benefit.status, benefit.stopped_from, benefit.stop_reason = BenefitStatus.PAYING, None, ""
    benefit.updated_at = now
    benefit.save(update_fields=["status", "stopped_from", "stop_reason", "updated_at"])
    return {"benefit": benefit.pk}


def _write_off(decision: Decision, now) -> dict:
    recovery = Recovery.objects.select_for_update().get(pk=decision.recovery_id)
    if recovery.status not in OPEN_RECOVERIES:
        raise DeathCaseError(_("This recovery is closed."))
    recovery.status, recovery.closed_at = RecoveryStatus.WRITTEN_OFF, now
    recovery.save(update_fields=["status", "closed_at"])
    return {
        "recovery": recovery.pk,
        "written_off": str(recovery.amount_due - recovery.amount_returned),
    }


def _revert(decision: Decision, now) -> dict:
    """Payment restored: each benefit the death stopped pays again, with back pay for the
    months the stop left unpaid up to the latest payment run; the case's open recoveries
    are cancelled (nothing was owed)."""
    case = _locked_case(decision.case)
    if case.status != DeathCaseStatus.CONFIRMED:
        raise DeathCaseError(_("Only a confirmed death can be reverted."))
    stop_from = rules.month_index(rules.first_unpaid_month(case.death_date))
    through = stages.latest_payroll_month()
    benefits = list(
        Benefit.objects.select_for_update()
        .filter(
            person_id=case.person_id,
            status=BenefitStatus.STOPPED,
            stop_reason=DEATH,
            stopped_from=stop_from,
        )
        .order_by("pk")
    )
    lines = []
    for b in benefits:
        runs = stages.unpaid_months(b, through) if through is not None else []
        for first, last in runs:
            months = last - first + 1
            lines.append(
                Payment(
                    benefit=b,
                    person_id=b.person_id,
                    kind=PaymentKind.BACK_PAY,
                    first_month=first,
                    last_month=last,
                    monthly_amount=b.monthly_amount,
                    amount=rules.money(b.monthly_amount * months),
                    created_at=now,
                    **_areas(b),
                )
            )
        if runs:
            b.paid_through = max(b.paid_through or runs[-1][1], runs[-1][1])
        # a recorded suspension stays: the certification lifts it with its own back pay
        b.status = BenefitStatus.SUSPENDED if b.suspended_from is not None else BenefitStatus.PAYING
        b.stopped_from, b.stop_reason, b.updated_at = None, "", now
    Benefit.objects.bulk_update(
        benefits, ["status", "stopped_from", "stop_reason", "paid_through", "updated_at"]
    )
    Payment.objects.bulk_create(lines)
    open_recoveries = Recovery.objects.filter(case=case, status__in=OPEN_RECOVERIES)
    returned = sum(open_recoveries.values_list("amount_returned", flat=True), Decimal(0))
    cancelled = open_recoveries.update(status=RecoveryStatus.CANCELLED, closed_at=now)
    case.status, case.closed_reason = DeathCaseStatus.REVERTED, decision.reason
    case.save(update_fields=["status", "closed_reason"])
    return {
        "case": case.pk,
        "restored": len(benefits),
        "back_pay": str(sum((p.amount for p in lines), Decimal(0))),
        "recoveries_cancelled": cancelled,
        # money the family already returned on the cancelled recoveries, to pay back
        "to_refund": str(returned),
    }


STEPS = {
    DecisionKind.STOP: _stop,
    DecisionKind.RESUME: _resume,
    DecisionKind.WRITE_OFF: _write_off,
    DecisionKind.REVERT: _revert,
}


def do_approve_decision(decision: Decision, *, acting_user) -> Decision:
    """The checker approves, and the approval runs the step."""
    _require_approve(acting_user)
    with transaction.atomic():
        decision = Decision.objects.select_for_update().get(pk=decision.pk)
        _require_other_person(decision.proposed_by, acting_user)
        if decision.status != Decision.Status.PROPOSED:
            raise DeathCaseError(_("This decision has been taken already."))
        now = timezone.now()
        done = STEPS[decision.kind](decision, now)
        decision.status, decision.approved_by, decision.decided_at = (
            Decision.Status.APPROVED,
            acting_user,
            now,
        )
        decision.save(update_fields=["status", "approved_by", "decided_at"])
        _event("decision", decision.pk, "approve", acting_user, kind=decision.kind, **done)
    return decision


def do_reject_decision(decision: Decision, *, reason: str, acting_user) -> Decision:
    """The checker refuses: nothing changes but the decision."""
    _require_approve(acting_user)
    with transaction.atomic():
        decision = Decision.objects.select_for_update().get(pk=decision.pk)
        _require_other_person(decision.proposed_by, acting_user)
        if decision.status != Decision.Status.PROPOSED:
            raise DeathCaseError(_("This decision has been taken already."))
        decision.status, decision.approved_by, decision.decided_at = (
            Decision.Status.REJECTED,
            acting_user,
            timezone.now(),
        )
        decision.save(update_fields=["status", "approved_by", "decided_at"])
        _event(
            "decision",
            decision.pk,
            "reject",
            acting_user,
            kind=decision.kind,
            reason=(reason or "").strip()[:200],
        )
    return decision


def _pending(kind: str, **subject) -> Decision:
    decision = Decision.objects.filter(
        kind=kind, status=Decision.Status.PROPOSED, **subject
    ).first()
    if decision is None:
        raise DeathCaseError(_("Nothing of this kind awaits approval."))
    return decision


def do_approve_revert(case: DeathCase, *, acting_user) -> Decision:
    return do_approve_decision(_pending(DecisionKind.REVERT, case=case), acting_user=acting_user)


def do_approve_write_off(recovery: Recovery, *, acting_user) -> Decision:
    return do_approve_decision(
        _pending(DecisionKind.WRITE_OFF, recovery=recovery), acting_user=acting_user
    )


# -- recovery ---------------------------------------------------------------------------------


def _open_recovery(recovery: Recovery) -> Recovery:
    recovery = Recovery.objects.select_for_update().get(pk=recovery.pk)
    if recovery.status not in OPEN_RECOVERIES:
        raise DeathCaseError(_("This recovery is closed."))
    return recovery


def do_record_family_contact(recovery: Recovery, *, note: str, acting_user) -> Recovery:
    _require_propose(acting_user, recovery)
    note = (note or "").strip()
    if not note:
        raise DeathCaseError(_("Say whom you contacted and what was agreed."))
    with transaction.atomic():
        recovery = _open_recovery(recovery)
        recovery.contact_note = note[:500]
        recovery.save(update_fields=["contact_note"])
        _event("recovery", recovery.pk, "contact", acting_user)
    return recovery


def do_agree_instalments(recovery: Recovery, *, count: int, acting_user) -> Recovery:
    _require_propose(acting_user, recovery)
    if isinstance(count, bool) or not isinstance(count, int) or count < 2:
        raise DeathCaseError(_("Instalments are two or more payments."))
    with transaction.atomic():
        recovery = _open_recovery(recovery)
        recovery.instalments, recovery.status = count, RecoveryStatus.INSTALMENTS
        recovery.save(update_fields=["instalments", "status"])
        _event("recovery", recovery.pk, "instalments", acting_user, count=count)
    return recovery


def do_record_receipt(
    recovery: Recovery, *, amount: Decimal, received_on: date, acting_user
) -> RecoveryReceipt:
    """Money returned by the family; the recovery closes when all is back."""
    _require_propose(acting_user, recovery)
    amount = rules.money(amount)
    if amount <= 0:
        raise DeathCaseError(_("The amount returned must be positive."))
    if received_on > timezone.localdate():
        raise DeathCaseError(_("The date received cannot be in the future."))
    with transaction.atomic():
        recovery = _open_recovery(recovery)
        outstanding = recovery.amount_due - recovery.amount_returned
        if amount > outstanding:
            raise DeathCaseError(
                _("That is more than is still due (%(due)s yuan).") % {"due": outstanding}
            )
        now = timezone.now()
        receipt = RecoveryReceipt.objects.create(
            recovery=recovery,
            amount=amount,
            received_on=received_on,
            recorded_by=acting_user,
            created_at=now,
        )
        Recovery.objects.filter(pk=recovery.pk).update(
            amount_returned=F("amount_returned") + amount
        )
        recovery.refresh_from_db()
        if recovery.amount_returned >= recovery.amount_due:
            recovery.status, recovery.closed_at = RecoveryStatus.CLOSED, now
            recovery.save(update_fields=["status", "closed_at"])
        _event(
            "recovery",
            recovery.pk,
            "receipt",
            acting_user,
            amount=str(amount),
            received_on=received_on.isoformat(),
            status=recovery.status,
        )
    return receipt
