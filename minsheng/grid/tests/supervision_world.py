"""A month of grid work for the supervision tests: tasks with chosen creation, due and
completion times (the actions stamp `now`; these rows are set up as they would stand after
weeks of work), in the grids of the `staffed` and `residents` fixtures.

The month is two months before the current one (so it is over). In it:

- 清泉 1 (the cast's grid worker): done on time after 2 days (王芳), done late after 6 days
  (赵强), done on time after 4 days (赵强, another kind); open and overdue (王芳, made in
  the month; and one made the month before); open, due after the month (赵强); cancelled
  (王芳, never counted); made in the month, due in it and completed only the month after
  (overdue at the month's end, credited to who completed it).
- 清泉 3 (vacant, covered by 清泉 2's worker 朱晨): open and overdue (孙丽).
- 新南 1 (李娜): done on time after 1 day (钱进).
- 巴音赛 1 (vacant, nobody covers it): open and overdue (周敏).
- Before and after the month: a task done the month before (not counted).

For 清泉 1's worker that makes assigned 6, done 3 (2 on time, days 2, 6, 4: median 4),
open at the month's end 4 (overdue 3), workload 7, residents 2, reached 2: score
40·2/6 + 30·3/7 + 20·4/7 + 10·1 = 47.6.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from minsheng.geo.models import Area

from ..models import GridPost, GridTask, Origin, TaskKind, TaskStatus
from ..supervision.figures import Month


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A local time on `day`."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def make_task(
    person,
    grid: Area,
    *,
    created: datetime,
    due: date,
    kind: str = TaskKind.INSURANCE,
    closed: datetime | None = None,
    by=None,
    status: str | None = None,
    assignee=None,
) -> GridTask:
    if status is None:
        status = TaskStatus.DONE if closed is not None else TaskStatus.OPEN
    return GridTask.objects.create(
        kind=kind,
        status=status,
        due_date=due,
        person=person,
        district_code=grid.district_code,
        town_code=grid.town_code,
        community_code=grid.community_code,
        grid_code=grid.code,
        assignee=assignee,
        origin=Origin.HAND,
        created_at=created,
        closed_at=closed,
        closed_by=by,
    )


def month_under_test() -> Month:
    return Month.current().previous.previous


@pytest.fixture
def month_world(residents, staffed, cast):
    month = month_under_test()
    d = lambda n: month.first + timedelta(days=n)  # noqa: E731
    g = staffed
    me = cast["grid_worker"]
    zhu = GridPost.objects.get(grid=g["qingquan2"]).worker
    li = GridPost.objects.get(grid=g["xinnan1"]).worker
    wang, zhao = residents["wang"], residents["zhao"]
    q1 = g["qingquan1"]
    # 清泉 1
    make_task(wang, q1, created=at(d(0)), due=d(5), closed=at(d(2)), by=me)
    make_task(zhao, q1, created=at(d(0)), due=d(3), closed=at(d(6)), by=me)
    make_task(zhao, q1, kind=TaskKind.TRAINING, created=at(d(1)), due=d(10), closed=at(d(5)), by=me)
    make_task(wang, q1, kind=TaskKind.VERIFY, created=at(d(1)), due=d(4))
    make_task(wang, q1, kind=TaskKind.JOB_SEEKER, created=at(d(-3)), due=d(-1))
    make_task(
        zhao, q1, kind=TaskKind.VERIFY, created=at(d(20)), due=month.next_first + timedelta(5)
    )
    make_task(
        wang,
        q1,
        kind=TaskKind.HOME_SERVICE,
        created=at(d(2)),
        due=d(9),
        closed=at(d(3)),
        by=me,
        status=TaskStatus.CANCELLED,
    )
    make_task(
        wang,
        q1,
        kind=TaskKind.CERTIFICATION,
        created=at(d(3)),
        due=d(12),
        closed=at(month.next_first + timedelta(2)),
        by=me,
    )
    # the month before: done then, not counted
    make_task(
        wang, q1, kind=TaskKind.TRAINING, created=at(d(-10)), due=d(-2), closed=at(d(-5)), by=me
    )
    # 清泉 3, vacant, covered by 朱晨
    make_task(residents["sun"], g["qingquan3"], created=at(d(4)), due=d(8))
    # 新南 1
    make_task(residents["qian"], g["xinnan1"], created=at(d(7)), due=d(14), closed=at(d(8)), by=li)
    # 巴音赛 1: nobody holds it
    make_task(residents["zhou"], g["bayinsai1"], created=at(d(2)), due=d(9))
    return {"month": month, "me": me, "zhu": zhu, "li": li, "d": d}
