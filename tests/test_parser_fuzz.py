"""`read_source_file` on anything a clerk could upload: it either refuses the file
(`SourceFileError`, or `UnknownSource` when no source fits) or returns a `ParsedFile` in
which every row after the header is accepted or quarantined exactly once (`row` 1..read,
`sheet_row = header_row + row`). Any other exception is a bug.

Three Hypothesis tests, each bounded (examples written to the test's tmp_path, no deadline):
any byte string (with the prefixes that steer format detection, and corpus files cut or
damaged); any delimited text (registry headers and junk, cells with quotes, line breaks,
full-width characters, IDs and dates as offices write them; UTF-8 with and without BOM,
GB18030, UTF-16 with and without BOM; comma or tab; CRLF or LF; title and trailer lines);
any small workbook (openpyxl .xlsx or xlwt .xls, several sheets, cells of every type,
hidden rows and columns, merged titles, a header anywhere in the first rows). Each is read
with a source drawn from the registry and with none (detection), under a name that may
match the source's file pattern and an extension that may lie.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from minsheng.catalogue import registry
from minsheng.catalogue.registry import UnknownSource
from minsheng.lib.idcard import check_char
from minsheng.sources.parse import read_source_file
from minsheng.sources.read import SourceFileError

from . import corpus

FUZZ = settings(
    max_examples=200,  # bytes ≈ 2 s; below, 100 texts ≈ 5 s and 60 workbooks ≈ 9 s
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SOURCES = [s.name for s in registry.sources()]
DECLARED = sorted({h for s in registry.sources() for c in s.columns for h in c.headers})
HEADERS = sorted(registry.all_headers() | set(DECLARED))
JUNK_HEADERS = [
    "序号",
    "备注",
    "Column1",
    "",
    " ",
    "姓名2",
    "身份证",
    "金额（元）",
    "合计",
    "#REF!",
]

# Cells as office files hold them: IDs mangled by Excel, dates and amounts as typed, codes
# outside the lists, summary and signature lines, quoting and formula bait.
ODD_CELLS = [
    "",
    " ",
    "\u3000",
    "合计",
    "总计：12户",
    "制表人：张三  审核人：李四  填表日期：2026年10月8日",
    "#N/A",
    "#VALUE!",
    "待补录",
    "1.50304E+17",
    "150304198807152000",
    "15030219910527173x",
    "１５０３０２１９９１０５２７１７３２",
    "150302 19910527 1732",
    "150302-19910527-1732",
    "150302910527173",
    "2023.5.12",
    "二〇二三年五月",
    "2023年5月12日",
    "二〇二二年十一月三日",
    "2024/3/5",
    "19900101",
    "1990.1",
    "1965.03",
    "199210",
    "45356",
    "2026-03-13 22:40",
    "2026-03-13T22:40:00",
    "2052-09-03",
    "1925-06-03",
    "¥1,234.50",
    "1234.5元",
    "７８０",
    "￥ 980.00",
    "1,020",
    "3人",
    "１人",
    "1户4人",
    "12个月",
    "3万元",
    "男",
    "女",
    "1",
    "2",
    "9",
    "低保",
    "城市低保",
    "临时救助",
    "Ⅳ级",
    "贰级",
    "肢体残疾",
    "听力语言",
    "在保",
    "停保",
    "正常（人户分离）",
    '"',
    '""',
    'a"b',
    "a,b",
    "a\tb",
    "line\nbreak",
    "line\r\nbreak",
    "=1+2",
    "=VLOOKUP(A2,Sheet2!A:B,2,0)",
    "-0",
    "NaN",
    "inf",
    "1e309",
    "9" * 40,
    "\ufeff",
    "阿依古丽·吐尔逊",
    "买买提•艾力",
    "娜仁・其其格",
    "巴特尔．朝鲁",
    "热依拉 . 艾买提",
    "<html>",
    "<td>",
]

body17 = st.from_regex(
    r"15030[234](19[4-9][0-9]|20[0-2][0-9])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}",
    fullmatch=True,
)
valid_ids = body17.map(lambda b: b + check_char(b))
texts = st.text(max_size=16)
cells = st.one_of(
    st.sampled_from(ODD_CELLS),
    valid_ids,
    texts,
    st.integers(-(10**20), 10**20).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
    st.dates(date(1880, 1, 1), date(2099, 12, 31)).map(str),
)
decorations = st.sampled_from(
    [
        lambda h: h,
        lambda h: h[:1] + "\n" + h[1:],
        lambda h: " " + h + " ",
        lambda h: h[:1] + "\u3000" + h[1:],
        lambda h: h + "（元）",
        lambda h: h + "(人)",
        lambda h: h.replace("（", "(").replace("）", ")"),
    ]
)

# Values of a declared column's kind, written as offices write them, so that many rows get
# past the checks and through normalisation.
days = st.dates(date(1900, 1, 1), date(2030, 12, 31))
day_texts = st.one_of(
    days.map(date.isoformat),
    days.map(lambda d: f"{d.year}.{d.month}.{d.day}"),
    days.map(lambda d: f"{d.year}/{d.month}/{d.day}"),
    days.map(lambda d: f"{d.year}年{d.month}月{d.day}日"),
    days.map(lambda d: d.strftime("%Y%m%d")),
    days.map(lambda d: f"{d.year}.{d.month:02d}"),
)
KIND_CELLS = {
    "id": st.one_of(
        valid_ids, valid_ids.map(lambda n: n[:6] + n[8:17]), st.sampled_from(ODD_CELLS)
    ),
    "name": st.sampled_from(["张三", "李秀英", "阿依古丽·吐尔逊", "买买提•艾力", "王  建华", ""]),
    "sex": st.sampled_from(["男", "女", "1", "2", "未知", "男性"]),
    "date": day_texts,
    "year_month": st.one_of(day_texts, st.sampled_from(["1965.03", "1990.1", "199210", "1976.1"])),
    "datetime": st.datetimes(datetime(1990, 1, 1), datetime(2030, 12, 31)).map(str),
    "phone": st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    "code": st.sampled_from(
        ["1", "2", "01", "02", "低保", "城市低保", "在保", "汉族", "户主", "子"]
    ),
    "integer": st.one_of(st.integers(0, 99).map(str), st.sampled_from(["3人", "１人", "12个月"])),
    "decimal": st.one_of(
        st.decimals(0, 10**6, places=2).map(str),
        st.sampled_from(["¥1,234.50", "1234.5元", "７８０", "￥ 980.00", "3万元"]),
    ),
    "uscc": st.sampled_from(["91150302MA0N3K8T7M", "92150302MA13T2YB1R", "911503021234"]),
    "text": texts,
}


@st.composite
def header_rows(draw, source: str | None) -> list[tuple[str, str | None]]:
    """A header, each cell with the kind of the declared column it names (None for junk):
    the source's columns (any variant, decorated; a required one dropped now and then) if
    there is one, registry headers of any source and junk, in any order."""
    found: list[tuple[str, str | None]] = []
    if source is not None:
        src = registry.source(source)
        needed = {c.name for c in src.required_columns} | {src.id_column, *src.key_columns}
        for col in src.columns:
            if draw(st.integers(0, 19 if col.name in needed else 2)) > 0:
                header = draw(decorations)(draw(st.sampled_from(col.headers)))
                found.append((header, col.kind))
    if draw(st.booleans()):  # registry headers of any source: duplicates, other sources
        found += [(h, None) for h in draw(st.lists(st.sampled_from(HEADERS), max_size=3))]
    found += [(h, None) for h in draw(st.lists(st.sampled_from(JUNK_HEADERS) | texts, max_size=2))]
    return draw(st.permutations(found)) if found else [(draw(texts), None)]


@st.composite
def data_rows(draw, kinds: list[str | None], values=cells) -> list[list]:
    """A few rows under a header: mostly a value of each column's kind, else anything;
    now and then a row cut short or running past the header."""
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        row = [draw(KIND_CELLS[k] if k and draw(st.integers(0, 3)) > 0 else values) for k in kinds]
        shape = draw(st.sampled_from(["full", "full", "full", "short", "long"]))
        if shape == "short":
            row = row[: draw(st.integers(0, len(row)))]
        elif shape == "long":
            row += draw(st.lists(values, min_size=1, max_size=2))
        rows.append(row)
    return rows


def names(source: str | None):
    """A file name: the source's own pattern (detection by name) or anything."""
    own = [f"{source}_20261001"] if source else []
    return st.sampled_from([*own, "fuzz", "花名册（最终版）", "export"])


