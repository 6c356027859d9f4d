"""The office-file corpus of `tests/files/` and its manifest, for the corpus tests
(test_corpus_parse.py, test_corpus_import.py).

`MANIFEST.json` says, for every file, the expected refusal or, for every row as Excel shows
it, the outcome, the normalised values, the warnings and the quarantine reason (its
`schema` key explains the fields). This module loads it once and turns what the importer
returns into the manifest's notation (`as_manifest`), so that the tests compare like with
like and report every difference of a file at once (`Problems`).

Row numbers: the manifest's `rows[].row` is the row as Excel shows it (the ParsedFile's
`sheet_row`); the importer's `row` is the ordinal, 1 = the first row after the header, so
`row = sheet_row - header_row` (`ordinal`).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

FILES = Path(__file__).with_name("files")
MANIFEST = FILES / "MANIFEST.json"


@cache
def manifest() -> dict[str, Any]:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def entries() -> list[dict[str, Any]]:
    """One entry per file, in the order of the manifest (and of files/README.md)."""
    return manifest()["files"]


@cache
def _by_name() -> dict[str, dict[str, Any]]:
    return {e["file"]: e for e in entries()}


def entry(name: str) -> dict[str, Any]:
    return _by_name()[name]


def refused_files() -> list[str]:
    return [e["file"] for e in entries() if e["refusal"] is not None]


def read_files() -> list[str]:
    """The files the importer must read (not refuse)."""
    return [e["file"] for e in entries() if e["refusal"] is None]


def path(name: str) -> Path:
    return FILES / name


def copy(name: str, folder: Path) -> Path:
    """The file copied into `folder` under its own name (a server path of the test's own, to
    check that no message shows it)."""
    target = folder / name
    shutil.copyfile(path(name), target)
    return target


def ordinal(e: dict[str, Any], sheet_row: int) -> int:
    """The importer's row number (1 = the first row after the header) of a manifest row."""
    return sheet_row - e["header_row"]


def rows(e: dict[str, Any], outcome: str | None = None) -> list[dict[str, Any]]:
    return [r for r in e["rows"] if outcome is None or r["outcome"] == outcome]


def maps_to(e: dict[str, Any], letter: str | None) -> str | None:
    """The registry column a file column (by letter) maps to; None for whole-row entries."""
    if letter is None:
        return None
    return next((c["maps_to"] for c in e["columns"] if c["letter"] == letter), f"<no {letter}>")


def warnings(r: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    """A manifest row's warnings as sorted (code, letter, header)."""
    return sorted(
        ((w["code"], w["column"], w["header"]) for w in r.get("warnings", [])), key=_sort_key
    )


def file_warnings(e: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    return sorted(((w["code"], w["column"], w["header"]) for w in e["warnings"]), key=_sort_key)


def _sort_key(t: tuple) -> tuple:
    return tuple("" if v is None else str(v) for v in t)


def sort_triples(triples) -> list[tuple]:
    return sorted(triples, key=_sort_key)


def with_files(a: dict[str, Any]) -> list[str]:
    return list(a.get("with_files") or [])


# -- values in the manifest's notation (schema.values) ------------------------------------


def as_manifest(value: Any) -> Any:
    """A value as the importer returns it (polars → Python, or a model field), written as
    the manifest writes values: decimals as strings with 2 decimals, dates ISO, date-times
    'YYYY-MM-DDTHH:MM:SS', integers as numbers, text as is, None as None. Anything else
    (a float, a bool, a decimal with more places) is returned as a marked text, so that it
    differs from every manifest value (36.0 == 36 and True == 1 in Python) and the test
    shows what it was."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool | float):
        return f"<{type(value).__name__} {value!r}>"
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        text = f"{value:.2f}"
        return text if Decimal(text) == value else f"<Decimal {value}>"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass
class Problems:
    """Every difference found in one file, reported together: a failing file shows all its
    wrong cells at once rather than the first."""

    name: str
    found: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.found.append(message)

    def expect(self, what: str, expected: Any, actual: Any) -> None:
        if expected != actual:
            self.found.append(f"{what}: expected {expected!r}, got {actual!r}")

    def check(self) -> None:
        assert not self.found, f"{self.name}: {len(self.found)} problem(s)\n" + "\n".join(
            self.found
        )


def sheet_names(name: str) -> list[str]:
    """A workbook's sheets in workbook order, read by content (a renamed .xls, an .et);
    [] for text."""
    if entry(name)["content"] not in ("xlsx", "xls"):
        return []
    import fastexcel

    return list(fastexcel.read_excel(path(name).read_bytes()).sheet_names)
