"""Changes made through the archive's pages: the reveal grant (查询事由)."""

from __future__ import annotations

import time

from django.core.exceptions import PermissionDenied
from django.db import transaction

from minsheng.audit.actions import record_event
from minsheng.audit.models import EventType

from .models import Resident

# A reveal shows one person's sensitive values in full for a few minutes, then masks again.
REVEAL_MINUTES = 10
REVEAL_SESSION_KEY = "residents_reveal"


def do_reveal_resident(request, resident: Resident, *, reason: str, acting_user) -> float:
    """Grant `acting_user` the full values of `resident` in this session for REVEAL_MINUTES,
    for a stated reason, with its audit event. Returns the grant's end (epoch seconds)."""
    if not acting_user.may_reveal_personal_data:
        raise PermissionDenied
    if not reason.strip():
        raise ValueError("a reveal needs a stated reason")
    until = time.time() + REVEAL_MINUTES * 60
    with transaction.atomic():
        record_event(
            EventType.VIEW,
            actor=acting_user,
            request=request,
            object_type="resident",
            object_id=resident.person_id,
            reason=reason,
            details={"action": "reveal", "minutes": REVEAL_MINUTES},
        )
        grants = dict(request.session.get(REVEAL_SESSION_KEY, {}))
        grants[str(resident.person_id)] = until
        request.session[REVEAL_SESSION_KEY] = grants
    return until
