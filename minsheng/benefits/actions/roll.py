"""Every change to the benefit roll: seeding it from the archive, the monthly payment run,
exporting the bank's payment file, and survival certification (silent, by data comparison,
or recorded for one person) with resumption and back pay.

Each action checks who may act, writes in one transaction through the set-wise SQL stages
of `benefits.roll`, and records one audit event. `acting_user=None` is the system itself (a
scheduled job or a management command run without `--as`): its events are SYSTEM events.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from minsheng.accounts.roles import Role
from minsheng.audit.actions import record_event
from minsheng.audit.models import EventType
from minsheng.lib.benefit_rules import money

from .. import roll
from ..models import (
    AREA_FIELDS,
    CERTIFIED_KINDS,
    Benefit,
    BenefitStatus,
    Certification,
    CertificationMethod,
    Payment,
    PaymentKind,
    PayrollRun,
)

__all__ = [
    "do_certify_silently",
    "do_export_payment_file",
    "do_record_certification",
    "do_run_payroll",
    "do_seed_roll",
]

CLERKS = (Role.DISTRICT_CLERK, Role.STREET_CLERK, Role.COMMUNITY_CLERK)


def _require_roll_staff(user) -> None:
    """The system (None) or an active member of the city bureau's staff."""
    if user is None:
        return
    if not (user.is_active and user.is_city_staff):
        raise PermissionDenied(_("Only city bureau staff may run the benefit roll."))


def _event(user, request, object_type: str, object_id, **details) -> None:
    record_event(
        EventType.SYSTEM if user is None else EventType.CHANGE,
        actor=user,
        request=request,
        object_type=object_type,
        object_id=object_id,
        details=details,
    )


# -- 1. the roll ------------------------------------------------------------------------------


def do_seed_roll(*, acting_user, as_of: date, request=None) -> dict[str, int]:
    """Seed the roll from the archive (pensions with their OPENING lines, unemployment
    benefits) and from the 免申即享 benefit records (subsidies). Idempotent: what is on the
    roll already is skipped. Returns the number added per kind, and `opening` lines."""
    _require_roll_staff(acting_user)
    now = timezone.now()
    with transaction.atomic():
        counts = roll.seed_pensions(now)
        counts["unemployment"] = roll.seed_unemployment(as_of, now)
        counts["subsidy"] = roll.seed_subsidies(now)
        counts["opening"] = roll.seed_opening_payments(now)
        _event(acting_user, request, "benefit_roll", "", step="seed", as_of=str(as_of), **counts)
    return counts


# -- 2. the monthly payment run ---------------------------------------------------------------


def _totals(run: PayrollRun) -> None:
    lines = Payment.objects.filter(run=run)
    by = (
        lines.values("benefit__kind", "district_code")
        .annotate(n=Count("pk"), t=Sum("amount"))
        .order_by("benefit__kind", "district_code")
    )
    run.totals = [
        {
            "kind": row["benefit__kind"],
            "district_code": row["district_code"],
            "payments": row["n"],
            "total": str(money(row["t"] or 0)),
        }
        for row in by
    ]
    agg = lines.aggregate(n=Count("pk"), t=Sum("amount"), people=Count("person_id", distinct=True))
    run.payments, run.total, run.recipients = agg["n"], money(agg["t"] or 0), agg["people"]


def do_run_payroll(month: int, *, acting_user, request=None) -> PayrollRun:
    """The payment run of `month` (a month index). Idempotent per month: the run is found
    again and every stage only adds what is missing, so a second call pays no one twice and
    a resumed run adds only the lines it lacks. Stages: suspend the overdue; one REGULAR
    line per benefit payable that month whose month is unpaid; take up the back pay written
    since the last run; paid_through; end what ended; totals."""
    _require_roll_staff(acting_user)
    if isinstance(month, bool) or not isinstance(month, int) or month < 0:
        raise ValueError(f"a payment month is a month index, got {month!r}")
    now = timezone.now()
    with transaction.atomic():
        run, created = PayrollRun.objects.select_for_update().get_or_create(
            month=month, defaults={"started_by": acting_user, "started_at": now}
        )
        suspended = roll.suspend_overdue(month, now)
        paid = roll.insert_regular(run, now)
        adopted = roll.adopt_back_pay(run)
        roll.mark_paid_through(run, now)
        ended = roll.end_finished(month, now)
        _totals(run)
        run.suspended += suspended
        run.status = PayrollRun.Status.DONE
        run.finished_at = now
        run.save()
        _event(
            acting_user,
            request,
            "payroll_run",
            run.pk,
            step="run",
            month=month,
            new=created,
            suspended=suspended,
            paid=paid,
            back_pay=adopted,
            ended=ended,
            payments=run.payments,
            total=str(run.total),
        )
    return run


# -- 3. the bank's payment file ---------------------------------------------------------------


