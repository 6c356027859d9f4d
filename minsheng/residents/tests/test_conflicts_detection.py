"""Conflict detection on hand-made facts: the archive refresh records where one person's
death-date facts disagree, or where facts are dated after the death, as `Conflict` rows
(`minsheng.residents.conflicts`), for exactly the persons it rebuilds.

The helpers here (`World`) are shared by the other conflict tests: persons of the person
index with fact rows as the import writes them, then the real archive refresh.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from minsheng.residents import archive
from minsheng.residents.models import Conflict, ConflictKind, ConflictStatus, Resident
from minsheng.residents.tests.conftest import LOADED, id_number, make_batch
from minsheng.sources.models import Person, fact_model

AS_OF = date(2026, 11, 13)
DEATH = "identity.death_date"


def clock(text: str) -> datetime:
    """A date-time as the bulk loader stores it: the file's wall-clock time, naive, read as
    UTC (`sources/bulk.py`)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class World:
    """Persons with fact rows, one batch per (source, export day)."""

    def __init__(self, crypto, areas=None):
        self.crypto = crypto
        self.areas = areas
        self.batches: dict[tuple[str, str], object] = {}
        self.rows: dict[int, int] = {}

    def batch(self, source: str, day: str = "20260401"):
        key = (source, day)
        if key not in self.batches:
            self.batches[key] = make_batch(source, day)
        return self.batches[key]

    def person(self, body17: str, name: str, born: date, grid: str = "qingquan1") -> Person:
        number = id_number(body17)
        hukou = self.batch("gongan_hukou", "20260110")
        person = Person.objects.create(
            id_hash=self.crypto.blind_index(number),
            id_enc=self.crypto.encrypt(number),
            name=name,
            sex="1",
            birth_date=born,
            first_source="gongan_hukou",
            first_batch=hukou,
            first_row=1,
            created_at=LOADED,
        )
        person.number = number
        self.fact("gongan_hukou", person, day="20260110", name=name, sex="1", birth_date=born)
        if self.areas is not None:
            self.fact(
                "grid_census",
                person,
                day="20260301",
                name=name,
                grid_code=self.areas["grids"][grid].code,
            )
        return person

    def he(self) -> Person:
        """何振江, born 1941, of 清泉社区 (the corpus's person reported dead twice)."""
        return self.person("15030219410506139", "何振江", date(1941, 5, 6))

    def fact(self, source: str, person: Person, *, day: str = "20260401", **values):
        batch = self.batch(source, day)
        self.rows[batch.pk] = row = self.rows.get(batch.pk, 1) + 1
        return fact_model(source).objects.create(
            batch=batch,
            row=row,
            loaded_at=LOADED,
            person=person,
            link_method="exact",
            id_number_enc=self.crypto.encrypt(person.number),
            id_number_hash=self.crypto.blind_index(person.number),
            **values,
        )

    def death_report(self, person, died: str, cancelled: str | None = None, **kw):
        """A row of a 公安 死亡注销 list."""
        return self.fact(
            "gongan_death",
            person,
            name=person.name,
            death_date=date.fromisoformat(died),
            cancel_date=date.fromisoformat(cancelled) if cancelled else None,
            **kw,
        )

    def certificate(self, person, time: str, **kw):
        """A row of 卫健's death certificates."""
        number = f"W150302{len(self.rows):08d}{person.pk}"
        return self.fact(
            "wj_death",
            person,
            certificate_number=number,
            name=person.name,
            death_time=clock(time),
            **kw,
        )

    def refresh(self, *persons, as_of: date = AS_OF) -> None:
        archive.refresh([p.pk for p in persons], as_of=as_of)


def conflicts(person, kind=None) -> list[Conflict]:
    found = Conflict.objects.filter(resident_id=person.pk, item=DEATH)
    if kind:
        found = found.filter(kind=kind)
    return list(found)


def death_date(person) -> date | None:
    return Resident.objects.get(pk=person.pk).identity_death_date


@pytest.fixture
def world(crypto, areas):
    return World(crypto, areas)


@pytest.fixture
def he(world):
    return world.he()


# -- values that differ ------------------------------------------------------------------


