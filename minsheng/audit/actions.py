"""Writing and checking the audit trail. Every action function of every app records its
event here, inside its own transaction, so an event exists exactly when the change does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from minsheng.audit.models import GENESIS_HASH, AuditEvent, ChainHead, EventType, Result


def client_address(request) -> str:
    """The client's address. Behind TRUSTED_PROXIES reverse proxies it is the
    X-Forwarded-For entry the outermost proxy added (entries left of it are whatever the
    client sent, so they are never trusted); otherwise, or when the header is short of
    entries, the peer address of the connection."""
    if request is None:
        return ""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.TRUSTED_PROXIES
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            return hops[-proxies][:45]
    return remote[:45]


def record_event(
    event_type: str,
    *,
    actor=None,
    request=None,
    object_type: str = "",
    object_id: Any = "",
    result: str = Result.SUCCESS,
    reason: str = "",
    details: dict | None = None,
    username: str = "",
) -> AuditEvent:
    """Append one event to the chain. `username` names the claimed account when there is
    no authenticated actor (a failed login)."""
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(id=1)
        area = getattr(actor, "area", None)
        event = AuditEvent(
            seq=head.seq + 1,
            created_at=timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_username=getattr(actor, "username", "") or username,
            actor_role=getattr(actor, "role", "") or "",
            actor_area=area.code if area is not None else "",
            event_type=event_type,
            object_type=object_type,
            object_id=str(object_id) if object_id is not None else "",
            client_address=client_address(request),
            result=result,
            reason=reason[:500],
            details=details or {},
            prev_hash=head.hash,
        )
        event.hash = event.compute_hash()
        event.save(force_insert=True)
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


@dataclass
class ChainReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    problem: str = ""


def verify_chain(batch_size: int = 5000) -> ChainReport:
    """Walk the whole chain in order; report the first event whose content, link or
    position does not fit."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=batch_size):
        if event.seq != expected_seq:
            return ChainReport(False, checked, expected_seq, f"event {expected_seq} is missing")
        if event.prev_hash != expected_prev:
            return ChainReport(
                False, checked, event.seq, "link to the previous event does not match"
            )
        if event.compute_hash() != event.hash:
            return ChainReport(False, checked, event.seq, "content does not match its hash")
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
    head = ChainHead.objects.filter(id=1).first()
    if head is not None and (head.seq != checked or head.hash != expected_prev):
        return ChainReport(
            False,
            checked,
            checked + 1,
            f"events after {checked} were removed (head says {head.seq})",
        )
    return ChainReport(True, checked)


def deny(
    request,
    object_type: str,
    object_id: Any = "",
    *,
    not_found: bool = False,
    details: dict | None = None,
):
    """Refuse the request, with the refusal in the audit trail: 404 where even the existence
    of the object must not show (another area's data), 403 otherwise."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    record_event(
        EventType.DENIED,
        actor=request.user,
        request=request,
        object_type=object_type,
        object_id=str(object_id)[:64],
        result=Result.DENIED,
        details=details,
    )
    raise Http404 if not_found else PermissionDenied
