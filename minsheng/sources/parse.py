"""The first three stages of an import as one call, for what reads files without loading them
(the linkage evaluation, the benchmarks, tests): read → map → validate."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from minsheng.catalogue.registry import Source

from .mapping import Overrides, map_columns
from .read import read_file
from .validate import ParsedFile, validate


def read_source_file(
    path: str | Path,
    source: Source | str | None = None,
    *,
    overrides: Overrides | None = None,
    today: date | None = None,
) -> ParsedFile:
    """Read, map and validate one export (no database)."""
    return validate(map_columns(read_file(path), source, overrides=overrides), today=today)
