"""The grid app's background work: the daily pass over due tasks (reminders, overdue).

`mark_due_tasks` runs once a day at DAILY_AT (local time) and enqueues its own next run; the
worker schedules the first one when it starts (`schedule_daily`, through the pipeline's
`worker_starting` signal) unless one is waiting already. Safe to repeat: each task is
reminded and marked overdue once (`actions.do_mark_due_tasks`).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from .actions import do_mark_due_tasks

DAILY_AT = time(6, 0)


def next_run(now: datetime) -> datetime:
    """The next DAILY_AT after `now`, in the local time zone."""
    local = timezone.localtime(now)
    at = local.replace(hour=DAILY_AT.hour, minute=DAILY_AT.minute, second=0, microsecond=0)
    return at if at > local else at + timedelta(days=1)


@task
def mark_due_tasks() -> dict[str, int]:
    counts = do_mark_due_tasks()
    schedule_daily(after=timezone.now())
    return counts


def schedule_daily(*, after: datetime | None = None) -> bool:
    """Enqueue the next daily pass unless one is waiting; returns whether it enqueued."""
    path = mark_due_tasks.module_path
    with transaction.atomic():
        waiting = DBTaskResult.objects.filter(
            task_path=path, status=TaskResultStatus.READY
        ).exists()
        if waiting:
            return False
        mark_due_tasks.using(run_after=next_run(after or timezone.now())).enqueue()
    return True
