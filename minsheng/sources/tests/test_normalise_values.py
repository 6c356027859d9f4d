"""Value normalisation (`minsheng.sources.normalise`) on the cells of the office-file corpus.

The expected values and warnings are the manifest's (tests/files/MANIFEST.json, see its
`schema`). The raw text of each cell is quoted here as the reader hands it over: the text
of a text cell, the stored text of a number cell (`number=True`), or, for a number cell
whose format shows more than is stored, the text shown (`shown=True`).
`test_it_quotes_cells_that_are_in_the_files` checks that every quoted cell is in its file.
Plain pytest: no database, no reader.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache, partial
from html import escape
from pathlib import Path

import polars as pl
import pytest

from minsheng.catalogue import dictionary, registry
from minsheng.catalogue.codes import code_map
from minsheng.sources import normalise as nz

FILES = Path(__file__).resolve().parents[3] / "tests" / "files"
TODAY = date(2026, 11, 30)  # after the newborn of the corpus (2026-05-09), as its README says


@dataclass(frozen=True)
class Cell:
    file: str
    row: int  # as the sheet shows it
    column: str  # registry column name
    raw: str | float | None
    number: bool = False  # a number cell: `raw` is its stored text (a float for .xls)
    shown: bool = False  # `raw` is what the cell's number format shows, not what is stored


def cells(file: str, column: str, first: int, raws: list, *, numbers=(), shown=()) -> list[Cell]:
    return [
        Cell(file, first + i, column, raw, number=first + i in numbers, shown=first + i in shown)
        for i, raw in enumerate(raws)
    ]


# -- the manifest ---------------------------------------------------------------------------


@cache
def entry(file: str) -> dict:
    manifest = json.loads((FILES / "MANIFEST.json").read_text(encoding="utf-8"))
    return next(e for e in manifest["files"] if e["file"] == file)


def manifest_row(cell: Cell) -> dict:
    return next(r for r in entry(cell.file)["rows"] if r["row"] == cell.row)


def expected(cell: Cell):
    """The manifest's normalised value; null for a quarantined row (its value is unused)."""
    row = manifest_row(cell)
    return (row.get("values") or {}).get(cell.column) if row["outcome"] == "accepted" else None


def warned(cell: Cell) -> set[str]:
    """Codes of the manifest's warnings (and quarantine reason) on the cell's column."""
    letter = next(
        c["letter"]
        for c in entry(cell.file)["columns"]
        if c["maps_to"] == cell.column and c.get("used", True)
    )
    row = manifest_row(cell)
    found = [w for w in row.get("warnings") or [] if w["column"] == letter]
    if (reason := row.get("reason")) and reason["column"] == letter:
        found.append(reason)
    return {w["code"] for w in found}


def column(cell: Cell) -> registry.Column:
    return registry.source(entry(cell.file)["source"]).column(cell.column)


def run(expr, raws: list) -> list:
    frame = pl.DataFrame({"s": raws}, schema={"s": pl.String})
    return frame.select(expr(pl.col("s")).alias("v"))["v"].to_list()


def text(value) -> str | None:
    """A normalised value in the manifest's notation."""
    if value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value.isoformat()


# -- the cells --------------------------------------------------------------------------------

