"""Saving a department's code mapping (`do_save_code_mapping`): a label it writes in a code
column → one of the column's codes."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from minsheng.audit.models import AuditEvent, EventType
from minsheng.sources.actions import do_save_code_mapping
from minsheng.sources.mappings import overrides_for
from minsheng.sources.models import CodeMapping


def test_it_saves_a_label_with_one_audit_row(cast):
    # given city staff
    staff = cast["city_staff"]

    # when they map 民政局's label 在保中 of the assistance status to 在保 (1)
    mapping = do_save_code_mapping(
        "mz_assistance", "assistance_status", " 在保中 ", "1", acting_user=staff
    )

    # then it is kept, the label without its spaces, and read by the next import
    assert (mapping.column, mapping.label, mapping.code) == ("assistance_status", "在保中", "1")
    assert overrides_for("mz_assistance").codes == {"assistance_status": {"在保中": "1"}}
    # and one change event records it
    [event] = AuditEvent.objects.filter(object_type="code_mapping")
    assert event.event_type == EventType.CHANGE and event.actor == staff
    assert event.details["label"] == "在保中" and event.details["code"] == "1"


def test_it_replaces_the_earlier_code_of_a_label(cast):
    staff = cast["city_staff"]
    do_save_code_mapping("mz_assistance", "assistance_status", "停", "1", acting_user=staff)
    do_save_code_mapping("mz_assistance", "assistance_status", "停", "2", acting_user=staff)
    assert list(CodeMapping.objects.values_list("label", "code")) == [("停", "2")]
    last = AuditEvent.objects.filter(object_type="code_mapping").order_by("seq").last()
    assert last.details["previous"] == "1"


def test_it_refuses_a_code_that_is_not_in_the_columns_list(cast):
    # given city staff
    # when they map a label to a code the assistance status does not have
    with pytest.raises(ValueError):
        do_save_code_mapping(
            "mz_assistance", "assistance_status", "在保中", "9", acting_user=cast["city_staff"]
        )

    # then nothing is saved and nothing recorded
    assert not CodeMapping.objects.exists()
    assert not AuditEvent.objects.filter(object_type="code_mapping").exists()


def test_it_refuses_a_column_of_another_source(cast):
    # the grid census's population type is no column of 民政局's source
    with pytest.raises(ValueError):
        do_save_code_mapping(
            "mz_assistance", "population_type", "户籍", "1", acting_user=cast["city_staff"]
        )
    assert not CodeMapping.objects.exists()


def test_it_refuses_a_column_without_a_code_list(cast):
    with pytest.raises(ValueError):
        do_save_code_mapping(
            "mz_assistance", "address", "某地", "1", acting_user=cast["city_staff"]
        )
    assert not CodeMapping.objects.exists()


@pytest.mark.parametrize("who", ["viewer", "outsider", "clerk", "grid_worker", "sec_admin"])
def test_it_refuses_anyone_but_the_citys_business_staff(cast, who):
    with pytest.raises(PermissionDenied):
        do_save_code_mapping(
            "mz_assistance", "assistance_status", "在保中", "1", acting_user=cast[who]
        )
    assert not CodeMapping.objects.exists()
    assert not AuditEvent.objects.filter(object_type="code_mapping").exists()