@pytest.mark.django_db
def test_it_records_a_conflict_when_two_sources_disagree(world, he):
    # given a 卫健 certificate and a 公安 report with different dates
    world.certificate(he, "2026-03-13 22:40")
    world.death_report(he, "2026-03-14", "2026-03-20")
    # when the archive is refreshed
    world.refresh(he)
    # then the archive shows 卫健's date, and one conflict lists both reports
    assert death_date(he) == date(2026, 3, 13)
    [conflict] = conflicts(he)
    assert conflict.kind == ConflictKind.VALUES_DIFFER
    assert conflict.status == ConflictStatus.OPEN
    assert conflict.shown == "2026-03-13"
    assert conflict.values == ["2026-03-13", "2026-03-14"]
    assert [f["source"] for f in conflict.facts] == ["wj_death", "gongan_death"]
    report = conflict.facts[1]
    assert report["file"] == "gongan_death_20260401.csv" and report["row"] == 2
    assert report["reported"] == "2026-03-20"


@pytest.mark.django_db
def test_it_records_a_conflict_when_one_source_reports_twice(world, he):
    # given a 公安 list that reports the death twice with different dates
    world.death_report(he, "2026-03-14", "2026-03-20")
    world.death_report(he, "2026-03-17", "2026-04-02")
    # when the archive is refreshed
    world.refresh(he)
    # then one conflict lists both rows, the one the archive shows first
    [conflict] = conflicts(he)
    assert conflict.kind == ConflictKind.VALUES_DIFFER
    assert conflict.values == ["2026-03-17", "2026-03-14"]
    assert [f["row"] for f in conflict.facts] == [3, 2]
    assert conflict.shown == "2026-03-17"


@pytest.mark.django_db
def test_it_records_no_conflict_when_the_reports_agree(world, he):
    # given three reports of the same day (the certificate late in the evening)
    world.certificate(he, "2026-03-13 23:55")
    world.death_report(he, "2026-03-13", "2026-03-20")
    world.death_report(he, "2026-03-13", "2026-03-21", police_station="新华派出所")
    # when the archive is refreshed
    world.refresh(he)
    # then there is no conflict
    assert death_date(he) == date(2026, 3, 13)
    assert conflicts(he) == []


@pytest.mark.django_db
def test_it_compares_a_hukou_cancellation_only_without_a_death_report(world, he):
    # given a 户籍 死亡注销 record, cancelled a week after the death 公安 reported
    world.fact(
        "gongan_hukou",
        he,
        day="20260501",
        name=he.name,
        hukou_status="死亡注销",
        hukou_status_code="3",
        cancel_date=date(2026, 3, 20),
    )
    world.death_report(he, "2026-03-13", "2026-03-20")
    # when the archive is refreshed
    world.refresh(he)
    # then the cancellation date is not a second death date
    assert death_date(he) == date(2026, 3, 13)
    assert conflicts(he) == []


@pytest.mark.django_db
def test_it_removes_the_conflict_once_the_facts_agree(world, he):
    # given a conflict between 卫健 and 公安
    world.certificate(he, "2026-03-13 22:40")
    wrong = world.death_report(he, "2026-03-14", "2026-03-20")
    world.refresh(he)
    assert len(conflicts(he)) == 1
    # when 公安's row is corrected and the archive refreshed again
    type(wrong).objects.filter(pk=wrong.pk).update(death_date=date(2026, 3, 13))
    world.refresh(he)
    # then the conflict is gone
    assert conflicts(he) == []


@pytest.mark.django_db
def test_it_keeps_a_conflict_and_its_resolution_while_the_facts_stay(world, he, cast):
    # given a conflict resolved by city staff
    world.certificate(he, "2026-03-13 22:40")
    world.death_report(he, "2026-03-14", "2026-03-20")
    world.refresh(he)
    [conflict] = conflicts(he)
    Conflict.objects.filter(pk=conflict.pk).update(
        status=ConflictStatus.RESOLVED,
        note="以卫健死亡医学证明为准",
        resolved_by=cast["city_staff"],
        resolved_at=timezone.now(),
    )
    # when the archive is refreshed with the same facts
    world.refresh(he)
    # then the conflict is the same row, still resolved
    [again] = conflicts(he)
    assert again.pk == conflict.pk and again.status == ConflictStatus.RESOLVED
    # and when a new report arrives, it is open again with the new facts
    world.death_report(he, "2026-03-15", "2026-03-25")
    world.refresh(he)
    [reopened] = conflicts(he)
    assert reopened.status == ConflictStatus.OPEN
    assert sorted(reopened.values) == ["2026-03-13", "2026-03-14", "2026-03-15"]


