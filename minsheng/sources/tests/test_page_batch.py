"""The batch detail page /sources/batches/<id>/: figures, masked quarantined rows, timings,
how the file was read (sheet, header row, columns, file warnings), the warnings of kept rows,
and the department's unmapped columns and labels with the forms to map them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent, EventType
from minsheng.sources.models import CodeMapping, ColumnMapping, QuarantinedRow, RowWarning
from minsheng.sources.tests.conftest import BAD_ID, ZHANG_ID


def url(batch) -> str:
    return reverse("sources:batch_detail", args=[batch.pk])


def warn(batch, crypto, row: int, code: str, raw: str, **where) -> RowWarning:
    return RowWarning.objects.create(
        batch=batch,
        row=row,
        sheet_row=row + 2,
        code=code,
        raw_value_enc=crypto.encrypt(raw),
        **where,
    )


@pytest.fixture
def read_batch(hukou_batch, crypto, tmp_path):
    """The 公安 batch as its workbook was read: sheet 户籍人口 (header on row 2), another
    sheet 说明; columns A–E, of which D (备注) no declared column claims and E is hidden;
    warnings of kept rows, two of them labels of 人员状态 that match no code."""
    kept = tmp_path / "gongan_hukou_20260110.xlsx"
    kept.write_bytes(b"kept")
    hukou_batch.sheet_name = "户籍人口"
    hukou_batch.header_row = 2
    hukou_batch.other_sheets = ["说明"]
    hukou_batch.stored_path = str(kept)
    hukou_batch.columns = [
        {
            "letter": "A",
            "header": "姓  名",
            "maps_to": "name",
            "unit": None,
            "hidden": False,
            "used": True,
            "ignored": False,
            "samples": [],
        },
        {
            "letter": "B",
            "header": "身份证号码",
            "maps_to": "id_number",
            "unit": None,
            "hidden": False,
            "used": True,
            "ignored": False,
            "samples": [],
        },
        {
            "letter": "C",
            "header": "人员状态",
            "maps_to": "hukou_status",
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
            "hidden": False,
            "used": False,
            "ignored": False,
            "samples": ["张*", "****5678"],
        },
        {
            "letter": "E",
            "header": "出生日期",
            "maps_to": "birth_date",
            "unit": None,
            "hidden": True,
            "used": False,
            "ignored": False,
            "samples": [],
        },
    ]
    hukou_batch.file_warnings = [
        {"code": "unmapped_column", "column": "D", "header": "备注"},
        {"code": "duplicate_column", "column": "E", "header": "出生日期"},
    ]
    hukou_batch.warnings = {"hukou_status:unmapped_code": 2, "birth_date:month_precision": 1}
    hukou_batch.save()
    QuarantinedRow.objects.filter(batch=hukou_batch, row=3).update(
        sheet_row=5, letter="B", header="身份证号码"
    )
    where = {"column": "hukou_status", "letter": "C", "header": "人员状态"}
    warn(hukou_batch, crypto, 1, "unmapped_code", "在册", **where)
    warn(hukou_batch, crypto, 2, "unmapped_code", "在册", **where)
    warn(hukou_batch, crypto, 4, "unmapped_code", "已死亡", **where)
    warn(
        hukou_batch,
        crypto,
        6,
        "float_precision_lost",
        ZHANG_ID,
        column="id_number",
        letter="B",
        header="身份证号码",
    )
    warn(hukou_batch, crypto, 7, "hidden_row", "")
    return hukou_batch


def test_it_shows_the_figures_and_masked_quarantined_rows(cast, login, hukou_batch):
    # given city staff and a batch with three quarantined rows
    client = login(cast["city_staff"])

    # when they open the batch
    response = client.get(url(hukou_batch))

    # then the figures, reasons and timings are shown
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="rows-read">10<' in html
    assert 'data-testid="rows-quarantined">3<' in html
    assert response.context["timing_total"] == pytest.approx(0.47)
    # and each quarantined row with its column, a masked value and a readable reason
    rows = {r.row: r for r in response.context["rows"]}
    assert rows[3].column == "公民身份号码"
    assert rows[3].value == BAD_ID[:6] + "********" + BAD_ID[-4:]
    assert rows[5].value == "1990-13-45"
    assert rows[8].column != ""
    assert ZHANG_ID[:6] in rows[8].value and "三丰" not in rows[8].value
    # and no clear ID number or name reaches the page, not even from the stored sentence
    assert BAD_ID not in html and ZHANG_ID not in html and "张三丰" not in html


def test_it_audits_the_view_of_the_quarantined_rows(cast, login, hukou_batch):
    # given city staff
    client = login(cast["city_staff"])

    # when they open the batch
    client.get(url(hukou_batch))

    # then a view event names the batch and the rows shown
    event = AuditEvent.objects.get(event_type=EventType.VIEW, object_type="batch")
    assert event.object_id == str(hukou_batch.pk)
    assert event.details["quarantined_rows"] == [3, 5, 8]


def test_it_pages_the_quarantined_rows(cast, login, hukou_batch, crypto):
    # given a batch with 120 quarantined rows
    for row in range(100, 217):
        QuarantinedRow.objects.create(
            batch=hukou_batch,
            row=row,
            column="birth_date",
            raw_value_enc=crypto.encrypt("x"),
            reason_code="bad_date",
            reason="",
        )
    client = login(cast["city_staff"])

    # when they open the third page
    response = client.get(url(hukou_batch), {"page": 3})

    # then it holds the last 20 rows
    assert [r.row for r in response.context["rows"]] == list(range(197, 217))


def test_it_needs_the_same_queries_for_a_full_page_as_for_a_short_one(
    cast, login, read_batch, crypto, django_assert_num_queries
):
    # given city staff who have opened the batch once
    client = login(cast["city_staff"])
    client.get(url(read_batch))

    # when the page is opened with a few rows and warnings, and again with full pages of
    # fifty of each, more unmapped labels and saved mappings
    with django_assert_num_queries(19) as few:
        client.get(url(read_batch))
    for row in range(100, 160):
        QuarantinedRow.objects.create(
            batch=read_batch,
            row=row,
            column="birth_date",
            raw_value_enc=crypto.encrypt("x"),
            reason_code="bad_date",
            reason="",
        )
        warn(read_batch, crypto, row, "unmapped_code", f"状态{row}", column="hukou_status")
    ColumnMapping.objects.create(source="gongan_hukou", header="备注", column="")
    CodeMapping.objects.create(source="gongan_hukou", column="hukou_status", label="在册", code="1")
    with django_assert_num_queries(19) as many:
        client.get(url(read_batch))

    # then the rows add no query (per list: the page and its count; the unmapped labels
    # and their saved codes; the saved column mappings; one audit event)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_it_shows_how_the_file_was_read(cast, login, read_batch):
    # given city staff
    client = login(cast["city_staff"])

    # when they open the batch
    response = client.get(url(read_batch))

    # then the sheet, the header row and the other sheets are named
    html = response.content.decode()
    assert "户籍人口" in html and "说明" in html
    assert "表头行" in html
    # and each column with its letter, header as written and the declared column it maps to
    columns = {c["letter"]: c for c in response.context["columns"]}
    assert columns["A"]["header"] == "姓  名" and columns["A"]["maps_to_label"] == "姓名"
    assert columns["C"]["maps_to_label"] == "人员状态"
    assert columns["D"]["unmapped"] and not columns["E"]["used"] and columns["E"]["hidden"]
    # and the file's warnings are read in Chinese
    warnings = {w["letter"]: w["label"] for w in response.context["file_warnings"]}
    assert warnings["D"] == "数据来源中没有使用该表头的列：其取值已单独保留，未导入"
    assert warnings["D"] in html and "同一项目的第二列" in html


def test_it_offers_to_map_each_unmapped_column_for_the_department(cast, login, read_batch):
    # given city staff
    client = login(cast["city_staff"])

    # when they open the batch
    response = client.get(url(read_batch))

    # then the unmapped column is listed with its masked samples and a form to map it to a
    # column of the source (or to nothing), saved for 公安局's later files
    html = response.content.decode()
    [column] = response.context["unmapped"]
    assert column["letter"] == "D" and column["samples"] == ["张*", "****5678"]
    choices = dict(column["form"].fields["column"].choices)
    assert choices["hukou_address"] == "户籍地址" and choices["-"] == "忽略"
    assert "grid_code" not in choices
    assert reverse("sources:batch_column_mapping", args=[read_batch.pk]) in html
    assert "适用于公安局以后的文件" in html


def test_it_pages_the_warnings_of_kept_rows_with_the_cell_and_a_masked_value(
    cast, login, read_batch, crypto
):
    # given city staff
    client = login(cast["city_staff"])

    # when they open the batch
    response = client.get(url(read_batch))

    # then each warning names the sheet row, the column letter and header, the value masked
    # and the reason in Chinese
    html = response.content.decode()
    rows = {r.row: r for r in response.context["warning_rows"]}
    assert (rows[6].sheet_row, rows[6].letter, rows[6].header) == (8, "B", "身份证号码")
    assert rows[6].value == ZHANG_ID[:6] + "********" + ZHANG_ID[-4:]
    assert rows[6].reason == "身份证号码被表格软件存为数字，已丢失位数：不取号码"
    assert rows[7].reason.startswith("该行在表格中被隐藏")
    assert ZHANG_ID not in html

    # and with more than a page of them, the second page holds the rest
    for row in range(100, 150):
        warn(read_batch, crypto, row, "month_precision", "1990-01", column="birth_date")
    second = client.get(url(read_batch), {"wpage": 2})
    assert [r.row for r in second.context["warning_rows"]] == [145, 146, 147, 148, 149]
    assert second.context["page"].number == 1


def test_it_shows_the_quarantined_rows_as_the_sheet_shows_them(cast, login, read_batch):
    client = login(cast["city_staff"])
    response = client.get(url(read_batch))
    rows = {r.row: r for r in response.context["rows"]}
    assert (rows[3].sheet_row, rows[3].letter, rows[3].header) == (5, "B", "身份证号码")
    # a row quarantined before the sheet row was recorded keeps its column's label
    assert rows[5].sheet_row is None and rows[5].header == "出生日期"


def test_it_lists_the_unmapped_labels_per_column_with_a_form_for_each(cast, login, read_batch):
    # given a code saved since for one of the labels
    CodeMapping.objects.create(
        source="gongan_hukou", column="hukou_status", label="已死亡", code="3"
    )
    client = login(cast["city_staff"])

    # when city staff open the batch
    response = client.get(url(read_batch))

    # then the labels of 人员状态 are counted, most first, the saved one marked
    [column] = response.context["codes"]
    assert column["label"] == "人员状态"
    labels = [(lb["label"], lb["rows"], lb["saved"]) for lb in column["labels"]]
    assert labels == [("在册", 2, None), ("已死亡", 1, "3")]
    # each with a form offering the column's codes only
    form = column["labels"][0]["form"]
    assert set(dict(form.fields["code"].choices)) == {"", "1", "3"}
    assert reverse("sources:batch_code_mapping", args=[read_batch.pk]) in response.content.decode()


def test_it_offers_to_reapply_the_mappings_only_while_the_file_is_kept(cast, login, read_batch):
    client = login(cast["city_staff"])
    action = reverse("sources:batch_reapply", args=[read_batch.pk])
    assert action in client.get(url(read_batch)).content.decode()

    read_batch.stored_path = ""
    read_batch.save()
    response = client.get(url(read_batch))
    assert action not in response.content.decode()
    assert "服务器上已不再保存该批次的文件" in response.content.decode()


@pytest.mark.parametrize("who", ["clerk", "outsider", "viewer", "supervision", "sys_admin"])
def test_it_refuses_everyone_but_city_staff_and_audits_it(cast, login, hukou_batch, who):
    # given a user who is not city staff
    client = login(cast[who])

    # when they open the batch
    response = client.get(url(hukou_batch))

    # then they are refused, the refusal is audited, and nothing was viewed
    assert response.status_code == 403
    assert AuditEvent.objects.filter(
        event_type=EventType.DENIED, object_type="batch", object_id=str(hukou_batch.pk)
    ).exists()
    assert not AuditEvent.objects.filter(event_type=EventType.VIEW).exists()


def test_it_answers_404_for_a_batch_that_does_not_exist(cast, login, db):
    # given city staff
    client = login(cast["city_staff"])

    # when they open a batch number that does not exist
    response = client.get(reverse("sources:batch_detail", args=[999999]))

    # then the answer is 404
    assert response.status_code == 404
