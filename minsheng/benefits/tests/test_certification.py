"""Survival certification (待遇资格认证): due dates and suspension, silent certification by
data comparison, certifications recorded for one person, resumption with back pay."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from minsheng.audit.models import AuditEvent
from minsheng.benefits import roll
from minsheng.benefits.actions.roll import (
    do_certify_silently,
    do_queue_certification_reminders,
    do_record_certification,
    do_run_payroll,
)
from minsheng.benefits.models import (
    Benefit,
    BenefitKind,
    BenefitStatus,
    Certification,
    Notification,
    Payment,
    PaymentKind,
)
from minsheng.benefits.tests.conftest import LOADED
from minsheng.lib.benefit_rules import (
    back_pay,
    certification_due,
    month_from_index,
    month_index,
    month_range,
    reminder_dates,
    suspension_month,
)
from minsheng.sources.models import fact_model

ON = date(2026, 11, 25)


def m(year: int, month: int) -> int:
    return month_index(date(year, month, 1))


SEP, OCT, NOV, DEC = m(2026, 9), m(2026, 10), m(2026, 11), m(2026, 12)


TODAY = date(2026, 12, 15)


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """The tests' dates are in late 2026: a certification may not be dated after today."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def pension(resident):
    def make(certified_on, *, grid="qingquan1", amount="2800.00", person=None, **extra):
        person = person or resident(grid, age=70)
        r = person.resident
        now = timezone.now()
        return Benefit.objects.create(
            person=person,
            kind=extra.pop("kind", BenefitKind.EMPLOYEE_PENSION),
            reference=extra.pop("reference", "1"),
            monthly_amount=Decimal(amount),
            start_month=m(2018, 1),
            certified_on=certified_on,
            source="test",
            created_at=now,
            updated_at=now,
            district_code=r.district_code,
            town_code=r.town_code,
            community_code=r.community_code,
            grid_code=r.grid_code,
            **extra,
        )

    return make


@pytest.fixture
def fact(batch):
    rows = itertools.count(1)

    def make(source: str, person, **values):
        return fact_model(source).objects.create(
            batch=batch,
            row=next(rows),
            loaded_at=LOADED,
            person=person,
            link_method="exact",
            **values,
        )

    return make


def staff(cast):
    return cast["city_staff"]


# -- due dates and suspension ------------------------------------------------------------------


def test_it_suspends_from_the_month_after_the_due_date(cast, pension):
    # given one certified on 2025-10-31 (due 2026-10-31) and one on 2025-11-01 (due Nov 1)
    late = pension(date(2025, 10, 31))
    on_time = pension(date(2025, 11, 1))
    assert suspension_month(late.certified_on) == month_from_index(NOV)
    assert suspension_month(on_time.certified_on) == month_from_index(DEC)
    # when October runs, both are paid
    do_run_payroll(OCT, acting_user=staff(cast))
    # when November runs, the first is suspended from November and not paid
    nov = do_run_payroll(NOV, acting_user=staff(cast))
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert (late.status, late.suspended_from) == ("suspended", NOV)
    assert on_time.status == "paying"
    assert set(Payment.objects.filter(run=nov).values_list("benefit_id", flat=True)) == {on_time.pk}
    assert nov.suspended == 1
    # and December suspends the second
    do_run_payroll(DEC, acting_user=staff(cast))
    on_time.refresh_from_db()
    assert (on_time.status, on_time.suspended_from) == ("suspended", DEC)
    assert Payment.objects.filter(benefit=late, kind=PaymentKind.REGULAR).count() == 1


def test_it_does_not_suspend_an_unemployment_benefit(cast, pension):
    b = pension(date(2020, 1, 1), kind=BenefitKind.UNEMPLOYMENT, reference="")
    do_run_payroll(NOV, acting_user=staff(cast))
    b.refresh_from_db()
    assert b.status == "paying" and b.paid_through == NOV


# -- silent certification ------------------------------------------------------------------------


