"""The office-file corpus (tests/files/, issue 11) through read → map → validate, without a
database: `minsheng.sources.parse.read_source_file` against every expectation of
`tests/files/MANIFEST.json`.

Each test is parametrised by file name, so every file is its own test id, and reports every
difference of its file at once (`corpus.Problems`). What is checked:

- refused files: `SourceFileError` with the manifest's `code`; the clerk's Chinese text
  (`progress.error_text` under zh-hans) contains every `message_contains` substring and no
  server path or traceback;
- read files: the data sheet, the other sheets, the header row, every column (letter,
  header as written, registry column, hidden, used) and the file warnings;
- every row after the header has exactly one outcome, `row` 1..read and `sheet_row =
  header_row + row`, and the rows accepted and quarantined are the manifest's;
- every listed value of every accepted row, normalised (a code column is compared by its
  `<col>_code` where the column has a code table), and the type of every column;
- the warnings of every accepted row, exactly: the set of (code, letter, header) must equal
  the manifest's. A warning the manifest does not list fails, whatever its code: the
  manifest means its warnings to be exhaustive (its notes say where a normalisation gives
  none: a lower-case x, a 15-digit ID). Codes the team decides to tolerate on any row go in
  `TOLERATED_WARNINGS` (empty). Warnings on quarantined rows are not compared (the row is
  not loaded; its reason is what the clerk reads), except that any the manifest lists
  there must appear;
- the reason of every quarantined row (code, letter, header; the registry column it names;
  a non-empty `reason`).
"""

from __future__ import annotations

import re
import tempfile
from collections import defaultdict
from functools import cache

import polars as pl
import pytest
from django.utils import translation

from minsheng.catalogue import registry
from minsheng.catalogue.codes import code_map
from minsheng.sources.parse import read_source_file
from minsheng.sources.progress import error_text
from minsheng.sources.read import SourceFileError

from . import corpus
from .corpus import Problems, as_manifest

# Warning codes accepted on any row although the manifest does not list them (see above).
TOLERATED_WARNINGS: frozenset[str] = frozenset()

# Folders of this server a clerk's message must never show (looked for, not written to).
SERVER_PATHS = ("/work", "/tmp")  # noqa: S108

READ = corpus.read_files()
REFUSED = corpus.refused_files()

# The dtype of a registry column in `accepted`, by kind (anything else is text).
DTYPES = {
    "date": pl.Date,
    "year_month": pl.Date,
    "datetime": pl.Datetime,
    "decimal": pl.Decimal,
    "integer": pl.Int64,
}


@cache
def parsed(name: str):
    """The file read as its manifest source, once for all tests of the module."""
    return read_source_file(corpus.path(name), corpus.entry(name)["source"])


def by_sheet_row(frame: pl.DataFrame) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = defaultdict(list)
    for r in frame.iter_rows(named=True):
        out[r["sheet_row"]].append(r)
    return out


# -- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", REFUSED)
def test_it_refuses_the_file_with_the_code_and_message_the_manifest_names(name, tmp_path):
    # given a file the manifest says is refused, in a folder of the test's own
    e = corpus.entry(name)
    refusal = e["refusal"]
    path = corpus.copy(name, tmp_path)
    # when it is read as its source
    with pytest.raises(SourceFileError) as caught:
        read_source_file(path, e["source"])
    error = caught.value
    # then the refusal has the manifest's code
    assert getattr(error, "code", None) == refusal["code"], str(error)
    # and the clerk's Chinese text names what the manifest says, in Chinese
    with translation.override("zh-hans"):
        text = error_text(error)
        template = translation.gettext(error.template) if getattr(error, "template", "") else ""
    for part in refusal["message_contains"]:
        assert part in text, f"{part!r} not in {text!r}"
    assert re.search(r"[\u4e00-\u9fff]", text), text
    if template:
        assert template != error.template, f"no Chinese translation of {error.template!r}"
    # and shows no server path and no traceback
    for leak in (*SERVER_PATHS, str(tmp_path), tempfile.gettempdir(), str(corpus.FILES)):
        assert leak not in text, f"{leak!r} in {text!r}"
    assert "Traceback" not in text


# -- the sheet, its header and columns ----------------------------------------------------


