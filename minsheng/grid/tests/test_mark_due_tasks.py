"""The daily pass: reminders before the due date, overdue marked (`do_mark_due_tasks`, the
`mark_due_tasks` job that schedules its own next run)."""

from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ..actions import do_create_task, do_mark_due_tasks
from ..jobs import mark_due_tasks, next_run, schedule_daily
from ..models import GridTask, TaskKind

pytestmark = pytest.mark.django_db


def test_it_reminds_once_and_marks_overdue_once(cast, residents):
    today = timezone.localdate()
    for p, days in ((residents["wang"], 1), (residents["zhao"], 10), (residents["sun"], 3)):
        do_create_task(
            p.pk,
            kind=TaskKind.VERIFY,
            reason="t",
            due=today + timedelta(days=days),
            acting_user=cast["city_staff"],
        )
    assert do_mark_due_tasks(today=today) == {"reminded": 1, "overdue": 0}
    assert do_mark_due_tasks(today=today) == {"reminded": 0, "overdue": 0}
    later = today + timedelta(days=8)
    # 赵强's (due in 10) is within 2 days of it; 王芳's and 孙丽's are past due
    assert do_mark_due_tasks(today=later) == {"reminded": 1, "overdue": 2}
    wang = GridTask.objects.get(person=residents["wang"])
    assert wang.reminded_at and wang.overdue_at


def test_it_runs_at_six_the_next_morning():
    tz = timezone.get_current_timezone()
    evening = timezone.make_aware(datetime(2026, 12, 1, 20, 0), tz)
    morning = timezone.make_aware(datetime(2026, 12, 2, 5, 0), tz)
    assert timezone.localtime(next_run(evening)) == timezone.make_aware(
        datetime(2026, 12, 2, 6), tz
    )
    assert timezone.localtime(next_run(morning)) == timezone.make_aware(
        datetime(2026, 12, 2, 6), tz
    )


def test_it_keeps_one_pass_waiting_and_schedules_the_next(cast, residents):
    assert schedule_daily() and not schedule_daily()
    assert DBTaskResult.objects.filter(task_path=mark_due_tasks.module_path).count() == 1
    # the job, run now, marks and queues tomorrow's pass
    DBTaskResult.objects.all().delete()
    counts = mark_due_tasks.call()
    assert counts == {"reminded": 0, "overdue": 0}
    waiting = DBTaskResult.objects.get(task_path=mark_due_tasks.module_path)
    assert waiting.run_after > timezone.now()


@pytest.mark.django_db(transaction=True)
def test_the_worker_schedules_it_when_it_starts(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("worker", "--batch", verbosity=0)
    assert DBTaskResult.objects.filter(
        task_path=mark_due_tasks.module_path, status="READY"
    ).exists()