def test_it_certifies_silently_from_a_matter_the_person_handled(cast, pension, handled):
    # given a pensioner due 2026-12-20 who handled a matter themself on 2026-10-01
    b = pension(date(2025, 12, 20))
    handled(b.person, "个人权益记录查询打印", date(2026, 10, 1))
    # when the silent certification runs on Nov 25
    counts = do_certify_silently(on=ON, acting_user=None)
    # then the person is certified on the day of the activity, with the evidence
    cert = Certification.objects.get(person=b.person)
    assert cert.method == "silent" and cert.certified_on == date(2026, 10, 1)
    assert cert.evidence == {
        "source": "rs_handling_log",
        "date": "2026-10-01",
        "what": "个人权益记录查询打印",
    }
    assert cert.community_code == "150302001001"
    b.refresh_from_db()
    assert b.certified_on == date(2026, 10, 1)
    assert counts["certified"] == 1 and counts["benefits"] == 1
    # and one system event records the comparison
    event = AuditEvent.objects.get(object_type="certification")
    assert event.event_type == "system" and event.details["certified"] == 1


def test_it_takes_a_card_issued_and_the_latest_sign_of_life(cast, pension, handled, fact):
    b = pension(date(2025, 12, 1))
    handled(b.person, "社会保障卡补换", date(2026, 9, 1))
    fact("sbk_card", b.person, issue_date=date(2026, 9, 20))
    do_certify_silently(on=ON, acting_user=None)
    cert = Certification.objects.get(person=b.person)
    assert cert.evidence["source"] == "sbk_card" and cert.certified_on == date(2026, 9, 20)


def test_it_leaves_out_whom_it_cannot_or_need_not_certify(cast, pension, handled, fact):
    # given: an agent's matter, an activity 90 days before, a pensioner not yet due,
    # and three with a death on record (archive, 公安, 卫健)
    agent = pension(date(2025, 12, 1))
    h = handled(agent.person, "养老待遇资格认证", date(2026, 11, 1))
    type(h).objects.filter(pk=h.pk).update(agent_id_number_hash="f" * 64, id_number_hash="e" * 64)
    old = pension(date(2025, 12, 1))
    handled(old.person, "x", date(2026, 8, 27))  # 90 days before Nov 25
    not_due = pension(date(2026, 3, 1))
    handled(not_due.person, "x", date(2026, 11, 1))
    dead = [pension(date(2025, 12, 1)) for _ in range(3)]
    for b in dead:
        handled(b.person, "x", date(2026, 11, 1))
    dead[0].person.resident.identity_death_date = date(2026, 11, 2)
    dead[0].person.resident.save()
    fact("gongan_death", dead[1].person, death_date=date(2026, 11, 3))
    fact("wj_death", dead[2].person)
    # but one whose activity is 89 days before is taken
    fresh = pension(date(2025, 12, 1))
    handled(fresh.person, "x", date(2026, 8, 28))
    # when the silent certification runs
    do_certify_silently(on=ON, acting_user=staff(cast))
    # then only that one is certified
    assert list(Certification.objects.values_list("person_id", flat=True)) == [fresh.person_id]


def test_it_does_not_certify_again_with_no_new_sign_of_life(cast, pension, handled):
    b = pension(date(2025, 12, 1))
    handled(b.person, "x", date(2026, 11, 1))
    do_certify_silently(on=ON, acting_user=None)
    again = do_certify_silently(on=date(2026, 11, 26), acting_user=None)
    assert again["certified"] == 0 and Certification.objects.count() == 1


# -- resumption and back pay ---------------------------------------------------------------


def suspended_in_september(cast, pension, **extra):
    """A pension due 2026-08-15: September suspends it; October and November run."""
    b = pension(date(2025, 8, 15), **extra)
    for month in (m(2026, 8), SEP, OCT, NOV):
        do_run_payroll(month, acting_user=staff(cast))
    b.refresh_from_db()
    assert (b.status, b.suspended_from, b.paid_through) == ("suspended", SEP, m(2026, 8))
    return b


