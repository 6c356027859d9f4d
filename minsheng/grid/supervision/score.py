"""The monthly score of a grid worker (and of an area), from the month's figures.

Plain Python, no Django: the page shows the formula from the same constants, and it is
tested on its own. The counts are those of `figures.py` for one month:

- `done`: tasks completed in the month; `on_time` of them, completed on or before the due
  date;
- `workload` (应办): the tasks on the worker's desk that month, i.e. those completed in the
  month plus those still open at its end (now, for the current month);
- `overdue`: of the open ones, those past their due date;
- `persons` / `reached`: the distinct residents of the workload, and those of them with a
  task completed in the month.

    score = 40 × timely share + 30 × completion share + 20 × (1 − overdue share)
            + 10 × reach share

with timely share = on_time / (done + overdue) (0 when both are 0), completion share =
done / workload, overdue share = overdue / workload and reach share = reached / persons.
Each share lies in [0, 1], so the score lies in [0, 100]; a month without any workload has
no score (None), rather than a perfect or a zero one.

The timely share counts the overdue tasks with the done ones on purpose: the pages' plain
on-time share (on_time / done) would fall when a worker finally completes an overdue task,
so a score built on it would reward leaving late work undone. Here completing an overdue
task, even late, never lowers the score, and completing a task on time never does either.
Tasks assigned but not yet due weigh only through the completion share, and no term
rewards the month's inflow of new tasks (which the worker does not choose).
"""

from __future__ import annotations

from dataclasses import dataclass

# the weights of the four shares, in the order the page shows them; they sum to 100
WEIGHTS = {"timely": 40, "completion": 30, "not_overdue": 20, "reach": 10}


@dataclass(frozen=True)
class Counts:
    done: int = 0
    on_time: int = 0
    workload: int = 0
    overdue: int = 0
    persons: int = 0
    reached: int = 0


def _share(part: int, whole: int) -> float:
    if whole <= 0:
        return 0.0
    return min(1.0, max(0.0, part / whole))


def shares(c: Counts) -> dict[str, float]:
    """The four shares the score weighs, each in [0, 1]."""
    return {
        "timely": _share(c.on_time, c.done + c.overdue),
        "completion": _share(c.done, c.workload),
        "not_overdue": 1.0 - _share(c.overdue, c.workload),
        "reach": _share(c.reached, c.persons),
    }


def points(c: Counts) -> dict[str, float] | None:
    """What each share adds to the score (weight × share), None without any workload."""
    if c.workload <= 0:
        return None
    return {name: WEIGHTS[name] * share for name, share in shares(c).items()}


def score(c: Counts) -> float | None:
    """The month's score in [0, 100], to one decimal; None when there was no workload."""
    parts = points(c)
    if parts is None:
        return None
    return round(sum(parts.values()), 1)
