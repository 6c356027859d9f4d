"""Stage 1 reads the files offices really send: the corpus of `tests/files/` (whose
MANIFEST.json says, per file, the data sheet, the header row, the columns and every row as
Excel shows it) and small hand-made cases of each format. Plain pytest: no database."""

from __future__ import annotations

import codecs
import json
import zipfile
from functools import cache
from pathlib import Path

import polars as pl
import pytest

from minsheng.catalogue.registry import normalise_header
from minsheng.sources import read
from minsheng.sources.read import (
    SourceFileError,
    SourceLimitError,
    column_letter,
    decode,
    detect_encoding,
    read_file,
    read_headers,
    sheet_row,
)

FILES = Path(__file__).resolve().parents[3] / "tests" / "files"
ENCODINGS = {"utf-8": "utf-8", "utf-8-bom": "utf-8-sig", "gb18030": "gb18030"}


@cache
def manifest() -> dict[str, dict]:
    files = json.loads((FILES / "MANIFEST.json").read_text(encoding="utf-8"))["files"]
    return {e["file"]: e for e in files}


def read_entries() -> list[str]:
    """Files the reader must read: not refused, or refused by a later stage."""
    later = {None, "missing_required_column", "duplicate_column"}
    return [n for n, e in manifest().items() if (e["refusal"] or {}).get("code") in later]


def names(headers: list[str]) -> list[str]:
    return [normalise_header(h)[0] for h in headers]


def cell(sheet: read.Sheet, shown_row: int, letter: str) -> str | None:
    """The cell of the row and column as Excel shows them."""
    col = next(i for i in range(64) if column_letter(i) == letter)
    row = sheet.rows.filter(pl.col("row") == shown_row - sheet.header_row)
    return row[f"c{col}"].item()


# -- the corpus -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", read_entries())
def test_it_reads_each_corpus_file_as_the_manifest_says(name):
    e = manifest()[name]
    # When the file is read
    sheet = read_file(FILES / name)
    # Then its format, sheet and header row are the manifest's
    if e["content"] == "csv":
        assert sheet.format == "csv"
        assert sheet.delimiter == e["delimiter"]
        expected = "utf-16" if e["encoding"].startswith("utf-16") else ENCODINGS[e["encoding"]]
        assert sheet.encoding == expected
        assert sheet.sheet_name is None and sheet.other_sheets == ()
    else:
        assert sheet.format == sheet.encoding == e["content"]
        assert sheet.delimiter is None
        assert sheet.sheet_name == e["sheet"]
    assert sheet.header_row == e["header_row"]
    # and its header cells, normalised, are the manifest's columns
    assert names(sheet.header) == names([c["header"] for c in e["columns"]])
    assert sheet.hidden_columns == {i for i, c in enumerate(e["columns"]) if c.get("hidden")}
    # and every row as Excel shows it is there, hidden where it is hidden, and no other
    hidden = dict(zip(sheet.rows["row"].to_list(), sheet.rows["_hidden"].to_list(), strict=True))
    expected_rows = {r["row"] - e["header_row"]: bool(r.get("hidden")) for r in e["rows"]}
    assert hidden == expected_rows
    assert sheet.rows.columns[:5] == ["row", "_line", "_status", "_detail", "_hidden"]
    assert sheet.rows.schema["_hidden"] == pl.Boolean


@pytest.mark.parametrize(
    ("name", "code", "says"),
    [
        ("va_veterans_header_on_row_21.xlsx", "no_header_found", "1–20"),
        ("sbk_card_html_table_saved_as_xls.xls", "unsupported_format", "HTML"),
    ],
)
def test_it_refuses_what_it_cannot_read_with_the_reason(name, code, says, tmp_path):
    # Given the file in a folder of the test's own
    path = tmp_path / name
    path.write_bytes((FILES / name).read_bytes())
    # When it is read, it is refused with the code and a message saying why
    with pytest.raises(SourceFileError) as caught:
        read_file(path)
    error = caught.value
    assert error.code == manifest()[name]["refusal"]["code"] == code
    assert says in str(error) and name in str(error)
    # and the message names no server path
    assert str(tmp_path) not in str(error) and str(tmp_path) not in error.template
    assert error.template % error.params == str(error)