def lines_of(b: Benefit, kind=PaymentKind.BACK_PAY) -> list[tuple[date, Decimal]]:
    return [
        (month_from_index(p.first_month), p.amount)
        for p in Payment.objects.filter(benefit=b, kind=kind).order_by("first_month")
    ]


def test_it_resumes_with_back_pay_for_every_suspended_month(cast, pension, handled):
    # given a pension suspended since September, with runs through November
    b = suspended_in_september(cast, pension)
    # when the person shows up in the handling log and the silent certification runs
    handled(b.person, "x", date(2026, 11, 20))
    counts = do_certify_silently(on=ON, acting_user=None)
    # then September to November are back paid at the monthly amount, as the rule says
    expected = back_pay(month_range(month_from_index(SEP), month_from_index(NOV)), b.monthly_amount)
    assert lines_of(b) == expected and len(expected) == 3
    assert counts == {
        "certified": 1,
        "door_to_door": 0,
        "benefits": 1,
        "resumed": 1,
        "back_pay": 3,
    }
    b.refresh_from_db()
    assert (b.status, b.suspended_from, b.paid_through) == ("paying", None, NOV)
    # and December's run pays December and sends the back pay to the bank with it
    dec = do_run_payroll(DEC, acting_user=staff(cast))
    assert dec.total == b.monthly_amount * 4 and dec.payments == 4
    assert Payment.objects.filter(benefit=b, kind="back_pay", run=dec).count() == 3


def test_it_does_not_resume_without_a_certification_good_for_the_next_run(cast, pension, handled):
    # given a pension due 2026-11-20, suspended by the December run
    b = pension(date(2025, 11, 20))
    do_run_payroll(DEC, acting_user=staff(cast))
    b.refresh_from_db()
    assert (b.status, b.suspended_from) == ("suspended", DEC)
    # when the silent certification runs on Nov 13, while the old certification still
    # holds that day, and finds nothing new of the person
    do_certify_silently(on=date(2026, 11, 13), acting_user=None)
    # then the benefit stays suspended: only a new certification resumes it
    b.refresh_from_db()
    assert b.status == "suspended" and lines_of(b) == []
    # and one found later resumes it, back paying December
    handled(b.person, "x", date(2026, 12, 10))
    do_certify_silently(on=date(2026, 12, 12), acting_user=None)
    b.refresh_from_db()
    assert b.status == "paying" and lines_of(b) == [(date(2026, 12, 1), b.monthly_amount)]


def test_it_resumes_only_a_suspension_for_an_overdue_certification(cast, pension, handled):
    # given a pension suspended since September, then marked suspended for another reason
    b = suspended_in_september(cast, pension)
    Benefit.objects.filter(pk=b.pk).update(stop_reason="investigation")
    # when a certification comes in
    handled(b.person, "x", date(2026, 11, 20))
    counts = do_certify_silently(on=ON, acting_user=None)
    # then the date moves but the benefit stays suspended, with no back pay
    b.refresh_from_db()
    assert counts["certified"] == 1 and counts["resumed"] == 0
    assert b.status == "suspended" and b.certified_on == date(2026, 11, 20)
    assert lines_of(b) == []


def test_it_back_pays_a_suspension_of_the_pension_system_before_any_run(cast, pension):
    # given a pension the pension system suspended (暂停) from September; no run yet
    b = pension(
        date(2025, 8, 15),
        status=BenefitStatus.SUSPENDED,
        suspended_from=SEP,
        stop_reason=roll.OVERDUE,
        paid_through=m(2026, 8),
    )
    # when the person certifies at the window on Nov 25
    do_record_certification(b.person, method="window", on=ON, acting_user=cast["clerk"])
    # then September and October are back paid, and November is left to its run
    assert [d for d, _a in lines_of(b)] == [date(2026, 9, 1), date(2026, 10, 1)]
    nov = do_run_payroll(NOV, acting_user=staff(cast))
    assert nov.payments == 3 and nov.total == 3 * b.monthly_amount
    assert lines_of(b, PaymentKind.REGULAR) == [(date(2026, 11, 1), b.monthly_amount)]


