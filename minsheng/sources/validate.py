"""Stage 3 of an import, validate and normalise: mapped rows → accepted and quarantined.

`validate(mapped)` normalises every declared column by its kind (IDs, names, dates, phones,
codes, amounts), checks what a row cannot do without, and splits the rows: `accepted` holds
one typed row per usable input row (with the raw ID kept for linkage), `quarantined` one row
per rejected input row with its first blocking problem. Every input row number appears in
exactly one of them; that invariant is asserted here, because an importer that silently
drops a row is worse than one that stops. No database and no Django here.

Nothing becomes null quietly. Each problem found in a row is either blocking (the row is
quarantined with its first blocking problem: a required value missing or unreadable, a date
in the future or before the person's birth where the date is required, a hidden row that a
visible row supersedes) or a warning (the row is kept, the value is stored as null or, for
a label outside the code list, as text without a code, and the raw value travels with the
warning in `cell_warnings`). Every problem names its row as the sheet shows it
(`sheet_row`), the column letter and the header as the department wrote it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from minsheng.catalogue import dictionary
from minsheng.catalogue.codes import code_map, item_labels
from minsheng.catalogue.registry import Column, Source

from . import normalise as nz
from .mapping import ColumnUse, Mapped

__all__ = ["ID_WARNINGS", "REASONS", "ParsedFile", "column_limits", "reasons_table", "validate"]

# Why a row is quarantined (its first blocking problem). English msgids: the pages and the
# report show them translated (sources.report).
REASONS = {
    "blank_row": "the row is empty",
    "malformed_row": "the row does not have the file's shape",
    "summary_row": "a total row (合计/总计) under the table, not a person",
    "signature_row": "a signature line (制表人/审核人/填表日期), not a person",
    "bad_date": "a required date is missing or not a date",
    "missing_required": "a required value is missing",
    "bad_uscc": "the unified social credit code fails its GB 32100 check",
    "no_identifying_data": "no usable ID number and no name: the row cannot be linked",
    "too_long": "the value is too long or too large for its column",
    "unmapped_code": "the value is none of the column's codes",
    "date_in_future": "the date lies in the future",
    "date_before_birth": "the date is before the person's birth",
    "ambiguous_numeric_date": "a number such as 1990.1 cannot tell January from October",
    "hidden_row_conflict": "a hidden row with the key of a visible row and other values",
}

# What was noticed in a row that was kept: the value named is stored as null (or, for
# `unmapped_code`, as text without a code) and the raw value is kept with the warning.
WARNINGS = {
    "unmapped_code": "the value is none of the column's codes: kept as text, without a code",
    "month_precision": "a month without a day: read as the first of the month",
    "ambiguous_numeric_date": "a number such as 1990.1 cannot tell January from October: no value",
    "date_in_future": "the date lies in the future: no value",
    "date_before_birth": "the date is before the person's birth: no value",
    "bad_value": "the value cannot be read for its column: no value",
    "hidden_row": "the row is hidden in the sheet (a filter or by hand); imported all the same",
    "conflicting_duplicate": "another row of the file has the same key and another value here",
    "float_precision_lost": "the ID went through a spreadsheet number and lost digits: no ID",
    "float_precision_suspect": "the ID may have gone through a spreadsheet number: to confirm",
    "not_an_id": "the text is no ID number: no ID",
    "bad_id": "the ID number is not valid: no ID",
}

# Items whose conflicting values within one file are pointed out on every row concerned.
WATCHED_ITEMS = frozenset({"identity.death_date", "identity.birth_date", "identity.sex"})

_SUMMARY = r"^[\s,\t\"]*(?:合\s*计|总\s*计|小\s*计|共\s*计)"
_SIGNATURE = r"(?:制表人|审核人|填表人|填报人|制表日期|填表日期|填报日期|负责人|审核日期)\s*[:：]"

# What the tables a row is written to can hold. PostgreSQL refuses a longer value, and with
# it the load of the whole file (SQLite would keep it), so such a row is quarantined
# instead (`too_long`). The fact tables (sources.models._fields_for): a name varchar(64),
# sex varchar(1), a USCC varchar(32), a code's mapped value `<column>_code` varchar(16), an
# amount numeric(16, 2); the person index takes the name and sex from the same values.
# The archive (residents.models) holds the integer items as int4 and the amount items as
# numeric(14, 2), so a column feeding one is held to that too, or the archive refresh fails.
# A test holds these figures equal to the models'.
TEXT_LIMITS = {"name": 64, "sex": 1, "uscc": 32}
CODE_LIMIT = 16
FACT_DECIMAL_DIGITS = 14  # integer digits of numeric(16, 2)
ARCHIVE_DECIMAL_DIGITS = 12  # integer digits of numeric(14, 2)
ARCHIVE_INTEGER_MAX = 2**31 - 1

# ID errors that leave the ID usable: the value is kept, linkage confirms it.
ID_WARNINGS = frozenset({"float_precision_suspect"})


@dataclass
class ParsedFile:
    path: Path
    source: Source
    encoding: str  # "utf-8", "utf-8-sig", "gb18030", "utf-16", "xlsx" or "xls"
    sha256: str
    size_bytes: int
    headers: list[str]  # the header row as found
    accepted: pl.DataFrame
    quarantined: pl.DataFrame
    # Values that did not normalise but did not block the row: "column:code" → rows.
    warnings: dict[str, int] = field(default_factory=dict)
    sheet_name: str | None = None  # the data sheet of a workbook
    other_sheets: list[str] = field(default_factory=list)
    header_row: int = 1  # the header's row as the spreadsheet shows it
    columns: list[ColumnUse] = field(default_factory=list)
    file_warnings: list[dict[str, object]] = field(default_factory=list)
    # One row per warning of an accepted row: row, sheet_row, column, letter, header, code,
    # raw_value (column null for a whole-row warning such as hidden_row).
    cell_warnings: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=WARNING_SCHEMA))

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


WARNING_SCHEMA = {
    "row": pl.Int64,
    "sheet_row": pl.Int64,
    "column": pl.String,
    "letter": pl.String,
    "header": pl.String,
    "code": pl.String,
    "raw_value": pl.String,
}
_PROBLEM = pl.Struct(
    {"blocks": pl.Boolean, "code": pl.String, "column": pl.String, "raw_value": pl.String}
)


@dataclass
class _Built:
    values: list[pl.Expr]  # the normalised columns, by name
    # (blocks the row?, code, column, failed): blocking ones in the order they are reported
    problems: list[tuple[bool, str, str | None, pl.Expr]]


def column_limits(col: Column) -> dict[str, int]:
    """What one column's values may reach: `chars` (characters of the value), `code_chars`
    (characters of its mapped code), `digits` (integer digits of an amount), `max` (the
    magnitude of an integer). Empty when the tables hold anything the column parses to."""
    item = dictionary.item(col.item) if col.item else None
    limits: dict[str, int] = {}
    if col.kind in TEXT_LIMITS:
        limits["chars"] = TEXT_LIMITS[col.kind]
    if col.kind == "code" and code_map(col):
        limits["code_chars"] = CODE_LIMIT
    if col.kind == "decimal":
        archived = item is not None and item.type == "decimal" and not item.encrypted
        limits["digits"] = ARCHIVE_DECIMAL_DIGITS if archived else FACT_DECIMAL_DIGITS
    if col.kind == "integer" and item is not None and item.type == "integer":
        limits["max"] = ARCHIVE_INTEGER_MAX
    return limits


def _too_long(col: Column, value: pl.Expr, coded: pl.Expr | None) -> pl.Expr | None:
    limits = column_limits(col)
    failed = []
    if "chars" in limits:
        failed.append(value.str.len_chars() > limits["chars"])
    if "code_chars" in limits and coded is not None:
        failed.append(coded.str.len_chars() > limits["code_chars"])
    if "digits" in limits:
        failed.append(value.abs() >= 10 ** limits["digits"])
    if "max" in limits:
        failed.append(value.abs() > limits["max"])
    return pl.any_horizontal(failed) if failed else None


def _build(mapped: Mapped, present: set[str], today: date) -> _Built:
    src, overrides = mapped.source, mapped.overrides
    b = _Built([], [])
    for col in src.columns:
        name = col.name
        if name not in present:
            b.values.append(pl.lit(None, dtype=pl.String).alias(name))
            continue
        raw = pl.col(f"raw:{name}")
        has_raw = nz.blank_to_null(raw).is_not_null()
        kind = col.kind
        coded = None
        bad: pl.Expr | None = None  # a value given that does not parse
        if kind == "id":
            continue  # done per distinct value in _apply_ids
        if kind == "name":
            value = nz.parse_name(raw)
        elif kind == "sex":
            value = nz.parse_sex(raw)
            bad = has_raw & value.is_null()
        elif col.is_date:
            if kind == "datetime":
                value = nz.parse_datetime(raw)
            else:
                value = nz.parse_date(raw, month_only=kind == "year_month")
            bad = has_raw & value.is_null()
            if f"num:{name}" in mapped.rows.columns:
                ambiguous = pl.col(f"num:{name}").fill_null(False) & nz.ambiguous_numeric_month(raw)
                b.problems.append((col.required, "ambiguous_numeric_date", name, ambiguous))
                bad = bad & ~ambiguous
                value = pl.when(ambiguous).then(None).otherwise(value)
            value, b.problems = _date_checks(col, value, today, b.problems)
            if kind == "date":
                month = (nz.date_precision(raw) == "month").fill_null(False) & value.is_not_null()
                b.problems.append((False, "month_precision", name, month))
        elif kind == "phone":
            value = nz.parse_phone(raw)
            bad = has_raw & value.is_null()
        elif kind == "integer":
            value = nz.integer_value(raw)
            bad = has_raw & value.is_null()
        elif kind == "decimal":
            # Read in the unit the file's header names (else the registry's), then
            # converted to the registry's: 注册资本(万元) stays in 万元, 3万元 is 3.
            use = mapped.use_of(name)
            unit = (use.unit if use else None) or col.unit
            value = nz.decimal_value(raw, unit=unit)
            if unit == "万元" and col.unit != "万元":
                value = value * 10_000
            elif unit != "万元" and col.unit == "万元":
                value = value / 10_000
            bad = has_raw & value.is_null()
        elif kind == "uscc":
            value = nz.blank_to_null(nz.to_halfwidth(raw)).str.to_uppercase()
            b.values.append(nz.uscc_valid(raw).alias(f"{name}_valid"))
        elif kind == "code":
            value = nz.blank_to_null(nz.to_halfwidth(raw))
            codes = {**code_map(col), **dict(overrides.codes.get(name, {}))}
            if codes:
                coded = nz.code_value(raw, codes, labels=item_labels(col))
                b.values.append(coded.alias(f"{name}_code"))
                b.problems.append((col.required, "unmapped_code", name, has_raw & coded.is_null()))
        else:
            value = nz.blank_to_null(raw)
        b.values.append(value.alias(name))
        if col.required:
            if col.is_date:
                b.problems.append((True, "bad_date", name, value.is_null() & ~has_raw | bad))
            elif kind == "uscc":
                b.problems.append((True, "missing_required", name, value.is_null()))
                b.problems.append((True, "bad_uscc", name, ~nz.uscc_valid(raw)))
            elif kind != "code" or coded is None:
                b.problems.append((True, "missing_required", name, value.is_null()))
            else:
                b.problems.append((True, "missing_required", name, ~has_raw))
        elif bad is not None:
            b.problems.append((False, "bad_value", name, bad))
        too_long = _too_long(col, value, coded)
        if too_long is not None:
            b.problems.append((True, "too_long", name, too_long))
    return b


def _date_checks(col: Column, value: pl.Expr, today: date, problems: list) -> tuple[pl.Expr, list]:
    """A date in the future (of something that has happened) or before the row person's
    birth (of an event in their life) is refused: the row, when the date is required, else
    the value, with a warning either way. `_birth` is the row's birth date (its own column,
    else the ID's)."""
    day = value.cast(pl.Date)
    checks = []
    if col.past_only:
        checks.append(("date_in_future", day > pl.lit(today)))
    if col.after_birth:
        checks.append(("date_before_birth", day < pl.col("_birth")))
    for code, failed in checks:
        failed = failed.fill_null(False)
        problems = [*problems, (col.required, code, col.name, failed)]
        value = pl.when(failed).then(None).otherwise(value)
    return value, problems


