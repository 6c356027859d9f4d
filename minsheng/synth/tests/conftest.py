from __future__ import annotations

import io
import json
from pathlib import Path

import fastexcel
import polars as pl
import pytest

SCALE = 0.01
SEED = 42


@pytest.fixture(scope="session")
def city(synth_city: Path) -> Path:
    return synth_city


@pytest.fixture(scope="session")
def manifest(city: Path) -> dict:
    return json.loads((city / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def counts(city: Path) -> dict:
    return json.loads((city / "truth" / "counts.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def persons(city: Path) -> pl.DataFrame:
    return pl.read_parquet(city / "truth" / "persons.parquet")


@pytest.fixture(scope="session")
def rows(city: Path) -> pl.DataFrame:
    return pl.read_parquet(city / "truth" / "rows.parquet")


def read_export(path: Path, entry: dict) -> pl.DataFrame:
    """Read an export back the way an importer would: every cell as text."""
    if entry["format"] == "xlsx":
        sheet = fastexcel.read_excel(path).load_sheet(
            0, header_row=entry["header_row"], dtypes="string"
        )
        return sheet.to_polars()
    text = path.read_bytes().decode("gb18030" if entry["encoding"] == "gb18030" else "utf-8-sig")
    return pl.read_csv(
        io.BytesIO(text.encode("utf-8")), infer_schema=False, truncate_ragged_lines=True
    )


@pytest.fixture(scope="session")
def exports(city: Path, manifest: dict) -> dict[str, tuple[dict, pl.DataFrame]]:
    out = {}
    for entry in manifest["files"]:
        if entry["file"].startswith("exports/"):
            name = entry["file"].removeprefix("exports/")
            out[name] = (entry, read_export(city / entry["file"], entry))
    return out
