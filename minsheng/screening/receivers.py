"""Screening's part of pages owned by lower apps."""

from __future__ import annotations

from datetime import timedelta

from django.dispatch import receiver
from django.utils import timezone

from minsheng.audit.models import AuditEvent, EventType, Result
from minsheng.residents.signals import profile_portrait

from . import tags
from .timeline import service_events


def values_revealed(user, person_id: int) -> bool:
    """Whether `user` sees this person's sensitive values unmasked now: they may reveal and
    revealed them for a stated reason within the grant's minutes.

    The profile keeps the grant in the session, which a receiver of the portrait signal does
    not see; the audit trail holds the same grant (the reveal event with its reason and
    minutes), so it is read from there: the newest successful reveal of this person by this
    user, still running."""
    if not getattr(user, "may_reveal_personal_data", False):
        return False
    event = (
        AuditEvent.objects.filter(
            actor_id=user.pk,
            event_type=EventType.VIEW,
            object_type="resident",
            object_id=str(person_id),
            result=Result.SUCCESS,
            details__action="reveal",
        )
        .order_by("-seq")
        .values("created_at", "details")
        .first()
    )
    if event is None:
        return False
    try:
        minutes = float(event["details"].get("minutes", 0))
    except (TypeError, ValueError):
        return False
    return event["created_at"] + timedelta(minutes=minutes) > timezone.now()


@receiver(profile_portrait)
def portrait_tags_and_trajectory(sender, *, resident, user, revealed=None, **kwargs) -> dict:
    """The portrait's tags and service trajectory, masked as the profile masks the items
    they derive from: a tag or event showing a sensitive item (低保, 残疾人 …) is left out
    unless this user sees those values unmasked. `revealed`, when the sender passes it, is
    the page's own answer to that; otherwise the audit trail's grant decides."""
    person_tags = tags.person_tags(resident.person_id)
    events = service_events(resident.person_id, user)
    computed_at = max((t.computed_at for t in person_tags), default=None)
    masked_tags = [t for t in person_tags if t.reveals]
    masked_events = [e for e in events if tags.sensitive_items(e.get("reveals", ()))]
    if masked_tags or masked_events:
        if revealed is None:
            revealed = values_revealed(user, resident.person_id)
        elif not getattr(user, "may_reveal_personal_data", False):
            revealed = False
        if not revealed:
            person_tags = [t for t in person_tags if not t.reveals]
            events = [e for e in events if not tags.sensitive_items(e.get("reveals", ()))]
    return {
        "tag_groups": tags.grouped(person_tags),
        "tags_computed_at": computed_at,
        "events": events,
    }
