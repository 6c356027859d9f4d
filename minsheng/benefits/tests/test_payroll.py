"""The monthly payment run: the SQL pays exactly whom `lib.benefit_rules.payable` pays, once
per month, and resumes; its totals; the bank's payment file balances with them."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from minsheng.audit.models import AuditEvent
from minsheng.benefits.actions.roll import do_export_payment_file, do_run_payroll
from minsheng.benefits.models import (
    CERTIFIED_KINDS,
    Benefit,
    BenefitKind,
    BenefitStatus,
    Payment,
    PaymentKind,
    PayrollRun,
)
from minsheng.lib.benefit_rules import (
    PAYABLE_REASONS,
    certification_due,
    month_from_index,
    month_index,
    payable,
)

NOV = month_index(date(2026, 11, 1))
JAN_2020 = month_index(date(2020, 1, 1))
STATUS_FOR_RULE = {"paying": "active", "suspended": "suspended", "stopped": "stopped"}


def m(year: int, month: int) -> int:
    return month_index(date(year, month, 1))


@pytest.fixture
def benefit(resident):
    def make(
        kind=BenefitKind.EMPLOYEE_PENSION,
        *,
        grid="qingquan1",
        amount="3000.00",
        start=JAN_2020,
        end=None,
        status=BenefitStatus.PAYING,
        certified_on=date(2026, 6, 1),
        stopped_from=None,
        suspended_from=None,
        reference="1",
        person=None,
    ):
        person = person or resident(grid, age=65)
        r = person.resident
        now = timezone.now()
        return Benefit.objects.create(
            person=person,
            kind=kind,
            reference=reference,
            monthly_amount=Decimal(amount),
            start_month=start,
            end_month=end,
            status=status,
            certified_on=certified_on,
            stopped_from=stopped_from,
            suspended_from=suspended_from,
            stop_reason="death" if stopped_from is not None else "",
            source="test",
            created_at=now,
            updated_at=now,
            district_code=r.district_code,
            town_code=r.town_code,
            community_code=r.community_code,
            grid_code=r.grid_code,
        )

    return make


def rule(b: Benefit, month: int) -> tuple[bool, str]:
    """`payable` for a benefit row as the database holds it."""
    died = None
    if b.stopped_from is not None:  # the stop month is the month after the death
        died = month_from_index(b.stopped_from) - timedelta(days=1)
    status = STATUS_FOR_RULE.get(b.status, "stopped")  # an ended benefit is not paid
    due = None
    if b.kind in CERTIFIED_KINDS and b.certified_on is not None:
        due = certification_due(b.certified_on)
    return payable(
        month_from_index(month),
        start=month_from_index(b.start_month),
        end=month_from_index(b.end_month) if b.end_month is not None else None,
        status=status,
        died=died,
        due=due,
    )


def many(benefit):
    """Thirty-odd benefits, between them every branch of `payable` in the months run."""
    resident_p = BenefitKind.RESIDENT_PENSION
    return [
        benefit(),  # paying
        benefit(resident_p, amount="180.50", grid="xinnan1"),
        benefit(start=NOV),  # starts in November
        benefit(start=NOV + 1),  # not started in November
        benefit(start=NOV + 3),
        benefit(end=NOV),  # last month November
        benefit(end=NOV - 1),  # ended
        benefit(end=NOV + 1),
        benefit(status=BenefitStatus.STOPPED, stopped_from=None),
        benefit(status=BenefitStatus.SUSPENDED, suspended_from=NOV - 2),
        benefit(status=BenefitStatus.ENDED, end=NOV - 2),
        benefit(stopped_from=NOV),  # died in October, status not yet changed
        benefit(stopped_from=NOV + 1),  # died on Nov 30: November is owed
        benefit(stopped_from=NOV - 5, status=BenefitStatus.STOPPED),
        benefit(stopped_from=NOV + 2, grid="bayinsai1"),
        benefit(certified_on=date(2025, 10, 31)),  # due 2026-10-31: overdue in November
        benefit(certified_on=date(2025, 11, 1)),  # due Nov 1: still paid in November
        benefit(certified_on=date(2025, 11, 30)),  # overdue from January
        benefit(certified_on=date(2025, 12, 1)),  # overdue from January
        benefit(certified_on=date(2024, 2, 29)),  # due 2025-02-28: overdue long since
        benefit(certified_on=date(2025, 9, 15), grid="xinnan1"),  # overdue since October
        benefit(certified_on=None),  # no certification on record: no due date
        benefit(resident_p, certified_on=date(2025, 10, 1), amount="150.00"),
        benefit(BenefitKind.UNEMPLOYMENT, reference="", certified_on=date(2020, 1, 1)),
        benefit(BenefitKind.UNEMPLOYMENT, reference="", start=NOV - 11, end=NOV, amount="1836"),
        benefit(BenefitKind.UNEMPLOYMENT, reference="", start=NOV - 20, end=NOV - 3),
        benefit(BenefitKind.SUBSIDY, reference="p:2026-11", start=NOV, end=NOV, amount="500"),
        benefit(BenefitKind.SUBSIDY, reference="p:2026-10", start=NOV - 1, end=NOV - 1),
        benefit(BenefitKind.SUBSIDY, reference="p:2026-12", start=NOV + 1, end=NOV + 1),
        benefit(certified_on=date(2025, 10, 31), stopped_from=NOV),  # dead before overdue
        benefit(certified_on=date(2025, 10, 31), start=NOV + 1),  # overdue, not started
        benefit(status=BenefitStatus.SUSPENDED, suspended_from=NOV, end=NOV - 1),
    ]


def test_it_pays_exactly_whom_payable_pays_month_after_month(cast, benefit):
    # given thirty-odd benefits covering every branch of the rule
    rows = many(benefit)
    reasons = set()
    for month in (NOV - 1, NOV, NOV + 1, NOV + 2):
        # when the run of each month in turn runs (statuses as the earlier runs left them)
        before = {b.pk: b for b in Benefit.objects.all()}
        verdicts = {pk: rule(b, month) for pk, b in before.items()}
        reasons |= {reason for _ok, reason in verdicts.values()}
        run = do_run_payroll(month, acting_user=cast["city_staff"])
        # then the REGULAR lines are exactly the payable benefits, each at its amount
        lines = {p.benefit_id: p for p in Payment.objects.filter(run=run, kind=PaymentKind.REGULAR)}
        assert set(lines) == {pk for pk, (ok, _r) in verdicts.items() if ok}, month
        for pk, line in lines.items():
            assert line.amount == before[pk].monthly_amount
            assert line.first_month == line.last_month == month
        # and the overdue ones are suspended from this month, and only they
        suspended = set(
            Benefit.objects.filter(suspended_from=month, status=BenefitStatus.SUSPENDED)
            .exclude(pk__in=[pk for pk, b in before.items() if b.status == "suspended"])
            .values_list("pk", flat=True)
        )
        assert suspended == {
            pk
            for pk, (_ok, reason) in verdicts.items()
            if reason == "overdue" and before[pk].status == BenefitStatus.PAYING
        }
        assert run.suspended == len(suspended)
    # and between them the rows met every reason of the rule
    assert reasons == set(PAYABLE_REASONS)
    assert len(rows) >= 30


def test_it_pays_a_month_once_however_often_it_runs(cast, benefit):
    # given a few paying benefits and a November run
    many(benefit)
    first = do_run_payroll(NOV, acting_user=cast["city_staff"])
    lines = sorted(Payment.objects.filter(run=first).values_list("pk", "benefit_id", "amount"))
    # when the run of November is started again
    again = do_run_payroll(NOV, acting_user=cast["city_staff"])
    # then it is the same run, with the same lines and totals
    assert again.pk == first.pk and PayrollRun.objects.count() == 1
    assert sorted(Payment.objects.filter(run=again).values_list("pk", "benefit_id", "amount")) == (
        lines
    )
    assert (again.payments, again.total, again.recipients, again.totals) == (
        first.payments,
        first.total,
        first.recipients,
        first.totals,
    )
    assert AuditEvent.objects.filter(object_type="payroll_run").count() == 2


def test_it_resumes_a_run_that_lost_some_lines(cast, benefit):
    # given a November run
    many(benefit)
    run = do_run_payroll(NOV, acting_user=cast["city_staff"])
    paid = set(Payment.objects.filter(run=run).values_list("benefit_id", flat=True))
    total = run.total
    # when some of its lines are missing (a crash before they were written) and it runs again
    missing = list(Payment.objects.filter(run=run).order_by("pk")[:3].values_list("pk", flat=True))
    Payment.objects.filter(pk__in=missing).delete()
    PayrollRun.objects.filter(pk=run.pk).update(status=PayrollRun.Status.RUNNING)
    run = do_run_payroll(NOV, acting_user=cast["city_staff"])
    # then only the missing lines are added back
    assert set(Payment.objects.filter(run=run).values_list("benefit_id", flat=True)) == paid
    assert Payment.objects.filter(run=run).count() == len(paid)
    assert run.total == total and run.status == PayrollRun.Status.DONE


def test_it_keeps_totals_by_benefit_and_district(cast, benefit):
    # given pensions in two districts, a resident pension and a subsidy
    benefit(amount="3000.00")
    benefit(amount="2500.25", grid="bayinsai1")
    benefit(BenefitKind.RESIDENT_PENSION, amount="180.50", person=None)
    benefit(BenefitKind.SUBSIDY, reference="p:x", start=NOV, end=NOV, amount="500")
    # when November runs
    run = do_run_payroll(NOV, acting_user=cast["city_staff"])
    # then the run holds the totals by kind and district, and the grand totals
    by = {(t["kind"], t["district_code"]): (t["payments"], Decimal(t["total"])) for t in run.totals}
    assert by == {
        ("employee_pension", "150302"): (1, Decimal("3000.00")),
        ("employee_pension", "150304"): (1, Decimal("2500.25")),
        ("resident_pension", "150302"): (1, Decimal("180.50")),
        ("subsidy", "150302"): (1, Decimal("500.00")),
    }
    assert run.payments == 4 and run.recipients == 4 and run.total == Decimal("6180.75")


def test_it_counts_a_person_with_two_benefits_as_one_recipient(cast, benefit, resident):
    person = resident(age=65)
    benefit(person=person)
    benefit(BenefitKind.SUBSIDY, reference="p:x", start=NOV, end=NOV, person=person)
    run = do_run_payroll(NOV, acting_user=cast["city_staff"])
    assert run.payments == 2 and run.recipients == 1


def test_it_moves_paid_through_and_ends_finished_benefits(cast, benefit):
    paying = benefit()
    finished = benefit(BenefitKind.UNEMPLOYMENT, reference="", start=NOV - 12, end=NOV - 1)
    do_run_payroll(NOV, acting_user=cast["city_staff"])
    paying.refresh_from_db()
    finished.refresh_from_db()
    assert paying.paid_through == NOV and paying.status == BenefitStatus.PAYING
    assert finished.status == BenefitStatus.ENDED and finished.paid_through is None


@pytest.mark.parametrize("who", ["clerk", "outsider", "viewer", "grid_worker", "sys_admin"])
def test_it_refuses_a_run_from_anyone_but_city_staff(cast, benefit, who):
    benefit()
    with pytest.raises(PermissionDenied):
        do_run_payroll(NOV, acting_user=cast[who])
    assert not PayrollRun.objects.exists() and not Payment.objects.exists()


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_it_writes_a_payment_file_that_balances_with_the_run(cast, benefit):
    # given a November run
    many(benefit)
    run = do_run_payroll(NOV, acting_user=cast["city_staff"])
    # when the payment file is exported as CSV
    data = do_export_payment_file(
        run, "csv", acting_user=cast["city_staff"], reason="November payment to the bank"
    )
    rows = _csv_rows(data)
    header, lines, last = rows[0], rows[1:-1], rows[-1]
    # then it has one row per line, and they and the total row sum to the run's total
    amount = header.index("amount")
    assert len(lines) == run.payments
    assert sum(Decimal(r[amount]) for r in lines) == run.total
    assert last[0] == "total" and Decimal(last[amount]) == run.total
    # and the export is audited with its reason and row count
    event = AuditEvent.objects.get(event_type="export", object_type="payroll_run")
    assert event.reason == "November payment to the bank" and event.details["rows"] == run.payments


def test_it_writes_the_same_payment_file_as_xlsx(cast, benefit):
    from openpyxl import load_workbook

    many(benefit)
    run = do_run_payroll(NOV, acting_user=cast["city_staff"])
    data = do_export_payment_file(run, "xlsx", acting_user=cast["city_staff"], reason="bank")
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    amount = list(rows[0]).index("amount")
    assert len(rows) == run.payments + 2
    assert sum(Decimal(str(r[amount])) for r in rows[1:-1]) == run.total
    assert rows[-1][0] == "total" and Decimal(str(rows[-1][amount])) == run.total


def test_it_refuses_a_payment_file_without_a_reason_or_to_a_clerk(cast, benefit):
    benefit()
    run = do_run_payroll(NOV, acting_user=cast["city_staff"])
    with pytest.raises(ValidationError):
        do_export_payment_file(run, "csv", acting_user=cast["city_staff"], reason="  ")
    with pytest.raises(PermissionDenied):
        do_export_payment_file(run, "csv", acting_user=cast["clerk"], reason="bank")
    assert not AuditEvent.objects.filter(event_type="export").exists()


def test_it_runs_the_month_from_the_command_line(cast, benefit):
    from django.core.management import CommandError, call_command

    benefit(amount="3000.00")
    out = io.StringIO()
    call_command("payroll", "--month", "2026-11", "--as", "city_staff", stdout=out)
    run = PayrollRun.objects.get()
    assert run.month == NOV and run.started_by == cast["city_staff"] and run.payments == 1
    assert "1 payments to 1 recipients, total 3000.00" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("payroll", "--month", "2026-13", stdout=out)
    with pytest.raises(CommandError):
        call_command("payroll", "--month", "2026-12", "--as", "clerk", stdout=out)
    assert PayrollRun.objects.count() == 1


def test_it_seeds_and_runs_from_the_command_line_as_the_system(cast, resident):
    from django.core.management import call_command

    resident(
        age=70,
        benefits_pension_type="3",
        benefits_pension_start=date(2020, 1, 1),
        benefits_pension_amount=Decimal("190.00"),
        benefits_pension_payment_status="1",
        benefits_pension_last_paid_month=date(2026, 10, 1),
        benefits_last_certification_date=date(2026, 5, 1),
    )
    call_command("payroll", "--month", "2026-11", "--seed", stdout=io.StringIO())
    run = PayrollRun.objects.get()
    assert run.total == Decimal("190.00") and run.started_by is None
    assert AuditEvent.objects.filter(object_type="payroll_run", event_type="system").exists()


@pytest.mark.django_db(transaction=True)
def test_it_runs_the_month_as_a_job(cast, benefit):
    from django.core.management import call_command
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from minsheng.benefits.jobs import enqueue_payroll

    benefit(amount="3000.00")
    job = enqueue_payroll(NOV, cast["city_staff"].pk)
    assert not PayrollRun.objects.exists()
    call_command("worker", "--batch", "--interval", "0", verbosity=0)
    result = DBTaskResult.objects.get(pk=job.id)
    assert result.status == TaskResultStatus.SUCCESSFUL, result.traceback
    assert result.return_value == PayrollRun.objects.get(month=NOV).pk


def test_it_gives_the_bank_the_full_id_number_and_account(cast, benefit, crypto):
    # given a pensioner whose ID number and account are stored encrypted
    b = benefit(amount="3000.00")
    b.person.id_enc = crypto.encrypt("150302195001011234")
    b.person.save()
    b.person.resident.benefits_payment_account = crypto.encrypt("6222021234567890123")
    b.person.resident.save()
    run = do_run_payroll(NOV, acting_user=cast["city_staff"])
    # when the payment file is exported
    rows = _csv_rows(do_export_payment_file(run, acting_user=cast["city_staff"], reason="bank"))
    # then the line carries them in full
    line = dict(zip(rows[0], rows[1], strict=True))
    assert line["id_number"] == "150302195001011234"
    assert line["account"] == "6222021234567890123"
    assert (line["month"], line["benefit"], line["payment"]) == (
        "2026-11",
        "employee_pension",
        "regular",
    )