@pytest.mark.parametrize("name", READ)
def test_it_finds_the_sheet_header_row_and_columns_the_manifest_names(name):
    # given a file and what the manifest says of its layout
    e = corpus.entry(name)
    problems = Problems(name)
    # when it is read
    p = parsed(name)
    # then the data sheet, the other sheets and the header row are the manifest's
    problems.expect("sheet", e["sheet"], p.sheet_name)
    others = [s for s in corpus.sheet_names(name) if s != e["sheet"]]
    problems.expect("other sheets", others, list(p.other_sheets))
    problems.expect("header row", e["header_row"], p.header_row)
    # and every column: its header as written (outer spaces are no part of what a clerk
    # reads, so they are not kept), the registry column, hidden and used
    got = {c.letter: c for c in p.columns}
    problems.expect(
        "column letters", [c["letter"] for c in e["columns"]], [c.letter for c in p.columns]
    )
    for c in e["columns"]:
        use = got.get(c["letter"])
        if use is None:
            continue
        at = f"column {c['letter']} ({c['header']!r})"
        problems.expect(f"{at} header", c["header"].strip(), use.header)
        problems.expect(f"{at} maps to", c["maps_to"], use.maps_to)
        problems.expect(f"{at} hidden", c.get("hidden", False), bool(use.hidden))
        if c["maps_to"] is not None:  # `used` says which of a column's duplicates is used
            problems.expect(f"{at} used", c.get("used", True), bool(use.used))
    problems.check()


@pytest.mark.parametrize("name", READ)
def test_it_reports_exactly_the_file_warnings_the_manifest_names(name):
    # given a file
    e = corpus.entry(name)
    problems = Problems(name)
    # when it is read
    p = parsed(name)
    # then its file warnings (unmapped and duplicate columns) are the manifest's
    got = corpus.sort_triples((w["code"], w["column"], w["header"]) for w in p.file_warnings)
    problems.expect("file warnings", corpus.file_warnings(e), got)
    problems.check()


# -- rows ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", READ)
def test_it_gives_every_row_after_the_header_one_outcome(name):
    # given a file whose every row after the header the manifest lists
    e = corpus.entry(name)
    problems = Problems(name)
    # when it is read
    p = parsed(name)
    # then every row is accepted or quarantined, once
    problems.expect("read", p.accepted.height + p.quarantined.height, p.read)
    problems.expect("rows read", len(e["rows"]), p.read)
    numbers = sorted(p.accepted["row"].to_list() + p.quarantined["row"].to_list())
    problems.expect("row numbers", list(range(1, p.read + 1)), numbers)
    # and each row's sheet row is where Excel shows it
    for label, frame in (("accepted", p.accepted), ("quarantined", p.quarantined)):
        wrong = frame.filter(pl.col("sheet_row") != pl.col("row") + e["header_row"])
        if wrong.height:
            problems.add(
                f"{label}: sheet_row is not header_row + row for "
                f"{wrong.select('row', 'sheet_row').rows()}"
            )
    # and the rows accepted and quarantined are the manifest's
    for outcome, frame in (("accepted", p.accepted), ("quarantined", p.quarantined)):
        expected = [r["row"] for r in corpus.rows(e, outcome)]
        problems.expect(f"{outcome} sheet rows", expected, sorted(frame["sheet_row"].to_list()))
    problems.check()


@pytest.mark.parametrize("name", READ)
def test_it_normalises_every_value_of_every_accepted_row(name):
    # given the expected values of every accepted row
    e = corpus.entry(name)
    problems = Problems(name)
    # when the file is read
    p = parsed(name)
    accepted = by_sheet_row(p.accepted)
    # then each listed value is the normalised one (a code by its code)
    for r in corpus.rows(e, "accepted"):
        found = accepted.get(r["row"], [])
        if len(found) != 1:
            problems.add(f"row {r['row']}: {len(found)} accepted rows")
            continue
        row = found[0]
        for column, expected in r["values"].items():
            key = f"{column}_code" if f"{column}_code" in row else column
            if key not in row:
                problems.add(f"row {r['row']} {column}: no such column in accepted")
                continue
            problems.expect(f"row {r['row']} {key}", expected, as_manifest(row[key]))
    problems.check()


