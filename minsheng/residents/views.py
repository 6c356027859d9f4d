import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Count, Value, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from minsheng import keys
from minsheng.audit.actions import deny, record_event
from minsheng.audit.models import EventType
from minsheng.catalogue import dictionary, registry
from minsheng.geo.models import Area, Level
from minsheng.lib import idcard
from minsheng.residents.access import (
    access_conflicts,
    access_resident,
    may_read_conflicts,
    resident_conflicts,
)
from minsheng.residents.actions import REVEAL_MINUTES, REVEAL_SESSION_KEY, do_reveal_resident
from minsheng.residents.forms import RevealForm
from minsheng.residents.models import (
    Conflict,
    ConflictKind,
    ConflictStatus,
    Holding,
    HoldingKind,
    Provenance,
    Resident,
    field_name,
)
from minsheng.residents.plain import Plain
from minsheng.residents.signals import profile_portrait
from minsheng.sources.models import LinkMethod, fact_columns, fact_model
from minsheng.ui import StyledFormMixin

RESOLUTION_LABELS = {
    "authoritative": _("Most authoritative source"),
    "most_recent": _("Most recent value"),
    "single": _("Single source"),
    "derived": _("Derived"),
}


@login_required
def dictionary_list(request):
    """The data dictionary for staff: 13 categories, 122 items. It describes the archive and
    holds no personal data, so every signed-in role may read it."""
    category = request.GET.get("category", "")
    q = request.GET.get("q", "").strip()
    groups = []
    for cat in dictionary.categories():
        if category and cat.code != category:
            continue
        items = [
            i
            for i in dictionary.items_by_category()[cat.code]
            if not q or q in i.name_zh or q.lower() in i.name_en.lower() or q in i.code
        ]
        if items:
            rows = [
                {
                    "item": i,
                    "sources": [registry.label(s) for s in i.sources],
                    "resolution": RESOLUTION_LABELS[i.resolution],
                    "authority": " > ".join(registry.label(s) for s in i.authority),
                }
                for i in items
            ]
            groups.append((cat, rows))
    context = {
        "groups": groups,
        "categories": dictionary.categories(),
        "category": category,
        "q": q,
        "total": len(dictionary.items()),
        "shown": sum(len(rows) for _, rows in groups),
        "english": get_language() == "en",
    }
    return render(request, "residents/dictionary.html", context)


# -- resident search and profile ----------------------------------------------------------

PAGE_SIZE = 20
# A person can carry hundreds of handling-log rows; the profile needs the recent ones only,
# and the per-item page shows this many at most.
FACTS_PER_SOURCE = 500
HISTORY_INLINE = 10

_FILE_DATE = re.compile(r"_(\d{8})\.[A-Za-z]+$")