def _apply_ids(df: pl.DataFrame, src: Source, *, excel: bool) -> pl.DataFrame:
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
        res = nz.normalise_ids(raw, excel_handled=src.excel_handled or excel)
        if col.name == src.id_column:
            out += [
                res["id"].alias(col.name),
                raw.alias("id_raw"),
                res["error"].alias("id_error"),
            ]
        else:
            out += [res["id"].alias(col.name), res["error"].alias(f"{col.name}_error")]
    return df.with_columns(out)


def _id_problems(src: Source, present: set[str]) -> list[tuple[bool, str, str | None, pl.Expr]]:
    """Each unusable ID number as a warning of its own code: the row stays (when it has a
    name), the ID is stored as null and its raw text travels with the warning."""
    shown = ("float_precision_lost", "float_precision_suspect", "not_an_id")
    out = []
    for col in src.columns:
        if col.kind != "id" or col.name not in present:
            continue
        error = pl.col("id_error" if col.name == src.id_column else f"{col.name}_error")
        out += [(False, code, col.name, (error == code).fill_null(False)) for code in shown]
        other = error.is_not_null() & ~error.is_in([*shown, "empty"])
        out.append((False, "bad_id", col.name, other.fill_null(False)))
    return out


def _birth(src: Source, present: set[str]) -> pl.Expr:
    """The row person's birth date: their birth-date column, else their ID's."""
    from_id = (
        pl.col(src.id_column).str.slice(6, 8).str.to_date("%Y%m%d", strict=False)
        if src.id_column
        else pl.lit(None, pl.Date)
    )
    if "birth_date" in present and src.column("birth_date").kind == "date":
        return pl.coalesce(nz.parse_date(pl.col("raw:birth_date")), from_id)
    return from_id


