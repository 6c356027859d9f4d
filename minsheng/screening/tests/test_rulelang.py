"""The rule language without a database: parsing, errors, labels and explanations."""

from __future__ import annotations

from datetime import date

import pytest

from minsheng.screening.rulelang import RuleError, compile_rule

AS_OF = date(2026, 11, 13)


def compile_(text: str, pg: bool = False):
    return compile_rule(text, pg=pg, as_of=AS_OF, alias="r", rule="test_rule")


def test_it_compiles_items_comparisons_and_boolean_items():
    c = compile_("age between 16 and 59 and not insurance.any_pension")
    assert "r.identity_age BETWEEN %s AND %s" in c.sql
    assert "NOT COALESCE((r.insurance_any_pension = 1), 0)" in c.sql
    assert c.params == (16, 59)
    assert {"identity.age", "insurance.any_pension"} <= c.items


def test_it_accepts_a_code_label_for_a_code_item():
    by_label = compile_("employment.status = '未就业'")
    by_code = compile_("employment.status = '3'")
    assert by_label.sql == by_code.sql
    assert by_label.params == by_code.params == ("3",)


def test_it_splits_the_rule_into_conditions_for_the_explanation():
    c = compile_(
        """education.recent_graduate   # who
        and (household_any(assistance.dibao) or disability.disabled)
        and age between 16 and 24"""
    )
    assert [cond.text for cond in c.conditions] == [
        "education.recent_graduate",
        "(household_any(assistance.dibao) or disability.disabled)",
        "age between 16 and 24",
    ]
    assert c.conditions[2].params == (16, 24)


def test_it_keeps_a_rule_with_a_top_level_or_as_one_condition():
    c = compile_("assistance.dibao or assistance.tekun and age > 60")
    assert len(c.conditions) == 1


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        (
            "education.recent_graduate\nand education.nonsense",
            2,
            5,
            "unknown item 'education.nonsense'",
        ),
        ("employment.status = '神仙'", 1, 21, "not a value of employment.status"),
        ("age >", 1, 6, "expected an item"),
        ("identity.name", 1, 1, "not a condition"),
        ("frobnicate(1)", 1, 1, "unknown function or item 'frobnicate'"),
        ("age > 1 1", 1, 9, "unexpected '1'"),
        ("months_since(identity.name) > 1", 1, 14, "takes a date item"),
        ("age > 1 ;", 1, 9, "unexpected character ';'"),
    ],
)
def test_it_names_line_column_and_reason_of_a_bad_rule(text, line, column, words):
    with pytest.raises(RuleError) as err:
        compile_(text)
    assert (err.value.line, err.value.column) == (line, column)
    assert words in str(err.value)
    assert str(err.value).startswith("test_rule: ")


def test_it_writes_dates_for_each_database():
    sqlite = compile_("months_since(unemployment.registration_date) > 6")
    pg = compile_("months_since(unemployment.registration_date) > 6", pg=True)
    assert "strftime" in sqlite.sql and "'2026-11-13'" in sqlite.sql
    assert "age(DATE '2026-11-13'" in pg.sql
    assert sqlite.params == pg.params == (6,)


def test_it_looks_into_the_household_and_the_handling_log():
    c = compile_(
        "household_count(employment.status = '就业') = 0 "
        "and not handled_within('养老待遇资格认证', 12)"
    )
    assert "SELECT COUNT(*) FROM residents_resident hh1" in c.sql
    assert "hh1.hukou_household_number = r.hukou_household_number" in c.sql
    assert "fact_rs_handling_log" in c.sql
    assert c.params == ("1", 0, "养老待遇资格认证")


def test_it_refuses_an_empty_rule():
    with pytest.raises(RuleError, match="empty"):
        compile_("  \n ")
