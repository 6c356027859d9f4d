"""精准服务 pages: the themes' dashboards, their target lists (explained, masked, exported)
and saved snapshots. Every query of residents goes through `engine.matching`, which starts
from `Resident.objects.visible_to(user)`. The dashboards' figures are sums of the grid
figures kept beside the archive (`figures.py`), scoped as the archive is
(`GridFigure.objects.visible_to(user)`); while those are missing or were computed for
another catalogue, the dashboards count over the archive instead."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.db.models import Case, CharField, Count, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from minsheng import paging
from minsheng.audit.actions import record_event
from minsheng.audit.models import EventType
from minsheng.catalogue import dictionary
from minsheng.geo.access import access_area
from minsheng.geo.models import LEVEL_ORDER, Area, Level
from minsheng.residents.models import Resident

from . import catalog, engine, figures
from .access import access_rule, access_screening, access_snapshot, access_theme
from .actions import do_save_target_list
from .export import list_workbook
from .models import TargetList, TargetListMember
from .rows import label as _label
from .rows import rows_for

PAGE_SIZE = 25
MAX_AGE = 150
SORTS = {
    "name": ("identity_name", "person_id"),
    "-name": ("-identity_name", "-person_id"),
    "age": ("identity_age", "person_id"),
    "-age": ("-identity_age", "-person_id"),
    "area": ("grid_code", "person_id"),
    "-area": ("-grid_code", "-person_id"),
}
ROW_FIELDS = (
    "person_id",
    "identity_name",
    "identity_id_number",
    "identity_sex",
    "identity_age",
    "community_code",
    "grid_code",
)
logger = logging.getLogger(__name__)


# -- access ---------------------------------------------------------------------------------


def _area(request, code: str | None) -> Area:
    """The area asked for (in the user's scope, or 404 audited), else the user's own."""
    if code:
        return access_area(request, code)
    if request.user.area is None:
        raise Http404
    return request.user.area


def _age_band():
    whens = []
    for lo, hi in figures.AGE_BANDS:
        cond = {"identity_age__gte": lo}
        if hi is not None:
            cond["identity_age__lte"] = hi
        whens.append(When(then=Value(figures.band_label(lo, hi)), **cond))
    return Case(*whens, default=Value(figures.UNKNOWN_BAND), output_field=CharField())


def _ancestors(user, area: Area) -> list[Area]:
    return [a for a in area.ancestors() if user.area.contains(a)]


# -- the themes' figures --------------------------------------------------------------------


def _figures(codes: list[str]) -> tuple[figures.Usable | None, list[str]]:
    """The stored figures, and those of `codes` that are not usable (counted over the
    archive instead: missing, or computed for another version of their rule)."""
    stored = figures.usable()
    stale = [c for c in codes if stored is None or c not in stored.codes]
    if stale:
        logger.info("screening figures missing or stale, counted over the archive: %s", stale)
    return stored, stale


@dataclass
class Tally:
    """A theme's figures in one area, from the stored figures or counted over the archive:
    the same numbers either way."""

    total: int = 0
    lists: Counter = field(default_factory=Counter)
    by_child: Counter = field(default_factory=Counter)
    age: Counter = field(default_factory=Counter)
    sex: Counter = field(default_factory=Counter)
    employment: Counter = field(default_factory=Counter)
    pyramid: Counter = field(default_factory=Counter)  # (band, sex)


def _stored_tally(user, t, area: Area, key: str) -> Tally:
    """The theme's figures summed from the area's grid figures (one query)."""
    out = Tally()
    charts = {
        figures.AGE: out.age,
        figures.SEX: out.sex,
        figures.EMPLOYMENT: out.employment,
    }
    for child, code, dimension, bucket, n in figures.theme_rows(user, t, area, key):
        if code != t.population.code:
            if dimension == figures.COUNT:
                out.lists[code] += n
        elif dimension == figures.COUNT:
            out.total += n
            out.by_child[child] += n
        elif dimension == figures.PYRAMID:
            band, _bar, sex = bucket.partition("|")
            out.pyramid[(band, sex)] += n
        elif dimension in charts:
            charts[dimension][bucket] += n
    return out


def _live_tally(user, t, area: Area, key: str, as_of) -> Tally:
    """The theme's figures counted over the archive: the lists in one pass, and every chart
    from one GROUP BY over the theme's population (one pass, not one per chart)."""
    population = engine.in_area(
        engine.matching(user, t.population.rule, rule=t.population.code, as_of=as_of), area
    )
    out = Tally()
    out.lists.update(
        engine.counts(
            engine.in_area(Resident.objects.visible_to(user), area),
            [(r.code, r.rule) for r in t.lists],
            as_of=as_of,
        )
    )
    cells = (
        population.order_by()
        .annotate(band=_age_band())
        .values_list(key, "band", "identity_sex", "employment_status")
        .annotate(n=Count("person_id"))
    )
    for child, band, sex, job, n in cells:
        # an unknown value is '' in the stored figures too
        sex, job = sex or "", job or ""
        out.total += n
        out.by_child[child] += n
        out.age[band] += n
        out.sex[sex] += n
        out.employment[job] += n
        out.pyramid[(band, sex)] += n
    return out


def _charts(t, tally: Tally, area: Area, children: list[Area]) -> dict:
    charts: dict = {}
    if area.level != Level.GRID:
        charts["area"] = {
            "names": [c.name for c in children],
            "values": [c.count for c in children],
        }
    bands = {k: v for k, v in tally.age.items() if v}
    labels = figures.band_labels() + (
        [figures.UNKNOWN_BAND] if figures.UNKNOWN_BAND in bands else []
    )
    charts["age"] = {"names": labels, "values": [bands.get(b, 0) for b in labels]}
    sexes = sorted((kv for kv in tally.sex.items() if kv[1]), key=lambda kv: kv[0])
    charts["sex"] = {
        "names": [_label("identity.sex", s) for s, _n in sexes],
        "values": [n for _s, n in sexes],
    }
    jobs = sorted((kv for kv in tally.employment.items() if kv[1]), key=lambda kv: kv[0])
    charts["employment"] = {
        "names": [_label("employment.status", s) for s, _n in jobs],
        "values": [n for _s, n in jobs],
    }
    if t.code in figures.PYRAMID_THEMES:
        bands = figures.band_labels()
        charts["pyramid"] = {
            "names": bands,
            "male": [-tally.pyramid.get((b, "1"), 0) for b in bands],
            "female": [tally.pyramid.get((b, "2"), 0) for b in bands],
            "male_label": str(_("Male")),
            "female_label": str(_("Female")),
        }
    charts["labels"] = {
        "area": str(_("By area")),
        "age": str(_("By age band")),
        "sex": str(_("By sex")),
        "employment": str(_("By employment status")),
        "pyramid": str(_("Population pyramid")),
    }
    return charts


# -- pages ----------------------------------------------------------------------------------


@login_required
def index(request):
    access_screening(request, "screening")
    themes = catalog.themes()
    stored, stale = _figures([t.population.code for t in themes])
    as_of = stored.as_of if stored is not None else engine.archive_as_of()
    counts = figures.counts(
        request.user, [t.population.code for t in themes if t.population.code not in stale]
    )
    if stale:
        counts |= engine.counts(
            Resident.objects.visible_to(request.user),
            [(t.population.code, t.population.rule) for t in themes if t.population.code in stale],
            as_of=as_of,
        )
    cards = [{"theme": t, "count": counts[t.population.code]} for t in themes]
    return render(request, "screening/index.html", {"cards": cards, "as_of": as_of})


@login_required
def theme_detail(request, theme: str):
    t = access_theme(request, theme)
    user = request.user
    area = _area(request, request.GET.get("area"))
    # the charts' bars are the area's children (a grid has none)
    key = f"{LEVEL_ORDER[area.depth + 1]}_code" if area.level != Level.GRID else "grid_code"
    stored, stale = _figures([t.population.code, *(r.code for r in t.lists)])
    as_of = stored.as_of if stored is not None else engine.archive_as_of()
    if not stale:
        tally = _stored_tally(user, t, area, key)
    else:
        tally = _live_tally(user, t, area, key, as_of)
    children: list[Area] = []
    if area.level != Level.GRID:
        children = list(Area.objects.visible_to(user).filter(parent=area).order_by("code"))
        for c in children:
            c.count = tally.by_child.get(c.code, 0)
    context = {
        "theme": t,
        "area": area,
        "ancestors": _ancestors(user, area),
        "total": tally.total,
        "lists": [{"rule": r, "count": tally.lists.get(r.code, 0)} for r in t.lists],
        "children": children,
        "charts": _charts(t, tally, area, children),
        "as_of": as_of,
    }
    return render(request, "screening/theme.html", context)


def _filtered(request, params, t, r, as_of):
    """The list's residents in scope with the page's filters, and the filter values."""
    area = _area(request, params.get("area"))
    qs = engine.in_area(engine.matching(request.user, r.rule, rule=r.code, as_of=as_of), area)
    sex = params.get("sex", "")
    if sex in ("1", "2"):
        qs = qs.filter(identity_sex=sex)
    else:
        sex = ""
    ages = {}
    for key, lookup in (("age_min", "identity_age__gte"), ("age_max", "identity_age__lte")):
        raw = params.get(key, "").strip()
        if not raw:
            continue
        # ASCII digits only ("²" is a digit to str.isdigit), and an age a person can have
        if not (raw.isascii() and raw.isdigit() and int(raw) <= MAX_AGE):
            raise BadRequest(f"{key}: not an age")
        ages[key] = raw
        qs = qs.filter(**{lookup: int(raw)})
    sort = params.get("sort", "name")
    if sort not in SORTS:
        sort = "name"
    qs = qs.only(*ROW_FIELDS).order_by(*SORTS[sort])
    filters = {"area": params.get("area", ""), "sex": sex, "sort": sort, **ages}
    return area, qs, filters


@login_required
def list_detail(request, theme: str, code: str):
    t, r = access_rule(request, theme, code)
    as_of = engine.archive_as_of()
    area, qs, filters = _filtered(request, request.GET, t, r, as_of)
    page = paging.get_page(qs, request.GET.get("page"), PAGE_SIZE)
    rows = rows_for(page.object_list, r, as_of)
    record_event(
        EventType.VIEW,
        actor=request.user,
        request=request,
        object_type="screening_list",
        object_id=r.code,
        details={
            "version": r.version,
            "area": area.code,
            "results": page.paginator.count,
            "page": page.number,
            "persons": [row["person_id"] for row in rows],
        },
    )
    # the areas to filter by: streets and communities, and grids for a community's own staff
    levels = [Level.TOWN, Level.COMMUNITY]
    if request.user.area.level in (Level.COMMUNITY, Level.GRID, Level.TOWN):
        levels.append(Level.GRID)
    communities = (
        Area.objects.visible_to(request.user)
        .filter(level__in=levels)
        .order_by("code")
        .values_list("code", "name")
    )
    query = urlencode({k: v for k, v in filters.items() if v})
    sortless = urlencode({k: v for k, v in filters.items() if v and k != "sort"})
    context = {
        "theme": t,
        "rule": r,
        "area": area,
        "page": page,
        "rows": rows,
        "filters": filters,
        "query": query,
        "sortless": sortless,
        "areas": communities,
        "as_of": as_of,
        "may_save": not request.user.is_read_only,
    }
    return render(request, "screening/list.html", context)


@login_required
def list_export(request, theme: str, code: str):
    t, r = access_rule(request, theme, code, object_type="screening_export")
    as_of = engine.archive_as_of()
    area, qs, filters = _filtered(request, request.GET, t, r, as_of)
    data, count = list_workbook(t, r, qs, as_of=as_of, user=request.user, area=area)
    record_event(
        EventType.EXPORT,
        actor=request.user,
        request=request,
        object_type="screening_list",
        object_id=r.code,
        details={"version": r.version, "area": area.code, "count": count, "filters": filters},
    )
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{r.code}-{as_of:%Y%m%d}.xlsx"'
    return response


@login_required
@require_POST
def list_save(request, theme: str, code: str):
    t, r = access_rule(request, theme, code, object_type="screening_save", for_write=True)
    area = _area(request, request.POST.get("area"))
    saved = do_save_target_list(t, r, area=area, acting_user=request.user, request=request)
    return redirect("screening:snapshot", pk=saved.pk)


@login_required
def snapshot_list(request):
    access_screening(request, "target_list")
    qs = TargetList.objects.visible_to(request.user).select_related("area", "created_by")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "screening/snapshots.html", {"page": page})


@login_required
def snapshot_detail(request, pk: int):
    saved = access_snapshot(request, pk)
    members = TargetListMember.objects.filter(target_list=saved).order_by("person_id")
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    members = list(page.object_list)
    residents = {
        x.person_id: x
        for x in Resident.objects.visible_to(request.user)
        .filter(person_id__in=[m.person_id for m in members])
        .only(*ROW_FIELDS)
    }
    name_item = dictionary.item("identity.name")
    rows = [
        {
            "person_id": m.person_id,
            "name": name_item.mask(residents[m.person_id].identity_name)
            if m.person_id in residents
            else "—",
            "age": residents[m.person_id].identity_age if m.person_id in residents else None,
            "visible": m.person_id in residents,
            "why": m.explanation,
        }
        for m in members
    ]
    record_event(
        EventType.VIEW,
        actor=request.user,
        request=request,
        object_type="target_list",
        object_id=str(saved.pk),
        details={"page": page.number, "persons": [row["person_id"] for row in rows]},
    )
    return render(
        request, "screening/snapshot_detail.html", {"saved": saved, "page": page, "rows": rows}
    )