AMOUNTS = cells(
    "mz_dibao_amounts_yuan_symbols.xlsx",
    "monthly_amount",
    2,
    ["¥1,234.50", "1234.5元", "７８０", "655", "￥ 980.00", "1,020", "812.4"],
    numbers={5, 8},
) + cells(
    "rs_insurance_header_spaces_utf8_bom.csv",
    "contribution_base",
    2,
    ["5,200.00", "5,200.00", "5,200.00", "4500", "4500"],
)
CAPITAL = cells(  # 注册资本(万元): the header counts 万元
    "scjg_business_halfwidth_brackets_units.csv",
    "registered_capital",
    2,
    ["500", "3万元", "1,000.00", "", "200万"],
)
COUNTS = (
    cells(
        "mz_dibao_amounts_yuan_symbols.xlsx",
        "household_size",
        2,
        ["3人", "2人", "１人", "1", "4", "1户4人", "3人"],
        numbers={5},
    )
    + cells(
        "scjg_business_halfwidth_brackets_units.csv", "employees", 2, ["36人", "2人", "０", "3", ""]
    )
    + [
        cell
        for name, raws in (
            ("benefit_months_approved", ["12个月", "24", "", "", "6个月"]),
            ("benefit_months_drawn", ["3个月", "2", "", "", "6个月"]),
            ("benefit_months_left", ["9个月", "22", "", "", "0个月"]),
        )
        for cell in cells("rs_employment_counts_with_units_gb18030.csv", name, 2, raws)
    ]
)
DATES = (
    cells(
        "mz_dibao_household_list_synonyms.csv",
        "approval_date",
        2,
        [
            "2023.5.12",
            "二〇二三年五月",
            "2023年5月12日",
            "二〇二二年十一月三日",
            "2024.10.8",
            "2021/7/1",
        ],
    )
    + cells(
        "edu_graduates_dates_chinese_numerals.xlsx",
        "graduation_date",
        2,
        ["二〇二五年六月", "2025.6.30", "45839", "二〇二四年七月一日", "45838", "2025.06"],
        numbers={4, 6},
    )
    + cells(
        "grid_census_middle_dot_names_utf8_bom.csv",
        "birth_date",
        2,
        ["1988-04-17", "1985/9/2", "1979年1月23日", "19830711", "1995-11-30", "1972/2/8"],
    )
    + cells(
        "sbk_card_comma_separated_txt.txt",
        "issue_date",
        2,
        ["2023年4月18日", "2016年9月5日", "2014年3月5日", "2024年1月9日", "2015年11月20日"],
    )
    + cells(
        "gongan_hukou_tab_separated.csv",
        "birth_date",
        2,
        ["19750618", "19770209", "20040901", "19681105", "19420416", "19950727"],
    )
    + cells(  # 死亡时间 in a 公安 list is the date of death: the time is dropped
        "gongan_death_synonym_headers.csv",
        "death_date",
        2,
        ["2026-05-03 06:20", "2026/5/8", "2026-06-11 23:55", "2026年7月2日"],
    )
    + cells(
        "va_veterans_form_xls_97.xls",
        "birth_month",
        3,
        ["1965.03", "1972.08", "1985.12", "1990.06", "1948.01", "1962.10", "1998.04", "1975.07"],
    )
    + cells(
        "va_veterans_form_xls_97.xls",
        "enlist_date",
        3,
        ["1983.10", "1990.03", "2003.12", "2008.12", "1966.03", "1979.11", "2016.09", "1993.12"],
    )
    + cells("va_veterans_form_xls_97.xls", "discharge_date", 9, ["2024/3/5"])
)
# 出生年月 / 入伍时间 / 退役时间 typed as numbers (and a few as text): the reader marks the
# number cells, whose 1990.1 cannot tell January from October.
NUMERIC_MONTHS = (
    cells(
        "va_veterans_birth_month_typed_as_number.xlsx",
        "birth_month",
        2,
        ["1965.03", "1990.1", "1990.10", "1988.12", "1976.1", "199210"],
        numbers={2, 3, 4, 5},
        shown={4},  # stored 1990.1, formatted 0.00: the reader gives what the cell shows
    )
    + cells(
        "va_veterans_birth_month_typed_as_number.xlsx",
        "enlist_date",
        2,
        ["1983.11", "2008.12", "2009.12", "2006.09", "1994.12", "2010.1"],
        numbers={2, 3, 5, 6, 7},
    )
    + cells(
        "va_veterans_birth_month_typed_as_number.xlsx",
        "discharge_date",
        2,
        ["36495", "41609", "2014.12", "45356", "36130", "42248"],
        numbers={2, 3, 4, 5, 6, 7},
    )
)
DATETIMES = cells(
    "wj_death_certificates_conflicting_time.csv",
    "death_time",
    2,
    ["2026-03-13 22:40", "2026-04-06 05:15", "2026-05-19 16:48", "2026-06-02 09:03"],
)
NAMES = cells(
    "grid_census_middle_dot_names_utf8_bom.csv",
    "name",
    2,
    ["阿依古丽·吐尔逊", "买买提•艾力", "娜仁・其其格", "巴特尔．朝鲁", "热依拉 . 艾买提", "马文礼"],
)
CODES = (
    cells(
        "cl_disability_codes_outside_list.xlsx",
        "disability_type",
        2,
        ["肢体残疾", "肢体", "视力残疾", "听力语言", "精神", "智力残疾", "多重残疾", "言语"],
    )
    + cells(
        "cl_disability_codes_outside_list.xlsx",
        "grade",
        2,
        ["贰级", "Ⅳ级", "一级", "叁级", "4级", "二级", "待评定", "Ⅱ级"],
    )
    + cells(
        "mz_dibao_city_rural_codes_gb18030.csv",
        "assistance_type",
        2,
        ["城市低保"] * 3 + ["农村低保"] * 2 + ["特困供养", "临时救助", "低保边缘家庭", "低保"],
    )
    + cells(
        "gongan_hukou_tab_separated.csv",
        "hukou_status",
        2,
        ["正常", "正常", "正常（人户分离）", "正常", "死亡注销", "正常(人户分离)"],
    )
)
# IDs as the reader has them: text cells as written, number cells as their stored XML text
# (xlsx) or as a float (xls); the xls float is the rounded ID Excel holds.
_LV_HAITAO = "150303198512031797"
IDS = (
    cells(
        "cl_disability_exact_18digit_number_cells.xlsx",
        "id_number",
        2,
        [
            "150302196208302155",
            "150303197001181262",
            "150304198410020399",
            "1.50302199105272e+17",
            "150302560304044",
            "150304197812120953",
        ],
        numbers={2, 3, 4, 5, 6},
    )
    + cells(
        "mz_dibao_excel_csv_scientific_ids.csv",
        "id_number",
        2,
        [
            "150304198104261530",
            "150304198309142666",
            "待补录",
            "1.50304E+17",
            "150304195712020585",
            "150304196203311000",
            "150304196606061601",
        ],
    )
    + cells(
        "mz_dibao_excel_csv_scientific_ids.csv",
        "head_id_number",
        2,
        [
            "150304198104261530",
            "150304198104261530",
            "150304198104261530",
            "150304198807152111",
            "#N/A",
            "150304196203310976",
            "1.50304E+17",
        ],
    )
    + cells(
        "mz_dibao_father_child_share_phone_unreadable_id.xlsx",
        "id_number",
        2,
        [
            "150303196802143018",
            "150303197009232845",
            "1.50303199608123e+17",
            "150303197305060195",
            "15030320081030022X",
        ],
        numbers={4},
    )
    + cells(
        "va_veterans_form_xls_97.xls",
        "id_number",
        5,
        [float(round(int(_LV_HAITAO), -3))],
        numbers={5},
    )
)
ALL = AMOUNTS + CAPITAL + COUNTS + DATES + NUMERIC_MONTHS + DATETIMES + NAMES + CODES + IDS


