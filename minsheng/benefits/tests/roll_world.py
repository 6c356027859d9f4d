"""Rows of the benefit roll made with the ORM, for the tests of death handling and the pages
(the roll's own code is not used): a benefit with its payment history, an open death case
with its signals, a confirmation by two people."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

from minsheng.benefits.actions import deaths as actions
from minsheng.benefits.models import (
    Benefit,
    BenefitKind,
    BenefitStatus,
    DeathCase,
    DeathSignal,
    Payment,
    PaymentKind,
    PayrollRun,
)
from minsheng.lib import benefit_rules as rules

NOW = timezone.make_aware(datetime(2026, 11, 20, 9, 0))
AREAS = ("district_code", "town_code", "community_code", "grid_code")


def m(year: int, month: int) -> int:
    return rules.month_index(date(year, month, 1))


def areas_of(person) -> dict:
    r = person.resident
    return {f: getattr(r, f) or "" for f in AREAS}


def run_for(month: int) -> PayrollRun:
    run, _ = PayrollRun.objects.get_or_create(
        month=month, defaults={"status": PayrollRun.Status.DONE, "started_at": NOW}
    )
    return run


def on_roll(
    person,
    *,
    kind: str = BenefitKind.EMPLOYEE_PENSION,
    amount: str = "3000.00",
    start: int | None = None,
    opening_through: int | None = None,
    regular: tuple[int, ...] = (),
    status: str = BenefitStatus.PAYING,
    reference: str = "",
    **extra,
) -> Benefit:
    """A benefit on the roll with its payment history: one OPENING line from `start` to
    `opening_through`, and a REGULAR line (and its payroll run) for each month of `regular`."""
    start = start if start is not None else m(2020, 1)
    paid = [x for x in (opening_through, *regular) if x is not None]
    benefit = Benefit.objects.create(
        person=person,
        kind=kind,
        reference=reference,
        monthly_amount=Decimal(amount),
        start_month=start,
        status=status,
        paid_through=max(paid) if paid else None,
        source="test",
        created_at=NOW,
        updated_at=NOW,
        **areas_of(person),
        **extra,
    )
    lines = []
    if opening_through is not None:
        months = opening_through - start + 1
        lines.append((PaymentKind.OPENING, None, start, opening_through, months))
    for month in regular:
        lines.append((PaymentKind.REGULAR, run_for(month), month, month, 1))
    Payment.objects.bulk_create(
        Payment(
            benefit=benefit,
            person=person,
            run=run,
            kind=kind_,
            first_month=first,
            last_month=last,
            monthly_amount=benefit.monthly_amount,
            amount=benefit.monthly_amount * n,
            created_at=NOW,
            **areas_of(person),
        )
        for kind_, run, first, last, n in lines
    )
    return benefit


def signal_case(person, *sources: str) -> DeathCase:
    """An open case of the person with one signal per source (as collection leaves it)."""
    case = DeathCase.objects.create(person=person, opened_at=NOW, **areas_of(person))
    for i, source in enumerate(sources or (DeathSignal.Source.GONGAN,)):
        DeathSignal.objects.create(
            person=person,
            source=source,
            reference=f"t:{i}",
            case=case,
            received_at=NOW,
            **areas_of(person),
        )
    return case


def confirm(case, died: date, maker, checker, note: str = "checked") -> DeathCase:
    actions.do_propose_death(case, death_date=died, check_note=note, acting_user=maker)
    return actions.do_approve_death(case, acting_user=checker)
