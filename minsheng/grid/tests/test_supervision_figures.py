"""The supervision figures (`supervision/figures.py`): one statement per table, the same
numbers on SQLite and PostgreSQL (run the suite with DATABASE_URL for the latter)."""

# ruff: noqa: F811 (month_world, a fixture imported from supervision_world, is a parameter)

from datetime import timedelta

import pytest
from django.utils import timezone

from minsheng.geo.models import Area

from ..models import GridTask, TaskKind, TaskStatus
from ..supervision.figures import NOBODY, Month, Scope, done_per_day, figures, totals
from ..supervision.score import score
from .supervision_world import at, make_task, month_world  # noqa: F401

pytestmark = pytest.mark.django_db


def test_it_counts_a_worker_s_month(month_world):
    w = month_world
    rows = figures("worker", Scope(), w["month"])
    mine = rows[w["me"].pk]
    assert (mine.assigned, mine.done, mine.on_time) == (6, 3, 2)
    assert (mine.open, mine.overdue, mine.workload) == (4, 3, 7)
    assert (mine.persons, mine.reached) == (2, 2)
    assert mine.median_days == 4.0
    assert score(mine.counts) == 47.6


def test_it_credits_the_cover_and_keeps_the_unheld_apart(month_world):
    w = month_world
    rows = figures("worker", Scope(), w["month"])
    zhu = rows[w["zhu"].pk]  # covers the vacant 清泉 3
    assert (zhu.assigned, zhu.overdue, zhu.done, zhu.median_days) == (1, 1, 0, None)
    assert score(zhu.counts) == 0.0
    assert score(rows[w["li"].pk].counts) == 100.0
    assert rows[NOBODY].overdue == 1  # 巴音赛 1: vacant, nobody covers it
    assert set(rows) == {w["me"].pk, w["zhu"].pk, w["li"].pk, NOBODY}


def test_it_takes_the_median_of_an_even_count_and_totals_the_city(month_world):
    total = totals(Scope(), month_world["month"])
    # days to complete: 2, 6, 4 (清泉 1) and 1 (新南 1)
    assert total.done == 4 and total.median_days == 3.0
    assert (total.assigned, total.on_time, total.overdue, total.workload) == (9, 3, 5, 10)
    assert (total.persons, total.reached) == (5, 3)


def test_it_groups_by_street_community_and_grid_inside_an_area(month_world, areas):
    month = month_world["month"]
    streets = figures("town", Scope(), month)
    assert streets["150302001"].assigned == 8 and streets["150304001"].overdue == 1
    qingquan = Scope.of(areas["qingquan"])
    grids = figures("grid", qingquan, month)
    assert set(grids) == {areas["grids"]["qingquan1"].code, f"{areas['qingquan'].code}003"}
    assert (
        figures("community", Scope.of(Area.objects.get(code="150302001")), month)[
            areas["xinnan"].code
        ].done
        == 1
    )


def test_it_counts_one_worker_inside_an_area(month_world, areas):
    w = month_world
    rows = figures("grid", Scope.of(areas["qingquan"], worker_id=w["me"].pk), w["month"])
    assert list(rows) == [areas["grids"]["qingquan1"].code]
    assert rows[areas["grids"]["qingquan1"].code].done == 3
    assert figures("grid", Scope.of(areas["xinnan"], worker_id=w["me"].pk), w["month"]) == {}


def test_it_judges_on_time_and_the_month_by_the_local_date(residents, staffed, cast):
    """A task due on day D completed at 23:30 on D (15:30 UTC) is on time; one completed at
    07:00 on D+1 (23:00 UTC on D) is late; one completed at 00:30 on the 1st of the next
    month (16:30 UTC the day before) belongs to the next month."""
    month = Month.current().previous.previous
    due = month.first + timedelta(days=9)
    q1, me = staffed["qingquan1"], cast["grid_worker"]
    make_task(
        residents["wang"], q1, created=at(month.first), due=due, closed=at(due, 23, 30), by=me
    )
    make_task(
        residents["zhao"],
        q1,
        created=at(month.first),
        due=due,
        closed=at(due + timedelta(days=1), 7),
        by=me,
    )
    make_task(
        residents["wang"],
        q1,
        kind=TaskKind.TRAINING,
        created=at(month.first),
        due=month.next_first,
        closed=at(month.next_first, 0, 30),
        by=me,
    )
    total = totals(Scope(), month)
    assert (total.done, total.on_time) == (2, 1)
    assert totals(Scope(), Month(month.next_first)).done == 1
    days = dict(done_per_day(Scope(), month))
    assert days[due] == 1 and days[due + timedelta(days=1)] == 1
    assert sum(days.values()) == 2 and len(days) == len(month.days())


def test_it_counts_the_current_month_up_to_now(residents, staffed, cast):
    """In the current month an open task is overdue once its due date has passed today,
    not at the month's end."""
    today = timezone.localdate()
    q1 = staffed["qingquan1"]
    make_task(residents["wang"], q1, created=timezone.now() - timedelta(days=1), due=today)
    make_task(
        residents["zhao"],
        q1,
        created=timezone.now() - timedelta(days=3),
        due=today - timedelta(days=1),
    )
    total = totals(Scope(), Month.current())
    assert (total.open, total.overdue) == (2, 1)
    # a task handed to another worker is theirs, not the grid holder's
    GridTask.objects.filter(person=residents["wang"]).update(assignee=cast["clerk"])
    rows = figures("worker", Scope(), Month.current())
    assert rows[cast["clerk"].pk].open == 1 and rows[cast["grid_worker"].pk].open == 1


def test_it_costs_one_statement_whatever_the_number_of_tasks(
    month_world,
    django_assert_num_queries,
):
    month = month_world["month"]
    with django_assert_num_queries(1):
        figures("worker", Scope(), month)
    with django_assert_num_queries(1):
        done_per_day(Scope(), month)


def test_it_ignores_cancelled_tasks(residents, staffed, cast):
    month = Month.current().previous.previous
    make_task(
        residents["wang"],
        staffed["qingquan1"],
        created=at(month.first),
        due=month.first,
        closed=at(month.first + timedelta(days=1)),
        by=cast["clerk"],
        status=TaskStatus.CANCELLED,
    )
    assert figures("all", Scope(), month) == {}


def test_it_reads_the_month_from_the_query():
    now = Month.current()
    assert Month.parse(None) == now
    assert Month.parse("2026-3") == now  # malformed
    assert Month.parse("2026-13") == now
    assert Month.parse(f"{now.first.year + 1}-01") == now  # to come
    assert Month.parse("2025-02").first.isoformat() == "2025-02-01"
    assert Month.parse("2025-12").next_first.isoformat() == "2026-01-01"
    assert now.following is None and now.previous.following == now
