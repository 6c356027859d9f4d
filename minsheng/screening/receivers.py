"""Screening's part of pages owned by lower apps."""

from __future__ import annotations

from django.dispatch import receiver

from minsheng.residents.signals import profile_portrait

from . import tags
from .timeline import service_events


@receiver(profile_portrait)
def portrait_tags_and_trajectory(sender, *, resident, user, revealed: bool, **kwargs) -> dict:
    """The portrait's tags and service trajectory, masked as the profile masks the items
    they derive from: a tag or event showing a sensitive item (低保, 残疾人 …) is left out
    unless this user sees those values unmasked (`revealed`: the page's own answer, from the
    reveal grant of this session)."""
    person_tags = tags.person_tags(resident.person_id)
    events = service_events(resident.person_id, user)
    computed_at = max((t.computed_at for t in person_tags), default=None)
    if not (revealed and getattr(user, "may_reveal_personal_data", False)):
        person_tags = [t for t in person_tags if not t.reveals]
        events = [e for e in events if not tags.sensitive_items(e.get("reveals", ()))]
    return {
        "tag_groups": tags.grouped(person_tags),
        "tags_computed_at": computed_at,
        "events": events,
    }
