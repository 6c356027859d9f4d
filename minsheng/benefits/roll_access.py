"""The doors to the benefit roll's pages.

The roll and the certification list: city staff, the district / street / community clerks
and the read-only users, each over their area (`Benefit.objects.visible_to`); grid workers,
the supervision centre and the three administrators are refused (403). One benefit outside
the user's area looks nonexistent (404). The payment runs and the bank's file: city staff
only. Every refusal is an audited DENIED event (`audit.actions.deny`).
"""

from __future__ import annotations

from minsheng.accounts.roles import CITY_STAFF, Role
from minsheng.audit.actions import deny

from .models import Benefit, PayrollRun

ROLL_READERS = CITY_STAFF | {
    Role.DISTRICT_CLERK,
    Role.STREET_CLERK,
    Role.COMMUNITY_CLERK,
    Role.VIEWER,
}


def may_read_roll(user) -> bool:
    return bool(user.is_authenticated and user.role in ROLL_READERS and user.area is not None)


def may_run_payroll(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_city_staff)


def access_roll(request, object_type: str = "benefit_roll", object_id: object = ""):
    """The benefits of the user's area (403 for who may not read the roll)."""
    if not may_read_roll(request.user):
        deny(request, object_type, object_id)
    return Benefit.objects.visible_to(request.user)


def access_benefit(request, pk: int, object_type: str = "benefit") -> Benefit:
    """One benefit of the user's area: 403 for who may not read the roll, 404 outside the
    area (or unknown)."""
    benefit = access_roll(request, object_type, pk).filter(pk=pk).select_related("person").first()
    if benefit is None:
        deny(request, object_type, pk, not_found=True)
    return benefit


def access_writable_benefit(request, pk: int, object_type: str = "benefit") -> Benefit:
    """A benefit a POST may act on: as `access_benefit`, and 403 for a read-only user."""
    benefit = access_benefit(request, pk, object_type)
    if request.user.is_read_only:
        deny(request, object_type, pk)
    return benefit


def access_payroll(request, object_type: str = "payroll", object_id: object = "") -> None:
    """The payment runs, the silent certification and the visits: city staff only."""
    if not may_run_payroll(request.user):
        deny(request, object_type, object_id)


def access_payroll_run(request, pk: int, object_type: str = "payroll_run") -> PayrollRun:
    access_payroll(request, object_type, pk)
    run = PayrollRun.objects.filter(pk=pk).select_related("started_by").first()
    if run is None:
        deny(request, object_type, pk, not_found=True)
    return run
