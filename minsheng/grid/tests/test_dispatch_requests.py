"""A 免申即享 delivery's grid-task requests become tasks (through the pipeline's signal)."""

from datetime import date

import pytest

from minsheng.benefits import actions
from minsheng.benefits.models import GridTaskRequest
from minsheng.benefits.tests.conftest import batch, resident, second_staff  # noqa: F401
from minsheng.benefits.tests.test_actions import approved_run

from ..models import GridTask, Origin

pytestmark = pytest.mark.django_db


def test_it_turns_a_delivered_run_s_requests_into_tasks(cast, second_staff, resident):  # noqa: F811
    old = resident(
        age=85,
        benefits_pension_type="1",
        benefits_pension_payment_status="1",
        benefits_last_certification_date=date(2025, 3, 1),
    )
    run = approved_run("certification_door_to_door", cast["city_staff"], second_staff)
    actions.do_deliver_policy_run(run, acting_user=second_staff)
    request = GridTaskRequest.objects.get()
    assert request.status == "sent"
    task = GridTask.objects.get()
    assert (task.person_id, task.kind, task.grid_code, task.origin) == (
        old.pk,
        "certification",
        "150302001001001",
        Origin.POLICY,
    )
    assert task.origin_ref == f"run:{run.pk}/request:{request.pk}"
    # delivering again sends nothing twice
    actions.do_deliver_policy_run(run, acting_user=second_staff)
    assert GridTask.objects.count() == 1
