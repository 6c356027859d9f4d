"""Files beyond any department export are refused before they are loaded: workbooks that
inflate (ZIP bombs, a far-out cell, a lying ZIP), CSV files with too many rows or a
monstrous field. Each refusal must be quick and must not take the file into memory."""

from __future__ import annotations

import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from django.utils import translation
from django.utils.translation import gettext

from minsheng.pipeline.ingest import import_file
from minsheng.sources import read
from minsheng.sources.models import Batch, BatchStatus
from minsheng.sources.read import SourceFileError, SourceLimitError, check_workbook, read_file

MB = 1024 * 1024

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def cell(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def row(n: int, *cells: bytes) -> bytes:
    return f'<row r="{n}">'.encode() + b"".join(cells) + b"</row>"


def workbook(path: Path, sheet_data, *, dimension: str | None = None) -> Path:
    """A workbook written part by part with zipfile: `sheet_data` is the bytes inside
    <sheetData>, or an iterable of such chunks (streamed, so a large sheet never exists in
    memory as a whole)."""
    chunks = [sheet_data] if isinstance(sheet_data, bytes) else sheet_data
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(SHEET_HEAD)
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>")
            for chunk in chunks:
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return path


def understate_sheet_size(path: Path, declared: int) -> None:
    """Rewrite the sheet's uncompressed size in the local header and the central directory,
    as a crafted file would: the data stays as it is."""
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    for signature, size_at, name_len_at, name_at in (
        (b"PK\x03\x04", 22, 26, 30),
        (b"PK\x01\x02", 24, 28, 46),
    ):
        pos = data.find(signature)
        while pos >= 0:
            (name_len,) = struct.unpack_from("<H", data, pos + name_len_at)
            if data[pos + name_at : pos + name_at + name_len] == name:
                struct.pack_into("<I", data, pos + size_at, declared)
            pos = data.find(signature, pos + 4)
    path.write_bytes(bytes(data))


def refused(path: Path, **limits) -> tuple[SourceFileError, float, int]:
    """The refusal of `path`, the seconds it took, and the peak of Python memory during a
    second refusal (traced apart: tracing slows allocation down)."""

    def refuse() -> SourceFileError:
        with pytest.raises(SourceFileError) as caught:
            if limits:
                check_workbook(path, **limits)
            else:
                read_file(path)
        return caught.value

    started = time.perf_counter()
    error = refuse()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    try:
        refuse()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return error, seconds, peak


HEADER_ROW = row(1, cell("A1", "姓名"), cell("B1", "身份证号"))


def test_it_reads_a_hand_built_workbook_within_the_limits(tmp_path):
    # Given a workbook built part by part as the bombs below are
    path = workbook(
        tmp_path / "ok.xlsx",
        HEADER_ROW + row(2, cell("A2", "张三"), cell("B2", "x")),
        dimension="A1:B2",
    )
    # When it is read
    sheet = read_file(path)
    # Then its header and row are there
    assert sheet.header == ["姓名", "身份证号"]
    assert sheet.rows.height == 1


def test_it_refuses_a_sheet_declaring_six_million_rows_without_reading_it(tmp_path):
    # Given a small workbook whose sheet declares A1:Z6000000
    path = workbook(tmp_path / "bomb.xlsx", HEADER_ROW, dimension="A1:Z6000000")
    # When it is read
    error, seconds, peak = refused(path)
    # Then it is refused at once, naming the rows declared and the limit
    assert isinstance(error, SourceLimitError)
    assert error.params["actual"] == "6,000,000"
    assert error.params["limit"] == "1,048,576"
    assert "6,000,000 rows" in str(error) and error.template == read.SHEET_TOO_MANY_ROWS
    assert seconds < 1 and peak < 8 * MB


def test_it_refuses_a_zip_bomb_of_one_row_repeated_by_its_declared_size(tmp_path):
    # Given 64 MB of one row repeated, compressed to a few hundred KB, under a dimension
    # that claims a single cell
    one = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    chunk = one * (MB // len(one))
    path = workbook(tmp_path / "bomb.xlsx", (chunk for _ in range(64)), dimension="A1")
    assert path.stat().st_size < MB
    # When it is read
    error, seconds, peak = refused(path)
    # Then the part's compression ratio refuses it before a byte is inflated
    assert error.template == read.TOO_COMPRESSED
    assert int(error.params["actual"].replace(",", "")) > read.MAX_COMPRESSION_RATIO
    assert seconds < 1 and peak < 8 * MB


def test_it_refuses_a_zip_bomb_that_understates_its_size_while_inflating(tmp_path):
    # Given the same bomb whose ZIP headers claim the sheet is 1,000 bytes (fastexcel
    # would read all of it)
    one = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    chunk = one * (MB // len(one))
    path = workbook(tmp_path / "bomb.xlsx", (chunk for _ in range(64)))
    understate_sheet_size(path, 1000)
    assert zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml").file_size == 1000
    # When it is read
    error, seconds, peak = refused(path)
    # Then inflating it stops at the first MB beyond the ratio, with 1 MB pieces in memory
    assert error.template == read.TOO_COMPRESSED
    assert seconds < 1 and peak < 8 * MB


def test_it_refuses_a_workbook_that_inflates_beyond_the_size_limit(tmp_path):
    # Given 4.3 MB of ordinary rows (distinct numbers: no ratio alarm), checked against a
    # limit of 4 MB (a file beyond the real 256 MB would be slow to build), with the ZIP
    # understating the sheet's size so that only inflating it tells
    rows = (
        b"".join(row(n, cell(f"A{n}", f"{n * 7919}")) for n in range(k, k + 2000))
        for k in range(2, 60000, 2000)
    )
    path = workbook(tmp_path / "big.xlsx", rows)
    understate_sheet_size(path, 1000)
    # When it is checked
    error, seconds, peak = refused(path, max_bytes=4 * MB)
    # Then it is refused once 4 MB have been inflated
    assert error.template == read.TOO_LARGE
    assert error.params["limit"] == "4"
    assert seconds < 2 and peak < 8 * MB


def test_it_refuses_one_cell_far_out_that_would_make_the_sheet_range_huge(tmp_path):
    # Given 20,000 rows of one cell and one cell in column XFD, under a dimension that
    # claims two cells: fastexcel would allocate 20,001 × 16,384 cells (16 GB)
    rows = [b"".join(row(n, cell(f"A{n}", "x")) for n in range(1, 20001))]
    rows.append(row(20001, cell("XFD20001", "x")))
    path = workbook(tmp_path / "far.xlsx", rows, dimension="A1:B2")
    # When it is read
    error, seconds, peak = refused(path)
    # Then the column is refused, naming it
    assert error.template == read.SHEET_TOO_MANY_COLUMNS
    assert error.params["actual"] == "16,384"
    assert seconds < 2 and peak < 8 * MB


def test_it_refuses_a_sheet_range_of_too_many_cells(tmp_path):
    # Given a sheet with a cell in column GR (200) on row 1 and one on row 200,000: within
    # the row and column limits, but a range of 40 M cells
    data = HEADER_ROW + row(2, cell("GR2", "x")) + row(200000, cell("A200000", "x"))
    path = workbook(tmp_path / "range.xlsx", data)
    # When it is read
    error, seconds, peak = refused(path)
    # Then the range is refused
    assert error.template == read.SHEET_TOO_MANY_CELLS
    assert error.params["actual"] == "40,000,000"
    assert seconds < 1 and peak < 8 * MB


def test_it_counts_the_rows_of_a_sheet_that_declares_no_dimension(tmp_path):
    # Given 300 rows and no dimension, checked against a limit of 100 data rows
    data = b"".join(row(n, cell(f"A{n}", "x")) for n in range(1, 301))
    path = workbook(tmp_path / "rows.xlsx", data)
    # When it is checked
    error, _, _ = refused(path, max_rows=100)
    # Then the rows counted refuse it (100 data rows, the header and the 20 rows searched
    # for it above)
    assert error.template == read.SHEET_TOO_MANY_ROWS
    assert error.params["limit"] == "121"


def test_it_refuses_a_workbook_cell_longer_than_the_cell_limit(tmp_path):
    # Given a workbook (xlsxwriter) with an address of 5,000 characters
    path = tmp_path / "long.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["姓名", "身份证号", "地址"])
    sheet.write_row(1, 0, ["张三", "x", "短"])
    sheet.write_row(2, 0, ["李四", "y", "长" * 5000])
    book.close()
    # When it is read
    error, _, _ = refused(path)
    # Then the cell is named by its data row
    assert error.template == read.CELL_TOO_LONG
    assert error.params == {"row": 2, "actual": "5,000", "limit": "4,000"}


def test_it_refuses_a_csv_of_more_rows_than_the_limit_before_splitting_it(tmp_path):
    # Given a CSV of one row more than the limit
    path = tmp_path / "gongan_hukou_20260101.csv"
    path.write_bytes("姓名\n".encode() + b"1\n" * (read.MAX_ROWS + 1))
    # When it is read
    error, seconds, peak = refused(path)
    # Then it is refused with the figures, having held nothing but the file's bytes
    assert error.template == read.TOO_MANY_ROWS
    assert error.params == {"actual": "3,000,001", "limit": "3,000,000"}
    assert "3,000,001 data rows" in str(error)
    assert seconds < 2 and peak < path.stat().st_size + 4 * MB


def test_it_accepts_a_csv_of_exactly_the_row_limit():
    # Given the row check alone on a file of exactly the limit, with and without a final
    # line break
    for tail in (b"\n", b""):
        data = "姓名\n".encode() + b"1\n" * (read.MAX_ROWS - 1) + b"1" + tail
        read.check_csv(data)
        with pytest.raises(SourceLimitError):
            read.check_csv(data + (b"1\n" if tail else b"\n1"))


def test_it_refuses_a_csv_field_longer_than_the_cell_limit(tmp_path):
    # Given a CSV whose third row has an address of 5,000 characters (quoted, with commas)
    path = tmp_path / "gongan_hukou_20260101.csv"
    long_address = ("长," * 2500)[:-1]
    path.write_text(
        f'姓名,户籍地址\n张三,短\n李四,"a,b"\n王五,"{long_address}"\n', encoding="utf-8"
    )
    # When it is read
    error, _, _ = refused(path)
    # Then the row and the length are named
    assert error.template == read.CELL_TOO_LONG
    assert error.params == {"row": 3, "actual": "4,999", "limit": "4,000"}


def test_it_keeps_a_long_line_of_short_fields(tmp_path):
    # Given a line longer than the cell limit made of short fields (under a header of two
    # known columns: a header needs two)
    path = tmp_path / "gongan_hukou_20260101.csv"
    path.write_text("姓名,身份证号\n" + ",".join(["x" * 10] * 1000) + "\n", encoding="utf-8")
    # When it is read, it is read (the line is malformed, not refused)
    sheet = read_file(path)
    assert sheet.rows["_status"].to_list() == ["malformed_row"]


def test_it_refuses_a_csv_of_too_many_columns(tmp_path):
    path = tmp_path / "gongan_hukou_20260101.csv"
    path.write_text(",".join(f"c{i}" for i in range(300)) + "\n", encoding="utf-8")
    error, _, _ = refused(path)
    assert error.template == read.TOO_MANY_COLUMNS
    assert error.params == {"actual": "300", "limit": "256"}


def test_it_refuses_a_damaged_zip_as_not_a_workbook(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    error, _, _ = refused(path)
    assert error.template == read.NOT_A_WORKBOOK


def test_it_gives_the_clerk_the_refusal_in_chinese_with_its_figures(tmp_path):
    # Given a CSV refused for its rows
    path = tmp_path / "gongan_hukou_20260101.csv"
    path.write_bytes("姓名\n".encode() + b"1\n" * (read.MAX_ROWS + 1))
    error, _, _ = refused(path)
    # When its message is translated as the pages translate text
    with translation.override("zh-hans"):
        text = gettext(error.template) % error.params
    # Then the clerk reads it in Chinese, with the figures
    assert text == "文件有 3,000,001 行数据，最多接受 3,000,000 行"


def test_it_counts_cells_without_a_reference_row_by_row(tmp_path):
    # Given rows whose cells carry no reference (the reader places each after the previous
    # one): a thousand rows of two cells, then one row of 300
    bare = b'<c t="inlineStr"><is><t>x</t></is></c>'
    data = b"".join(b"<row>" + bare * 2 + b"</row>" for _ in range(1000))
    path = workbook(tmp_path / "bare.xlsx", [data, b"<row>" + bare * 300 + b"</row>"])
    # When it is read
    error, _, _ = refused(path)
    # Then the wide row is refused for its columns, not the narrow ones for their sum
    assert error.template == read.SHEET_TOO_MANY_COLUMNS
    assert error.params["actual"] == "300"


@pytest.mark.django_db
def test_it_fails_the_import_of_a_refused_file_with_the_reason(tmp_path, crypto):
    # Given a graduates workbook declaring six million rows
    path = workbook(tmp_path / "edu_graduates_20260101.xlsx", HEADER_ROW, dimension="A1:Z6000000")
    # When it is imported
    with pytest.raises(SourceLimitError):
        import_file(path)
    # Then its batch failed, saying why
    batch = Batch.objects.get()
    assert batch.status == BatchStatus.FAILED
    assert "6,000,000 行" in batch.error
