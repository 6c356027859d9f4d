"""The linkage guard: pairs that cannot be one person are never linked, reviewed or merged."""

from datetime import date

import polars as pl
import pytest

from minsheng.lib import idcard
from minsheng.sources.linkage import (
    INDEX_SCHEMA,
    RECORD_SCHEMA,
    compatible,
    given_name,
    link_batch,
    sha256_index,
)

FATHER_BODY = "15030219600501123"
FATHER_ID = FATHER_BODY + idcard.check_char(FATHER_BODY)
CHILD_BODY = "15030219900812457"
CHILD_ID = CHILD_BODY + idcard.check_char(CHILD_BODY)
PHONE = sha256_index("13912345678")
FLAT = "海勃湾区新华街道清泉社区滨河大道2号楼1单元101室"


def records(*rows: dict) -> pl.DataFrame:
    """No-ID rows (id_error "empty") sharing the father's phone and flat unless overridden."""
    base = {
        "id_number": None,
        "id_raw": None,
        "id_error": "empty",
        "name": None,
        "sex": None,
        "birth_date": None,
        "phone_hash": PHONE,
        "address": FLAT,
        "district_code": "150302",
    }
    return pl.DataFrame(
        [base | {"rid": i} | row for i, row in enumerate(rows, start=1)], schema=RECORD_SCHEMA
    )


def index(*persons: dict) -> pl.DataFrame:
    rows = []
    for p in persons:
        p = dict(p)
        number = p.pop("id_number", None)
        rows.append(
            {
                "id_hash": sha256_index(number) if number else None,
                "name": None,
                "sex": None,
                "birth_date": None,
                "phone_hash": None,
                "address": None,
                "district_code": None,
            }
            | p
        )
    return pl.DataFrame(rows, schema=INDEX_SCHEMA)


FATHER = {
    "person_id": 7,
    "id_number": FATHER_ID,
    "name": "张建国",
    "sex": "1",
    "birth_date": date(1960, 5, 1),
    "phone_hash": PHONE,
    "address": FLAT,
    "district_code": "150302",
}
# The same name, sex, birth date, phone and flat as a record: all that can differ is what
# a test changes.
ZHANG = FATHER | {"name": "张伟", "birth_date": date(1990, 3, 5)}


def link(recs: pl.DataFrame, idx: pl.DataFrame) -> dict[int, dict]:
    out = link_batch(recs, idx, blind_index=sha256_index)
    assert out.height == recs.height
    return {r["rid"]: r for r in out.iter_rows(named=True)}


def assert_unresolved(row: dict) -> None:
    """Not linked and not sent to review: without a valid ID the row is held for
    verification, never a person of its own."""
    assert row["method"] == "unresolved"
    assert row["person_id"] is None and row["candidate_id"] is None
    assert row["new_key"] is None and row["group_key"] is not None


# -- the motivating case ---------------------------------------------------------------------


def test_it_does_not_link_a_child_to_the_father_sharing_phone_and_flat():
    child = {"name": "张伟", "sex": "1", "birth_date": date(1990, 8, 12)}
    assert_unresolved(link(records(child), index(FATHER))[1])


def test_it_does_not_link_a_namesake_born_thirty_years_apart():
    # Same name too: only the birth date (five digits apart) tells the two apart.
    child = {"name": "张建国", "sex": "1", "birth_date": date(1990, 8, 12)}
    assert_unresolved(link(records(child), index(FATHER))[1])


def test_it_considers_the_best_remaining_candidate():
    # Without a birth date the father (phone and flat) and the child on file (name and
    # flat) score alike; the father cannot be 张伟, so the child is linked.
    child_on_file = {
        "person_id": 8,
        "id_number": CHILD_ID,
        "name": "张伟",
        "sex": "1",
        "birth_date": date(1990, 8, 12),
        "address": FLAT,
        "district_code": "150302",
    }
    out = link(records({"name": "张伟", "sex": "1"}), index(FATHER, child_on_file))
    assert out[1]["method"] == "probabilistic"
    assert out[1]["person_id"] == 8


# -- birth date --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "birth",
    [date(1990, 5, 3), date(1990, 3, 6), date(1980, 3, 5), date(1990, 3, 5)],
    ids=["day-month-swap", "day-typo", "year-typo", "same"],
)
def test_it_still_links_a_birth_date_typo(birth):
    out = link(records({"name": "张伟", "sex": "1", "birth_date": birth}), index(ZHANG))
    assert out[1]["method"] == "probabilistic"
    assert out[1]["person_id"] == 7


@pytest.mark.parametrize(
    "birth",
    [date(1990, 12, 5), date(1990, 3, 16), date(1991, 4, 5)],
    ids=["two-month-digits", "two-day-digits", "year-and-month"],
)
def test_it_never_links_birth_dates_two_digits_apart(birth):
    out = link(records({"name": "张伟", "sex": "1", "birth_date": birth}), index(ZHANG))
    assert_unresolved(out[1])


@pytest.mark.parametrize(
    ("left", "right", "ok"),
    [
        (date(1990, 3, 5), date(1990, 5, 3), True),
        (date(1990, 3, 5), date(1990, 3, 8), True),
        (date(1990, 3, 5), date(1991, 3, 5), True),
        (date(1990, 3, 5), None, True),
        (date(1990, 3, 5), date(1990, 3, 15), True),
        (date(1990, 3, 5), date(1990, 3, 16), False),
        (date(1990, 3, 5), date(1991, 5, 3), False),
        (date(1960, 5, 1), date(1990, 8, 12), False),
    ],
)
def test_it_compares_birth_dates_digit_by_digit(left, right, ok):
    blank = pl.lit(None, pl.List(pl.String))
    frame = pl.DataFrame(
        {"l_birth_date": [left], "r_birth_date": [right]},
        schema={"l_birth_date": pl.Date, "r_birth_date": pl.Date},
    ).with_columns(
        l_sex=pl.lit(None, pl.String),
        r_sex=pl.lit(None, pl.String),
        l_given_py=blank,
        r_given_py=blank,
        l_whole_py=blank,
        r_whole_py=blank,
    )
    assert frame.select(compatible("l_", "r_")).item() is ok