# -- the whole file -------------------------------------------------------------------------


def validate(mapped: Mapped, *, today: date | None = None) -> ParsedFile:
    """Normalise, check and split the mapped rows (see the module docstring)."""
    today = today or date.today()
    sheet, src, rows = mapped.sheet, mapped.source, mapped.rows
    path, header = sheet.path, sheet.header
    header_row = getattr(sheet, "header_row", 1)
    if "_hidden" not in rows.columns:
        rows = rows.with_columns(_hidden=pl.lit(False))
    rows = _trailer_rows(rows)
    structural = rows.filter(pl.col("_status").is_not_null())
    ok = rows.filter(pl.col("_status").is_null())
    present = {c.name for c in src.columns if f"raw:{c.name}" in ok.columns}
    ok = _apply_ids(ok, src, excel=getattr(sheet, "format", "csv") != "csv")
    ok = ok.with_columns(_birth=_birth(src, present))
    built = _build(mapped, present, today)
    raw_cols = [c for c in ok.columns if c.startswith("raw:")]
    extra_cols = [c for c in ok.columns if c.startswith("extra:")]

    problems = list(built.problems) + _id_problems(src, present)
    id_unusable = (
        pl.col("id_error").is_not_null() & ~pl.col("id_error").is_in(list(ID_WARNINGS))
        if src.id_column
        else pl.lit(True)
    )
    name_missing = pl.col(src.name_column).is_null() if src.name_column else pl.lit(True)
    if src.id_column or src.name_column:
        problems.append(
            (
                True,
                "no_identifying_data",
                src.id_column or src.name_column,
                id_unusable & name_missing,
            )
        )
    problems.append((False, "hidden_row", None, pl.col("_hidden").fill_null(False)))

    def problem(blocks: bool, code: str, column: str | None, failed: pl.Expr) -> pl.Expr:
        raw = (
            pl.col(f"raw:{column}").cast(pl.String)
            if column and f"raw:{column}" in ok.columns
            else pl.lit(None, pl.String)
        )
        return pl.when(failed.fill_null(False)).then(
            pl.struct(
                blocks=pl.lit(blocks),
                code=pl.lit(code),
                column=pl.lit(column, pl.String),
                raw_value=raw,
            )
        )

    # Each problem as a flag first (cheap, vectorised); the list of problems is built only
    # for the few rows that have one: building it for every row costs a minute a million.
    flags = [f"_flag{i}" for i in range(len(problems))]
    flagged = ok.with_columns(built.values).with_columns(
        p[3].fill_null(False).alias(name) for name, p in zip(flags, problems, strict=True)
    )
    any_flag = pl.any_horizontal(flags)
    dirty = flagged.filter(any_flag).with_columns(
        _problems=pl.concat_list(
            [
                problem(b, code, column, pl.col(f))
                for f, (b, code, column, _e) in zip(flags, problems, strict=True)
            ]
        ).list.drop_nulls()
    )
    clean = flagged.filter(~any_flag).with_columns(_problems=pl.lit([], dtype=pl.List(_PROBLEM)))
    normalised = pl.concat([clean, dirty], how="vertical_relaxed").drop(flags)
    normalised = _hidden_conflicts(normalised, src)
    blocked = pl.col("_problems").list.eval(pl.element().struct.field("blocks")).list.any()
    bad = normalised.filter(blocked)
    good = _conflicting_duplicates(normalised.filter(~blocked), src)

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
    accepted = (
        good.select(*out_cols, *extra_cols, "duplicate_of")
        .with_columns(sheet_row=pl.col("row") + header_row)
        .sort("row")
    )

    where = _where(mapped)
    cell_warnings = _cell_warnings(good, header_row, where)
    warnings = (
        cell_warnings.group_by("column", "code").len().iter_rows() if cell_warnings.height else []
    )
    first = bad.select(
        "row",
        first=pl.col("_problems")
        .list.eval(pl.element().filter(pl.element().struct.field("blocks")))
        .list.first(),
        problems=pl.col("_problems").list.eval(
            pl.concat_str(
                pl.element().struct.field("code"),
                pl.lit(":"),
                pl.element().struct.field("column").fill_null(""),
            )
        ),
    ).unnest("first")
    q_struct = structural.select(
        "row",
        code=pl.col("_status"),
        column=pl.lit(None, dtype=pl.String),
        raw_value=pl.col("_line"),
        problems=pl.concat_list(pl.col("_status")),
        _detail=pl.col("_detail"),
    )
    quarantined = pl.concat(
        [q_struct, first.drop("blocks").with_columns(_detail=pl.lit(None, dtype=pl.String))],
        how="diagonal_relaxed",
    ).sort("row")
    quarantined = _located(quarantined, header_row, where).select(
        file=pl.lit(path.name),
        row="row",
        sheet_row="sheet_row",
        column="column",
        letter="letter",
        header="header",
        raw_value="raw_value",
        reason_code="code",
        reason=_reason_text(),
        problems="problems",
    )

    result = ParsedFile(
        path=path,
        source=src,
        encoding=sheet.encoding,
        sha256=sheet.sha256,
        size_bytes=sheet.size_bytes,
        headers=header,
        accepted=accepted,
        quarantined=quarantined,
        warnings={f"{c or ''}:{code}": int(n) for c, code, n in warnings},
        sheet_name=getattr(sheet, "sheet_name", None),
        other_sheets=list(getattr(sheet, "other_sheets", []) or []),
        header_row=header_row,
        columns=mapped.columns,
        file_warnings=mapped.file_warnings,
        cell_warnings=cell_warnings,
    )
    _check_balance(result, rows.height)
    return result