def test_it_finds_the_data_sheet_behind_instructions_and_a_data_dictionary():
    sheet = read_file(FILES / "cl_disability_roster_instructions_first_sheet.xlsx")
    assert sheet.sheet_name == "残疾人信息"
    assert sheet.other_sheets == ("填表说明", "数据字典")
    assert sheet.header[:3] == ["姓名", "性别", "身份证号码"]


def test_it_keeps_header_cells_as_written_with_their_line_breaks():
    sheet = read_file(FILES / "cl_disability_roster_header_linebreak.xlsx")
    assert sheet.header[1] == "姓  名" and sheet.header[3] == "身份证\n号码"
    sheet = read_file(FILES / "mz_dibao_excel_csv_quoted_linebreak_header.csv")
    assert sheet.header[3] == "身份证\n号码" and sheet.header[7] == "月保障\n金额（元）"
    # a quoted address with a comma stays one cell
    address = cell(sheet, 4, "K")
    assert address == "海勃湾区海北街道黄河社区黄河东街15号楼2单元301室,现借住女儿家"
    assert cell(sheet, 4, "L") == ""


def test_it_reads_a_record_with_a_quoted_line_break_as_one_row():
    sheet = read_file(FILES / "mz_tekun_unicode_text_utf16.txt")
    assert cell(sheet, 4, "J") == "海南区拉僧庙镇民乐社区\n民乐敬老院"
    assert cell(sheet, 5, "B") == "闫二女"  # the row after it keeps its number
    assert sheet.rows["_status"].null_count() == sheet.rows.height


def test_it_reads_rows_after_a_header_on_row_20_and_keeps_blank_rows():
    sheet = read_file(FILES / "cl_disability_header_row_20.xlsx")
    assert cell(sheet, 21, "B") == "薛建国"
    assert sheet.rows.filter(pl.col("row") == 26 - 20)["_status"].item() == "blank_row"
    assert cell(sheet, 27, "A").startswith("制表人")


def test_it_reads_xls_by_content_whatever_the_name():
    for name, shown_row, letter, value in (
        ("va_veterans_form_xls_97.xls", 3, "B", "贾振国"),
        ("va_veterans_xls_renamed_to_xlsx.xlsx", 2, "A", "高永强"),
    ):
        sheet = read_file(FILES / name)
        assert sheet.format == "xls" and sheet.numeric.is_empty()
        assert cell(sheet, shown_row, letter) == value


def test_it_gives_numeric_cells_their_stored_text():
    sheet = read_file(FILES / "cl_disability_exact_18digit_number_cells.xlsx")
    ids = dict(sheet.numeric.filter(col=2).select("row", "text").iter_rows())
    assert ids[1] == "150302196208302155"  # exact: never through a float
    assert ids[4].upper() == "1.50302199105272E+17"  # rounded by Excel, as stored
    assert ids[5] == "150302560304044"
    assert 6 not in ids  # a text cell
    assert sheet.numeric.filter(col=6).is_empty()  # 发证日期: date cells


def test_it_shows_the_decimals_a_cells_number_format_fixes():
    sheet = read_file(FILES / "va_veterans_birth_month_typed_as_number.xlsx")
    texts = {(r, c): t for r, c, t in sheet.numeric.iter_rows()}
    assert texts[(1, 3)] == "1965.03"
    assert texts[(2, 3)] == "1990.1"  # General: as stored
    assert texts[(3, 3)] == "1990.10"  # format 0.00
    assert texts[(4, 5)] == "45356"  # a bare serial in a General cell
    assert (1, 5) not in texts  # a date cell
    sheet = read_file(FILES / "mz_dibao_amounts_yuan_symbols.xlsx")
    assert sheet.numeric.filter(row=7, col=7)["text"].item() == "812.40"


