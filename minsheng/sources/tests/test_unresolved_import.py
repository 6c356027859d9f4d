"""Rows without a valid ID that match nobody: held as unresolved records (待核实) of their
community, never persons; a later file that brings the person attaches them.

The files are written here the way offices send them: a 参保 list whose row has lost its ID
number and says only name and sex, a 就业登记 row without an ID, and a 公安 list that later
brings the person."""

from __future__ import annotations

from pathlib import Path

import pytest

from minsheng.pipeline.ingest import import_file, import_folder
from minsheng.residents.models import Resident
from minsheng.sources.models import (
    LinkMethod,
    Person,
    UnresolvedRecord,
    UnresolvedStatus,
    fact_model,
)
from minsheng.sources.tests.conftest import id_number

ZHAO_ID = id_number("15030219770309242")
QIAN_ID = id_number("15030219600707301")
ZHOU_ID = id_number("15030219880512262")
ADDRESS = "海勃湾区新华街道清泉社区滨河大道2号楼1单元101室"
HUKOU = "户号,与户主关系,姓名,公民身份号码,性别,民族,出生日期,户籍地址,人员状态,注销日期\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def hukou(areas, crypto, tmp_path):
    text = (
        HUKOU
        + f"1503020000001,户主,赵敏,{ZHAO_ID},女,汉族,19770309,{ADDRESS},正常,\n"
        + f"1503020000001,配偶,钱进,{QIAN_ID},男,汉族,19600707,{ADDRESS},正常,\n"
    )
    return import_file(write(tmp_path, "gongan_hukou_20261101.csv", text), source="gongan_hukou")


def test_it_holds_a_row_with_only_a_name_and_sex_and_counts_no_one_more(hukou, tmp_path):
    # given a city of two people and a 参保 row that lost its ID: only 孙悟空, 男
    text = (
        "公民身份号码,姓名,性别,险种代码,参保状态\n"
        f"{ZHAO_ID},赵敏,女,110,参保缴费\n"
        ",孙悟空,男,110,参保缴费\n"
    )
    # when it is imported
    batch = import_file(write(tmp_path, "rs_insurance_20261105.csv", text), source="rs_insurance")
    # then the row is held unresolved, not made a person, and counted nowhere
    assert batch.link_methods == {"exact": 1, "unresolved": 1}
    fact = fact_model("rs_insurance").objects.get(batch=batch, row=2)
    assert fact.person_id is None and fact.link_method == LinkMethod.UNRESOLVED
    record = UnresolvedRecord.objects.get(batch=batch)
    assert record.rows == [[2, fact.pk]] and record.status == UnresolvedStatus.PENDING
    assert record.area is None  # no address: only city staff see it
    assert Person.objects.count() == 2
    assert Resident.objects.count() == 2


def test_it_keeps_the_record_in_the_community_its_address_names(hukou, tmp_path, areas):
    # given a 就业登记 row without an ID for someone the city does not know yet
    text = (
        "登记类型,公民身份号码,姓名,性别,出生日期,居住地址,就业形式,用人单位名称,登记日期\n"
        f"就业登记,,周芷若,女,1988-05-12,{ADDRESS},单位就业,乌海市某某公司,2026-03-01\n"
    )
    batch = import_file(write(tmp_path, "rs_employment_20261103.csv", text), source="rs_employment")
    # then it is held in 清泉社区, whose clerk verifies it
    record = UnresolvedRecord.objects.get(batch=batch)
    assert record.area == areas["qingquan"]
    assert Person.objects.count() == 2


