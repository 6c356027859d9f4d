"""Stage 1 of an import, read: a file's bytes → a sheet of rows.

`read_file(path)` decides the format by content (a ZIP container is a workbook, anything
else is delimited text in UTF-8 or GB18030), finds the header row and returns a `Sheet`: the
header cells as written and one row per physical line or sheet row after the header, with
the line's text, its field cells `c0…` and, for rows that cannot be data (blank, malformed,
the header repeated), a status and a detail. It knows no source: mapping the header to a
source's columns is the next stage (`mapping.py`). No database and no Django here.

Row numbers follow docs/synthetic-city.md: the first row after the header is 1, blank and
malformed rows count.

Limits. A file is refused (`SourceLimitError`) before it is loaded when it is bigger than
any department export can be: more than `MAX_ROWS` data rows, more than `MAX_COLUMNS`
columns, a cell of more than `MAX_CELL_CHARS` characters, or, for a workbook (a ZIP of XML
parts, which a few hundred KB can inflate to gigabytes), more than `MAX_UNCOMPRESSED_BYTES`
once inflated, a part inflating more than `MAX_COMPRESSION_RATIO` times, or a sheet whose
range (rows × columns, which the workbook reader allocates in full) exceeds
`MAX_SHEET_CELLS`. `check_workbook` inflates the parts itself, in pieces of 1 MB that are
thrown away, before fastexcel sees the file: the sizes the ZIP declares are not trusted
(fastexcel reads past them), a sheet's declared `<dimension>` refuses it at once, and its
rows, columns and references are bounded as the XML streams by. It costs about a third of
loading the sheet (≈ 25 ms per MB of sheet XML); the department workbooks are a few MB.
"""

from __future__ import annotations

import csv
import hashlib
import operator
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from operator import methodcaller
from pathlib import Path

import fastexcel
import polars as pl

from minsheng.catalogue import registry

__all__ = [
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
    "decode",
    "detect_encoding",
    "read_file",
    "read_headers",
]

_HEADER_SCAN_ROWS = 10  # a workbook's header is within its first rows (title lines above)

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
    pages translate) and its figures; `str(error)` is the two combined."""

    def __init__(self, message: str, *, template: str | None = None, params: dict | None = None):
        super().__init__(message)
        self.template = template or message
        self.params = dict(params or {})


class SourceLimitError(SourceFileError):
    """The file is beyond one of the limits above; `params` holds `limit` and `actual`."""

    def __init__(self, template: str, **params: object) -> None:
        super().__init__(template % params, template=template, params=params)


def _n(value: int) -> str:
    return f"{value:,}"


@dataclass
class Sheet:
    path: Path
    sha256: str
    size_bytes: int
    encoding: str  # "utf-8", "utf-8-sig", "gb18030" or "xlsx"
    header: list[str]  # the header cells as found
    # row, _line, _status, _detail, c0…c(k-1); a workbook also has _last (the index of the
    # row's last non-empty cell), which the mapping stage needs to tell a cut-off row
    rows: pl.DataFrame
    # (0-based sheet row, column) → value of numeric cells under an ID header (workbooks)
    numeric: dict[tuple[int, int], float] = field(default_factory=dict)
    header_offset: int = 0  # 0-based sheet row of the header (workbooks)


def _is_workbook(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def read_file(path: str | Path) -> Sheet:
    """The file's header and rows (see the module docstring)."""
    path = Path(path)
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if _is_workbook(data) or path.suffix.lower() == ".xlsx":
        # _xlsx_rows checks the workbook's limits before loading it.
        del data
        header, rows, hdr = _xlsx_rows(path)
        id_headers = {
            h for s in registry.sources() for c in s.columns if c.kind == "id" for h in c.headers
        }
        numeric = _numeric_cells(path, {i for i, h in enumerate(header) if h in id_headers})
        return Sheet(path, digest, path.stat().st_size, "xlsx", header, rows, numeric, hdr)
    check_csv(data)
    text, encoding = decode(data)
    del data
    header, rows = _csv_rows(text.removeprefix("\ufeff"))
    return Sheet(path, digest, path.stat().st_size, encoding, header, rows)


# -- encodings ------------------------------------------------------------------------------


