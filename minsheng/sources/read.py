"""Stage 1 of an import, read: a file's bytes → a sheet of rows.

`read_file(path)` decides the format by the bytes, never by the file's name: a ZIP container
is an xlsx workbook (WPS's .et saved as xlsx too), an OLE2 compound file an Excel 97-2003
.xls workbook, an HTML page (a web system's "导出Excel") or other binary is refused
(`unsupported_format`), and anything else is delimited text: UTF-16 (Excel's "Unicode 文本",
with or without a BOM), UTF-8 with or without a BOM, else GB18030, separated by commas or
tabs (decided by counting both outside quotes in the first lines).

The header is the row, among the first `HEADER_SCAN_ROWS` rows (records) of any sheet, with
the most cells that name a column some source declares (`registry.normalise_header`); it
needs two at least, and on a tie the earlier sheet and row wins. A file without one is
refused (`no_header_found`). The result is a `Sheet`: the header cells as written (outer
whitespace stripped) and one row per record or sheet row after the header, with the row's
text, its field cells `c0…` and, for rows that cannot be data (blank, malformed, the header
repeated), a status and a detail. It knows no source: mapping the header to a source's
columns is the next stage (`mapping.py`). No database and no Django here.

Row numbers. `row` is 1 for the first row after the header, and blank and malformed rows
count. In a CSV a row is a record: a quoted field may hold line breaks (Excel writes Alt+Enter
text quoted, with a bare LF inside), and such a record is one row, as Excel shows it. In a
workbook every sheet row after the header is a row. `Sheet.header_row` is the header's
1-based row as the spreadsheet shows it (for a CSV, its record number), so the row as the
spreadsheet shows it is always `header_row + row` (`sheet_row`).

Limits. A file is refused (`SourceLimitError`, code `too_large`) before it is loaded when it is
bigger than any department export can be: more than `MAX_ROWS` data rows, more than
`MAX_COLUMNS` columns, a cell of more than `MAX_CELL_CHARS` characters, or, for a workbook (a
ZIP of XML parts, which a few hundred KB can inflate to gigabytes), more than
`MAX_UNCOMPRESSED_BYTES` once inflated, a part inflating more than `MAX_COMPRESSION_RATIO`
times, or a sheet whose range (rows × columns, which the workbook reader allocates in full)
exceeds `MAX_SHEET_CELLS`. `check_workbook` inflates the parts itself, in pieces of 1 MB that
are thrown away, before fastexcel sees the file: the sizes the ZIP declares are not trusted
(fastexcel reads past them), a sheet's declared `<dimension>` refuses it at once, and its
rows, columns and references are bounded as the XML streams by; a part that fails its
checksum, is encrypted or uses an unknown compression is refused as damaged. It costs about
a third of loading the sheet (≈ 25 ms per MB of sheet XML); the department workbooks are a
few MB. An .xls (BIFF8) cannot be bigger than 65,536 rows × 256 columns; its grid is
checked once loaded, and its compound-file structure before (`check_compound_file`: the
reader allocates the stream sizes the directory declares, and a damaged 5 KB file
declaring gigabytes took all the server's memory).

Errors. Every refusal is a `SourceFileError` with a `code` (`unsupported_format`,
`no_header_found`, `empty_file`, `too_large`), an English `template` (the msgid the pages
translate, marked with `gettext_noop`) and its `params`; neither names a server path.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import operator
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from operator import methodcaller
from pathlib import Path

import fastexcel
import numpy as np
import polars as pl

from minsheng.catalogue import registry

__all__ = [
    "HEADER_SCAN_ROWS",
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MAX_COMPRESSION_RATIO",
    "MAX_ROWS",
    "MAX_SHEET_CELLS",
    "MAX_UNCOMPRESSED_BYTES",
    "Sheet",
    "SourceFileError",
    "SourceLimitError",
    "check_csv",
    "check_workbook",
    "column_letter",
    "decode",
    "detect_encoding",
    "gettext_noop",
    "read_file",
    "read_headers",
    "sheet_row",
]

HEADER_SCAN_ROWS = 20  # the header is within the first rows (title and 填表说明 lines above)
_MIN_HEADER_HITS = 2  # known header cells a row needs to be taken for the header

# -- limits (see the module docstring) ------------------------------------------------------
# The largest export of the synthetic city at scale 1.0 (all of 乌海市) is rs_insurance with
# 1.29 M rows of 15 columns; the workbooks (graduates, disability, veterans) have about 13 k
# rows (a few MB of XML), and a worksheet cannot hold more than 1,048,576 rows anyway.
MAX_ROWS = 3_000_000  # data rows after the header
MAX_COLUMNS = 256  # sources declare at most 19 columns; unknown ones are kept, within reason
MAX_CELL_CHARS = 4_000  # characters of one cell (addresses and free text stay far below)
MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024  # a workbook's parts together, inflated
MAX_COMPRESSION_RATIO = 100  # inflated / compressed size of one part (real sheets: ~5-20)
# A worksheet's range, rows × columns: the workbook reader holds it densely (tens of bytes a
# cell, empty or not), so one cell far out (A1 and XFD20000) costs as much as a full sheet.
# A full-height sheet (1,048,576 rows) of 26 columns fits.
MAX_SHEET_CELLS = 30_000_000
_RATIO_FLOOR = 1024 * 1024  # parts smaller than this inflated are not held to the ratio
_PIECE = 1024 * 1024  # inflate a part in pieces of at most this many bytes


def gettext_noop(message: str) -> str:
    """Marks a message for translation: `makemessages` finds it by this name, and whoever
    shows a `SourceFileError` translates its `template` (this module has no Django)."""
    return message


class SourceFileError(ValueError):
    """The file as a whole cannot be read as its source (e.g. a required column is missing).

    `template` and `params`: the message as an English %-format string (the msgid the
    pages translate) and its figures; `str(error)` is the two combined. `code`: what kind
    of refusal it is, for programs (`unsupported_format`, `no_header_found`, `empty_file`,
    `too_large`, and the mapping stage's own), or None."""

    def __init__(
        self,
        message: str,
        *,
        template: str | None = None,
        params: dict | None = None,
        code: str | None = None,
    ):
        super().__init__(message)
        self.template = template or message
        self.params = dict(params or {})
        self.code = code


class SourceLimitError(SourceFileError):
    """The file is beyond one of the limits above; `params` holds `limit` and `actual`."""

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template % params, template=template, params=params, code="too_large")


def _refusal(template: str, code: str, **params: object) -> SourceFileError:
    return SourceFileError(template % params, template=template, params=params, code=code)


def _n(value: int) -> str:
    return f"{value:,}"


UNSUPPORTED_HTML = gettext_noop(
    "the file %(file)s is a web page (HTML), not a workbook: open it in Excel or WPS, save it "
    "as an Excel workbook (.xlsx) and upload that file"
)
UNSUPPORTED_BINARY = gettext_noop(
    "the file %(file)s is neither an Excel workbook (.xlsx, .xls) nor text separated by commas "
    "or tabs: open it in Excel or WPS, save it as an Excel workbook (.xlsx) and upload that file"
)
UNSUPPORTED_ENCODING = gettext_noop(
    "the file %(file)s is text in an encoding that is not UTF-8, GB18030 or UTF-16: save it "
    "from Excel or WPS as an Excel workbook (.xlsx) or as CSV and upload it again"
)
NO_HEADER_TEXT = gettext_noop(
    "no header row found in %(file)s: rows 1–%(rows)s were searched for a row with at least "
    "%(hits)s known column headers (such as 姓名, 身份证号码)"
)
NO_HEADER_WORKBOOK = gettext_noop(
    "no header row found in %(file)s: rows 1–%(rows)s of the sheets %(sheets)s were searched "
    "for a row with at least %(hits)s known column headers (such as 姓名, 身份证号码)"
)
EMPTY_FILE = gettext_noop("the file %(file)s is empty")