@pytest.mark.parametrize("name", READ)
def test_it_types_every_registry_column_by_its_kind(name):
    # given the registry columns the file maps, and those the manifest's values name
    e = corpus.entry(name)
    source = registry.source(e["source"])
    problems = Problems(name)
    named = {c["maps_to"] for c in e["columns"] if c["maps_to"]}
    named |= {k for r in corpus.rows(e, "accepted") for k in r["values"]}
    # when the file is read
    schema = parsed(name).accepted.schema
    # then each is a column of `accepted` typed by its kind, with its code beside it
    for col in source.columns:
        if col.name not in named:
            continue
        if col.name not in schema:
            problems.add(f"{col.name}: not in accepted")
            continue
        expected = DTYPES.get(col.kind, pl.String)
        if not isinstance(schema[col.name], expected):
            problems.add(f"{col.name} ({col.kind}): {schema[col.name]}, not {expected}")
        if col.kind == "code" and code_map(col):
            problems.expect(f"{col.name}_code", pl.String, schema.get(f"{col.name}_code"))
    for column in ("row", "sheet_row"):
        problems.expect(column, pl.Int64, schema.get(column))
    if source.id_column:
        problems.expect("id_raw", pl.String, schema.get("id_raw"))
        problems.expect("id_error", pl.String, schema.get("id_error"))
    problems.check()


@pytest.mark.parametrize("name", READ)
def test_it_warns_on_exactly_the_cells_the_manifest_names(name):
    # given the warnings the manifest lists on each row
    e = corpus.entry(name)
    problems = Problems(name)
    accepted = {r["row"] for r in corpus.rows(e, "accepted")}
    quarantined = {r["row"] for r in corpus.rows(e, "quarantined")}
    # when the file is read
    p = parsed(name)
    got: dict[int, list[tuple]] = defaultdict(list)
    for w in p.cell_warnings.iter_rows(named=True):
        at = f"warning {w['code']} at sheet row {w['sheet_row']} column {w['letter']}"
        problems.expect(f"{at}: row", w["sheet_row"] - e["header_row"], w["row"])
        problems.expect(f"{at}: registry column", corpus.maps_to(e, w["letter"]), w["column"])
        if w["sheet_row"] not in accepted | quarantined:
            problems.add(f"{at}: no such row")
        if w["code"] not in TOLERATED_WARNINGS:
            got[w["sheet_row"]].append((w["code"], w["letter"], w["header"]))
    # then every accepted row has exactly the manifest's warnings
    for r in corpus.rows(e, "accepted"):
        problems.expect(
            f"row {r['row']} warnings", corpus.warnings(r), corpus.sort_triples(got[r["row"]])
        )
    # and a quarantined row at least those the manifest lists
    for r in corpus.rows(e, "quarantined"):
        missing = set(corpus.warnings(r)) - set(got[r["row"]])
        if missing:
            problems.add(f"row {r['row']} (quarantined): warnings {sorted(missing)} missing")
    problems.check()


@pytest.mark.parametrize("name", READ)
def test_it_quarantines_each_row_for_the_manifest_reason(name):
    # given the rows the manifest says are quarantined, with their reasons
    e = corpus.entry(name)
    problems = Problems(name)
    # when the file is read
    p = parsed(name)
    found = by_sheet_row(p.quarantined)
    # then each is quarantined once, for that reason, at that column
    for r in corpus.rows(e, "quarantined"):
        rows = found.get(r["row"], [])
        if len(rows) != 1:
            problems.add(f"row {r['row']}: quarantined {len(rows)} times")
            continue
        got, reason = rows[0], r["reason"]
        at = f"row {r['row']}"
        problems.expect(f"{at} reason", reason["code"], got["reason_code"])
        problems.expect(f"{at} letter", reason["column"], got["letter"])
        problems.expect(f"{at} header", reason["header"], got["header"])
        problems.expect(f"{at} registry column", corpus.maps_to(e, reason["column"]), got["column"])
        if not isinstance(got["reason"], str) or not got["reason"].strip():
            problems.add(f"{at}: no reason text ({got['reason']!r})")
    problems.check()