def detect_encoding(data: bytes) -> str:
    """UTF-8 with BOM, UTF-8, else GB18030.

    Strict UTF-8 is tried first because GB18030 decodes almost any byte string (it is a
    superset of ASCII with multi-byte sequences everywhere), whereas Chinese text in
    GB18030 is very unlikely to be valid UTF-8.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def decode(data: bytes) -> tuple[str, str]:
    encoding = detect_encoding(data)
    return data.decode(encoding), encoding


# -- CSV ------------------------------------------------------------------------------------

TOO_MANY_ROWS = gettext_noop("the file has %(actual)s data rows; at most %(limit)s are accepted")
TOO_MANY_COLUMNS = gettext_noop("the file has %(actual)s columns; at most %(limit)s are accepted")
CELL_TOO_LONG = gettext_noop(
    "row %(row)s has a cell of %(actual)s characters; at most %(limit)s are accepted"
)


def check_csv(data: bytes, *, max_rows: int = MAX_ROWS) -> None:
    """Refuse a delimited file of more than `max_rows` data rows, counted on the bytes
    before anything is decoded or split (a line ends with LF in UTF-8 and GB18030 alike)."""
    lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    if lines - 1 > max_rows:
        raise SourceLimitError(TOO_MANY_ROWS, actual=_n(lines - 1), limit=_n(max_rows))


def _split_csv_line(line: str) -> list[str]:
    return next(csv.reader([line]), [])


def _longest_field(line: str) -> int:
    if '"' not in line:
        return max(len(f) for f in line.split(","))
    try:
        return max((len(f) for f in _split_csv_line(line)), default=0)
    except csv.Error:  # a field beyond the csv module's own limit (128 K characters)
        return len(line)


def _check_csv_shape(
    header: list[str],
    lines: pl.DataFrame,
    *,
    max_columns: int = MAX_COLUMNS,
    max_cell: int = MAX_CELL_CHARS,
) -> None:
    """Refuse a header of more than `max_columns` columns or a field of more than `max_cell`
    characters; only lines longer than `max_cell` can hold one, so only they are split."""
    if len(header) > max_columns:
        raise SourceLimitError(TOO_MANY_COLUMNS, actual=_n(len(header)), limit=_n(max_columns))
    longest = max((len(h) for h in header), default=0)
    if longest > max_cell:
        raise SourceLimitError(CELL_TOO_LONG, row=0, actual=_n(longest), limit=_n(max_cell))
    long_lines = lines.filter(pl.col("_line").str.len_chars() > max_cell)
    for row, line in long_lines.select("row", "_line").iter_rows():
        longest = _longest_field(line)
        if longest > max_cell:
            raise SourceLimitError(CELL_TOO_LONG, row=row, actual=_n(longest), limit=_n(max_cell))


def _csv_rows(text: str) -> tuple[list[str], pl.DataFrame]:
    """The header and one row per data line: `row`, `_line`, `_n` (field count), `c0…`.

    Lines without a quote are split by Polars (vectorised); the few with quotes go through
    the csv module so quoted commas do not shift fields. Every physical line after the
    header is a row: counting them is what keeps row numbers equal to the department's.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final line terminator
    if not lines:
        raise SourceFileError("the file is empty (no header line)")
    header = [h.strip() for h in _split_csv_line(lines[0].rstrip("\r"))]
    k = len(header)
    frame = pl.DataFrame({"_line": lines[1:]}, schema={"_line": pl.String}).with_columns(
        row=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
        _line=pl.col("_line").str.strip_suffix("\r"),
    )
    _check_csv_shape(header, frame)
    quoted = frame["_line"].str.contains('"', literal=True)
    plain = frame.filter(~quoted).with_columns(
        _n=pl.col("_line").str.count_matches(",", literal=True).cast(pl.Int64) + 1
    )
    fields = [f"c{i}" for i in range(k)]
    plain = plain.with_columns(
        pl.when(pl.col("_n") == k)
        .then(pl.col("_line"))
        .otherwise(None)
        .str.split_exact(",", k - 1)
        .struct.rename_fields(fields)
        .alias("_f")
    ).unnest("_f")
    parts = [plain]
    if quoted.any():
        q = frame.filter(quoted)
        parsed = [_split_csv_line(line) for line in q["_line"].to_list()]
        cols = {f: [r[i] if len(r) == k else None for r in parsed] for i, f in enumerate(fields)}
        parts.append(
            q.with_columns(
                _n=pl.Series([len(r) for r in parsed], dtype=pl.Int64),
                **{f: pl.Series(v, dtype=pl.String) for f, v in cols.items()},
            )
        )
    rows = pl.concat(parts, how="diagonal_relaxed").sort("row")
    blank = pl.col("_line").str.contains(r"^[\s,]*$")
    repeated = pl.col("_line").str.strip_chars() == lines[0].rstrip("\r").strip()
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
    )
    return header, rows.select("row", "_line", "_status", "_detail", *fields)


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
        NOT_A_WORKBOOK % {"error": error}, template=NOT_A_WORKBOOK, params={"error": str(error)}
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
    sheet_rows = min(max_rows + _HEADER_SCAN_ROWS + 1, 1_048_576)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise _damaged(err) from None
    with zf, Path(path).open("rb") as f:
        members = [i for i in zf.infolist() if not i.is_dir()]
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
            for piece, used in _raw_pieces(f, info):
                inflated += len(piece)
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