def _trailer_rows(rows: pl.DataFrame) -> pl.DataFrame:
    """A 合计 row or a 制表人/审核人 line under the table is not a malformed person row:
    say what it is (the row is quarantined either way)."""
    line = pl.col("_line").fill_null("")
    summary = line.str.contains(_SUMMARY)
    signature = line.str.contains(_SIGNATURE)
    candidate = pl.col("_status").is_null() | (pl.col("_status") == "malformed_row")
    return rows.with_columns(
        _status=pl.when(candidate & summary)
        .then(pl.lit("summary_row"))
        .when(candidate & signature)
        .then(pl.lit("signature_row"))
        .otherwise("_status"),
        _detail=pl.when(candidate & (summary | signature)).then(None).otherwise("_detail"),
    )


def _hidden_conflicts(df: pl.DataFrame, src: Source) -> pl.DataFrame:
    """A hidden row (filtered out) with the key of a visible row and other values is the
    superseded record: it is quarantined and the visible row stands."""
    key = _key_exprs(src, df)
    if not key or not df["_hidden"].any():
        return df
    raw_cols = [c for c in df.columns if c.startswith("raw:")]
    visible_fp = (
        df.filter(~pl.col("_hidden"))
        .select(*[k.alias(f"_k{i}") for i, k in enumerate(key)], _vfp=pl.struct(raw_cols).hash(0))
        .group_by([f"_k{i}" for i in range(len(key))])
        .agg(pl.col("_vfp"))
    )
    keyed = df.with_columns(
        *[k.alias(f"_k{i}") for i, k in enumerate(key)], _fp=pl.struct(raw_cols).hash(0)
    ).join(visible_fp, on=[f"_k{i}" for i in range(len(key))], how="left")
    conflict = (
        pl.col("_hidden")
        & pl.col("_vfp").is_not_null()
        & ~pl.col("_vfp").list.contains(pl.col("_fp")).fill_null(False)
        & pl.all_horizontal([pl.col(f"_k{i}").is_not_null() for i in range(len(key))])
    )
    column = src.id_column or src.key_columns[0]
    raw = pl.col(f"raw:{column}") if f"raw:{column}" in df.columns else pl.lit(None, pl.String)
    extra = pl.struct(
        blocks=pl.lit(True),
        code=pl.lit("hidden_row_conflict"),
        column=pl.lit(column, pl.String),
        raw_value=raw.cast(pl.String),
    )
    return keyed.with_columns(
        _problems=pl.when(conflict)
        .then(pl.concat_list(pl.concat_list(extra), "_problems"))
        .otherwise("_problems")
    ).drop([f"_k{i}" for i in range(len(key))] + ["_fp", "_vfp"])


