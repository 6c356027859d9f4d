"""A department's saved mappings as the mapping stage takes them.

The bureau's business staff map, per source, a header the registry does not know to a
declared column (or to nothing: ignore it) and a label a department writes to one of a code
column's codes (`ColumnMapping`, `CodeMapping`, saved by `actions.py`). They are data, not
code: every later file of the source is read with them (`overrides_for`, passed to
`mapping.map_columns` by the import and by the re-application to a batch).
"""

from __future__ import annotations

import polars as pl

from minsheng.catalogue import registry
from minsheng.catalogue.codes import code_map

from .mapping import Overrides
from .models import CodeMapping, ColumnMapping
from .read import Sheet, column_letter
from .report import mask_cell

__all__ = ["code_choices", "overrides_for", "read_of_refused", "source_columns"]

SAMPLES = 3


def overrides_for(source_name: str) -> Overrides:
    """The source's saved mappings: one query per table."""
    columns = {
        header: (column or None)
        for header, column in ColumnMapping.objects.filter(source=source_name).values_list(
            "header", "column"
        )
    }
    codes: dict[str, dict[str, str]] = {}
    for column, label, code in CodeMapping.objects.filter(source=source_name).values_list(
        "column", "label", "code"
    ):
        codes.setdefault(column, {})[label] = code
    return Overrides(columns=columns, codes=codes)


def source_columns(src: registry.Source) -> list[tuple[str, str]]:
    """(column name, Chinese label) of every declared column of a source, in its order:
    what a header may be mapped to."""
    return [(c.name, c.headers[0]) for c in src.columns]


def code_choices(col: registry.Column) -> list[tuple[str, str]]:
    """(code, label) of each code a code column's labels may be mapped to: its code list
    (`catalogue.codes.code_map`), each code once with its first label."""
    out: dict[str, str] = {}
    for label, code in code_map(col).items():
        out.setdefault(code, label)
    return list(out.items())


def read_of_refused(sheet: Sheet, src: registry.Source, overrides: Overrides) -> dict:
    """How a file the mapping stage refused was read (`Batch` fields): its sheet, header
    row and columns, each header resolved as the registry and the saved mappings name it,
    with a few masked samples of the columns no declared column claims. The refusal names
    a missing column; the batch page then offers to map the file's unknown headers, and
    re-applying the mappings imports the file into the batch."""
    hmap = src.header_map()
    columns = []
    for i, header in enumerate(sheet.header):
        name, unit = registry.normalise_header(header or "")
        ignored = bool(name) and name in overrides.columns and overrides.columns[name] is None
        target = overrides.columns.get(name) if name in overrides.columns else hmap.get(name)
        samples: list[str] = []
        if target is None and not ignored and f"c{i}" in sheet.rows.columns:
            values = sheet.rows.get_column(f"c{i}").drop_nulls().cast(pl.String).str.strip_chars()
            samples = values.filter(values != "").unique(maintain_order=True).head(SAMPLES)
            samples = [mask_cell(v) for v in samples.to_list()]
        columns.append(
            {
                "letter": column_letter(i),
                "header": header or "",
                "maps_to": target,
                "unit": unit,
                "hidden": i in sheet.hidden_columns,
                "used": target is not None,
                "ignored": ignored,
                "samples": samples,
            }
        )
    return {
        "sheet_name": sheet.sheet_name or "",
        "header_row": sheet.header_row,
        "other_sheets": list(sheet.other_sheets),
        "columns": columns,
        "file_warnings": [],
    }
