import tomllib

import pytest

from minsheng.catalogue import dictionary as dd
from minsheng.catalogue.dictionary import SOURCES, DictionaryError, Sensitivity, load
from minsheng.lib.masking import MASKERS
from minsheng.lib.retirement import CATEGORIES as RETIREMENT_CATEGORIES

# -- the project's dictionary ------------------------------------------------------------


def test_it_defines_exactly_13_categories_and_122_items():
    assert len(dd.categories()) == 13
    assert len(dd.items()) == 122
    # Counted in the file itself too, so nothing is silently dropped on the way in.
    raw = tomllib.loads(dd.PATH.read_text(encoding="utf-8"))
    assert len(raw["categories"]) == 13
    assert len(raw["items"]) == 122


def test_it_orders_the_categories_as_design_md_lists_them():
    assert [(c.order, c.code, c.name_zh) for c in dd.categories()] == [
        (1, "identity", "基本信息"),
        (2, "hukou", "户籍信息"),
        (3, "residence", "居住信息"),
        (4, "employment", "就业信息"),
        (5, "unemployment", "失业信息"),
        (6, "insurance", "社会保险"),
        (7, "benefits", "待遇享受"),
        (8, "card", "社保卡"),
        (9, "education", "教育培训"),
        (10, "assistance", "社会救助"),
        (11, "disability", "残疾信息"),
        (12, "veterans", "退役军人"),
        (13, "business", "市场主体"),
    ]


def test_it_gives_every_category_items():
    grouped = dd.items_by_category()
    assert list(grouped) == [c.code for c in dd.categories()]
    assert all(grouped[c.code] for c in dd.categories())
    assert sum(len(v) for v in grouped.values()) == 122
    assert all(i.category == code for code, its in grouped.items() for i in its)


def test_it_produces_every_item_from_a_source_or_a_derivation():
    by_code = {i.code: i for i in dd.items()}

    def grounded(code: str, seen: frozenset[str] = frozenset()) -> bool:
        it = by_code[code]
        if it.resolution != "derived":
            return bool(it.sources) and all(s in SOURCES for s in it.sources)
        return bool(it.derivation) and all(
            dep not in seen and grounded(dep, seen | {code}) for dep in it.inputs
        )

    assert [code for code in by_code if not grounded(code)] == []


def test_it_keeps_codes_and_names_unique():
    raw = tomllib.loads(dd.PATH.read_text(encoding="utf-8"))["items"]
    for key in ("code", "name_zh", "name_en"):
        values = [entry[key] for entry in raw]
        assert len(values) == len(set(values)), key
    assert all(i.code.startswith(i.category + ".") for i in dd.items())


def test_it_masks_or_explains_every_sensitive_item():
    sensitive = [i for i in dd.items() if i.sensitivity >= 3]
    assert sensitive
    for it in sensitive:
        assert it.masking in MASKERS
        assert it.masking != "none" or it.masking_note, it.code


def test_it_rates_the_highly_sensitive_items_at_level_4():
    for code in (
        "identity.id_number",
        "identity.phone",
        "benefits.payment_account",
        "card.financial_account",
        "disability.type",
        "assistance.dibao",
    ):
        assert dd.item(code).sensitivity == Sensitivity.HIGHLY_SENSITIVE, code


def test_it_encrypts_the_id_number_phone_and_bank_accounts():
    encrypted = {i.code for i in dd.items() if i.encrypted}
    assert {
        "identity.id_number",
        "identity.phone",
        "benefits.payment_account",
        "card.financial_account",
    } <= encrypted
    for code in encrypted:
        assert dd.item(code).type == "string"
        assert dd.item(code).masking != "none"


def test_it_feeds_items_from_every_source():
    for source in SOURCES:
        assert dd.items_from_source(source), source
    assert "identity.death_date" in {i.code for i in dd.items_from_source("wj_death")}
    with pytest.raises(KeyError, match="unknown source 'nope'"):
        dd.items_from_source("nope")


def test_it_ranks_every_source_of_an_authoritative_item():
    for it in dd.items():
        if it.resolution == "authoritative":
            assert sorted(it.authority) == sorted(it.sources), it.code
        else:
            assert it.authority == (), it.code
    assert dd.item("identity.death_date").authority[0] == "wj_death"


