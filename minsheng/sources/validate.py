"""Stage 3 of an import, validate and normalise: mapped rows → accepted and quarantined.

`validate(mapped)` normalises every declared column by its kind (IDs, names, dates, phones,
codes, amounts), checks what a row cannot do without, and splits the rows: `accepted` holds
one typed row per usable input row (with the raw ID kept for linkage), `quarantined` one row
per rejected input row with its first blocking problem. Every input row number appears in
exactly one of them; that invariant is asserted here, because an importer that silently
drops a row is worse than one that stops. No database and no Django here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from minsheng.catalogue import dictionary
from minsheng.catalogue.codes import code_map
from minsheng.catalogue.registry import Column, Source

from . import normalise as nz
from .mapping import Mapped

__all__ = ["ID_WARNINGS", "REASONS", "ParsedFile", "column_limits", "reasons_table", "validate"]

REASONS = {
    "blank_row": "the row is empty",
    "malformed_row": "the row does not have the file's shape",
    "bad_date": "a required date is missing or not a date",
    "missing_required": "a required value is missing",
    "bad_uscc": "the unified social credit code fails its GB 32100 check",
    "no_identifying_data": "no usable ID number and no name: the row cannot be linked",
    "too_long": "the value is too long or too large for its column",
}

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


@dataclass
class _Built:
    exprs: list[pl.Expr]
    checks: list[tuple[str, str, pl.Expr]]  # (reason, column, failed) in blocking order
    warnings: list[tuple[str, pl.Expr]]


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
        coded = None
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
            codes = code_map(col)
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
        too_long = _too_long(col, value, coded)
        if too_long is not None:
            b.checks.append(("too_long", name, too_long))
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


def validate(mapped: Mapped) -> ParsedFile:
    """Normalise, check and split the mapped rows (see the module docstring)."""
    sheet, src, rows = mapped.sheet, mapped.source, mapped.rows
    path, header = sheet.path, sheet.header
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
        encoding=sheet.encoding,
        sha256=sheet.sha256,
        size_bytes=sheet.size_bytes,
        headers=header,
        unknown_columns=mapped.unknown_columns,
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
