"""The supervision centre's figures: one month of grid tasks, counted per area or worker.

Everything is counted by the database, one statement per table (GROUP BY over
`grid_gridtask` joined to the grid's post), never by a loop over tasks. No statement reads
a resident's name, ID or address: the only column of the person is its key, counted.

For a month (its first day `start` to the first day of the next, `end`, in local time) and
its end `as_of` (`end`, or now for the current month), a task that is not cancelled counts
as:

- assigned (派发): created in the month;
- done (完成): completed in the month; on time (按时) if its local completion date is on or
  before its due date; its time to complete is `closed_at − created_at` in days;
- open at the month's end (`as_of`): created before it and not completed by then; overdue
  (逾期) if its due date is before `as_of`'s date;
- workload (应办): done in the month or open at its end (see score.py).

A task is credited to the worker who completed it; an open one to the worker it was handed
to, else to whoever holds its grid now (its worker or, vacant, its cover); nobody (key 0)
when the grid is vacant and uncovered.

The median time to complete is computed per group with window functions
(ROW_NUMBER and COUNT over the group, the mean of the one or two middle rows), which SQLite
and PostgreSQL both run; neither's percentile aggregate is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.utils import timezone

from ..models import GridPost, GridTask, TaskStatus
from .score import Counts

# how the rows of a table are grouped: the task's area code of a level, its worker, or one
# row for everything (a page's totals)
GROUPS = ("district", "town", "community", "grid", "worker", "all")
NOBODY = 0  # the worker key of tasks nobody holds


@dataclass(frozen=True)
class Month:
    """One calendar month, as the pages choose it (`?month=2026-03`)."""

    first: date

    @classmethod
    def current(cls) -> Month:
        return cls(timezone.localdate().replace(day=1))

    @classmethod
    def parse(cls, raw: str | None) -> Month:
        """The month named `YYYY-MM`; the current month when absent, malformed or to come."""
        now = cls.current()
        raw = (raw or "").strip()
        if len(raw) == 7 and raw[4] == "-" and raw[:4].isdigit() and raw[5:].isdigit():
            year, month = int(raw[:4]), int(raw[5:])
            if 2000 <= year <= 9999 and 1 <= month <= 12:
                chosen = cls(date(year, month, 1))
                return chosen if chosen.first <= now.first else now
        return now

    @property
    def next_first(self) -> date:
        return (self.first + timedelta(days=32)).replace(day=1)

    @property
    def previous(self) -> Month:
        return Month((self.first - timedelta(days=1)).replace(day=1))

    @property
    def following(self) -> Month | None:
        """The next month, None when this one is the current month."""
        nxt = Month(self.next_first)
        return nxt if nxt.first <= Month.current().first else None

    @property
    def is_current(self) -> bool:
        return self.first == Month.current().first

    @property
    def key(self) -> str:
        return f"{self.first:%Y-%m}"

    def days(self) -> list[date]:
        """The month's days up to today."""
        last = min(self.next_first - timedelta(days=1), timezone.localdate())
        return [self.first + timedelta(days=n) for n in range((last - self.first).days + 1)]

    def window(self) -> tuple[datetime, datetime, datetime, date]:
        """(start, end, as_of, the date before which an open task is overdue)."""
        tz = timezone.get_current_timezone()
        start = timezone.make_aware(datetime.combine(self.first, time.min), tz)
        end = timezone.make_aware(datetime.combine(self.next_first, time.min), tz)
        now = timezone.now()
        if now < end:
            return start, end, now, timezone.localdate(now)
        return start, end, end, self.next_first


@dataclass
class Figures:
    """One row of a table: a group's counts for the month and its median days."""

    key: str | int
    assigned: int = 0
    done: int = 0
    on_time: int = 0
    overdue: int = 0
    open: int = 0
    workload: int = 0
    persons: int = 0
    reached: int = 0
    median_days: float | None = None

    @property
    def counts(self) -> Counts:
        return Counts(
            done=self.done,
            on_time=self.on_time,
            workload=self.workload,
            overdue=self.overdue,
            persons=self.persons,
            reached=self.reached,
        )

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.done if self.done else None


