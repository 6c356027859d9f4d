"""精准服务 pages: the themes' dashboards, their target lists (explained, masked, exported)
and saved snapshots. Every query of residents goes through `engine.matching`, which starts
from `Resident.objects.visible_to(user)`; every figure is a GROUP BY on that queryset."""

from __future__ import annotations

from collections import Counter
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

from . import catalog, engine
from .access import access_rule, access_screening, access_snapshot, access_theme
from .actions import do_save_target_list
from .export import list_workbook
from .models import TargetList, TargetListMember
from .rows import label as _label
from .rows import rows_for

PAGE_SIZE = 25
MAX_AGE = 150
AGE_BANDS = [(0, 15), (16, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, None)]
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
    for lo, hi in AGE_BANDS:
        label = f"{lo}-{hi}" if hi is not None else f"{lo}+"
        cond = {"identity_age__gte": lo}
        if hi is not None:
            cond["identity_age__lte"] = hi
        whens.append(When(then=Value(label), **cond))
    return Case(*whens, default=Value("?"), output_field=CharField())


def _band_labels() -> list[str]:
    return [f"{lo}-{hi}" if hi is not None else f"{lo}+" for lo, hi in AGE_BANDS]


def _ancestors(user, area: Area) -> list[Area]:
    return [a for a in area.ancestors() if user.area.contains(a)]


# -- pages ----------------------------------------------------------------------------------


@login_required
def index(request):
    access_screening(request, "screening")
    as_of = engine.archive_as_of()
    themes = catalog.themes()
    counts = engine.counts(
        Resident.objects.visible_to(request.user),
        [(t.population.code, t.population.rule) for t in themes],
        as_of=as_of,
    )
    cards = [{"theme": t, "count": counts[t.population.code]} for t in themes]
    return render(request, "screening/index.html", {"cards": cards, "as_of": as_of})


@login_required
def theme_detail(request, theme: str):
    t = access_theme(request, theme)
    user = request.user
    area = _area(request, request.GET.get("area"))
    as_of = engine.archive_as_of()
    population = engine.in_area(
        engine.matching(user, t.population.rule, rule=t.population.code, as_of=as_of), area
    )
    counts = engine.counts(
        engine.in_area(Resident.objects.visible_to(user), area),
        [(r.code, r.rule) for r in t.lists],
        as_of=as_of,
    )
    lists = [{"rule": r, "count": counts[r.code]} for r in t.lists]
    # every chart from one GROUP BY over the theme's population: one pass, not one per chart
    key = f"{LEVEL_ORDER[area.depth + 1]}_code" if area.level != Level.GRID else "grid_code"
    cells = list(
        population.order_by()
        .annotate(band=_age_band())
        .values_list(key, "band", "identity_sex", "employment_status")
        .annotate(n=Count("person_id"))
    )
    total = sum(n for *_cell, n in cells)

    def tally(*index: int) -> Counter:
        out: Counter = Counter()
        for cell in cells:
            out[tuple(cell[i] for i in index) if len(index) > 1 else cell[index[0]]] += cell[-1]
        return out

    charts: dict = {}
    children: list[Area] = []
    if area.level != Level.GRID:
        by_child = tally(0)
        children = list(Area.objects.visible_to(user).filter(parent=area).order_by("code"))
        for c in children:
            c.count = by_child.get(c.code, 0)
        charts["area"] = {
            "names": [c.name for c in children],
            "values": [c.count for c in children],
        }
    bands = tally(1)
    labels = _band_labels() + (["?"] if "?" in bands else [])
    charts["age"] = {"names": labels, "values": [bands.get(b, 0) for b in labels]}
    sexes = sorted(tally(2).items(), key=lambda kv: kv[0] or "")
    charts["sex"] = {
        "names": [_label("identity.sex", s) for s, _n in sexes],
        "values": [n for _s, n in sexes],
    }
    jobs = sorted(tally(3).items(), key=lambda kv: kv[0] or "")
    charts["employment"] = {
        "names": [_label("employment.status", s) for s, _n in jobs],
        "values": [n for _s, n in jobs],
    }
    if t.code == "population":
        grid = tally(1, 2)
        charts["pyramid"] = {
            "names": _band_labels(),
            "male": [-grid.get((b, "1"), 0) for b in _band_labels()],
            "female": [grid.get((b, "2"), 0) for b in _band_labels()],
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
    context = {
        "theme": t,
        "area": area,
        "ancestors": _ancestors(user, area),
        "total": total,
        "lists": lists,
        "children": children,
        "charts": charts,
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
