"""Re-applying a department's mappings to a batch (`do_reapply_mappings`): the batch's kept
file is read again with the source's current mappings, and what the batch loaded is
replaced in one transaction.

The file is written here: a 民政局 list whose household size comes under a header the
registry does not know (家庭人口数) and whose status has a label none of its codes match
(保障中)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied

from minsheng.audit.models import AuditEvent, EventType
from minsheng.pipeline.ingest import import_file
from minsheng.sources.actions import (
    do_reapply_mappings,
    do_save_code_mapping,
    do_save_column_mapping,
)
from minsheng.sources.models import (
    Batch,
    BatchStatus,
    Person,
    RowWarning,
    fact_model,
)
from minsheng.sources.read import SourceFileError
from minsheng.sources.signals import persons_relinked
from minsheng.sources.tests.conftest import LI_ID, ZHANG_ID

Facts = fact_model("mz_assistance")

CSV = (
    "救助类型,姓名,身份证号码,性别,家庭人口数,月保障金额,批准日期,保障状态\n"
    f"低保,张三丰,{ZHANG_ID},男,3,800.00,2024-01-15,保障中\n"
    f"特困,李四,{LI_ID},男,1,1200.00,2023-06-01,在保\n"
)


def write_export(folder: Path, text: str = CSV) -> Path:
    path = folder / "mz_assistance_20260301.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def imported(cast, crypto, tmp_path):
    """The file imported by city staff, before any mapping of 民政局 was saved."""
    path = write_export(tmp_path)
    batch = import_file(path, source="mz_assistance", acting_user=cast["city_staff"], refresh=False)
    assert batch.status == BatchStatus.LOADED
    return batch


def facts(batch) -> dict[str, dict]:
    return {
        f["name"]: f
        for f in Facts.objects.filter(batch=batch).values(
            "name", "household_size", "assistance_status_code", "person_id", "extra"
        )
    }


def test_it_reads_the_file_again_with_the_saved_mappings_into_the_same_batch(cast, imported):
    # given the batch, where the household size was kept aside and 保障中 had no code
    staff = cast["city_staff"]
    before = facts(imported)
    assert before["张三丰"]["household_size"] is None
    assert before["张三丰"]["assistance_status_code"] is None
    assert [c["letter"] for c in imported.columns if c["maps_to"] is None] == ["E"]
    assert RowWarning.objects.filter(batch=imported, code="unmapped_code").count() == 1
    persons = Person.objects.count()

    # when city staff map the header and the label, and re-apply the mappings to the batch
    do_save_column_mapping("mz_assistance", "家庭人口数", "household_size", acting_user=staff)
    do_save_code_mapping("mz_assistance", "assistance_status", "保障中", "1", acting_user=staff)
    batch = do_reapply_mappings(imported, acting_user=staff)

    # then the same batch holds the values under their columns, with their codes
    assert batch.pk == imported.pk and Batch.objects.count() == 1
    after = facts(batch)
    assert {n: f["household_size"] for n, f in after.items()} == {"张三丰": 3, "李四": 1}
    assert {n: f["assistance_status_code"] for n, f in after.items()} == {
        "张三丰": "1",
        "李四": "1",
    }
    # linked to the same persons, none created twice
    assert {n: f["person_id"] for n, f in after.items()} == {
        n: f["person_id"] for n, f in before.items()
    }
    assert Person.objects.count() == persons
    # the warning is gone, the column is read, and the batch figures are those of the re-read
    assert not RowWarning.objects.filter(batch=batch, code="unmapped_code").exists()
    columns = {c["letter"]: c for c in batch.columns}
    assert columns["E"]["maps_to"] == "household_size" and columns["E"]["used"]
    assert (batch.rows_read, batch.rows_accepted, batch.rows_quarantined) == (2, 2, 0)
    assert batch.status == BatchStatus.LOADED and not batch.archived  # the refresh is next
    # and one import event records the re-application
    [event] = AuditEvent.objects.filter(event_type=EventType.IMPORT, details__reapply_mappings=True)
    assert event.actor == staff and event.object_id == str(batch.pk)
    assert event.details["replaced"]["facts"] == 2 and event.details["column_mappings"] == 1


def test_it_replaces_the_rows_and_tells_the_pipeline_of_persons_no_longer_touched(cast, imported):
    # given one of the batch's rows linked (by hand, say) to another person
    other = Person.objects.create(
        name="王五",
        first_source="mz_assistance",
        first_batch=imported,
        first_row=99,
        created_at=imported.finished_at,
    )
    Facts.objects.filter(batch=imported, name="李四").update(person=other)
    told: list[list[int]] = []

    def listen(sender, *, person_ids, **kwargs):
        told.append(person_ids)

    persons_relinked.connect(listen)
    try:
        # when the mappings are re-applied
        do_reapply_mappings(imported, acting_user=cast["city_staff"])
    finally:
        persons_relinked.disconnect(listen)

    # then the row is linked by its ID again, and the other person is announced for refresh
    assert Facts.objects.get(batch=imported, name="李四").person_id != other.pk
    assert told == [[other.pk]]
    assert Facts.objects.filter(batch=imported).count() == 2


def test_it_leaves_the_batch_as_it_was_when_the_file_is_refused(cast, imported):
    # given the required column 救助类型 mapped to nothing: the file cannot be read any more
    staff = cast["city_staff"]
    do_save_column_mapping("mz_assistance", "救助类型", None, acting_user=staff)
    imports = AuditEvent.objects.filter(event_type=EventType.IMPORT).count()

    # when the mappings are re-applied
    with pytest.raises(ValueError):
        do_reapply_mappings(imported, acting_user=staff)

    # then the batch keeps its rows, and no import event was added
    assert Facts.objects.filter(batch=imported).count() == 2
    assert AuditEvent.objects.filter(event_type=EventType.IMPORT).count() == imports


def test_it_imports_a_batch_refused_for_a_column_written_under_another_header(
    cast, crypto, tmp_path
):
    # given a file refused because its 救助类型 comes under the header 类别
    staff = cast["city_staff"]
    path = write_export(tmp_path, CSV.replace("救助类型", "类别", 1))
    with pytest.raises(SourceFileError):
        import_file(path, source="mz_assistance", acting_user=staff, refresh=False)
    batch = Batch.objects.get()
    assert batch.status == BatchStatus.FAILED
    # whose columns are kept, the unknown header with masked samples
    unknown = {c["letter"]: c for c in batch.columns if c["maps_to"] is None}
    assert sorted(unknown) == ["A", "E"] and unknown["A"]["header"] == "类别"
    assert unknown["A"]["samples"] == ["低*", "特*"]

    # when the header is mapped and the mappings are re-applied to the batch
    do_save_column_mapping("mz_assistance", "类别", "assistance_type", acting_user=staff)
    batch = do_reapply_mappings(batch, acting_user=staff)

    # then the file is loaded into it
    assert batch.status == BatchStatus.LOADED and batch.error == ""
    assert sorted(Facts.objects.filter(batch=batch).values_list("assistance_type", flat=True)) == [
        "低保",
        "特困",
    ]


def test_it_refuses_a_batch_whose_file_is_no_longer_kept(cast, imported):
    Path(imported.stored_path).unlink()
    with pytest.raises(ValueError):
        do_reapply_mappings(imported, acting_user=cast["city_staff"])
    assert Facts.objects.filter(batch=imported).count() == 2


def test_it_refuses_a_kept_file_that_changed(cast, imported):
    Path(imported.stored_path).write_text(CSV.replace("800.00", "900.00"), encoding="utf-8")
    with pytest.raises(ValueError):
        do_reapply_mappings(imported, acting_user=cast["city_staff"])
    assert set(Facts.objects.filter(batch=imported).values_list("name", flat=True)) == {
        "张三丰",
        "李四",
    }


@pytest.mark.parametrize("who", ["viewer", "outsider", "clerk", "sys_admin"])
def test_it_refuses_anyone_but_the_citys_business_staff(cast, imported, who):
    # given the batch's facts as they are
    ids = set(Facts.objects.filter(batch=imported).values_list("id", flat=True))

    # when a read-only user, an outsider or anyone else not city staff re-applies
    with pytest.raises(PermissionDenied):
        do_reapply_mappings(imported, acting_user=cast[who])

    # then the same facts remain and nothing was recorded as imported again
    assert set(Facts.objects.filter(batch=imported).values_list("id", flat=True)) == ids
    assert not AuditEvent.objects.filter(details__reapply_mappings=True).exists()
