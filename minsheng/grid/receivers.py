"""The grid app's part in other apps' steps."""

from __future__ import annotations

from django.dispatch import receiver

from minsheng.pipeline.signals import grid_tasks_requested

from .actions import Dispatched, do_dispatch_requests


@receiver(grid_tasks_requested)
def dispatch_requested(sender, *, requests, acting_user, **kwargs) -> Dispatched:
    return do_dispatch_requests(requests, acting_user=acting_user)
