"""Saving a target list as a snapshot: who the rule chose, for which area, with which version."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from minsheng.audit.actions import record_event
from minsheng.audit.models import EventType

from . import engine
from .access import may_screen
from .models import TargetList, TargetListMember

CHUNK = 2000


def do_save_target_list(theme, rule_def, *, area, acting_user, request=None) -> TargetList:
    """One TargetList and its members (inserted in chunks of set-based INSERTs), one audit
    event, in one transaction. The members are the residents in `area` the acting user may
    see for whom the rule holds as of the archive date."""
    if not may_screen(acting_user, for_write=True):
        raise PermissionDenied
    with transaction.atomic():
        as_of = engine.archive_as_of()
        saved = TargetList.objects.create(
            list_code=rule_def.code,
            theme_code=theme.code,
            name=rule_def.name_zh,
            rule_text=rule_def.rule,
            rule_version=rule_def.version,
            as_of=as_of,
            area=area,
            created_by=acting_user,
        )
        ids = list(
            engine.in_area(
                engine.matching(acting_user, rule_def.rule, rule=rule_def.code, as_of=as_of), area
            )
            .order_by("person_id")
            .values_list("person_id", flat=True)
        )
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            why = engine.explain_many(chunk, rule_def.rule, rule=rule_def.code, as_of=as_of)
            TargetListMember.objects.bulk_create(
                [
                    TargetListMember(
                        target_list=saved,
                        person_id=pid,
                        explanation=[[text, held] for text, held in why.get(pid, [])],
                    )
                    for pid in chunk
                ],
                batch_size=CHUNK,
            )
        saved.size = len(ids)
        saved.save(update_fields=["size", "updated_at"])
        record_event(
            EventType.CHANGE,
            actor=acting_user,
            request=request,
            object_type="target_list",
            object_id=str(saved.pk),
            details={
                "list": rule_def.code,
                "version": rule_def.version,
                "area": area.code,
                "size": saved.size,
                "as_of": as_of.isoformat(),
            },
        )
    return saved
