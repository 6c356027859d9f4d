"""The smart doorplate (智慧门牌): the page a house's QR code opens, a grid worker's update of
a resident met there, and the clerks' printable label sheets. Who sees what is decided in
`access.py`; the writes go through `grid.actions.do_record_visit`."""

from __future__ import annotations

import time
import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from minsheng.audit.actions import deny, record_event
from minsheng.audit.models import EventType

from ..actions import AlreadyDone, do_record_visit
from ..forms import InfoUpdateForm
from ..models import TaskKind
from . import labels, throttle
from .access import (
    ALIVE,
    access_building,
    access_community,
    access_house_for_update,
    access_sheets,
    buildings_of,
    communities_of,
    house_by_token,
    house_counts,
    house_residents,
    houses_of,
    open_house,
    resident_cards,
)
from .guide import guide

PUBLIC_MAX_AGE = 300  # seconds a browser may keep the public page
VISIT_REASON = "门牌扫码"  # the reason of the visit's task: data, the same in every language


def _referrer_policy(response: HttpResponse, policy: str = "no-referrer") -> HttpResponse:
    """The token is in the URL: no link or resource of the page may send it on. The
    worker's house page says `same-origin` instead (the token still never leaves the
    site): a form posted from a `no-referrer` page carries `Origin: null`, which the CSRF
    check rightly refuses."""
    response["Referrer-Policy"] = policy
    patch_vary_headers(response, ["Cookie"])
    return response


def _community_names(house) -> dict[str, str]:
    """The names of the house's community and the areas above it (from the house's
    select_related chain: no query)."""
    community = house.building.grid.parent
    town = community.parent
    district = town.parent
    city = district.parent
    return {
        "city": city.name if city else "",
        "district": district.name,
        "town": town.name,
        "community": community.name,
    }


def _public(request, house) -> HttpResponse:
    """The public page: the community, its station and the guide. Nothing about the house."""
    names = _community_names(house)
    g = guide()
    response = render(
        request,
        "grid/doorplate/public.html",
        {
            "community": names,
            "station": g.station(**names),
            "service_groups": g.service_groups(),
            "policies": g.policies,
        },
    )
    patch_cache_control(response, private=True, max_age=PUBLIC_MAX_AGE)
    return _referrer_policy(response)


def _styled(form: InfoUpdateForm) -> InfoUpdateForm:
    for field in form.fields.values():
        select = isinstance(field.widget, forms.Select)
        field.widget.attrs["class"] = "form-select" if select else "form-control"
    return form


def _forms(cards, bound=None):
    """A 信息更新 form per living resident, each with its own prefix and idempotency key;
    `bound` = (person_id, form, key) keeps a submitted form with its errors and key."""
    out = {}
    for card in cards:
        if not card.alive:
            continue
        if bound is not None and bound[0] == card.person_id:
            out[card.person_id] = (_styled(bound[1]), bound[2])
        else:
            form = InfoUpdateForm(prefix=f"p{card.person_id}")
            out[card.person_id] = (_styled(form), uuid.uuid4())
    return out