# -- amounts and counts -----------------------------------------------------------------------


def test_it_reads_amounts_with_currency_signs_separators_and_full_width_digits():
    got = run(nz.decimal_value, [c.raw for c in AMOUNTS])
    assert [text(v) for v in got] == [expected(c) for c in AMOUNTS]


def test_it_reads_an_amount_in_the_unit_its_header_names():
    got = run(lambda e: nz.decimal_value(e, unit="万元"), [c.raw for c in CAPITAL])
    assert [text(v) for v in got] == [expected(c) for c in CAPITAL]
    # The same cells in a column counted in 元: 万 multiplies exactly.
    got = run(nz.decimal_value, [c.raw for c in CAPITAL])
    assert [text(v) for v in got] == ["500.00", "30000.00", "1000.00", None, "2000000.00"]


def test_it_keeps_the_sign_and_gives_null_for_what_is_no_amount():
    raws = [
        "-12.50",
        "−5",
        "－３",
        "RMB 100",
        "人民币 1,234.5 元",
        "1.5万",
        "2000元整",
        "abc",
        "12元5角",
        "",
        None,
    ]
    got = run(nz.decimal_value, raws)
    assert [text(v) for v in got] == [
        "-12.50",
        "-5.00",
        "-3.00",
        "100.00",
        "1234.50",
        "15000.00",
        "2000.00",
        None,
        None,
        None,
        None,
    ]
    # 500元 in a column counted in 万元 names another unit: no value (the caller warns).
    assert run(lambda e: nz.decimal_value(e, unit="万元"), ["500元", "1.5万元"]) == [
        None,
        Decimal("1.50"),
    ]
    assert run(lambda e: nz.decimal_value(e, scale=0), ["1,234元"]) == [Decimal("1234")]


def test_it_reads_counts_written_with_their_unit():
    got = run(nz.integer_value, [c.raw for c in COUNTS])
    assert got == [expected(c) for c in COUNTS]


