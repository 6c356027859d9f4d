"""The source registry and the parse → normalise → quarantine step, on the small city."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from minsheng.catalogue import dictionary
from minsheng.catalogue.registry import UnknownSource, source, sources
from minsheng.sources import normalise as nz
from minsheng.sources.mapping import source_of
from minsheng.sources.parse import read_source_file
from minsheng.sources.read import SourceFileError, decode, detect_encoding
from minsheng.sources.validate import ParsedFile

EXPECTED_SOURCES = {
    "gongan_hukou",
    "gongan_death",
    "grid_census",
    "rs_employment",
    "rs_insurance",
    "rs_pension",
    "sbk_card",
    "mz_assistance",
    "wj_death",
    "edu_graduates",
    "cl_disability",
    "va_veterans",
    "scjg_business",
    "rs_handling_log",
}


@pytest.fixture(scope="module")
def parsed(synth_city: Path) -> dict[str, ParsedFile]:
    return {p.name: read_source_file(p) for p in sorted((synth_city / "exports").iterdir())}


@pytest.fixture(scope="module")
def truth(synth_city: Path) -> pl.DataFrame:
    rows = pl.read_parquet(synth_city / "truth" / "rows.parquet")
    persons = pl.read_parquet(synth_city / "truth" / "persons.parquet").select(
        "person_id", true_id="id_number", true_name="name"
    )
    return rows.join(persons, on="person_id", how="left")


def outcome(parsed: dict[str, ParsedFile], truth: pl.DataFrame) -> pl.DataFrame:
    """Truth rows joined with what the parser made of them (accepted or quarantined)."""
    parts = []
    for name, p in parsed.items():
        acc = p.accepted.select(
            "row",
            id_number=pl.col(p.source.id_column),
            id_error=pl.col("id_error"),
            name=pl.col(p.source.name_column),
        ).with_columns(file=pl.lit(name), reason_code=pl.lit(None, dtype=pl.String))
        q = p.quarantined.select("file", "row", "reason_code", "raw_value")
        parts += [acc, q]
    out = pl.concat(parts, how="diagonal_relaxed")
    return truth.join(out, on=["file", "row"], how="left")


def with_dirt(df: pl.DataFrame, code: str) -> pl.DataFrame:
    return df.filter(pl.col("dirt").str.split(",").list.contains(code))


# -- registry -------------------------------------------------------------------------------


def test_it_declares_the_fourteen_export_sources_with_known_departments_and_items():
    assert {s.name for s in sources()} == EXPECTED_SOURCES
    known_items = {i.code for i in dictionary.items()}
    for s in sources():
        assert s.name in dictionary.SOURCES
        assert s.format in ("csv", "xlsx")
        assert set(s.items) <= known_items, s.name
        assert s.key_columns


def test_it_detects_every_export_of_the_city_by_file_name(synth_city):
    found = {source_of(p).name for p in (synth_city / "exports").iterdir()}
    assert found == EXPECTED_SOURCES


def test_it_falls_back_to_headers_when_the_file_name_is_unknown(synth_city, tmp_path):
    given = next((synth_city / "exports").glob("wj_death_*.csv"))
    renamed = tmp_path / "death_certificates_export.csv"
    renamed.write_bytes(given.read_bytes())
    assert source_of(renamed).name == "wj_death"


def test_it_names_the_file_when_no_source_fits(tmp_path):
    path = tmp_path / "mystery_20260101.csv"
    path.write_text("甲,乙,丙\n1,2,3\n", encoding="utf-8")
    with pytest.raises(UnknownSource, match="mystery_20260101.csv"):
        source_of(path)
    with pytest.raises(UnknownSource, match="nope"):
        source("nope")


# -- whole files ----------------------------------------------------------------------------


def test_it_parses_every_file_and_balances_read_with_accepted_plus_quarantined(parsed, truth):
    assert {p.source.name for p in parsed.values()} == EXPECTED_SOURCES
    for name, p in parsed.items():
        rows = pl.concat([p.accepted["row"], p.quarantined["row"]]).sort()
        true_rows = truth.filter(file=name)["row"].sort()
        assert p.read == p.accepted.height + p.quarantined.height
        assert rows.to_list() == true_rows.to_list(), name
        assert len(p.sha256) == 64


def test_it_reports_the_encoding_of_each_export(parsed):
    enc = {p.source.name: p.encoding for p in parsed.values()}
    assert enc["gongan_hukou"] == "gb18030"
    assert enc["grid_census"] == "utf-8-sig"
    assert enc["rs_insurance"] == "utf-8"
    assert enc["edu_graduates"] == "xlsx"


def test_it_quarantines_blank_and_malformed_rows_with_their_reason(parsed, truth):
    out = outcome(parsed, truth)
    for code, reason in (("blank", "blank_row"), ("malformed", "malformed_row")):
        rows = with_dirt(out, code)
        assert rows.height > 0
        # a 合计 line among the malformed ones is named for what it is
        total = rows["raw_value"].str.starts_with("合计").fill_null(False)
        expected = [("summary_row" if t else reason) for t in total.to_list()]
        assert rows["reason_code"].to_list() == expected, code
    # and nothing else is quarantined in the small city
    clean = out.filter(~pl.col("dirt").str.contains("blank|malformed"))
    assert clean["reason_code"].null_count() == clean.height


@pytest.mark.parametrize("code", ["id_15_digit", "id_fullwidth", "id_lowercase_x", "id_space_dash"])
def test_it_normalises_formatting_dirt_in_ids_to_the_true_number(parsed, truth, code):
    rows = with_dirt(outcome(parsed, truth), code)
    assert rows.height > 0
    bad = rows.filter(pl.col("id_number") != pl.col("true_id"))
    assert bad.is_empty(), bad.head()


@pytest.mark.parametrize(
    ("code", "errors"),
    [
        ("id_typo", {"bad_check_digit", "bad_birth_date", "bad_area_code"}),
        ("id_transposition", {"bad_check_digit", "bad_birth_date", "bad_area_code"}),
        ("id_excel_float", {"float_precision_lost", "float_precision_suspect"}),
        ("id_missing", {"empty"}),
    ],
)
def test_it_flags_unrecoverable_ids_and_keeps_the_row_for_linkage(parsed, truth, code, errors):
    rows = with_dirt(outcome(parsed, truth), code)
    assert rows.height > 0
    # Accepted (the name is there), with the error code linkage will act on.
    assert rows["reason_code"].null_count() == rows.height
    assert set(rows["id_error"].to_list()) <= errors, rows["id_error"].value_counts()
    # A typo that happens to be another valid number would be a silent mislink.
    assert rows.filter(pl.col("id_error").is_null()).is_empty()


def test_it_normalises_spaced_and_traditional_names(parsed, truth):
    out = outcome(parsed, truth)
    spaced = with_dirt(out, "name_space")
    assert spaced.height > 0
    assert spaced.filter(pl.col("name") != pl.col("true_name")).is_empty()
    trad = with_dirt(out, "name_traditional")
    assert trad.height > 0
    covered = trad.filter(
        pl.col("true_name").str.replace_many(
            {v: k for k, v in nz.TRADITIONAL_TO_SIMPLIFIED.items()}
        )
        != pl.col("true_name")
    )
    assert covered.height > 0
    assert covered.filter(pl.col("name") != pl.col("true_name")).is_empty()


def test_it_flags_exact_duplicates_with_the_first_row(parsed, truth):
    dups = 0
    for p in parsed.values():
        flagged = p.accepted.filter(pl.col("duplicate_of").is_not_null())
        assert (flagged["duplicate_of"] < flagged["row"]).all()
        dups += flagged.height
    assert dups >= with_dirt(truth, "duplicate").height * 0.9


def test_it_keeps_id_raw_and_error_columns_for_linkage(parsed):
    for p in parsed.values():
        assert {"row", "id_raw", "id_error", "duplicate_of"} <= set(p.accepted.columns)


# -- value normalisation --------------------------------------------------------------------


def test_it_parses_every_date_format_the_departments_write():
    raw = [
        "2024-03-05",
        "2024/3/5",
        "20240305",
        "2024年3月5日",
        "45356",
        "45356.0",
        "2024-03-05 14:23",
        "2024-03-05 00:00:00",
        "２０２４-03-05",
    ]
    got = pl.DataFrame({"s": raw}).select(nz.parse_date(pl.col("s"))).to_series().to_list()
    assert got == [date(2024, 3, 5)] * len(raw)
    months = pl.DataFrame({"s": ["2024.03", "202403", "2024-03", "2024年3月"]})
    got = months.select(
        d=nz.parse_date(pl.col("s"), month_only=True), p=nz.date_precision(pl.col("s"))
    )
    assert got["d"].to_list() == [date(2024, 3, 1)] * 4
    assert got["p"].to_list() == ["month"] * 4
    bad = pl.DataFrame({"s": ["2024-13-01", "abc", "", None]}).select(nz.parse_date(pl.col("s")))
    assert bad.to_series().null_count() == 4


def test_it_parses_date_times():
    s = pl.DataFrame({"s": ["2026-03-05 09:12:33", "2024-03-05 14:23", "2024/3/5"]})
    got = s.select(nz.parse_datetime(pl.col("s"))).to_series().to_list()
    assert got == [
        datetime(2026, 3, 5, 9, 12, 33),
        datetime(2024, 3, 5, 14, 23),
        datetime(2024, 3, 5),
    ]


def test_it_normalises_sex_phone_and_codes():
    df = pl.DataFrame({"s": ["男", "女", "1", "2", "男性", "女性", "x", None]})
    assert df.select(nz.parse_sex(pl.col("s"))).to_series().to_list() == [
        "1",
        "2",
        "1",
        "2",
        "1",
        "2",
        None,
        None,
    ]
    phones = pl.DataFrame({"s": ["+86 139-1234-5678", "0473-1234567", "12345", "8613912345678"]})
    assert phones.select(nz.parse_phone(pl.col("s"))).to_series().to_list() == [
        "13912345678",
        "04731234567",
        None,
        "13912345678",
    ]
    codes = pl.DataFrame({"s": ["正常（人户分离）", "正常(人户分离)", "死亡注销", "?"]})
    mapping = {"正常（人户分离）": "1", "死亡注销": "3"}
    assert codes.select(nz.code_value(pl.col("s"), mapping)).to_series().to_list() == [
        "1",
        "1",
        "3",
        None,
    ]


def test_it_checks_uscc_like_the_generator():
    from minsheng.synth.ids import uscc_is_valid

    values = ["91150302621808053N", "91150302621808053M", "1215030480243728X6", "short"]
    got = pl.DataFrame({"s": values}).select(nz.uscc_valid(pl.col("s"))).to_series().to_list()
    assert got == [uscc_is_valid(v) for v in values]


def test_it_turns_a_numeric_workbook_id_into_a_precision_loss():
    ids = pl.Series([nz.excel_numeric_id_text(1.5030319990325e17), "150303199903249984"])
    assert nz.normalise_ids(ids)["error"].to_list()[0] == "float_precision_lost"


# -- encodings and file errors --------------------------------------------------------------


def test_it_detects_gb18030_utf8_and_bom():
    text = "姓名,身份证号\n王伟,150302196701186231\n"
    assert detect_encoding(text.encode("gb18030")) == "gb18030"
    assert detect_encoding(text.encode("utf-8")) == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbf" + text.encode("utf-8")) == "utf-8-sig"
    assert decode(text.encode("gb18030"))[0] == text


def test_it_names_the_file_the_column_and_the_headers_when_a_required_column_is_missing(
    tmp_path,
):
    path = tmp_path / "wj_death_20261107.csv"
    path.write_text("死者姓名,证件号码,出生日期\n王伟,150302196701186231,1967-01-18\n", "utf-8")
    with pytest.raises(SourceFileError) as err:
        read_source_file(path)
    msg = str(err.value)
    assert err.value.code == "missing_required_column"
    assert "wj_death_20261107.csv" in msg
    assert "死亡时间" in msg
    # the headers it has are not listed as if they were the missing ones
    assert "死者姓名" not in msg


def test_it_quarantines_rows_without_id_or_name_and_bad_required_dates(tmp_path):
    path = tmp_path / "gongan_death_20261110.csv"
    path.write_text(
        "姓名,身份证号,性别,出生日期,死亡日期,注销日期,注销原因,户籍地址,派出所\n"
        "王伟,150302196701186231,男,1967-01-18,2024-03-05,,死亡,地址,所\n"
        ",123,男,1967-01-18,2024-03-05,,死亡,地址,所\n"
        "李娜,150302196701186231,女,1967-01-18,不详,,死亡,地址,所\n"
        ",,,,,,,,\n"
        "合计：4条\n"
        "王伟,15030219670118623,男,1967-01-18,2024-03-05,,死亡,地址,所\n",
        "gb18030",
    )
    p = read_source_file(path)
    assert p.encoding == "gb18030"
    assert p.read == 6
    assert p.accepted["row"].to_list() == [1, 6]
    assert p.accepted.filter(row=6)["id_error"].item() == "bad_length"
    q = {r["row"]: r for r in p.quarantined.iter_rows(named=True)}
    assert q[2]["reason_code"] == "no_identifying_data"
    assert q[3]["reason_code"] == "bad_date" and q[3]["raw_value"] == "不详"
    assert "死亡日期" in q[3]["reason"]
    assert q[4]["reason_code"] == "blank_row"
    assert q[5]["reason_code"] == "summary_row" and q[5]["raw_value"] == "合计：4条"
