"""The monthly score (`supervision/score.py`): plain Python, no Django, no database."""

from hypothesis import given
from hypothesis import strategies as st

from ..supervision.score import WEIGHTS, Counts, points, score, shares


def test_it_weighs_four_shares_that_make_a_hundred():
    assert sum(WEIGHTS.values()) == 100
    assert list(WEIGHTS) == ["timely", "completion", "not_overdue", "reach"]


def test_it_gives_a_perfect_month_a_hundred():
    c = Counts(done=5, on_time=5, workload=5, overdue=0, persons=4, reached=4)
    assert score(c) == 100.0


def test_it_computes_the_example_on_the_page():
    # done 3 (2 on time), workload 7 of which 3 overdue, 2 residents both reached
    c = Counts(done=3, on_time=2, workload=7, overdue=3, persons=2, reached=2)
    assert shares(c) == {
        "timely": 2 / 6,
        "completion": 3 / 7,
        "not_overdue": 1 - 3 / 7,
        "reach": 1.0,
    }
    assert score(c) == round(40 * 2 / 6 + 30 * 3 / 7 + 20 * 4 / 7 + 10, 1) == 47.6


def test_it_gives_no_score_without_workload():
    assert score(Counts()) is None
    assert points(Counts(done=0, workload=0)) is None


def test_it_gives_nothing_done_and_all_overdue_zero():
    assert score(Counts(workload=4, overdue=4, persons=3)) == 0.0


def test_it_gives_work_not_yet_due_only_the_not_overdue_part():
    # assigned this month, nothing due yet, nothing done: only 1 − overdue share counts
    assert score(Counts(workload=10, persons=10)) == 20.0


counts = st.builds(
    lambda done, on_time, open_, overdue, persons, reached: Counts(
        done=done,
        on_time=min(on_time, done),
        workload=done + open_,
        overdue=min(overdue, open_),
        persons=max(persons, 1 if done + open_ else 0),
        reached=min(reached, persons, done),
    ),
    st.integers(0, 500),
    st.integers(0, 500),
    st.integers(0, 500),
    st.integers(0, 500),
    st.integers(0, 500),
    st.integers(0, 500),
)


@given(counts)
def test_it_stays_between_0_and_100(c):
    value = score(c)
    assert value is None if c.workload == 0 else 0 <= value <= 100


@given(counts)
def test_it_never_falls_when_a_late_task_is_done_on_time_instead(c):
    late = c.done - c.on_time
    if c.workload == 0 or late == 0:
        return
    better = Counts(
        done=c.done,
        on_time=c.on_time + 1,
        workload=c.workload,
        overdue=c.overdue,
        persons=c.persons,
        reached=c.reached,
    )
    assert score(better) >= score(c)


@given(counts)
def test_it_never_falls_when_an_overdue_task_is_done_late(c):
    if c.overdue == 0:
        return
    better = Counts(
        done=c.done + 1,
        on_time=c.on_time,
        workload=c.workload,
        overdue=c.overdue - 1,
        persons=c.persons,
        reached=c.reached,
    )
    assert score(better) >= score(c)


@given(counts)
def test_it_never_falls_when_a_task_not_yet_due_is_done_on_time(c):
    not_due = c.workload - c.done - c.overdue
    if not_due == 0:
        return
    better = Counts(
        done=c.done + 1,
        on_time=c.on_time + 1,
        workload=c.workload,
        overdue=c.overdue,
        persons=c.persons,
        reached=c.reached,
    )
    assert score(better) >= score(c)