@pytest.mark.django_db
def test_it_rebuilds_only_the_persons_refreshed(world, he):
    # given two persons with conflicting reports, only one of them refreshed
    other = world.person("15030219500101101", "王五", date(1950, 1, 1))
    for p in (he, other):
        world.certificate(p, "2026-03-13 22:40")
        world.death_report(p, "2026-03-14", "2026-03-20")
    world.refresh(he)
    # then only that one has a conflict; a full rebuild finds both
    assert len(conflicts(he)) == 1 and conflicts(other) == []
    archive.refresh_batches([(b.pk, b.source) for b in world.batches.values()], as_of=AS_OF)
    assert len(conflicts(he)) == 1 and len(conflicts(other)) == 1


# -- refused dates -----------------------------------------------------------------------


@pytest.mark.django_db
def test_it_marks_nobody_dead_from_a_refused_date(world, he):
    # given a 户籍 死亡注销 record whose 注销日期 the import refused (stored empty), and, from
    # before the import refused such dates, a 公安 report dated in the future and one dated
    # before the person's birth
    world.fact(
        "gongan_hukou",
        he,
        day="20260501",
        name=he.name,
        hukou_status="死亡注销",
        hukou_status_code="3",
        cancel_date=None,
    )
    world.death_report(he, "2052-03-14", "2062-03-20")
    world.death_report(he, "1925-06-03", "2026-03-20", birth_date=date(1941, 5, 6))
    # when the archive is refreshed
    world.refresh(he)
    # then he is not dead in the archive, and no refused date makes a conflict
    resident = Resident.objects.get(pk=he.pk)
    assert resident.identity_death_date is None
    assert resident.identity_survival_status == "1"
    assert conflicts(he) == []


# -- activity after death ----------------------------------------------------------------


@pytest.mark.django_db
def test_it_records_a_handling_log_entry_after_the_death(world, he):
    # given a death and, a month later, a certification handled at the window for him
    world.certificate(he, "2026-03-13 22:40")
    world.fact(
        "rs_handling_log",
        he,
        serial="HL2026041500001",
        matter="养老待遇资格认证",
        accepted_at=clock("2026-04-15 09:30"),
        handled_at=clock("2026-04-15 09:50"),
        result="办结",
    )
    # and a survivor's claim, which belongs after a death
    world.fact(
        "rs_handling_log",
        he,
        serial="HL2026041500002",
        matter="丧葬补助金申领",
        accepted_at=clock("2026-04-15 10:00"),
    )
    # when the archive is refreshed
    world.refresh(he)
    # then one activity conflict lists the death and the certification, not the claim
    [conflict] = conflicts(he, ConflictKind.ACTIVITY_AFTER_DEATH)
    assert conflict.shown == "2026-03-13"
    roles = [(f["role"], f["source"], f["value"], f["what"]) for f in conflict.facts]
    assert roles == [
        ("value", "wj_death", "2026-03-13", None),
        ("activity", "rs_handling_log", "2026-04-15", "养老待遇资格认证"),
    ]
    assert conflicts(he, ConflictKind.VALUES_DIFFER) == []


@pytest.mark.django_db
def test_it_records_a_pension_paid_for_a_month_after_the_death_month(world, he):
    # given a death on 13 March, a pension paid up to March and a card issued in April
    world.death_report(he, "2026-03-13", "2026-03-20")
    world.fact("rs_pension", he, name=he.name, last_paid_month=date(2026, 3, 1))
    world.refresh(he)
    # then March's pension is due, no conflict
    assert conflicts(he) == []
    # when the pension export says it was paid for June, and a card was issued in April
    world.fact("rs_pension", he, day="20260701", name=he.name, last_paid_month=date(2026, 6, 1))
    world.fact("sbk_card", he, name=he.name, issue_date=date(2026, 4, 2))
    world.refresh(he)
    # then both are activity after death, the latest first
    [conflict] = conflicts(he, ConflictKind.ACTIVITY_AFTER_DEATH)
    activity = [(f["what"], f["value"]) for f in conflict.facts if f["role"] == "activity"]
    assert activity == [("pension_paid", "2026-06-01"), ("card_issued", "2026-04-02")]


@pytest.mark.django_db
def test_it_records_no_activity_before_the_death(world, he):
    # given a card issued and a log entry before the death
    world.certificate(he, "2026-03-13 08:00")
    world.fact("sbk_card", he, name=he.name, issue_date=date(2026, 3, 13))
    world.fact(
        "rs_handling_log",
        he,
        serial="HL2026031300001",
        matter="个人权益记录查询打印",
        accepted_at=clock("2026-03-13 07:30"),
    )
    # when the archive is refreshed
    world.refresh(he)
    # then there is no conflict
    assert conflicts(he) == []
