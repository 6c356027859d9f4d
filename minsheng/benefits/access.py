"""The doors to the 免申即享 policies and their runs: the city bureau's business staff only
(403 otherwise); an unknown policy or run is a 404. Every refusal is audited."""

from __future__ import annotations

from minsheng.audit.actions import deny

from . import policies as catalogue
from .models import PolicyRun


def may_run_policies(user) -> bool:
    return bool(user.is_authenticated and user.is_city_staff)


def access_policies(request, object_type: str = "policy_list", object_id: object = "") -> None:
    if not may_run_policies(request.user):
        deny(request, object_type, object_id)


def access_policy(request, code: str) -> catalogue.Policy:
    access_policies(request, "policy", code)
    try:
        return catalogue.policy(code)
    except KeyError:
        deny(request, "policy", code, not_found=True)


def access_run(request, pk: int) -> PolicyRun:
    access_policies(request, "policy_run", pk)
    run = PolicyRun.objects.filter(pk=pk).select_related("proposed_by", "approved_by").first()
    if run is None:
        deny(request, "policy_run", pk, not_found=True)
    return run
