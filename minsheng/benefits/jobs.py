"""Background work of the benefit roll, as jobs of the database task queue (django-tasks),
run by `minsheng worker` (see `minsheng.pipeline.jobs` for the queue's life cycle).

    run_payroll   the payment run of one month; safe to repeat: the run of a month is
                  found again and only the payment lines it lacks are added, so a worker
                  killed mid-run and requeued pays no one twice
"""

from __future__ import annotations

from django.db import transaction
from django_tasks import TaskResult, task

from minsheng.accounts.models import User

from .actions.roll import do_run_payroll


def _user(user_id: int | None) -> User | None:
    return User.objects.get(pk=user_id) if user_id is not None else None


@task
def run_payroll(month: int, user_id: int | None = None) -> int:
    """The payment run of `month` (a month index, `lib.benefit_rules.month_index`) as
    `user_id` (None: the system); returns the run's id."""
    return do_run_payroll(month, acting_user=_user(user_id)).pk


def enqueue_payroll(month: int, user_id: int | None = None) -> TaskResult:
    """Queue the payment run of `month`. The right to start it is checked when it runs (the
    action refuses anyone but city staff) and should be checked by the caller first."""
    with transaction.atomic():
        return run_payroll.enqueue(month=month, user_id=user_id)
