"""Saving a department's column mapping (`do_save_column_mapping`): a header of its files
→ a declared column of its source, or nothing (ignore the column)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from minsheng.audit.models import AuditEvent, EventType
from minsheng.sources.actions import do_save_column_mapping
from minsheng.sources.mapping import Overrides
from minsheng.sources.mappings import overrides_for
from minsheng.sources.models import ColumnMapping


def events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="column_mapping"))


def test_it_saves_a_header_for_the_source_with_one_audit_row(cast):
    # given city staff
    staff = cast["city_staff"]

    # when they map 民政局's header 家庭人口数 to the household size
    mapping = do_save_column_mapping(
        "mz_assistance", "家庭人口数", "household_size", acting_user=staff
    )

    # then the mapping is kept for the source, by them
    assert (mapping.source, mapping.header, mapping.column) == (
        "mz_assistance",
        "家庭人口数",
        "household_size",
    )
    assert mapping.created_by == staff
    # and exactly one change event records it
    [event] = events()
    assert event.event_type == EventType.CHANGE and event.actor == staff
    assert event.details["header"] == "家庭人口数" and event.details["column"] == "household_size"
    assert event.details["created"] is True


def test_it_keeps_the_header_normalised_as_the_mapping_stage_compares_it(cast):
    # given a header written with a line break, spaces and a unit in full-width brackets
    header = "家庭\n人口 数（人）"

    # when it is mapped
    mapping = do_save_column_mapping(
        "mz_assistance", header, "household_size", acting_user=cast["city_staff"]
    )

    # then it is kept as the mapping stage sees it
    assert mapping.header == "家庭人口数"


def test_it_replaces_the_earlier_mapping_of_a_header(cast):
    # given a header mapped to the address
    do_save_column_mapping("mz_assistance", "住址", "address", acting_user=cast["city_staff"])

    # when it is mapped to nothing
    do_save_column_mapping("mz_assistance", "住址", None, acting_user=cast["city_staff"])

    # then one mapping remains, ignoring the column, and the event names what it was
    mapping = ColumnMapping.objects.get()
    assert mapping.column == "" and mapping.ignored
    last = AuditEvent.objects.filter(object_type="column_mapping").order_by("seq").last()
    assert last.details["previous"] == "address" and last.details["column"] is None


def test_it_is_what_the_next_import_of_the_source_reads(cast, django_assert_num_queries):
    # given a header mapped and one ignored, and a mapping of another source
    staff = cast["city_staff"]
    do_save_column_mapping("mz_assistance", "家庭人口数", "household_size", acting_user=staff)
    do_save_column_mapping("mz_assistance", "备注", "", acting_user=staff)
    do_save_column_mapping("va_veterans", "备注", "", acting_user=staff)

    # when the overrides of the source are read (one query per table)
    with django_assert_num_queries(2):
        overrides = overrides_for("mz_assistance")

    # then they hold the source's two mappings, the ignored one as None
    assert overrides == Overrides(columns={"家庭人口数": "household_size", "备注": None}, codes={})


def test_it_refuses_a_column_of_another_source(cast):
    # given city staff
    # when they map a header to a column 民政局's source does not have (the grid's code)
    with pytest.raises(ValueError):
        do_save_column_mapping("mz_assistance", "网格", "grid_code", acting_user=cast["city_staff"])

    # then nothing is saved and nothing recorded
    assert not ColumnMapping.objects.exists() and not events()


def test_it_refuses_an_empty_header(cast):
    with pytest.raises(ValueError):
        do_save_column_mapping("mz_assistance", " \n", "address", acting_user=cast["city_staff"])
    assert not ColumnMapping.objects.exists()


@pytest.mark.parametrize(
    "who", ["viewer", "outsider", "clerk", "grid_worker", "supervision", "sys_admin"]
)
def test_it_refuses_anyone_but_the_citys_business_staff(cast, who):
    # given a read-only user, an area clerk, or anyone else who is not city staff
    # when they try to save a mapping
    with pytest.raises(PermissionDenied):
        do_save_column_mapping(
            "mz_assistance", "家庭人口数", "household_size", acting_user=cast[who]
        )

    # then nothing is saved and nothing recorded
    assert not ColumnMapping.objects.exists() and not events()