def test_it_attaches_the_rows_when_a_later_file_brings_the_person(hukou, tmp_path):
    # given 周芷若's 就业登记 row held unresolved
    text = (
        "登记类型,公民身份号码,姓名,性别,出生日期,居住地址,就业形式,用人单位名称,登记日期\n"
        f"就业登记,,周芷若,女,1988-05-12,{ADDRESS},单位就业,乌海市某某公司,2026-03-01\n"
    )
    employment = import_file(
        write(tmp_path, "rs_employment_20261103.csv", text), source="rs_employment"
    )
    record = UnresolvedRecord.objects.get(batch=employment)
    # when the next 公安 list brings her with her ID number
    later = HUKOU + f"1503020000002,户主,周芷若,{ZHOU_ID},女,汉族,19880512,{ADDRESS},正常,\n"
    import_file(write(tmp_path, "gongan_hukou_20261110.csv", later), source="gongan_hukou")
    # then her row is attached to her, the record closed, and her archive shows the job
    zhou = Person.objects.get(name="周芷若")
    fact = fact_model("rs_employment").objects.get(batch=employment)
    assert fact.person_id == zhou.pk and fact.link_method == LinkMethod.PROBABILISTIC
    record.refresh_from_db()
    assert record.status == UnresolvedStatus.RELINKED and record.person_id == zhou.pk
    assert record.rows == []
    resident = Resident.objects.get(person=zhou)
    assert resident.employment_employer == "乌海市某某公司"


def test_it_leaves_a_record_pending_when_the_later_person_is_someone_else(hukou, tmp_path):
    # given 周芷若 (born 1988) held unresolved
    text = (
        "登记类型,公民身份号码,姓名,性别,出生日期,居住地址,就业形式,用人单位名称,登记日期\n"
        f"就业登记,,周芷若,女,1988-05-12,{ADDRESS},单位就业,乌海市某某公司,2026-03-01\n"
    )
    employment = import_file(
        write(tmp_path, "rs_employment_20261103.csv", text), source="rs_employment"
    )
    # when a namesake born thirty years earlier arrives
    other_id = id_number("15030219580512262")
    later = HUKOU + f"1503020000003,户主,周芷若,{other_id},女,汉族,19580512,{ADDRESS},正常,\n"
    import_file(write(tmp_path, "gongan_hukou_20261110.csv", later), source="gongan_hukou")
    # then the row stays unresolved
    record = UnresolvedRecord.objects.get(batch=employment)
    assert record.status == UnresolvedStatus.PENDING
    assert fact_model("rs_employment").objects.get(batch=employment).person_id is None


def test_it_attaches_the_rows_of_every_source_when_a_folder_brings_the_person(
    hukou, tmp_path, areas
):
    # given 周芷若 held unresolved by two offices: a 就业登记 row and a grid census row,
    # neither with an ID number
    employment = import_file(
        write(
            tmp_path,
            "rs_employment_20261103.csv",
            "登记类型,公民身份号码,姓名,性别,出生日期,居住地址,就业形式,用人单位名称,登记日期\n"
            f"就业登记,,周芷若,女,1988-05-12,{ADDRESS},单位就业,乌海市某某公司,2026-03-01\n",
        ),
        source="rs_employment",
    )
    grid = areas["grids"]["qingquan1"].code
    census = import_file(
        write(
            tmp_path,
            "grid_census_20261105.csv",
            "网格编码,现住址,姓名,性别,公民身份号码,出生日期\n"
            f"{grid},{ADDRESS},周芷若,女,,1988-05-12\n",
        ),
        source="grid_census",
    )
    assert UnresolvedRecord.objects.filter(status=UnresolvedStatus.PENDING).count() == 2
    # when a folder of the next exports brings her with her ID number (relinked at its end)
    folder = tmp_path / "next"
    folder.mkdir()
    later = HUKOU + f"1503020000002,户主,周芷若,{ZHOU_ID},女,汉族,19880512,{ADDRESS},正常,\n"
    write(folder, "gongan_hukou_20261110.csv", later)
    import_folder(folder)
    # then both offices' rows are hers and both records closed
    zhou = Person.objects.get(name="周芷若")
    for source, batch in (("rs_employment", employment), ("grid_census", census)):
        assert fact_model(source).objects.get(batch=batch).person_id == zhou.pk
        record = UnresolvedRecord.objects.get(batch=batch)
        assert record.status == UnresolvedStatus.RELINKED and record.person_id == zhou.pk