def _key_exprs(src: Source, df: pl.DataFrame) -> list[pl.Expr]:
    out = []
    for name in src.key_columns:
        if name not in df.columns:
            return []
        coded = f"{name}_code"
        out.append(pl.col(coded) if coded in df.columns else pl.col(name).cast(pl.String))
    return out


def _conflicting_duplicates(df: pl.DataFrame, src: Source) -> pl.DataFrame:
    """Rows of one key that disagree on a watched item (a death date): each is flagged, so
    that the choice between them is visible, not a silent last-wins."""
    key = _key_exprs(src, df)
    watched = [
        c.name
        for c in src.columns
        if c.item in WATCHED_ITEMS
        and f"raw:{c.name}" in df.columns
        and c.name not in src.key_columns
    ]
    if not key or not watched or df.is_empty():
        return df
    keyed = pl.all_horizontal([k.is_not_null() for k in key])
    # only rows whose key occurs more than once can disagree (a few in a million)
    repeated = df.select((keyed & pl.struct(key).is_duplicated()).alias("r")).to_series()
    if not repeated.any():
        return df
    extras = []
    for name in watched:
        differs = keyed & (pl.col(name).drop_nulls().n_unique().over(key) > 1)
        extras.append(
            pl.when(differs).then(
                pl.struct(
                    blocks=pl.lit(False),
                    code=pl.lit("conflicting_duplicate"),
                    column=pl.lit(name, pl.String),
                    raw_value=pl.col(f"raw:{name}").cast(pl.String),
                )
            )
        )
    flagged = df.filter(repeated).with_columns(
        _problems=pl.concat_list("_problems", pl.concat_list(extras).list.drop_nulls())
    )
    return pl.concat([df.filter(~repeated), flagged])