def test_it_uses_national_standard_code_values():
    assert dd.item("identity.sex").label("1") == "男"
    assert dd.item("identity.sex").label("2") == "女"
    ethnicity = dd.item("identity.ethnicity")
    assert [ethnicity.label(v) for v in ("01", "02", "03", "11")] == [
        "汉族",
        "蒙古族",
        "回族",
        "满族",
    ]
    assert dd.item("education.level").value_for("大学本科") == "21"
    assert dd.item("disability.type").label("4") == "肢体残疾"
    assert set(dd.item("employment.form").codes.values()) >= {
        "单位就业",
        "灵活就业",
        "自主创业",
        "公益性岗位",
    }
    assert set(dd.item("card.status").codes.values()) >= {"正常", "挂失", "冻结"}


def test_it_derives_retirement_with_the_retirement_library():
    for code in ("insurance.statutory_retirement_age", "insurance.statutory_retirement_date"):
        it = dd.item(code)
        assert it.resolution == "derived"
        assert "minsheng.lib.retirement" in it.derivation
    assert all(
        cat in dd.item("insurance.statutory_retirement_age").derivation
        for cat in RETIREMENT_CATEGORIES
    )


def test_it_masks_values_by_the_item_rule():
    assert dd.item("identity.id_number").mask("150302199001011234") == "150302********1234"
    assert dd.item("identity.phone").mask("13812345678") == "138****5678"
    assert dd.item("identity.name").mask("张三丰") == "张**"
    # Sensitive but not partly hideable: hidden entirely, as its masking_note says.
    assert dd.item("assistance.dibao").mask(True) == "***"
    assert dd.item("benefits.pension_amount").mask(3210.5) == "***"
    # Not sensitive: shown as is.
    assert dd.item("card.generation").mask("3") == "3"
    assert dd.item("identity.phone").mask(None) is None


def test_it_loads_the_file_once():
    assert dd.dictionary() is dd.dictionary()
    assert dd.item("identity.id_number") is dd.items()[0]
    with pytest.raises(KeyError, match="no dictionary item 'identity.nope'"):
        dd.item("identity.nope")


# -- validation ---------------------------------------------------------------------------

BASE = """
[[categories]]
code = "identity"
name_zh = "基本信息"
name_en = "Identity"
order = 1

[[items]]
code = "identity.sex"
name_zh = "性别"
name_en = "Sex"
category = "identity"
type = "code"
codes = { "1" = "男", "2" = "女" }
sources = ["gongan_hukou", "grid_census"]
resolution = "authoritative"
authority = ["gongan_hukou", "grid_census"]
sensitivity = 2
masking = "none"
encrypted = false
keep_provenance = true
description_zh = "性别"

[[items]]
code = "identity.phone"
name_zh = "联系电话"
name_en = "Phone"
category = "identity"
type = "string"
sources = ["grid_census", "sbk_card"]
resolution = "most_recent"
sensitivity = 4
masking = "phone"
encrypted = true
keep_provenance = true
description_zh = "电话"

[[items]]
code = "identity.birth_date"
name_zh = "出生日期"
name_en = "Birth date"
category = "identity"
type = "date"
sources = ["gongan_hukou"]
resolution = "single"
sensitivity = 2
masking = "none"
encrypted = false
keep_provenance = true
description_zh = "出生日期"

[[items]]
code = "identity.age"
name_zh = "年龄"
name_en = "Age"
category = "identity"
type = "integer"
unit = "岁"
sources = []
resolution = "derived"
derivation = "age from identity.birth_date"
inputs = ["identity.birth_date"]
sensitivity = 2
masking = "none"
encrypted = false
keep_provenance = false
description_zh = "年龄"
"""

BIRTH_DATE = BASE[
    BASE.index('[[items]]\ncode = "identity.birth_date"') : BASE.index(
        '[[items]]\ncode = "identity.age"'
    )
]


def broken(old: str, new: str) -> str:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


def test_it_accepts_the_small_valid_dictionary():
    small = load(BASE)
    assert [i.code for i in small.items] == [
        "identity.sex",
        "identity.phone",
        "identity.birth_date",
        "identity.age",
    ]
    assert small.item("identity.age").inputs == ("identity.birth_date",)


