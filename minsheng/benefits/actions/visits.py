"""Door-to-door survival certification (上门认证): the recipients due within the window or
overdue who cannot easily come to a window or be certified silently — aged 80 or more, or
severely disabled — get a 待遇资格认证 task from the grid worker of their grid.

The roll does not import the grid app: it sends `pipeline.signals.grid_visits_requested`
with the SQL that selects the people, and the grid app dispatches them in the same
transaction (one task per person; one already open is not doubled).
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from minsheng.audit.actions import record_event
from minsheng.audit.models import EventType
from minsheng.pipeline.signals import grid_visits_requested
from minsheng.residents import archive

from .. import roll
from ..models import Benefit, BenefitStatus

__all__ = ["VISIT_AGE", "do_request_certification_visits", "visit_people_sql"]

VISIT_AGE = 80
TASK_KIND = "certification"  # grid.models.TaskKind.CERTIFICATION (the grid app is not imported)


def visit_people_sql(on: date) -> tuple[str, list]:
    """(sql, params): one `person_id` column, each recipient of a certified kind (paying or
    suspended) due within `roll.DUE_WITHIN_DAYS` days of `on` or overdue, or never
    certified, who is aged VISIT_AGE or more or severely disabled by the archive."""
    b = Benefit._meta.db_table
    sql = (
        f"SELECT DISTINCT b.person_id AS person_id FROM {b} b "
        f"JOIN {roll.R} r ON r.person_id = b.person_id "
        f"WHERE b.kind IN ({roll.CERTIFIED}) AND b.status IN (%s, %s) "
        f"AND (b.certified_on IS NULL OR b.certified_on <= %s) "
        f"AND (r.identity_age >= %s OR r.disability_severe = {archive.true()})"
    )
    params = [
        BenefitStatus.PAYING.value,
        BenefitStatus.SUSPENDED.value,
        roll._day(roll.certified_through(on)),
        VISIT_AGE,
    ]
    return sql, params


def do_request_certification_visits(on: date, *, acting_user, request=None) -> dict[str, int]:
    """Ask the grid for a door-to-door certification of everyone `visit_people_sql(on)`
    selects. City staff only. Returns the grid app's counts (created, already_open, …)."""
    if acting_user is None or not (acting_user.is_active and acting_user.is_city_staff):
        raise PermissionDenied(_("Only city bureau staff may request certification visits."))
    sql, params = visit_people_sql(on)
    with transaction.atomic():
        answers = grid_visits_requested.send(
            sender=Benefit,
            people_sql=sql,
            params=params,
            kind=TASK_KIND,
            reason=f"待遇资格认证：{VISIT_AGE} 岁以上或重度残疾的领取人上门认证（{on:%Y-%m-%d}）",
            ref=f"certify:{on.isoformat()}",
            acting_user=acting_user,
        )
        counts: dict[str, int] = {}
        for _receiver, answer in answers:
            as_dict = getattr(answer, "as_dict", None)
            if as_dict is not None:
                counts = as_dict()
        record_event(
            EventType.CHANGE,
            actor=acting_user,
            request=request,
            object_type="certification",
            object_id="",
            details={"step": "visits", "on": on.isoformat(), **counts},
        )
    return counts
