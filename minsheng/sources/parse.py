"""Reading one department export: parse → normalise → validate → quarantine.

`read_source_file(path)` returns a `ParsedFile` whose `accepted` frame holds one row per
usable input row (normalised, typed, with the raw ID kept for linkage) and whose
`quarantined` frame holds one row per rejected input row with its first blocking problem.
Every input row number appears in exactly one of them; that invariant is asserted here,
because an importer that silently drops a row is worse than one that stops.

Row numbers follow docs/synthetic-city.md: the first row after the header is 1, blank and
malformed rows count. No database and no Django here: the batch layer stores the result.
"""

from __future__ import annotations

import csv
import hashlib
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import polars as pl

from minsheng.residents import dictionary

from . import normalise as nz
from .registry import Column, Source, detect_source, sources

__all__ = [
    "ParsedFile",
    "SourceFileError",
    "decode",
    "detect_encoding",
    "read_headers",
    "read_source_file",
]

REASONS = {
    "blank_row": "the row is empty",
    "malformed_row": "the row does not have the file's shape",
    "bad_date": "a required date is missing or not a date",
    "missing_required": "a required value is missing",
    "bad_uscc": "the unified social credit code fails its GB 32100 check",
    "no_identifying_data": "no usable ID number and no name: the row cannot be linked",
}

# ID errors that leave the ID usable: the value is kept, linkage confirms it.
ID_WARNINGS = frozenset({"float_precision_suspect"})

_HEADER_SCAN_ROWS = 10  # a workbook's header is within its first rows (title lines above)


class SourceFileError(ValueError):
    """The file as a whole cannot be read as its source (e.g. a required column is missing)."""


@dataclass
class ParsedFile:
    path: Path
    source: Source
    encoding: str  # "utf-8", "utf-8-sig", "gb18030" or "xlsx"
    sha256: str
    size_bytes: int
    headers: list[str]  # the header line as found
    unknown_columns: list[str]  # headers no declared column claims (kept in accepted)
    accepted: pl.DataFrame
    quarantined: pl.DataFrame
    # Values that did not normalise but did not block the row, e.g. {"phone:unparsed": 3}.
    warnings: dict[str, int] = field(default_factory=dict)

    @property
    def read(self) -> int:
        return self.accepted.height + self.quarantined.height

    @property
    def reasons(self) -> dict[str, int]:
        """Quarantined rows per reason code (the first blocking problem of each row)."""
        if self.quarantined.is_empty():
            return {}
        counts = self.quarantined["reason_code"].value_counts(sort=True)
        return dict(zip(counts["reason_code"].to_list(), counts["count"].to_list(), strict=True))

    def summary(self) -> dict[str, object]:
        return {
            "file": self.path.name,
            "source": self.source.name,
            "encoding": self.encoding,
            "read": self.read,
            "accepted": self.accepted.height,
            "quarantined": self.quarantined.height,
            "reasons": self.reasons,
        }


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


def _xlsx_rows(path: Path, src: Source | None) -> tuple[list[str], pl.DataFrame, int]:
    reader = fastexcel.read_excel(path)
    grid = reader.load_sheet(0, header_row=None, dtypes="string").to_polars()
    if grid.height == 0:
        raise SourceFileError("the workbook's first sheet is empty")
    known = {h for s in ([src] if src else sources()) for c in s.columns for h in c.headers}
    hdr = _find_header_row(grid, known)
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
    if src is not None:
        hmap = src.header_map()
        required_pos = [
            i for i, h in enumerate(header) if h in hmap and src.column(hmap[h]).required
        ]
    else:
        required_pos = []
    # A row that stops before the file's last required column was cut off (a trailer, an
    # export note, a truncated record); a workbook has no field count to tell us otherwise.
    truncated = last < (max(required_pos) if required_pos else 0)
    data = data.with_columns(
        _line=pl.concat_str(
            [pl.col(c).fill_null("") for c in all_cols], separator=","
        ).str.strip_chars_end(","),
        _status=pl.when(last < 0)
        .then(pl.lit("blank_row"))
        .when(beyond | repeated | truncated)
        .then(pl.lit("malformed_row"))
        .otherwise(None),
        _detail=pl.when(last < 0)
        .then(None)
        .when(beyond)
        .then(pl.lit("cells beyond the header's last column"))
        .when(repeated)
        .then(pl.lit("the header line repeated"))
        .when(truncated)
        .then(pl.lit("the row stops before the last required column"))
        .otherwise(None),
    )
    return header, data.select("row", "_line", "_status", "_detail", *fields), hdr