def test_it_reads_the_header_for_source_detection_as_read_file_finds_it():
    for name in (
        "cl_disability_roster_instructions_first_sheet.xlsx",
        "va_veterans_xls_renamed_to_xlsx.xlsx",
        "mz_dibao_title_line_summary_trailer.csv",
        "mz_dibao_unicode_text_renamed_csv.csv",
        "mz_dibao_excel_csv_quoted_linebreak_header.csv",
        "rs_pension_export_tsv_named_xls.xls",
    ):
        assert read_headers(FILES / name) == read_file(FILES / name).header, name


# -- hand-made text -------------------------------------------------------------------------

TEXT = "姓名\t身份证号\t联系电话\r\n张三\t150302196701186231\t13947301877\r\n李四\t\t\r\n"


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        TEXT.encode("utf-16-le"),
        TEXT.encode("utf-16-be"),
    ],
    ids=["be-bom", "le-bom", "le", "be"],
)
def test_it_reads_utf16_text_with_or_without_a_bom(data, tmp_path):
    path = tmp_path / "list.txt"
    path.write_bytes(data)
    assert detect_encoding(data) == "utf-16"
    assert decode(data) == (TEXT, "utf-16")
    sheet = read_file(path)
    assert (sheet.encoding, sheet.delimiter, sheet.header) == (
        "utf-16",
        "\t",
        TEXT.split("\r\n")[0].split("\t"),
    )
    assert sheet.rows["c1"].to_list() == ["150302196701186231", ""]
    read.check_csv(data, max_rows=2)
    with pytest.raises(SourceLimitError):
        read.check_csv(data, max_rows=1)


def test_it_reads_a_csv_named_file_separated_by_tabs(tmp_path):
    path = tmp_path / "gongan_hukou_20260101.csv"
    path.write_text(
        "姓名\t公民身份号码\t户籍地址\n王伟\t150302196701186231\t海勃湾区,新华街道\n", "gb18030"
    )
    sheet = read_file(path)
    assert (sheet.delimiter, sheet.encoding) == ("\t", "gb18030")
    assert sheet.rows.row(0, named=True)["c2"] == "海勃湾区,新华街道"


def test_it_numbers_records_not_lines_when_quoted_fields_hold_line_breaks(tmp_path):
    # Given a title line, a header spanning two lines, a record spanning three and a blank
    path = tmp_path / "mz.csv"
    path.write_text(
        '花名册,,\r\n姓名,"身份证\n号码",家庭住址\r\n'
        '王伟,150302196701186231,"滨河大道\n12号楼\n502室"\r\n'
        ",,\r\n"
        '李娜,150302196701186231,"a ""quoted"" word"\r\n',
        "utf-8",
    )
    # When it is read
    sheet = read_file(path)
    # Then the header is record 2, and each record is one row, blank ones counted
    assert sheet.header_row == 2 and sheet.header == ["姓名", "身份证\n号码", "家庭住址"]
    rows = sheet.rows
    assert rows["row"].to_list() == [1, 2, 3]
    assert rows["c2"].to_list() == ["滨河大道\n12号楼\n502室", "", 'a "quoted" word']
    assert rows["_status"].to_list() == [None, "blank_row", None]
    assert rows["_line"][0] == '王伟,150302196701186231,"滨河大道\n12号楼\n502室"'
    assert [sheet_row(sheet, r) for r in rows["row"]] == [3, 4, 5]


def test_it_reads_on_after_a_stray_quote(tmp_path):
    # Given an unclosed quote in a field (typed by hand) and many rows after it
    path = tmp_path / "mz.csv"
    body = "".join(f"王{i},15030219670118623{i % 10}\n" for i in range(300))
    path.write_text('姓名,身份证号\n张三,"1503\n' + body, "utf-8")
    # When it is read, the quote does not swallow the rows after it
    sheet = read_file(path)
    assert sheet.rows.height == 301
    assert sheet.rows["c0"][-1] == "王299"


