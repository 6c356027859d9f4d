"""Visits another app asks for through `grid_visits_requested` (the benefit roll's
door-to-door certifications): one task per selected person, in the person's grid."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from minsheng.audit.models import AuditEvent
from minsheng.pipeline.signals import grid_visits_requested

from ..actions import Dispatched, do_dispatch_persons
from ..models import GridTask, Origin, TaskKind

pytestmark = pytest.mark.django_db

PEOPLE = "SELECT id AS person_id FROM residents_person WHERE id IN (%s, %s)"


def test_it_dispatches_what_the_signal_selects(cast, areas, residents):
    city = cast["city_staff"]
    wang, qian = residents["wang"], residents["qian"]
    answers = grid_visits_requested.send(
        sender=None,
        people_sql=PEOPLE,
        params=[wang.pk, qian.pk],
        kind=TaskKind.CERTIFICATION,
        reason="待遇资格认证：80 岁以上上门认证",
        ref="certify:2026-11",
        acting_user=city,
    )
    done = next(a for _r, a in answers if isinstance(a, Dispatched))
    assert done.created == 2
    tasks = {t.person_id: t for t in GridTask.objects.all()}
    assert set(tasks) == {wang.pk, qian.pk}
    t = tasks[wang.pk]
    assert t.kind == TaskKind.CERTIFICATION and t.origin == Origin.ROLL
    assert t.origin_ref == "certify:2026-11" and t.reason.startswith("待遇资格认证")
    assert t.grid_code == areas["grids"]["qingquan1"].code
    event = AuditEvent.objects.filter(object_type="grid_tasks").latest("seq")
    assert event.object_id == Origin.ROLL and event.details["created"] == 2


def test_it_never_opens_a_second_visit_for_the_same_person(cast, residents):
    city, wang = cast["city_staff"], residents["wang"]
    args = dict(kind=TaskKind.CERTIFICATION, reason="认证", ref="certify:1", acting_user=city)
    do_dispatch_persons(PEOPLE, [wang.pk, wang.pk], **args)
    again = do_dispatch_persons(PEOPLE, [wang.pk, wang.pk], **args)
    assert again.created == 0 and again.already_open == 1
    assert GridTask.objects.count() == 1


def test_it_refuses_an_unknown_kind_and_a_grid_worker(cast, residents):
    wang = residents["wang"]
    with pytest.raises(ValidationError):
        do_dispatch_persons(
            PEOPLE,
            [wang.pk, wang.pk],
            kind="lottery",
            reason="x",
            ref="r",
            acting_user=cast["city_staff"],
        )
    with pytest.raises(PermissionDenied):
        do_dispatch_persons(
            PEOPLE,
            [wang.pk, wang.pk],
            kind=TaskKind.CERTIFICATION,
            reason="x",
            ref="r",
            acting_user=cast["grid_worker"],
        )
    assert not GridTask.objects.exists()
