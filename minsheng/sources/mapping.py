"""Stage 2 of an import, map: a sheet's header → one source's declared columns.

`map_columns(sheet, source, overrides=…)` finds the file's source (given, else by file name,
else by header), resolves every header cell to a declared column and renames the cell
column to `raw:<name>`. Headers are compared normalised (`registry.normalise_header`: line
breaks, spaces, bracket widths; a unit in brackets is split off and kept). A department's
saved mappings (`Overrides`, kept by the bureau's business staff) come first: a header they
mapped to a column, or told us to ignore, and labels they mapped to codes.

Nothing the department sent is dropped: a column no declared column claims is kept as
`extra:<letter>` and reported (`unmapped_column`, with a few sample values). Two columns
resolving to one declared column: a hidden one gives way to the visible one (reported as
`duplicate_column`); two visible ones refuse the file, because only the clerk can say which
holds the value (they choose by mapping the other to nothing). A file without a required
column is refused naming it. No database and no Django here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from minsheng.catalogue import registry
from minsheng.catalogue.registry import Source

from . import normalise as nz
from .read import Sheet, SourceFileError, column_letter, gettext_noop, read_headers

__all__ = ["ColumnUse", "Mapped", "Overrides", "map_columns", "source_of"]

MISSING_REQUIRED = gettext_noop(
    "%(file)s has no column %(columns)s, which %(source)s files must have. Add the column, "
    "or, if it is there under another header, map that header to it on the batch page."
)
DUPLICATE_COLUMNS = gettext_noop(
    "%(file)s has several visible columns for %(target)s: %(columns)s. Delete or hide the "
    "ones that do not hold it, or choose one by mapping the others to nothing."
)


@dataclass(frozen=True)
class Overrides:
    """A department's saved mappings: a normalised header → a declared column of the source
    (None: ignore the column), and per declared column a label → a code."""

    columns: Mapping[str, str | None] = field(default_factory=dict)
    codes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass
class ColumnUse:
    """One column of the file as the report shows it."""

    index: int  # 0-based
    letter: str  # as Excel shows it
    header: str  # as written
    name: str  # normalised
    unit: str | None  # from the header's brackets
    maps_to: str | None  # declared column, None when unmapped or ignored
    hidden: bool
    used: bool  # False: unmapped, ignored, or a duplicate given way
    ignored: bool = False  # mapped to nothing by the department
    samples: list[str] = field(default_factory=list)  # of unmapped columns

    def as_dict(self) -> dict[str, object]:
        return {
            "letter": self.letter,
            "header": self.header,
            "maps_to": self.maps_to,
            "unit": self.unit,
            "hidden": self.hidden,
            "used": self.used,
            "ignored": self.ignored,
            "samples": self.samples,
        }


@dataclass
class Mapped:
    sheet: Sheet
    source: Source
    # row, _line, _status, _detail, _hidden, raw:<column>…, num:<column>…, extra:<letter>…
    rows: pl.DataFrame
    columns: list[ColumnUse]
    file_warnings: list[dict[str, object]]
    overrides: Overrides

    def use_of(self, column: str) -> ColumnUse | None:
        """The file column a declared column was read from."""
        return next((c for c in self.columns if c.used and c.maps_to == column), None)


def map_columns(
    sheet: Sheet, source: Source | str | None = None, *, overrides: Overrides | None = None
) -> Mapped:
    if isinstance(source, str):
        src = registry.source(source)
    else:
        src = source or registry.detect_source(sheet.path.name, sheet.header)
    overrides = overrides or Overrides()
    columns = _resolve(sheet, src, overrides)
    file_warnings = _choose_duplicates(sheet, src, columns)
    _missing_required(sheet, src, columns)

    rename = {f"c{c.index}": f"raw:{c.maps_to}" if c.used else f"extra:{c.letter}" for c in columns}
    rows = sheet.rows
    if "_last" in rows.columns:
        rows = _cut_off_rows(rows, src, columns)
    rows = rows.rename(rename)
    rows = _numeric_cells(sheet, src, columns, rows)
    rows = _name_from_head(src, columns, rows)
    for c in columns:
        if c.maps_to is None and not c.ignored:
            c.samples = _samples(rows[f"extra:{c.letter}"])
            if c.samples or c.header:
                file_warnings.append(
                    {"code": "unmapped_column", "column": c.letter, "header": c.header}
                )
    for c in columns:
        if c.used and c.unit and not _unit_fits(src.column(c.maps_to), c.unit):
            file_warnings.append(
                {"code": "unit_mismatch", "column": c.letter, "header": c.header, "detail": c.unit}
            )
    file_warnings.sort(key=lambda w: (len(str(w["column"])), str(w["column"])))
    return Mapped(sheet, src, rows, columns, file_warnings, overrides)


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


# -- resolving headers ----------------------------------------------------------------------


def _resolve(sheet: Sheet, src: Source, overrides: Overrides) -> list[ColumnUse]:
    hmap = src.header_map()
    hidden = getattr(sheet, "hidden_columns", frozenset())
    out = []
    for i, header in enumerate(sheet.header):
        name, unit = registry.normalise_header(header or "")
        ignored = False
        if name and name in overrides.columns:
            target = overrides.columns[name]
            ignored = target is None
            if target is not None and target not in {c.name for c in src.columns}:
                target = None  # a mapping to a column the source no longer has
        else:
            target = hmap.get(name) if name else None
        out.append(
            ColumnUse(
                index=i,
                letter=column_letter(i),
                header=header or "",
                name=name,
                unit=unit,
                maps_to=target,
                hidden=i in hidden,
                used=target is not None,
                ignored=ignored,
            )
        )
    return out


def _choose_duplicates(sheet: Sheet, src: Source, columns: list[ColumnUse]) -> list[dict]:
    """One file column per declared column: a visible one over hidden ones; two visible
    ones refuse the file."""
    warnings: list[dict] = []
    by_target: dict[str, list[ColumnUse]] = {}
    for c in columns:
        if c.used:
            by_target.setdefault(c.maps_to, []).append(c)
    for target, found in by_target.items():
        if len(found) < 2:
            continue
        visible = [c for c in found if not c.hidden]
        if len(visible) > 1:
            col = src.column(target)
            params = {
                "file": sheet.path.name,
                "target": col.headers[0],
                "columns": "、".join(f"{c.letter}列「{c.header}」" for c in visible),
            }
            raise SourceFileError(
                DUPLICATE_COLUMNS % params,
                template=DUPLICATE_COLUMNS,
                params=params,
                code="duplicate_column",
            )
        keep = visible[0] if visible else found[0]
        for c in found:
            if c is not keep:
                c.used = False
                warnings.append(
                    {"code": "duplicate_column", "column": c.letter, "header": c.header}
                )
    return warnings


def _missing_required(sheet: Sheet, src: Source, columns: list[ColumnUse]) -> None:
    mapped = {c.maps_to for c in columns if c.used}
    need = list(src.required_columns)
    if src.id_column and src.column(src.id_column) not in need:
        need.append(src.column(src.id_column))
    missing = [c for c in need if c.name not in mapped]
    if missing:
        params = {
            "file": sheet.path.name,
            "columns": "、".join(f"「{c.headers[0]}」" for c in missing),
            "source": src.label,
        }
        raise SourceFileError(
            MISSING_REQUIRED % params,
            template=MISSING_REQUIRED,
            params=params,
            code="missing_required_column",
        )


def _unit_fits(col: registry.Column, unit: str) -> bool:
    """Whether values in `unit` can be read into the declared column: the same unit, a
    count's or an amount's natural unit, or 元 and 万元 (scaled by `validate`)."""
    if unit == col.unit:
        return True
    if col.kind == "decimal":
        return unit in ("元", "万元")
    if col.kind == "integer":
        return unit in ("人", "户", "个月", "月", "年", "岁", "天", "次")
    return False


# -- cells ----------------------------------------------------------------------------------


def _numeric_cells(
    sheet: Sheet, src: Source, columns: list[ColumnUse], rows: pl.DataFrame
) -> pl.DataFrame:
    """Numeric workbook cells of ID and date columns, by their stored text.

    An ID in a number cell: the workbook reader renders it through a float, which invents
    digits; the stored text is exact ("150302196208302155") or shows the loss
    ("1.50302199105272E+17"). A date column's number cell (1965.03, 1990.1): its text as
    displayed, and a `num:<column>` flag, because 1990.1 in a number cell may have been
    typed 1990.10 (October) and cannot be read as January."""
    numeric = getattr(sheet, "numeric", None)
    if not isinstance(numeric, pl.DataFrame) or numeric.is_empty():
        return rows
    for c in columns:
        if not c.used:
            continue
        col = src.column(c.maps_to)
        if col.kind != "id" and not col.is_date:
            continue
        cells = numeric.filter(pl.col("col") == c.index).select("row", _num=pl.col("text"))
        if cells.is_empty():
            continue
        raw = f"raw:{c.maps_to}"
        if col.kind == "id":
            cells = cells.with_columns(
                pl.col("_num").map_elements(nz.excel_numeric_id_text, return_dtype=pl.String)
            )
        rows = rows.join(cells, on="row", how="left", maintain_order="left")
        rows = rows.with_columns(pl.coalesce("_num", raw).alias(raw))
        if col.is_date:
            rows = rows.with_columns(pl.col("_num").is_not_null().alias(f"num:{c.maps_to}"))
        rows = rows.drop("_num")
    return rows


def _name_from_head(src: Source, columns: list[ColumnUse], rows: pl.DataFrame) -> pl.DataFrame:
    """A household list with 户主姓名 and no 姓名 column has one row per household, the
    head's: the head's name is the person's name (without it linkage has no name)."""
    mapped = {c.maps_to for c in columns if c.used}
    name = src.name_column
    if name and name not in mapped and "head_name" in mapped and "head_id_number" not in mapped:
        return rows.with_columns(pl.col("raw:head_name").alias(f"raw:{name}"))
    return rows


def _samples(values: pl.Series, n: int = 3) -> list[str]:
    s = values.drop_nulls().cast(pl.String).str.strip_chars()
    return s.filter(s != "").unique(maintain_order=True).head(n).to_list()


def _cut_off_rows(rows: pl.DataFrame, src: Source, columns: list[ColumnUse]) -> pl.DataFrame:
    """A workbook row that stops before the file's last required column was cut off (a
    trailer, an export note, a truncated record): a workbook has no field count to tell."""
    required = [c.index for c in columns if c.used and src.column(c.maps_to).required]
    if not required:
        return rows.drop("_last")
    truncated = pl.col("_status").is_null() & (pl.col("_last") < max(required))
    return rows.with_columns(
        _status=pl.when(truncated).then(pl.lit("malformed_row")).otherwise("_status"),
        _detail=pl.when(truncated)
        .then(pl.lit("the row stops before the last required column"))
        .otherwise("_detail"),
    ).drop("_last")
