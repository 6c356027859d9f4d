"""Cells that stay text: the formula-injection guard of every CSV and XLSX export."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from decimal import Decimal
from xml.etree import ElementTree

import pytest
import xlsxwriter

from minsheng.lib.spreadsheet import is_formula_like, safe_cell, safe_row, write_xlsx_row

HYPERLINK = '=HYPERLINK("http://x","y")'
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def xlsx_cells(content: bytes) -> list[dict]:
    """Every cell of every sheet of an XLSX file as stored: sheet file, reference, type,
    text (shared strings resolved) and whether it holds a formula. Read from the XML itself,
    so nothing a reader library does on loading hides a formula."""
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        names = book.namelist()
        shared = []
        if "xl/sharedStrings.xml" in names:
            # our own exports, written by the test just before: trusted XML
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))  # noqa: S314
            shared = ["".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")) for si in root]
        cells = []
        for name in sorted(n for n in names if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)):
            root = ElementTree.fromstring(book.read(name))  # noqa: S314
            for c in root.iter(f"{{{NS['m']}}}c"):
                kind = c.get("t", "n")
                v = c.find("m:v", NS)
                inline = c.find("m:is", NS)
                if kind == "s" and v is not None:
                    text = shared[int(v.text)]
                elif inline is not None:
                    text = "".join(t.text or "" for t in inline.iter(f"{{{NS['m']}}}t"))
                else:
                    text = v.text if v is not None else None
                cells.append(
                    {
                        "sheet": name,
                        "ref": c.get("r"),
                        "type": kind,
                        "text": text,
                        "formula": c.find("m:f", NS) is not None or kind == "str",
                    }
                )
        return cells


@pytest.mark.parametrize(
    "text",
    [HYPERLINK, "@SUM(1)", "+1+1", "-2+3", "=1", "\t=1", "\r=1", "\t", "-"],
)
def test_it_prefixes_text_that_a_spreadsheet_would_run(text):
    assert is_formula_like(text)
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    "text", ["", "张三", "a=b", "1+1", " =1", "'=1", "150302199001011237", "2026-03-01"]
)
def test_it_leaves_other_text_alone(text):
    assert not is_formula_like(text)
    assert safe_cell(text) == text


@pytest.mark.parametrize("value", [None, 0, -5, 3.5, Decimal("-1.20"), True, date(2026, 3, 1)])
def test_it_leaves_numbers_dates_and_none_alone(value):
    assert safe_cell(value) is value


def test_it_makes_a_whole_csv_row_safe_and_readable():
    # Given a row with a formula, an at-sign command, a number and a plain name
    out = io.StringIO()
    csv.writer(out).writerow(safe_row([1, HYPERLINK, "@SUM(1)", "-3", "张三"]))
    # When it is read back
    (row,) = list(csv.reader(io.StringIO(out.getvalue())))
    # Then no field starts a formula and every text is still there after the apostrophe
    assert row == ["1", "'" + HYPERLINK, "'@SUM(1)", "'-3", "张三"]
    assert not any(is_formula_like(field) for field in row)


def test_it_writes_xlsx_text_as_string_cells_never_formulas():
    # Given a worksheet row of a formula, a command, a number, a decimal, nothing and a name
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet("s")
    write_xlsx_row(sheet, 0, 0, [HYPERLINK, "@SUM(1)", 42, Decimal("1.5"), None, "张三", False])
    book.close()
    # When the file is read back
    cells = {c["ref"]: c for c in xlsx_cells(buf.getvalue())}
    # Then no cell is a formula, the texts are visible, the numbers are numbers
    assert not any(c["formula"] for c in cells.values())
    assert (cells["A1"]["type"], cells["A1"]["text"]) == ("s", "'" + HYPERLINK)
    assert (cells["B1"]["type"], cells["B1"]["text"]) == ("s", "'@SUM(1)")
    assert (cells["C1"]["type"], cells["C1"]["text"]) == ("n", "42")
    assert (cells["D1"]["type"], cells["D1"]["text"]) == ("n", "1.5")
    assert "E1" not in cells
    assert cells["F1"]["text"] == "张三"
    assert cells["G1"]["type"] == "b"


def test_it_shows_that_plain_xlsxwriter_would_have_written_a_formula():
    # The reader above does see formulas: xlsxwriter's own write() turns "=…" into one.
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    book.add_worksheet("s").write(0, 0, HYPERLINK)
    book.close()
    (cell,) = xlsx_cells(buf.getvalue())
    assert cell["formula"]