def test_it_never_back_pays_twice(cast, pension, handled):
    b = suspended_in_september(cast, pension)
    handled(b.person, "x", date(2026, 11, 20))
    do_certify_silently(on=ON, acting_user=None)
    # when a window certification follows for the same person
    do_record_certification(
        b.person, method="window", on=date(2026, 11, 26), acting_user=cast["clerk"]
    )
    # then no month is back paid again
    assert len(lines_of(b)) == 3
    b.refresh_from_db()
    assert b.certified_on == date(2026, 11, 26)


def test_it_back_pays_no_month_after_a_death(cast, pension):
    # given a suspended pension whose holder died in October (a stop from November)
    b = suspended_in_september(cast, pension)
    Benefit.objects.filter(pk=b.pk).update(stopped_from=NOV)
    # when a certification dated before the death is recorded at the window
    do_record_certification(
        b.person, method="window", on=date(2026, 10, 10), acting_user=cast["clerk"]
    )
    # then September and October are owed, November is not
    died = date(2026, 10, 31)
    months = month_range(month_from_index(SEP), month_from_index(NOV))
    assert lines_of(b) == back_pay(months, b.monthly_amount, died=died)
    assert [d for d, _a in lines_of(b)] == [date(2026, 9, 1), date(2026, 10, 1)]


def test_it_records_a_window_certification_for_one_person(cast, pension):
    # given two suspended pensions
    b = suspended_in_september(cast, pension)
    other = Benefit.objects.create(
        **{
            f.name: getattr(b, f.name)
            for f in Benefit._meta.fields
            if f.name not in ("id", "person", "kind")
        },
        person=pension(date(2025, 8, 15)).person,
        kind=BenefitKind.RESIDENT_PENSION,
    )
    # when the clerk records a window certification for the first
    cert = do_record_certification(
        b.person,
        method="window",
        on=date(2026, 11, 24),
        evidence={"note": "came with ID card"},
        acting_user=cast["clerk"],
    )
    # then only that person is certified and resumed, with the clerk as recorder
    assert cert.recorded_by == cast["clerk"] and cert.evidence == {"note": "came with ID card"}
    b.refresh_from_db()
    other.refresh_from_db()
    assert b.status == "paying" and other.status == "suspended"
    assert len(lines_of(b)) == 3 and lines_of(other) == []
    assert (
        AuditEvent.objects.filter(object_type="certification", details__step="record").count() == 1
    )


@pytest.mark.parametrize(
    "who,method",
    [
        ("outsider", "window"),
        ("viewer", "window"),
        ("grid_worker", "window"),
        ("supervision", "self"),
    ],
)
def test_it_refuses_a_certification_from_outside_the_area_or_role(cast, pension, who, method):
    b = pension(date(2025, 8, 15))
    with pytest.raises(PermissionDenied):
        do_record_certification(b.person, method=method, on=ON, acting_user=cast[who])
    assert not Certification.objects.exists()


def test_it_refuses_a_certification_dated_after_today(cast, pension):
    b = pension(date(2025, 8, 15))
    with pytest.raises(ValidationError):
        do_record_certification(
            b.person, method="window", on=TODAY + timedelta(days=1), acting_user=cast["clerk"]
        )
    with pytest.raises(ValidationError):
        do_record_certification(b.person, method="silent", on=TODAY, acting_user=cast["clerk"])
    assert not Certification.objects.exists()


def test_it_lets_the_grid_worker_record_a_door_to_door_certification(cast, pension):
    b = pension(date(2025, 8, 15))
    do_record_certification(
        b.person, method="grid", on=ON, evidence={"task": 7}, acting_user=cast["grid_worker"]
    )
    b.refresh_from_db()
    assert b.certified_on == ON


# -- reminders -----------------------------------------------------------------------------------