def do_export_payment_file(
    run: PayrollRun, fmt: str = "csv", *, acting_user, reason: str, request=None
) -> bytes:
    """The run's payment file with full ID numbers and accounts for the bank: an export of
    personal data, so only city staff, with a stated reason, and audited with the count."""
    if acting_user is None or not (acting_user.is_active and acting_user.is_city_staff):
        raise PermissionDenied(_("Only city bureau staff may export a payment file."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("State why the payment file is exported."))
    if fmt not in ("csv", "xlsx"):
        raise ValidationError(_("Unknown file format."))
    data = roll.payment_file(run, fmt)
    rows = Payment.objects.filter(run=run).count()
    with transaction.atomic():
        record_event(
            EventType.EXPORT,
            actor=acting_user,
            request=request,
            object_type="payroll_run",
            object_id=run.pk,
            reason=reason,
            details={"what": "payment_file", "format": fmt, "rows": rows, "month": run.month},
        )
    return data


# -- 4. survival certification ----------------------------------------------------------------


def do_certify_silently(*, on: date, acting_user, request=None) -> dict[str, int]:
    """Silent certification by data comparison on `on`: recipients due within 60 days or
    overdue who show activity in other departments' data of the last 90 days (and no death
    on record) are certified with that evidence, and the door-to-door certifications grid
    workers recorded are taken up; their benefits' certification date moves,
    and those suspended for an overdue certification resume with back pay."""
    _require_roll_staff(acting_user)
    now = timezone.now()
    with transaction.atomic():
        certified = roll.insert_silent_certifications(on, now)
        door_to_door = roll.insert_grid_certifications(now)
        moved = roll.apply_certifications(now)
        lines, resumed = roll.back_pay_and_resume(on, now)
        _event(
            acting_user,
            request,
            "certification",
            "",
            step="silent",
            on=str(on),
            certified=certified,
            door_to_door=door_to_door,
            benefits=moved,
            resumed=resumed,
            back_pay_lines=lines,
        )
    return {
        "certified": certified,
        "door_to_door": door_to_door,
        "benefits": moved,
        "resumed": resumed,
        "back_pay": lines,
    }


def do_queue_certification_reminders(on: date, *, acting_user, request=None) -> int:
    """Queue an SMS in the notification outbox for every recipient whose certification falls
    due 30 or 7 days after `on` (once per person and reminder)."""
    _require_roll_staff(acting_user)
    with transaction.atomic():
        queued = roll.insert_reminders(on, timezone.now())
        _event(acting_user, request, "certification", "", step="remind", on=str(on), queued=queued)
    return queued


def _may_certify(user, person, method: str) -> bool:
    if user is None or not user.is_active or user.is_read_only:
        return False
    visible = Benefit.objects.visible_to(user).filter(person=person, kind__in=CERTIFIED_KINDS)
    if user.is_city_staff:
        return True
    if user.role in CLERKS:
        return visible.exists()
    if user.role == Role.GRID_WORKER:
        return method == CertificationMethod.GRID and visible.exists()
    return False


def do_record_certification(
    person, *, method: str, on: date, evidence: dict | None = None, acting_user, request=None
) -> Certification:
    """A self-service, door-to-door or window certification of one person on `on`; as the
    silent one, it moves the certification date and resumes a suspended benefit with back
    pay. Recording the same certification again changes nothing."""
    if method not in (
        CertificationMethod.SELF,
        CertificationMethod.GRID,
        CertificationMethod.WINDOW,
    ):
        raise ValidationError(_("Unknown certification method."))
    if not _may_certify(acting_user, person, method):
        raise PermissionDenied(_("You may not certify this person."))
    if on > timezone.localdate():
        raise ValidationError(_("A certification cannot be dated in the future."))
    now = timezone.now()
    with transaction.atomic():
        benefit = (
            Benefit.objects.filter(person=person, kind__in=CERTIFIED_KINDS)
            .exclude(status=BenefitStatus.STOPPED)
            .order_by("pk")
            .first()
        )
        if benefit is None:
            raise ValidationError(_("This person has no benefit that needs certification."))
        cert, created = Certification.objects.get_or_create(
            person=person,
            certified_on=on,
            method=method,
            defaults={
                "evidence": evidence or {},
                "recorded_by": acting_user,
                "created_at": now,
                **{f: getattr(benefit, f) for f in AREA_FIELDS},
            },
        )
        moved = roll.apply_certifications(now, person_id=person.pk)
        lines, resumed = roll.back_pay_and_resume(on, now, person_id=person.pk)
        _event(
            acting_user,
            request,
            "certification",
            cert.pk,
            step="record",
            person=person.pk,
            method=method,
            on=str(on),
            new=created,
            benefits=moved,
            resumed=resumed,
            back_pay_lines=lines,
        )
    return cert


def back_pay_lines(benefit: Benefit):
    """The back-pay lines of a benefit, for a page to show what a resumption paid."""
    return benefit.payments.filter(kind=PaymentKind.BACK_PAY).order_by("first_month")
