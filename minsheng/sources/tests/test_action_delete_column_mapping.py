"""Deleting a department's column mapping (`do_delete_column_mapping`)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from minsheng.audit.models import AuditEvent, EventType
from minsheng.sources.actions import do_delete_column_mapping, do_save_column_mapping
from minsheng.sources.models import ColumnMapping


@pytest.fixture
def mapping(cast):
    return do_save_column_mapping(
        "mz_assistance", "家庭人口数", "household_size", acting_user=cast["city_staff"]
    )


def test_it_deletes_the_mapping_with_one_audit_row(cast, mapping):
    # given a saved mapping
    pk = mapping.pk

    # when city staff delete it
    do_delete_column_mapping(mapping, acting_user=cast["city_staff"])

    # then it is gone, and one change event says which it was
    assert not ColumnMapping.objects.exists()
    event = AuditEvent.objects.filter(object_type="column_mapping").order_by("seq").last()
    assert event.event_type == EventType.CHANGE and event.object_id == str(pk)
    assert event.details["deleted"] is True and event.details["header"] == "家庭人口数"


@pytest.mark.parametrize("who", ["viewer", "outsider", "clerk", "audit_admin"])
def test_it_refuses_anyone_but_the_citys_business_staff(cast, mapping, who):
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        do_delete_column_mapping(mapping, acting_user=cast[who])
    assert ColumnMapping.objects.filter(pk=mapping.pk).exists()
    assert AuditEvent.objects.count() == before