def test_it_links_a_birth_date_that_excel_rounding_carried_into():
    # 150302197212099971 rounded to 15 digits: 1.50302197212100E+17, the date reads
    # 1972-12-10 (two digits off) but may not be held against the person born on the 9th.
    person = ZHANG | {"name": "彭立新", "birth_date": date(1972, 12, 9)}
    row = {
        "id_raw": "1.50302197212100E+17",
        "id_error": "float_precision_lost",
        "name": "彭立新",
        "sex": "1",
    }
    out = link(records(row), index(person))
    assert out[1]["method"] == "probabilistic"
    assert out[1]["person_id"] == 7


def test_it_keeps_the_date_of_an_excel_rounded_id_when_no_carry_reached_it():
    # 1.50302199008124E+17: digit 15 is 4, so 1990-08-12 is as written: not the father,
    # though the child bears his name.
    row = {
        "id_raw": "1.50302199008124E+17",
        "id_error": "float_precision_lost",
        "name": "张建国",
        "sex": "1",
    }
    assert_unresolved(link(records(row), index(FATHER))[1])


# -- sex ---------------------------------------------------------------------------------------


def test_it_never_links_different_sexes():
    out = link(records({"name": "张伟", "sex": "2", "birth_date": date(1990, 3, 5)}), index(ZHANG))
    assert_unresolved(out[1])


def test_it_links_when_one_sex_is_blank():
    out = link(records({"name": "张伟", "sex": None, "birth_date": date(1990, 3, 5)}), index(ZHANG))
    assert out[1]["method"] == "probabilistic"
    assert out[1]["person_id"] == 7


# -- given names -------------------------------------------------------------------------------


def test_it_never_links_given_names_without_a_common_character():
    out = link(records({"name": "张强", "sex": "1", "birth_date": date(1990, 3, 5)}), index(ZHANG))
    assert_unresolved(out[1])


@pytest.mark.parametrize("name", ["张 伟", "張偉", "张玮", " 张伟\u3000"])
def test_it_links_the_same_given_name_written_differently(name):
    # As a file may still hold it (space, traditional) or a clerk typed it (homophone).
    out = link(records({"name": name, "sex": "1", "birth_date": date(1990, 3, 5)}), index(ZHANG))
    assert out[1]["method"] == "probabilistic"
    assert out[1]["person_id"] == 7


@pytest.mark.parametrize(
    ("on_file", "written", "linked"),
    [
        ("欧阳明", "欧阳明轩", True),
        ("欧阳明", "欧阳红", False),
        ("司马懿", "司马懿", True),
        ("张", "张伟", True),  # a surname only: whole names compared
        ("买买提·艾力", "买买提", True),
        ("买买提·艾力", "艾力·买买提", False),
    ],
)
def test_it_compares_given_names_without_the_surname(on_file, written, linked):
    person = ZHANG | {"name": on_file}
    out = link(
        records({"name": written, "sex": "1", "birth_date": date(1990, 3, 5)}), index(person)
    )
    if linked:
        assert out[1]["method"] == "probabilistic"
        assert out[1]["person_id"] == 7
    else:
        assert_unresolved(out[1])


@pytest.mark.parametrize(
    ("name", "given"),
    [
        ("张伟", "伟"),
        ("张 伟", "伟"),
        ("欧阳明轩", "明轩"),
        ("诸葛亮", "亮"),
        ("东方红", "红"),
        ("欧阳", "阳"),
        ("张", ""),
        ("买买提·艾力", "买买提"),
        ("阿依古丽•吐尔逊", "阿依古丽"),
        ("巴特尔", "特尔"),
        (None, None),
    ],
)
def test_it_takes_the_given_name(name, given):
    frame = pl.DataFrame({"name": [name]}, schema={"name": pl.String})
    assert frame.select(given_name(pl.col("name"))).item() == given


# -- within one batch --------------------------------------------------------------------------


def test_it_groups_leftover_rows_that_differ_in_sex_apart():
    row = {"name": "赵敏", "sex": "2", "birth_date": date(1977, 3, 9)}
    out = link(records(row, row | {"sex": "1"}, dict(row)), index())
    assert {out[i]["method"] for i in (1, 2, 3)} == {"unresolved"}
    assert out[1]["group_key"] == out[3]["group_key"] != out[2]["group_key"]


def test_it_does_not_merge_two_incompatible_rows_through_a_blank_one():
    row = {"name": "赵敏", "birth_date": date(1977, 3, 9)}
    out = link(records(row | {"sex": "1"}, row | {"sex": None}, row | {"sex": "2"}), index())
    keys = [out[i]["group_key"] for i in (1, 2, 3)]
    assert keys[0] != keys[2]
    assert keys[1] in (keys[0], keys[2])


def test_it_does_not_merge_father_and_child_rows_of_one_batch():
    out = link(
        records(
            {"name": "张建国", "sex": "1", "birth_date": date(1960, 5, 1)},
            {"name": "张伟", "sex": "1", "birth_date": date(1990, 8, 12)},
            {"name": "张建国", "sex": "1", "birth_date": date(1960, 5, 1)},
        ),
        index(),
    )
    assert out[1]["group_key"] == out[3]["group_key"] != out[2]["group_key"]
