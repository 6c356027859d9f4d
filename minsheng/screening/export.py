"""A target list as XLSX: masked values only, with a line naming who exported it."""

from __future__ import annotations

import io

import xlsxwriter
from django.utils import timezone

from minsheng.lib.spreadsheet import write_xlsx_row
from minsheng.residents.plain import Plain

from .rows import rows_for

CHUNK = 1000


def list_workbook(theme, rule_def, qs, *, as_of, user, area) -> tuple[bytes, int]:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet(rule_def.code[:31])
    bold = book.add_format({"bold": True})
    # Every cell through write_xlsx_row: archive values (names, areas, the conditions'
    # text) must stay text even when they start with = + - @ (formula injection).
    write_xlsx_row(sheet, 0, 0, [f"{theme.name_zh} · {rule_def.name_zh}"], bold)
    write_xlsx_row(
        sheet,
        1,
        0,
        [
            f"规则版本 {rule_def.version} · 数据日期 {as_of.isoformat()} · {area.name} · "
            f"导出人 {user.username} {timezone.localtime():%Y-%m-%d %H:%M}"
        ],
    )
    headers = ["姓名", "公民身份号码", "性别", "年龄", "区域", "条件"]
    write_xlsx_row(sheet, 3, 0, headers, bold)
    plain = Plain()
    row_no = 4
    count = 0
    ids = list(qs.values_list("person_id", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        residents = qs.filter(person_id__in=chunk)
        for row in rows_for(residents, rule_def, as_of, plain):
            why = "；".join(
                f"{'✓' if held else '✗'} {' '.join(text.split())}" for text, held in row["why"]
            )
            values = [row["name"], row["id_number"], row["sex"], row["age"], row["area"], why]
            write_xlsx_row(sheet, row_no, 0, values)
            row_no += 1
            count += 1
    sheet.set_column(0, 0, 10)
    sheet.set_column(1, 1, 22)
    sheet.set_column(4, 4, 20)
    sheet.set_column(5, 5, 80)
    book.close()
    return buf.getvalue(), count