def check(path, source: str | None) -> None:
    """The invariant: refused, or every row after the header accounted for once."""
    try:
        parsed = read_source_file(path, source)
    except (SourceFileError, UnknownSource):
        return
    except BaseException as exc:
        # A panic in a native reader (pyo3's PanicException) is a BaseException: made an
        # ordinary failure so that Hypothesis shrinks and reports the example.
        if type(exc).__name__ == "PanicException":
            raise AssertionError(f"the reader panicked: {exc}") from exc
        raise
    accepted, quarantined = parsed.accepted, parsed.quarantined
    assert parsed.read == accepted.height + quarantined.height
    numbers = sorted(accepted["row"].to_list() + quarantined["row"].to_list())
    assert numbers == list(range(1, parsed.read + 1))
    for frame in (accepted, quarantined):
        offsets = set((frame["sheet_row"] - frame["row"]).to_list())
        assert offsets <= {parsed.header_row}, offsets


# -- any bytes ----------------------------------------------------------------------------

PREFIXES = [
    b"",
    b"PK\x03\x04",
    b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xfe\xff",
    b'<html xmlns:x="urn:schemas-microsoft-com:office:excel"><table><tr><td>',
    "姓名,身份证号码,性别\r\n".encode("gb18030"),
    "姓名\t公民身份号码\t死亡日期\r\n".encode("utf-16"),
]


