"""Stage 1 of an import, read: a file's bytes → a sheet of rows.

`read_file(path)` decides the format by content (a ZIP container is a workbook, anything
else is delimited text in UTF-8 or GB18030), finds the header row and returns a `Sheet`: the
header cells as written and one row per physical line or sheet row after the header, with
the line's text, its field cells `c0…` and, for rows that cannot be data (blank, malformed,
the header repeated), a status and a detail. It knows no source: mapping the header to a
source's columns is the next stage (`mapping.py`). No database and no Django here.

Row numbers follow docs/synthetic-city.md: the first row after the header is 1, blank and
malformed rows count.
"""

from __future__ import annotations

import csv
import hashlib
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import polars as pl

from minsheng.catalogue import registry

__all__ = ["Sheet", "SourceFileError", "decode", "detect_encoding", "read_file", "read_headers"]

_HEADER_SCAN_ROWS = 10  # a workbook's header is within its first rows (title lines above)


class SourceFileError(ValueError):
    """The file as a whole cannot be read as its source (e.g. a required column is missing)."""


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
        del data
        header, rows, hdr = _xlsx_rows(path)
        id_headers = {
            h for s in registry.sources() for c in s.columns if c.kind == "id" for h in c.headers
        }
        numeric = _numeric_cells(path, {i for i, h in enumerate(header) if h in id_headers})
        return Sheet(path, digest, path.stat().st_size, "xlsx", header, rows, numeric, hdr)
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


def _split_csv_line(line: str) -> list[str]:
    return next(csv.reader([line]), [])


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


def _xlsx_rows(path: Path) -> tuple[list[str], pl.DataFrame, int]:
    reader = fastexcel.read_excel(path)
    grid = reader.load_sheet(0, header_row=None, dtypes="string").to_polars()
    if grid.height == 0:
        raise SourceFileError("the workbook's first sheet is empty")
    hdr = _find_header_row(grid, registry.all_headers())
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
