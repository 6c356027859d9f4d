"""A value longer (or larger) than its column holds quarantines its row, `too_long`, instead
of failing the whole file's load on PostgreSQL (SQLite would have kept it)."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from minsheng.catalogue import registry
from minsheng.lib.idcard import check_char
from minsheng.pipeline.ingest import import_file
from minsheng.sources import mapping, models, read, validate
from minsheng.sources.models import BatchStatus, Person, QuarantinedRow, fact_model
from minsheng.sources.report import reason_label
from minsheng.sources.validate import REASONS, column_limits

LONG_NAME = "张" * 70


def id_number(body17: str) -> str:
    return body17 + check_char(body17)


HUKOU_HEADER = (
    "户号,与户主关系,姓名,公民身份号码,性别,民族,出生日期,户籍地址,人员状态,注销日期,所属派出所"
)


def hukou_line(n: int, name: str) -> str:
    number = id_number(f"15030219800101{n:03d}")
    return (
        f"H{n:04d},户主,{name},{number},男,汉族,1980-01-01,"
        f"海勃湾区新华街道清泉社区{n}号,正常,,新华派出所"
    )


@pytest.mark.django_db
def test_it_quarantines_a_name_too_long_for_its_column_and_loads_the_rest(tmp_path, crypto):
    # Given a 公安 file of four people, the third with a name of 70 characters
    path = tmp_path / "gongan_hukou_20260301.csv"
    names = ["张三", "李四", LONG_NAME, "王五"]
    lines = [HUKOU_HEADER] + [hukou_line(n, name) for n, name in enumerate(names, start=1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # When it is imported (on SQLite and on PostgreSQL alike)
    batch = import_file(path, as_of=date(2026, 3, 1))
    # Then the file loads: three rows accepted, the long name quarantined with its reason
    assert batch.status == BatchStatus.LOADED
    assert (batch.rows_read, batch.rows_accepted, batch.rows_quarantined) == (4, 3, 1)
    assert batch.reasons == {"too_long": 1}
    (row,) = QuarantinedRow.objects.filter(batch=batch)
    assert (row.row, row.column, row.reason_code) == (3, "name", "too_long")
    assert row.reason.startswith("姓名: " + REASONS["too_long"])
    assert crypto.decrypt(row.raw_value_enc) == LONG_NAME
    facts = fact_model("gongan_hukou").objects.filter(batch=batch)
    assert sorted(facts.values_list("name", flat=True)) == ["张三", "李四", "王五"]
    assert not Person.objects.filter(name=LONG_NAME).exists()


def parsed(tmp_path, source: str, header: str, *lines: str):
    path = tmp_path / f"{source}_20260301.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return validate.validate(mapping.map_columns(read.read_file(path), registry.source(source)))


def test_it_quarantines_amounts_codes_and_counts_beyond_their_columns(tmp_path):
    # Given a pension of 13 integer digits (the archive holds 12) beside one of 12, and
    # businesses with a USCC of 40 characters and a staff count beyond the archive's int4
    number = id_number("15030219500101001")
    pensions = parsed(
        tmp_path,
        "rs_pension",
        "公民身份号码,姓名,月发放金额",
        f"{number},张三,1234567890123.50",
        f"{number},张三,123456789012.50",
    )
    business = parsed(
        tmp_path,
        "scjg_business",
        "统一社会信用代码,主体名称,法定代表人（负责人）,法定代表人证件号码,从业人数",
        f"{'9' * 40},某公司,张三,{number},12",
        f"{'9' * 18},某公司,张三,{number},{2**31}",
        f"{'9' * 18},某公司,张三,{number},{2**31 - 1}",
    )
    # Then the rows beyond a limit are quarantined with too_long among their problems,
    # naming the column, and the others pass that check
    q = pensions.quarantined
    assert q.select("row", "column", "reason_code").rows() == [(1, "monthly_amount", "too_long")]
    assert pensions.accepted["row"].to_list() == [2]
    problems = dict(business.quarantined.select("row", "problems").rows())
    assert "too_long:uscc" in problems[1]
    assert "too_long:employees" in problems[2]
    assert not any(p.startswith("too_long") for p in problems.get(3, []))


def test_it_holds_the_limits_equal_to_the_fact_tables_columns():
    # Given every declared column of every source
    for src in registry.sources():
        for col in src.columns:
            limits = column_limits(col)
            fields = models._fields_for(col)
            # Then a text column's limit is its fact field's max_length, and a code's mapped
            # value is held to its field's
            varchar = getattr(fields.get(col.name), "max_length", None)
            if varchar and not models.encrypted(col):
                assert limits["chars"] == fields[col.name].max_length, (src.name, col.name)
            if f"{col.name}_code" in fields:
                assert limits["code_chars"] == fields[f"{col.name}_code"].max_length
            if col.kind == "decimal" and col.name in fields:
                field = fields[col.name]
                assert limits["digits"] <= field.max_digits - field.decimal_places


def test_it_holds_the_archive_limits_equal_to_the_archive_columns():
    from django.db import models as dj

    from minsheng.residents.models import Resident, field_name

    for src in registry.sources():
        for col in src.columns:
            if not col.item or models.encrypted(col):
                continue
            field = Resident._meta.get_field(field_name(col.item))
            limits = column_limits(col)
            if isinstance(field, dj.DecimalField) and col.kind == "decimal":
                assert limits["digits"] == field.max_digits - field.decimal_places
            if type(field) is dj.IntegerField and col.kind == "integer":
                assert limits["max"] == 2**31 - 1


def test_it_names_the_reason_in_chinese_on_the_pages():
    with translation.override("zh-hans"):
        assert reason_label("too_long") == "取值超出该列允许的长度或数值范围"
