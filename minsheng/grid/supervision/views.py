"""The supervision centre (网格督导): one month of grid work per street, community, grid and
worker, with drill-down, charts and the monthly score. Counts only (figures.py); who may
read which area: access.py."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from minsheng.accounts.models import User
from minsheng.accounts.roles import Role
from minsheng.audit.actions import record_event
from minsheng.audit.models import EventType
from minsheng.geo.models import Area, Level
from minsheng.lib.spreadsheet import safe_row

from ..models import GridPost
from . import score as scoring
from .access import get_area_for_user, get_worker_for_user, may_open_worker
from .figures import NOBODY, Figures, Month, Scope, done_per_day, figures, totals

PAGE_SIZE = 50
# the rows of an area's table: its streets (the city's too: 20 of them, each with its
# district), its communities, its grids, and a grid's workers
CHILD_GROUP = {
    Level.CITY: Level.TOWN,
    Level.DISTRICT: Level.TOWN,
    Level.TOWN: Level.COMMUNITY,
    Level.COMMUNITY: Level.GRID,
    Level.GRID: "worker",
}


@dataclass
class Line:
    """One row of a table: what it is (a name, a note under it, its drill-down link) and
    its month's figures with their score."""

    label: str
    note: str
    url: str | None
    f: Figures
    code: str = ""

    @property
    def score(self) -> float | None:
        return scoring.score(self.f.counts)

    @property
    def on_time_pct(self) -> str:
        share = self.f.on_time_share
        return "—" if share is None else f"{share * 100:.0f}%"

    @property
    def median(self) -> str:
        return "—" if self.f.median_days is None else f"{self.f.median_days:.1f}"

    @property
    def score_text(self) -> str:
        value = self.score
        return "—" if value is None else f"{value:.1f}"


def _month_query(month: Month) -> str:
    """The query string that keeps the chosen month in a link ('' for the current one, so
    the default pages link to plain URLs)."""
    return "" if month.is_current else "?" + urlencode({"month": month.key})


def _link(name: str, month: Month, **kwargs) -> str:
    return reverse(f"grid:{name}", kwargs=kwargs) + _month_query(month)


def _ancestors(request, area: Area) -> list[Area]:
    return [a for a in area.ancestors() if request.user.area.contains(a)]


def _worker_lines(request, keys, month: Month, rows: dict, extra: Q) -> list[Line]:
    """A line per worker: those with figures (`keys`) and those `extra` names (the
    workers of the area's grids, even idle), in one query."""
    users = (
        User.objects.filter(Q(pk__in=[k for k in keys if k != NOBODY]) | extra)
        .select_related("area")
        .order_by("username")
    )
    lines = [
        Line(
            label=u.display_name or u.username,
            note=u.area.name if u.area else "",
            url=(
                _link("supervision_worker", month, username=u.username)
                if may_open_worker(request.user, u.area)
                else None
            ),
            f=rows.get(u.pk) or Figures(key=u.pk),
            code=u.username,
        )
        for u in users
    ]
    if NOBODY in rows:
        lines.append(
            Line(label=_("Nobody (vacant grid without a cover)"), note="", url=None, f=rows[NOBODY])
        )
    return lines


def _grid_holders(area: Area) -> Q:
    """The active grid workers of the grids inside `area`, and the covers of its vacant
    grids (a subquery: no join that could repeat a worker)."""
    workers = Q(role=Role.GRID_WORKER, is_active=True)
    if area.level == Level.CITY:
        return workers
    covers = GridPost.objects.filter(
        cover__isnull=False, **{f"grid__{area.level}_code": area.code}
    ).values("cover_id")
    return workers & (Q(**{f"area__{area.level}_code": area.code}) | Q(pk__in=covers))


def _child_lines(request, area: Area, month: Month) -> list[Line]:
    """The table of an area: a line per child area (or, for a grid, per worker)."""
    group = CHILD_GROUP[area.level]
    scope = Scope.of(area)
    rows = figures(group, scope, month)
    if group == "worker":
        return _worker_lines(request, rows.keys(), month, rows, _grid_holders(area))
    children = Area.objects.filter(level=group).select_related("parent").order_by("code")
    if area.level != Level.CITY:
        children = children.filter(**{f"{area.level}_code": area.code})
    return [
        Line(
            label=c.name,
            note=c.parent.name if area.level == Level.CITY and c.parent else c.code,
            url=_link("supervision_area", month, code=c.code),
            f=rows.get(c.code) or Figures(key=c.code),
            code=c.code,
        )
        for c in children
    ]


def _chart(lines: list[Line], days) -> dict:
    return {
        "labels": {
            "done": _("Done"),
            "overdue": _("Overdue"),
            "score": _("Score"),
            "per_day": _("Tasks done per day"),
            "by_area": _("Done and overdue"),
        },
        "bars": {
            "names": [line.label for line in lines],
            "done": [line.f.done for line in lines],
            "overdue": [line.f.overdue for line in lines],
            "score": [line.score for line in lines],
        },
        "days": {"names": [f"{d.month}/{d.day}" for d, _n in days], "done": [n for _d, n in days]},
    }


def _formula() -> dict:
    return {"weights": scoring.WEIGHTS}


