"""The grid app's part in other apps' steps."""

from __future__ import annotations

from django.dispatch import receiver
from django.utils.translation import gettext as _

from minsheng.pipeline.signals import (
    grid_tasks_requested,
    grid_visits_requested,
    person_died,
    worker_starting,
)

from .actions import Dispatched, do_cancel_task, do_dispatch_persons, do_dispatch_requests
from .jobs import schedule_daily
from .models import GridTask, TaskStatus


@receiver(grid_tasks_requested)
def dispatch_requested(sender, *, requests, acting_user, **kwargs) -> Dispatched:
    return do_dispatch_requests(requests, acting_user=acting_user)


@receiver(grid_visits_requested)
def dispatch_visits(
    sender, *, people_sql, params, kind, reason, ref, acting_user, **kw
) -> Dispatched:
    return do_dispatch_persons(
        people_sql, params, kind=kind, reason=reason, ref=ref, acting_user=acting_user
    )


@receiver(worker_starting)
def schedule_due_pass(sender, **kwargs) -> None:
    schedule_daily()


@receiver(person_died)
def cancel_tasks_of_the_dead(sender, *, person_ids, acting_user, **kwargs) -> int:
    """A confirmed death cancels the person's open tasks (each through `do_cancel_task`)."""
    open_tasks = GridTask.objects.filter(person_id__in=list(person_ids), status=TaskStatus.OPEN)
    tasks = list(open_tasks.order_by("pk"))
    for task in tasks:
        do_cancel_task(task, reason=_("The person has died."), acting_user=acting_user)
    return len(tasks)
