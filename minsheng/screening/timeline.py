"""A resident's service trajectory (服务轨迹): dated events from the department facts behind
the archive, newest first, for the portrait on the profile page.

Only what a clerk needs to see what happened when: matters and results, registrations,
issue and approval dates. No ID, card or certificate numbers, no amounts, no disability
type or grade (those are sensitive in the dictionary and masked on the page).
"""

from __future__ import annotations

import importlib
import logging
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from minsheng.catalogue import registry
from minsheng.sources.models import fact_model

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


READERS = {
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
            }
        )
    return out


def service_events(person_id: int, user=None) -> list[dict]:
    """[{date, kind, title, detail, source, source_label}] newest first: one query per
    source at most. With `user`, only facts that user may see (area scope)."""
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
                }
            )
    events += _benefit_events(person_id)
    events.sort(key=lambda e: (e["date"], e["kind"]), reverse=True)
    return events
