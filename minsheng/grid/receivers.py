"""The grid app's part in other apps' steps."""

from __future__ import annotations

from django.dispatch import receiver

from minsheng.pipeline.signals import grid_tasks_requested, worker_starting

from .actions import Dispatched, do_dispatch_requests
from .jobs import schedule_daily


@receiver(grid_tasks_requested)
def dispatch_requested(sender, *, requests, acting_user, **kwargs) -> Dispatched:
    return do_dispatch_requests(requests, acting_user=acting_user)


@receiver(worker_starting)
def schedule_due_pass(sender, **kwargs) -> None:
    schedule_daily()
