"""Collecting death reports: every source becomes a signal on the person's one live case,
only for persons on the roll, set-wise, and a second collection inserts nothing."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from minsheng.audit.models import AuditEvent
from minsheng.benefits.actions import deaths as actions
from minsheng.benefits.models import DeathCase, DeathCaseStatus, DeathSignal
from minsheng.geo.models import Area
from minsheng.screening.models import TargetList, TargetListMember
from minsheng.sources.models import fact_model

from .roll_world import NOW, m, on_roll

LOADED = timezone.make_aware(datetime(2026, 11, 1, 9, 0))
Source = DeathSignal.Source


@pytest.fixture
def report(batch):
    """Death reports as the import and the grid leave them: one fact row per call."""
    rows = iter(range(1, 100_000))

    def make(source: str, person, died: date | None = date(2026, 9, 14), **extra):
        common = {
            "batch": batch,
            "row": next(rows),
            "loaded_at": LOADED,
            "person": person,
            "link_method": "exact",
        }
        if source == Source.GONGAN:
            values = {"death_date": died}
        elif source == Source.HEALTH:
            moment = timezone.make_aware(datetime(died.year, died.month, died.day, 12, 0))
            values = {"certificate_number": f"W{common['row']}", "death_time": moment}
        else:
            values = {"task_id": common["row"], "task_kind": "death_report", "death_date": died}
        return fact_model(source).objects.create(**common, **{**values, **extra})

    return make


@pytest.fixture
def suspected(cast):
    def make(*persons, code: str = "population_suspected_dead") -> TargetList:
        tl = TargetList.objects.create(
            list_code=code,
            theme_code="population",
            name="疑似死亡待核实人员",
            rule_text="identity.survival_status = '疑似死亡待核实'",
            rule_version="1",
            as_of=date(2026, 11, 1),
            area=Area.objects.get(code="150300"),
            size=len(persons),
            created_by=cast["city_staff"],
        )
        TargetListMember.objects.bulk_create(
            TargetListMember(target_list=tl, person=p) for p in persons
        )
        return tl

    return make


def collect(cast, **kw):
    return actions.do_collect_death_signals(acting_user=cast["city_staff"], **kw)


@pytest.mark.django_db
def test_it_gathers_every_source_on_one_case(cast, resident, report, suspected):
    person = resident(age=81)
    on_roll(person, opening_through=m(2026, 10))
    for source in (Source.GONGAN, Source.HEALTH, Source.GRID):
        report(source, person)
    suspected(person)
    counts = collect(cast)
    assert counts["cases_opened"] == 1 and counts["signals"] == 4
    assert counts["by_source"] == {
        "gongan_death": 1,
        "wj_death": 1,
        "grid_collect": 1,
        "screening": 1,
    }
    case = DeathCase.objects.get()
    assert case.status == DeathCaseStatus.OPEN and case.person == person
    assert case.community_code == person.resident.community_code
    signals = {s.source: s for s in case.signals.all()}
    assert signals["gongan_death"].death_date == date(2026, 9, 14)
    assert signals["wj_death"].death_date == date(2026, 9, 14)
    assert signals["grid_collect"].reference.startswith("task:")
    assert signals["screening"].death_date is None
    assert actions.independent_sources(case) == {"gongan_death", "wj_death", "grid_collect"}


@pytest.mark.django_db
def test_a_second_collection_inserts_nothing(cast, resident, report):
    person = resident(age=81)
    on_roll(person, opening_through=m(2026, 10))
    report(Source.GONGAN, person)
    collect(cast)
    assert collect(cast) == {
        "cases_opened": 0,
        "signals": 0,
        "by_source": {"gongan_death": 0, "wj_death": 0, "grid_collect": 0, "screening": 0},
    }
    assert DeathSignal.objects.count() == 1 and DeathCase.objects.count() == 1


@pytest.mark.django_db
def test_a_new_report_joins_the_live_case(cast, resident, report):
    person = resident(age=81)
    on_roll(person, opening_through=m(2026, 10))
    report(Source.GRID, person)
    collect(cast)
    report(Source.GONGAN, person)
    counts = collect(cast)
    assert counts["cases_opened"] == 0 and counts["signals"] == 1
    case = DeathCase.objects.get()
    assert case.signals.count() == 2


@pytest.mark.django_db
def test_it_reads_only_persons_with_a_benefit_still_paid_or_suspended(cast, resident, report):
    ended, none, stopped = resident(age=81), resident(age=81), resident(age=81)
    paying, suspended = resident(age=81), resident(age=81)
    on_roll(ended, status="ended")
    on_roll(stopped, status="stopped")
    on_roll(paying)
    on_roll(suspended, status="suspended")
    for p in (ended, none, stopped, paying, suspended):
        report(Source.GONGAN, p)
    counts = collect(cast)
    # a death of someone whose benefits stopped or ended costs the fund nothing
    assert counts["signals"] == 2
    assert set(DeathCase.objects.values_list("person_id", flat=True)) == {paying.pk, suspended.pk}


@pytest.mark.django_db
def test_it_skips_unlinked_duplicate_and_other_grid_rows(cast, resident, report):
    person = resident(age=81)
    on_roll(person)
    report(Source.GONGAN, None)
    first = report(Source.GONGAN, person)
    report(Source.GONGAN, person, duplicate_of=first.pk)
    report(Source.GRID, person, task_kind="certification")
    report(Source.GRID, person, died=None)
    counts = collect(cast)
    assert counts["signals"] == 1 and counts["by_source"]["gongan_death"] == 1


@pytest.mark.django_db
def test_a_dismissed_report_does_not_reopen_but_a_new_one_does(cast, resident, report):
    person = resident(age=81)
    on_roll(person)
    report(Source.GRID, person)
    collect(cast)
    case = DeathCase.objects.get()
    actions.do_dismiss_death(case, reason="alive", acting_user=cast["clerk"])
    assert collect(cast)["signals"] == 0
    report(Source.GONGAN, person)
    counts = collect(cast)
    assert counts["cases_opened"] == 1 and counts["signals"] == 1
    assert DeathCase.objects.filter(status=DeathCaseStatus.OPEN).count() == 1


@pytest.mark.django_db
def test_it_reads_a_named_list_when_told(cast, resident, suspected):
    a, b = resident(age=81), resident(age=82)
    on_roll(a)
    on_roll(b)
    suspected(a)
    other = suspected(b, code="my_own_check")
    assert collect(cast, list_ids=[other.pk])["signals"] == 1
    assert list(DeathSignal.objects.values_list("person_id", flat=True)) == [b.pk]
    assert collect(cast)["signals"] == 1  # the default list
    assert DeathSignal.objects.count() == 2


@pytest.mark.django_db
def test_the_database_keeps_one_live_case_per_person(resident):
    person = resident(age=81)
    DeathCase.objects.create(person=person, opened_at=NOW)
    DeathCase.objects.create(person=person, opened_at=NOW, status=DeathCaseStatus.DISMISSED)
    with pytest.raises(IntegrityError), transaction.atomic():
        DeathCase.objects.create(person=person, opened_at=NOW, status=DeathCaseStatus.PROPOSED)


def _persons_reported(resident, report, n: int) -> None:
    for _ in range(n):
        p = resident(age=81)
        on_roll(p)
        report(Source.GONGAN, p)
        report(Source.GRID, p)


@pytest.mark.django_db
def test_it_is_set_wise(cast, resident, report):
    # the statements do not grow with the number of persons
    _persons_reported(resident, report, 2)
    with CaptureQueriesContext(connection) as few:
        assert collect(cast)["signals"] == 4
    _persons_reported(resident, report, 40)
    with CaptureQueriesContext(connection) as many:
        counts = collect(cast)
    assert counts["cases_opened"] == 40 and counts["signals"] == 80
    assert len(many) <= len(few) <= 20


@pytest.mark.django_db
def test_it_records_one_event(cast, resident, report):
    person = resident(age=81)
    on_roll(person)
    report(Source.GONGAN, person)
    collect(cast)
    events = AuditEvent.objects.filter(object_type="death_signals")
    assert events.count() == 1
    assert events.get().details["signals"] == 1


@pytest.mark.django_db
def test_it_refuses_anyone_but_city_staff(cast):
    for who in ("clerk", "outsider", "viewer"):
        with pytest.raises(PermissionDenied):
            actions.do_collect_death_signals(acting_user=cast[who])
    assert not AuditEvent.objects.filter(object_type="death_signals").exists()