def test_it_keeps_the_header_repeated_and_wrong_field_counts_malformed(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("姓名,身份证号\n王伟,1\n姓名,身份证号\n合计：2条\n", "utf-8")
    statuses = read_file(path).rows["_status"].to_list()
    assert statuses == [None, "malformed_row", "malformed_row"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b"\r\n,,\r\n", "empty_file"),
        (b"\x00\x01\x02binary\x00" * 50, "unsupported_format"),
        (b"\xef\xbb\xbf\r\n <!DOCTYPE html><html><body><table></table>", "unsupported_format"),
        ("姓名,身份证号\n".encode("gb18030") + b"\xff\xff\n", "unsupported_format"),
        ("甲,乙\n1,2\n".encode(), "no_header_found"),
    ],
)
def test_it_refuses_other_files_with_a_code(data, code, tmp_path):
    path = tmp_path / "upload.xls"
    path.write_bytes(data)
    with pytest.raises(SourceFileError) as caught:
        read_file(path)
    assert caught.value.code == code
    assert str(tmp_path) not in str(caught.value)


def test_it_takes_the_row_with_the_most_known_headers_and_the_first_on_a_tie(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("姓名,性别,备注\n姓名,性别,身份证号\n姓名,性别,身份证号\n", "utf-8")
    sheet = read_file(path)
    assert sheet.header_row == 2 and sheet.rows.height == 1


def test_it_names_columns_and_rows_as_excel_shows_them():
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]


def test_it_gives_limit_refusals_the_code_too_large():
    with pytest.raises(SourceLimitError) as caught:
        read.check_csv(b"a\n1\n1\n", max_rows=1)
    assert caught.value.code == "too_large"


# -- hand-made workbooks --------------------------------------------------------------------

STYLES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="0.0#"/>'
    '<numFmt numFmtId="165" formatCode="yyyy&quot;年&quot;m&quot;月&quot;"/>'
    '<numFmt numFmtId="166" formatCode="[Red]0.000;&quot;minus&quot;0"/></numFmts>'
    '<cellXfs count="7"><xf numFmtId="0"/><xf numFmtId="2"/><xf numFmtId="14"/>'
    '<xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="166"/><xf numFmtId="1"/></cellXfs>'
    "</styleSheet>"
)