def _empty_numeric() -> pl.DataFrame:
    return pl.DataFrame(schema={"row": pl.Int64, "col": pl.Int64, "text": pl.String})


@dataclass
class Sheet:
    """What stage 1 read. The row as the spreadsheet shows it is `header_row + row`
    (`sheet_row(sheet, row)`); the column of cell `c<i>` is `column_letter(i)`."""

    path: Path
    sha256: str
    size_bytes: int
    encoding: str  # "utf-8", "utf-8-sig", "gb18030", "utf-16" (text), "xlsx" or "xls"
    header: list[str]  # the header cells as written, outer whitespace stripped
    # row, _line, _status, _detail, _hidden, [_last], c0…c(k-1). `row`: 1 = the first row
    # (record) after the header. `_hidden`: the sheet row is hidden (xlsx; else False).
    # `_last` (workbooks): the index of the row's last non-empty cell, which the mapping
    # stage needs to tell a cut-off row. A workbook's `c<i>` is sheet column i (A = 0).
    rows: pl.DataFrame
    format: str = "csv"  # "csv" (any delimited text), "xlsx" or "xls"
    delimiter: str | None = None  # "," or "\t"; None for workbooks
    header_row: int = 1  # 1-based sheet row of the header (CSV: its record number)
    # xlsx: one row per numeric cell below the header whose number format is no date or
    # time: `row` (as in `rows`), `col` (0-based), `text` (the stored <v>, or the value with
    # the decimals its format shows: 1990.1 in a 0.00 cell is "1990.10"). Empty otherwise.
    numeric: pl.DataFrame = field(default_factory=_empty_numeric)
    hidden_columns: frozenset[int] = frozenset()  # 0-based columns hidden in the sheet (xlsx)
    sheet_name: str | None = None  # the sheet that holds the data (workbooks)
    other_sheets: tuple[str, ...] = ()  # the workbook's other sheets, in workbook order


def sheet_row(sheet: Sheet, row: int) -> int:
    """The row as the spreadsheet shows it (1-based; a CSV's record number) of `row`."""
    return sheet.header_row + row


def column_letter(i: int) -> str:
    """The column's letters as Excel shows them: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    i += 1
    while i > 0:
        i, rem = divmod(i - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _kind(data: bytes) -> str:
    """ "xlsx" (a ZIP container), "xls" (an OLE2 compound file) or "text"."""
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == _OLE2:
        return "xls"
    return "text"


def read_file(path: str | Path) -> Sheet:
    """The file's header and rows (see the module docstring)."""
    path = Path(path)
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    size = len(data)
    kind = _kind(data)
    if kind != "text":
        # _read_workbook checks an xlsx's limits before loading it.
        return _read_workbook(path, data, kind, digest, size)
    _check_text(path, data)
    check_csv(data)
    text, encoding = _decode_text(path, data)
    del data
    return _read_text(path, text, encoding, digest, size)


def read_headers(path: str | Path) -> list[str]:
    """The header row of a file's data sheet (or CSV), as `read_file` finds it, for source
    detection. Of a delimited file only the first 256 KB are read."""
    path = Path(path)
    with path.open("rb") as f:
        start = f.read(256 * 1024)
        more = bool(f.read(1))
    if _kind(start) != "text":  # a workbook is small: read as read_file reads it
        return read_file(path).header
    if more:  # cut after the last line break, so that no character is cut in two
        cut = start.rfind(b"\n")
        if cut > 0:
            start = start[: cut + 1]
    _check_text(path, start)
    text, _ = _decode_text(path, start)
    lines = text.split("\n")
    if more:
        lines.pop()  # the last line may be cut short
    delimiter = _sniff_delimiter(lines)
    header, _, _, _ = _find_text_header(path, lines, delimiter)
    return header


# -- encodings ------------------------------------------------------------------------------