def test_it_reads_whole_numbers_only():
    raws = ["12.0", "12.00", "1,200", " 4 ", "３户", "1.5", "2年3个月", "12个月5", "abc", "", None]
    assert run(nz.integer_value, raws) == [12, 12, 1200, 4, 3, None, None, None, None, None, None]
    # A column counting households takes the households of 1户4人.
    assert run(lambda e: nz.integer_value(e, unit="户"), ["1户4人", "2户"]) == [1, 2]


# -- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", DATES, ids=lambda c: f"{c.file}:{c.row}:{c.column}")
def test_it_reads_dates_as_the_manifest_says(cell):
    kind = column(cell).kind
    [value] = run(lambda e: nz.parse_date(e, month_only=kind == "year_month"), [cell.raw])
    [precision] = run(nz.date_precision, [cell.raw])
    assert text(value) == expected(cell)
    month_warning = {"month_precision"} if kind == "date" and precision == "month" else set()
    assert month_warning == warned(cell) & {"month_precision"}


@pytest.mark.parametrize("cell", NUMERIC_MONTHS, ids=lambda c: f"{c.row}:{c.column}")
def test_it_drops_a_year_month_whose_number_cannot_tell_january_from_october(cell):
    kind = column(cell).kind

    def value(e: pl.Expr) -> pl.Expr:
        # What the caller does: only a number cell can be ambiguous.
        ambiguous = pl.lit(cell.number) & nz.ambiguous_numeric_month(e)
        parsed = nz.parse_date(e, month_only=kind == "year_month")
        return pl.when(ambiguous).then(None).otherwise(parsed)

    [got] = run(value, [cell.raw])
    [ambiguous] = run(nz.ambiguous_numeric_month, [cell.raw])
    [precision] = run(nz.date_precision, [cell.raw])
    assert text(got) == expected(cell)
    codes = set()
    if cell.number and ambiguous:
        codes.add("ambiguous_numeric_date")
    elif kind == "date" and precision == "month":
        codes.add("month_precision")
    assert codes == warned(cell) & {"ambiguous_numeric_date", "month_precision"}


def test_it_reads_chinese_numeral_and_full_width_dates():
    raws = {
        "二〇二三年五月": (date(2023, 5, 1), "month"),
        "二零二三年十二月三十一日": (date(2023, 12, 31), "day"),
        "二○一九年二月二十八日": (date(2019, 2, 28), "day"),
        "二〇二二年十一月三日": (date(2022, 11, 3), "day"),
        "一九九〇年十月": (date(1990, 10, 1), "month"),
        "２０２３．５．１２": (date(2023, 5, 12), "day"),
        "２０２３年５月": (date(2023, 5, 1), "month"),
        "2023年5月12号": (date(2023, 5, 12), "day"),
        "二〇二三年二月三十日": (None, "day"),
        "二〇二三年": (None, "day"),
    }
    got = run(nz.parse_date, list(raws))
    precision = run(nz.date_precision, list(raws))
    assert list(zip(got, precision, strict=True)) == list(raws.values())


def test_it_keeps_the_formats_it_read_before():
    raws = ["2024-03-05", "2024/3/5", "2024.3.5", "20240305", "2024年3月5日", "45356", "45356.5"]
    raws += ["2024-03-05 14:23", "2024-03-05 00:00:00", "2024-03-05T14:23:11.5", " 2024-3-5 "]
    assert run(nz.parse_date, raws) == [date(2024, 3, 5)] * len(raws)
    months = ["2024.03", "2024.3", "202403", "2024-03", "2024/3", "2024年3月"]
    assert run(lambda e: nz.parse_date(e, month_only=True), months) == [date(2024, 3, 1)] * 6
    assert run(nz.date_precision, months) == ["month"] * 6
    # A year_month column keeps the month of a day; nothing else is guessed.
    assert run(lambda e: nz.parse_date(e, month_only=True), ["1990-10-21"]) == [date(1990, 10, 1)]
    bad = ["2024-13-01", "2024-02-30", "24-3-5", "+2024-03-05", "2024031", "60", "abc", "", None]
    assert run(nz.parse_date, bad) == [None] * len(bad)
    assert run(nz.date_precision, ["", "  ", None, "abc"]) == [None, None, None, "day"]


def test_it_tells_only_a_year_with_the_decimal_1_as_ambiguous():
    raws = ["1990.1", " 2010.1 ", "1990.10", "1990.01", "1990.2", "1990.11", "19901", None]
    assert run(nz.ambiguous_numeric_month, raws) == [True, True] + [False] * 6


