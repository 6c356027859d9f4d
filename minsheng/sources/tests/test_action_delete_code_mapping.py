"""Deleting a department's code mapping (`do_delete_code_mapping`)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from minsheng.audit.models import AuditEvent, EventType
from minsheng.sources.actions import do_delete_code_mapping, do_save_code_mapping
from minsheng.sources.models import CodeMapping


@pytest.fixture
def mapping(cast):
    return do_save_code_mapping(
        "mz_assistance", "assistance_status", "在保中", "1", acting_user=cast["city_staff"]
    )


def test_it_deletes_the_mapping_with_one_audit_row(cast, mapping):
    pk = mapping.pk
    do_delete_code_mapping(mapping, acting_user=cast["city_staff"])
    assert not CodeMapping.objects.exists()
    event = AuditEvent.objects.filter(object_type="code_mapping").order_by("seq").last()
    assert event.event_type == EventType.CHANGE and event.object_id == str(pk)
    assert event.details["deleted"] is True and event.details["label"] == "在保中"


@pytest.mark.parametrize("who", ["viewer", "outsider", "clerk", "supervision"])
def test_it_refuses_anyone_but_the_citys_business_staff(cast, mapping, who):
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        do_delete_code_mapping(mapping, acting_user=cast[who])
    assert CodeMapping.objects.filter(pk=mapping.pk).exists()
    assert AuditEvent.objects.count() == before
