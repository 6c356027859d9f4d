"""The archive's death date when the facts disagree: the item's authority order decides
between sources (卫健 > 公安死亡注销 > 公安户籍), and within one source the most recent report
wins — for 公安's list the row with the latest 注销日期, then the later batch and row —
whatever order the rows were loaded in. The disagreement stays visible as a conflict."""

from __future__ import annotations

from datetime import date

import pytest

from minsheng.residents.models import ConflictKind, Provenance
from minsheng.residents.tests.test_conflicts_detection import World, conflicts, death_date


@pytest.fixture
def world(crypto, areas):
    return World(crypto, areas)


@pytest.fixture
def he(world):
    return world.he()


@pytest.mark.django_db
def test_it_takes_the_report_with_the_latest_cancel_date_within_one_source(world, he):
    # given a 公安 list with two reports: 3-14 cancelled 3-20, and 3-17 cancelled 4-02
    world.death_report(he, "2026-03-14", "2026-03-20")
    world.death_report(he, "2026-03-17", "2026-04-02")
    # when the archive is refreshed
    world.refresh(he)
    # then it shows 3-17, from 公安, with a conflict naming both
    assert death_date(he) == date(2026, 3, 17)
    assert Provenance.objects.get(pk=he.pk).identity_death_date_src == "gongan_death"
    [conflict] = conflicts(he)
    assert set(conflict.values) == {"2026-03-14", "2026-03-17"}


@pytest.mark.django_db
def test_it_decides_by_the_cancel_date_not_by_the_later_death_date(world, he):
    # given a correction that moves the death earlier: 3-17 cancelled 3-20, then 3-14
    # cancelled 4-02 (listed first in the file)
    world.death_report(he, "2026-03-14", "2026-04-02")
    world.death_report(he, "2026-03-17", "2026-03-20")
    # when the archive is refreshed
    world.refresh(he)
    # then the correction wins
    assert death_date(he) == date(2026, 3, 14)


@pytest.mark.django_db
def test_it_decides_equal_cancel_dates_by_the_later_batch_then_row(world, he):
    # given two reports cancelled the same day in one file, and one without a 注销日期 in a
    # later file
    world.death_report(he, "2026-03-14", "2026-03-20")
    world.death_report(he, "2026-03-15", "2026-03-20")
    world.fact("gongan_death", he, day="20260501", name=he.name, death_date=date(2026, 3, 16))
    # when the archive is refreshed
    world.refresh(he)
    # then the later row of the dated reports wins (a report without 注销日期 comes last)
    assert death_date(he) == date(2026, 3, 15)
    [conflict] = conflicts(he)
    assert conflict.values == ["2026-03-15", "2026-03-14", "2026-03-16"]


@pytest.mark.django_db
def test_it_prefers_the_health_certificate_and_lists_all_three_reports(world, he):
    # given the two 公安 reports and 卫健's certificate of 2026-03-13 22:40
    world.death_report(he, "2026-03-14", "2026-03-20")
    world.death_report(he, "2026-03-17", "2026-04-02")
    world.certificate(he, "2026-03-13 22:40")
    # when the archive is refreshed
    world.refresh(he)
    # then it shows 卫健's date, and the conflict lists all three in authority order
    assert death_date(he) == date(2026, 3, 13)
    assert Provenance.objects.get(pk=he.pk).identity_death_date_src == "wj_death"
    [conflict] = conflicts(he)
    assert conflict.kind == ConflictKind.VALUES_DIFFER
    assert conflict.shown == "2026-03-13"
    assert conflict.values == ["2026-03-13", "2026-03-17", "2026-03-14"]