def test_it_reads_date_times_and_dates_as_date_times():
    got = run(nz.parse_datetime, [c.raw for c in DATETIMES])
    assert [v.isoformat() for v in got] == [expected(c) for c in DATETIMES]
    raws = ["2026/3/13 22:40", "2026年3月13日 22:40:05", "2026-03-13T22:40:05.250", "2026-3-13"]
    assert run(nz.parse_datetime, raws + ["2026-03-13 22:40x"]) == [
        datetime(2026, 3, 13, 22, 40),
        datetime(2026, 3, 13, 22, 40, 5),
        datetime(2026, 3, 13, 22, 40, 5),
        datetime(2026, 3, 13),
        None,
    ]


# -- names ----------------------------------------------------------------------------------------


def test_it_writes_every_middle_dot_as_u00b7():
    assert run(nz.parse_name, [c.raw for c in NAMES]) == [expected(c) for c in NAMES]
    raws = [
        "阿卜杜‧热合曼",
        "阿卜杜∙热合曼",
        "阿卜杜⋅热合曼",
        "阿卜杜･热合曼",
        "阿卜杜 · 热合曼",
        "阿卜杜.热合曼",
    ]
    assert run(nz.parse_name, raws) == ["阿卜杜·热合曼"] * len(raws)


def test_it_leaves_a_full_stop_outside_han_names_and_tidies_spaces():
    raws = ["J. Smith", "Tom Smith", "A · B", "王　伟", " 張 偉 ", "", None]
    assert run(nz.parse_name, raws) == ["J. Smith", "Tom Smith", "A·B", "王伟", "张伟", None, None]


# -- codes ----------------------------------------------------------------------------------------


def dictionary_labels(col: registry.Column) -> dict[str, str]:
    return (
        {label: code for code, label in dictionary.item(col.item).codes.items()} if col.item else {}
    )


@pytest.mark.parametrize("with_dictionary", [False, True])
def test_it_maps_labels_outside_the_code_list_as_the_manifest_says(with_dictionary):
    for name in dict.fromkeys((c.file, c.column) for c in CODES):
        group = [c for c in CODES if (c.file, c.column) == name]
        col = column(group[0])
        codes, labels = code_map(col), dictionary_labels(col) if with_dictionary else None
        got = run(partial(nz.code_value, codes=codes, labels=labels), [c.raw for c in group])
        assert got == [expected(c) for c in group], name
        # A value without a code is what the manifest warns about (or quarantines for).
        assert [v is None for v in got] == ["unmapped_code" in warned(c) for c in group], name


def test_it_accepts_the_dictionary_labels_of_the_codes():
    col = registry.source("gongan_hukou").column("hukou_status")
    raws = ["迁出", "其他注销", "死亡注销"]
    assert run(lambda e: nz.code_value(e, code_map(col)), raws) == [None, None, "3"]
    got = run(lambda e: nz.code_value(e, code_map(col), labels=dictionary_labels(col)), raws)
    assert got == ["2", "4", "3"]


def test_it_folds_numeral_scripts_and_takes_a_label_naming_one_code():
    grades = {"一级": "1", "二级": "2", "三级": "3", "四级": "4"}
    raws = ["壹级", "ⅲ级", "Ⅳ级", "４级", "四", "4", "11级", "十级", "一二级"]
    assert (
        run(lambda e: nz.code_value(e, grades), raws) == ["1", "3", "4", "4", "4", "4"] + [None] * 3
    )
    programmes = {"低保": "dibao", "特困": "tekun", "低保边缘": "dibao_edge"}
    raws = [
        "城市低保户",
        " 农村低保 ",
        "低保边缘户",
        "特困人员",
        "保",
        "非低保",
        "低保特困",
        "dibao",
    ]
    got = run(lambda e: nz.code_value(e, programmes), raws)
    assert got == ["dibao", "dibao", "dibao_edge", "tekun", None, None, None, "dibao"]


def test_it_does_not_read_a_numeral_as_a_code():
    relation = {
        "户主": "02",
        "配偶": "10",
        "子": "20",
        "女": "30",
        "孙子、孙女或外孙子、外孙女": "40",
    }
    raws = ["十", "10", "１０", "外孙女", "孙女", "女儿", "侄子", "父"]
    got = run(lambda e: nz.code_value(e, relation), raws)
    assert got == [None, "10", "10", "40", "40", None, None, None]
    yes_no = {"是": "1", "否": "0"}
    assert run(lambda e: nz.code_value(e, yes_no), ["是", "否", "不是"]) == ["1", "0", None]


