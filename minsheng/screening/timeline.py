"""A resident's service trajectory (服务轨迹): dated events from the department facts behind
the archive, newest first, for the portrait on the profile page.

Only what a clerk needs to see what happened when: matters and results, registrations,
issue and approval dates. No ID, card or certificate numbers, no amounts, no disability
type or grade (those are sensitive in the dictionary and masked on the page).

An event still tells what its source holds: a 低保 approval says assistance.dibao is true, a
disability certificate disability.disabled. Every event carries in `reveals` the dictionary
items it shows: its reader's (`REVEALS`), and for a 免申即享 event or a handling-log matter
naming a policy, the items of that policy's rule (a 城乡居民养老保险代缴 delivery says the
person is 低保, 特困 or severely disabled). The portrait shows an event whose items are
sensitive only to whoever sees those values unmasked (screening.receivers).
"""

from __future__ import annotations

import importlib
import logging
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from minsheng.catalogue import registry
from minsheng.sources.models import fact_model

from .rulelang import RuleError, compile_rule

log = logging.getLogger(__name__)

# Newest rows per source: enough for a trajectory; a person with thousands of handling
# records must not make the page slow.
ROWS_PER_SOURCE = 200


def _day(value) -> date | None:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _join(*parts) -> str:
    return " · ".join(str(p) for p in parts if p not in (None, ""))


def _rows(source: str, person_id: int, fields: list[str], user=None):
    qs = fact_model(source).objects.all()
    if user is not None:
        qs = qs.visible_to(user)
    return (
        qs.filter(person_id=person_id)
        .order_by("-loaded_at", "-row")
        .values(*fields)[:ROWS_PER_SOURCE]
    )


def _handling(pid, user):
    for r in _rows(
        "rs_handling_log", pid, ["matter", "accepted_at", "handled_at", "office", "result"], user
    ):
        handled = _day(r["handled_at"])
        accepted = _day(r["accepted_at"])
        if handled:
            yield (
                handled,
                "handled",
                r["matter"] or _("Service handled"),
                _join(r["result"], r["office"]),
            )
        elif accepted:
            yield (
                accepted,
                "applied",
                r["matter"] or _("Application"),
                _join(r["result"], r["office"]),
            )


def _pension(pid, user):
    fields = ["pension_type", "pension_start", "last_certification_date", "certification_method"]
    for r in _rows("rs_pension", pid, fields, user):
        if r["pension_start"]:
            yield r["pension_start"], "pension", _("Pension started"), r["pension_type"] or ""
        if r["last_certification_date"]:
            yield (
                r["last_certification_date"],
                "certification",
                _("Qualification certified"),
                r["certification_method"] or "",
            )


def _employment(pid, user):
    fields = [
        "registration_type_code",
        "registration_date",
        "unemployment_reason",
        "employment_form",
        "employer",
    ]
    for r in _rows("rs_employment", pid, fields, user):
        if not r["registration_date"]:
            continue
        if r["registration_type_code"] == "U":
            yield (
                r["registration_date"],
                "unemployment",
                _("Unemployment registered"),
                r["unemployment_reason"] or "",
            )
        else:
            yield (
                r["registration_date"],
                "employment",
                _("Employment registered"),
                _join(r["employment_form"], r["employer"]),
            )


def _insurance(pid, user):
    for r in _rows("rs_insurance", pid, ["first_insured_date", "scheme_name"], user):
        if r["first_insured_date"]:
            yield (
                r["first_insured_date"],
                "insured",
                _("Insured for the first time"),
                (r["scheme_name"] or ""),
            )


def _card(pid, user):
    for r in _rows("sbk_card", pid, ["issue_date", "generation", "card_status"], user):
        if r["issue_date"]:
            yield (
                r["issue_date"],
                "card",
                _("Social security card issued"),
                _join(r["generation"], r["card_status"]),
            )


