"""Receivers of the lower apps' signals: the steps that run after their changes."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.dispatch import receiver

from minsheng.sources.signals import persons_relinked, reapply_requested, upload_received

from .actions import refresh_persons
from .jobs import enqueue_import, enqueue_reapply


@receiver(persons_relinked)
def refresh_relinked(sender, *, person_ids: list[int], acting_user, **kwargs) -> None:
    # Inside the clerk's decision: the archive shows the decision exactly when it commits.
    refresh_persons(person_ids)


@receiver(upload_received)
def import_upload(sender, *, token, path, source, user_id, language, **kwargs) -> None:
    # Queued once the request's transaction commits (at once outside one): a request that
    # rolls back leaves no job behind.
    transaction.on_commit(partial(enqueue_import, token, path, source, user_id, language))


@receiver(reapply_requested)
def reapply_mappings(sender, *, token, batch_id, user_id, language, **kwargs) -> None:
    # As an upload: queued once the request commits.
    transaction.on_commit(partial(enqueue_reapply, token, batch_id, user_id, language))