def workbook(path: Path, sheets: dict[str, str], shared: list[str] = ()) -> Path:
    """A workbook written part by part: sheet name → the XML inside <worksheet>."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w") as z:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        z.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            f"{overrides}</Types>",
        )
        z.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        tags = "".join(
            f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>'
            for i, n in enumerate(sheets, start=1)
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook {ns} xmlns:r="{rel}"><sheets>{tags}</sheets></workbook>',
        )
        links = "".join(
            f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        n = len(sheets)
        links += f'<Relationship Id="rId{n + 1}" Type="{rel}/styles" Target="styles.xml"/>'
        links += (
            f'<Relationship Id="rId{n + 2}" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{links}</Relationships>",
        )
        z.writestr("xl/styles.xml", STYLES)
        items = "".join(f"<si><t>{s}</t></si>" for s in shared)
        z.writestr("xl/sharedStrings.xml", f"<sst {ns}>{items}</sst>")
        for i, body in enumerate(sheets.values(), start=1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", f"<worksheet {ns}>{body}</worksheet>")
    return path


def s(ref: str, index: int) -> str:
    return f'<c r="{ref}" t="s"><v>{index}</v></c>'


def t(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def n(ref: str, value: str, style: int | None = None, typed: bool = False) -> str:
    attrs = (f' s="{style}"' if style is not None else "") + (' t="n"' if typed else "")
    return f'<c r="{ref}"{attrs}><v>{value}</v></c>'


def test_it_reads_numeric_cells_by_their_number_format(tmp_path):
    # Given a sheet whose column C holds numbers in General, 0.00, a date, 0.0#, a custom
    # date, a format with a colour, format 0, a formula; and strings that look like numbers
    shared = ["姓名", "身份证号", "出生年月", "12345"]
    rows = [
        f'<row r="1">{s("A1", 0)}{s("B1", 1)}{s("C1", 2)}</row>',
        f'<row r="2">{t("A2", "甲")}{n("B2", "150302196208302155", 6)}{n("C2", "1990.1")}</row>',
        f'<row r="3">{t("A3", "乙")}{s("B3", 3)}{n("C3", "1990.1", 1, typed=True)}</row>',
        f'<row r="4">{t("A4", "丙")}{n("C4", "45356", 2)}</row>',
        f'<row r="5">{t("A5", "丁")}{n("C5", "2010.1", 3)}{n("D5", "2010.126", 3)}</row>',
        f'<row r="6">{t("A6", "戊")}{n("C6", "45356", 4)}{n("D6", "7.5", 5)}</row>',
        f'<row r="7">{t("A7", "己")}<c r="C7" s="1"><f>C5+1</f><v>2011.1</v></c>'
        '<c r="D7" t="str"><f>"x"</f><v>1</v></c><c r="E7" t="b"><v>1</v></c></row>',
    ]
    path = workbook(
        tmp_path / "va.xlsx", {"Sheet1": f"<sheetData>{''.join(rows)}</sheetData>"}, shared
    )
    # When it is read
    sheet = read_file(path)
    # Then each numeric cell below the header has its text, dates and strings have none
    texts = {(column_letter(c), sheet_row(sheet, r)): x for r, c, x in sheet.numeric.iter_rows()}
    assert texts == {
        ("B", 2): "150302196208302155",
        ("C", 2): "1990.1",
        ("C", 3): "1990.10",
        ("C", 5): "2010.1",
        ("D", 5): "2010.13",
        ("D", 6): "7.500",
        ("C", 7): "2011.10",
    }
    assert sheet.numeric.schema == {"row": pl.Int64, "col": pl.Int64, "text": pl.String}
    assert cell(sheet, 3, "B") == "12345"


def test_it_reads_hidden_rows_and_columns_and_a_sheet_starting_in_column_b(tmp_path):
    # Given a title in B1, the header on row 3 from column B, column C hidden, row 5 hidden
    body = (
        '<cols><col min="3" max="3" width="9" hidden="1"/></cols><sheetData>'
        f'<row r="1"><c r="A1" s="1"/>{t("B1", "名册")}</row>'
        f'<row r="3">{t("B3", "姓名")}{t("C3", "联系电话")}{t("D3", "手机号码")}</row>'
        f'<row r="4">{t("B4", "甲")}{t("D4", "139")}</row>'
        f'<row r="5" hidden="1">{t("B5", "乙")}{n("C5", "4012356")}</row>'
        f'<row r="6">{t("B6", "丙")}</row>'
        "</sheetData>"
    )
    path = workbook(tmp_path / "cl.xlsx", {"Sheet1": body})
    # When it is read
    sheet = read_file(path)
    # Then columns keep their letters (A empty), and hidden ones are known
    assert sheet.header == ["", "姓名", "联系电话", "手机号码"]
    assert sheet.header_row == 3 and sheet.hidden_columns == frozenset({2})
    assert sheet.rows["_hidden"].to_list() == [False, True, False]
    assert cell(sheet, 4, "D") == "139"
    assert sheet.numeric.rows() == [(2, 2, "4012356")]


def test_it_reads_cells_without_references(tmp_path):
    # Given rows and cells without r (placed after the previous one)
    body = (
        "<sheetData>"
        '<row><c t="inlineStr"><is><t>姓名</t></is></c><c t="inlineStr"><is><t>身份证号</t></is></c>'
        '</row><row hidden="1"><c t="inlineStr"><is><t>甲</t></is></c><c><v>12</v></c></row>'
        "</sheetData>"
    )
    sheet = read_file(workbook(tmp_path / "x.xlsx", {"Sheet1": body}))
    assert sheet.header == ["姓名", "身份证号"]
    assert sheet.rows["_hidden"].to_list() == [True]
    assert sheet.numeric.rows() == [(1, 1, "12")]


def test_it_refuses_a_workbook_without_a_header_naming_the_sheets_searched(tmp_path):
    path = workbook(
        tmp_path / "x.xlsx",
        {
            "说明": f'<sheetData><row r="1">{t("A1", "填表说明")}</row></sheetData>',
            "数据": f'<sheetData><row r="1">{t("A1", "甲")}{t("B1", "乙")}</row></sheetData>',
        },
    )
    with pytest.raises(SourceFileError) as caught:
        read_file(path)
    assert caught.value.code == "no_header_found"
    assert "说明" in str(caught.value) and "数据" in str(caught.value)
    assert "1–20" in str(caught.value)
