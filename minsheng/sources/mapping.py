"""Stage 2 of an import, map: a sheet's header → one source's declared columns.

`map_columns(sheet, source)` finds the file's source (given, else by file name, else by
header), refuses a file that lacks a required column, and renames each cell column to the
declared column it holds (`raw:<name>`) or keeps it as found (`extra:<header>`): nothing the
department sent is dropped. No database and no Django here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from minsheng.catalogue import registry
from minsheng.catalogue.registry import Source

from . import normalise as nz
from .read import Sheet, SourceFileError, read_headers

__all__ = ["Mapped", "map_columns", "source_of"]


@dataclass
class Mapped:
    sheet: Sheet
    source: Source
    # row, _line, _status, _detail, raw:<column>…, extra:<header>…
    rows: pl.DataFrame
    unknown_columns: list[str]  # headers no declared column claims (kept as extra:)


def map_columns(sheet: Sheet, source: Source | str | None = None) -> Mapped:
    if isinstance(source, str):
        src = registry.source(source)
    else:
        src = source or registry.detect_source(sheet.path.name, sheet.header)
    header = sheet.header
    _missing_required(sheet, src)

    hmap = src.header_map()
    rename: dict[str, str] = {}
    unknown: list[str] = []
    for i, h in enumerate(header):
        if h in hmap and f"raw:{hmap[h]}" not in rename.values():
            rename[f"c{i}"] = f"raw:{hmap[h]}"
        else:
            rename[f"c{i}"] = f"extra:{h or i}"
            unknown.append(h)
    rows = sheet.rows
    if "_last" in rows.columns:
        rows = _cut_off_rows(rows, header, src)
    rows = rows.rename(rename)
    for (sheet_row, col), value in sheet.numeric.items():
        idx = sheet_row - sheet.header_offset - 1
        name = rename.get(f"c{col}", "")
        if 0 <= idx < rows.height and name.startswith("raw:") and src.column(name[4:]).kind == "id":
            rows[idx, name] = nz.excel_numeric_id_text(value)
    return Mapped(sheet, src, rows, unknown)


def source_of(path: str | Path) -> Source:
    """A file's source by its name, else by its header line (UnknownSource if neither fits)."""
    path = Path(path)
    if (src := registry.source_by_file_name(path.name)) is not None:
        return src
    try:
        headers = read_headers(path)
    except (OSError, ValueError):  # an unreadable file simply does not match
        headers = None
    return registry.detect_source(path.name, headers)


def _missing_required(sheet: Sheet, src: Source) -> None:
    found = set(sheet.header)
    missing = [c for c in src.required_columns if not found.intersection(c.headers)]
    if src.id_column and not found.intersection(src.column(src.id_column).headers):
        missing.append(src.column(src.id_column))
    if missing:
        names = ", ".join(f"{c.name} ({'/'.join(c.headers)})" for c in missing)
        raise SourceFileError(
            f"{sheet.path.name}: required column {names} missing for source {src.name}; "
            f"headers found: {', '.join(sheet.header) or '(none)'}"
        )


def _cut_off_rows(rows: pl.DataFrame, header: list[str], src: Source) -> pl.DataFrame:
    """A workbook row that stops before the file's last required column was cut off (a
    trailer, an export note, a truncated record): a workbook has no field count to tell."""
    hmap = src.header_map()
    required = [i for i, h in enumerate(header) if h in hmap and src.column(hmap[h]).required]
    if not required:
        return rows.drop("_last")
    truncated = pl.col("_status").is_null() & (pl.col("_last") < max(required))
    return rows.with_columns(
        _status=pl.when(truncated).then(pl.lit("malformed_row")).otherwise("_status"),
        _detail=pl.when(truncated)
        .then(pl.lit("the row stops before the last required column"))
        .otherwise("_detail"),
    ).drop("_last")