_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"((?: [a-z]+="[^"]*")*)>(?:<f>[^<]*</f>)?<v>([^<]*)</v>')


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def _numeric_cells(path: Path, columns: set[int]) -> dict[tuple[int, int], float]:
    """(0-based sheet row, column) → value of the numeric cells of the first sheet in `columns`.

    fastexcel renders every cell as text when a column mixes types, and a float cell that
    held an 18-digit ID then reads "150303199903249984": digits that look real but are not.
    Only the cell type tells them apart, so the sheet XML is scanned for untyped (numeric)
    cells in the ID columns. This is a small, targeted read; values come from fastexcel.
    """
    if not columns:
        return {}
    with zipfile.ZipFile(path) as zf:
        names = sorted(n for n in zf.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
        if not names:
            return {}
        xml = zf.read(min(names, key=lambda n: int(re.findall(r"\d+", n)[0])))
    out: dict[tuple[int, int], float] = {}
    for m in _CELL.finditer(xml):
        attrs = m.group(3)
        if b't="' in attrs and b't="n"' not in attrs:
            continue  # a string, boolean, error or inline string cell
        col = _col_index(m.group(1))
        if col in columns:
            try:
                out[(int(m.group(2)) - 1, col)] = float(m.group(4))
            except ValueError:
                continue
    return out


def _find_header_row(grid: pl.DataFrame, known: set[str]) -> int:
    best, best_hits = 0, -1
    for i in range(min(_HEADER_SCAN_ROWS, grid.height)):
        hits = sum(1 for v in grid.row(i) if v is not None and v.strip() in known)
        if hits > best_hits:
            best, best_hits = i, hits
    return best


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


def _xlsx_rows(path: Path) -> tuple[list[str], pl.DataFrame, int]:
    check_workbook(path)
    reader = fastexcel.read_excel(path)
    grid = reader.load_sheet(0, header_row=None, dtypes="string").to_polars()
    if grid.height == 0:
        raise SourceFileError("the workbook's first sheet is empty")
    hdr = _find_header_row(grid, registry.all_headers())
    _check_grid(grid, hdr)
    cells = list(grid.row(hdr))
    while cells and (cells[-1] is None or not str(cells[-1]).strip()):
        cells.pop()
    header = [(c or "").strip() for c in cells]
    k = len(header)
    width = grid.width
    fields = [f"c{i}" for i in range(k)]
    data = grid.slice(hdr + 1).rename({grid.columns[i]: f"c{i}" for i in range(width)})
    data = data.with_columns(pl.col(f"c{i}").str.strip_chars() for i in range(width))
    data = data.with_columns(
        pl.when(pl.col(f"c{i}") == "").then(None).otherwise(pl.col(f"c{i}")).alias(f"c{i}")
        for i in range(width)
    ).with_columns(row=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
    all_cols = [f"c{i}" for i in range(width)]
    non_null = [pl.col(c).is_not_null() for c in all_cols]
    last = pl.max_horizontal(
        [pl.when(nn).then(pl.lit(i)).otherwise(pl.lit(-1)) for i, nn in enumerate(non_null)]
    )
    beyond = pl.any_horizontal(non_null[k:]) if width > k else pl.lit(False)
    repeated = pl.all_horizontal(
        [pl.col(f).fill_null("") == h for f, h in zip(fields, header, strict=True)]
    )
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
        _last=last,
    )
    return header, data.select("row", "_line", "_status", "_detail", "_last", *fields), hdr


def read_headers(path: str | Path) -> list[str]:
    """The header line of a CSV or workbook, for source detection."""
    path = Path(path)
    with path.open("rb") as f:
        start = f.read(65536)
    if _is_workbook(start) or path.suffix.lower() == ".xlsx":
        return _xlsx_rows(path)[0]
    text, _ = decode(start)
    return [h.strip() for h in _split_csv_line(text.split("\n", 1)[0].rstrip("\r"))]
