"""Cells that a spreadsheet program shows as text, never runs as a formula.

Excel, WPS and LibreOffice treat a CSV field or a text cell that starts with `=`, `+`, `-`
or `@` as a formula (and some do so after a leading tab or carriage return too), so a
department's raw value, a tried username or a stated reason such as
`=HYPERLINK("http://x","y")` would become a live link or a DDE call in the exported file
(CSV/formula injection). `safe_cell(value)` neutralises such text by prefixing an apostrophe,
which the programs show as a plain text cell while the rest of the value stays readable.
Numbers, dates, booleans and None pass unchanged: they are data, not text.

Plain Python, no Django: every writer of CSV or XLSX files uses it (the audit export, the
batch report, the target-list export). `write_xlsx_row` writes a row into an xlsxwriter
worksheet with text always as string cells (it only calls the worksheet's methods, so this
module imports no spreadsheet library).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

__all__ = ["FORMULA_PREFIXES", "is_formula_like", "safe_cell", "safe_row", "write_xlsx_row"]

# The characters that make a spreadsheet program read a cell as a formula, and the
# invisible ones that some programs skip before looking.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(text: str) -> bool:
    """Would a spreadsheet program read `text` as a formula (or a command)?"""
    return bool(text) and text.startswith(FORMULA_PREFIXES)


def safe_cell(value: Any) -> Any:
    """`value` as it may be written to a CSV field or a spreadsheet cell: text that would
    start a formula gets a leading apostrophe (`'=SUM(1)`); anything that is not text
    (numbers, dates, None) is returned as it is."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def safe_row(values) -> list[Any]:
    """`safe_cell` of every value in a row."""
    return [safe_cell(v) for v in values]


def write_xlsx_row(sheet, row: int, col: int, values, cell_format=None) -> None:
    """Write `values` into an xlsxwriter worksheet from (`row`, `col`) rightwards, each by
    its type: text always as a string cell (made safe first, so that neither the file nor a
    later edit of the cell runs it), numbers as numbers, None as a blank cell. Unlike
    `Worksheet.write`, nothing is ever guessed to be a formula, a URL or a number."""
    for offset, value in enumerate(values):
        c = col + offset
        if value is None or value == "":
            sheet.write_blank(row, c, None, cell_format)
        elif isinstance(value, bool):
            sheet.write_boolean(row, c, value, cell_format)
        elif isinstance(value, int | float | Decimal):
            sheet.write_number(row, c, value, cell_format)
        else:
            sheet.write_string(row, c, safe_cell(str(value)), cell_format)