@dataclass(frozen=True)
class Scope:
    """Which tasks a table counts: those of an area (None: the whole city), optionally only
    those credited to one worker."""

    area_level: str | None = None
    area_code: str = ""
    worker_id: int | None = None

    @classmethod
    def of(cls, area, worker_id: int | None = None) -> Scope:
        if area is None or area.level == "city":
            return cls(worker_id=worker_id)
        return cls(area.level, area.code, worker_id)


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _dt(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def worker_sql() -> str:
    """The worker a task is credited to (see the module's docstring), over `t` and `p`."""
    return (
        f"COALESCE(CASE WHEN t.status = '{TaskStatus.DONE}' THEN t.closed_by_id END, "
        f"t.assignee_id, p.worker_id, p.cover_id, {NOBODY})"
    )


def _days_sql(end: str, start: str) -> str:
    if _pg():
        return f"EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0"
    return f"(julianday({end}) - julianday({start}))"


def local_date_sql(column: str, month: Month) -> tuple[str, list]:
    """SQL of the local date of a UTC timestamp column. PostgreSQL converts through the
    time zone itself; on SQLite the zone's offset at the month's start is added (SQLite has
    no time zones, and Django's per-row Python function for them cost a second per 50,000
    tasks). Exact for the city's zone, Asia/Shanghai, which keeps one offset all year; in a
    zone with summer time a completion within an hour of midnight on a switch day could
    fall on the neighbouring date."""
    if _pg():
        return f"CAST(({column} AT TIME ZONE %s) AS date)", [timezone.get_current_timezone_name()]
    start = timezone.make_aware(datetime.combine(month.first, time.min))
    minutes = int(start.utcoffset().total_seconds() // 60)
    return f"date({column}, '{minutes:+d} minutes')", []


def _key_sql(group: str) -> str:
    if group == "worker":
        return worker_sql()
    if group == "all":
        return "'all'"
    return f"t.{group}_code"


def figures(group: str, scope: Scope, month: Month) -> dict[str | int, Figures]:
    """The month's figures of the tasks in `scope`, grouped by `group`: {key: Figures}, for
    the groups that have any task of the month (one statement)."""
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}")
    start, end, as_of, overdue_before = month.window()
    tasks, posts = GridTask._meta.db_table, GridPost._meta.db_table
    local_day, day_params = local_date_sql("t.closed_at", month)
    where, where_params = [f"t.status <> '{TaskStatus.CANCELLED}'"], []
    if scope.area_level is not None:
        where.append(f"t.{scope.area_level}_code = %s")
        where_params.append(scope.area_code)
    if scope.worker_id is not None:
        where.append(f"{worker_sql()} = %s")
        where_params.append(scope.worker_id)
    # the tasks that touch the month: created before its end, not completed before it
    where.append(f"t.created_at < %s AND (t.status = '{TaskStatus.OPEN}' OR t.closed_at >= %s)")
    where_params += [_dt(as_of), _dt(start)]
    done = f"t.status = '{TaskStatus.DONE}' AND t.closed_at >= %s AND t.closed_at < %s"
    done_params = [_dt(start), _dt(end)]
    still_open = f"(t.status = '{TaskStatus.OPEN}' OR t.closed_at >= %s)"
    sql = f"""
WITH m AS (
  SELECT {_key_sql(group)} AS k, t.person_id, t.due_date, t.created_at, t.closed_at,
    CASE WHEN t.created_at >= %s THEN 1 ELSE 0 END AS is_assigned,
    CASE WHEN {done} THEN 1 ELSE 0 END AS is_done,
    CASE WHEN {done} AND {local_day} <= t.due_date THEN 1 ELSE 0 END AS is_on_time,
    CASE WHEN {still_open} THEN 1 ELSE 0 END AS is_open,
    CASE WHEN {still_open} AND t.due_date < %s THEN 1 ELSE 0 END AS is_overdue
  FROM {tasks} t
  LEFT JOIN geo_area a ON a.code = t.grid_code
  LEFT JOIN {posts} p ON p.grid_id = a.id
  WHERE {" AND ".join(where)}
),
d AS (
  SELECT k, {_days_sql("closed_at", "created_at")} AS days FROM m WHERE is_done = 1
),
r AS (
  SELECT k, days, ROW_NUMBER() OVER (PARTITION BY k ORDER BY days) AS rn,
    COUNT(*) OVER (PARTITION BY k) AS n
  FROM d
),
med AS (
  SELECT k, AVG(days) AS median_days FROM r
  WHERE rn = (n + 1) / 2 OR rn = (n + 2) / 2 GROUP BY k
),
g AS (
  SELECT k, SUM(is_assigned) AS assigned, SUM(is_done) AS done, SUM(is_on_time) AS on_time,
    SUM(is_overdue) AS overdue, SUM(is_open) AS still_open,
    SUM(CASE WHEN is_done = 1 OR is_open = 1 THEN 1 ELSE 0 END) AS workload,
    COUNT(DISTINCT CASE WHEN is_done = 1 OR is_open = 1 THEN person_id END) AS persons,
    COUNT(DISTINCT CASE WHEN is_done = 1 THEN person_id END) AS reached
  FROM m GROUP BY k
)
SELECT g.k, g.assigned, g.done, g.on_time, g.overdue, g.still_open, g.workload, g.persons,
  g.reached, med.median_days
FROM g LEFT JOIN med ON med.k = g.k
"""
    params = [
        _dt(start),
        *done_params,
        *done_params,
        *day_params,
        _dt(as_of),
        _dt(as_of),
        connection.ops.adapt_datefield_value(overdue_before),
        *where_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out = {}
    for k, assigned, n_done, on_time, overdue, n_open, workload, persons, reached, med in rows:
        key = int(k) if group == "worker" else k
        out[key] = Figures(
            key=key,
            assigned=int(assigned or 0),
            done=int(n_done or 0),
            on_time=int(on_time or 0),
            overdue=int(overdue or 0),
            open=int(n_open or 0),
            workload=int(workload or 0),
            persons=int(persons or 0),
            reached=int(reached or 0),
            median_days=None if med is None else round(float(med), 1),
        )
    return out


def totals(scope: Scope, month: Month) -> Figures:
    """One row for everything in `scope`."""
    return figures("all", scope, month).get("all") or Figures(key="all")


def done_per_day(scope: Scope, month: Month) -> list[tuple[date, int]]:
    """Tasks completed on each day of the month (up to today), zeros included: one
    GROUP BY of the local completion date."""
    start, end, _as_of, _ = month.window()
    day, day_params = local_date_sql("t.closed_at", month)
    where = [f"t.status = '{TaskStatus.DONE}'", "t.closed_at >= %s", "t.closed_at < %s"]
    params = [*day_params, _dt(start), _dt(end)]
    if scope.area_level is not None:
        where.append(f"t.{scope.area_level}_code = %s")
        params.append(scope.area_code)
    if scope.worker_id is not None:
        where.append("t.closed_by_id = %s")
        params.append(scope.worker_id)
    sql = (
        f"SELECT {day} AS day, COUNT(*) FROM {GridTask._meta.db_table} t "
        f"WHERE {' AND '.join(where)} GROUP BY 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        counts = {_as_date(day): n for day, n in cursor.fetchall()}
    return [(day, counts.get(day, 0)) for day in month.days()]


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