def test_it_looks_each_distinct_value_up_once(monkeypatch):
    calls: list[str] = []
    code_of = nz._CodeTable.code_of

    def counted(self, value):
        calls.append(value)
        return code_of(self, value)

    monkeypatch.setattr(nz._CodeTable, "code_of", counted)
    raws = ["城市低保", "农村低保", "低保", "临时救助", None] * 20_000
    got = run(lambda e: nz.code_value(e, {"低保": "dibao"}), raws)
    assert got[:5] == ["dibao", "dibao", "dibao", None, None]
    assert sorted(calls) == sorted(["城市低保", "农村低保", "临时救助"])


# -- ID numbers -----------------------------------------------------------------------------------

ID_CODES = {"float_precision_lost", "float_precision_suspect", "not_an_id"}


@pytest.mark.parametrize("name", sorted({c.file for c in IDS}))
def test_it_reads_ids_as_the_manifest_says(name):
    group = [c for c in IDS if c.file == name]
    raw = [nz.excel_numeric_id_text(c.raw) if c.number else c.raw for c in group]
    src = registry.source(entry(name)["source"])
    out = nz.normalise_ids(pl.Series(raw), excel_handled=src.excel_handled, today=TODAY)
    assert out["id"].to_list() == [expected(c) for c in group]
    assert [{e} & ID_CODES for e in out["error"].to_list()] == [warned(c) & ID_CODES for c in group]


def test_it_keeps_the_stored_text_of_a_number_cell():
    assert nz.excel_numeric_id_text("150302196208302155") == "150302196208302155"
    assert nz.excel_numeric_id_text(" 150302560304044 ") == "150302560304044"
    assert nz.excel_numeric_id_text("150302560304044.0") == "150302560304044"
    assert nz.excel_numeric_id_text("1.50302199105272E+17") == "1.50302199105272E+17"
    assert nz.excel_numeric_id_text(150302560304044.0) == "150302560304044"
    assert nz.excel_numeric_id_text(1.50302199105272e17) == "1.50302199105272E+17"


def test_it_names_text_that_is_no_id_and_ids_held_as_floats():
    valid = "150302196208302155"
    raws = ["#N/A", "待补录", "无", "张三", "1.50304E+17", "1.50302199105272E+17", "1.5E+5"]
    raws += [valid, "150302560304044", "15030219620830215X", "150302196208302000", "", None]
    for excel in (False, True):
        out = nz.normalise_ids(pl.Series(raws), excel_handled=excel, today=TODAY)
        assert out["error"].to_list() == [
            *["not_an_id"] * 4,
            *["float_precision_lost"] * 3,
            None,
            None,
            "bad_check_digit",
            "float_precision_lost" if excel else "bad_check_digit",
            "empty",
            "empty",
        ]
        assert out["id"].to_list()[7:9] == [valid, "150302195603040445"]


# -- the quoted cells -----------------------------------------------------------------------------

_ENCODINGS = {"utf-8": "utf-8", "utf-8-bom": "utf-8-sig", "gb18030": "gb18030"}


@cache
def contents(file: str) -> str | bytes:
    e = entry(file)
    path = FILES / file
    if e["content"] == "xlsx":
        with zipfile.ZipFile(path) as z:
            return "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/"))
    if e["content"] == "xls":
        return path.read_bytes()
    return path.read_text(encoding=_ENCODINGS.get(e["encoding"], e["encoding"]))


@pytest.mark.parametrize("file", sorted({c.file for c in ALL}))
def test_it_quotes_cells_that_are_in_the_files(file):
    for cell in (c for c in ALL if c.file == file and c.raw not in ("", None) and not c.shown):
        data = contents(file)
        if isinstance(cell.raw, float):
            continue  # an xls number: its bytes are a double, not text
        if isinstance(data, bytes):
            assert cell.raw.encode("gb18030") in data or cell.raw.encode("utf-16-le") in data, cell
        elif entry(file)["content"] == "xlsx":
            tag = "<v>{}</v>" if cell.number else "<t>{}</t>"
            assert tag.format(escape(cell.raw, quote=False)) in data, cell
        else:
            assert cell.raw in data, cell
