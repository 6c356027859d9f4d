"""`business_any(condition)` in the rule language, without a database: an EXISTS over the
person's set of businesses, in which business.* items name the business and every other
item the person's own archive row."""

from __future__ import annotations

from datetime import date

import pytest

from minsheng.screening.rulelang import RuleError, compile_rule

AS_OF = date(2026, 11, 13)


def compile_(text: str, pg: bool = False):
    return compile_rule(text, pg=pg, as_of=AS_OF, alias="r", rule="test_rule")


def test_it_compiles_to_an_exists_over_the_persons_businesses():
    c = compile_(
        "assistance.dibao and business_any(business.entity_kind = '企业' "
        "and business.status in ('存续', '在业'))"
    )
    # the business items are the entry's columns, with their code labels as codes
    assert (
        "EXISTS (SELECT 1 FROM residents_holding se1 WHERE se1.person_id = r.person_id "
        "AND se1.kind = 'business' AND ((se1.category = %s) AND (se1.status IN (%s, %s))))"
    ) in c.sql
    assert c.params == ("1", "1", "2")
    assert {"business.entity_kind", "business.status", "assistance.dibao"} <= c.items


def test_it_reads_other_items_from_the_persons_own_row():
    c = compile_(
        "business_any(business.established_date >= unemployment.registration_date "
        "and business.is_legal_rep)",
        pg=True,
    )
    assert "(se1.start_date >= r.unemployment_registration_date)" in c.sql
    assert "CASE WHEN se1.status IN ('1', '2') THEN TRUE ELSE FALSE END = TRUE" in c.sql
    # and outside the function, business items are the archive row's (the latest business)
    assert "r.business_status" in compile_("business.status = '存续'").sql


def test_it_explains_the_function_as_one_condition():
    c = compile_(
        """identity.survival_status = '生存'
        and business_any(business.is_legal_rep
          and business.entity_kind = '企业')"""
    )
    assert [cond.text for cond in c.conditions] == [
        "identity.survival_status = '生存'",
        "business_any(business.is_legal_rep and business.entity_kind = '企业')",
    ]
    assert c.conditions[1].sql.startswith("EXISTS (SELECT 1 FROM residents_holding")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("business_any(business_any(business.is_legal_rep))", "cannot be used inside"),
        ("business_any()", "takes 1 argument"),
        ("business_any(business.uscc)", "not a condition"),
        ("business_any(business.status = '营业')", "not a value of business.status"),
    ],
)
def test_it_refuses_what_it_cannot_mean(text, words):
    with pytest.raises(RuleError, match=words):
        compile_(text)
