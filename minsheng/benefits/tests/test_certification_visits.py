"""Door-to-door certification requested from the roll: a grid task for every recipient due
or overdue who is aged 80+ or severely disabled, through `grid_visits_requested`."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from minsheng.audit.models import AuditEvent
from minsheng.benefits.actions.visits import do_request_certification_visits
from minsheng.benefits.models import BenefitKind, BenefitStatus
from minsheng.benefits.tests.test_roll_pages import benefit  # noqa: F401 (a fixture)
from minsheng.grid.models import GridTask, Origin

ON = date(2026, 11, 20)


def certified(days_ago: int) -> date:
    return ON - timedelta(days=days_ago)


def test_it_asks_the_grid_to_visit_the_very_old_and_the_severely_disabled(
    cast,
    benefit,  # noqa: F811
):
    # given recipients due or overdue: aged 85, severely disabled at 66, aged 62; an 85-year-old
    # certified recently; an 85-year-old whose pension is stopped; an unemployed 81-year-old
    old = benefit(name="陈老", age=85, certified_on=certified(400))
    disabled = benefit(name="林弱", age=66, certified_on=certified(340), disability_severe=True)
    benefit(name="林青", age=62, certified_on=certified(400))
    benefit(name="何安", age=85, certified_on=certified(100))
    benefit(name="吕停", age=85, certified_on=certified(400), status=BenefitStatus.STOPPED)
    benefit(BenefitKind.UNEMPLOYMENT, name="施业", age=81, reference="", certified_on=None)
    # when city staff request the visits
    counts = do_request_certification_visits(ON, acting_user=cast["city_staff"])
    # then the first two, and only they, get a certification task in their grid
    tasks = {t.person_id: t for t in GridTask.objects.all()}
    assert set(tasks) == {old.person_id, disabled.person_id}
    t = tasks[old.person_id]
    assert t.kind == "certification" and t.origin == Origin.ROLL
    assert t.origin_ref == "certify:2026-11-20" and t.reason.startswith("待遇资格认证")
    assert t.grid_code == old.grid_code
    assert counts["created"] == 2
    # and the request is one audit event of the roll (the grid records its dispatch)
    event = AuditEvent.objects.get(object_type="certification")
    assert event.details["step"] == "visits" and event.details["created"] == 2


def test_it_opens_no_second_visit(cast, benefit):  # noqa: F811
    benefit(name="陈老", age=85, certified_on=certified(400))
    do_request_certification_visits(ON, acting_user=cast["city_staff"])
    again = do_request_certification_visits(ON, acting_user=cast["city_staff"])
    assert again["created"] == 0 and again["already_open"] == 1
    assert GridTask.objects.count() == 1


@pytest.mark.parametrize("who", ["clerk", "viewer", "grid_worker", "supervision"])
def test_it_refuses_everyone_but_city_staff(cast, benefit, who):  # noqa: F811
    benefit(name="陈老", age=85, certified_on=certified(400))
    with pytest.raises(PermissionDenied):
        do_request_certification_visits(ON, acting_user=cast[who])
    assert not GridTask.objects.exists()
    assert not AuditEvent.objects.filter(object_type="certification").exists()