def _house_page(request, house, grids, *, bound=None, status=200) -> HttpResponse:
    residents = list(house_residents(house, grids))
    cards = resident_cards(residents)
    record_event(
        EventType.VIEW,
        actor=request.user,
        request=request,
        object_type="house",
        object_id=house.code,
        details={"via": "doorplate", "persons": [c.person_id for c in cards]},
    )
    forms = _forms(cards, bound)
    response = render(
        request,
        "grid/doorplate/house.html",
        {
            "house": house,
            "grid": house.building.grid,
            "community": house.building.grid.parent,
            "rows": [(card, *forms.get(card.person_id, (None, None))) for card in cards],
            "token": house.doorplate_token,
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"
    return _referrer_policy(response, "same-origin")


def _too_many(request, retry_after: int) -> HttpResponse:
    response = render(request, "grid/doorplate/too_many.html", status=429)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return _referrer_policy(response)


@require_GET
def doorplate(request, token: str):
    """What a doorplate's QR code opens: the house for a grid worker holding its grid,
    the community's public page for anyone else (rate-limited per client). An unknown
    token is Django's plain 404, as for any URL that does not exist."""
    allowed, retry_after = throttle.allow(request)
    if not allowed:
        return _too_many(request, retry_after)
    house = house_by_token(token)
    if house is None:
        raise Http404
    grids = open_house(request, house)
    if grids is None:
        return _public(request, house)
    return _house_page(request, house, grids)


@login_required
@require_POST
def doorplate_update(request, token: str):
    """A grid worker's 信息更新 of a resident of the house, recorded as a visit (a task made
    and done at once, so the result is a 网格采集 fact with the task's provenance).
    Idempotent on the form's key: a submit repeated on a bad connection records once."""
    house, grids = access_house_for_update(request, token)
    try:
        person_id = int(request.POST.get("person", ""))
        key = uuid.UUID(request.POST.get("key", ""))
    except ValueError as exc:
        raise BadRequest("person and key are required") from exc
    resident = house_residents(house, grids).filter(person_id=person_id).first()
    if resident is None:
        deny(request, "resident", person_id, not_found=True)
    if resident.identity_survival_status not in ALIVE:
        raise BadRequest("no update is offered for a resident who died")
    form = InfoUpdateForm(request.POST, prefix=f"p{person_id}")
    if not form.is_valid():
        return _house_page(request, house, grids, bound=(person_id, form, key), status=400)
    try:
        _result, created = do_record_visit(
            person_id,
            kind=TaskKind.INFO_UPDATE,
            key=key,
            form=form,
            reason=VISIT_REASON,
            acting_user=request.user,
        )
    except PermissionDenied:
        # an open 信息更新 task of this resident is handed to another worker
        deny(request, "resident", person_id)
    except (AlreadyDone, ValidationError) as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        if created:
            messages.success(request, _("Saved: the update is in the archive."))
        else:
            messages.info(request, _("This update was saved already."))
    return redirect("grid:doorplate", token=house.doorplate_token)


# -- label sheets ---------------------------------------------------------------------------


@login_required
@require_GET
def sheets(request):
    """The communities of the clerk's area, each with its label sheet."""
    area = access_sheets(request)
    counts = house_counts(area)
    rows = []
    for c in communities_of(area):
        buildings, houses = counts.get(c["code"], (0, 0))
        rows.append({**c, "buildings": buildings, "houses": houses})
    return render(request, "grid/doorplate/sheets.html", {"area": area, "rows": rows})


@login_required
@require_GET
def sheets_community(request, code: str):
    """The buildings of a community, each with its label sheet."""
    community = access_community(request, code)
    return render(
        request,
        "grid/doorplate/community.html",
        {"community": community, "buildings": list(buildings_of(community))},
    )


def _base_url(request) -> str:
    """Where the QR codes point: DOORPLATE_BASE_URL (the platform's public address, as
    residents reach it) if set, else the address this request came to."""
    base = getattr(settings, "DOORPLATE_BASE_URL", "") or request.build_absolute_uri("/")
    return base.rstrip("/")


def _sheet(request, *, houses, community, title: str, object_type: str, object_id: str):
    started = time.monotonic()
    base = _base_url(request)
    with translation.override("zh-hans"):  # doorplates are for the city's residents
        label_pages = labels.pages(
            houses, url_of=lambda token: base + reverse("grid:doorplate", args=[token])
        )
        html = labels.sheet_html(label_pages, community=community, title=title)
    pdf = labels.render_pdf(html)
    count = sum(len(p) for p in label_pages)
    record_event(
        EventType.EXPORT,
        actor=request.user,
        request=request,
        object_type=object_type,
        object_id=object_id,
        details={
            "labels": count,
            "pages": len(label_pages),
            "seconds": round(time.monotonic() - started, 2),
        },
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="doorplates-{object_id}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


def _label_name(community) -> str:
    """The community as a label names it: with its street or town."""
    town = community.parent
    return f"{town.name}{community.name}" if town is not None else community.name


@login_required
@require_GET
def sheet_community(request, code: str):
    community = access_community(request, code)
    return _sheet(
        request,
        houses=houses_of(community=community),
        community=_label_name(community),
        title=community.name,
        object_type="doorplate_sheet_community",
        object_id=community.code,
    )


@login_required
@require_GET
def sheet_building(request, code: str):
    building = access_building(request, code)
    community = building.grid.parent
    return _sheet(
        request,
        houses=houses_of(building=building),
        community=_label_name(community),
        title=building.address,
        object_type="doorplate_sheet_building",
        object_id=building.code,
    )