def _where(mapped: Mapped) -> pl.DataFrame:
    """Declared column → the file's column letter and header it was read from."""
    used = [(c.maps_to, c.letter, c.header) for c in mapped.columns if c.used]
    return pl.DataFrame(
        used, schema={"column": pl.String, "letter": pl.String, "header": pl.String}, orient="row"
    )


def _located(df: pl.DataFrame, header_row: int, where: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(sheet_row=pl.col("row") + header_row).join(
        where, on="column", how="left", maintain_order="left"
    )


def _cell_warnings(good: pl.DataFrame, header_row: int, where: pl.DataFrame) -> pl.DataFrame:
    w = (
        good.select("row", "_problems")
        .filter(pl.col("_problems").list.len() > 0)
        .explode("_problems")
        .unnest("_problems")
        .drop("blocks")
    )
    if w.is_empty():
        return pl.DataFrame(schema=WARNING_SCHEMA)
    return _located(w, header_row, where).select(*WARNING_SCHEMA).cast(WARNING_SCHEMA).sort("row")


def _reason_text() -> pl.Expr:
    """An English sentence naming the header (as the department wrote it) and the value;
    the pages translate the reason by its code."""
    base = pl.col("code").replace_strict(REASONS, default=pl.col("code"))
    return (
        pl.when(pl.col("column").is_not_null())
        .then(
            pl.format(
                "{}: {} ({})",
                pl.coalesce("header", "column"),
                base,
                pl.col("raw_value").fill_null("empty"),
            )
        )
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