def read_headers(path: str | Path) -> list[str]:
    """The header line of a CSV or workbook, for source detection."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return _xlsx_rows(path, None)[0]
    text, _ = decode(path.read_bytes()[:65536])
    return [h.strip() for h in _split_csv_line(text.split("\n", 1)[0].rstrip("\r"))]


# -- normalisation of one source's columns --------------------------------------------------


@dataclass
class _Built:
    exprs: list[pl.Expr]
    checks: list[tuple[str, str, pl.Expr]]  # (reason, column, failed) in blocking order
    warnings: list[tuple[str, pl.Expr]]


def _code_map(col: Column) -> dict[str, str]:
    if col.codes is not None:
        return dict(col.codes)
    if col.item:
        item = dictionary.item(col.item)
        return {label: value for value, label in item.codes.items()}
    return {}


def _build(src: Source, present: set[str]) -> _Built:
    b = _Built([], [], [])
    for col in src.columns:
        name = col.name
        if name not in present:
            b.exprs.append(pl.lit(None, dtype=pl.String).alias(name))
            continue
        raw = pl.col(f"raw:{name}")
        has_raw = nz.blank_to_null(raw).is_not_null()
        kind = col.kind
        if kind == "id":
            continue  # done per distinct value in _apply_ids
        if kind == "name":
            value = nz.parse_name(raw)
        elif kind == "sex":
            value = nz.parse_sex(raw)
        elif kind in ("date", "year_month"):
            value = nz.parse_date(raw, month_only=kind == "year_month")
        elif kind == "datetime":
            value = nz.parse_datetime(raw)
        elif kind == "phone":
            value = nz.parse_phone(raw)
        elif kind == "integer":
            value = nz.integer_value(raw)
        elif kind == "decimal":
            value = nz.decimal_value(raw)
        elif kind == "uscc":
            value = nz.blank_to_null(nz.to_halfwidth(raw)).str.to_uppercase()
            b.exprs.append(nz.uscc_valid(raw).alias(f"{name}_valid"))
        elif kind == "code":
            value = nz.blank_to_null(nz.to_halfwidth(raw))
            codes = _code_map(col)
            if codes:
                coded = nz.code_value(raw, codes)
                b.exprs.append(coded.alias(f"{name}_code"))
                b.warnings.append((f"{name}:unmapped_code", has_raw & coded.is_null()))
        else:
            value = nz.blank_to_null(raw)
        b.exprs.append(value.alias(name))
        if kind not in ("text", "code", "uscc", "name"):
            b.warnings.append((f"{name}:unparsed", has_raw & value.is_null()))
        if kind == "date":
            month = nz.date_precision(raw) == "month"
            b.warnings.append((f"{name}:month_precision", month.fill_null(False)))
        if col.required:
            if kind in ("date", "datetime", "year_month"):
                b.checks.append(("bad_date", name, value.is_null()))
            elif kind == "uscc":
                b.checks.append(("missing_required", name, value.is_null()))
                b.checks.append(("bad_uscc", name, ~nz.uscc_valid(raw)))
            else:
                b.checks.append(("missing_required", name, value.is_null()))
    return b


def _apply_ids(df: pl.DataFrame, src: Source) -> pl.DataFrame:
    out = []
    for col in src.columns:
        if col.kind != "id":
            continue
        raw_name = f"raw:{col.name}"
        raw = (
            df[raw_name]
            if raw_name in df.columns
            else pl.Series([None] * df.height, dtype=pl.String)
        )
        res = nz.normalise_ids(raw, excel_handled=src.excel_handled)
        if col.name == src.id_column:
            out += [
                res["id"].alias(col.name),
                raw.alias("id_raw"),
                res["error"].alias("id_error"),
            ]
        else:
            out += [res["id"].alias(col.name), res["error"].alias(f"{col.name}_error")]
    return df.with_columns(out)


# -- the whole file -------------------------------------------------------------------------


def _missing_required(path: Path, src: Source, header: list[str]) -> None:
    found = set(header)
    missing = [c for c in src.required_columns if not found.intersection(c.headers)]
    if src.id_column and not found.intersection(src.column(src.id_column).headers):
        missing.append(src.column(src.id_column))
    if missing:
        names = ", ".join(f"{c.name} ({'/'.join(c.headers)})" for c in missing)
        raise SourceFileError(
            f"{path.name}: required column {names} missing for source {src.name}; "
            f"headers found: {', '.join(header) or '(none)'}"
        )


def read_source_file(path: str | Path, source: Source | str | None = None) -> ParsedFile:
    """Parse, normalise, validate and split one export into accepted and quarantined rows."""
    from .registry import source as source_by_name

    path = Path(path)
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    src = source_by_name(source) if isinstance(source, str) else source
    if path.suffix.lower() == ".xlsx":
        if src is None:
            src = detect_source(path)
        header, rows, hdr_offset = _xlsx_rows(path, src)
        encoding = "xlsx"
        hmap = src.header_map()
        id_pos = {i for i, h in enumerate(header) if h in hmap and src.column(hmap[h]).kind == "id"}
        numeric = _numeric_cells(path, id_pos)
    else:
        text, encoding = decode(data)
        del data
        header, rows = _csv_rows(text.removeprefix("\ufeff"))
        del text
        if src is None:
            src = detect_source(path, header)
    _missing_required(path, src, header)

    hmap = src.header_map()
    rename: dict[str, str] = {}
    unknown: list[str] = []
    for i, h in enumerate(header):
        if h in hmap and f"raw:{hmap[h]}" not in rename.values():
            rename[f"c{i}"] = f"raw:{hmap[h]}"
        else:
            rename[f"c{i}"] = f"extra:{h or i}"
            unknown.append(h)
    rows = rows.rename(rename)
    if encoding == "xlsx" and numeric:
        for (sheet_row, col), value in numeric.items():
            idx = sheet_row - hdr_offset - 1
            name = rename[f"c{col}"]
            if 0 <= idx < rows.height:
                rows[idx, name] = nz.excel_numeric_id_text(value)

    structural = rows.filter(pl.col("_status").is_not_null())
    ok = rows.filter(pl.col("_status").is_null())
    present = {c.name for c in src.columns if f"raw:{c.name}" in ok.columns}
    built = _build(src, present)
    ok = _apply_ids(ok, src)
    raw_cols = [c for c in ok.columns if c.startswith("raw:")]
    extra_cols = [c for c in ok.columns if c.startswith("extra:")]

    checks = list(built.checks)
    id_unusable = (
        pl.col("id_error").is_not_null() & ~pl.col("id_error").is_in(list(ID_WARNINGS))
        if src.id_column
        else pl.lit(True)
    )
    name_missing = pl.col(src.name_column).is_null() if src.name_column else pl.lit(True)
    if src.id_column or src.name_column:
        checks.append(
            ("no_identifying_data", src.id_column or src.name_column, id_unusable & name_missing)
        )

    def problem(reason: str, column: str, failed: pl.Expr) -> pl.Expr:
        raw = pl.col(f"raw:{column}") if f"raw:{column}" in ok.columns else pl.lit(None, pl.String)
        return pl.when(failed.fill_null(False)).then(
            pl.struct(
                reason_code=pl.lit(reason),
                column=pl.lit(column),
                raw_value=raw.cast(pl.String),
            )
        )

    normalised = ok.with_columns(built.exprs).with_columns(
        _problems=pl.concat_list([problem(*c) for c in checks]).list.drop_nulls()
        if checks
        else pl.lit([], dtype=pl.List(pl.Struct({"reason_code": pl.String})))
    )
    warnings = (
        normalised.select([w.sum().alias(k) for k, w in built.warnings]).row(0, named=True)
        if built.warnings
        else {}
    )

    bad = normalised.filter(pl.col("_problems").list.len() > 0)
    good = normalised.filter(pl.col("_problems").list.len() == 0)

    # Exact copies are kept (deduplication is the batch's decision) but pointed at their
    # first occurrence, over the raw cells so that formatting differences do not hide one.
    fingerprint = pl.struct(raw_cols + extra_cols).hash(seed=0) if raw_cols else pl.lit(0)
    good = good.with_columns(_fp=fingerprint).with_columns(
        duplicate_of=pl.when(pl.col("row").min().over("_fp") != pl.col("row"))
        .then(pl.col("row").min().over("_fp"))
        .otherwise(None)
    )
    out_cols = ["row"]
    for col in src.columns:
        out_cols.append(col.name)
        if col.kind == "id":
            out_cols += (
                ["id_raw", "id_error"] if col.name == src.id_column else [f"{col.name}_error"]
            )
        if col.kind == "code" and f"{col.name}_code" in good.columns:
            out_cols.append(f"{col.name}_code")
        if col.kind == "uscc" and f"{col.name}_valid" in good.columns:
            out_cols.append(f"{col.name}_valid")
    out_cols = [c for c in dict.fromkeys(out_cols) if c in good.columns]
    accepted = good.select(*out_cols, *extra_cols, "duplicate_of").sort("row")

    headers_of = {c.name: c.headers[0] for c in src.columns}
    for c in src.columns:
        for h in c.headers:
            if h in header:
                headers_of[c.name] = h
    q_values = bad.select(
        "row",
        first=pl.col("_problems").list.first(),
        problems=pl.col("_problems").list.eval(
            pl.concat_str(
                pl.element().struct.field("reason_code"),
                pl.lit(":"),
                pl.element().struct.field("column"),
            )
        ),
    ).unnest("first")
    q_struct = structural.select(
        "row",
        reason_code=pl.col("_status"),
        column=pl.lit(None, dtype=pl.String),
        raw_value=pl.col("_line"),
        problems=pl.concat_list(pl.col("_status")),
        _detail=pl.col("_detail"),
    )
    quarantined = pl.concat(
        [q_struct, q_values.with_columns(_detail=pl.lit(None, dtype=pl.String))],
        how="diagonal_relaxed",
    ).sort("row")
    quarantined = quarantined.select(
        file=pl.lit(path.name),
        row="row",
        column="column",
        raw_value="raw_value",
        reason_code="reason_code",
        reason=_reason_text(headers_of),
        problems="problems",
    )

    result = ParsedFile(
        path=path,
        source=src,
        encoding=encoding,
        sha256=digest,
        size_bytes=path.stat().st_size,
        headers=header,
        unknown_columns=unknown,
        accepted=accepted,
        quarantined=quarantined,
        warnings={k: int(v) for k, v in warnings.items() if v},
    )
    _check_balance(result, rows.height)
    return result


def _reason_text(headers_of: dict[str, str]) -> pl.Expr:
    """An English sentence naming the header (as the department wrote it) and the value."""
    label = pl.col("column").replace_strict(headers_of, default=pl.col("column"))
    base = pl.col("reason_code").replace_strict(REASONS, default=pl.col("reason_code"))
    return (
        pl.when(pl.col("column").is_not_null())
        .then(pl.format("{}: {} ({})", label, base, pl.col("raw_value").fill_null("empty")))
        .when(pl.col("_detail").is_not_null())
        .then(pl.format("{}: {}", base, pl.col("_detail")))
        .otherwise(base)
    )


def _check_balance(result: ParsedFile, read: int) -> None:
    rows = pl.concat([result.accepted["row"], result.quarantined["row"]])
    if (
        rows.len() != read
        or rows.n_unique() != read
        or (read and (rows.min() != 1 or rows.max() != read))
    ):
        raise AssertionError(
            f"{result.path.name}: read {read} rows but accepted {result.accepted.height} + "
            f"quarantined {result.quarantined.height} do not cover rows 1..{read} once each"
        )


def reasons_table(parsed: list[ParsedFile]) -> pl.DataFrame:
    """One row per file and reason, for reports."""
    counts: Counter[tuple[str, str]] = Counter()
    for p in parsed:
        for reason, n in p.reasons.items():
            counts[(p.path.name, reason)] += n
    return pl.DataFrame(
        [{"file": f, "reason_code": r, "rows": n} for (f, r), n in sorted(counts.items())],
        schema={"file": pl.String, "reason_code": pl.String, "rows": pl.Int64},
    )
