"""The catalogue and the rule errors a rule author sees: where (line, column) and why."""

from __future__ import annotations

from datetime import date

import pytest

from minsheng.screening import catalog
from minsheng.screening.catalog import CatalogError, load_theme
from minsheng.screening.rulelang import RuleError, compile_rule

AS_OF = date(2026, 11, 13)

THEME = '''code = "demo"
name_zh = "演示"
name_en = "Demo"
order = 9
version = 3
population = """
identity.survival_status = '生存'
"""

[[lists]]
code = "demo_ok"
name_zh = "正常"
rule = """
age >= 16
"""

[[lists]]
code = "demo_broken"
name_zh = "有错"
rule = """
age >= 16
and insurance.no_such_item
"""
'''


def compile_(text: str):
    return compile_rule(text, pg=False, as_of=AS_OF, rule="t")


def test_it_names_line_and_column_of_an_unknown_item():
    # given a rule whose second line names an item the dictionary does not have
    # when it is compiled
    with pytest.raises(RuleError) as err:
        compile_("age >= 16\nand  insurance.no_such_item")
    # then the error points at it
    assert (err.value.line, err.value.column) == (2, 6)
    assert "insurance.no_such_item" in str(err.value)


def test_it_names_an_unknown_label_of_a_code_item():
    # given a label that employment.status does not have
    with pytest.raises(RuleError) as err:
        compile_("employment.status = '打零工'")
    # then the error names the label where it stands
    assert err.value.line == 1
    assert err.value.column == 21
    assert "打零工" in str(err.value)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [("age >= ", 1, 8), ("age between 1 16", 1, 15), ("(age > 1\nand age < 9", 2, 12)],
)
def test_it_rejects_bad_syntax_with_its_position(text, line, column):
    # given a rule that does not parse
    with pytest.raises(RuleError) as err:
        compile_(text)
    # then the error has a line and a column
    assert (err.value.line, err.value.column) == (line, column)


def test_it_loads_a_theme_file_and_versions_each_rule(tmp_path):
    # given a theme file with a good list only
    path = tmp_path / "demo.toml"
    path.write_text(THEME.split('[[lists]]\ncode = "demo_broken"')[0], encoding="utf-8")
    # when it is loaded
    theme = load_theme(path)
    # then its rule carries the theme's version and a hash of its text
    (rule,) = theme.lists
    assert rule.code == "demo_ok"
    assert rule.version.startswith("3.")
    assert theme.population.rule.strip() == "identity.survival_status = '生存'"


def test_it_stops_on_a_broken_rule_naming_file_and_line(tmp_path):
    # given a theme file whose second list names an unknown item on file line 22
    path = tmp_path / "demo.toml"
    path.write_text(THEME, encoding="utf-8")
    # when it is loaded
    with pytest.raises(CatalogError) as err:
        load_theme(path)
    # then the error names the file, the line and the list
    message = str(err.value)
    assert "demo.toml line 22" in message
    assert "demo_broken" in message
    assert "insurance.no_such_item" in message


def test_it_gives_every_list_a_new_version_when_its_text_changes(tmp_path):
    # given the same theme twice, one rule edited
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    good = THEME.split('[[lists]]\ncode = "demo_broken"')[0]
    a.write_text(good, encoding="utf-8")
    b.write_text(good.replace("age >= 16", "age >= 18"), encoding="utf-8")
    # then the versions differ, and whitespace alone changes nothing
    assert load_theme(a).lists[0].version != load_theme(b).lists[0].version
    b.write_text(good.replace("age >= 16", "age  >=  16"), encoding="utf-8")
    assert load_theme(a).lists[0].version == load_theme(b).lists[0].version


def test_it_loads_the_shipped_catalogue_with_planted_counterparts():
    # given the shipped themes
    planted = {r.code: r.planted for t in catalog.themes() for r in t.lists if r.planted}
    # then every planted case that is about one resident has its list
    assert set(planted.values()) == {
        "graduate_job_subsidy_eligible",
        "daijiao_candidates",
        "certification_door_to_door_80plus",
        "certification_overdue",
        "deceased_still_paid",
        "dibao_with_company",
        "unemployment_benefit_while_employed",
        "unemployment_benefit_while_business_owner",
    }
