"""Screening's part of pages owned by lower apps."""

from __future__ import annotations

from django.dispatch import receiver

from minsheng.residents.signals import profile_portrait

from . import tags
from .timeline import service_events


@receiver(profile_portrait)
def portrait_tags_and_trajectory(sender, *, resident, user, **kwargs) -> dict:
    person_tags = tags.person_tags(resident.person_id)
    return {
        "tag_groups": tags.grouped(person_tags),
        "tags_computed_at": max((t.computed_at for t in person_tags), default=None),
        "events": service_events(resident.person_id, user),
    }