@pytest.mark.parametrize(
    ("text", "code", "problem"),
    [
        (
            broken('category = "identity"\ntype = "date"', 'category = "identiti"\ntype = "date"'),
            "identity.birth_date",
            "unknown category 'identiti'",
        ),
        (
            broken(
                'sources = ["grid_census", "sbk_card"]', 'sources = ["grid_census", "sbk_cards"]'
            ),
            "identity.phone",
            "unknown source 'sbk_cards'",
        ),
        (
            broken('type = "date"', 'type = "datetime"'),
            "identity.birth_date",
            "bad type 'datetime'",
        ),
        (
            broken('codes = { "1" = "男", "2" = "女" }\n', ""),
            "identity.sex",
            "needs a non-empty codes table",
        ),
        (
            broken('authority = ["gongan_hukou", "grid_census"]\n', ""),
            "identity.sex",
            "authoritative needs an authority list",
        ),
        (
            broken(
                'authority = ["gongan_hukou", "grid_census"]',
                'authority = ["gongan_hukou", "grid_census", "wj_death"]',
            ),
            "identity.sex",
            "authority lists 'wj_death', which is not among its sources",
        ),
        (
            broken('authority = ["gongan_hukou", "grid_census"]', 'authority = ["grid_census"]'),
            "identity.sex",
            "authority does not rank source(s) gongan_hukou",
        ),
        (
            broken('derivation = "age from identity.birth_date"\n', ""),
            "identity.age",
            "derived needs a derivation",
        ),
        (
            broken('inputs = ["identity.birth_date"]', 'inputs = ["identity.birthday"]'),
            "identity.age",
            "input 'identity.birthday' is not a dictionary item",
        ),
        (
            broken('masking = "phone"', 'masking = "telephone"'),
            "identity.phone",
            "unknown masking rule 'telephone'",
        ),
        (
            broken('masking = "phone"\nencrypted = true', 'masking = "none"\nencrypted = true'),
            "identity.phone",
            "sensitivity 4 needs a masking rule other than 'none'",
        ),
        (BASE + BIRTH_DATE, "identity.birth_date", "duplicate item code"),
        (
            broken(
                'sources = ["gongan_hukou"]\nresolution = "single"',
                'sources = ["gongan_hukou", "grid_census"]\nresolution = "single"',
            ),
            "identity.birth_date",
            "single needs exactly one source, has 2",
        ),
        (
            broken('sensitivity = 4\nmasking = "phone"', 'sensitivity = 2\nmasking = "phone"'),
            "identity.phone",
            "encrypted but sensitivity is only 2",
        ),
        (
            broken('sources = ["grid_census", "sbk_card"]', 'sorces = ["grid_census", "sbk_card"]'),
            "identity.phone",
            "unknown field(s) sorces",
        ),
        (
            broken("keep_provenance = false", "keep_provenance = true"),
            "identity.age",
            "derived items carry their inputs' provenance",
        ),
        (broken('unit = "岁"', 'unit = "years"'), "identity.age", "unknown unit 'years'"),
    ],
)
def test_it_names_the_item_and_the_problem(text, code, problem):
    with pytest.raises(DictionaryError) as caught:
        load(text)
    assert any(where == code and problem in message for where, message in caught.value.problems), (
        caught.value
    )
    assert code in str(caught.value) and problem in str(caught.value)


def test_it_reports_every_problem_at_once():
    text = broken('type = "date"', 'type = "datetime"').replace(
        'masking = "phone"', 'masking = "telephone"'
    )
    with pytest.raises(DictionaryError) as caught:
        load(text)
    assert {where for where, _ in caught.value.problems} == {
        "identity.birth_date",
        "identity.phone",
    }
    assert "(2 problems)" in str(caught.value)


def test_it_finds_derivation_cycles():
    # birth_date derived from age, age derived from birth_date.
    text = broken(
        'sources = ["gongan_hukou"]\nresolution = "single"\nsensitivity = 2\nmasking = "none"\n'
        "encrypted = false\nkeep_provenance = true",
        'sources = []\nresolution = "derived"\nderivation = "from age"\ninputs = ["identity.age"]\n'
        'sensitivity = 2\nmasking = "none"\nencrypted = false\nkeep_provenance = false',
    )
    with pytest.raises(DictionaryError, match="derivation cycle"):
        load(text)


def test_it_rejects_a_category_without_items():
    text = (
        BASE + '\n[[categories]]\ncode = "card"\nname_zh = "社保卡"\nname_en = "Card"\norder = 2\n'
    )
    with pytest.raises(DictionaryError, match="category card: has no items"):
        load(text)


def test_it_rejects_text_that_is_not_toml():
    with pytest.raises(DictionaryError, match="not valid TOML"):
        load("[[items]\ncode = ")