def _months(month: Month) -> dict:
    previous, following = month.previous, month.following
    return {
        "month": month,
        "previous_query": "?" + urlencode({"month": previous.key}),
        "following_query": (
            None if following is None else "" if following.is_current else "?month=" + following.key
        ),
        "max_month": Month.current().key,
    }


def _area_page(request, area: Area):
    month = Month.parse(request.GET.get("month"))
    scope = Scope.of(area)
    lines = _child_lines(request, area, month)
    total = totals(scope, month)
    days = done_per_day(scope, month)
    context = {
        "area": area,
        "ancestors": _ancestors(request, area),
        "lines": lines,
        "total": Line(label=_("Total"), note="", url=None, f=total),
        "by_worker": CHILD_GROUP[area.level] == "worker",
        "chart": _chart(lines, days),
        "formula": _formula(),
        "month_query": _month_query(month),
        **_months(month),
    }
    return render(request, "grid/supervision/area.html", context)


@login_required
def index(request):
    """The user's own area."""
    return _area_page(request, get_area_for_user(request, None))


@login_required
def area(request, code: str):
    return _area_page(request, get_area_for_user(request, code))


@login_required
def workers(request, code: str):
    """The workers of an area ranked by their month's score."""
    area = get_area_for_user(request, code)
    month = Month.parse(request.GET.get("month"))
    rows = figures("worker", Scope.of(area), month)
    lines = _worker_lines(request, rows.keys(), month, rows, _grid_holders(area))
    # the best first, the unscored after them, the work nobody holds last
    lines.sort(key=lambda line: (not line.code, line.score is None, -(line.score or 0), line.code))
    page = Paginator(lines, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "area": area,
        "ancestors": _ancestors(request, area),
        "page": page,
        "rank_offset": page.start_index() - 1 if lines else 0,
        "query": "" if month.is_current else urlencode({"month": month.key}),
        "month_query": _month_query(month),
        "formula": _formula(),
        **_months(month),
    }
    return render(request, "grid/supervision/workers.html", context)


@login_required
def worker(request, username: str):
    """One worker's month: per grid they worked, the score and its parts, done per day.
    Only the tasks inside the reader's area count."""
    person = get_worker_for_user(request, username)
    month = Month.parse(request.GET.get("month"))
    scope = Scope.of(request.user.area, worker_id=person.pk)
    rows = figures("grid", scope, month)
    grids = {a.code: a for a in Area.objects.filter(code__in=list(rows))}
    lines = [
        Line(
            label=grids[code].name if code in grids else code,
            note=code,
            url=_link("supervision_area", month, code=code),
            f=f,
            code=code,
        )
        for code, f in sorted(rows.items())
    ]
    total = Line(label=_("Total"), note="", url=None, f=totals(scope, month))
    days = done_per_day(scope, month)
    parts = scoring.points(total.f.counts)
    shares = scoring.shares(total.f.counts)
    record_event(
        EventType.VIEW,
        actor=request.user,
        request=request,
        object_type="grid_worker_figures",
        object_id=person.username,
        details={"month": month.key},
    )
    context = {
        "worker": person,
        "area": person.area,
        "ancestors": [
            a for a in [*person.area.ancestors(), person.area] if request.user.area.contains(a)
        ],
        "lines": lines,
        "total": total,
        "parts": [
            {
                "name": name,
                "weight": scoring.WEIGHTS[name],
                "share": f"{shares[name] * 100:.0f}%",
                "points": f"{parts[name]:.1f}" if parts else "—",
            }
            for name in scoring.WEIGHTS
        ],
        "chart": _chart(lines, days),
        "formula": _formula(),
        "month_query": _month_query(month),
        **_months(month),
    }
    return render(request, "grid/supervision/worker.html", context)


@login_required
def export(request, code: str):
    """The area's table as CSV (UTF-8 with a BOM, for spreadsheet programs), headed by who
    exported it and when; audited."""
    area = get_area_for_user(request, code)
    month = Month.parse(request.GET.get("month"))
    lines = _child_lines(request, area, month)
    total = Line(label=_("Total"), note="", url=None, f=totals(Scope.of(area), month))
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    now = timezone.localtime()
    writer.writerow(
        safe_row(
            [
                f"{area.full_name()} · {month.key} · "
                + _("exported by %(user)s at %(time)s")
                % {"user": request.user.username, "time": f"{now:%Y-%m-%d %H:%M}"}
            ]
        )
    )
    writer.writerow(
        [
            _("Area or grid worker"),
            _("Code or account"),
            _("Assigned"),
            _("Workload"),
            _("Done"),
            _("Overdue"),
            _("Median days to complete"),
            _("On-time share"),
            _("Residents reached"),
            _("Score"),
        ]
    )
    for line in [*lines, total]:
        writer.writerow(
            safe_row(
                [
                    line.label,
                    line.code,
                    line.f.assigned,
                    line.f.workload,
                    line.f.done,
                    line.f.overdue,
                    "" if line.f.median_days is None else line.f.median_days,
                    "" if line.f.on_time_share is None else round(line.f.on_time_share, 3),
                    line.f.reached,
                    "" if line.score is None else line.score,
                ]
            )
        )
    record_event(
        EventType.EXPORT,
        actor=request.user,
        request=request,
        object_type="grid_supervision",
        object_id=area.code,
        details={"month": month.key, "rows": len(lines)},
    )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="grid-supervision-{area.code}-{month.key}.csv"'
    )
    return response