class SearchForm(StyledFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Citizen ID number or name"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": _("Full ID number, or name (or its start)")}),
    )
    community = forms.ChoiceField(label=_("Community"), required=False)

    def __init__(self, *args, communities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [("", _("All communities in my area")), *communities]


@dataclass(frozen=True)
class _Feed:
    """One fact column feeding one dictionary item."""

    column: str
    item: dictionary.Item
    mode: str  # "enc" (ciphertext + blind index), "code" (label + code), "datetime", "plain"

    @property
    def fields(self) -> tuple[str, ...]:
        if self.mode == "enc":
            return (f"{self.column}_enc", f"{self.column}_hash")
        if self.mode == "code":
            return (self.column, f"{self.column}_code")
        return (self.column,)


def _feeds() -> dict[str, tuple[_Feed, ...]]:
    out: dict[str, tuple[_Feed, ...]] = {}
    for src in registry.sources():
        columns = set(fact_columns(src))
        feeds = []
        for col in src.columns:
            if not col.item:
                continue
            if f"{col.name}_enc" in columns:
                mode = "enc"
            elif f"{col.name}_code" in columns:
                mode = "code"
            elif col.kind == "datetime":
                mode = "datetime"
            else:
                mode = "plain"
            feeds.append(_Feed(col.name, dictionary.item(col.item), mode))
        if feeds:
            out[src.name] = tuple(feeds)
    return out


FEEDS = _feeds()


@dataclass
class _Fact:
    source: str
    batch_id: int
    file_name: str
    row: int
    date: date
    loaded_at: datetime
    link_method: str
    match_weight: float | None
    value: object
    key: object

    @property
    def order(self) -> tuple:
        return (self.date, self.loaded_at, self.batch_id, self.row)


def _file_date(file_name: str, loaded_at: datetime) -> date:
    # Department exports are named <source>_<yyyymmdd>; that is when the data was true,
    # which can be well before we loaded it.
    if match := _FILE_DATE.search(file_name):
        try:
            return datetime.strptime(match.group(1), "%Y%m%d").date()
        except ValueError:
            pass
    return timezone.localtime(loaded_at).date()


def _fact_value(feed: _Feed, row: dict, plain: Plain) -> tuple[object, object]:
    """(value to show, key to compare with the archive's value) of one fact column."""
    col = feed.column
    if feed.mode == "enc":
        digest = row[f"{col}_hash"]
        return plain(row[f"{col}_enc"]), (("hash", digest) if digest else None)
    if feed.mode == "code":
        code, text = row[f"{col}_code"], row[col]
        if code is None:
            # An unmapped label is still what the department said; keep it visible.
            return text, (("raw", text) if text else None)
        if feed.item.type == "boolean":
            code = {"1": True, "0": False}.get(code, code)
        return code, code
    value = row[col]
    if feed.mode == "datetime" and value is not None:
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if value == "":
        value = None
    return value, value


def _load_facts(user, person_id: int, items: set[str] | None = None) -> dict[str, list[_Fact]]:
    """Item code → the person's fact rows feeding it, newest first. One query per source
    that feeds the wanted items, whatever the number of rows or items."""
    plain = Plain()
    by_item: dict[str, list[_Fact]] = {}
    for source, feeds in FEEDS.items():
        feeds = tuple(f for f in feeds if items is None or f.item.code in items)
        if not feeds:
            continue
        fields = [
            "batch_id",
            "batch__file_name",
            "row",
            "loaded_at",
            "link_method",
            "match_weight",
            *(name for f in feeds for name in f.fields),
        ]
        rows = (
            fact_model(source)
            .objects.visible_to(user)
            .filter(person_id=person_id)
            .order_by("-loaded_at", "-row")
            .values(*fields)[:FACTS_PER_SOURCE]
        )
        for row in rows:
            when = _file_date(row["batch__file_name"], row["loaded_at"])
            for feed in feeds:
                value, key = _fact_value(feed, row, plain)
                if key is None:
                    continue
                by_item.setdefault(feed.item.code, []).append(
                    _Fact(
                        source=source,
                        batch_id=row["batch_id"],
                        file_name=row["batch__file_name"],
                        row=row["row"],
                        date=when,
                        loaded_at=row["loaded_at"],
                        link_method=row["link_method"],
                        match_weight=row["match_weight"],
                        value=value,
                        key=key,
                    )
                )
    for facts in by_item.values():
        facts.sort(key=lambda f: f.order, reverse=True)
    return by_item


def _format(item: dictionary.Item, value) -> str | None:
    if value is None or value == "":
        return None
    if item.type == "code":
        return item.label(value) or str(value)
    if item.type == "boolean":
        if isinstance(value, bool):
            return str(_("Yes") if value else _("No"))
        return str(value)
    if item.type == "date" and isinstance(value, date):
        return value.isoformat()
    if item.unit:
        return f"{value} {item.unit}"
    return str(value)


def _show(item: dictionary.Item, value, revealed: bool) -> str | None:
    """The value as this page may show it: masked per the dictionary unless revealed."""
    if value is None or value == "":
        return None
    if item.sensitive and not revealed:
        return str(item.mask(value))
    return _format(item, value)


def _link_label(fact: _Fact) -> str:
    label = str(LinkMethod(fact.link_method).label) if fact.link_method in LinkMethod else ""
    if fact.link_method == LinkMethod.PROBABILISTIC and fact.match_weight is not None:
        return str(_("%(method)s, weight %(weight).1f")) % {
            "method": label,
            "weight": fact.match_weight,
        }
    return label or fact.link_method


def _history_rows(item, facts: list[_Fact], current_key, revealed: bool) -> list[dict]:
    return [
        {
            "date": f.date,
            "source": registry.label(f.source),
            "file_name": f.file_name,
            "row": f.row,
            "link": _link_label(f),
            "value": _show(item, f.value, revealed),
            "current": f.key == current_key,
        }
        for f in facts
    ]


def _conflicts(item, facts: list[_Fact], current_key, revealed: bool) -> list[dict]:
    """Values some source holds that differ from the archive's, most recent first.

    An empty archive value is no conflict: the archive leaves an item empty on purpose when
    a row does not qualify (a resident-scheme row says nothing about employee pension), and
    the rows stay visible in the history.
    """
    if current_key is None:
        return []
    groups: dict[object, dict] = {}
    for f in facts:  # newest first, so the first fact of a group is its latest
        if f.key == current_key:
            continue
        group = groups.setdefault(
            f.key,
            {"value": _show(item, f.value, revealed), "date": f.date, "sources": []},
        )
        label = registry.label(f.source)
        if label not in group["sources"]:
            group["sources"].append(label)
    return list(groups.values())


def _resolved(resident, item: dictionary.Item, plain: Plain) -> tuple[object, object]:
    name = field_name(item.code)
    value = getattr(resident, name)
    if item.encrypted:
        digest = getattr(resident, f"{name}_hash")
        return plain(value), (("hash", digest) if digest else None)
    if value == "":
        value = None
    return value, value


def _revealed(request, person_id: int) -> float | None:
    """Epoch seconds until which this user may see this person's full values, if they may."""
    if not request.user.may_reveal_personal_data:
        return None
    grants = request.session.get(REVEAL_SESSION_KEY, {})
    now = time.time()
    live = {pid: until for pid, until in grants.items() if until > now}
    if live != grants:
        request.session[REVEAL_SESSION_KEY] = live
    return live.get(str(person_id))


def _header(resident, plain: Plain, revealed: bool) -> dict:
    get = dictionary.item
    return {
        "name": _show(get("identity.name"), resident.identity_name, revealed),
        "id_number": _show(get("identity.id_number"), plain(resident.identity_id_number), revealed),
        "sex": _format(get("identity.sex"), resident.identity_sex),
        "age": resident.identity_age,
        "survival": _format(get("identity.survival_status"), resident.identity_survival_status),
        "deceased": resident.identity_death_date is not None,
        "community": resident.residence_community,
        "street": resident.residence_street,
    }


@login_required
def resident_search(request):
    """Find a resident in one's area by full ID number (blind index) or by name."""
    user = request.user
    if not user.may_see_personal_data:
        deny(request, "resident_search")
    communities = list(
        Area.objects.visible_to(user)
        .filter(level=Level.COMMUNITY)
        .order_by("code")
        .values_list("code", "name")
    )
    form = SearchForm(request.GET or None, communities=communities)
    context = {
        "form": form,
        "page": None,
        "query": "",
        "may_read_conflicts": may_read_conflicts(user),
    }
    if not form.is_valid() or not (form.cleaned_data["q"] or form.cleaned_data["community"]):
        return render(request, "residents/search.html", context)

    q = form.cleaned_data["q"].strip()
    community = form.cleaned_data["community"]
    residents = Resident.objects.visible_to(user)
    if community:
        residents = residents.filter(community_code=community)
    shape = "community"
    if q and any(ch.isdigit() for ch in q):
        try:
            number = idcard.normalize(q)
        except idcard.InvalidIdNumber:
            form.add_error("q", _("This is not a valid citizen ID number; enter all 18 digits."))
            return render(request, "residents/search.html", context)
        residents = residents.filter(identity_id_number_hash=keys.provider().blind_index(number))
        shape = "id_number"
    elif q:
        residents = residents.filter(identity_name__startswith=q)
        shape = "name"
    residents = residents.only(
        "person_id",
        "community_code",
        "identity_name",
        "identity_id_number",
        "identity_sex",
        "identity_age",
        "identity_death_date",
        "residence_community",
        "residence_address",
        "as_of",
    ).order_by(
        Case(When(identity_name=q, then=Value(0)), default=Value(1)),
        "identity_name",
        "person_id",
    )
    page = Paginator(residents, PAGE_SIZE).get_page(request.GET.get("page"))
    plain = Plain()
    get = dictionary.item
    rows = [
        {
            "person_id": r.person_id,
            "name": _show(get("identity.name"), r.identity_name, False),
            "id_number": _show(get("identity.id_number"), plain(r.identity_id_number), False),
            "sex": _format(get("identity.sex"), r.identity_sex),
            "age": r.identity_age,
            "deceased": r.identity_death_date is not None,
            "community": r.residence_community,
            "address": _show(get("residence.address"), r.residence_address, False),
            "as_of": r.as_of,
        }
        for r in page.object_list
    ]
    if rows:
        record_event(
            EventType.VIEW,
            actor=user,
            request=request,
            object_type="resident_search",
            details={
                "query": shape,
                "community": community,
                "results": page.paginator.count,
                "page": page.number,
                "persons": [row["person_id"] for row in rows],
            },
        )
    context.update(
        page=page,
        rows=rows,
        query=urlencode({"q": q, "community": community}),
        searched=True,
    )
    return render(request, "residents/search.html", context)


# -- the sets: what a person has several of ------------------------------------------------

# 民政 assistance types (the set's key) → the archive item that says the person has it
ASSISTANCE_ITEMS = {
    "dibao": "assistance.dibao",
    "tekun": "assistance.tekun",
    "dibao_edge": "assistance.dibao_edge",
    "fpr": "assistance.poverty_monitoring",
}


@dataclass(frozen=True)
class _SetView:
    """How one block of set entries shows on the profile: under which category, which
    entries, and per column the dictionary item whose labels and masking it takes."""

    category: str
    kind: str
    title: str
    # (heading, entry field, dictionary item): no heading, the item's name
    columns: tuple[tuple[str | None, str, str], ...]
    source: str = ""  # only the entries of this source ("": all)


SET_VIEWS = (
    _SetView(
        "employment",
        HoldingKind.EMPLOYER,
        _("Employers"),
        (
            (None, "label", "employment.employer"),
            (None, "key", "employment.employer_uscc"),
            (None, "category", "employment.form"),
            (None, "start_date", "employment.start_date"),
        ),
    ),
    _SetView(
        "benefits",
        HoldingKind.BENEFIT,
        _("Pensions"),
        (
            (None, "key", "benefits.pension_type"),
            (None, "status", "benefits.pension_payment_status"),
            (None, "start_date", "benefits.pension_start"),
            (_("Until"), "end_date", "benefits.pension_start"),
        ),
        source="rs_pension",
    ),
    _SetView(
        "assistance",
        HoldingKind.BENEFIT,
        _("Social assistance"),
        (
            (_("Assistance"), "key", ""),  # the item of the assistance type itself
            (None, "status", "assistance.status"),
            (None, "start_date", "assistance.start_date"),
            (_("Until"), "end_date", "assistance.start_date"),
        ),
        source="mz_assistance",
    ),
    _SetView(
        "disability",
        HoldingKind.DISABILITY,
        _("Disability certificates"),
        (
            (None, "key", "disability.type"),
            (None, "category", "disability.grade"),
            (_("Issued"), "start_date", "disability.type"),
        ),
    ),
    _SetView(
        "business",
        HoldingKind.BUSINESS,
        _("Businesses"),
        (
            (None, "label", "business.entity_name"),
            (None, "key", "business.uscc"),
            (None, "category", "business.entity_kind"),
            (None, "status", "business.status"),
            (None, "start_date", "business.established_date"),
            (None, "employees", "business.employees"),
        ),
    ),
)


def _heading(heading, code: str) -> str:
    if heading is not None:
        return str(heading)
    item = dictionary.item(code)
    return item.name_en if get_language() == "en" else item.name_zh


def _entry_value(item: dictionary.Item, value, revealed: bool) -> str | None:
    """An entry's value as the profile shows the item it stands for: masked like that item
    unless revealed (an entry never shows more than the archive row's own item would), a
    code as its label, a date as a date."""
    if value is None or value == "":
        return None
    if item.sensitive and not revealed:
        return str(item.mask(value))
    if isinstance(value, date):
        return value.isoformat()
    if item.type == "code":
        return item.label(value) or str(value)
    if item.unit:
        return f"{value} {item.unit}"
    return str(value)


def _entry_cells(view: _SetView, entry: dict, revealed: bool) -> list[str | None]:
    cells = []
    for _heading, name, code in view.columns:
        value = entry[name]
        if not code:  # an assistance type: shown by the name of its item, masked like it
            item = dictionary.item(ASSISTANCE_ITEMS.get(value, "assistance.status"))
            if value in ASSISTANCE_ITEMS:
                value = item.name_en if get_language() == "en" else item.name_zh
        else:
            item = dictionary.item(code)
        cells.append(_entry_value(item, value, revealed))
    return cells


def _shown_entry(resident, provenance) -> tuple:
    """Which entries the archive row shows: the employment (the most recent evidence, by
    its source, start date and USCC) and the business (the latest, by USCC)."""
    employment = None
    if provenance is not None and provenance.employment_start_date_src:
        employment = (
            provenance.employment_start_date_src,
            provenance.employment_start_date_at,
            resident.employment_employer_uscc,
        )
    return employment, resident.business_uscc


def _sets(request, resident, provenance, revealed: bool) -> dict[str, list[dict]]:
    """Category code → the blocks of set entries shown under it, one query for them all
    (through the area scope, like every read of personal data)."""
    entries = list(
        Holding.objects.visible_to(request.user)
        .filter(person_id=resident.person_id)
        .order_by("kind", "-start_date", "-batch_id", "-row")
        .values(
            "kind",
            "key",
            "label",
            "category",
            "status",
            "start_date",
            "end_date",
            "employees",
            "source",
            "batch_id",
            "batch__file_name",
            "row",
        )
    )
    employment, business = _shown_entry(resident, provenance)
    out: dict[str, list[dict]] = {}
    for view in SET_VIEWS:
        rows = []
        for e in entries:
            if e["kind"] != view.kind or (view.source and e["source"] != view.source):
                continue
            # the entry the archive row's employment items, or its business items, show
            shown = view.kind in (HoldingKind.EMPLOYER, HoldingKind.BUSINESS) and (
                (e["source"], e["start_date"], e["key"]) == employment
            )
            if view.kind == HoldingKind.BUSINESS and e["key"] is not None:
                shown = shown or e["key"] == business
            rows.append(
                {
                    "cells": _entry_cells(view, e, revealed),
                    "source": registry.label(e["source"]),
                    "file_name": e["batch__file_name"],
                    "row": e["row"],
                    "shown": shown,
                }
            )
        if rows:
            out.setdefault(view.category, []).append(
                {
                    "kind": view.kind,
                    "title": view.title,
                    "marks": view.kind in (HoldingKind.EMPLOYER, HoldingKind.BUSINESS),
                    "headings": [_heading(heading, code) for heading, _n, code in view.columns],
                    "rows": rows,
                }
            )
    return out


def _profile_context(request, resident, revealed_until: float | None) -> dict:
    revealed = revealed_until is not None
    plain = Plain()
    facts = _load_facts(request.user, resident.person_id)
    # the resident was fetched through the area scope (with its provenance row, see
    # `access_resident`), so its provenance row may be read
    try:
        provenance = resident.person.provenance
    except Provenance.DoesNotExist:
        provenance = None
    english = get_language() == "en"
    sets = _sets(request, resident, provenance, revealed)
    groups = []
    for cat in dictionary.categories():
        rows = []
        for item in dictionary.items_by_category()[cat.code]:
            value, key = _resolved(resident, item, plain)
            item_facts = facts.get(item.code, [])
            name = field_name(item.code)
            src, at = None, None
            if item.keep_provenance and provenance:
                src, at = getattr(provenance, f"{name}_src"), getattr(provenance, f"{name}_at")
            rows.append(
                {
                    "item": item,
                    "name": item.name_en if english else item.name_zh,
                    "value": _show(item, value, revealed),
                    "masked": item.sensitive and not revealed and value not in (None, ""),
                    "source": registry.label(src) if src else None,
                    "at": at,
                    "derived": item.resolution == "derived",
                    "inputs": [
                        (dictionary.item(c).name_en if english else dictionary.item(c).name_zh)
                        for c in item.inputs
                    ],
                    "conflicts": _conflicts(item, item_facts, key, revealed),
                    "history": _history_rows(item, item_facts[:HISTORY_INLINE], key, revealed),
                    "history_total": len(item_facts),
                }
            )
        filled = sum(1 for r in rows if r["value"] is not None)
        groups.append(
            {
                "category": cat,
                "name": cat.name_en if english else cat.name_zh,
                "rows": rows,
                "filled": filled,
                "conflicts": sum(1 for r in rows if r["conflicts"]),
                "sets": sets.get(cat.code, []),
            }
        )
    return {
        "resident": resident,
        "header": _header(resident, plain, revealed),
        "open_conflicts": [
            _conflict_view(c, revealed) for c in resident_conflicts(resident).order_by("id")
        ],
        "groups": groups,
        "revealed": revealed,
        "revealed_until": (
            timezone.localtime(datetime.fromtimestamp(revealed_until, tz=UTC)) if revealed else None
        ),
        "may_reveal": request.user.may_reveal_personal_data,
        "reveal_minutes": REVEAL_MINUTES,
    }


# Timeline badge per event kind: a glyph and a Bootstrap colour.
TIMELINE_BADGES = {
    "handled": ("✔", "primary"),
    "applied": ("✎", "primary"),
    "pension": ("¥", "success"),
    "certification": ("✓", "success"),
    "insured": ("⛨", "success"),
    "unemployment": ("!", "danger"),
    "employment": ("⚒", "primary"),
    "card": ("▣", "info"),
    "assistance": ("♥", "warning"),
    "graduation": ("🎓", "info"),
    "discharge": ("★", "secondary"),
    "disability": ("♿", "warning"),
    # minsheng.benefits.timeline kinds
    "policy_delivery": ("★", "success"),
    "benefit_record": ("¥", "success"),
    "notification": ("✉", "info"),
    "grid_task_request": ("⚑", "secondary"),
}


def _portrait(request, resident, revealed: bool) -> dict:
    """The portrait at the top of the profile: tags by group, key figures, service trajectory.

    Tags are the stored ones (recompute_tags), so the page costs one query for them
    instead of one per rule; the trajectory costs one query per fact source.
    """
    get = dictionary.item
    pension = _format(
        get("insurance.employee_pension_status"), resident.insurance_employee_pension_status
    ) or _format(
        get("insurance.resident_pension_status"), resident.insurance_resident_pension_status
    )
    if pension is None and resident.insurance_any_pension is not None:
        pension = str(_("Insured") if resident.insurance_any_pension else _("Not insured"))
    figures = [
        (_("Age"), None if resident.identity_age is None else str(resident.identity_age)),
        (
            _("Employment"),
            _format(get("employment.status"), resident.employment_status),
        ),
        (_("Pension insurance"), pension),
        (
            _("Medical insurance"),
            _format(get("insurance.medical_scheme"), resident.insurance_medical_scheme),
        ),
        (
            _("Pension"),
            _format(
                get("benefits.pension_payment_status"), resident.benefits_pension_payment_status
            ),
        ),
        (
            _("Unemployment benefit"),
            _format(get("unemployment.benefit_status"), resident.unemployment_benefit_status),
        ),
        (_("Social security card"), _format(get("card.has_card"), resident.card_has_card)),
    ]
    portrait = {"figures": figures, "tag_groups": [], "tags_computed_at": None, "events": []}
    # Tags and the service trajectory come from the apps above this one (screening):
    # they answer the signal with what they add to the portrait.
    for _receiver, part in profile_portrait.send(
        sender=Resident, resident=resident, user=request.user, revealed=revealed
    ):
        portrait.update(part or {})
    for e in portrait["events"]:
        e["icon"], e["style"] = TIMELINE_BADGES.get(e["kind"], ("•", "secondary"))
    return portrait


@login_required
def resident_profile(request, person_id: int):
    """One resident's archive: 13 categories with sources, dates, conflicts and history."""
    resident = access_resident(request, person_id, provenance=True)
    revealed_until = _revealed(request, person_id)
    record_event(
        EventType.VIEW,
        actor=request.user,
        request=request,
        object_type="resident",
        object_id=person_id,
        details={"revealed": revealed_until is not None},
    )
    context = _profile_context(request, resident, revealed_until)
    context["reveal_form"] = RevealForm()
    context["portrait"] = _portrait(request, resident, revealed_until is not None)
    return render(request, "residents/profile.html", context)


@login_required
@require_POST
def resident_reveal(request, person_id: int):
    """Show one person's sensitive values in full for a few minutes, for a stated reason."""
    resident = access_resident(request, person_id, provenance=True)
    if not request.user.may_reveal_personal_data:
        deny(request, "resident", person_id, details={"action": "reveal"})
    form = RevealForm(request.POST)
    if not form.is_valid():
        context = _profile_context(request, resident, _revealed(request, person_id))
        context["reveal_form"] = form
        return render(request, "residents/profile.html", context, status=400)
    do_reveal_resident(
        request, resident, reason=form.cleaned_data["reason"], acting_user=request.user
    )
    return redirect("residents:profile", person_id=person_id)


@login_required
def resident_item_history(request, person_id: int, code: str):
    """Every fact row that fed one item of one person, newest first."""
    resident = access_resident(request, person_id)
    try:
        item = dictionary.item(code)
    except KeyError:
        raise Http404 from None
    revealed_until = _revealed(request, person_id)
    revealed = revealed_until is not None
    record_event(
        EventType.VIEW,
        actor=request.user,
        request=request,
        object_type="resident",
        object_id=person_id,
        details={"item": code, "revealed": revealed},
    )
    plain = Plain()
    value, key = _resolved(resident, item, plain)
    facts = _load_facts(request.user, person_id, {code}).get(code, [])
    name = field_name(code)
    src = getattr(resident, f"{name}_src", None) if item.keep_provenance else None
    context = {
        "resident": resident,
        "header": _header(resident, plain, revealed),
        "item": item,
        "item_name": item.name_en if get_language() == "en" else item.name_zh,
        "value": _show(item, value, revealed),
        "source": registry.label(src) if src else None,
        "at": getattr(resident, f"{name}_at", None) if item.keep_provenance else None,
        "history": _history_rows(item, facts, key, revealed),
        "conflicts": _conflicts(item, facts, key, revealed),
        "revealed": revealed,
    }
    return render(request, "residents/item_history.html", context)


# -- data conflicts ---------------------------------------------------------------------

# What an activity after death was (`conflicts.activities`); a handling-log entry shows
# its matter as the log writes it.
ACTIVITY_LABELS = {
    "pension_paid": _("Pension paid for this month"),
    "certified": _("Pension qualification certified"),
    "insured": _("Insurance period started"),
    "card_issued": _("Social security card issued"),
    "registered": _("Employment or unemployment registration"),
    "assistance_approved": _("Social assistance approved"),
}
CONFLICTS_PAGE_SIZE = 20


def _conflict_fact(conflict: Conflict, fact: dict, revealed: bool) -> dict:
    """One fact of a conflict as the pages show it, masked like the item its date feeds."""
    code = fact.get("item") or conflict.item
    try:
        item = dictionary.item(code)
    except KeyError:
        item = dictionary.item(conflict.item)
    activity = fact.get("role") == "activity"
    what = fact.get("what")
    return {
        "activity": activity,
        "value": _show(item, fact.get("value"), revealed),
        "source": registry.label(fact.get("source", "")),
        "file_name": fact.get("file"),
        "row": fact.get("row"),
        "reported": fact.get("reported"),
        "what": ACTIVITY_LABELS.get(what, what) if activity else None,
        "shown": not activity and fact.get("value") == conflict.shown,
    }


def _conflict_view(conflict: Conflict, revealed: bool) -> dict:
    item = dictionary.item(conflict.item)
    facts = [_conflict_fact(conflict, f, revealed) for f in conflict.facts]
    return {
        "conflict": conflict,
        "kind": conflict.get_kind_display(),
        "item": item.name_en if get_language() == "en" else item.name_zh,
        "shown": _show(item, conflict.shown, revealed),
        "facts": facts,
        # what a list row names: the values that differ, or the activity after the death
        # (whose date the row shows as the archive's value)
        "listed": (
            [f for f in facts if f["activity"]]
            if conflict.kind == ConflictKind.ACTIVITY_AFTER_DEATH
            else facts
        ),
    }


@login_required
def conflict_list(request):
    """The data conflicts of the user's area (数据冲突): facts that disagree about a
    person, open ones by default, filterable by kind, each linking to the profile."""
    user = request.user
    conflicts = access_conflicts(request)
    status = request.GET.get("status", "")
    if status not in ConflictStatus.values:
        status = ConflictStatus.OPEN
    kind = request.GET.get("kind", "")
    if kind not in ConflictKind.values:
        kind = ""
    conflicts = conflicts.filter(status=status)
    counts = dict(
        conflicts.order_by().values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
    )
    kinds = [
        {"value": value, "label": label, "count": counts.get(value, 0)}
        for value, label in ConflictKind.choices
    ]
    rows = conflicts.filter(kind=kind) if kind else conflicts
    rows = rows.select_related("resident").only(
        "id",
        "item",
        "kind",
        "facts",
        "shown",
        "detected_at",
        "status",
        "resident__person_id",
        "resident__identity_name",
        "resident__identity_id_number",
        "resident__residence_community",
    )
    paginator = Paginator(rows.order_by("-detected_at", "-id"), CONFLICTS_PAGE_SIZE)
    # the counts per kind are the total: no COUNT(*) of the page's own
    paginator.count = counts.get(kind, 0) if kind else sum(counts.values())
    page = paginator.get_page(request.GET.get("page"))
    plain = Plain()
    get = dictionary.item
    entries = []
    for conflict in page.object_list:
        r = conflict.resident
        entries.append(
            {
                **_conflict_view(conflict, False),
                "person_id": r.person_id,
                "name": _show(get("identity.name"), r.identity_name, False),
                "id_number": _show(get("identity.id_number"), plain(r.identity_id_number), False),
                "community": r.residence_community,
            }
        )
    if entries:
        record_event(
            EventType.VIEW,
            actor=user,
            request=request,
            object_type="conflict_list",
            details={
                "kind": kind,
                "status": status,
                "results": paginator.count,
                "page": page.number,
                "persons": [e["person_id"] for e in entries],
            },
        )
    context = {
        "page": page,
        "rows": entries,
        "kinds": kinds,
        "kind": kind,
        "status": status,
        "statuses": ConflictStatus.choices,
        "total": sum(counts.values()),
        "query": urlencode({k: v for k, v in (("kind", kind), ("status", status)) if v}),
    }
    return render(request, "residents/conflicts.html", context)