def _assistance(pid, user):
    fields = ["assistance_type", "approval_date", "stop_date"]
    for r in _rows("mz_assistance", pid, fields, user):
        if r["approval_date"]:
            yield (
                r["approval_date"],
                "assistance",
                _("Assistance approved"),
                (r["assistance_type"] or ""),
            )
        if r["stop_date"]:
            yield (
                r["stop_date"],
                "assistance",
                _("Assistance stopped"),
                (r["assistance_type"] or ""),
            )


def _graduation(pid, user):
    for r in _rows("edu_graduates", pid, ["graduation_date", "school", "major", "level"], user):
        if r["graduation_date"]:
            yield (
                r["graduation_date"],
                "graduation",
                _("Graduated"),
                _join(r["school"], r["major"], r["level"]),
            )


def _veteran(pid, user):
    for r in _rows("va_veterans", pid, ["discharge_date", "resettlement"], user):
        if r["discharge_date"]:
            yield (
                r["discharge_date"],
                "discharge",
                _("Discharged from the armed forces"),
                (r["resettlement"] or ""),
            )


def _disability(pid, user):
    for r in _rows("cl_disability", pid, ["issue_date"], user):
        if r["issue_date"]:
            yield r["issue_date"], "disability", _("Disability certificate issued"), ""


# Source → the dictionary items an event read from it shows (the event's existence and the
# fields it prints). Handling-log matters and benefit events add their policy's items.
REVEALS: dict[str, frozenset[str]] = {
    "grid_collect": frozenset(
        {
            "residence.last_collected_date",
            "insurance.willingness",
            "unemployment.job_seeker",
            "unemployment.willingness",
            "education.training_willingness",
            "benefits.certification_method",
            "benefits.last_certification_date",
            "identity.death_date",
        }
    ),
    "rs_handling_log": frozenset(),
    "rs_pension": frozenset(
        {
            "benefits.pension_type",
            "benefits.pension_start",
            "benefits.last_certification_date",
            "benefits.certification_method",
        }
    ),
    "rs_employment": frozenset(
        {
            "unemployment.registered",
            "unemployment.registration_date",
            "unemployment.reason",
            "employment.form",
            "employment.employer",
        }
    ),
    "rs_insurance": frozenset({"insurance.employee_pension_first_date"}),
    "sbk_card": frozenset({"card.has_card", "card.issue_date", "card.generation", "card.status"}),
    "mz_assistance": frozenset(
        {
            "assistance.dibao",
            "assistance.tekun",
            "assistance.dibao_edge",
            "assistance.status",
            "assistance.start_date",
        }
    ),
    "edu_graduates": frozenset(
        {
            "education.graduation_date",
            "education.school",
            "education.major",
            "education.level",
        }
    ),
    "va_veterans": frozenset(
        {"veterans.veteran", "veterans.discharge_date", "veterans.resettlement"}
    ),
    "cl_disability": frozenset({"disability.disabled"}),
}
# An event of the benefits module naming no known policy: it may show anything a policy
# reads, so it is treated as showing an item the dictionary does not know (masked).
UNATTRIBUTED = "benefits.unattributed_event"

# The grid task types (minsheng.grid.models.TaskKind, the same msgids), by their codes in
# the 网格采集 facts; the timeline sits below the grid app.
GRID_TASKS = {
    "insurance_willingness": gettext_lazy("Insurance willingness"),
    "job_seeker": gettext_lazy("Job-seeker registration"),
    "training_willingness": gettext_lazy("Training willingness"),
    "certification": gettext_lazy("Door-to-door certification"),
    "home_service": gettext_lazy("Home service"),
    "death_report": gettext_lazy("Death report"),
    "verify": gettext_lazy("Record check"),
    "info_update": gettext_lazy("Information update"),
}
# what a grid visit's detail may say: labels of low-sensitivity items only (no phone,
# address, income band or marital status)
GRID_DETAIL = (
    "insurance_willingness",
    "job_seeker",
    "employment_willingness",
    "training_willingness",
    "certification_method",
)