@st.composite
def damaged_corpus_files(draw) -> bytes:
    """A corpus file cut short, with bytes overwritten, or with bytes inserted."""
    data = corpus.path(draw(st.sampled_from([e["file"] for e in corpus.entries()]))).read_bytes()
    at = draw(st.integers(0, len(data)))
    how = draw(st.sampled_from(["cut", "overwrite", "insert"]))
    if how == "cut":
        return data[:at]
    junk = draw(st.binary(min_size=1, max_size=16))
    if how == "overwrite":
        return data[:at] + junk + data[at + len(junk) :]
    return data[:at] + junk + data[at:]


byte_files = st.one_of(
    st.binary(max_size=2048),
    st.builds(lambda p, b: p + b, st.sampled_from(PREFIXES), st.binary(max_size=1024)),
    damaged_corpus_files(),
)
extensions = st.sampled_from([".csv", ".txt", ".xlsx", ".xls", ".et", ""])


@FUZZ
@given(
    data=byte_files,
    source=st.sampled_from([None, *SOURCES]),
    extension=extensions,
    name=st.data(),
)
def test_it_refuses_or_reads_any_byte_string(tmp_path, data, source, extension, name):
    # given any bytes, under a name that may or may not say the source or the format
    path = tmp_path / f"{name.draw(names(source))}{extension}"
    path.write_bytes(data)
    # then reading it refuses the file or accounts for every row
    check(path, source)


# -- any delimited text -------------------------------------------------------------------

ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-16-be"]


@st.composite
def delimited_texts(draw, source: str | None) -> tuple[str, str]:
    """(text, encoding) of a delimited file with a header, data rows, and maybe title,
    blank, summary and signature lines."""
    delimiter = draw(st.sampled_from([",", "\t"]))
    terminator = draw(st.sampled_from(["\r\n", "\n"]))
    columns = draw(header_rows(source))
    header = [h for h, _kind in columns]
    rows = draw(data_rows([kind for _h, kind in columns]))
    above = draw(
        st.lists(st.sampled_from(["乌海市花名册", "", "填报单位：乌达区民政局"]), max_size=2)
    )
    below = draw(
        st.lists(st.sampled_from(["", "合计,,,12", "制表人：张三,审核人：李四"]), max_size=2)
    )
    out = io.StringIO()
    if draw(st.booleans()):
        writer = csv.writer(out, delimiter=delimiter, lineterminator=terminator)
        writer.writerows([[line] for line in above])
        writer.writerow(header)
        writer.writerows(rows)
        writer.writerows([[line] for line in below])
    else:  # written by hand: no quoting at all
        lines = [*above, delimiter.join(header), *(delimiter.join(r) for r in rows), *below]
        out.write(terminator.join(lines) + draw(st.sampled_from([terminator, ""])))
    return out.getvalue(), draw(st.sampled_from(ENCODINGS))


@settings(parent=FUZZ, max_examples=100)
@given(source=st.sampled_from([None, *SOURCES]), data=st.data())
def test_it_refuses_or_reads_any_delimited_text(tmp_path, source, data):
    # given a delimited text with registry headers and junk, in an office encoding
    text, encoding = data.draw(delimited_texts(source))
    extension = data.draw(st.sampled_from([".csv", ".txt", ".xls"]))
    path = tmp_path / f"{data.draw(names(source))}{extension}"
    path.write_bytes(text.encode(encoding))
    # then reading it refuses the file or accounts for every row
    check(path, source)


# -- any small workbook -------------------------------------------------------------------

