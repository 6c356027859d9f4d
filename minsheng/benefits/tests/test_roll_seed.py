"""Seeding the benefit roll from the archive (养老待遇, 失业保险金) and the 免申即享 benefit
records, and who may see it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from minsheng.audit.models import AuditEvent
from minsheng.benefits.actions.roll import do_run_payroll, do_seed_roll
from minsheng.benefits.models import (
    Benefit,
    BenefitKind,
    BenefitRecord,
    BenefitStatus,
    DeliveryKind,
    Payment,
    PaymentKind,
    PolicyCandidate,
    PolicyDelivery,
    PolicyRun,
)
from minsheng.lib.benefit_rules import month_index, overpaid

AS_OF = date(2026, 3, 1)


def m(year: int, month: int) -> int:
    return month_index(date(year, month, 1))


def pensioner(resident, grid="qingquan1", **items):
    values = {
        "benefits_pension_type": "1",
        "benefits_pension_start": date(2016, 5, 1),
        "benefits_pension_amount": Decimal("3125.40"),
        "benefits_pension_payment_status": "1",
        "benefits_pension_last_paid_month": date(2026, 2, 1),
        "benefits_last_certification_date": date(2025, 6, 10),
    }
    values.update(items)
    return resident(grid, age=68, **values)


def delivered(
    person,
    staff,
    *,
    code="graduate_job_subsidy",
    kind="求职创业补贴",
    period="2026-03",
    amount="1000",
    at=None,
):
    """A 免申即享 benefit record as a delivered policy run leaves it."""
    at = at or timezone.make_aware(datetime(2026, 3, 10, 9, 0))
    run, _ = PolicyRun.objects.get_or_create(
        policy_code=code,
        period=period,
        defaults={
            "policy_name": code,
            "rule_version": "1",
            "rule_text": "x",
            "as_of": AS_OF,
            "proposed_by": staff,
        },
    )
    r = person.resident
    areas = {
        f: getattr(r, f) for f in ("district_code", "town_code", "community_code", "grid_code")
    }
    cand = PolicyCandidate.objects.create(
        run=run, subject_key=str(person.pk), person=person, amount=Decimal(amount), **areas
    )
    d = PolicyDelivery.objects.create(
        policy_code=code,
        subject_key=str(person.pk),
        period=period,
        run=run,
        candidate=cand,
        person=person,
        kind=DeliveryKind.BENEFIT_RECORD,
        amount=Decimal(amount),
        created_at=at,
        **areas,
    )
    return BenefitRecord.objects.create(
        person=person,
        kind=kind,
        amount=Decimal(amount),
        period=period,
        policy_code=code,
        run=run,
        delivery=d,
        created_at=at,
        **areas,
    )


def test_it_seeds_pensions_with_their_kind_amount_months_and_certification(cast, resident):
    # given an employee pensioner, a 机关事业 pensioner and a resident pensioner
    a = pensioner(resident)
    b = pensioner(resident, "xinnan1", benefits_pension_type="2")
    c = pensioner(
        resident,
        "bayinsai1",
        benefits_pension_type="3",
        benefits_pension_amount=Decimal("183.00"),
        benefits_pension_start=date(2021, 1, 1),
    )
    resident(age=40)  # no benefit
    # when the roll is seeded
    counts = do_seed_roll(acting_user=cast["city_staff"], as_of=AS_OF)
    # then each is on the roll with the archive's figures
    assert counts["employee_pension"] == 2 and counts["resident_pension"] == 1
    ba = Benefit.objects.get(person=a)
    assert (ba.kind, ba.reference, ba.monthly_amount) == (
        "employee_pension",
        "1",
        Decimal("3125.40"),
    )
    assert (ba.start_month, ba.end_month, ba.paid_through) == (m(2016, 5), None, m(2026, 2))
    assert ba.status == BenefitStatus.PAYING and ba.certified_on == date(2025, 6, 10)
    assert ba.community_code == "150302001001" and ba.grid_code.startswith("150302001001")
    assert Benefit.objects.get(person=b).kind == BenefitKind.EMPLOYEE_PENSION
    bc = Benefit.objects.get(person=c)
    assert bc.kind == BenefitKind.RESIDENT_PENSION and bc.district_code == "150304"
    # and one audit event records it
    assert AuditEvent.objects.filter(object_type="benefit_roll").count() == 1


def test_it_takes_the_pension_systems_suspensions_and_terminations(cast, resident):
    # given a pension suspended (暂停) and one terminated (终止) by the pension system
    s = pensioner(resident, benefits_pension_payment_status="2")
    t = pensioner(resident, benefits_pension_payment_status="3")
    do_seed_roll(acting_user=cast["city_staff"], as_of=AS_OF)
    # then the first is suspended and the second stopped from the month after the last paid
    bs, bt = Benefit.objects.get(person=s), Benefit.objects.get(person=t)
    assert (bs.status, bs.suspended_from, bs.stopped_from) == ("suspended", m(2026, 3), None)
    assert bs.stop_reason == "certification_overdue"  # what 暂停发放 means in the dictionary
    assert (bt.status, bt.stopped_from, bt.stop_reason) == ("stopped", m(2026, 3), "pension_system")


def test_it_writes_an_opening_line_from_which_an_overpayment_follows(cast, resident):
    # given a pensioner paid by the pension system from May 2016 to February 2026
    a = pensioner(resident)
    do_seed_roll(acting_user=cast["city_staff"], as_of=AS_OF)
    # then one OPENING line covers those months at the monthly amount
    line = Payment.objects.get(person=a)
    months = m(2026, 2) - m(2016, 5) + 1
    assert line.kind == PaymentKind.OPENING and line.run_id is None
    assert (line.first_month, line.last_month) == (m(2016, 5), m(2026, 2))
    assert line.amount == Decimal("3125.40") * months
    # and a death on 2025-12-31 gives two months overpaid, from the lines alone
    paid = [
        (date(i // 12, i % 12 + 1, 1), line.monthly_amount)
        for i in range(line.first_month, line.last_month + 1)
    ]
    assert overpaid(paid, date(2025, 12, 31)) == Decimal("6250.80")


def test_it_does_not_pay_again_what_the_pension_system_paid(cast, resident):
    a = pensioner(resident, benefits_last_certification_date=date(2026, 1, 5))
    do_seed_roll(acting_user=cast["city_staff"], as_of=AS_OF)
    feb = do_run_payroll(m(2026, 2), acting_user=cast["city_staff"])
    mar = do_run_payroll(m(2026, 3), acting_user=cast["city_staff"])
    assert feb.payments == 0
    assert list(Payment.objects.filter(run=mar).values_list("person_id", flat=True)) == [a.pk]


def test_it_seeds_unemployment_benefits_by_approved_months_or_contribution_years(cast, resident):
    receiving = {
        "unemployment_benefit_status": "1",
        "benefits_unemployment_benefit_amount": Decimal("1836.00"),
        "unemployment_registration_date": date(2025, 12, 10),
    }
    # given a claim with 12 approved months, one without them but 6 years of contribution,
    # one with 8 months of contribution only, and one already drawn (已领完)
    a = resident(**receiving, unemployment_benefit_months_approved=12)
    b = resident(**receiving, insurance_employee_pension_months=72)
    resident(**receiving, insurance_employee_pension_months=8)
    resident(**{**receiving, "unemployment_benefit_status": "2"})
    counts = do_seed_roll(acting_user=cast["city_staff"], as_of=AS_OF)
    # then the first two are on the roll from December 2025, for 12 and 18 months
    assert counts["unemployment"] == 2
    ba, bb = Benefit.objects.get(person=a), Benefit.objects.get(person=b)
    assert (ba.kind, ba.reference, ba.monthly_amount) == ("unemployment", "", Decimal("1836.00"))
    assert (ba.start_month, ba.end_month) == (m(2025, 12), m(2026, 11))
    assert (bb.start_month, bb.end_month) == (m(2025, 12), m(2027, 5))
    assert ba.certified_on is None and not Payment.objects.filter(benefit=ba).exists()


def test_it_pays_90_percent_of_the_minimum_wage_when_the_archive_has_no_amount(cast, resident):
    # given a claim being drawn whose export says no amount (the city's exports never do)
    a = resident(
        unemployment_benefit_status="1",
        unemployment_registration_date=date(2026, 1, 5),
        unemployment_benefit_months_approved=18,
    )
    do_seed_roll(acting_user=cast["city_staff"], as_of=AS_OF)
    # then it is on the roll at 90 % of 内蒙古's minimum wage of 2,270 元
    b = Benefit.objects.get(person=a)
    assert b.monthly_amount == Decimal("2043.00")
    assert (b.start_month, b.end_month) == (m(2026, 1), m(2027, 6))


def test_it_seeds_a_delivered_subsidy_as_a_one_off_of_its_delivery_month(cast, resident):
    # given a subsidy delivered at 04:00 on April 1st, Beijing time (March 31st in UTC)
    p = resident(age=30)
    delivered(p, cast["city_staff"], at=timezone.make_aware(datetime(2026, 4, 1, 4, 0)))
    counts = do_seed_roll(acting_user=cast["city_staff"], as_of=AS_OF)
    # then it is paid once, in April
    assert counts["subsidy"] == 1
    b = Benefit.objects.get(person=p)
    assert (b.kind, b.reference) == ("subsidy", "graduate_job_subsidy:2026-03")
    assert b.start_month == b.end_month == m(2026, 4) and b.monthly_amount == Decimal("1000")


def test_it_leaves_a_contribution_paid_for_the_person_off_the_roll(cast, resident):
    # given a 城乡居民养老保险代缴 record (paid into the pension fund) and a subsidy
    p = resident(age=30)
    delivered(p, cast["city_staff"], code="resident_pension_daijiao", kind="城乡居民养老保险代缴")
    delivered(p, cast["city_staff"], period="2026-04")
    # when the roll is seeded, only the subsidy is on it
    counts = do_seed_roll(acting_user=cast["city_staff"], as_of=AS_OF)
    assert counts["subsidy"] == 1
    assert Benefit.objects.get(person=p).reference == "graduate_job_subsidy:2026-04"


def test_it_seeds_nothing_twice(cast, resident):
    # given a seeded roll
    pensioner(resident)
    resident(
        unemployment_benefit_status="1",
        benefits_unemployment_benefit_amount=Decimal("1836.00"),
        unemployment_registration_date=date(2025, 12, 10),
        unemployment_benefit_months_approved=12,
    )
    delivered(resident(age=30), cast["city_staff"])
    do_seed_roll(acting_user=cast["city_staff"], as_of=AS_OF)
    before = (Benefit.objects.count(), Payment.objects.count())
    # when it is seeded again
    counts = do_seed_roll(acting_user=cast["city_staff"], as_of=AS_OF)
    # then nothing is added
    assert set(counts.values()) == {0}
    assert (Benefit.objects.count(), Payment.objects.count()) == before == (3, 1)


def test_it_refuses_seeding_to_a_clerk(cast, resident):
    pensioner(resident)
    with pytest.raises(PermissionDenied):
        do_seed_roll(acting_user=cast["clerk"], as_of=AS_OF)
    assert not Benefit.objects.exists()


def test_it_shows_the_roll_only_within_the_users_area(cast, resident):
    # given pensioners in 清泉社区 and in 乌达区
    mine = pensioner(resident)
    theirs = pensioner(resident, "bayinsai1")
    do_seed_roll(acting_user=cast["city_staff"], as_of=AS_OF)

    def seen(who):
        return set(Benefit.objects.visible_to(cast[who]).values_list("person_id", flat=True))

    # then the clerk sees only 清泉社区's, the outsider only their own, city staff both
    assert seen("clerk") == {mine.pk}
    assert seen("outsider") == {theirs.pk}
    assert seen("city_staff") == {mine.pk, theirs.pk}
    assert seen("supervision") == set()
    assert set(Payment.objects.visible_to(cast["clerk"]).values_list("person_id", flat=True)) == {
        mine.pk
    }
