"""The roll on the small synthetic city (imported once for the module through the real
pipeline): seeded from what the exports really contain, paid as `payable` says, certified
from the activity they really hold."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from conftest import CITY_AS_OF
from minsheng.benefits.actions.roll import do_certify_silently, do_run_payroll, do_seed_roll
from minsheng.benefits.models import (
    CERTIFIED_KINDS,
    Benefit,
    BenefitKind,
    Certification,
    Payment,
    PaymentKind,
)
from minsheng.lib.benefit_rules import certification_due, month_from_index, month_index, payable
from minsheng.residents.models import Resident

pytestmark = pytest.mark.django_db

STATUS_FOR_RULE = {"paying": "active", "suspended": "suspended", "stopped": "stopped"}


def test_it_seeds_pays_and_certifies_the_small_city(imported_city):
    archive = Resident.objects.all()
    pensions = archive.filter(
        benefits_pension_type__isnull=False,
        benefits_pension_start__isnull=False,
        benefits_pension_amount__isnull=False,
    )
    assert pensions.exists()
    # when the roll is seeded from the archive
    counts = do_seed_roll(acting_user=None, as_of=CITY_AS_OF)
    # then every pension of the archive is on it, with its amount and kind
    assert counts["employee_pension"] + counts["resident_pension"] == pensions.count()
    on_roll = {
        (b.person_id, b.monthly_amount, b.kind)
        for b in Benefit.objects.filter(kind__in=CERTIFIED_KINDS)
    }
    kinds = {"1": "employee_pension", "2": "employee_pension", "3": "resident_pension"}
    assert on_roll == {
        (r.person_id, r.benefits_pension_amount, kinds[r.benefits_pension_type]) for r in pensions
    }
    assert counts["opening"] == Payment.objects.filter(kind=PaymentKind.OPENING).count() > 0
    receiving = archive.filter(
        unemployment_benefit_status="1",
        unemployment_registration_date__isnull=False,
        unemployment_benefit_months_approved__gt=0,
    )
    assert counts["unemployment"] == Benefit.objects.filter(kind=BenefitKind.UNEMPLOYMENT).count()
    assert counts["unemployment"] == receiving.count() > 0
    # and the area codes are the archive row's (some rows have none: only city staff see them)
    areas = {r.person_id: (r.district_code, r.grid_code) for r in archive}
    for b in Benefit.objects.all():
        assert (b.district_code, b.grid_code) == areas[b.person_id]

    # when the month after the archive date is run
    month = month_index(CITY_AS_OF) + 1
    before = list(Benefit.objects.all())
    run = do_run_payroll(month, acting_user=None)
    paid = set(Payment.objects.filter(run=run).values_list("benefit_id", flat=True))
    # then exactly the payable benefits whose month the pension system had not paid
    covered = set(
        Payment.objects.filter(kind=PaymentKind.OPENING, first_month__lte=month)
        .filter(last_month__gte=month)
        .values_list("benefit_id", flat=True)
    )
    expected = set()
    for b in before:
        due = certification_due(b.certified_on) if b.certified_on else None
        ok, _reason = payable(
            month_from_index(month),
            start=month_from_index(b.start_month),
            end=month_from_index(b.end_month) if b.end_month is not None else None,
            status=STATUS_FOR_RULE.get(b.status, "stopped"),
            died=month_from_index(b.stopped_from) - timedelta(days=1) if b.stopped_from else None,
            due=due if b.kind in CERTIFIED_KINDS else None,
        )
        if ok and b.pk not in covered:
            expected.add(b.pk)
    assert paid == expected and run.payments > 0

    # when the silent certification runs on the archive date
    do_certify_silently(on=CITY_AS_OF, acting_user=None)
    certs = Certification.objects.all()
    # then whoever it certified showed activity in the 90 days before, and has no death
    for c in certs:
        assert c.evidence["source"] in ("rs_handling_log", "sbk_card")
        assert CITY_AS_OF - timedelta(days=89) <= c.certified_on <= CITY_AS_OF
        assert date.fromisoformat(c.evidence["date"]) == c.certified_on
    dead = archive.filter(identity_death_date__isnull=False).values_list("person_id", flat=True)
    assert not certs.filter(person_id__in=list(dead)).exists()
