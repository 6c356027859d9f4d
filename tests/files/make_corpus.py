"""Make the office-file corpus of issue 11 (tests/files/), its MANIFEST.json and README.md.

Run once from the repository root; the files it writes are committed:

    .venv/bin/python tests/files/make_corpus.py

Every file imitates what a clerk sends: a 残联 roster, a 民政 低保 list, a 退役军人 form, a
公安 death list, typed by hand in Excel or WPS, saved as xlsx, xls, "CSV (逗号分隔)", "CSV UTF-8",
"Unicode 文本", or exported by a department system. Each is about one or a few defects. It is
NOT made by the synthetic-city generator (minsheng.synth): the people, IDs and addresses are
written here by hand (IDs carry a real GB 11643 check character, computed below).

The expected outcome of every row is stated here by hand and written to MANIFEST.json as
data. A small "oracle" fills in the expected value of a cell only when the cell is already in
a canonical form (an 18-digit valid ID, 男/女, 2024-03-05, a dictionary label, a plain
number); any other cell must carry its expected value explicitly (`expect=`), or the script
stops. The oracle reads the source registry and the dictionary's code lists (the spec), never
the importer.

Byte-stable: openpyxl's workbooks are re-zipped with fixed entry times and fixed document
properties; xlwt writes no timestamps; the text files are plain bytes. Running the script
twice gives identical files.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import sys
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402
import xlwt  # noqa: E402
from openpyxl.styles import Alignment, Font  # noqa: E402
from openpyxl.utils import get_column_letter  # noqa: E402

from minsheng.catalogue.codes import code_map  # noqa: E402
from minsheng.catalogue.registry import source as registry_source  # noqa: E402

# The rest of the module is kept out of `ruff format`: the people and rows of each file are
# tables, one person or row a line, which the formatter would spread over ten lines each.
# fmt: off

FIXED_TIME = dt.datetime(2026, 10, 28, 9, 30, 0)
ZIP_TIME = (2026, 10, 28, 9, 30, 0)

# -- GB 11643 ---------------------------------------------------------------------------------

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_char(body17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    return "10X98765432"[sum(int(d) * w for d, w in zip(body17, _WEIGHTS, strict=True)) % 11]


def valid_id(s: str) -> bool:
    return bool(re.fullmatch(r"\d{17}[\dX]", s)) and check_char(s[:17]) == s[17]


@dataclass(frozen=True)
class P:
    """A person: name, sex (男/女), birth date (YYYY-MM-DD), area code, sequence number."""

    name: str
    sex: str
    birth: str
    area: str
    seq: int

    def __post_init__(self) -> None:
        if (self.seq % 2 == 1) != (self.sex == "男"):
            raise ValueError(f"{self.name}: sequence {self.seq} does not match sex {self.sex}")

    @property
    def id(self) -> str:
        body = f"{self.area}{self.birth.replace('-', '')}{self.seq:03d}"
        return body + check_char(body)

    @property
    def sex_code(self) -> str:
        return "1" if self.sex == "男" else "2"

    @property
    def legacy15(self) -> str:
        """The 15-digit number of the first-generation card (no century, no check)."""
        return f"{self.area}{self.birth.replace('-', '')[2:]}{self.seq:03d}"

    @property
    def excel_rounded(self) -> float:
        """The ID as Excel holds it when typed into a number cell (15 significant digits)."""
        return float(round(int(self.id), -3))

    @property
    def birth_date(self) -> dt.date:
        return dt.date.fromisoformat(self.birth)


def px(name: str, sex: str, birth: str, area: str, seq: int) -> P:
    """A person whose ID ends in X: the first sequence from `seq` (same parity) that gives X."""
    while True:
        p = P(name, sex, birth, area, seq)
        if p.id.endswith("X"):
            return p
        seq += 2


def rounded_text(p: P) -> str:
    """What Excel writes for a rounded ID in a number cell with format 0: 18 digits, 000 at the end.

    Excel shows the 15 significant digits it keeps and zeros after them; `int()` of the
    double would print its binary expansion instead (…311008)."""
    return str(int(Decimal(repr(p.excel_rounded))))


def must_fail_rounded(p: P) -> P:
    r = rounded_text(p)
    assert not valid_id(r), f"{p.name}: rounded ID {r} happens to be valid; pick another"
    return p


# -- GB 32100 (USCC) --------------------------------------------------------------------------

_USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_W = [pow(3, i, 31) for i in range(17)]
_ORG_W = (3, 7, 9, 10, 5, 8, 4, 2)


def uscc(prefix: str, area: str, org8: str) -> str:
    """A valid USCC: 2-char prefix, area code, GB 11714 organisation code (with its check), check."""
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(org8, _ORG_W, strict=True))
    c9 = 11 - total % 11
    org9 = org8 + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))
    body = prefix + area + org9
    total = sum(_USCC.index(c) * w for c, w in zip(body, _USCC_W, strict=True))
    return body + _USCC[(31 - total % 31) % 31]


def uscc_valid(s: str) -> bool:
    if not re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}", s):
        return False
    total = sum(_USCC.index(c) * w for c, w in zip(s[:17], _USCC_W, strict=True))
    return s[17] == _USCC[(31 - total % 31) % 31]


# -- the spec of one file -----------------------------------------------------------------------


@dataclass
class X:
    """A workbook cell with a number format, or an 18-digit integer written exactly."""

    value: Any
    fmt: str | None = None
    exact: bool = False  # write <v>digits</v> verbatim (openpyxl would write a float)


@dataclass
class Col:
    header: str  # as written in the file (line breaks, spaces, brackets and all)
    maps_to: str | None  # registry column name, None for a column no registry column claims
    hidden: bool = False
    used: bool = True  # False: a second column for the same registry column, not used
    note: str | None = None
    width: float = 12


@dataclass
class Row:
    cells: list[Any]
    outcome: str = "accepted"  # or "quarantined"
    expect: dict[str, Any] = field(default_factory=dict)  # expected values the oracle cannot give
    warn: list[tuple[str, str]] = field(default_factory=list)  # (code, column ref)
    reason: tuple[str, str | None] | None = None  # (code, column ref) of a quarantined row
    hidden: bool = False
    note: str | None = None
    true_id: str | None = None  # the person's real ID where the ID cell is unusable
    must_not_link_to: list[str] | None = None
    number: int = 0  # the row number as Excel/WPS shows it, set by the writer
    height: float | None = None


@dataclass
class Spec:
    file: str
    source: str
    tests: str
    cases: list[str]
    columns: list[Col]
    rows: list[Row] = field(default_factory=list)
    content: str = ""  # xlsx | xls | csv | html (what the bytes are)
    encoding: str | None = None
    delimiter: str | None = None
    line_terminator: str | None = None
    misleading_extension: bool = False
    sheet: str | None = None
    header_row: int = 1
    file_warnings: list[tuple[str, str, str | None]] = field(default_factory=list)
    refusal: dict[str, Any] | None = None
    archive: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None

    def letter(self, ref: str) -> tuple[str, str]:
        """(column letter, header) of a reference: a registry column name or a header."""
        for i, c in enumerate(self.columns):
            if c.maps_to == ref and c.used:
                return get_column_letter(i + 1), c.header
        for i, c in enumerate(self.columns):
            if c.header == ref:
                return get_column_letter(i + 1), c.header
        raise KeyError(f"{self.file}: no column {ref!r}")


SPECS: list[Spec] = []

# -- the oracle: expected values of cells already in canonical form -----------------------------

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_SLASH = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")
_CN = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")


def _day(s: str) -> str | None:
    for p in (_ISO, _SLASH, _CN, _COMPACT):
        if m := p.fullmatch(s):
            return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    return None


def oracle(spec: Spec, name: str, raw: Any) -> Any:
    col = registry_source(spec.source).column(name)
    v = raw.value if isinstance(raw, X) else raw
    if v is None or (isinstance(v, str) and v == ""):
        return None
    kind = col.kind
    where = f"{spec.file}: {name}={v!r}"
    if kind == "id":
        assert isinstance(v, str) and valid_id(v), f"{where}: not a canonical ID, give expect="
        return v
    if kind == "name":
        assert isinstance(v, str) and re.fullmatch(r"[\u4e00-\u9fff·]+", v), f"{where}: name"
        return v
    if kind == "sex":
        return {"男": "1", "女": "2", "1": "1", "2": "2"}[v]
    if kind == "date":
        if isinstance(v, dt.datetime):
            return v.date().isoformat()
        if isinstance(v, dt.date):
            return v.isoformat()
        assert isinstance(v, str) and (d := _day(v)), f"{where}: not a plain date, give expect="
        return d
    if kind == "datetime":
        m = re.fullmatch(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2})(:\d{2})?", v)
        assert m, f"{where}: datetime"
        return f"{m[1]}T{m[2]}{m[3] or ':00'}"
    if kind == "year_month":
        m = re.fullmatch(r"(\d{4})[-.]?(\d{2})", v) if isinstance(v, str) else None
        assert m, f"{where}: not a plain year-month, give expect="
        return f"{m[1]}-{m[2]}-01"
    if kind == "phone":
        assert isinstance(v, str) and re.fullmatch(r"1[3-9]\d{9}", v), f"{where}: phone"
        return v
    if kind == "code":
        codes = code_map(col)
        if not codes:
            assert isinstance(v, str) and v == v.strip(), where
            return v
        if v in codes:
            return codes[v]
        assert v in codes.values(), f"{where}: not a label of the code list, give expect="
        return v
    if kind == "integer":
        if isinstance(v, int):
            return v
        assert isinstance(v, str) and v.isascii() and v.isdigit(), f"{where}: integer"
        return int(v)
    if kind == "decimal":
        if isinstance(v, (int, float)):
            v = repr(v)
        assert re.fullmatch(r"\d+(\.\d+)?", v), f"{where}: not a plain amount, give expect="
        return str(Decimal(v).quantize(Decimal("0.01")))
    if kind == "uscc":
        assert uscc_valid(v), where
        return v
    assert isinstance(v, str) and v == v.strip(), f"{where}: text with spaces, give expect="
    return v


# -- writers ----------------------------------------------------------------------------------


def _out(spec: Spec) -> Path:
    return HERE / spec.file


def _restamp(data: bytes, exact: dict[str, dict[str, str]] | None = None) -> bytes:
    """Re-zip a workbook with fixed entry times and document dates (byte-stable), writing the
    exact 18-digit values of `exact` (part → cell ref → digits) into their cells."""
    zin = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            content = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = content.decode()
                text = re.sub(
                    r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rf"\g<1>{stamp}\g<2>", text
                )
                content = text.encode()
            for ref, digits in (exact or {}).get(info.filename, {}).items():
                text = content.decode()
                text, n = re.subn(
                    rf'(<c r="{ref}"[^>]*>)<v>[^<]*</v>', rf"\g<1><v>{digits}</v>", text
                )
                assert n == 1, (info.filename, ref)
                content = text.encode()
            zi = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.create_system = 0
            zi.external_attr = 0
            zout.writestr(zi, content, compresslevel=6)
    return out.getvalue()


def _new_workbook() -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    wb.properties.creator = "Administrator"
    wb.properties.lastModifiedBy = "Administrator"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    return wb


def _put(ws, r: int, c: int, value: Any, exact: dict[str, str]) -> None:
    if value is None or value == "":
        return
    cell = ws.cell(row=r, column=c)
    if isinstance(value, X):
        cell.value = value.value
        if value.fmt:
            cell.number_format = value.fmt
        if value.exact:
            exact[cell.coordinate] = str(value.value)
    else:
        cell.value = value
        if isinstance(value, (dt.date, dt.datetime)):
            cell.number_format = "yyyy-mm-dd"


def write_xlsx(
    spec: Spec,
    *,
    sheet: str = "Sheet1",
    pre: list[list[Any]] | None = None,
    merges: list[str] | None = None,
    before: list[tuple[str, list[list[Any]]]] | None = None,
    after: list[tuple[str, list[list[Any]]]] | None = None,
    autofilter: str | None = None,
    filter_column: tuple[int, list[str]] | None = None,
    wrap_header: bool = False,
    trailer: list[Row] | None = None,
    save_as: Path | None = None,
) -> bytes:
    """Lay the spec out on a sheet: `pre` rows (title, notes), the header, the data rows, then
    `trailer` rows; `before`/`after` are other sheets (name, rows) around the data sheet."""
    wb = _new_workbook()
    sheets = []
    exact_by_sheet: dict[int, dict[str, str]] = {}
    for i, (name, rows) in enumerate(before or []):
        ws = wb.active if i == 0 else wb.create_sheet(name)
        ws.title = name
        for r, cells in enumerate(rows, 1):
            for c, v in enumerate(cells, 1):
                _put(ws, r, c, v, {})
        ws.column_dimensions["A"].width = 80
        sheets.append(ws)
    ws = wb.active if not before else wb.create_sheet(sheet)
    ws.title = sheet
    data_index = len(sheets)
    sheets.append(ws)
    exact: dict[str, str] = {}
    r = 1
    for cells in pre or []:
        for c, v in enumerate(cells, 1):
            _put(ws, r, c, v, exact)
        r += 1
    for m in merges or []:
        ws.merge_cells(m)
    if pre:
        ws["A1"].font = Font(bold=True, size=14)
        ws["A1"].alignment = Alignment(horizontal="center")
    spec.header_row = r
    spec.sheet = sheet
    for c, col in enumerate(spec.columns, 1):
        cell = ws.cell(row=r, column=c, value=col.header)
        cell.font = Font(bold=True)
        if wrap_header or "\n" in col.header:
            cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        letter = get_column_letter(c)
        ws.column_dimensions[letter].width = col.width
        if col.hidden:
            ws.column_dimensions[letter].hidden = True
    if wrap_header:
        ws.row_dimensions[r].height = 30
    r += 1
    for row in spec.rows + (trailer or []):
        row.number = r
        for c, v in enumerate(row.cells, 1):
            _put(ws, r, c, v, exact)
        if row.hidden:
            ws.row_dimensions[r].hidden = True
        r += 1
    if trailer:
        spec.rows += trailer
    if autofilter:
        ws.auto_filter.ref = autofilter
        if filter_column:
            ws.auto_filter.add_filter_column(filter_column[0], filter_column[1])
    exact_by_sheet[data_index] = exact
    for name, rows in after or []:
        extra = wb.create_sheet(name)
        for rr, cells in enumerate(rows, 1):
            for c, v in enumerate(cells, 1):
                _put(extra, rr, c, v, {})
        sheets.append(extra)
    wb.active = 0
    buf = io.BytesIO()
    wb.save(buf)
    parts = {
        f"xl/worksheets/sheet{i + 1}.xml": cells for i, cells in exact_by_sheet.items() if cells
    }
    data = _restamp(buf.getvalue(), parts)
    (save_as or _out(spec)).write_bytes(data)
    return data


def write_xls(
    spec: Spec,
    *,
    sheet: str = "Sheet1",
    pre: list[list[Any]] | None = None,
    merges: list[tuple[int, int, int, int]] | None = None,
    trailer: list[Row] | None = None,
) -> None:
    """An Excel 97-2003 workbook (BIFF8) made with xlwt."""
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(sheet)
    title = xlwt.easyxf("font: bold on, height 280; align: horiz center")
    head = xlwt.easyxf("font: bold on; align: wrap on, horiz center")
    date_style = xlwt.easyxf(num_format_str="yyyy-m-d")
    merged = {(m[0], m[2]) for m in merges or []}
    r = 0
    for cells in pre or []:
        for c, v in enumerate(cells):
            if v not in (None, ""):
                if (r, c) in merged:
                    continue
                ws.write(r, c, v, title if r == 0 else xlwt.Style.default_style)
        r += 1
    for r1, r2, c1, c2 in merges or []:
        ws.write_merge(r1, r2, c1, c2, (pre or [])[r1][c1], title)
    spec.header_row = r + 1
    spec.sheet = sheet
    for c, col in enumerate(spec.columns):
        ws.write(r, c, col.header, head)
        ws.col(c).width = int(col.width * 256)
        if col.hidden:
            ws.col(c).hidden = True
    r += 1
    for row in spec.rows + (trailer or []):
        row.number = r + 1
        for c, v in enumerate(row.cells):
            if v in (None, ""):
                continue
            if isinstance(v, X):
                ws.write(r, c, v.value, xlwt.easyxf(num_format_str=v.fmt or "General"))
            elif isinstance(v, dt.date):
                ws.write(r, c, v, date_style)
            else:
                ws.write(r, c, v)
        r += 1
    if trailer:
        spec.rows += trailer
    buf = io.BytesIO()
    wb.save(buf)
    _out(spec).write_bytes(buf.getvalue())


def _field(value: Any, delimiter: str) -> str:
    s = "" if value is None else str(value)
    if any(ch in s for ch in (delimiter, '"', "\n", "\r")):
        s = '"' + s.replace('"', '""') + '"'
    return s


def write_text(
    spec: Spec,
    *,
    encoding: str,
    delimiter: str = ",",
    eol: str = "\r\n",
    pre: list[list[str]] | None = None,
    trailer: list[Row] | None = None,
    pad: bool = True,
) -> None:
    """Delimited text as Excel saves it: fields quoted only when they must be, rows of the
    title and trailer padded to the header's width (`pad`) as Excel does for merged cells.

    `encoding`: utf-8, utf-8-sig (BOM), gb18030, utf-16 (little endian with BOM, as Excel's
    "Unicode 文本" writes)."""
    width = len(spec.columns)
    lines: list[str] = []

    def line(cells: list[Any]) -> str:
        cells = list(cells) + ([""] * (width - len(cells)) if pad else [])
        return delimiter.join(_field(v, delimiter) for v in cells)

    for cells in pre or []:
        lines.append(line(cells))
    spec.header_row = len(lines) + 1
    lines.append(line([c.header for c in spec.columns]))
    for row in spec.rows + (trailer or []):
        row.number = len(lines) + 1  # a record, as Excel numbers it (a quoted line break stays in its row)
        lines.append(line(row.cells))
    if trailer:
        spec.rows += trailer
    text = eol.join(lines) + eol
    if encoding == "utf-16":
        data = b"\xff\xfe" + text.encode("utf-16-le")
    elif encoding == "utf-8-sig":
        data = b"\xef\xbb\xbf" + text.encode("utf-8")
    else:
        data = text.encode(encoding)
    spec.encoding = {"utf-16": "utf-16le-bom", "utf-8-sig": "utf-8-bom"}.get(encoding, encoding)
    spec.delimiter = delimiter
    spec.line_terminator = {"\r\n": "CRLF", "\n": "LF"}[eol]
    spec.content = "csv"
    _out(spec).write_bytes(data)


def add(spec: Spec) -> Spec:
    SPECS.append(spec)
    return spec


# -- places -------------------------------------------------------------------------------------
# Real streets, towns and communities of 乌海市 (minsheng/geo/data, minsheng/synth/data/streets.csv);
# building and flat numbers are made up.

HB = "海勃湾区"
HN = "海南区"
WD = "乌达区"
HUKOU_PREFIX = "内蒙古自治区乌海市"

A = {
    "qingquan": "海勃湾区新华街道清泉社区滨河大道12号楼3单元502室",
    "gongyuan": "海勃湾区凤凰岭街道公园社区公园路8号楼1单元301室",
    "shicheng": "海勃湾区海北街道狮城社区狮城街21号楼2单元602室",
    "haida": "海勃湾区新华西街道海达社区黄河西街5号楼4单元201室",
    "bailou": "海勃湾区滨河街道白楼社区滨河大道36号楼1单元1102室",
    "xindi": "海勃湾区千里山镇新地村三组15号",
    "qingshan": "海勃湾区海北街道青山社区青山路3号楼2单元401室",
    "xinnan": "海勃湾区新华街道新南社区人民南路17号楼1单元202室",
    "heping": "海勃湾区凤凰岭街道和平社区新华大街44号楼3单元301室",
    "huanghe": "海勃湾区海北街道黄河社区黄河东街15号楼2单元301室",
    "kangle": "海勃湾区新华街道康乐社区海拉路9号楼2单元402室",
    "changqing": "海勃湾区凤凰岭街道长青社区卡布其街6号楼1单元502室",
    "qiangang": "海勃湾区千里山镇千钢社区千里山北路3号楼4单元101室",
    "xinqiao": "海南区拉僧仲街道新桥社区建设路7号楼2单元302室",
    "xiangyuan": "海南区西卓子山街道祥苑社区育才街15号楼1单元501室",
    "dongxing": "海南区巴音陶亥镇东兴村二组8号",
    "dongxing2": "海南区巴音陶亥镇东兴村四组21号",
    "limin": "海南区公乌素镇利民社区公乌素路2号楼3单元101室",
    "minle": "海南区拉僧庙镇民乐社区拉僧庙路11号楼1单元202室",
    "huayuan": "海南区拉僧仲街道华苑社区人民路23号楼2单元602室",
    "jinhai": "海南区拉僧仲街道金海社区友谊路5号楼1单元401室",
    "tuanjie": "乌达区巴音赛街道团结社区团结路6号楼2单元301室",
    "guangming": "乌达区三道坎街道光明社区胜利街8号楼1单元402室",
    "minda": "乌达区新达街道民达社区新达路17号楼3单元601室",
    "meiyuan": "乌达区苏海图街道梅园社区苏海图街4号楼1单元102室",
    "fuxing": "乌达区梁家沟街道复兴社区梁家沟路9号楼2单元502室",
    "tiexi": "乌达区五虎山街道铁西社区五虎山路14号楼1单元301室",
    "shengli": "乌达区滨海街道胜利社区滨海大道22号楼2单元1202室",
    "fumin": "乌达区乌兰淖尔镇富民社区乌兰淖尔路5号",
    "xianfeng": "乌达区巴音赛街道先锋社区民族路12号楼3单元201室",
    "anju": "乌达区新达街道安居佳苑社区新达路31号楼1单元702室",
    "xingfu": "乌达区巴音赛街道幸福社区巴音赛大街27号楼2单元101室",
    "huyang": "乌达区三道坎街道胡杨社区友谊街3号楼1单元502室",
}


def hk(key: str) -> str:
    """A 户籍地址 as 公安 writes it: with the province and city."""
    return HUKOU_PREFIX + A[key]


TODAY_FILE = "填报日期：2026年10月26日"

# -- 残联 (cl_disability) -----------------------------------------------------------------------

CL_TYPE = {"视力": "1", "听力": "2", "言语": "3", "肢体": "4", "智力": "5", "精神": "6", "多重": "7"}
CL_GRADE = {"一级": "1", "二级": "2", "三级": "3", "四级": "4"}


def cert(p: P, type_digit: str, grade_digit: str) -> str:
    """残疾人证号: the 18-character ID, the type digit and the grade digit."""
    return p.id + type_digit + grade_digit


CL_STD = [
    ("姓名", "name"),
    ("性别", "sex"),
    ("身份证号码", "id_number"),
    ("残疾人证号", "certificate_number"),
    ("残疾类别", "disability_type"),
    ("残疾等级", "grade"),
    ("发证日期", "issue_date"),
    ("户籍地址", "hukou_address"),
    ("现住址", "address"),
    ("联系电话", "phone"),
]


def cl_row(p: P, typ: str, grade: str, issued: Any, hukou: str, addr: str, phone: str | None,
           *, id_cell: Any = None, **kw: Any) -> Row:
    return Row(
        [p.name, p.sex, p.id if id_cell is None else id_cell,
         cert(p, CL_TYPE.get(typ, "2"), CL_GRADE.get(grade, "3")), typ, grade, issued,
         hukou, addr, phone],
        **kw,
    )


def f_cl_linebreak() -> None:
    s = add(Spec(
        "cl_disability_roster_header_linebreak.xlsx", "cl_disability",
        "A 残联 roster typed in Excel: merged title and 填报单位 rows above the header (header on "
        "row 3), header cells with line breaks (Alt+Enter) and a double space (姓  名), an "
        "unmapped 序号 column. The data are clean.",
        ["header_linebreak", "header_spaces", "header_not_first_row", "merged_title",
         "unmapped_column"],
        [Col("序号", None, width=6), Col("姓  名", "name", width=10), Col("性别", "sex", width=6),
         Col("身份证\n号码", "id_number", width=21), Col("残疾人\n证号", "certificate_number", width=23),
         Col("残疾\n类别", "disability_type", width=8), Col("残疾\n等级", "grade", width=8),
         Col("发证\n日期", "issue_date", width=12), Col("户籍地址", "hukou_address", width=40),
         Col("现住址", "address", width=40), Col("联系\n电话", "phone", width=13)],
        content="xlsx",
    ))
    people = [
        (P("李秀英", "女", "1958-03-12", "150302", 204), "肢体", "三级", dt.date(2019, 5, 20), "qingquan", "13847301256"),
        (P("王建华", "男", "1972-11-03", "150302", 117), "视力", "二级", dt.date(2021, 8, 16), "gongyuan", "15804735512"),
        (P("赵丽", "女", "1985-06-25", "150302", 86), "听力", "四级", dt.date(2015, 3, 9), "shicheng", "18647392207"),
        (P("孙志刚", "男", "1964-09-18", "150302", 231), "肢体", "一级", dt.date(2012, 11, 30), "haida", "13664739018"),
        (P("刘桂兰", "女", "1949-01-07", "150302", 42), "多重", "二级", dt.date(2017, 7, 4), "bailou", None),
        (px("马占山", "男", "1979-12-22", "150302", 351), "智力", "三级", dt.date(2010, 4, 15), "xindi", "15148301167"),
        (P("张晓燕", "女", "1992-04-30", "150302", 168), "精神", "四级", dt.date(2023, 2, 27), "qingshan", "13384738820"),
        (P("高玉林", "男", "1955-07-14", "150302", 71), "言语", "二级", dt.date(2014, 9, 1), "xinnan", "13015036671"),
    ]
    for i, (p, t, g, d, a, ph) in enumerate(people, 1):
        r = cl_row(p, t, g, d, hk(a), A[a], ph)
        r.cells.insert(0, i)
        s.rows.append(r)
    s.file_warnings.append(("unmapped_column", "序号", None))
    write_xlsx(
        s, sheet="花名册",
        pre=[["海勃湾区持证残疾人花名册（2026年10月）"],
             ["填报单位：海勃湾区残疾人联合会", None, None, None, None, None, None,
              TODAY_FILE]],
        merges=["A1:K1", "A2:F2", "H2:K2"], wrap_header=True,
    )


def f_cl_instructions() -> None:
    s = add(Spec(
        "cl_disability_roster_instructions_first_sheet.xlsx", "cl_disability",
        "A workbook from a template: the first (and active) sheet is 填表说明, the data are on the "
        "second sheet 残疾人信息, a third sheet 数据字典 lists the allowed values under the headers "
        "残疾类别 and 残疾等级 (which are registry headers too). 发证日期 typed as text "
        "2026-10-01 as the instructions say.",
        ["instructions_first_sheet", "several_sheets"],
        [Col(h, m) for h, m in CL_STD],
        content="xlsx",
        note="The reader must pick the sheet whose header matches the source best (残疾人信息), "
        "not the first or active sheet and not 数据字典, whose two header cells also match.",
    ))
    people = [
        (P("刘海燕", "女", "1976-08-19", "150304", 128), "肢体", "二级", "2020-06-18", "tuanjie", "15947306618"),
        (P("郝志军", "男", "1968-02-27", "150304", 55), "视力", "一级", "2016-11-02", "guangming", "13614735320"),
        (P("宋建平", "男", "1981-10-09", "150304", 213), "智力", "三级", "2011-05-26", "minda", "18804730192"),
        (P("付淑芬", "女", "1953-12-01", "150304", 36), "听力", "三级", "2022-09-14", "meiyuan", "13947321178"),
        (P("杨宇", "男", "2009-03-15", "150304", 17), "精神", "二级", "2024-04-08", "fuxing", "15149325561"),
    ]
    for p, t, g, d, a, ph in people:
        s.rows.append(cl_row(p, t, g, d, hk(a), A[a], ph))
    write_xlsx(
        s, sheet="残疾人信息",
        before=[("填表说明", [
            ["持证残疾人信息表 填表说明"],
            ["一、本表由各街道（镇）残联专职委员填写，每月25日前报区残联。"],
            ["二、身份证号码请以文本格式录入18位号码，末位为X的请大写。"],
            ["三、残疾类别填写：视力、听力、言语、肢体、智力、精神、多重。"],
            ["四、残疾等级填写：一级、二级、三级、四级。"],
            ["五、发证日期按“2026-10-01”格式填写。"],
            ["六、请勿修改表头，勿合并单元格，勿插入空行。"],
        ])],
        after=[("数据字典", [["残疾类别", "残疾等级"], ["视力", "一级"], ["听力", "二级"],
                              ["言语", "三级"], ["肢体", "四级"], ["智力"], ["精神"], ["多重"]])],
    )


def f_cl_hidden_column() -> None:
    s = add(Spec(
        "cl_disability_roster_hidden_column.xlsx", "cl_disability",
        "Two columns map to one registry column (and one dictionary item, identity.phone): "
        "联系电话 (J, hidden by the clerk, old numbers) and 手机号码 (K, visible, current). The "
        "visible column is the one used.",
        ["two_columns_one_item", "hidden_column"],
        [Col(h, m) for h, m in CL_STD[:-1]]
        + [Col("联系电话", "phone", hidden=True, used=False,
               note="hidden; holds old numbers; not used because 手机号码 (K) is visible"),
           Col("手机号码", "phone")],
        content="xlsx",
        note="Judgement: of two columns for one registry column, a hidden one loses to a visible "
        "one (the clerk hid it because it is stale) and is reported as duplicate_column; the file "
        "is not refused. Compare mz_dibao_two_visible_id_columns_conflict.xlsx, refused.",
    ))
    people = [
        (P("闫桂花", "女", "1960-04-03", "150303", 146), "肢体", "二级", dt.date(2018, 3, 22), "xinqiao", "0473-4012356", "13704731569"),
        (P("温建国", "男", "1957-09-26", "150303", 93), "视力", "三级", dt.date(2013, 10, 17), "xiangyuan", "13904735087", "15247310326"),
        (P("史玉兰", "女", "1966-01-30", "150303", 24), "听力", "四级", dt.date(2020, 12, 3), "limin", None, "18747302251"),
        (P("邵军", "男", "1988-07-08", "150303", 211), "肢体", "三级", dt.date(2021, 6, 29), "minle", "0473-4025173", "13514739930"),
        (P("梁淑琴", "女", "1945-11-11", "150303", 68), "多重", "一级", dt.date(2016, 8, 8), "dongxing", "0473-4108827", "15904731148"),
        (P("侯志明", "男", "1974-05-21", "150303", 159), "精神", "二级", dt.date(2019, 1, 14), "huayuan", "13847326605", "13847326605"),
    ]
    for p, t, g, d, a, old, new in people:
        r = cl_row(p, t, g, d, hk(a), A[a], old)
        r.cells.append(new)
        s.rows.append(r)
    s.file_warnings.append(("duplicate_column", "联系电话", "hidden column J 联系电话 and K 手机号码 both map to phone; K is used"))
    s.archive.append({"item": "identity.phone", "id_number": people[0][0].id, "value": "13704731569",
                      "note": "from K, not the hidden J"})
    write_xlsx(s, sheet="Sheet1")


def f_cl_codes() -> None:
    s = add(Spec(
        "cl_disability_codes_outside_list.xlsx", "cl_disability",
        "Labels outside the column's code list: the dictionary's own label 肢体残疾 (the column's "
        "table has 肢体), 视力残疾, 智力残疾, 多重残疾; grades 贰级, 叁级, Ⅳ级 (Roman numeral "
        "U+2163), Ⅱ级 (U+2161), 4级; and two labels that name no single code: 听力语言 (the "
        "combined category of the 1987 survey) and 待评定.",
        ["codes_outside_list", "dictionary_label"],
        [Col(h, m) for h, m in CL_STD],
        content="xlsx",
        note="Judgement: a label that names exactly one code (a longer or shorter form, another "
        "numeral script) maps to it silently; a label that names none or several is kept as "
        "text with unmapped_code and no code. The row is accepted either way (grade and type "
        "are not required).",
    ))
    rows = [
        (P("周凤英", "女", "1961-02-11", "150302", 182), "肢体残疾", "4", "贰级", "2", "heping"),
        (P("吴国庆", "男", "1957-10-01", "150302", 35), "肢体", "4", "Ⅳ级", "4", "kangle"),
        (P("郑淑珍", "女", "1968-05-19", "150303", 120), "视力残疾", "1", "一级", "1", "jinhai"),
        (P("冯德胜", "男", "1975-08-08", "150303", 77), "听力语言", None, "叁级", "3", "xinqiao"),
        (P("陈美玲", "女", "1990-12-03", "150304", 204), "精神", "6", "4级", "4", "xianfeng"),
        (P("褚卫东", "男", "1983-03-27", "150304", 139), "智力残疾", "5", "二级", "2", "anju"),
        (P("卫淑华", "女", "1952-07-16", "150302", 58), "多重残疾", "7", "待评定", None, "changqing"),
        (P("蒋海军", "男", "1970-01-29", "150304", 255), "言语", "3", "Ⅱ级", "2", "xingfu"),
    ]
    phones = ["13947308812", "15894731206", "13190473358", "15661470832", "18647301194",
              "13847350267", "13015031945", "15247326680"]
    for (p, t, tc, g, gc, a), ph in zip(rows, phones, strict=True):
        r = Row([p.name, p.sex, p.id, p.id + (tc or "2") + (gc or "3"), t, g,
                 dt.date(2018, 6, 12), hk(a), A[a], ph],
                expect={"disability_type": tc, "grade": gc})
        if tc is None:
            r.warn.append(("unmapped_code", "disability_type"))
        if gc is None:
            r.warn.append(("unmapped_code", "grade"))
        s.rows.append(r)
    write_xlsx(s, sheet="Sheet1")


def f_cl_et() -> None:
    s = add(Spec(
        "cl_disability_wps_saved_as.et", "cl_disability",
        "A WPS workbook with the .et extension whose bytes are an xlsx (OOXML zip): must be read "
        "by content, not extension. Title row above the header. One ID typed with a lower-case x.",
        ["et_as_xlsx", "misleading_extension", "merged_title"],
        [Col(h, m) for h, m in CL_STD],
        content="xlsx", misleading_extension=True,
    ))
    people = [
        (P("段红梅", "女", "1971-03-08", "150304", 262), "肢体", "三级", "shengli", "13514730085"),
        (px("雷振华", "男", "1966-06-16", "150304", 13), "视力", "二级", "fumin", "15847316732"),
        (P("范文静", "女", "1994-09-05", "150304", 88), "听力", "四级", "tiexi", "18204739961"),
        (P("汤德顺", "男", "1950-12-24", "150304", 57), "肢体", "一级", "huyang", None),
        (P("黎小平", "男", "1987-02-02", "150304", 191), "智力", "二级", "guangming", "13734739104"),
    ]
    for p, t, g, a, ph in people:
        idc = p.id.replace("X", "x") if p.id.endswith("X") else None
        r = cl_row(p, t, g, dt.date(2022, 3, 17), hk(a), A[a], ph, id_cell=idc)
        if idc:
            r.expect = {"id_number": p.id}
            r.note = "ID typed with a lower-case x: normalised to X, no warning"
        s.rows.append(r)
    write_xlsx(s, sheet="Sheet1", pre=[["乌达区持证残疾人名单"]], merges=["A1:J1"])


def f_cl_header16() -> None:
    s = add(Spec(
        "cl_disability_header_row_20.xlsx", "cl_disability",
        "The header is on row 20, the last row searched: a title, a twelve-line 填报说明, 填报单位, "
        "a 联系人 line that contains the word 联系电话, blank rows. A blank row and a 制表人/审核人 "
        "row after the data.",
        ["header_row_within_20", "merged_title"],
        [Col("序号", None, width=6)] + [Col(h, m) for h, m in CL_STD],
        content="xlsx",
    ))
    pre = [["乌达区残疾人两项补贴对象花名册"], [],
           ["填报说明："],
           ["1. 本表统计截至2026年9月30日持第二代残疾人证人员。"],
           ["2. 身份证号码一律填写18位，不得使用科学计数法。"],
           ["3. 残疾类别、残疾等级以残疾人证记载为准。"],
           ["4. 户籍地址填写到门牌号，现住址填写到单元室。"],
           ["5. 死亡、迁出人员请在备注中说明，不得直接删除。"],
           ["6. 发证日期以残疾人证首次发证日期为准。"],
           ["7. 联系电话优先填写本人手机号码，无手机的填写监护人电话。"],
           ["8. 本表一式两份，区残联、街道各存一份。"],
           ["9. 两项补贴指困难残疾人生活补贴和重度残疾人护理补贴。"],
           ["10. 同时享受低保的请在户籍地址后注明。"],
           ["11. 新增人员请附残疾人证复印件。"],
           ["12. 报送截止日期：2026年10月10日。"],
           [],
           ["填报单位：乌达区残疾人联合会（盖章）"],
           ["联系人：赵丽娟    联系电话：0473-3012345"],
           []]
    people = [
        (P("薛建国", "男", "1959-04-17", "150304", 273), "肢体", "二级", dt.date(2011, 7, 7), "xianfeng", "13947330217"),
        (P("曹淑兰", "女", "1963-09-09", "150304", 186), "视力", "一级", dt.date(2009, 12, 1), "minda", "15047318823"),
        (P("任志强", "男", "1990-05-31", "150304", 19), "智力", "二级", dt.date(2015, 10, 20), "anju", "13754732290"),
        (P("贺玉珍", "女", "1948-02-14", "150304", 62), "多重", "一级", dt.date(2019, 4, 30), "meiyuan", None),
        (P("康永刚", "男", "1979-11-23", "150304", 117), "精神", "二级", dt.date(2020, 8, 19), "fuxing", "18247306655"),
    ]
    for i, (p, t, g, d, a, ph) in enumerate(people, 1):
        r = cl_row(p, t, g, d, hk(a), A[a], ph)
        r.cells.insert(0, i)
        s.rows.append(r)
    s.file_warnings.append(("unmapped_column", "序号", None))
    trailer = [
        Row([], outcome="quarantined", reason=("blank_row", None)),
        Row(["制表人：赵丽娟", None, None, None, None, "审核人：刘建国", None, None, "2026年10月9日"],
            outcome="quarantined", reason=("signature_row", None)),
    ]
    write_xlsx(s, sheet="Sheet1", pre=pre, merges=["A1:K1"], trailer=trailer)


def f_cl_exact() -> None:
    s = add(Spec(
        "cl_disability_exact_18digit_number_cells.xlsx", "cl_disability",
        "IDs in number cells, as a database report tool writes them: three exact 18-digit "
        "integers (<v>150302…</v>, no digit lost, must not be read through a float), one number "
        "Excel rounded to 15 significant digits (…000, fails its check), one 15-digit legacy "
        "number (exact), one text cell.",
        ["exact_18_digit_integer_cell", "float_id", "legacy_15_digit"],
        [Col(h, m) for h, m in CL_STD],
        content="xlsx",
        note="An 18-digit integer in a number cell cannot come from typing in Excel (Excel keeps 15 "
        "digits); it comes from report tools that write the digits into <v>. Reading the cell "
        "through a float64 loses the last digits; the XML text is exact.",
    ))
    a = P("石宝林", "男", "1962-08-30", "150302", 215)
    b = P("霍翠英", "女", "1970-01-18", "150303", 126)
    c = P("毛建军", "男", "1984-10-02", "150304", 39)
    d = must_fail_rounded(P("殷俊", "男", "1991-05-27", "150302", 173))
    e = P("鲍凤琴", "女", "1956-03-04", "150302", 44)
    f = P("阎小东", "男", "1978-12-12", "150304", 95)
    for p, cell, extra in [
        (a, X(int(a.id), "0", exact=True), {"id_number": a.id}),
        (b, X(int(b.id), "0", exact=True), {"id_number": b.id}),
        (c, X(int(c.id), "0", exact=True), {"id_number": c.id}),
        (d, X(d.excel_rounded, "0"), {"id_number": None}),
        (e, X(int(e.legacy15), "0"), {"id_number": e.id}),
        (f, f.id, {}),
    ]:
        a_key = {"石宝林": "qingquan", "霍翠英": "limin", "毛建军": "tiexi", "殷俊": "gongyuan",
                 "鲍凤琴": "heping", "阎小东": "huyang"}[p.name]
        r = cl_row(p, "肢体", "三级", dt.date(2017, 5, 8), hk(a_key), A[a_key], None, id_cell=cell)
        r.expect = extra
        if p is d:
            r.warn.append(("float_precision_lost", "id_number"))
            r.true_id = d.id
            r.note = "rounded by Excel to " + rounded_text(d)
        if p is e:
            r.note = "15-digit legacy number in a number cell: converted to 18 digits, no warning"
        s.rows.append(r)
    write_xlsx(s, sheet="Sheet1")


# -- 民政 (mz_assistance) -----------------------------------------------------------------------

MZ_STD = [
    ("救助类型", "assistance_type"),
    ("户主姓名", "head_name"),
    ("户主身份证号", "head_id_number"),
    ("姓名", "name"),
    ("身份证号码", "id_number"),
    ("与户主关系", "relation_to_head"),
    ("性别", "sex"),
    ("保障人口", "household_size"),
    ("月保障金额", "monthly_amount"),
    ("批准日期", "approval_date"),
    ("保障状态", "assistance_status"),
    ("停保日期", "stop_date"),
    ("家庭住址", "address"),
    ("联系电话", "phone"),
    ("监测类型", "monitoring_type"),
    ("返贫致贫", "returned_to_poverty"),
]


def mz_cells(kind: str, head: P, p: P, rel: str, size: Any, amount: Any, approved: Any,
             status: str, stop: Any, addr: str, phone: str | None, mon: str = "",
             ret: str = "", *, id_cell: Any = None, head_id_cell: Any = None) -> list[Any]:
    return [kind, head.name, head.id if head_id_cell is None else head_id_cell, p.name,
            p.id if id_cell is None else id_cell, rel, p.sex, size, amount, approved, status,
            stop, addr, phone, mon, ret]


def f_mz_codes() -> None:
    s = add(Spec(
        "mz_dibao_city_rural_codes_gb18030.csv", "mz_assistance",
        "A 民政 list saved as CSV (GB18030, CRLF) whose 救助类型 uses the programme names of the "
        "county systems: 城市低保, 农村低保, 特困供养, 低保边缘家庭, besides 低保; and one 临时救助, "
        "a programme the archive does not track.",
        ["codes_outside_list", "gb18030", "comma_separated"],
        [Col(h, m) for h, m in MZ_STD],
        note="Judgement: 城市低保 and 农村低保 are both 低保 (dibao; the city/rural split is not in "
        "the dictionary, the raw label stays in the fact); 特困供养 → tekun; 低保边缘家庭 → "
        "dibao_edge. 临时救助 names no code of this required column: the row cannot say which "
        "programme it belongs to and is quarantined (unmapped_code).",
    ))
    yang = P("杨振华", "男", "1969-05-14", "150302", 233)
    he = P("何秀梅", "女", "1971-08-02", "150302", 248)
    xue = P("杨雪", "女", "2003-01-26", "150302", 62)
    han = P("韩永福", "男", "1958-11-20", "150303", 311)
    shi = P("石桂芳", "女", "1960-03-09", "150303", 326)
    niu = P("牛二虎", "男", "1950-07-07", "150303", 415)
    cao = P("曹丽华", "女", "1977-04-18", "150302", 180)
    ren = P("任建平", "男", "1966-10-30", "150304", 97)
    tian = P("田秀珍", "女", "1945-02-22", "150304", 110)
    C = mz_cells
    s.rows = [
        Row(C("城市低保", yang, yang, "户主", "3", "786.00", "2023年4月12日", "在保", "", A["huanghe"], "13947312568"), expect={"assistance_type": "dibao"}),
        Row(C("城市低保", yang, he, "配偶", "3", "786.00", "2023年4月12日", "在保", "", A["huanghe"], "13947312568"), expect={"assistance_type": "dibao"}),
        Row(C("城市低保", yang, xue, "女", "3", "786.00", "2023年4月12日", "在保", "", A["huanghe"], "15849730276"), expect={"assistance_type": "dibao"}),
        Row(C("农村低保", han, han, "户主", "2", "612.00", "2021年9月1日", "在保", "", A["dongxing"], "15147380126"), expect={"assistance_type": "dibao"}),
        Row(C("农村低保", han, shi, "配偶", "2", "612.00", "2021年9月1日", "在保", "", A["dongxing"], ""), expect={"assistance_type": "dibao"}),
        Row(C("特困供养", niu, niu, "本人", "1", "1150.00", "2019年6月1日", "在保", "", A["minle"], ""), expect={"assistance_type": "tekun"}),
        Row(C("临时救助", cao, cao, "本人", "1", "2000.00", "2026年8月20日", "在保", "", A["kangle"], "13704736612"),
            outcome="quarantined", reason=("unmapped_code", "assistance_type")),
        Row(C("低保边缘家庭", ren, ren, "户主", "1", "", "2024年11月5日", "在保", "", A["xingfu"], "18047301155"), expect={"assistance_type": "dibao_edge"}),
        Row(C("低保", tian, tian, "户主", "1", "745.00", "2020年3月16日", "在保", "", A["tuanjie"], "")),
    ]
    write_text(s, encoding="gb18030")


def f_mz_amounts() -> None:
    cols = [Col(h, m) for h, m in MZ_STD if m not in ("stop_date", "monitoring_type",
                                                       "returned_to_poverty", "head_id_number")]
    for c in cols:
        if c.maps_to == "household_size":
            c.header = "保障人口(人)"
        if c.maps_to == "monthly_amount":
            c.header = "月保障金额(元)"
            c.width = 14
    s = add(Spec(
        "mz_dibao_amounts_yuan_symbols.xlsx", "mz_assistance",
        "Headers with a unit in half-width brackets, unknown to the registry as written: "
        "保障人口(人), 月保障金额(元). Amounts typed as ¥1,234.50, 1234.5元, ７８０ (full-width), "
        "￥ 980.00, 1,020, and number cells (655, 812.4 shown as 812.40); counts as 3人, １人, 1户4人 "
        "and a number cell.",
        ["unit_in_header", "amount_formats", "count_with_unit", "fullwidth_digits"],
        cols, content="xlsx",
        note="1户4人 (one household of four) → 4 is a judgement: the column counts people. The "
        "yuan sign, thousands separators, 元 and full-width digits are formatting, not values.",
    ))
    rows = [
        (P("白玉林", "男", "1963-06-11", "150304", 157), "3人", 3, "¥1,234.50", "1234.50", "guangming", "13947352210"),
        (P("贾凤兰", "女", "1965-02-17", "150304", 288), "2人", 2, "1234.5元", "1234.50", "tiexi", "15004731897"),
        (P("邢福来", "男", "1949-09-29", "150304", 75), "１人", 1, "７８０", "780.00", "fumin", ""),
        (P("谷秀芝", "女", "1958-12-06", "150304", 202), 1, 1, 655, "655.00", "meiyuan", "13314732086"),
        (P("葛长青", "男", "1971-04-04", "150304", 131), "4", 4, "￥ 980.00", "980.00", "shengli", "18604736673"),
        (P("房玉梅", "女", "1967-07-25", "150304", 96), "1户4人", 4, "1,020", "1020.00", "xianfeng", "13847310028"),
        (P("殷建设", "男", "1960-01-13", "150304", 219), "3人", 3, X(812.4, "#,##0.00"), "812.40", "minda", "15947328851"),
    ]
    for p, size, n, amount, expected, a, ph in rows:
        s.rows.append(Row(
            ["低保", p.name, p.name, p.id, "户主", p.sex, size, amount, dt.date(2022, 12, 1), "在保", A[a], ph],
            expect={"household_size": n, "monthly_amount": expected},
        ))
    write_xlsx(s, sheet="低保花名册")


def f_mz_synonyms() -> None:
    s = add(Spec(
        "mz_dibao_household_list_synonyms.csv", "mz_assistance",
        "A household-level 低保 list (one row per household, the head) with header synonyms: "
        "户主姓名 and no 姓名 column, 身份证件号码 for the ID, 保障人口, 月保障金额; dates typed "
        "2023.5.12, 二〇二三年五月, 2023年5月12日, 二〇二二年十一月三日, 2024.10.8, 2021/7/1. "
        "CSV UTF-8 with BOM (Excel's \"CSV UTF-8\"), CRLF.",
        ["header_synonyms", "date_formats", "chinese_numeral_dates", "utf8_bom"],
        [Col("序号", None), Col("救助类型", "assistance_type"), Col("户主姓名", "head_name"),
         Col("身份证件号码", "id_number", note="synonym not in the registry"),
         Col("家庭住址", "address"), Col("保障人口", "household_size"),
         Col("月保障金额", "monthly_amount"), Col("批准日期", "approval_date"),
         Col("保障状态", "assistance_status"), Col("联系电话", "phone")],
        note="Judgement: in a list with 户主姓名 and no 姓名, every row is the head's own row, so "
        "the ID column is the head's and 户主姓名 is also the person's name (expected: name = "
        "head_name). An importer that leaves name empty loses the name for linkage.",
    ))
    rows = [
        (P("沈国强", "男", "1962-03-19", "150304", 255), "2023.5.12", "2023-05-12", [], "minda", 3, "1350.00"),
        (P("韦桂英", "女", "1955-10-08", "150304", 84), "二〇二三年五月", "2023-05-01", ["month_precision"], "anju", 1, "745.00"),
        (P("鲁志明", "男", "1970-06-02", "150304", 39), "2023年5月12日", "2023-05-12", [], "huyang", 2, "980.00"),
        (P("昌秀兰", "女", "1948-01-27", "150304", 130), "二〇二二年十一月三日", "2022-11-03", [], "xingfu", 1, "745.00"),
        (P("马志远", "男", "1975-09-15", "150304", 291), "2024.10.8", "2024-10-08", [], "tiexi", 4, "1680.00"),
        (P("苗凤琴", "女", "1959-05-05", "150304", 222), "2021/7/1", "2021-07-01", [], "fuxing", 2, "1020.00"),
    ]
    phones = ["13947366180", "", "15849310072", "13015039926", "18347304481", "13664731235"]
    for i, ((p, raw, iso, w, a, n, amt), ph) in enumerate(zip(rows, phones, strict=True), 1):
        s.rows.append(Row(
            [str(i), "低保", p.name, p.id, A[a], str(n), amt, raw, "在保", ph],
            expect={"approval_date": iso, "name": p.name},
            warn=[(code, "approval_date") for code in w],
        ))
    s.file_warnings.append(("unmapped_column", "序号", None))
    write_text(s, encoding="utf-8-sig")


def f_mz_autofilter() -> None:
    cols = [Col(h, m) for h, m in MZ_STD if m not in ("monitoring_type", "returned_to_poverty")]
    s = add(Spec(
        "mz_dibao_roster_autofilter_hidden_rows.xlsx", "mz_assistance",
        "A roster with an AutoFilter on 保障状态 = 在保 left on: the 停保 rows are hidden. One "
        "hidden row is an older record (停保 2025-12-31) of a person who has a visible 在保 row "
        "(re-admitted 2026-08-01) with the same key (ID, 救助类型). A 合计 row under the table.",
        ["autofilter_hidden_rows", "hidden_row_conflict", "summary_row", "merged_title"],
        cols, content="xlsx",
        note="Judgement: rows hidden by a filter are still the department's data: they are "
        "imported with the warning hidden_row. A hidden row whose key equals a visible row's is "
        "the superseded record and is quarantined (hidden_row_conflict); the visible row wins.",
    ))
    tao = P("陶建新", "男", "1964-08-21", "150302", 137)
    zhu = P("朱桂荣", "女", "1966-11-03", "150302", 142)
    jin = P("金桂香", "女", "1952-05-30", "150302", 86)
    zou = P("邹德明", "男", "1957-02-13", "150302", 211)
    lv = P("吕玉梅", "女", "1974-12-19", "150302", 48)
    kong = P("孔祥瑞", "男", "1969-03-03", "150302", 299)
    cao = P("曹国富", "男", "1961-09-27", "150302", 53)
    yu = P("于淑珍", "女", "1950-06-16", "150302", 264)
    xu = P("徐建业", "男", "1978-01-09", "150302", 175)

    def C(head: P, p: P, rel: str, size: str, amt: str, approved: dt.date, status: str,
          stop: dt.date | None, a: str, ph: str | None) -> list[Any]:
        return ["低保", head.name, head.id, p.name, p.id, rel, p.sex, size, amt, approved,
                status, stop, A[a], ph]

    s.rows = [
        Row(C(tao, tao, "户主", "2", "860.00", dt.date(2022, 4, 1), "在保", None, "qingquan", "13947301877")),
        Row(C(tao, zhu, "配偶", "2", "860.00", dt.date(2022, 4, 1), "在保", None, "qingquan", "13947301877")),
        Row(C(jin, jin, "户主", "1", "745.00", dt.date(2020, 7, 1), "停保", dt.date(2026, 6, 30), "gongyuan", ""),
            hidden=True, warn=[("hidden_row", None)]),
        Row(C(zou, zou, "户主", "1", "820.00", dt.date(2026, 8, 1), "在保", None, "shicheng", "15804731260")),
        Row(C(zou, zou, "户主", "1", "760.00", dt.date(2022, 3, 1), "停保", dt.date(2025, 12, 31), "shicheng", "15804731260"),
            hidden=True, outcome="quarantined", reason=("hidden_row_conflict", "id_number"),
            note="the older record of row 6 (same ID and 救助类型)"),
        Row(C(lv, lv, "户主", "1", "745.00", dt.date(2021, 10, 1), "在保", None, "haida", "18204735539")),
        Row(C(kong, kong, "户主", "1", "745.00", dt.date(2019, 1, 1), "停保", dt.date(2026, 3, 31), "bailou", "13384731902"),
            hidden=True, warn=[("hidden_row", None)]),
        Row(C(cao, cao, "户主", "1", "745.00", dt.date(2023, 5, 1), "在保", None, "qingshan", "")),
        Row(C(yu, yu, "户主", "1", "745.00", dt.date(2024, 2, 1), "在保", None, "xinnan", "13847309416")),
        Row(C(xu, xu, "户主", "1", "745.00", dt.date(2020, 11, 1), "停保", dt.date(2026, 9, 30), "heping", "15247307718"),
            hidden=True, warn=[("hidden_row", None)]),
    ]
    trailer = [Row(["合计", None, None, None, None, None, None, "8", "6560.00"],
                   outcome="quarantined", reason=("summary_row", None))]
    s.archive += [
        {"item": "assistance.monthly_amount", "id_number": zou.id, "value": "820.00",
         "note": "the visible 在保 row; the hidden older record is quarantined"},
        {"item": "assistance.status", "id_number": zou.id, "value": "1"},
        {"item": "assistance.status", "id_number": jin.id, "value": "2",
         "note": "hidden 停保 row imported"},
    ]
    write_xlsx(
        s, sheet="低保对象",
        pre=[["海勃湾区城市低保对象名册（2026年10月）"]], merges=["A1:N1"],
        autofilter="A2:N12", filter_column=(10, ["在保"]), trailer=trailer,
    )


def f_mz_father_child() -> None:
    cols = [Col(h, m) for h, m in MZ_STD if m not in ("stop_date", "monitoring_type", "returned_to_poverty")]
    s = add(Spec(
        "mz_dibao_father_child_share_phone_unreadable_id.xlsx", "mz_assistance",
        "A 低保 household where the son's ID was typed into a number cell and rounded by Excel "
        "(unreadable), and father and son share the phone, the flat and the sex. Linkage must not "
        "put the son's row on the father.",
        ["unreadable_id_shared_phone_flat", "float_id"],
        cols, content="xlsx",
        note="The son's row is accepted without an ID (float_precision_lost); his true ID is given "
        "as true_id for linkage tests. Phone + address + sex agree with the father's row, name "
        "and 与户主关系 (子) do not: a linker that trusts phone and flat would merge two people.",
    ))
    zhang = P("张建国", "男", "1968-02-14", "150303", 301)
    wang = P("王秀兰", "女", "1970-09-23", "150303", 284)
    son = must_fail_rounded(P("张宇航", "男", "1996-08-12", "150303", 317))
    liu = P("刘振东", "男", "1973-05-06", "150303", 19)
    xin = P("刘欣怡", "女", "2008-10-30", "150303", 22)
    ph, addr = "13947362158", A["xinqiao"]

    def C(head: P, p: P, rel: str, size: str, amt: str, a: str, phone: str | None, idc: Any = None) -> list[Any]:
        return ["低保", head.name, head.id, p.name, p.id if idc is None else idc, rel, p.sex, size,
                amt, dt.date(2024, 6, 1), "在保", a, phone]

    s.rows = [
        Row(C(zhang, zhang, "户主", "3", "1060.00", addr, ph)),
        Row(C(zhang, wang, "配偶", "3", "1060.00", addr, None)),
        Row(C(zhang, son, "子", "3", "1060.00", addr, ph, X(son.excel_rounded, "0")),
            expect={"id_number": None}, warn=[("float_precision_lost", "id_number")],
            true_id=son.id, must_not_link_to=[zhang.id],
            note="Excel shows 1.50303E+17; the cell holds " + rounded_text(son)),
        Row(C(liu, liu, "户主", "2", "820.00", A["huayuan"], "15147396620")),
        Row(C(liu, xin, "女", "2", "820.00", A["huayuan"], "15147396620")),
    ]
    s.archive.append({"item": "identity.phone", "id_number": zhang.id, "value": ph,
                      "note": "the father keeps his phone; no fact of the son's row reaches him"})
    write_xlsx(s, sheet="Sheet1")


def f_mz_scientific() -> None:
    s = add(Spec(
        "mz_dibao_excel_csv_scientific_ids.csv", "mz_assistance",
        "An xlsx saved by Excel as \"CSV (逗号分隔)\" (GB18030, CRLF): IDs that were numbers come "
        "out as their display text, 1.50304E+17 (General) or 18 digits ending in 000 (format 0); a failed VLOOKUP "
        "left #N/A in 户主身份证号; a newborn without an ID has 待补录; dates as Excel shows them "
        "(2024/3/5).",
        ["scientific_notation_id", "float_id", "not_an_id", "gb18030"],
        [Col(h, m) for h, m in MZ_STD],
        note="1.50304E+17 is the display text of a number: the issue calls it a non-ID string. "
        "We expect float_precision_lost (idcard's code: an ID a spreadsheet stored as a float, "
        "re-enter it) rather than not_an_id, which is kept for text that was never a number "
        "(#N/A, 待补录).",
    ))
    bai = P("白志刚", "男", "1981-04-26", "150304", 153)
    qiao = P("乔丽娜", "女", "1983-09-14", "150304", 266)
    kid = P("白子涵", "女", "2026-05-09", "150304", 42)
    du = must_fail_rounded(P("杜永胜", "男", "1988-07-15", "150304", 211))
    fan = P("樊玉兰", "女", "1957-12-02", "150304", 58)
    hou = must_fail_rounded(P("侯三虎", "男", "1962-03-31", "150304", 97))
    lei = must_fail_rounded(P("雷桂珍", "女", "1966-06-06", "150304", 160))
    sci_du = f"{float(du.id):.5E}"  # Excel's General display of an 18-digit number: 1.50304E+17
    sci_lei = f"{float(lei.id):.5E}"
    C = mz_cells
    s.rows = [
        Row(C("低保", bai, bai, "户主", "3", "1230", "2024/3/5", "在保", "", A["xianfeng"], "13947383310")),
        Row(C("低保", bai, qiao, "配偶", "3", "1230", "2024/3/5", "在保", "", A["xianfeng"], "13947383310")),
        Row(C("低保", bai, kid, "女", "3", "1230", "2026/6/1", "在保", "", A["xianfeng"], "", id_cell="待补录"),
            expect={"id_number": None}, warn=[("not_an_id", "id_number")], true_id=kid.id,
            note="a newborn whose ID the family has not yet brought in"),
        Row(C("低保", du, du, "户主", "1", "745", "2023/11/20", "在保", "", A["minda"], "15804730968", id_cell=sci_du),
            expect={"id_number": None, "head_id_number": du.id}, warn=[("float_precision_lost", "id_number")],
            true_id=du.id),
        Row(C("低保", fan, fan, "户主", "1", "745", "2022/8/8", "在保", "", A["anju"], "", head_id_cell="#N/A"),
            expect={"head_id_number": None}, warn=[("not_an_id", "head_id_number")],
            note="a VLOOKUP for the head's ID failed"),
        Row(C("低保", hou, hou, "户主", "1", "745", "2021/1/4", "在保", "", A["huyang"], "18747315524", id_cell=rounded_text(hou)),
            expect={"id_number": None}, warn=[("float_precision_lost", "id_number")], true_id=hou.id,
            note="a number cell with format 0: Excel writes the rounded 18 digits"),
        Row(C("低保", lei, lei, "户主", "1", "745", "2025/2/17", "在保", "", A["fuxing"], "13190479921", head_id_cell=sci_lei),
            expect={"head_id_number": None}, warn=[("float_precision_lost", "head_id_number")]),
    ]
    write_text(s, encoding="gb18030")


def f_mz_title_trailer() -> None:
    s = add(Spec(
        "mz_dibao_title_line_summary_trailer.csv", "mz_assistance",
        "CSV from a sheet with a merged title: the title line comes first (padded with commas), "
        "the header on line 2; after the data a blank line, a 合计 line and a 制表人/审核人/填表日期 "
        "line.",
        ["title_line", "summary_row", "signature_row", "blank_row", "gb18030"],
        [Col(h, m) for h, m in MZ_STD],
    ))
    gao = P("高建军", "男", "1965-07-19", "150304", 173)
    lu = P("路桂兰", "女", "1967-03-28", "150304", 188)
    gaox = P("高晓东", "男", "1993-12-05", "150304", 15)
    wu = P("武翠花", "女", "1954-08-17", "150304", 226)
    ji = P("姬保平", "男", "1970-10-24", "150304", 61)
    ma = P("马兰花", "女", "1972-02-09", "150304", 144)
    ma2 = P("丁海龙", "男", "1998-06-20", "150304", 33)
    C = mz_cells
    s.rows = [
        Row(C("低保", gao, gao, "户主", "3", "1350.00", "2023年3月1日", "在保", "", A["minda"], "13947310552")),
        Row(C("低保", gao, lu, "配偶", "3", "1350.00", "2023年3月1日", "在保", "", A["minda"], "13947310552")),
        Row(C("低保", gao, gaox, "子", "3", "1350.00", "2023年3月1日", "在保", "", A["minda"], "17604736208")),
        Row(C("低保", wu, wu, "户主", "1", "745.00", "2019年10月1日", "在保", "", A["anju"], "")),
        Row(C("低保", ji, ji, "户主", "1", "745.00", "2024年1月1日", "在保", "", A["huyang"], "15847303391")),
        Row(C("低保", ma, ma, "户主", "2", "1020.00", "2022年5月1日", "在保", "", A["shengli"], "13847315560")),
        Row(C("低保", ma, ma2, "子", "2", "1020.00", "2022年5月1日", "在保", "", A["shengli"], "18804731772")),
    ]
    trailer = [
        Row([""] * 16, outcome="quarantined", reason=("blank_row", None)),
        Row(["合计", "", "", "", "", "", "", "15", "6580.00"], outcome="quarantined", reason=("summary_row", None)),
        Row(["制表人：李红梅", "", "", "", "审核人：王建平", "", "", "", "", "填表日期：2026年10月28日"],
            outcome="quarantined", reason=("signature_row", None)),
    ]
    write_text(s, encoding="gb18030", pre=[["乌达区2026年10月城乡居民最低生活保障对象花名册"]], trailer=trailer)


MZ_SHORT = [
    ("救助类型", "assistance_type"),
    ("姓名", "name"),
    ("身份证号码", "id_number"),
    ("与户主关系", "relation_to_head"),
    ("性别", "sex"),
    ("保障人口", "household_size"),
    ("月保障金额", "monthly_amount"),
    ("批准日期", "approval_date"),
    ("保障状态", "assistance_status"),
    ("家庭住址", "address"),
    ("联系电话", "phone"),
]


def f_mz_utf16_txt() -> None:
    s = add(Spec(
        "mz_tekun_unicode_text_utf16.txt", "mz_assistance",
        "A 特困 list saved by Excel as \"Unicode 文本\": UTF-16 LE with BOM, tab-separated, CRLF, "
        "numbers and dates as displayed (2019/6/1), one address with a line break typed in the "
        "cell (Alt+Enter), which Excel writes quoted with a bare LF inside.",
        ["utf16_unicode_text", "tab_separated", "quoted_line_break"],
        [Col(h, m) for h, m in MZ_SHORT],
        note="Row numbers are records as Excel shows them; the record with the line break spans "
        "two physical lines. The address keeps its line break (text is not rewritten).",
    ))
    rows = [
        (P("牛二虎", "男", "1950-07-07", "150303", 415), "1150", "2019/6/1", A["minle"]),
        (P("贺凤英", "女", "1941-04-12", "150303", 402), "1150", "2018/3/1", A["jinhai"]),
        (P("温满仓", "男", "1946-09-30", "150303", 337), "1150", "2020/12/1", "海南区拉僧庙镇民乐社区\n民乐敬老院"),
        (P("闫二女", "女", "1939-01-05", "150303", 228), "1150", "2017/7/1", A["limin"]),
        (P("乔拴柱", "男", "1952-11-18", "150303", 419), "1150", "2021/5/1", A["dongxing2"]),
    ]
    for p, amt, d, addr in rows:
        y, m, dd = d.split("/")
        s.rows.append(Row(
            ["特困", p.name, p.id, "本人", p.sex, "1", amt, d, "在保", addr, ""],
            expect={"monthly_amount": amt + ".00", "approval_date": dt.date(int(y), int(m), int(dd)).isoformat()},
        ))
    write_text(s, encoding="utf-16", delimiter="\t")
    s.rows[2].note = "the address cell holds a line break; the record spans two physical lines"


def f_mz_utf16_csv() -> None:
    s = add(Spec(
        "mz_dibao_unicode_text_renamed_csv.csv", "mz_assistance",
        "\"Unicode 文本\" (UTF-16 LE with BOM, tabs, CRLF) renamed to .csv by the clerk: the "
        "extension says comma-separated, the bytes are UTF-16 with tabs.",
        ["utf16_unicode_text", "tab_separated", "misleading_extension"],
        [Col(h, m) for h, m in MZ_SHORT],
        misleading_extension=True,
    ))
    rows = [
        (P("胡建军", "男", "1968-04-09", "150302", 259), "户主", "2", "1060", "2023/7/1", "kangle", "13904736215"),
        (P("常秀云", "女", "1970-08-22", "150302", 206), "配偶", "2", "1060", "2023/7/1", "kangle", "13904736215"),
        (P("董平", "男", "1959-12-30", "150302", 97), "户主", "1", "745", "2020/4/1", "changqing", "15647301198"),
        (P("秦玉芳", "女", "1962-05-15", "150302", 174), "户主", "1", "745", "2025/9/1", "qiangang", ""),
    ]
    for p, rel, n, amt, d, a, ph in rows:
        y, m, dd = d.split("/")
        s.rows.append(Row(
            ["低保", p.name, p.id, rel, p.sex, n, amt, d, "在保", A[a], ph],
            expect={"monthly_amount": amt + ".00", "approval_date": dt.date(int(y), int(m), int(dd)).isoformat()},
        ))
    write_text(s, encoding="utf-16", delimiter="\t")


def f_mz_quoted_header() -> None:
    cols = [Col("救助类型", "assistance_type"), Col("户主姓名", "head_name"), Col("姓名", "name"),
            Col("身份证\n号码", "id_number"), Col("与户主关系", "relation_to_head"), Col("性别", "sex"),
            Col("保障\n人口", "household_size"), Col("月保障\n金额（元）", "monthly_amount"),
            Col("批准日期", "approval_date"), Col("保障状态", "assistance_status"),
            Col("家庭住址", "address"), Col("联系电话", "phone")]
    s = add(Spec(
        "mz_dibao_excel_csv_quoted_linebreak_header.csv", "mz_assistance",
        "\"CSV (逗号分隔)\" (GB18030, CRLF) of a sheet whose header cells have line breaks: the "
        "header record spans four physical lines (quoted fields with a bare LF inside). One "
        "address contains an ASCII comma and is quoted. 月保障\\n金额（元） has a unit in "
        "full-width brackets.",
        ["header_linebreak", "quoted_line_break", "unit_in_header", "fullwidth_brackets", "gb18030"],
        cols,
        note="Row numbers are records as Excel shows them: the header is row 1 although it takes "
        "four physical lines, so the first data row is row 2 (physical line 5).",
    ))
    rows = [
        (P("崔永强", "男", "1966-03-14", "150302", 91), None, "户主", "2", "980.00", "xinnan", "13947310063"),
        (P("孟桂芝", "女", "1968-07-07", "150302", 146), 0, "配偶", "2", "980.00", "xinnan", "13947310063"),
        (P("尹志华", "男", "1955-01-21", "150302", 273), None, "户主", "1", "745.00", "huanghe", ""),
        (P("焦玉珍", "女", "1961-10-10", "150302", 238), None, "户主", "1", "745.00", "gongyuan", "15247302984"),
        (P("岳大勇", "男", "1979-05-29", "150302", 15), None, "户主", "1", "745.00", "shicheng", "13354731190"),
    ]
    heads = {0: rows[0][0]}
    for p, h, rel, n, amt, a, ph in rows:
        head = heads[h] if h is not None else p
        addr = A[a] + (",现借住女儿家" if p.name == "尹志华" else "")
        s.rows.append(Row(["低保", head.name, p.name, p.id, rel, p.sex, n, amt, "2024年9月1日", "在保", addr, ph]))
    write_text(s, encoding="gb18030")


def f_mz_two_ids() -> None:
    s = add(Spec(
        "mz_dibao_two_visible_id_columns_conflict.xlsx", "mz_assistance",
        "Two visible columns map to the ID: 身份证号码 (C) and 公民身份号码 (D). They agree on rows "
        "2 and 3 and disagree on rows 4 and 5 (D holds the head's ID there): the importer cannot "
        "know which column is the person's.",
        ["two_columns_one_item", "refusal"],
        [Col("救助类型", "assistance_type"), Col("姓名", "name"), Col("身份证号码", "id_number"),
         Col("公民身份号码", "id_number", used=False), Col("与户主关系", "relation_to_head"),
         Col("性别", "sex"), Col("月保障金额", "monthly_amount"), Col("批准日期", "approval_date"),
         Col("保障状态", "assistance_status"), Col("家庭住址", "address")],
        content="xlsx",
        refusal={"code": "duplicate_column", "columns": ["C", "D"],
                 "message_contains": ["身份证号码", "公民身份号码"]},
        note="Judgement: two visible columns for one registry column that disagree refuse the "
        "file (the message names both columns); a hidden duplicate loses silently instead "
        "(cl_disability_roster_hidden_column.xlsx). Rows are listed for reference only.",
    ))
    li = P("李福海", "男", "1963-11-11", "150303", 195)
    zh = P("赵月英", "女", "1965-06-28", "150303", 240)
    sun = P("孙刚", "男", "1990-02-03", "150303", 71)
    ww = P("王翠兰", "女", "1958-09-09", "150303", 166)
    for p, d_id, rel in [(li, li.id, "户主"), (ww, ww.id, "户主"), (zh, li.id, "配偶"), (sun, li.id, "子")]:
        s.rows.append(Row(["低保", p.name, p.id, d_id, rel, p.sex, "980.00", dt.date(2023, 1, 1), "在保", A["jinhai"]],
                          outcome="refused"))
    write_xlsx(s, sheet="Sheet1")


# -- 公安 (gongan_death, gongan_hukou) and 卫健 (wj_death) ---------------------------------------

GA_DEATH = [
    ("姓名", "name"),
    ("身份证号", "id_number"),
    ("性别", "sex"),
    ("出生日期", "birth_date"),
    ("死亡日期", "death_date"),
    ("注销日期", "cancel_date"),
    ("注销原因", "cancel_reason"),
    ("户籍地址", "hukou_address"),
    ("派出所", "police_station"),
]


def ga_row(p: P, death: str, cancel: str, a: str, station: str, **kw: Any) -> Row:
    return Row([p.name, p.id, p.sex, p.birth, death, cancel, "死亡", hk(a), station], **kw)


# 何振江: two 公安 reports with different dates, and a 卫健 certificate with a third.
HE_ZHENJIANG = P("何振江", "男", "1941-05-06", "150302", 139)


def f_ga_future() -> None:
    s = add(Spec(
        "gongan_death_future_date.csv", "gongan_death",
        "A 公安 death list typed by hand (GB18030, CRLF) with a 死亡日期 in the future (2052, the "
        "clerk swapped 2025) and a 注销日期 in the future (2062 for 2026).",
        ["date_in_future", "gb18030"],
        [Col(h, m) for h, m in GA_DEATH],
        note="A death date in the future makes the row useless as a death report: quarantined. A "
        "future 注销日期 (not required) is dropped with a warning and the row is kept. 'Future' "
        "is relative to the import date; 2052 and 2062 stay in the future for decades.",
    ))
    guo = P("郭永贵", "男", "1938-04-02", "150302", 57)
    lian = P("连桂英", "女", "1944-09-19", "150302", 122)
    feng = P("冯富贵", "男", "1950-03-08", "150303", 33)
    zhao = P("赵兰英", "女", "1936-12-25", "150304", 84)
    qi = P("祁德福", "男", "1947-06-14", "150304", 211)
    s.rows = [
        ga_row(guo, "2026-08-11", "2026-08-25", "qingquan", "新华派出所"),
        ga_row(lian, "2052-09-03", "2025-09-15", "gongyuan", "凤凰岭派出所", outcome="quarantined",
               reason=("date_in_future", "death_date"), note="2052 for 2025: two digits swapped"),
        ga_row(feng, "2026-05-27", "2026-06-09", "xiangyuan", "西卓子山派出所"),
        ga_row(zhao, "2026-07-19", "2062-07-30", "tuanjie", "巴音赛派出所",
               expect={"cancel_date": None}, warn=[("date_in_future", "cancel_date")]),
        ga_row(qi, "2026-09-02", "2026-09-16", "minda", "新达派出所"),
    ]
    write_text(s, encoding="gb18030")


def f_ga_before_birth() -> None:
    s = add(Spec(
        "gongan_death_before_birth.csv", "gongan_death",
        "Death dates before birth: 1925-06-03 for a man born 1952-06-30 (digits swapped), and "
        "1926-01-08 for a woman whose 出生日期 cell is empty but whose ID says 1961-03-15 (wrong "
        "century).",
        ["date_before_birth", "gb18030"],
        [Col(h, m) for h, m in GA_DEATH],
        note="The birth date comes from 出生日期, else from the ID. Both bad rows are quarantined "
        "(the death date is the row's purpose).",
    ))
    tang = P("唐金宝", "男", "1952-06-30", "150302", 75)
    wei = P("魏淑贞", "女", "1961-03-15", "150303", 108)
    he = P("郝玉山", "男", "1943-02-11", "150302", 291)
    pan = P("潘秀英", "女", "1939-10-04", "150304", 16)
    s.rows = [
        ga_row(he, "2026-02-17", "2026-03-02", "xinnan", "新华派出所"),
        ga_row(tang, "1925-06-03", "2025-06-20", "haida", "新华西派出所", outcome="quarantined",
               reason=("date_before_birth", "death_date"), note="2025-06-03 typed as 1925"),
        ga_row(pan, "2026-04-29", "2026-05-11", "xingfu", "巴音赛派出所"),
        Row([wei.name, wei.id, wei.sex, "", "1926-01-08", "2026-01-21", "死亡", hk("jinhai"), "拉僧仲派出所"],
            outcome="quarantined", reason=("date_before_birth", "death_date"),
            note="出生日期 empty: the ID gives 1961-03-15"),
    ]
    write_text(s, encoding="gb18030")


def f_ga_two_reports() -> None:
    s = add(Spec(
        "gongan_death_two_reports_one_person.csv", "gongan_death",
        "One person reported dead twice in one 公安 list, with different 死亡日期 (2026-03-14 "
        "and 2026-03-17) and 注销日期; 卫健's certificate (wj_death_certificates_conflicting_time.csv) "
        "says 2026-03-13 22:40.",
        ["two_death_reports", "gb18030"],
        [Col(h, m) for h, m in GA_DEATH],
        note="Judgement: both rows are accepted as facts with the warning conflicting_duplicate "
        "(same key, different 死亡日期); nothing is silently dropped. In the archive, the 公安 "
        "value is the one of the row with the latest 注销日期 (the correction); with the 卫健 "
        "certificate imported, 卫健 is the authority for identity.death_date.",
    ))
    p = HE_ZHENJIANG
    a = P("贾福林", "男", "1939-08-08", "150302", 53)
    b = P("苏凤兰", "女", "1945-01-20", "150302", 104)
    c = P("陆长海", "男", "1952-11-30", "150302", 271)
    s.rows = [
        ga_row(p, "2026-03-14", "2026-03-20", "kangle", "新华派出所", warn=[("conflicting_duplicate", "death_date")]),
        ga_row(a, "2026-03-02", "2026-03-19", "heping", "凤凰岭派出所"),
        ga_row(b, "2026-03-09", "2026-03-23", "shicheng", "海北派出所"),
        ga_row(p, "2026-03-17", "2026-04-02", "kangle", "新华派出所", warn=[("conflicting_duplicate", "death_date")],
               note="second report of row 2's person"),
        ga_row(c, "2026-03-21", "2026-04-01", "bailou", "滨河派出所"),
    ]
    s.archive += [
        {"item": "identity.death_date", "id_number": p.id, "value": "2026-03-17", "conflict": True,
         "with_files": [], "note": "imported alone: the report with the latest 注销日期"},
        {"item": "identity.death_date", "id_number": p.id, "value": "2026-03-13", "conflict": True,
         "with_files": ["wj_death_certificates_conflicting_time.csv"],
         "note": "卫健 is first in the item's authority"},
    ]
    write_text(s, encoding="gb18030")


def f_wj_conflict() -> None:
    cols = [("证明编号", "certificate_number"), ("死者姓名", "name"), ("性别", "sex"), ("民族", "ethnicity"),
            ("有效身份证件类别", "id_type"), ("证件号码", "id_number"), ("出生日期", "birth_date"),
            ("死亡时间", "death_time"), ("死亡地点", "death_place"), ("根本死因", "death_cause"),
            ("常住地址", "address"), ("家属联系电话", "family_phone")]
    s = add(Spec(
        "wj_death_certificates_conflicting_time.csv", "wj_death",
        "卫健 death certificates (UTF-8 without BOM, LF); 何振江's 死亡时间 (2026-03-13 22:40) "
        "differs from both 公安 reports in gongan_death_two_reports_one_person.csv.",
        ["two_death_reports", "utf8"],
        [Col(h, m) for h, m in cols],
    ))
    p = HE_ZHENJIANG
    x = P("周凤鸣", "女", "1933-07-21", "150303", 62)
    y = P("邓金山", "男", "1948-02-02", "150304", 297)
    z = P("黄秀兰", "女", "1951-05-18", "150302", 226)
    s.rows = [
        Row(["W1503022026004127", p.name, p.sex, "汉族", "居民身份证", p.id, p.birth, "2026-03-13 22:40",
             "医疗卫生机构", "脑血管病", A["kangle"], "13947317720"],
            warn=[], note="公安 says 2026-03-14 and 2026-03-17"),
        Row(["W1503032026001093", x.name, x.sex, "回族", "居民身份证", x.id, x.birth, "2026-04-06 05:15",
             "家中", "心脏病", A["minle"], "15848731206"]),
        Row(["W1503042026002288", y.name, y.sex, "蒙古族", "居民身份证", y.id, y.birth, "2026-05-19 16:48",
             "医疗卫生机构", "恶性肿瘤", A["fuxing"], "13804734519"]),
        Row(["W1503022026005316", z.name, z.sex, "汉族", "居民身份证", z.id, z.birth, "2026-06-02 09:03",
             "养老机构", "慢性阻塞性肺疾病", A["qingshan"], "18947302218"]),
    ]
    write_text(s, encoding="utf-8", eol="\n")


def f_ga_synonyms() -> None:
    cols = [("姓名", "name"), ("公民身份号码", "id_number"), ("性别", "sex"), ("出生日期", "birth_date"),
            ("死亡时间", "death_date"), ("注销日期", "cancel_date"), ("注销原因", "cancel_reason"),
            ("户籍地址", "hukou_address"), ("所属派出所", "police_station")]
    s = add(Spec(
        "gongan_death_synonym_headers.csv", "gongan_death",
        "A 公安 death list with the header 死亡时间 (not 死亡日期, the required column) holding "
        "date-times and dates, and 公民身份号码 / 所属派出所. CSV UTF-8 with BOM, CRLF.",
        ["header_synonyms", "utf8_bom"],
        [Col(h, m, note="synonym not in this source's registry headers" if h == "死亡时间" else None)
         for h, m in cols],
        note="死亡时间 in a 公安 list means the date of death: the time of day is dropped.",
    ))
    rows = [
        (P("秦玉山", "男", "1940-10-10", "150302", 19), "2026-05-03 06:20", "2026-05-03", "qiangang", "千里山派出所"),
        (P("于桂芝", "女", "1937-03-27", "150302", 248), "2026/5/8", "2026-05-08", "xindi", "千里山派出所"),
        (P("武宝山", "男", "1949-12-12", "150303", 191), "2026-06-11 23:55", "2026-06-11", "huayuan", "拉僧仲派出所"),
        (P("罗素珍", "女", "1942-08-01", "150304", 60), "2026年7月2日", "2026-07-02", "meiyuan", "苏海图派出所"),
    ]
    for p, raw, iso, a, st in rows:
        cancel = (dt.date.fromisoformat(iso) + dt.timedelta(days=12)).isoformat()
        s.rows.append(Row([p.name, p.id, p.sex, p.birth, raw, cancel, "死亡", hk(a), st],
                          expect={"death_date": iso}))
    write_text(s, encoding="utf-8-sig")


def f_ga_hukou_tab() -> None:
    cols = [("户号", "household_number"), ("与户主关系", "relation_to_head"), ("姓名", "name"),
            ("公民身份号码", "id_number"), ("性别", "sex"), ("民族", "ethnicity"), ("出生日期", "birth_date"),
            ("户籍地址", "hukou_address"), ("人员状态", "hukou_status"), ("注销日期", "cancel_date"),
            ("所属派出所", "police_station")]
    s = add(Spec(
        "gongan_hukou_tab_separated.csv", "gongan_hukou",
        "A 户籍 extract named .csv but tab-separated (GB18030, CRLF); 人员状态 with full-width "
        "and half-width brackets (正常（人户分离）, 正常(人户分离)), a 死亡注销 with 注销日期, "
        "dates as 19900101.",
        ["tab_separated", "misleading_extension", "gb18030", "fullwidth_brackets"],
        [Col(h, m) for h, m in cols],
        misleading_extension=True,
    ))
    qiao = P("乔建军", "男", "1975-06-18", "150302", 53)
    fan = P("樊晓红", "女", "1977-02-09", "150302", 68)
    yi = P("乔一鸣", "男", "2004-09-01", "150302", 11)
    bt = P("巴图孟和", "男", "1968-11-05", "150304", 37)
    qm = P("其木格", "女", "1942-04-16", "150304", 22)
    sr = P("萨仁高娃", "女", "1995-07-27", "150304", 146)
    hh1, hh2 = "150302004100234", "150304001200517"
    rows = [
        (hh1, "户主", qiao, "汉族", "正常", "", "qingshan", "海北派出所", {}),
        (hh1, "配偶", fan, "汉族", "正常", "", "qingshan", "海北派出所", {}),
        (hh1, "子", yi, "汉族", "正常（人户分离）", "", "qingshan", "海北派出所", {}),
        (hh2, "户主", bt, "蒙古族", "正常", "", "xianfeng", "巴音赛派出所", {}),
        (hh2, "母亲", qm, "蒙古族", "死亡注销", "20260402", "xianfeng", "巴音赛派出所", {}),
        (hh2, "女", sr, "蒙古族", "正常(人户分离)", "", "xianfeng", "巴音赛派出所", {"hukou_status": "1"}),
    ]
    for hh, rel, p, eth, st, cancel, a, station, exp in rows:
        s.rows.append(Row([hh, rel, p.name, p.id, p.sex, eth, p.birth.replace("-", ""), hk(a), st,
                           cancel, station], expect=exp))
    write_text(s, encoding="gb18030", delimiter="\t")


# -- 退役军人 (va_veterans) -----------------------------------------------------------------------

VA_STD = [
    ("姓名", "name"),
    ("性别", "sex"),
    ("公民身份号码", "id_number"),
    ("出生年月", "birth_month"),
    ("入伍时间", "enlist_date"),
    ("退役时间", "discharge_date"),
    ("安置方式", "resettlement"),
    ("优抚对象类别", "youfu"),
    ("现住址", "address"),
    ("联系电话", "phone"),
    ("就业状况", "employment_situation"),
]


def f_va_xls() -> None:
    s = add(Spec(
        "va_veterans_form_xls_97.xls", "va_veterans",
        "A 退役军人 采集表 saved as Excel 97-2003 (.xls, BIFF8, made with xlwt): merged title row, "
        "序号 column, 出生年月/入伍时间 typed as text 1965.03, 退役时间 as date cells and one as "
        "text 2024/3/5, one ID typed into a number cell (a double: digits lost), a 填表人 row.",
        ["xls_97", "merged_title", "float_id", "signature_row"],
        [Col("序号", None, width=5)] + [Col(h, m, width=20 if m == "id_number" else 12) for h, m in VA_STD],
        content="xls",
    ))
    rows = [
        (P("贾振国", "男", "1965-03-22", "150302", 251), "1965.03", "1983.10", dt.date(1987, 12, 20), "安排工作", "", "qingquan", "13904731182", "退休"),
        (P("田建军", "男", "1972-08-09", "150302", 97), "1972.08", "1990.03", dt.date(2006, 12, 15), "自主就业", "", "gongyuan", "13947318264", "就业"),
        (must_fail_rounded(P("吕海涛", "男", "1985-12-03", "150303", 179)), "1985.12", "2003.12", dt.date(2015, 12, 1), "自主就业", "", "xinqiao", "15147321836", "灵活就业"),
        (P("常红梅", "女", "1990-06-17", "150304", 224), "1990.06", "2008.12", dt.date(2013, 12, 10), "自主就业", "", "minda", "18647312230", "就业"),
        (P("郑保全", "男", "1948-01-30", "150304", 13), "1948.01", "1966.03", dt.date(1971, 4, 1), "安排工作", "带病回乡退伍军人", "fumin", "", "退休"),
        (P("谢长青", "男", "1962-10-05", "150302", 77), "1962.10", "1979.11", dt.date(1985, 10, 1), "安排工作", "参战参试退役军人", "bailou", "13015030041", "退休"),
        (P("许立新", "男", "1998-04-12", "150302", 31), "1998.04", "2016.09", "2024/3/5", "逐月领取退役金", "", "xinnan", "17747310659", "自主创业"),
        (P("曹卫兵", "男", "1975-07-07", "150303", 119), "1975.07", "1993.12", dt.date(2005, 11, 30), "自主就业", "残疾军人", "limin", "13848732005", "无业"),
    ]
    for i, (p, bm, en, dis, res, yf, a, ph, emp) in enumerate(rows, 1):
        idc: Any = p.id
        exp: dict[str, Any] = {"birth_month": f"{bm[:4]}-{bm[5:7]}-01", "enlist_date": f"{en[:4]}-{en[5:7]}-01"}
        r = Row([i, p.name, p.sex, idc, bm, en, dis, res, yf, A[a], ph, emp], expect=exp)
        if p.name == "吕海涛":
            r.cells[3] = X(p.excel_rounded, "0")
            r.expect["id_number"] = None
            r.warn.append(("float_precision_lost", "id_number"))
            r.true_id = p.id
        if dis == "2024/3/5":
            r.note = "退役时间 typed as text in a date column"
        s.rows.append(r)
    s.file_warnings.append(("unmapped_column", "序号", None))
    trailer = [Row(["填表人：张海军", None, None, None, "联系电话：0473-6012345", None, None, None,
                    "填表日期：2026年10月"], outcome="quarantined", reason=("signature_row", None))]
    write_xls(s, sheet="退役军人信息", pre=[["乌海市退役军人和其他优抚对象信息采集表"]],
              merges=[(0, 0, 0, 11)], trailer=trailer)


def f_va_numeric_month() -> None:
    s = add(Spec(
        "va_veterans_birth_month_typed_as_number.xlsx", "va_veterans",
        "出生年月 / 入伍时间 typed as numbers: 1965.03, 1988.12 and 2006.09 are unambiguous; "
        "1990.10 typed into a General cell is stored and shown as 1990.1 (January or October?); "
        "the same typed into a cell formatted 0.00 shows 1990.10; 2010.10 typed as 2010.1; text "
        "1976.1 and 199210. 退役时间 as a number 2014.12 (month only) and as a bare serial 45356.",
        ["numeric_year_month", "ambiguous_numeric_date", "excel_serial"],
        [Col(h, m) for h, m in VA_STD],
        content="xlsx",
        note="Judgement: a number whose decimals end in 1 (1990.1) cannot tell January from "
        "October: no value, warning ambiguous_numeric_date, even where the ID's birth date would "
        "settle 出生年月 (the cell alone is ambiguous; true values are in the row notes). A "
        "number cell whose format shows two decimals (1990.10) is read as displayed. Text is "
        "read as typed: 1976.1 is January.",
    ))
    du = P("杜建平", "男", "1965-03-09", "150302", 95)
    pan = P("潘志勇", "男", "1990-10-21", "150302", 177)
    peng = P("彭海涛", "男", "1990-10-03", "150303", 53)
    gong = P("龚丽", "女", "1988-12-14", "150304", 106)
    han = P("韩东升", "男", "1976-01-29", "150304", 211)
    xue = P("薛振国", "男", "1992-10-17", "150302", 233)
    N = lambda v, f="General": X(v, f)  # noqa: E731
    s.rows = [
        Row([du.name, du.sex, du.id, N(1965.03), N(1983.11), dt.date(1999, 12, 1), "安排工作", "", A["haida"], "13947305518", "退休"],
            expect={"birth_month": "1965-03-01", "enlist_date": "1983-11-01"}),
        Row([pan.name, pan.sex, pan.id, N(1990.1), N(2008.12), dt.date(2013, 12, 1), "自主就业", "", A["kangle"], "15104732761", "就业"],
            expect={"birth_month": None, "enlist_date": "2008-12-01"},
            warn=[("ambiguous_numeric_date", "birth_month")],
            note="typed 1990.10 (October, as the ID says); the cell holds 1990.1"),
        Row([peng.name, peng.sex, peng.id, N(1990.1, "0.00"), "2009.12", N(2014.12), "自主就业", "", A["jinhai"], "18604738832", "灵活就业"],
            expect={"birth_month": "1990-10-01", "enlist_date": "2009-12-01", "discharge_date": "2014-12-01"},
            warn=[("month_precision", "discharge_date")],
            note="出生年月 shows 1990.10 (format 0.00); 退役时间 typed 2014.12 (month only)"),
        Row([gong.name, gong.sex, gong.id, N(1988.12), N(2006.09), N(45356), "自主就业", "", A["shengli"], "13644735109", "就业"],
            expect={"birth_month": "1988-12-01", "enlist_date": "2006-09-01", "discharge_date": "2024-03-05"},
            note="退役时间 is a bare Excel serial in a General cell"),
        Row([han.name, han.sex, han.id, "1976.1", N(1994.12), dt.date(1998, 12, 1), "自主就业", "", A["tiexi"], "15661472238", "失业"],
            expect={"birth_month": "1976-01-01", "enlist_date": "1994-12-01"}),
        Row([xue.name, xue.sex, xue.id, "199210", N(2010.1), dt.date(2015, 9, 1), "自主就业", "", A["qingshan"], "17604731870", "自主创业"],
            expect={"birth_month": "1992-10-01", "enlist_date": None},
            warn=[("ambiguous_numeric_date", "enlist_date")],
            note="入伍时间 typed 2010.10; the cell holds 2010.1"),
    ]
    write_xlsx(s, sheet="Sheet1")


def f_va_renamed() -> None:
    s = add(Spec(
        "va_veterans_xls_renamed_to_xlsx.xlsx", "va_veterans",
        "An Excel 97-2003 (.xls, BIFF8) workbook renamed to .xlsx by hand: must be read by its "
        "content (an OLE2 compound file), not its extension.",
        ["xls_97", "misleading_extension"],
        [Col(h, m) for h, m in VA_STD],
        content="xls", misleading_extension=True,
    ))
    rows = [
        (P("高永强", "男", "1970-03-15", "150304", 215), "1970.03", "1988.03", dt.date(1992, 12, 1), "安排工作", "tuanjie", "13947380016", "退休"),
        (P("范志勇", "男", "1983-09-28", "150304", 37), "1983.09", "2001.12", dt.date(2013, 12, 1), "自主就业", "guangming", "15047316678", "就业"),
        (P("孟凡军", "男", "1994-05-06", "150304", 291), "1994.05", "2012.09", dt.date(2017, 9, 1), "自主就业", "huyang", "18947307751", "灵活就业"),
        (P("宁晓丽", "女", "1991-11-11", "150304", 88), "1991.11", "2009.12", dt.date(2014, 12, 1), "自主就业", "anju", "13514736672", "就业"),
    ]
    for p, bm, en, dis, res, a, ph, emp in rows:
        s.rows.append(Row([p.name, p.sex, p.id, bm, en, dis, res, "", A[a], ph, emp],
                          expect={"birth_month": f"{bm[:4]}-{bm[5:]}-01", "enlist_date": f"{en[:4]}-{en[5:]}-01"}))
    write_xls(s, sheet="Sheet1")


def f_va_no_header() -> None:
    s = add(Spec(
        "va_veterans_header_on_row_21.xlsx", "va_veterans",
        "The header is on row 21, below a title and 19 lines of 填表说明: one row beyond the 20 "
        "rows searched for a header. The file is refused with a message that says where the "
        "header was looked for.",
        ["header_beyond_20", "refusal"],
        [Col(h, m) for h, m in VA_STD],
        content="xlsx",
        refusal={"code": "no_header_found", "message_contains": ["1–20", "Sheet1"]},
        note="Rows are listed for reference only. Compare cl_disability_header_row_20.xlsx (header on row 20, accepted).",
    ))
    notes = [["乌海市退役军人信息采集表"], ["填表说明："]] + [
        [f"{i}. {t}"] for i, t in enumerate([
            "本表由社区（村）退役军人服务站填写。", "姓名与身份证件一致。", "公民身份号码填写18位。",
            "出生年月填写到月，格式为1990.01。", "入伍时间填写到月。", "退役时间填写到日。",
            "安置方式按退役证件填写。", "优抚对象类别按优抚证填写，非优抚对象不填。",
            "现住址填写到门牌号。", "联系电话填写本人手机号码。", "就业状况按本月情况填写。",
            "已故人员请注明死亡日期。", "迁出本市人员请注明迁入地。", "本表每季度更新一次。",
            "请勿更改表格格式。", "如有疑问请联系区退役军人事务局（电话0473-6012345）。",
        ], 1)
    ] + [["填报单位：乌达区退役军人服务中心"], []]
    assert len(notes) == 20, len(notes)
    for p, bm in [(P("郭志强", "男", "1980-02-02", "150304", 175), "1980.02"),
                  (P("于海", "男", "1987-06-30", "150304", 53), "1987.06")]:
        s.rows.append(Row([p.name, p.sex, p.id, bm, "2005.12", dt.date(2010, 12, 1), "自主就业", "",
                           A["xingfu"], "13947301234", "就业"], outcome="refused"))
    write_xlsx(s, sheet="Sheet1", pre=notes, merges=["A1:K1"])


# -- other departments ----------------------------------------------------------------------------


def f_grid_dots() -> None:
    cols = [("网格编码", "grid_code"), ("网格名称", "grid_name"), ("门牌编码", "doorplate_code"),
            ("现住址", "address"), ("姓名", "name"), ("性别", "sex"), ("身份证号码", "id_number"),
            ("出生日期", "birth_date"), ("民族", "ethnicity"), ("联系电话", "phone"),
            ("与户主关系", "relation_to_head"), ("户籍类型", "hukou_type"), ("户籍地", "hukou_address"),
            ("人员类型", "population_type"), ("采集日期", "collected_date")]
    s = add(Spec(
        "grid_census_middle_dot_names_utf8_bom.csv", "grid_census",
        "A 网格 census (CSV UTF-8 with BOM, CRLF) of Uyghur, Mongolian and Hui residents whose "
        "names are written with the middle-dot variants · (U+00B7), • (U+2022), ・ (U+30FB), "
        "． (U+FF0E), and ' . ' (ASCII full stop between spaces); 出生日期 in four formats.",
        ["middle_dot_names", "date_formats", "utf8_bom"],
        [Col(h, m) for h, m in cols],
        note="Every separator becomes U+00B7 (the GB 18030 middle dot used on ID cards), spaces "
        "around it are removed. The ASCII full stop is a judgement: between two Han names it can "
        "only be a separator.",
    ))
    grid, gname = "150304005001003", "新达街道民达社区第3网格"
    rows = [
        (P("阿依古丽·吐尔逊", "女", "1988-04-17", "650102", 226), "阿依古丽·吐尔逊", "1988-04-17", "维吾尔族", "户主", "外地户籍", "新疆维吾尔自治区乌鲁木齐市天山区", "流动人口", (12, 1, 5, 2), "13899123306"),
        (P("买买提·艾力", "男", "1985-09-02", "653101", 117), "买买提•艾力", "1985/9/2", "维吾尔族", "配偶", "外地户籍", "新疆维吾尔自治区喀什地区喀什市", "流动人口", (12, 1, 5, 2), "15299841175"),
        (P("娜仁·其其格", "女", "1979-01-23", "150302", 84), "娜仁・其其格", "1979年1月23日", "蒙古族", "户主", "本地户籍", HUKOU_PREFIX + A["qingquan"], "户籍人口", (13, 2, 3, 1), "13947310218"),
        (P("巴特尔·朝鲁", "男", "1983-07-11", "152921", 35), "巴特尔．朝鲁", "19830711", "蒙古族", "户主", "外地户籍", "内蒙古自治区阿拉善盟阿拉善左旗", "流动人口", (13, 1, 6, 2), "15147309913"),
        (P("热依拉·艾买提", "女", "1995-11-30", "650103", 62), "热依拉 . 艾买提", "1995-11-30", "维吾尔族", "户主", "外地户籍", "新疆维吾尔自治区乌鲁木齐市沙依巴克区", "流动人口", (14, 3, 2, 1), "18999107724"),
        (P("马文礼", "男", "1972-02-08", "640121", 273), "马文礼", "1972/2/8", "回族", "户主", "外地户籍", "宁夏回族自治区银川市永宁县", "流动人口", (15, 1, 1, 2), "13995171236"),
    ]
    for p, written, born, eth, rel, ht, hka, pt, (bldg, unit, floor, room), ph in rows:
        door = f"{grid}{bldg:03d}{unit:02d}{floor:02d}{room:02d}"
        addr = f"乌达区新达街道民达社区新达路{bldg}号楼{unit}单元{floor}{room:02d}室"
        s.rows.append(Row(
            [grid, gname, door, addr, written, p.sex, p.id, born, eth, ph, rel, ht, hka, pt, "2026-09-15"],
            expect={"name": p.name, "birth_date": p.birth},
        ))
    write_text(s, encoding="utf-8-sig")


def f_pension_tsv_xls() -> None:
    cols = [("证件号码", "id_number"), ("姓名", "name"), ("性别", "sex"), ("出生年月", "birth_month"),
            ("待遇类型", "pension_type"), ("待遇开始年月", "pension_start"), ("月发放金额", "monthly_amount"),
            ("发放状态", "payment_status"), ("最近发放年月", "last_paid_month"), ("终止年月", "end_month"),
            ("最近认证日期", "last_certification_date"), ("认证方式", "certification_method"),
            ("开户银行", "bank"), ("联系电话", "phone")]
    s = add(Spec(
        "rs_pension_export_tsv_named_xls.xls", "rs_pension",
        "A system's \"导出Excel\" that writes tab-separated GB18030 text with a .xls name (not a "
        "workbook): must be read as delimited text by content.",
        ["misleading_extension", "tab_separated", "gb18030"],
        [Col(h, m) for h, m in cols],
        misleading_extension=True,
    ))
    rows = [
        (P("王桂兰", "女", "1958-07-19", "150302", 66), "企业职工基本养老金", "201307", "3256.78", "人脸识别自助认证", "中国建设银行乌海分行", "13947301620"),
        (P("刘建华", "男", "1955-03-02", "150302", 131), "企业职工基本养老金", "201504", "4120.35", "窗口认证", "中国工商银行乌海分行", "15904730277"),
        (P("张淑琴", "女", "1960-11-26", "150303", 204), "机关事业单位基本养老金", "201512", "5689.00", "大数据比对认证", "中国银行乌海分行", "13804731566"),
        (P("李福", "男", "1950-08-08", "150304", 79), "城乡居民基本养老金", "201009", "186.50", "社区上门认证", "内蒙古农村商业银行", ""),
        (P("陈秀珍", "女", "1944-01-15", "150304", 112), "企业职工基本养老金", "199902", "3018.42", "社区上门认证", "乌海银行", "13015037703"),
    ]
    for p, typ, start, amt, method, bank, ph in rows:
        s.rows.append(Row([p.id, p.name, p.sex, p.birth[:7], typ, start, amt, "正常发放", "202610", "",
                           "2026/05/12", method, bank, ph],
                          expect={"last_certification_date": "2026-05-12"}))
    s.content = "csv"
    write_text(s, encoding="gb18030", delimiter="\t")


def f_sbk_txt() -> None:
    cols = [("姓名", "name"), ("证件号码", "id_number"), ("性别", "sex"), ("社会保障卡号", "card_number"),
            ("卡片版本", "generation"), ("发卡日期", "issue_date"), ("卡状态", "card_status"),
            ("电子社保卡", "ecard"), ("服务银行", "service_bank"), ("手机号码", "phone")]
    s = add(Spec(
        "sbk_card_comma_separated_txt.txt", "sbk_card",
        "Comma-separated UTF-8 text without BOM, LF, named .txt; 发卡日期 as 2021年3月5日.",
        ["misleading_extension", "utf8", "comma_separated"],
        [Col(h, m) for h, m in cols],
        misleading_extension=True,
    ))
    rows = [
        (P("赵海军", "男", "1980-05-12", "150302", 35), "N37284016", "第三代", "2023年4月18日", "正常", "已签发", "中国工商银行乌海分行", "13947392215"),
        (P("钱丽萍", "女", "1986-08-30", "150302", 162), "M21730548", "第二代", "2016年9月5日", "正常", "已签发", "中国建设银行乌海分行", "15847302638"),
        (P("孙立国", "男", "1959-12-19", "150303", 257), "L07391266", "第二代", "2014年3月5日", "挂失", "未签发", "中国农业银行乌海分行", "13704736610"),
        (P("李晓梅", "女", "1992-02-14", "150304", 48), "N40192783", "第三代", "2024年1月9日", "正常", "已签发", "乌海银行", "18604732091"),
        (P("周强", "男", "1975-10-01", "150304", 311), "M19037752", "第二代", "2015年11月20日", "注销", "未签发", "中国银行乌海分行", ""),
    ]
    for p, no, gen, d, st, ec, bank, ph in rows:
        s.rows.append(Row([p.name, p.id, p.sex, no, gen, d, st, ec, bank, ph]))
    write_text(s, encoding="utf-8", eol="\n")


def f_scjg_brackets() -> None:
    cols = [Col("统一社会信用代码", "uscc"), Col("主体名称", "entity_name"), Col("主体类型", "entity_type"),
            Col("法定代表人(负责人)", "name", note="half-width brackets; registry: 法定代表人（负责人）"),
            Col("法定代表人证件号码", "id_number"), Col("成立日期", "established_date"),
            Col("登记状态", "status"), Col("注册资本(万元)", "registered_capital", note="half-width brackets"),
            Col("从业人数(人)", "employees", note="unit in brackets"), Col("住所", "address"),
            Col("行业", "industry"), Col("登记机关", "registration_authority")]
    s = add(Spec(
        "scjg_business_halfwidth_brackets_units.csv", "scjg_business",
        "市场监管 entities (UTF-8 without BOM, CRLF) with half-width brackets where the registry has "
        "full-width ones (法定代表人(负责人), 注册资本(万元)) and a unit in brackets (从业人数(人)); "
        "注册资本 as 500, 3万元, 1,000.00, 200万; 从业人数 as 36人, 2人, ０, 3.",
        ["halfwidth_brackets", "unit_in_header", "count_with_unit", "amount_formats"],
        cols,
        note="注册资本 stays in 万元 (the header's unit): 3万元 → 3.00, not 30000.",
    ))
    a = P("刘志鑫", "男", "1976-04-09", "150302", 91)
    b = P("王建设", "男", "1969-09-16", "150302", 233)
    c = P("赵金泰", "男", "1981-01-31", "150303", 15)
    d = P("张兴旺", "男", "1985-07-22", "150304", 177)
    e = P("李桂芳", "女", "1973-03-13", "150304", 242)
    rows = [
        (uscc("91", "150302", "MA0N3K8T"), "乌海市鑫达煤化有限责任公司", "有限责任公司(自然人投资或控股)", a, "2016-05-18", "存续", "500", "500.00", "36人", 36, "海勃湾区千里山镇千钢社区千里山北路88号", "制造业", "乌海市市场监督管理局"),
        (uscc("92", "150302", "MA13T2YB"), "海勃湾区老王家烩面馆", "个体工商户", b, "2019-08-02", "存续", "3万元", "3.00", "2人", 2, A["kangle"].replace("2单元402室", "底商"), "住宿和餐饮业", "海勃湾区市场监督管理局"),
        (uscc("91", "150303", "MA0QF4L1"), "内蒙古乌海金泰建材有限公司", "有限责任公司(自然人独资)", c, "2017-11-27", "在业", "1,000.00", "1000.00", "０", 0, "海南区拉僧仲街道新桥社区建设路120号", "批发和零售业", "乌海市市场监督管理局"),
        (uscc("92", "150304", "MA7R0W5D"), "乌达区兴旺汽车修理部", "个体工商户", d, "2021-03-15", "存续", "", None, "3", 3, "乌达区三道坎街道光明社区胜利街46号", "居民服务、修理和其他服务业", "乌达区市场监督管理局"),
        (uscc("91", "150304", "MA0P8CX7"), "乌海市恒源物流有限公司", "有限责任公司(自然人投资或控股)", e, "2015-06-30", "注销", "200万", "200.00", "", None, "乌达区滨海街道胜利社区滨海大道210号", "交通运输、仓储和邮政业", "乌海市市场监督管理局"),
    ]
    for code, name, typ, p, est, st, cap, capx, emp, empx, addr, ind, auth in rows:
        s.rows.append(Row([code, name, typ, p.name, p.id, est, st, cap, emp, addr, ind, auth],
                          expect={"registered_capital": capx, "employees": empx}))
    write_text(s, encoding="utf-8")


def f_insurance_spaces() -> None:
    cols = [Col(" 身份证号", "id_number"), Col("姓\u3000名", "name", note="ideographic space U+3000"),
            Col("性别代码", "sex"), Col("险种代码", "scheme_code"), Col("险种名称", "scheme_name"),
            Col("参保状态", "insured_status"), Col("参保身份", "insured_identity"),
            Col("首次参保日期 ", "first_insured_date"), Col("本次参保日期", "current_insured_date"),
            Col("累计缴费月数", "contribution_months"), Col("单位名称", "employer"),
            Col("单位统一社会信用代码", "employer_uscc"),
            Col("缴费基数（元）", "contribution_base", note="unit in full-width brackets"),
            Col("收入档次", "income_band"), Col("缴费档次", "resident_grade")]
    s = add(Spec(
        "rs_insurance_header_spaces_utf8_bom.csv", "rs_insurance",
        "Excel's \"CSV UTF-8\" (BOM, CRLF) of a 参保 extract whose header cells carry a leading "
        "space ( 身份证号), a trailing space (首次参保日期 ), an ideographic space (姓　名) and a "
        "unit in full-width brackets (缴费基数（元）); 缴费基数 with thousands separators.",
        ["header_spaces", "fullwidth_brackets", "unit_in_header", "amount_formats", "utf8_bom"],
        cols,
    ))
    emp = uscc("91", "150302", "MA0N3K8T")
    emp2 = uscc("91", "150303", "MA0QF4L1")
    a = P("张鹏飞", "男", "1988-03-21", "150302", 57)
    b = P("刘静", "女", "1993-07-04", "150303", 148)
    rows = [
        (a, "110", "企业职工基本养老保险", "参保缴费", "在职职工", "20100701", "20160601", "184", "乌海市鑫达煤化有限责任公司", emp, "5,200.00", "5200.00", "100%"),
        (a, "310", "职工基本医疗保险", "参保缴费", "在职职工", "20100701", "20160601", "184", "乌海市鑫达煤化有限责任公司", emp, "5,200.00", "5200.00", ""),
        (a, "210", "失业保险", "参保缴费", "在职职工", "20100701", "20160601", "184", "乌海市鑫达煤化有限责任公司", emp, "5,200.00", "5200.00", ""),
        (b, "110", "企业职工基本养老保险", "参保缴费", "在职职工", "20170301", "20220915", "104", "内蒙古乌海金泰建材有限公司", emp2, "4500", "4500.00", "60%"),
        (b, "410", "工伤保险", "参保缴费", "在职职工", "20220915", "20220915", "49", "内蒙古乌海金泰建材有限公司", emp2, "4500", "4500.00", ""),
    ]
    for p, code, sname, st, ident, first, cur, months, empn, ec, base, basex, band in rows:
        s.rows.append(Row([p.id, p.name, p.sex_code, code, sname, st, ident, first, cur, months, empn, ec,
                           base, band, ""], expect={"contribution_base": basex}))
    write_text(s, encoding="utf-8-sig")


def f_employment_units() -> None:
    cols = [("登记类型", "registration_type"), ("证件号码", "id_number"), ("姓名", "name"), ("性别", "sex"),
            ("出生日期", "birth_date"), ("联系电话", "phone"), ("居住地址", "address"),
            ("就业形式", "employment_form"), ("用人单位名称", "employer"), ("统一社会信用代码", "employer_uscc"),
            ("登记日期", "registration_date"), ("失业原因", "unemployment_reason"), ("原工作单位", "previous_employer"),
            ("失业保险金状态", "benefit_status"), ("核定领取月数", "benefit_months_approved"),
            ("已领取月数", "benefit_months_drawn"), ("剩余月数", "benefit_months_left"),
            ("就业意愿", "willingness"), ("求职意向", "desired_job")]
    s = add(Spec(
        "rs_employment_counts_with_units_gb18030.csv", "rs_employment",
        "就业失业登记 typed at a window (GB18030, CRLF): month counts written with their unit "
        "(12个月, 3个月) beside plain numbers.",
        ["count_with_unit", "gb18030"],
        [Col(h, m) for h, m in cols],
        note="个月 is handled like 人/户: a unit after a count, the number is the value.",
    ))
    emp = uscc("91", "150304", "MA0P8CX7")
    a = P("郝建伟", "男", "1984-06-13", "150304", 95)
    b = P("马丽", "女", "1990-09-09", "150304", 186)
    c = P("杨海波", "男", "1979-02-27", "150302", 213)
    d = P("王芳", "女", "1995-12-18", "150303", 44)
    s.rows = [
        Row(["失业登记", a.id, a.name, a.sex, a.birth, "13947311025", A["tuanjie"], "", "", "", "2026-06-15",
             "单位破产关闭", "乌海市恒源物流有限公司", "领取中", "12个月", "3个月", "9个月", "有", "货车司机"],
            expect={"benefit_months_approved": 12, "benefit_months_drawn": 3, "benefit_months_left": 9}),
        Row(["失业登记", b.id, b.name, b.sex, b.birth, "15147328890", A["xianfeng"], "", "", "", "2026-08-03",
             "劳动合同期满", "乌海市鑫达煤化有限责任公司", "领取中", "24", "2", "22", "有", "会计"]),
        Row(["失业登记", c.id, c.name, c.sex, c.birth, "13804736617", A["qingquan"], "", "", "", "2025-11-20",
             "个人辞职", "海勃湾区老王家烩面馆", "不符合领取条件", "", "", "", "暂不确定", ""]),
        Row(["就业登记", d.id, d.name, d.sex, d.birth, "18847302219", A["huayuan"], "单位就业", "乌海市恒源物流有限公司",
             emp, "2026-09-01", "", "", "", "", "", "", "", ""]),
        Row(["失业登记", d.id, d.name, d.sex, d.birth, "18847302219", A["huayuan"], "", "", "", "2026-03-10",
             "单位裁员", "内蒙古乌海金泰建材有限公司", "已领完", "6个月", "6个月", "0个月", "有", "仓库管理"],
            expect={"benefit_months_approved": 6, "benefit_months_drawn": 6, "benefit_months_left": 0}),
    ]
    write_text(s, encoding="gb18030")


def f_edu_numerals() -> None:
    cols = [("姓名", "name"), ("性别", "sex"), ("身份证号", "id_number"), ("出生日期", "birth_date"),
            ("毕业院校", "school"), ("专业", "major"), ("学历", "level"), ("毕业时间", "graduation_date"),
            ("生源地", "origin"), ("联系电话", "phone")]
    s = add(Spec(
        "edu_graduates_dates_chinese_numerals.xlsx", "edu_graduates",
        "A graduates sheet whose required 毕业时间 is typed as 二〇二五年六月, 2025.6.30, "
        "二〇二四年七月一日, 2025.06, beside a date cell and a bare serial number.",
        ["chinese_numeral_dates", "date_formats", "excel_serial"],
        [Col(h, m) for h, m in cols],
        content="xlsx",
        note="A graduation month without a day is accepted at month precision (first of the "
        "month) with the warning month_precision.",
    ))
    serial = (dt.date(2025, 6, 30) - dt.date(1899, 12, 30)).days
    rows = [
        (P("乔宇轩", "男", "2003-04-11", "150302", 15), "内蒙古大学", "计算机科学与技术", "本科", "二〇二五年六月", "2025-06-01", ["month_precision"], "海勃湾区"),
        (P("韩雨涵", "女", "2004-10-02", "150302", 22), "乌海职业技术学院", "护理", "大专", "2025.6.30", "2025-06-30", [], "海勃湾区"),
        (P("刘子豪", "男", "2002-07-19", "150303", 39), "内蒙古工业大学", "机械设计制造及其自动化", "本科", dt.date(2025, 7, 1), "2025-07-01", [], "海南区"),
        (P("高欣悦", "女", "2000-01-26", "150304", 48), "内蒙古师范大学", "汉语言文字学", "硕士研究生", "二〇二四年七月一日", "2024-07-01", [], "乌达区"),
        (P("马浩然", "男", "2003-12-08", "150304", 71), "内蒙古科技大学", "采矿工程", "本科", X(serial), "2025-06-30", [], "乌达区"),
        (P("李佳琪", "女", "2004-05-30", "150303", 86), "包头医学院", "临床医学", "大专", "2025.06", "2025-06-01", ["month_precision"], "海南区"),
    ]
    phones = ["15648301927", "18347305512", "13514738861", "15247300196", "17604739925", "18647303378"]
    for (p, school, major, level, raw, iso, w, origin), ph in zip(rows, phones, strict=True):
        s.rows.append(Row([p.name, p.sex, p.id, p.birth, school, major, level, raw,
                           "内蒙古自治区乌海市" + origin, ph],
                          expect={"graduation_date": iso}, warn=[(c, "graduation_date") for c in w]))
    write_xlsx(s, sheet="2025届毕业生")


def f_log_txt() -> None:
    cols = [("业务流水号", "serial"), ("业务事项", "matter"), ("申请人证件号码", "id_number"),
            ("申请人姓名", "name"), ("代办人证件号码", "agent_id_number"), ("代办人姓名", "agent_name"),
            ("受理人", "accepted_by"), ("受理时间", "accepted_at"), ("办理人", "handled_by"),
            ("办理时间", "handled_at"), ("审批人", "approved_by"), ("审批时间", "approved_at"),
            ("受理机构", "office"), ("办理结果", "result")]
    s = add(Spec(
        "rs_handling_log_tab_separated_gb18030.txt", "rs_handling_log",
        "An 经办日志 export as tab-separated GB18030 text (.txt, CRLF) with date-times.",
        ["tab_separated", "gb18030"],
        [Col(h, m) for h, m in cols],
    ))
    a = P("王桂兰", "女", "1958-07-19", "150302", 66)
    b = P("郝建伟", "男", "1984-06-13", "150304", 95)
    c = P("赵海军", "男", "1980-05-12", "150302", 35)
    d = P("陈秀珍", "女", "1944-01-15", "150304", 112)
    agent = P("陈建国", "男", "1970-03-03", "150304", 59)
    s.rows = [
        Row(["RS202610120031", "养老保险待遇资格认证", a.id, a.name, "", "", "刘芳(JB0012)", "2026-10-12 09:31:05",
             "刘芳(JB0012)", "2026-10-12 09:40:22", "张伟(JB0003)", "2026-10-12 10:05:47", "海勃湾区人社局窗口", "办结"]),
        Row(["RS202610130108", "失业保险金申领", b.id, b.name, "", "", "李娜(JB0027)", "2026-10-13 14:02:10",
             "李娜(JB0027)", "2026-10-13 14:30:00", "王强(JB0008)", "2026-10-14 09:12:33", "乌达区人社局窗口", "办结"]),
        Row(["RS202610150017", "社会保障卡挂失", c.id, c.name, "", "", "周敏(JB0031)", "2026-10-15 08:45:51",
             "周敏(JB0031)", "2026-10-15 08:47:02", "", "", "乌海市人社局政务服务大厅", "办结"]),
        Row(["RS202610160044", "养老保险待遇资格认证", d.id, d.name, agent.id, agent.name, "李娜(JB0027)",
             "2026-10-16 10:20:14", "李娜(JB0027)", "2026-10-16 10:26:39", "王强(JB0008)", "2026-10-16 11:02:08",
             "乌达区人社局窗口", "办结"], note="agent (代办人) is her son"),
    ]
    write_text(s, encoding="gb18030", delimiter="\t")


def f_cl_missing_required() -> None:
    s = add(Spec(
        "cl_disability_missing_issue_date_column.xlsx", "cl_disability",
        "A 残联 roster without the required 发证日期 column: refused, naming the column.",
        ["missing_required_column", "refusal"],
        [Col(h, m) for h, m in CL_STD if m != "issue_date"],
        content="xlsx",
        refusal={"code": "missing_required_column", "message_contains": ["发证日期"]},
        note="Rows are listed for reference only.",
    ))
    for p, t, g, a, ph in [
        (P("邢建华", "男", "1966-05-05", "150303", 61), "肢体", "二级", "xiangyuan", "13947310087"),
        (P("纪秀兰", "女", "1959-08-18", "150303", 28), "视力", "一级", "limin", "15148302216"),
        (P("车志刚", "男", "1983-02-11", "150303", 133), "智力", "三级", "minle", "18204731168"),
    ]:
        r = cl_row(p, t, g, None, hk(a), A[a], ph, outcome="refused")
        del r.cells[6]
        s.rows.append(r)
    write_xlsx(s, sheet="Sheet1")


def f_sbk_html() -> None:
    cols = [("姓名", "name"), ("证件号码", "id_number"), ("性别", "sex"), ("社会保障卡号", "card_number"),
            ("卡片版本", "generation"), ("发卡日期", "issue_date"), ("卡状态", "card_status")]
    s = add(Spec(
        "sbk_card_html_table_saved_as_xls.xls", "sbk_card",
        "A web system's \"导出Excel\": an HTML page (UTF-8, with the Excel XML namespace and a "
        "<table>) saved with a .xls name. Excel opens it with a warning; the importer refuses it "
        "and says how to fix it.",
        ["html_as_xls", "misleading_extension", "refusal"],
        [Col(h, m) for h, m in cols],
        content="html", encoding="utf-8", misleading_extension=True,
        refusal={"code": "unsupported_format", "message_contains": ["HTML", ".xlsx"]},
        note="Judgement: parsing HTML tables is out of scope; the message must say the file is "
        "an HTML page and to open it in Excel/WPS and save it as .xlsx. Rows are listed for "
        "reference only.",
    ))
    people = [
        (P("任海燕", "女", "1987-03-08", "150302", 206), "N38812047", "第三代", "2024-05-11", "正常"),
        (P("邓志明", "男", "1972-12-25", "150303", 79), "M20093315", "第二代", "2015-08-20", "正常"),
        (P("胡桂琴", "女", "1951-06-06", "150304", 162), "L08827461", "第二代", "2013-04-02", "临时挂失"),
    ]
    head = "".join(f"<td>{c.header}</td>" for c in s.columns)
    body = []
    for i, (p, no, gen, d, st) in enumerate(people):
        cells = [p.name, p.id, p.sex, no, gen, d, st]
        s.rows.append(Row(cells, outcome="refused", number=i + 2))
        body.append("<tr>" + "".join(
            f'<td style="mso-number-format:\'\\@\'">{v}</td>' if j == 1 else f"<td>{v}</td>"
            for j, v in enumerate(cells)) + "</tr>")
    html = (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel" xmlns="http://www.w3.org/TR/REC-html40">\r\n'
        '<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n'
        "<!--[if gte mso 9]><xml><x:ExcelWorkbook><x:ExcelWorksheets><x:ExcelWorksheet>"
        "<x:Name>社保卡信息</x:Name><x:WorksheetOptions><x:DisplayGridlines/></x:WorksheetOptions>"
        "</x:ExcelWorksheet></x:ExcelWorksheets></x:ExcelWorkbook></xml><![endif]-->\r\n"
        "</head>\r\n<body>\r\n<table border=\"1\">\r\n<tr>" + head + "</tr>\r\n"
        + "\r\n".join(body) + "\r\n</table>\r\n</body>\r\n</html>\r\n"
    )
    s.header_row = 1
    s.sheet = None
    _out(s).write_bytes(html.encode("utf-8"))


# -- read back what was written -------------------------------------------------------------------


def _plain(v: Any) -> Any:
    v = v.value if isinstance(v, X) else v
    if v == "":
        return None
    if isinstance(v, dt.datetime):
        return v.date() if v.time() == dt.time(0) else v
    return v


def verify(s: Spec) -> None:
    """Read the file back with a second reader and compare header and rows with the spec."""
    path = _out(s)
    data = path.read_bytes()
    width = len(s.columns)
    if s.content == "xlsx":
        assert data[:4] == b"PK\x03\x04", s.file
        wb = openpyxl.load_workbook(io.BytesIO(data))
        ws = wb[s.sheet]
        got = [ws.cell(row=s.header_row, column=c).value for c in range(1, width + 1)]
        assert got == [c.header for c in s.columns], (s.file, got)
        for i, c in enumerate(s.columns, 1):
            assert ws.column_dimensions[get_column_letter(i)].hidden == c.hidden, (s.file, c.header)
        for r in s.rows:
            got = [_plain(ws.cell(row=r.number, column=c).value) for c in range(1, width + 1)]
            want = [_plain(v) for v in r.cells] + [None] * (width - len(r.cells))
            for g, w in zip(got, want, strict=True):
                if isinstance(w, int) and not isinstance(w, bool) and w > 10**15:
                    continue  # exact 18-digit cells: checked in the XML below
                assert g == w or (isinstance(w, float) and g == w), (s.file, r.number, g, w)
            assert bool(ws.row_dimensions[r.number].hidden) == r.hidden, (s.file, r.number)
        exact = [v.value for r in s.rows for v in r.cells if isinstance(v, X) and v.exact]
        xml = b"".join(zipfile.ZipFile(io.BytesIO(data)).read(n) for n in
                       zipfile.ZipFile(io.BytesIO(data)).namelist() if n.startswith("xl/worksheets/"))
        for v in exact:
            assert f"<v>{v}</v>".encode() in xml, (s.file, v)
    elif s.content == "xls":
        assert data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", s.file
        import fastexcel

        sheet = fastexcel.read_excel(data).load_sheet(s.sheet, header_row=None).to_polars()
        header = [str(v) for v in sheet.row(s.header_row - 1)]
        assert header == [c.header for c in s.columns], (s.file, header)
        assert sheet.height == s.rows[-1].number, (s.file, sheet.height)
    elif s.content == "csv":
        enc = {"utf-16le-bom": "utf-16", "utf-8-bom": "utf-8-sig"}.get(s.encoding, s.encoding)
        text = data.decode(enc)
        assert not text.startswith("\ufeff"), s.file
        import csv

        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=s.delimiter))
        assert records[s.header_row - 1] == [c.header for c in s.columns], (s.file, records[s.header_row - 1])
        for r in s.rows:
            want = ["" if v is None else str(v) for v in r.cells]
            want += [""] * (width - len(want))
            assert records[r.number - 1] == want, (s.file, r.number, records[r.number - 1], want)
        assert len(records) == s.rows[-1].number, s.file
    else:
        assert data.startswith(b"<html"), s.file


# -- the manifest and the README -----------------------------------------------------------------

# Every case of issue 11, with the phrase of the issue it stands for.
CASES = {
    "header_linebreak": "a header cell with a line break (身份证\\n号码)",
    "instructions_first_sheet": "a workbook whose first sheet is 填表说明",
    "several_sheets": "several sheets (填表说明, data, 数据字典)",
    "title_line": "a CSV with a title line",
    "tab_separated": "a tab-separated .csv / .txt",
    "utf16_unicode_text": "UTF-16 \"Unicode 文本\"",
    "xls_97": ".xls (Excel 97-2003, BIFF8)",
    "unit_in_header": "columns the registry does not know as written (月保障金额(元)); a unit in brackets (元)/(人)",
    "unmapped_column": "columns no registry column claims (序号)",
    "amount_formats": "amounts written ¥1,234.50, 1234.5元, ７８０",
    "fullwidth_digits": "full-width digits (７８０, １人)",
    "codes_outside_list": "codes outside the code list (城市低保, 农村低保, 贰级, Ⅳ级)",
    "dictionary_label": "the dictionary's own label (肢体残疾) where the column's table has another",
    "numeric_year_month": "a year-month typed as a number (1965.03)",
    "ambiguous_numeric_date": "a date typed as the number 1990.10 (stored 1990.1)",
    "date_in_future": "death dates in the future",
    "date_before_birth": "death dates before birth",
    "two_death_reports": "two death reports with different dates for one person",
    "unreadable_id_shared_phone_flat": "an unreadable ID where a father and his child share a phone and a flat",
    "scientific_notation_id": "a non-ID string (1.50304E+17) in the ID column",
    "not_an_id": "text that is no ID at all (#N/A, 待补录)",
    "float_id": "an ID rounded by Excel to 15 significant digits",
    "legacy_15_digit": "a 15-digit legacy ID",
    "exact_18_digit_integer_cell": "an exact 18-digit integer cell",
    "two_columns_one_item": "two columns mapping to one item",
    "hidden_column": "one of them hidden",
    "autofilter_hidden_rows": "rows hidden by a filter",
    "hidden_row_conflict": "a hidden row that conflicts with a visible one",
    "summary_row": "合计 rows",
    "signature_row": "制表人 / 审核人 / 填表日期 rows",
    "blank_row": "blank rows",
    "header_not_first_row": "header row not on the first row",
    "header_row_within_20": "header row anywhere in the first 20 rows",
    "header_beyond_20": "header row below row 20 (refused)",
    "merged_title": "merged title cells above the header",
    "header_spaces": "header cells with spaces",
    "fullwidth_brackets": "header cells / values with full-width brackets",
    "halfwidth_brackets": "half-width brackets where the registry writes full-width ones",
    "et_as_xlsx": ".et saved as xlsx",
    "utf8_bom": "CSV in UTF-8 with BOM",
    "utf8": "CSV in UTF-8 without BOM",
    "gb18030": "CSV in GB18030",
    "comma_separated": "comma separated",
    "misleading_extension": "a misleading extension",
    "quoted_line_break": "a quoted line break inside a CSV field",
    "middle_dot_names": "names with middle-dot variants (· • ・ ．)",
    "date_formats": "dates as 年月日, 2023.5.12",
    "chinese_numeral_dates": "dates as 二〇二三年五月",
    "excel_serial": "a date as a bare Excel serial number",
    "count_with_unit": "counts with 人/户 (and 个月)",
    "header_synonyms": "synonyms: 身份证件号码, 公民身份号码, 死亡时间, 户主姓名, 保障人口, 月保障金额",
    "missing_required_column": "a required column missing (refused)",
    "html_as_xls": "an HTML page saved as .xls (refused)",
    "refusal": "whole-file refusals",
}

REASON_CODES = {
    "quarantine": {
        "blank_row": "the row is empty",
        "summary_row": "a 合计 / 总计 row under the table, not a person",
        "signature_row": "a 制表人 / 审核人 / 填表日期 / 填表人 row, not a person",
        "unmapped_code": "a required code column (救助类型) holds a label that names no code",
        "date_in_future": "the row's required date (死亡日期) is after the import date",
        "date_before_birth": "the row's required death date is before the person's birth (出生日期, else the ID)",
        "hidden_row_conflict": "a row hidden by a filter has the key of a visible row with other values: the superseded record",
    },
    "row_warning": {
        "hidden_row": "the row is hidden (filter or by hand); imported all the same",
        "unmapped_code": "a code column's label names no code: the text is kept, the code is null",
        "month_precision": "a day-precision date given as a month only: first of the month",
        "ambiguous_numeric_date": "a year-month typed as a number whose decimals cannot tell January from October (1990.1): no value",
        "conflicting_duplicate": "another row of the file has the same key and a different value in this column",
        "date_in_future": "a date that is not required is in the future: no value",
        "float_precision_lost": "an ID a spreadsheet held as a float (1.50304E+17, …000): digits lost, no ID",
        "not_an_id": "text in an ID column that is no number at all (#N/A, 待补录): no ID",
    },
    "file_warning": {
        "unmapped_column": "a column no registry column claims; kept as an extra column",
        "duplicate_column": "a hidden column maps to the same registry column as a visible one; the visible one is used",
    },
    "refusal": {
        "missing_required_column": "a required column of the source is missing",
        "no_header_found": "no header row within the first 20 rows of any sheet",
        "duplicate_column": "two visible columns map to one registry column and disagree",
        "unsupported_format": "the bytes are no workbook or delimited text the importer reads (an HTML page)",
    },
}

SCHEMA = {
    "files[]": "one entry per file, in the order of README.md",
    "file": "the file name in tests/files/",
    "source": "the registry source (minsheng.catalogue.registry) the file belongs to",
    "department": "the source's department (registry)",
    "tests": "what the file tests (English)",
    "cases": "the issue-11 cases it covers (keys of `cases` at the top)",
    "content": "what the bytes are: xlsx | xls | csv (any delimited text) | html",
    "encoding": "text files: utf-8, utf-8-bom, gb18030, utf-16le-bom; null for workbooks",
    "delimiter / line_terminator": "text files: ',' or '\\t'; CRLF or LF",
    "misleading_extension": "true when the extension does not say what the bytes are",
    "sheet": "the sheet that holds the data (workbooks); null for text",
    "header_row": "1-based row of the header as Excel/WPS shows it (text: the record number)",
    "columns[]": "letter (as Excel shows it), header (exactly as written), maps_to (registry column name or null), hidden, used (false: a duplicate not used), note",
    "warnings[]": "file-level warnings: code, column (letter), header",
    "refusal": "null, or {code, message_contains (substrings the refusal message must contain), columns}",
    "rows[]": "every row after the header as Excel/WPS shows it: sheet, row (1-based, as shown; a CSV record with a quoted line break is one row), outcome (accepted | quarantined | refused: the file is refused, listed for reference), hidden, values (accepted rows: registry column name → expected normalised value), warnings [{code, column, header}], reason {code, column, header} (quarantined rows; column null for whole-row reasons), true_id (the person's real ID where the ID cell is unusable), must_not_link_to (IDs linkage must not give this row), note",
    "values": "ID: canonical 18 characters; name: half-width, no spaces, middle dot U+00B7; sex '1'/'2'; date 'YYYY-MM-DD'; year_month 'YYYY-MM-01'; datetime 'YYYY-MM-DDTHH:MM:SS'; decimal: string with 2 decimals; integer: number; code: the dictionary / column code (text where the column has no code list); text: as written, ends stripped; null: no value. Every mapped, used column of an accepted row is listed; values may also name a registry column the file has no column for, when the expected outcome derives it (the file's note says why).",
    "archive[]": "expectations on the archive beyond 'each accepted value reaches its dictionary item': item, id_number, value, conflict, with_files (other corpus files imported together; absent: this file alone), note",
    "note": "why the expected outcome is what it is, where it is a judgement call",
}


def _derived_cases(s: Spec) -> None:
    """Tags that follow from the layout, so that the by-case index is complete."""
    extra = []
    if s.header_row > 1:
        extra.append("header_not_first_row")
    if any(code == "unmapped_column" for code, _r, _n in s.file_warnings):
        extra.append("unmapped_column")
    for code in ("summary_row", "signature_row", "blank_row"):
        if any(r.reason and r.reason[0] == code for r in s.rows):
            extra.append(code)
    s.cases += [t for t in extra if t not in s.cases]


def _manifest_entry(s: Spec) -> dict[str, Any]:
    src = registry_source(s.source)
    names = {c.name for c in src.columns}
    cols = []
    for i, c in enumerate(s.columns):
        assert c.maps_to is None or c.maps_to in names, (s.file, c.maps_to)
        e: dict[str, Any] = {"letter": get_column_letter(i + 1), "header": c.header, "maps_to": c.maps_to}
        if c.hidden:
            e["hidden"] = True
        if not c.used:
            e["used"] = False
        if c.note:
            e["note"] = c.note
        cols.append(e)
    rows = []
    for r in s.rows:
        e = {"sheet": s.sheet, "row": r.number, "outcome": r.outcome}
        assert r.number > s.header_row, (s.file, r.number)
        if r.hidden:
            e["hidden"] = True
        for k in r.expect:
            assert k in names, (s.file, k)
        if r.outcome == "accepted":
            assert len(r.cells) == len(s.columns), (s.file, r.number, len(r.cells))
            values = {}
            for c, raw in zip(s.columns, r.cells, strict=True):
                if c.maps_to is None or not c.used:
                    continue
                values[c.maps_to] = r.expect[c.maps_to] if c.maps_to in r.expect else oracle(s, c.maps_to, raw)
            for k, v in r.expect.items():
                values.setdefault(k, v)
            e["values"] = values
        if r.warn:
            e["warnings"] = [_ref(s, code, ref) for code, ref in r.warn]
        if r.reason:
            e["reason"] = _ref(s, *r.reason)
        if r.true_id:
            e["true_id"] = r.true_id
        if r.must_not_link_to:
            e["must_not_link_to"] = r.must_not_link_to
        if r.note:
            e["note"] = r.note
        rows.append(e)
    numbers = [r["row"] for r in rows]
    assert numbers == sorted(set(numbers)), (s.file, numbers)
    for code in [w[0] for r in s.rows for w in r.warn]:
        assert code in REASON_CODES["row_warning"], (s.file, code)
    for r in s.rows:
        if r.reason:
            assert r.reason[0] in REASON_CODES["quarantine"], (s.file, r.reason)
        assert (r.outcome == "quarantined") == (r.reason is not None), (s.file, r.number)
        assert (r.outcome == "refused") == (s.refusal is not None), (s.file, r.number)
    if s.refusal:
        assert s.refusal["code"] in REASON_CODES["refusal"]
    for tag in s.cases:
        assert tag in CASES, (s.file, tag)
    return {
        "file": s.file,
        "source": s.source,
        "department": src.department,
        "tests": s.tests,
        "cases": s.cases,
        "content": s.content,
        "encoding": s.encoding,
        "delimiter": s.delimiter,
        "line_terminator": s.line_terminator,
        "misleading_extension": s.misleading_extension,
        "sheet": s.sheet,
        "header_row": s.header_row,
        "columns": cols,
        "warnings": [
            {**_ref(s, code, ref), **({"note": note} if note else {})}
            for code, ref, note in s.file_warnings
        ],
        "refusal": s.refusal,
        "rows": rows,
        "archive": s.archive,
        "note": s.note,
    }


def _ref(s: Spec, code: str, ref: str | None) -> dict[str, Any]:
    if ref is None:
        return {"code": code, "column": None, "header": None}
    letter, header = s.letter(ref)
    return {"code": code, "column": letter, "header": header}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_manifest() -> None:
    """JSON with one line per column, row, warning and archive entry, for review and diffs."""
    out = ["{", f'  "schema": {json.dumps(SCHEMA, ensure_ascii=False, indent=4)},'.replace("\n}", "\n  }"),
           f'  "reason_codes": {json.dumps(REASON_CODES, ensure_ascii=False, indent=4)},'.replace("\n}", "\n  }"),
           f'  "cases": {json.dumps(CASES, ensure_ascii=False, indent=4)},'.replace("\n}", "\n  }"),
           '  "files": [']
    entries = [_manifest_entry(s) for s in SPECS]
    for n, e in enumerate(entries):
        out.append("    {")
        keys = list(e)
        for k in keys:
            comma = "," if k != keys[-1] else ""
            v = e[k]
            if k in ("columns", "rows", "warnings", "archive") and v:
                out.append(f'      "{k}": [')
                out += [f"        {_json(x)}" + ("," if i < len(v) - 1 else "") for i, x in enumerate(v)]
                out.append(f"      ]{comma}")
            else:
                out.append(f'      "{k}": {_json(v)}{comma}')
        out.append("    }" + ("," if n < len(entries) - 1 else ""))
    out += ["  ]", "}"]
    text = "\n".join(out) + "\n"
    json.loads(text)  # well-formed
    (HERE / "MANIFEST.json").write_text(text, encoding="utf-8")


def write_readme() -> None:
    used = {t for s in SPECS for t in s.cases}
    missing = set(CASES) - used
    assert not missing, f"cases without a file: {missing}"
    lines = [
        "# Office-file corpus (issue 11)",
        "",
        "Hand-made files as department clerks send them, each about one or a few defects. Made by",
        "`make_corpus.py` (openpyxl, xlwt and plain bytes; not by `minsheng.synth`); the expected",
        "outcome of every row, cell, warning and refusal is in `MANIFEST.json` (its `schema` key",
        "explains the fields). Regenerate with `.venv/bin/python tests/files/make_corpus.py`: the",
        "files are byte-stable (a second run changes nothing).",
        "",
        "The people are invented; their IDs carry a valid GB 11643 check character (Wuhai area codes",
        "150302 海勃湾区, 150303 海南区, 150304 乌达区, and a few migrants' home counties); streets,",
        "towns and communities are Wuhai's real ones. The corpus is not imported by any test yet.",
        "",
        "## Files",
        "",
        "| file | source | content | what it tests |",
        "|---|---|---|---|",
    ]
    for s in SPECS:
        what = s.tests.replace("|", "\\|").replace("\n", " ")
        kind = s.content + (f", {s.encoding}" if s.encoding else "")
        if s.refusal:
            what += f" **Refused: `{s.refusal['code']}`.**"
        lines.append(f"| `{s.file}` | {s.source} | {kind} | {what} |")
    lines += ["", "## By case", ""]
    for tag, text in CASES.items():
        files = ", ".join(f"`{s.file}`" for s in SPECS if tag in s.cases)
        lines.append(f"- {text}: {files}")
    lines += [
        "",
        "## Reason codes",
        "",
        "Invented for this corpus (the importer does not emit most of them yet); defined under",
        "`reason_codes` in the manifest. ID problems keep `minsheng.lib.idcard`'s codes",
        "(`float_precision_lost`).",
        "",
    ]
    for group, codes in REASON_CODES.items():
        lines.append(f"- {group}: " + ", ".join(f"`{c}`" for c in codes))
    lines += [
        "",
        "## Limits of the imitation",
        "",
        "- openpyxl writes text cells as inline strings; Excel and WPS write a shared-string table.",
        "  Readers handle both, but a reader bug specific to shared strings would not show here.",
        "- The `.et` file is an xlsx with openpyxl's document properties (it does not claim to be",
        "  written by WPS); WPS's own binary `.et` format is not in the corpus.",
        "- The 18-digit integer cells are written into the sheet XML after openpyxl (which would",
        "  write a float); no other cell is edited by hand.",
        "- `make_corpus.py` reads the registry and the dictionary's code lists (the spec) to fill in",
        "  the expected value of canonical cells; every other expected value is written in it by hand.",
        "- A newborn's ID (born 2026-05-09) and death dates in 2026 assume the tests run after",
        "  2026-11; the future dates (2052, 2062) stay in the future for decades.",
        "",
    ]
    (HERE / "README.md").write_text("\n".join(lines), encoding="utf-8")


MAKERS = [
    f_cl_linebreak, f_cl_instructions, f_cl_hidden_column, f_cl_codes, f_cl_et, f_cl_header16,
    f_cl_exact, f_cl_missing_required,
    f_mz_codes, f_mz_amounts, f_mz_synonyms, f_mz_autofilter, f_mz_father_child, f_mz_scientific,
    f_mz_title_trailer, f_mz_utf16_txt, f_mz_utf16_csv, f_mz_quoted_header, f_mz_two_ids,
    f_ga_future, f_ga_before_birth, f_ga_two_reports, f_wj_conflict, f_ga_synonyms, f_ga_hukou_tab,
    f_va_xls, f_va_numeric_month, f_va_renamed, f_va_no_header,
    f_grid_dots, f_pension_tsv_xls, f_sbk_txt, f_sbk_html, f_scjg_brackets, f_insurance_spaces,
    f_employment_units, f_edu_numerals, f_log_txt,
]


def main() -> None:
    for make in MAKERS:
        make()
    names = [s.file for s in SPECS]
    assert len(names) == len(set(names))
    on_disk = {p.name for p in HERE.iterdir()} - {"make_corpus.py", "MANIFEST.json", "README.md", "__pycache__"}
    assert on_disk <= set(names), f"stale files in tests/files: {on_disk - set(names)}"
    for s in SPECS:
        verify(s)
        _derived_cases(s)
    write_manifest()
    write_readme()
    print(f"{len(SPECS)} files, {sum(len(s.rows) for s in SPECS)} rows")


if __name__ == "__main__":
    main()
