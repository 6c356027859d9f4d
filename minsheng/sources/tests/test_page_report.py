"""The batch report download /sources/batches/<id>/report.xlsx."""

from __future__ import annotations

import polars as pl
import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent, EventType
from minsheng.sources.models import QuarantinedRow, RowWarning
from minsheng.sources.tests.conftest import BAD_ID, ZHANG_ID


def url(batch) -> str:
    return reverse("sources:batch_report", args=[batch.pk])


def sheets(content: bytes, tmp_path, n: int = 4) -> list[pl.DataFrame]:
    path = tmp_path / "report.xlsx"
    path.write_bytes(content)
    return [pl.read_excel(path, sheet_id=i, infer_schema_length=0) for i in range(1, n + 1)]


def test_it_downloads_a_workbook_whose_figures_add_up(cast, login, hukou_batch, tmp_path):
    # given city staff and a batch of 10 rows, 7 accepted and 3 quarantined
    client = login(cast["city_staff"])

    # when they download its report
    response = client.get(url(hukou_batch))

    # then it is an XLSX attachment of four sheets
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"batch-{hukou_batch.pk}-report.xlsx" in response["Content-Disposition"]
    summary, by_reason, rows, methods = sheets(response.content, tmp_path)
    # the summary: read = accepted + quarantined
    figures = list(summary.get_column(summary.columns[1]))
    assert figures[3:6] == ["10", "7", "3"]
    assert int(figures[3]) == int(figures[4]) + int(figures[5])
    assert "city_staff" in summary.row(-1)[1]  # the exporter is named (watermark)
    # per reason, summing to the quarantined rows
    reason_counts = dict(zip(by_reason[:, 0], by_reason[:, 2].cast(pl.Int64), strict=True))
    assert reason_counts == {"bad_date": 1, "malformed_row": 1, "no_identifying_data": 1}
    # each quarantined row with file, row, sheet row, column letter, header, a masked value
    assert rows.height == 3
    assert set(rows[:, 0]) == {hukou_batch.file_name}
    assert list(rows[:, 1].cast(pl.Int64)) == [3, 5, 8]
    assert rows.row(0)[4] == "公民身份号码"  # recorded before the header was: the column's
    assert rows.row(0)[5] == BAD_ID[:6] + "********" + BAD_ID[-4:]
    text = " ".join(str(v) for r in rows.iter_rows() for v in r)
    assert BAD_ID not in text and ZHANG_ID not in text and "张三丰" not in text
    # link methods, all seven in order, with the batch's counts
    counts = dict(zip(methods[:, 0], methods[:, 2].cast(pl.Int64), strict=True))
    assert list(counts) == [
        "exact",
        "repaired",
        "probabilistic",
        "clerical",
        "new",
        "review",
        "id_conflict",
        "unresolved",
    ]
    assert counts["exact"] == 4 and counts["review"] == 1 and sum(counts.values()) == 7


def test_it_names_the_sheets_as_the_bureau_reads_them(cast, login, hukou_batch):
    # given city staff whose browser asks for English
    import fastexcel

    client = login(cast["city_staff"])

    # when they download the report
    response = client.get(url(hukou_batch), HTTP_ACCEPT_LANGUAGE="en")

    # then the sheets are named in that language (汇总, 按原因, … come from the catalogue)
    names = fastexcel.read_excel(response.content).sheet_names
    assert names == [
        "Summary",
        "By reason",
        "Quarantined rows",
        "Link methods",
        "Warnings",
        "Columns",
        "File warnings",
    ]


def test_it_locates_each_row_and_warning_as_the_sheet_shows_it(
    cast, login, hukou_batch, crypto, tmp_path
):
    # given a batch read from a workbook: a quarantined row and a warning with their sheet
    # row, column letter and header; its columns; a file warning
    QuarantinedRow.objects.filter(batch=hukou_batch, row=3).update(
        sheet_row=5, letter="B", header="身份证号"
    )
    RowWarning.objects.create(
        batch=hukou_batch,
        row=6,
        sheet_row=8,
        column="id_number",
        letter="B",
        header="身份证号",
        code="float_precision_lost",
        raw_value_enc=crypto.encrypt(ZHANG_ID),
    )
    hukou_batch.columns = [
        {
            "letter": "A",
            "header": "姓名",
            "maps_to": "name",
            "unit": None,
            "hidden": False,
            "used": True,
            "ignored": False,
            "samples": [],
        },
        {
            "letter": "D",
            "header": "备注",
            "maps_to": None,
            "unit": None,
            "hidden": True,
            "used": False,
            "ignored": False,
            "samples": ["张*"],
        },
    ]
    hukou_batch.file_warnings = [{"code": "unmapped_column", "column": "D", "header": "备注"}]
    hukou_batch.save()
    client = login(cast["city_staff"])

    # when they download the report (in Chinese, the default)
    response = client.get(url(hukou_batch))

    # then the quarantined row and the warning name the cell, the value masked
    _s, _r, rows, _m, warnings, columns, file_warnings = sheets(response.content, tmp_path, 7)
    assert rows.row(0)[1:6] == ("3", "5", "B", "身份证号", BAD_ID[:6] + "********" + BAD_ID[-4:])
    assert warnings.row(0)[1:5] == ("6", "8", "B", "身份证号")
    assert warnings.row(0)[5] == ZHANG_ID[:6] + "********" + ZHANG_ID[-4:]
    assert warnings.row(0)[6:] == (
        "float_precision_lost",
        "身份证号码被表格软件存为数字，已丢失位数：不取号码",
    )
    # and the columns and file warnings are listed, in Chinese
    assert columns.row(0)[:3] == ("A", "姓名", "姓名")
    assert columns.row(1)[4:] == ("是", "否", "张*")
    assert file_warnings.row(0)[:3] == ("D", "备注", "unmapped_column")
    assert file_warnings.row(0)[3].startswith("数据来源中没有使用该表头的列")
    text = " ".join(str(v) for sheet in (rows, warnings) for r in sheet.iter_rows() for v in r)
    assert ZHANG_ID not in text and BAD_ID not in text


def test_it_audits_the_export(cast, login, hukou_batch):
    # given city staff
    client = login(cast["city_staff"])

    # when they download the report
    client.get(url(hukou_batch))

    # then an export event names the batch
    event = AuditEvent.objects.get(event_type=EventType.EXPORT)
    assert (event.object_type, event.object_id) == ("batch_report", str(hukou_batch.pk))
    assert event.actor == cast["city_staff"]


@pytest.mark.parametrize("who", ["clerk", "outsider", "viewer", "audit_admin"])
def test_it_refuses_everyone_but_city_staff_and_audits_it(cast, login, hukou_batch, who):
    # given a user who is not city staff
    client = login(cast[who])

    # when they ask for the report
    response = client.get(url(hukou_batch))

    # then they are refused, the refusal is audited, and nothing was exported
    assert response.status_code == 403
    assert AuditEvent.objects.filter(
        event_type=EventType.DENIED, object_type="batch_report", object_id=str(hukou_batch.pk)
    ).exists()
    assert not AuditEvent.objects.filter(event_type=EventType.EXPORT).exists()