def test_it_queues_reminders_30_and_7_days_before_the_due_date(cast, pension, fact):
    # given pensions falling due on various dates, one of them of a person two pensions
    due_in_30 = pension(date(2025, 12, 25))
    pension(date(2025, 12, 25), person=due_in_30.person, kind=BenefitKind.RESIDENT_PENSION)
    due_in_7 = pension(date(2025, 12, 2))
    pension(date(2025, 12, 3))
    pension(date(2025, 12, 26))
    leap = pension(date(2024, 2, 29))  # due 2025-02-28
    dead = pension(date(2025, 12, 25))
    fact("gongan_death", dead.person, death_date=date(2026, 10, 1))
    # when the reminders of Nov 25 are queued
    queued = do_queue_certification_reminders(ON, acting_user=None)
    # then the first two persons get one SMS each, as reminder_dates says; the dead none
    assert ON in reminder_dates(certification_due(due_in_30.certified_on))
    sms = {n.person_id: n for n in Notification.objects.filter(template=roll.REMINDER)}
    assert queued == 2 and set(sms) == {due_in_30.person_id, due_in_7.person_id}
    assert sms[due_in_30.person_id].payload == {"due": "2026-12-25", "days": 30}
    assert sms[due_in_7.person_id].payload == {"due": "2026-12-02", "days": 7}
    assert sms[due_in_7.person_id].community_code == due_in_7.community_code
    assert sms[due_in_7.person_id].status == "pending" and sms[due_in_7.person_id].run_id is None
    # and the same day again queues nothing; a leap-day certification is reminded in time
    assert do_queue_certification_reminders(ON, acting_user=None) == 0
    assert do_queue_certification_reminders(date(2025, 1, 29), acting_user=None) == 1
    assert Notification.objects.get(person_id=leap.person_id).payload["due"] == "2025-02-28"


def test_it_certifies_silently_from_the_command_line(cast, pension, handled):
    import io

    from django.core.management import CommandError, call_command

    b = pension(date(2025, 12, 20))
    handled(b.person, "x", date(2026, 11, 1))
    out = io.StringIO()
    call_command("certify", "--silent", "--on", "2026-11-25", stdout=out)
    assert "certified 1 recipients on 2026-11-25" in out.getvalue()
    assert Certification.objects.get().person_id == b.person_id
    with pytest.raises(CommandError):
        call_command("certify", "--silent", "--on", "25.11.2026", stdout=out)


# -- door to door (the grid workers' 待遇资格认证 tasks) -----------------------------------------


def grid_result(fact, person, *, outcome="certified", seen=date(2026, 11, 18), task=77):
    """What the grid app writes for a certification task's result (网格采集)."""
    return fact(
        "grid_collect",
        person,
        task_id=task,
        task_kind="certification",
        worker="grid_worker",
        collected_date=seen,
        outcome=outcome,
        certification_date=seen if outcome == "certified" else None,
    )


def test_it_takes_up_a_door_to_door_certification_and_resumes(cast, pension, fact):
    # given a pension suspended since September, and a grid worker who saw the person
    b = suspended_in_september(cast, pension)
    grid_result(fact, b.person)
    # and a visit that found nobody at home, for someone else
    other = pension(date(2025, 8, 1))
    grid_result(fact, other.person, outcome="not_home", task=78)
    # when the certification pass runs
    counts = do_certify_silently(on=ON, acting_user=None)
    # then the visit is a certification of method grid, with the task as its evidence
    c = Certification.objects.get(person=b.person, method="grid")
    assert c.certified_on == date(2026, 11, 18) and c.evidence["task"] == 77
    assert not Certification.objects.filter(person=other.person).exists()
    assert counts["door_to_door"] == 1 and counts["resumed"] == 1
    # and the pension resumes with back pay for September to November
    b.refresh_from_db()
    assert (b.status, b.certified_on) == ("paying", date(2026, 11, 18))
    assert lines_of(b) == back_pay(
        month_range(month_from_index(SEP), month_from_index(NOV)), b.monthly_amount
    )
    # and running the pass again records nothing twice
    again = do_certify_silently(on=ON, acting_user=None)
    assert again["door_to_door"] == 0 and again["back_pay"] == 0
    assert Certification.objects.filter(person=b.person, method="grid").count() == 1