def _utf16_order(data: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" for UTF-16 text without a BOM, told by its NUL bytes: the
    ASCII characters of a table (digits, tabs, commas, line breaks) have a NUL high byte, on
    the odd bytes (little-endian) or the even ones (big-endian)."""
    sample = data[:8192]
    sample = sample[: len(sample) // 2 * 2]
    units = len(sample) // 2
    if units < 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= max(units // 8, 1) and even * 4 <= odd:
        return "utf-16-le"
    if even >= max(units // 8, 1) and odd * 4 <= even:
        return "utf-16-be"
    return None


def _utf16(data: bytes) -> str | None:
    """The codec of UTF-16 text ("utf-16" with a BOM, "utf-16-le"/"utf-16-be" told by its
    NUL bytes), None for any other bytes. Looks at the first 8 KB only."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    if b"\x00" in data[:8192]:
        return _utf16_order(data)
    return None


def detect_encoding(data: bytes) -> str:
    """ "utf-16" (with a BOM, or NUL bytes at every other byte), "utf-8-sig", "utf-8", else
    "gb18030".

    Strict UTF-8 is tried before GB18030 because GB18030 decodes almost any byte string (it
    is a superset of ASCII with multi-byte sequences everywhere), whereas Chinese text in
    GB18030 is very unlikely to be valid UTF-8.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if _utf16(data) is not None:
        return "utf-16"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def decode(data: bytes, errors: str = "strict") -> tuple[str, str]:
    """The text and its encoding (as `detect_encoding` names it); a BOM is not kept.
    Raises UnicodeDecodeError for bytes that are not GB18030 either."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors), "utf-8-sig"
    if (codec := _utf16(data)) is not None:
        data = data[: len(data) // 2 * 2]
        return data.decode(codec, errors).removeprefix("\ufeff"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("gb18030", errors), "gb18030"


_HTML_START = re.compile(r"\A[\s\ufeff]*<")
_HTML_TAGS = ("<html", "<table", "<!doctype html", "<head", "<body")


def _check_text(path: Path, data: bytes) -> None:
    """Refuse, from its first bytes, a file that is no workbook and no delimited text: an
    HTML page, or binary bytes (NUL bytes in what is not UTF-16). Nothing is decoded but
    the first 4 KB."""
    utf16 = _utf16(data)
    if utf16 is None and b"\x00" in data:
        raise _refusal(UNSUPPORTED_BINARY, "unsupported_format", file=path.name)
    head, _ = decode(data[:4096], errors="ignore")
    if _HTML_START.match(head):
        lowered = head[:2048].lower()
        if any(tag in lowered for tag in _HTML_TAGS):
            raise _refusal(UNSUPPORTED_HTML, "unsupported_format", file=path.name)
        if lowered.lstrip("\ufeff \t\r\n").startswith("<?xml"):
            raise _refusal(UNSUPPORTED_BINARY, "unsupported_format", file=path.name)


def _decode_text(path: Path, data: bytes) -> tuple[str, str]:
    try:
        return decode(data)
    except UnicodeDecodeError:
        raise _refusal(UNSUPPORTED_ENCODING, "unsupported_format", file=path.name) from None


# -- CSV ------------------------------------------------------------------------------------

TOO_MANY_ROWS = gettext_noop("the file has %(actual)s data rows; at most %(limit)s are accepted")
TOO_MANY_COLUMNS = gettext_noop("the file has %(actual)s columns; at most %(limit)s are accepted")
CELL_TOO_LONG = gettext_noop(
    "row %(row)s has a cell of %(actual)s characters; at most %(limit)s are accepted"
)

_MAX_RECORD_LINES = 100  # lines of one record (a quoted field with line breaks) at most


def check_csv(data: bytes, *, max_rows: int = MAX_ROWS) -> None:
    """Refuse a delimited file of more than `max_rows` data rows, counted on the bytes
    before anything is decoded or split: lines ending with LF (one byte in UTF-8 and
    GB18030, one 16-bit unit in UTF-16). A record with a quoted line break spans several
    lines, so this counts a few rows too many at worst."""
    codec = _utf16(data)
    if codec is not None:
        big = codec == "utf-16-be" or (codec == "utf-16" and data[:2] == b"\xfe\xff")
        body = data[: len(data) // 2 * 2]
        units = np.frombuffer(body, dtype=">u2" if big else "<u2")
        breaks = int(np.count_nonzero(units == 10))
        ends_with_break = bool(len(units)) and int(units[-1]) == 10
        lines = breaks + (1 if len(units) and not ends_with_break else 0)
    else:
        lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    if lines - 1 > max_rows:
        raise SourceLimitError(TOO_MANY_ROWS, actual=_n(lines - 1), limit=_n(max_rows))


def _split_csv_line(line: str, delimiter: str = ",") -> list[str]:
    return next(csv.reader([line], delimiter=delimiter), [])


def _parse_record(lines: list[str], i: int, delimiter: str) -> tuple[list[str], int]:
    """The fields of the record that starts on line `i`, and the lines it spans.

    A line without a quote is one record. Otherwise the csv module reads on while a quoted
    field holds line breaks, up to `_MAX_RECORD_LINES` lines: a record that runs longer, or
    that only ends at the end of the file (a stray opening quote), is the line alone."""
    line = lines[i].removesuffix("\r")
    if '"' not in line:
        return line.split(delimiter), 1
    end = min(i + _MAX_RECORD_LINES + 1, len(lines))
    reader = csv.reader(
        (lines[j].removesuffix("\r") + "\n" for j in range(i, end)), delimiter=delimiter
    )
    try:
        fields, n = next(reader), reader.line_num
    except (csv.Error, StopIteration):
        fields, n = [], _MAX_RECORD_LINES + 1
    if n > 1 and (n > _MAX_RECORD_LINES or '"' not in lines[i + n - 1]):
        n = _MAX_RECORD_LINES + 1  # not closed by a quote: not a record of several lines
    if n > _MAX_RECORD_LINES or (n == 1 and fields and fields[-1].endswith("\n")):
        try:
            return _split_csv_line(line, delimiter), 1
        except csv.Error:  # a field beyond the csv module's own limit (128 K characters)
            return line.split(delimiter), 1
    return fields, n


_QUOTED = re.compile(r'"[^"]*"')
_BLANK = "\ufeff \t\r\n,"  # what an empty line may hold


def _sniff_delimiter(lines: list[str], scan: int = 50) -> str:
    """Tab or comma: whichever the first lines hold more of outside quotes."""
    head = _QUOTED.sub("", "\n".join(lines[:scan]))
    return "\t" if head.count("\t") > head.count(",") else ","


def _longest_field(line: str, delimiter: str) -> int:
    if '"' not in line:
        return max(len(f) for f in line.split(delimiter))
    try:
        return max((len(f) for f in _split_csv_line(line, delimiter)), default=0)
    except csv.Error:  # a field beyond the csv module's own limit (128 K characters)
        return len(line)


def _check_csv_shape(
    header: list[str],
    lines: pl.DataFrame,
    delimiter: str = ",",
    *,
    max_columns: int = MAX_COLUMNS,
    max_cell: int = MAX_CELL_CHARS,
) -> None:
    """Refuse a header of more than `max_columns` columns or a field of more than `max_cell`
    characters; only records longer than `max_cell` can hold one, so only they are split."""
    if len(header) > max_columns:
        raise SourceLimitError(TOO_MANY_COLUMNS, actual=_n(len(header)), limit=_n(max_columns))
    longest = max((len(h) for h in header), default=0)
    if longest > max_cell:
        raise SourceLimitError(CELL_TOO_LONG, row=0, actual=_n(longest), limit=_n(max_cell))
    long_lines = lines.filter(pl.col("_line").str.len_chars() > max_cell)
    for row, line in long_lines.select("row", "_line").iter_rows():
        longest = _longest_field(line, delimiter)
        if longest > max_cell:
            raise SourceLimitError(CELL_TOO_LONG, row=row, actual=_n(longest), limit=_n(max_cell))


def _known(cell: object, known: frozenset[str]) -> bool:
    """`registry.known_header`, with the set of known headers computed once."""
    return cell is not None and registry.normalise_header(str(cell))[0] in known


def _header_hits(cells, known: frozenset[str]) -> int:
    return sum(1 for c in cells if c is not None and str(c).strip() and _known(c, known))


def _find_text_header(
    path: Path, lines: list[str], delimiter: str
) -> tuple[list[str], str, int, int]:
    """The header of delimited text among its first records: its cells (outer whitespace
    stripped), its text, its 1-based record number and the 0-based line after it."""
    known = registry.all_headers()
    best: tuple[int, list[str], str, int, int] | None = None
    i = 0
    record = 0
    widest = 0
    while i < len(lines) and record < HEADER_SCAN_ROWS:
        fields, n = _parse_record(lines, i, delimiter)
        record += 1
        widest = max(widest, len(fields))
        hits = _header_hits(fields, known)
        if hits >= _MIN_HEADER_HITS and (best is None or hits > best[0]):
            text = "\n".join(line.removesuffix("\r") for line in lines[i : i + n])
            best = (hits, fields, text, record, i + n)
        i += n
    if best is None:
        if not any(line.strip(_BLANK) for line in lines):
            raise _refusal(EMPTY_FILE, "empty_file", file=path.name)
        if widest > MAX_COLUMNS:  # a header of unknown names, too wide to be an export
            raise SourceLimitError(TOO_MANY_COLUMNS, actual=_n(widest), limit=_n(MAX_COLUMNS))
        raise _refusal(
            NO_HEADER_TEXT,
            "no_header_found",
            file=path.name,
            rows=HEADER_SCAN_ROWS,
            hits=_MIN_HEADER_HITS,
        )
    _, fields, text, record, after = best
    return [f.strip() for f in fields], text, record, after


def _read_text(path: Path, text: str, encoding: str, digest: str, size: int) -> Sheet:
    lines = text.split("\n")
    del text
    if lines and lines[-1] == "":
        lines.pop()  # the final line terminator
    delimiter = _sniff_delimiter(lines)
    header, header_text, header_row, start = _find_text_header(path, lines, delimiter)
    rows = _csv_rows(lines, start, header, header_text, delimiter)
    return Sheet(
        path,
        digest,
        size,
        encoding,
        header,
        rows,
        format="csv",
        delimiter=delimiter,
        header_row=header_row,
    )


def _csv_rows(
    lines: list[str], start: int, header: list[str], header_text: str, delimiter: str
) -> pl.DataFrame:
    """One row per record from line `start` on: `row`, `_line`, `_status`, `_detail`,
    `_hidden`, `c0…`.

    Records without a quote are lines, split by Polars (vectorised); the few lines with a
    quote go through the csv module, so that quoted delimiters do not shift fields and a
    quoted field with line breaks makes one record of several lines. Every record after the
    header is a row: counting them is what keeps row numbers equal to the department's.
    """
    k = len(header)
    fields = [f"c{i}" for i in range(k)]
    frame = (
        pl.DataFrame({"_line": lines}, schema={"_line": pl.String})
        .slice(start)
        .with_columns(pl.col("_line").str.strip_suffix("\r"))
    )
    quoted = frame["_line"].str.contains('"', literal=True)
    parsed: dict[int, list[str]] = {}
    if quoted.any():
        joined: dict[int, str] = {}
        swallowed: list[int] = []
        free = 0
        for i in quoted.arg_true().to_list():
            if i < free:
                continue  # a line of the record before
            record, n = _parse_record(lines, start + i, delimiter)
            parsed[i] = record
            if n > 1:
                swallowed.extend(range(i + 1, i + n))
                block = lines[start + i : start + i + n]
                joined[i] = "\n".join(line.removesuffix("\r") for line in block)
            free = i + n
        frame = frame.with_columns(_i=pl.int_range(pl.len(), dtype=pl.Int64))
        if joined:
            at = pl.Series(list(joined), dtype=pl.Int64)
            line_col = frame["_line"].clone()
            line_col.scatter(at, pl.Series(list(joined.values()), dtype=pl.String))
            frame = frame.with_columns(_line=line_col).filter(~pl.col("_i").is_in(swallowed))
        quoted = frame["_i"].is_in(list(parsed))
    frame = frame.with_columns(row=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
    _check_csv_shape(header, frame, delimiter)
    plain = frame.filter(~quoted) if parsed else frame
    plain = plain.with_columns(
        _n=pl.col("_line").str.count_matches(delimiter, literal=True).cast(pl.Int64) + 1
    )
    plain = plain.with_columns(
        pl.when(pl.col("_n") == k)
        .then(pl.col("_line"))
        .otherwise(None)
        .str.split_exact(delimiter, k - 1)
        .struct.rename_fields(fields)
        .alias("_f")
    ).unnest("_f")
    parts = [plain]
    if parsed:
        q = frame.filter(quoted)
        records = [parsed[i] for i in q["_i"].to_list()]
        cols = {f: [r[i] if len(r) == k else None for r in records] for i, f in enumerate(fields)}
        parts.append(
            q.with_columns(
                _n=pl.Series([len(r) for r in records], dtype=pl.Int64),
                **{f: pl.Series(v, dtype=pl.String) for f, v in cols.items()},
            )
        )
    rows = pl.concat(parts, how="diagonal_relaxed").sort("row") if parsed else plain
    blank = pl.col("_line").str.contains(r"^[\s,]*$" if delimiter == "," else r"^\s*$")
    repeated = pl.col("_line").str.strip_chars() == header_text.strip()
    rows = rows.with_columns(
        _status=pl.when(blank)
        .then(pl.lit("blank_row"))
        .when(pl.col("_n") != k)
        .then(pl.lit("malformed_row"))
        .when(repeated)
        .then(pl.lit("malformed_row"))
        .otherwise(None),
        _detail=pl.when(blank)
        .then(None)
        .when(pl.col("_n") != k)
        .then(pl.format("{} fields where the header has {}", pl.col("_n"), pl.lit(k)))
        .when(repeated)
        .then(pl.lit("the header line repeated"))
        .otherwise(None),
        _hidden=pl.lit(False),
    )
    return rows.select("row", "_line", "_status", "_detail", "_hidden", *fields)


# -- XLSX -----------------------------------------------------------------------------------

TOO_LARGE = gettext_noop(
    "the workbook inflates to at least %(actual)s MB; at most %(limit)s MB are accepted"
)
TOO_COMPRESSED = gettext_noop(
    "the workbook part %(part)s inflates to at least %(actual)s times its compressed size; "
    "at most %(limit)s times is accepted"
)
SHEET_TOO_MANY_ROWS = gettext_noop(
    "the workbook's sheet %(part)s has at least %(actual)s rows; at most %(limit)s are accepted"
)
SHEET_TOO_MANY_COLUMNS = gettext_noop(
    "the workbook's sheet %(part)s has at least %(actual)s columns; at most %(limit)s are accepted"
)
SHEET_TOO_MANY_CELLS = gettext_noop(
    "the workbook's sheet %(part)s spans at least %(actual)s cells (rows × columns); at most "
    "%(limit)s are accepted"
)
NOT_A_WORKBOOK = gettext_noop("the file is not a readable workbook (%(error)s)")

_WORKSHEET = re.compile(r"xl/worksheets/[^/]+\.xml")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"([A-Z]*)(\d*)(?::([A-Z]+)(\d+))?\"")
_PREFIX = re.compile(rb"<(\w+:)?worksheet[\s>]")
_LONG_COLUMNS = re.compile(rb' r="([A-Z]{3,})\d')
_TWO_LETTER_COLUMNS = re.compile(rb' r="([A-Z]{2})\d')
_SEVEN_DIGIT_ROWS = re.compile(rb' r="[A-Z]*(\d{7,})"')
_SIX_DIGIT_ROWS = re.compile(rb' r="[A-Z]*(\d{6})"')
# Reference shapes: every capital letter becomes A and every digit 0, so that byte searches
# tell whether a piece holds a column past Z (r="AA…) or a row number of six or seven digits
# (…000000"): only such pieces are searched with a pattern, and then only for those.
_SHAPES = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", b"A" * 26 + b"0" * 10)
_SHORT_COLUMNS = 26  # references of one letter: column Z at most
_SHORT_ROWS = 99_999  # references of five digits at most
_MAX_TAG = 1024 * 1024  # no XML tag of a worksheet is this long


class _Tags:
    """The tags the scan counts, with the worksheet's namespace prefix (`<x:row …`)."""

    def __init__(self, prefix: bytes) -> None:
        self.row = b"<" + prefix + b"row"
        self.row_with_ref = b"<" + prefix + b'row r="'
        self.row_end = b"</" + prefix + b"row>"
        self.cell = b"<" + prefix + b"c "
        self.bare_cell = b"<" + prefix + b"c>"
        self.cell_with_ref = b"<" + prefix + b'c r="'


class _SheetScan:
    """Bounds of a worksheet's range from its XML as it streams, cheap enough for every
    piece. Each piece is cut before its last `<`, so no tag is split. Row tags are counted;
    references (r="B12") are bounded by their shape and searched only when they have two
    letters or six digits or more; cells without a reference (the reader places each after
    the previous one) are counted row by row. The reader's range is then at most
    `rows_bound` × `columns_bound` cells."""

    def __init__(self, part: str, max_rows: int, max_columns: int, max_cells: int) -> None:
        self.part = part
        self.max_rows, self.max_columns, self.max_cells = max_rows, max_columns, max_cells
        self.row_tags = 0
        self.unreferenced_rows = 0  # row tags without r (placed after the previous row)
        self.max_row = 0  # the highest row reference found by search
        self.max_column = 0  # the widest column reference found by search
        self.short_refs = False  # references of one letter and five digits at most seen
        self.widest_unreferenced = 0  # the most cells without r in one row
        self.open_row_cells = 0  # cells without r of the row still open at the unit's end
        self.head = b""
        self.carry = b""
        self.tags = _Tags(b"")

    def feed(self, piece: bytes, *, last: bool = False) -> None:
        if len(self.head) < 64 * 1024:
            self.head += piece[: 64 * 1024]
            _check_dimension(self.head, self.part, self.max_rows, self.max_columns)
            prefix = _PREFIX.search(self.head)
            self.tags = _Tags(prefix.group(1) or b"" if prefix else b"")
        unit = self.carry + piece
        cut = len(unit) if last else unit.rfind(b"<")
        if cut < 0:
            cut = len(unit)  # text only: no tag to split
        unit, self.carry = unit[:cut], unit[cut:]
        if len(self.carry) > _MAX_TAG:
            raise _damaged(f"{self.part} holds an XML tag of more than {_MAX_TAG} bytes")
        self._scan(unit)
        self._check()

    def _scan(self, unit: bytes) -> None:
        t = self.tags
        rows = unit.count(t.row)  # and one <rowBreaks> at most: a row too many
        self.row_tags += rows
        self.unreferenced_rows += max(rows - unit.count(t.row_with_ref), 0)
        shapes = unit.translate(_SHAPES)
        if b' r="AAA' in shapes:
            for letters in _LONG_COLUMNS.findall(unit):
                self.max_column = max(self.max_column, _col_index(letters) + 1)
        if b' r="AA' in shapes:
            # of one length, the greatest bytes are the widest column
            widest = max(_TWO_LETTER_COLUMNS.findall(unit), default=b"A")
            self.max_column = max(self.max_column, _col_index(widest) + 1)
        if b'0000000"' in shapes:
            for digits in _SEVEN_DIGIT_ROWS.findall(unit):
                self.max_row = max(self.max_row, int(digits))
        if b'000000"' in shapes:
            self.max_row = max(self.max_row, int(max(_SIX_DIGIT_ROWS.findall(unit), default=b"0")))
        if b' r="' in unit:
            self.short_refs = True
        if unit.count(t.cell) + unit.count(t.bare_cell) > unit.count(t.cell_with_ref):
            self._count_unreferenced(unit)
        elif t.row_end in unit:
            self.open_row_cells = 0

    def _count_unreferenced(self, unit: bytes) -> None:
        t = self.tags
        rows = unit.split(t.row_end)
        # cells without r in each row, counted by C-level maps (a sheet may have millions)
        cells = list(
            map(
                operator.sub,
                map(
                    operator.add,
                    map(methodcaller("count", t.cell), rows),
                    map(methodcaller("count", t.bare_cell), rows),
                ),
                map(methodcaller("count", t.cell_with_ref), rows),
            )
        )
        cells[0] += self.open_row_cells
        self.open_row_cells = cells[-1]
        self.widest_unreferenced = max(self.widest_unreferenced, max(cells))

    @property
    def rows(self) -> int:
        """The rows found: the highest reference searched for, or the row tags counted."""
        return max(self.max_row + self.unreferenced_rows, self.row_tags)

    @property
    def columns(self) -> int:
        return self.max_column + self.widest_unreferenced

    def _check(self) -> None:
        rows, columns = self.rows, self.columns
        if rows > self.max_rows:
            raise SourceLimitError(
                SHEET_TOO_MANY_ROWS, part=self.part, actual=_n(rows), limit=_n(self.max_rows)
            )
        if columns > self.max_columns:
            raise SourceLimitError(
                SHEET_TOO_MANY_COLUMNS,
                part=self.part,
                actual=_n(columns),
                limit=_n(self.max_columns),
            )
        if self.short_refs:  # what the references not searched for may reach
            rows = max(rows, _SHORT_ROWS + self.unreferenced_rows)
            columns = max(columns, _SHORT_COLUMNS + self.widest_unreferenced)
        if rows * columns > self.max_cells:
            raise SourceLimitError(
                SHEET_TOO_MANY_CELLS,
                part=self.part,
                actual=_n(rows * columns),
                limit=_n(self.max_cells),
            )


def _damaged(error: object) -> SourceFileError:
    return SourceFileError(
        NOT_A_WORKBOOK % {"error": error},
        template=NOT_A_WORKBOOK,
        params={"error": str(error)},
        code="unsupported_format",
    )


def _raw_pieces(f, info: zipfile.ZipInfo):
    """(inflated piece, compressed bytes used so far) of one ZIP member, pieces of at most
    `_PIECE` bytes, read from its compressed data as stored: the sizes the ZIP declares are
    not relied upon."""
    f.seek(info.header_offset)
    local = f.read(30)
    if len(local) < 30 or local[:4] != b"PK\x03\x04":
        raise _damaged(f"bad local header of {info.filename}")
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    f.seek(info.header_offset + 30 + name_len + extra_len)
    left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        while left > 0:
            chunk = f.read(min(_PIECE, left))
            if not chunk:
                raise _damaged(f"{info.filename} is cut short")
            left -= len(chunk)
            yield chunk, info.compress_size - left
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise _damaged(f"{info.filename} uses compression method {info.compress_type}")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        while left > 0 and not inflater.eof:
            # small reads, so that a part's ratio is known after its first piece
            chunk = f.read(min(8 * 1024, left))
            if not chunk:
                raise _damaged(f"{info.filename} is cut short")
            left -= len(chunk)
            piece = inflater.decompress(chunk, _PIECE)
            while True:
                if piece:
                    used = info.compress_size - left - len(inflater.unconsumed_tail)
                    yield piece, used
                if not inflater.unconsumed_tail:
                    break
                piece = inflater.decompress(inflater.unconsumed_tail, _PIECE)
    except zlib.error as err:
        raise _damaged(f"{info.filename}: {err}") from None


def check_workbook(
    path: str | Path,
    *,
    max_rows: int = MAX_ROWS,
    max_columns: int = MAX_COLUMNS,
    max_bytes: int = MAX_UNCOMPRESSED_BYTES,
    max_ratio: float = MAX_COMPRESSION_RATIO,
    max_cells: int = MAX_SHEET_CELLS,
) -> None:
    """Refuse a workbook that would inflate beyond the limits (see the module docstring).

    The sizes the ZIP declares refuse a plain bomb at once. Then every part is inflated
    here, a piece at a time, and thrown away: the total and each part's ratio are counted
    as they grow (a ZIP may understate its sizes), a worksheet's declared dimension is read
    from its first piece and its rows are counted as they stream, and the first limit
    passed stops the check. Nothing larger than one piece is held in memory."""
    # title lines and the header above the data; a worksheet holds 1,048,576 rows at most
    sheet_rows = min(max_rows + HEADER_SCAN_ROWS + 1, 1_048_576)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, NotImplementedError) as err:
        raise _damaged(err) from None
    with zf, Path(path).open("rb") as f:
        members = [i for i in zf.infolist() if not i.is_dir()]
        for info in members:
            # encrypted, patched or strongly encrypted parts, or an unknown compression:
            # no workbook an office program saves, and nothing the readers can open
            if info.flag_bits & 0x61 or info.compress_type not in (
                zipfile.ZIP_STORED,
                zipfile.ZIP_DEFLATED,
            ):
                raise _damaged(
                    f"{info.filename}: flags {info.flag_bits:#x}, method {info.compress_type}"
                )
        _check_inflated(sum(i.file_size for i in members), max_bytes)
        for info in members:
            _check_ratio(info.filename, info.file_size, info.compress_size, max_ratio)
        total = 0
        for info in members:
            part = info.filename
            scan = (
                _SheetScan(part, sheet_rows, max_columns, max_cells)
                if _WORKSHEET.fullmatch(part)
                else None
            )
            inflated = 0
            crc = 0
            for piece, used in _raw_pieces(f, info):
                inflated += len(piece)
                crc = zlib.crc32(piece, crc)
                total += len(piece)
                _check_inflated(total, max_bytes)
                _check_ratio(info.filename, inflated, used, max_ratio)
                if scan is not None:
                    scan.feed(piece)
            if scan is not None:
                scan.feed(b"", last=True)
            if inflated != info.file_size:
                raise _damaged(
                    f"{part} inflates to {inflated} bytes, not the {info.file_size} declared"
                )
            if crc != info.CRC:  # the reader would fail on it later, or read damaged data
                raise _damaged(f"{part} fails its checksum")


# OLE2 compound files (.xls): the header's sector size and the directory entries' types
# and stream sizes. The workbook reader allocates what a directory entry declares: a
# damaged 5 KB file declaring a 20 GB stream took all the server's memory.
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CFB_FREE = 0xFFFFFFFA  # sector numbers from here on are markers (end of chain, free …)


def check_compound_file(data: bytes) -> None:
    """Refuse an .xls whose compound-file structure is damaged: a sector size other than
    512 or 4,096 bytes, a sector chain that leaves the file or loops, a directory entry of
    no known type, or a stream declared larger than the whole file."""
    try:
        _check_compound_file(data)
    except (struct.error, IndexError) as err:
        raise _damaged(f"compound file: {err}") from None


def _check_compound_file(data: bytes) -> None:
    if not data.startswith(CFB_MAGIC) or len(data) < 512:
        raise _damaged("no compound file header")
    major, _order, shift = struct.unpack_from("<HHH", data, 0x1A)
    if (major, shift) not in ((3, 9), (4, 12)):
        raise _damaged(f"compound file version {major}, sector shift {shift}")
    size = 1 << shift
    sectors = (len(data) - size) // size + (1 if (len(data) - size) % size else 0)
    n_fat, dir_start = struct.unpack_from("<II", data, 0x2C)
    difat_start, n_difat = struct.unpack_from("<II", data, 0x44)

    def sector(i: int) -> bytes:
        if i >= sectors:
            raise _damaged(f"sector {i} beyond the file's {sectors}")
        return data[size + i * size : size + (i + 1) * size].ljust(size, b"\0")

    fat_sectors = [i for i in struct.unpack_from("<109I", data, 0x4C) if i < CFB_FREE]
    i, seen = difat_start, 0
    while i < CFB_FREE and seen <= n_difat:
        entries = struct.unpack(f"<{size // 4}I", sector(i))
        fat_sectors += [j for j in entries[:-1] if j < CFB_FREE]
        i, seen = entries[-1], seen + 1
    if len(fat_sectors) < min(n_fat, 1) or len(fat_sectors) > sectors:
        raise _damaged("compound file allocation table")
    fat = [n for j in fat_sectors for n in struct.unpack(f"<{size // 4}I", sector(j))]
    i, visited = dir_start, set()
    while i < CFB_FREE:
        if i in visited or i >= len(fat):
            raise _damaged("compound file directory chain")
        visited.add(i)
        block = sector(i)
        for at in range(0, size, 128):
            kind = block[at + 0x42]
            stream = struct.unpack_from("<Q", block, at + 0x78)[0]
            if major == 3:
                stream &= 0xFFFFFFFF
            if kind not in (0, 1, 2, 5):
                raise _damaged(f"compound file directory entry of type {kind}")
            if kind in (2, 5) and stream > len(data):
                raise _damaged(f"a stream of {stream} bytes in a file of {len(data)}")
        i = fat[i]


def _check_inflated(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise SourceLimitError(
            TOO_LARGE, actual=_n(-(-size // 2**20)), limit=_n(max_bytes // 2**20)
        )


def _check_ratio(part: str, inflated: int, compressed: int, max_ratio: float) -> None:
    ratio = inflated / max(compressed, 1)
    if inflated > _RATIO_FLOOR and ratio > max_ratio:
        raise SourceLimitError(
            TOO_COMPRESSED, part=part, actual=_n(int(ratio)), limit=_n(int(max_ratio))
        )


def _check_dimension(head: bytes, part: str, max_rows: int, max_columns: int) -> None:
    m = _DIMENSION.search(head)
    if m is None:
        return
    last_col, last_row = (m.group(3), m.group(4)) if m.group(3) else (m.group(1), m.group(2))
    if last_row and int(last_row) > max_rows:
        raise SourceLimitError(
            SHEET_TOO_MANY_ROWS, part=part, actual=_n(int(last_row)), limit=_n(max_rows)
        )
    if last_col and _col_index(last_col) + 1 > max_columns:
        raise SourceLimitError(
            SHEET_TOO_MANY_COLUMNS,
            part=part,
            actual=_n(_col_index(last_col) + 1),
            limit=_n(max_columns),
        )


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


# -- workbooks: finding the data sheet and its header -----------------------------------------

EMPTY_WORKBOOK = gettext_noop("the workbook %(file)s has no cells")
UNREADABLE_WORKBOOK = gettext_noop(
    "the file %(file)s looks like an Excel workbook but cannot be read (it may be damaged or "
    "protected by a password): open it in Excel or WPS, save it as an Excel workbook (.xlsx) "
    "and upload that file"
)


def _unreadable(path: Path, err: BaseException) -> SourceFileError:
    """The refusal of a workbook the reader fails on. Its errors are of many kinds, and a
    panic of its Rust code (a date cell out of range) is no `Exception`: it is refused too,
    but nothing else that is no `Exception` (KeyboardInterrupt, SystemExit)."""
    if not isinstance(err, Exception) and type(err).__name__ != "PanicException":
        raise err
    return _refusal(UNREADABLE_WORKBOOK, "unsupported_format", file=path.name)


def _open_workbook(path: Path, data: bytes) -> fastexcel.ExcelReader:
    """The workbook opened from its bytes (fastexcel would go by the file's extension)."""
    try:
        return fastexcel.read_excel(data)
    except BaseException as err:  # the error's text is not the clerk's
        raise _unreadable(path, err) from None


def _load(reader: fastexcel.ExcelReader, path: Path, idx: int) -> pl.DataFrame:
    """Sheet `idx` as strings, row 0 = sheet row 1 (leading empty rows kept) and column 0 =
    the first column that holds a value."""
    try:
        sheet = reader.load_sheet(idx, header_row=None, dtypes="string", skip_rows=0)
        return sheet.to_polars()
    except BaseException as err:  # a damaged sheet
        raise _unreadable(path, err) from None


def _find_workbook_header(
    path: Path, reader: fastexcel.ExcelReader
) -> tuple[int, str, int, pl.DataFrame]:
    """The sheet (index, name) and 0-based row with the most known headers among the first
    `HEADER_SCAN_ROWS` rows of every sheet (at least `_MIN_HEADER_HITS`; on a tie the earlier
    sheet and row), and the sheet's grid. Each sheet is loaded once, whole (the reader
    parses a whole sheet to give any row of it)."""
    known = registry.all_headers()
    names = reader.sheet_names
    best: tuple[int, int, int, pl.DataFrame] | None = None  # hits, sheet, row, grid
    empty = True
    for idx in range(len(names)):
        grid = _load(reader, path, idx)
        if grid.height and grid.width:
            empty = False
        for i, cells in enumerate(grid.head(HEADER_SCAN_ROWS).iter_rows()):
            hits = _header_hits(cells, known)
            if hits >= _MIN_HEADER_HITS and (best is None or hits > best[0]):
                best = (hits, idx, i, grid)
        del grid
    if best is None:
        if empty:
            raise _refusal(EMPTY_WORKBOOK, "empty_file", file=path.name)
        raise _refusal(
            NO_HEADER_WORKBOOK,
            "no_header_found",
            file=path.name,
            rows=HEADER_SCAN_ROWS,
            sheets=", ".join(f"“{n}”" for n in names),
            hits=_MIN_HEADER_HITS,
        )
    _, idx, row, grid = best
    return idx, names[idx], row, grid


def _check_grid(grid: pl.DataFrame, hdr: int) -> None:
    """The loaded sheet within the limits (the inflation check counted tags; this counts
    cells): data rows, columns and the longest cell."""
    if grid.height - hdr - 1 > MAX_ROWS:
        raise SourceLimitError(TOO_MANY_ROWS, actual=_n(grid.height - hdr - 1), limit=_n(MAX_ROWS))
    if grid.width > MAX_COLUMNS:
        raise SourceLimitError(TOO_MANY_COLUMNS, actual=_n(grid.width), limit=_n(MAX_COLUMNS))
    if grid.height == 0 or grid.width == 0:
        return
    lengths = grid.select(pl.all().str.len_chars().max()).row(0)
    longest = max((n or 0 for n in lengths), default=0)
    if longest > MAX_CELL_CHARS:
        col = lengths.index(longest)
        at = grid.select(pl.col(grid.columns[col]).str.len_chars().arg_max()).item()
        raise SourceLimitError(
            CELL_TOO_LONG, row=at - hdr, actual=_n(longest), limit=_n(MAX_CELL_CHARS)
        )


def _read_workbook(path: Path, data: bytes, kind: str, digest: str, size: int) -> Sheet:
    if kind == "xlsx":
        check_workbook(path)
    else:
        check_compound_file(data)
    reader = _open_workbook(path, data)
    idx, name, hdr, grid = _find_workbook_header(path, reader)
    others = tuple(n for i, n in enumerate(reader.sheet_names) if i != idx)
    del reader
    layout = _sheet_layout(data, name, idx, hdr + 1) if kind == "xlsx" else _SheetLayout()
    del data
    if layout.first_column:  # the sheet's columns before the first with a value, empty
        pad = pl.DataFrame(
            [
                pl.Series(f"_pad{i}", [None] * grid.height, dtype=pl.String)
                for i in range(layout.first_column)
            ]
        )
        grid = pl.concat([pad, grid], how="horizontal")
    grid = grid.rename({c: f"c{i}" for i, c in enumerate(grid.columns)})
    _check_grid(grid, hdr)
    header, rows = _grid_rows(grid, hdr, layout.hidden_rows)
    return Sheet(
        path,
        digest,
        size,
        kind,
        header,
        rows,
        format=kind,
        delimiter=None,
        header_row=hdr + 1,
        numeric=layout.numeric,
        hidden_columns=layout.hidden_columns,
        sheet_name=name,
        other_sheets=others,
    )


def _grid_rows(
    grid: pl.DataFrame, hdr: int, hidden_rows: frozenset[int]
) -> tuple[list[str], pl.DataFrame]:
    """The header (0-based grid row `hdr`) and one row per grid row after it."""
    cells = list(grid.row(hdr))
    while cells and (cells[-1] is None or not str(cells[-1]).strip()):
        cells.pop()
    header = [(c or "").strip() for c in cells]
    k = len(header)
    width = grid.width
    fields = [f"c{i}" for i in range(k)]
    all_cols = [f"c{i}" for i in range(width)]
    data = grid.slice(hdr + 1)
    data = data.with_columns(pl.col(c).str.strip_chars() for c in all_cols)
    data = data.with_columns(
        pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in all_cols
    ).with_columns(row=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
    non_null = [pl.col(c).is_not_null() for c in all_cols]
    last = pl.max_horizontal(
        [pl.when(nn).then(pl.lit(i)).otherwise(pl.lit(-1)) for i, nn in enumerate(non_null)]
    )
    beyond = pl.any_horizontal(non_null[k:]) if width > k else pl.lit(False)
    repeated = pl.all_horizontal(
        [pl.col(f).fill_null("") == h for f, h in zip(fields, header, strict=True)]
    )
    # sheet row = hdr + 1 + row
    hidden = sorted(r - hdr - 1 for r in hidden_rows if r > hdr + 1)
    data = data.with_columns(
        _line=pl.concat_str(
            [pl.col(c).fill_null("") for c in all_cols], separator=","
        ).str.strip_chars_end(","),
        _status=pl.when(last < 0)
        .then(pl.lit("blank_row"))
        .when(beyond | repeated)
        .then(pl.lit("malformed_row"))
        .otherwise(None),
        _detail=pl.when(last < 0)
        .then(None)
        .when(beyond)
        .then(pl.lit("cells beyond the header's last column"))
        .when(repeated)
        .then(pl.lit("the header line repeated"))
        .otherwise(None),
        _hidden=pl.col("row").is_in(hidden) if hidden else pl.lit(False),
        _last=last,
    )
    rows = data.select("row", "_line", "_status", "_detail", "_hidden", "_last", *fields)
    return header, rows


# -- xlsx: the sheet's XML (hidden rows and columns, numeric cells) ----------------------------

# One pass over <sheetData>: a row's start tag, or a cell (its reference when it comes first,
# as Excel, WPS, openpyxl and xlsxwriter write it, its other attributes and its content).
_SHEET_ITEM = re.compile(
    rb"<(?:\w+:)?(?:(row)\b([^>]*)"
    rb'|c\b(?: r="([A-Z]{1,3})(\d+)")?([^>]*?)(?:/|>(.*?)</(?:\w+:)?c))>',
    re.S,
)
_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_ROW_REF = re.compile(rb'\br="(\d+)"')
_HIDDEN = re.compile(rb'\bhidden="(?:1|true)"')
_STYLE = re.compile(rb'\bs="(\d+)"')
_TYPE = re.compile(rb'\bt="(\w*)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_COL = re.compile(rb"<(?:\w+:)?col\b([^>]*)>")
_MIN = re.compile(rb'\bmin="(\d+)"')
_MAX = re.compile(rb'\bmax="(\d+)"')
_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)>")
_REL_TAG = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)>")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_NUM_FMT = re.compile(rb"<(?:\w+:)?numFmt\b([^>]*)>")
_CELL_XFS = re.compile(rb"<(?:\w+:)?cellXfs\b[^>]*>(.*?)</(?:\w+:)?cellXfs>", re.S)
_XF = re.compile(rb"<(?:\w+:)?xf\b([^>]*)>")
# A row or cell whose reference is missing or not its first attribute.
_UNREFERENCED = re.compile(
    rb'<(?:\w+:)?(?:row(?:>|/>|\s(?:(?!\br=")[^>])*>)|c(?:>|/>|\s+(?!r=")[^>]*>))'
)
_FORMULA = rb"(?:<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>))?"
# A cell of column %s (letters) with a value, its reference first.
_VALUED_IN_COLUMN = rb'<(?:\w+:)?c r="%s\d+"[^>]*(?<!/)>\s*' + _FORMULA + rb"<(?:\w+:)?(?:v|is)>"
_HIDDEN_ROW = re.compile(rb'<(?:\w+:)?row\b(?=[^>]*\bhidden="(?:1|true)")[^>]*?\br="(\d+)"')
# A numeric cell (no type, or t="n") with its value: letters, row, attributes, <v> text.
_NUMERIC_CELL = re.compile(
    rb'<(?:\w+:)?c r="([A-Z]{1,3})(\d+)"((?:\s+(?:s|cm|vm|ph)="[^"]*"|\s+t="n")*)\s*>'
    + _FORMULA
    + rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>"
)

# Built-in number formats that show a date or a time (14-22, 45-47; 27-36 and 50-58 are the
# East Asian date formats, 年月日, of a Chinese Excel).
_DATE_FORMATS = frozenset([*range(14, 23), *range(27, 37), 45, 46, 47, *range(50, 59)])
# Built-in number formats with decimals: 0.00, #,##0.00 and the accounting ones.
_DECIMAL_FORMATS = {2: (2, 2), 4: (2, 2), 39: (2, 2), 40: (2, 2), 43: (2, 2), 44: (2, 2)}
_FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|[_*].')
_FORMAT_DECIMALS = re.compile(r"\.([0#?]+)")
_DECIMAL_CONTEXT = Context(prec=400)


@dataclass
class _SheetLayout:
    hidden_columns: frozenset[int] = frozenset()
    hidden_rows: frozenset[int] = frozenset()  # 1-based sheet rows
    first_column: int = 0  # the first column that holds a value (where the grid starts)
    numeric: pl.DataFrame = field(default_factory=_empty_numeric)


def _attrs(tag_attrs: bytes) -> dict[str, str]:
    return {
        k.decode().rsplit(":", 1)[-1]: html.unescape(v.decode("utf-8", "replace"))
        for k, v in _ATTR.findall(tag_attrs)
    }


def _sheet_part(zf: zipfile.ZipFile, name: str, idx: int) -> str | None:
    """The ZIP member of the workbook's sheet `name` (else the `idx`-th sheet)."""
    try:
        book = zf.read("xl/workbook.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    targets = {}
    for tag in _REL_TAG.findall(rels):
        a = _attrs(tag)
        if "Id" in a and "Target" in a:
            target = a["Target"]
            targets[a["Id"]] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    sheets = [_attrs(tag) for tag in _SHEET_TAG.findall(book)]
    chosen = next((s for s in sheets if s.get("name") == name), None)
    if chosen is None and idx < len(sheets):
        chosen = sheets[idx]
    if chosen is None:
        return None
    part = targets.get(chosen.get("id", ""))
    return part if part in zf.namelist() else None


def _format_kind(code: str) -> str | tuple[int, int] | None:
    """ "date" for a date or time format, (fewest, most) decimals for a format that shows
    decimals, None for any other (General, integers, percent, scientific, fractions, text)."""
    section = _FORMAT_LITERALS.sub("", code.split(";", 1)[0])
    if re.search(r"[yYmMdDhHsS]", section):
        return "date"
    if any(ch in section for ch in "%/@?") or re.search(r"[eE][+-]", section):
        return None
    m = _FORMAT_DECIMALS.search(section)
    if m is None:
        return None
    return m.group(1).count("0"), len(m.group(1))


def _style_kinds(zf: zipfile.ZipFile) -> list[str | tuple[int, int] | None]:
    """Per cell style (cellXfs index): what its number format does to a number."""
    try:
        styles = zf.read("xl/styles.xml")
    except KeyError:
        return []
    codes: dict[int, str] = {}
    for tag in _NUM_FMT.findall(styles):
        a = _attrs(tag)
        if a.get("numFmtId", "").isdigit():
            codes[int(a["numFmtId"])] = a.get("formatCode", "")
    xfs = _CELL_XFS.search(styles)
    kinds: list[str | tuple[int, int] | None] = []
    for tag in _XF.findall(xfs.group(1) if xfs else b""):
        a = _attrs(tag)
        fmt = int(a["numFmtId"]) if a.get("numFmtId", "").isdigit() else 0
        if fmt in codes:
            kinds.append(_format_kind(codes[fmt]))
        elif fmt in _DATE_FORMATS:
            kinds.append("date")
        else:
            kinds.append(_DECIMAL_FORMATS.get(fmt))
    return kinds


def _shown(value: bytes, decimals: tuple[int, int]) -> str:
    """A number's stored text with the decimals its format shows (1990.1 with 0.00 →
    "1990.10"; 0.0# shows one decimal at least and two at most); the stored text when it
    is no number."""
    text = value.decode("ascii", "replace").strip()
    fewest, most = decimals
    try:
        number = Decimal(text).quantize(
            Decimal(1).scaleb(-most), rounding=ROUND_HALF_UP, context=_DECIMAL_CONTEXT
        )
    except (InvalidOperation, ValueError):
        return text
    shown = format(number, "f")
    if most > fewest:
        whole, _, frac = shown.partition(".")
        frac = frac.rstrip("0").ljust(fewest, "0")
        shown = f"{whole}.{frac}" if frac else whole
    return shown


def _sheet_layout(data: bytes, name: str, idx: int, header_row: int) -> _SheetLayout:
    """Hidden columns and rows, the first column holding a value, and the numeric cells
    below `header_row` (1-based) of the data sheet, from its XML by regular expressions.

    When every row and cell carries its reference first (as Excel, WPS, openpyxl and
    xlsxwriter write them), a few searches find hidden rows and numeric cells without
    visiting the string cells in Python; otherwise one pass walks every row and cell."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            part = _sheet_part(zf, name, idx)
            if part is None:
                return _SheetLayout()
            xml = zf.read(part)  # check_workbook bounded its size
            kinds = _style_kinds(zf)
    except (zipfile.BadZipFile, NotImplementedError, zlib.error, EOFError) as err:
        # damage the workbook reader went past (a local header that contradicts the
        # directory, say)
        raise _damaged(err) from None
    body_at = xml.find(b"sheetData")
    hidden_columns: set[int] = set()
    for tag in _COL.findall(xml[: body_at if body_at >= 0 else len(xml)]):
        if _HIDDEN.search(tag):
            lo, hi = _MIN.search(tag), _MAX.search(tag)
            if lo:
                first = int(lo.group(1))
                last = int(hi.group(1)) if hi else first
                hidden_columns.update(range(first - 1, min(last, MAX_COLUMNS * 64)))
    first_column = None
    if not _UNREFERENCED.search(xml):
        first_column = next(
            (i for i in range(26) if re.search(_VALUED_IN_COLUMN % column_letter(i).encode(), xml)),
            None,
        )
    if first_column is None:  # references missing, or the first value beyond column Z
        return _walk_sheet(xml, kinds, header_row, frozenset(hidden_columns))
    hidden_rows = frozenset(int(r) for r in _HIDDEN_ROW.findall(xml))
    rows: list[int] = []
    cols: list[int] = []
    texts: list[str] = []
    for letters, digits, attrs, value in _NUMERIC_CELL.findall(xml):
        row = int(digits)
        if row <= header_row or not value.strip():
            continue
        text = _numeric_text(value, attrs, kinds)
        if text is not None:
            rows.append(row - header_row)
            cols.append(_col_index(letters))
            texts.append(text)
    return _SheetLayout(
        frozenset(hidden_columns), hidden_rows, first_column, _numeric_frame(rows, cols, texts)
    )


def _numeric_text(value: bytes, attrs: bytes, kinds: list) -> str | None:
    """A numeric cell's text (see `Sheet.numeric`), None for a date or time."""
    s = _STYLE.search(attrs)
    kind = kinds[int(s.group(1))] if s and int(s.group(1)) < len(kinds) else None
    if kind == "date":
        return None
    if kind:
        return _shown(value, kind)
    return value.decode("ascii", "replace").strip()


def _numeric_frame(rows: list[int], cols: list[int], texts: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"row": rows, "col": cols, "text": texts},
        schema={"row": pl.Int64, "col": pl.Int64, "text": pl.String},
    )


def _walk_sheet(
    xml: bytes, kinds: list, header_row: int, hidden_columns: frozenset[int]
) -> _SheetLayout:
    """`_sheet_layout` for any sheet XML: every row and cell in order, placing those without
    a reference after the previous one."""
    hidden_rows: set[int] = set()
    first_column = None
    rows: list[int] = []
    cols: list[int] = []
    texts: list[str] = []
    row = 0
    col = -1
    for is_row, row_attrs, letters, digits, attrs, content in _SHEET_ITEM.findall(xml):
        if is_row:
            m = _ROW_REF.search(row_attrs)
            row = int(m.group(1)) if m else row + 1
            col = -1
            if _HIDDEN.search(row_attrs):
                hidden_rows.add(row)
            continue
        if letters:
            col, row = _col_index(letters), int(digits)
        elif m := _REF.search(attrs):
            col, row = _col_index(m.group(1)), int(m.group(2))
        else:
            col += 1
        if not content or (b"<v" not in content and b"<is" not in content):
            continue  # no value (a styled empty cell)
        if first_column is None or col < first_column:
            first_column = col
        if row <= header_row:
            continue
        if b't="' in attrs:
            t = _TYPE.search(attrs)
            if t and t.group(1) not in (b"n", b""):
                continue  # shared or inline string, boolean, error, ISO date
        v = _VALUE.search(content)
        if v is None or not v.group(1).strip():
            continue
        text = _numeric_text(v.group(1), attrs, kinds)
        if text is not None:
            rows.append(row - header_row)
            cols.append(col)
            texts.append(text)
    return _SheetLayout(
        hidden_columns,
        frozenset(hidden_rows),
        first_column or 0,
        _numeric_frame(rows, cols, texts),
    )