SHEET_TITLES = ["Sheet", "填表说明", "数据字典", "花名册", "残疾人信息", "低保对象", "2025届"]
workbook_texts = st.one_of(st.sampled_from(ODD_CELLS), valid_ids, texts).map(
    lambda s: ILLEGAL_CHARACTERS_RE.sub("", s)
)
workbook_cells = st.one_of(
    st.none(),
    workbook_texts,
    valid_ids.filter(str.isdigit).map(int),
    st.integers(-(10**18), 10**18),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.sampled_from([1.50304e17, 150302199105272000.0, 1990.1, 1990.10, 2014.12, 45356.0]),
    st.datetimes(datetime(1900, 3, 1), datetime(2099, 12, 31)),
    st.dates(date(1900, 3, 1), date(2099, 12, 31)),
    st.booleans(),
)


def clean(value):
    """A value openpyxl can write (no control characters in text)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


NUMBER_FORMATS = ["General", "0", "0.00", "@", "yyyy-mm-dd", "yyyy/m/d h:mm", '0"人"']


@st.composite
def sheets(draw, source: str | None) -> dict:
    """One sheet: a few rows above the header (titles, blanks), the header, data rows, and
    which rows and columns are hidden."""
    columns = draw(header_rows(source))
    header = [ILLEGAL_CHARACTERS_RE.sub("", h) for h, _kind in columns]
    width = len(header)
    above = draw(st.lists(st.lists(workbook_cells, max_size=3), max_size=22))
    rows = draw(data_rows([kind for _h, kind in columns], workbook_cells))
    rows = [[clean(v) for v in row] for row in rows]
    grid = [*above, header, *rows]
    return {
        "grid": grid,
        "hidden_rows": draw(st.sets(st.integers(1, len(grid)), max_size=3)),
        "hidden_columns": draw(st.sets(st.integers(1, width + 2), max_size=2)),
        "merge_title": draw(st.booleans()) and bool(above),
        "formats": draw(st.lists(st.sampled_from(NUMBER_FORMATS), max_size=width + 2)),
        "filter": draw(st.booleans()),
    }


def write_xlsx(path, drawn: list[dict], titles: list[str]) -> None:
    wb = Workbook()
    for i, (sheet, title) in enumerate(zip(drawn, titles, strict=True)):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = title
        for r, row in enumerate(sheet["grid"], start=1):
            for c, value in enumerate(row, start=1):
                cell = ws.cell(row=r, column=c, value=value)
                if c <= len(sheet["formats"]) and not isinstance(value, str):
                    cell.number_format = sheet["formats"][c - 1]
        for r in sheet["hidden_rows"]:
            ws.row_dimensions[r].hidden = True
        for c in sheet["hidden_columns"]:
            ws.column_dimensions[get_column_letter(c)].hidden = True
        if sheet["merge_title"]:
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=4)
        if sheet["filter"] and ws.max_row > 1:
            ws.auto_filter.ref = ws.dimensions
    wb.save(path)


def write_xls(path, drawn: list[dict], titles: list[str]) -> None:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    for sheet, title in zip(drawn, titles, strict=True):
        ws = wb.add_sheet(title)
        for r, row in enumerate(sheet["grid"]):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, int) and not isinstance(value, bool):
                    value = float(value)  # BIFF holds numbers as doubles
                if isinstance(value, datetime | date):
                    ws.write(r, c, value, xlwt.easyxf(num_format_str="yyyy-mm-dd"))
                else:
                    ws.write(r, c, value)
        for r in sheet["hidden_rows"]:
            ws.row(r - 1).hidden = True
        for c in sheet["hidden_columns"]:
            ws.col(c - 1).hidden = True
    wb.save(str(path))


@settings(parent=FUZZ, max_examples=60)
@given(source=st.sampled_from([None, *SOURCES]), data=st.data())
def test_it_refuses_or_reads_any_small_workbook(tmp_path, source, data):
    # given a workbook of a few sheets, any of which may hold the source's header
    count = data.draw(st.integers(1, 3))
    drawn = [
        data.draw(sheets(source if i == 0 or data.draw(st.booleans()) else None))
        for i in range(count)
    ]
    order = data.draw(st.permutations(range(count)))
    drawn = [drawn[i] for i in order]
    titles = [f"{data.draw(st.sampled_from(SHEET_TITLES))}{i}" for i in range(count)]
    kind = data.draw(st.sampled_from(["xlsx", "xls"]))
    extension = data.draw(st.sampled_from([f".{kind}", ".et", ".xlsx", ".xls"]))
    path = tmp_path / f"{data.draw(names(source))}{extension}"
    (write_xlsx if kind == "xlsx" else write_xls)(path, drawn, titles)
    # then reading it refuses the file or accounts for every row
    check(path, source)
