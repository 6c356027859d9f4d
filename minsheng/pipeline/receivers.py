"""Receivers of the lower apps' signals: the steps that run after their changes."""

from __future__ import annotations

from django.dispatch import receiver

from minsheng.sources.signals import persons_relinked, upload_received

from .actions import refresh_persons
from .jobs import start_import


@receiver(persons_relinked)
def refresh_relinked(sender, *, person_ids: list[int], acting_user, **kwargs) -> None:
    # Inside the clerk's decision: the archive shows the decision exactly when it commits.
    refresh_persons(person_ids)


@receiver(upload_received)
def import_upload(sender, *, token, path, source, user_id, language, **kwargs) -> None:
    start_import(token, path, source, user_id, language)
