"""The doors to the death cases, the decisions awaiting a second person and the recoveries.

City staff, the clerks and the read-only users see them, each within their area (the
models' `objects.visible_to(user)`); grid workers, the supervision centre and the three
administrators are refused (403). Another area's case, decision or recovery looks
nonexistent (404). Every refusal is audited. Who may change what is the actions' business
(`actions.deaths.may_propose`, `may_approve`); the views ask them before acting.
"""

from __future__ import annotations

from django.db.models import Q

from minsheng.accounts.roles import CITY_STAFF, Role
from minsheng.audit.actions import deny

from .models import Benefit, DeathCase, Decision, Recovery

READERS = CITY_STAFF | {
    Role.DISTRICT_CLERK,
    Role.STREET_CLERK,
    Role.COMMUNITY_CLERK,
    Role.VIEWER,
}


def may_read(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and user.role in READERS
        and user.area is not None
        and user.may_see_personal_data
    )


def access_deaths(request, object_type: str = "death_cases", object_id: object = "") -> None:
    """403 (audited) for whoever may not see death handling at all."""
    if not may_read(request.user):
        deny(request, object_type, object_id)


def cases(request):
    access_deaths(request)
    return DeathCase.objects.visible_to(request.user)


def recoveries(request):
    access_deaths(request, "recoveries")
    return Recovery.objects.visible_to(request.user)


def decisions(request):
    """The decisions whose subject (a benefit, a death case, a recovery) lies in the user's
    area. A decision carries no area codes of its own: the subject's decide, through the
    subjects' own scoping."""
    access_deaths(request, "decisions")
    user = request.user
    if user.area.level == "city":
        return Decision.objects.all()
    return Decision.objects.filter(
        Q(benefit__in=Benefit.objects.visible_to(user).values("pk"))
        | Q(case__in=DeathCase.objects.visible_to(user).values("pk"))
        | Q(recovery__in=Recovery.objects.visible_to(user).values("pk"))
    )


def access_case(request, pk: int) -> DeathCase:
    case = cases(request).filter(pk=pk).select_related("person", "proposed_by", "approved_by")
    case = case.first()
    if case is None:
        deny(request, "death_case", pk, not_found=True)
    return case


def access_decision(request, pk: int) -> Decision:
    decision = (
        decisions(request)
        .filter(pk=pk)
        .select_related("benefit", "case", "recovery", "proposed_by")
        .first()
    )
    if decision is None:
        deny(request, "decision", pk, not_found=True)
    return decision


def access_recovery(request, pk: int) -> Recovery:
    recovery = recoveries(request).filter(pk=pk).select_related("person", "benefit", "case").first()
    if recovery is None:
        deny(request, "recovery", pk, not_found=True)
    return recovery