def _collected(pid, user):
    fields = ["task_kind", "collected_date", "worker", "outcome", "death_date", *GRID_DETAIL]
    for r in _rows("grid_collect", pid, fields, user):
        kind = r["task_kind"]
        detail = [
            f"{registry.GRID_COLLECT.column(c).headers[0]}：{r[c]}" for c in GRID_DETAIL if r[c]
        ]
        if r["death_date"]:
            detail.append(_("Reported death on %(date)s") % {"date": r["death_date"]})
        yield (
            r["collected_date"],
            "grid_visit",
            _("Grid visit: %(task)s") % {"task": GRID_TASKS.get(kind, kind)},
            _join(*detail),
        )


READERS = {
    "grid_collect": _collected,
    "rs_handling_log": _handling,
    "rs_pension": _pension,
    "rs_employment": _employment,
    "rs_insurance": _insurance,
    "sbk_card": _card,
    "mz_assistance": _assistance,
    "edu_graduates": _graduation,
    "va_veterans": _veteran,
    "cl_disability": _disability,
}


_POLICY_ITEMS: list[tuple[tuple[str, ...], frozenset[str]]] = []


def _policy_items() -> list[tuple[tuple[str, ...], frozenset[str]]] | None:
    """[(names a policy goes by: its name and its benefit's kind, the items its rule
    reads)] for each 免申即享 policy, or None without the benefits module (then asked again
    next time: only a successful load is kept)."""
    if _POLICY_ITEMS:
        return _POLICY_ITEMS
    try:
        module = importlib.import_module("minsheng.benefits.policies")
        policies = module.policies()
    except (ImportError, ValueError):
        return None
    out = []
    for p in policies:
        try:
            items = compile_rule(p.rule_text(), pg=False, as_of=date(2000, 1, 1), rule=p.code).items
        except (RuleError, KeyError, ValueError):
            items = frozenset({UNATTRIBUTED})
        names = tuple(n for n in (p.name_zh, getattr(p, "benefit_kind", "")) if n)
        out.append((names, items))
    _POLICY_ITEMS[:] = out
    return _POLICY_ITEMS


def policy_reveals(text: str, *, unattributed: frozenset[str] = frozenset()) -> frozenset[str]:
    """The items of every policy that `text` (an event's title) names; `unattributed` when
    it names none."""
    policies = _policy_items()
    if policies is None:
        return unattributed
    found = [items for names, items in policies if any(n in text for n in names)]
    return frozenset().union(*found) if found else unattributed


def _benefit_events(person_id: int) -> list[dict]:
    # minsheng.benefits is written in parallel and may not exist yet; the portrait must
    # work without it.
    try:
        module = importlib.import_module("minsheng.benefits.timeline")
    except ImportError:
        return []
    out = []
    for e in module.events_for(person_id):
        when = _day(e.get("date"))
        if when is None:
            continue
        out.append(
            {
                "date": when,
                "kind": e.get("kind", "benefit"),
                "title": str(e.get("title", "")),
                "detail": str(e.get("detail", "") or ""),
                "source": e.get("source", "benefits"),
                "source_label": e.get("source_label", _("Benefits")),
                "reveals": policy_reveals(
                    str(e.get("title", "")), unattributed=frozenset({UNATTRIBUTED})
                ),
            }
        )
    return out


def service_events(person_id: int, user=None) -> list[dict]:
    """[{date, kind, title, detail, source, source_label, reveals}] newest first: one query
    per source at most. With `user`, only facts that user may see (area scope). `reveals`
    names the dictionary items the event shows (see the module docstring)."""
    seen = set()
    events = []
    for source, read in READERS.items():
        for when, kind, title, detail in read(person_id, user):
            when = _day(when)
            key = (when, kind, str(title), detail)
            # The same fact arrives again in every monthly export; show it once.
            if when is None or key in seen:
                continue
            seen.add(key)
            events.append(
                {
                    "date": when,
                    "kind": kind,
                    "title": str(title),
                    "detail": detail,
                    "source": source,
                    "source_label": registry.label(source),
                    "reveals": REVEALS[source]
                    | (policy_reveals(str(title)) if source == "rs_handling_log" else frozenset()),
                }
            )
    events += _benefit_events(person_id)
    events.sort(key=lambda e: (e["date"], e["kind"]), reverse=True)
    return events
