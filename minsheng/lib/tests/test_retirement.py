from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minsheng.lib.retirement import (
    CATEGORIES,
    min_contribution_months,
    retirement,
    retirement_date_for,
    unemployment_benefit_max_months,
)

TARGET_MONTHS = {"male": 63 * 12, "female_cadre": 58 * 12, "female_worker": 55 * 12}


def add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + n
    return index // 12, index % 12 + 1


@pytest.mark.parametrize(
    ("birth", "category", "expected"),
    [
        # The official worked examples.
        ((1965, 1), "male", (60, 1, (2025, 2))),
        ((1965, 4), "male", (60, 1, (2025, 5))),
        ((1965, 5), "male", (60, 2, (2025, 7))),
        ((1970, 1), "female_cadre", (55, 1, (2025, 2))),
        ((1975, 1), "female_worker", (50, 1, (2025, 2))),
        ((1975, 3), "female_worker", (50, 2, (2025, 5))),
        ((1964, 12), "male", (60, 0, (2024, 12))),
        # The last cohorts below the target and the first at it (对照表's final rows).
        ((1976, 8), "male", (62, 11, (2039, 7))),
        ((1976, 9), "male", (63, 0, (2039, 9))),
        ((1981, 8), "female_cadre", (57, 11, (2039, 7))),
        ((1981, 9), "female_cadre", (58, 0, (2039, 9))),
        ((1984, 10), "female_worker", (54, 11, (2039, 9))),
        ((1984, 11), "female_worker", (55, 0, (2039, 11))),
        # Those who reached the original age before 2025 keep it.
        ((1969, 12), "female_cadre", (55, 0, (2024, 12))),
        ((1974, 12), "female_worker", (50, 0, (2024, 12))),
        ((1950, 6), "male", (60, 0, (2010, 6))),
        # Well past the caps.
        ((1990, 1), "male", (63, 0, (2053, 1))),
        ((2000, 7), "female_worker", (55, 0, (2055, 7))),
    ],
)
def test_it_matches_the_official_examples_and_boundaries(birth, category, expected):
    assert retirement(birth, category) == expected


@pytest.mark.parametrize(
    ("category", "first_cohort", "original", "step", "rows"),
    [
        ("male", (1965, 1), 60, 4, 36),
        ("female_cadre", (1970, 1), 55, 4, 36),
        ("female_worker", (1975, 1), 50, 2, 60),
    ],
)
def test_it_reproduces_every_row_of_the_comparison_table(
    category, first_cohort, original, step, rows
):
    # Row k (from 1) of the 对照表 covers `step` birth months and adds k months.
    for row in range(1, rows + 1):
        for offset in range(step):
            birth = add_months(*first_cohort, (row - 1) * step + offset)
            years, months, retire = retirement(birth, category)
            assert years * 12 + months == original * 12 + row, (birth, row)
            assert retire == add_months(*birth, original * 12 + row)
    after_table = add_months(*first_cohort, rows * step)
    assert retirement(after_table, category)[:2] == divmod(original * 12 + rows, 12)


def test_it_accepts_a_date_as_the_birth():
    assert retirement(date(1965, 5, 31), "male") == (60, 2, (2025, 7))


@pytest.mark.parametrize(
    ("birth", "category", "expected"),
    [
        (date(1965, 1, 15), "male", date(2025, 2, 1)),
        (date(1964, 12, 31), "male", date(2024, 12, 1)),
        (date(1984, 11, 2), "female_worker", date(2039, 11, 1)),
    ],
)
def test_it_gives_the_first_day_of_the_retirement_month(birth, category, expected):
    assert retirement_date_for(birth, category) == expected


@pytest.mark.parametrize("category", ["female", "Male", "", "cadre"])
def test_it_rejects_an_unknown_category(category):
    with pytest.raises(ValueError, match="unknown retirement category"):
        retirement((1970, 1), category)


@pytest.mark.parametrize("birth", [(1970, 0), (1970, 13), (1970, -1), (1970.0, 1), (1970, "1")])
def test_it_rejects_a_bad_month(birth):
    with pytest.raises(ValueError, match="month must be 1-12"):
        retirement(birth, "male")


@pytest.mark.parametrize("birth", [(1970,), (1970, 1, 1), "1970-01", None, 1970])
def test_it_rejects_a_birth_that_is_not_a_year_month_pair(birth):
    with pytest.raises(ValueError, match="year, month"):
        retirement(birth, "male")


birth_months = st.tuples(st.integers(1930, 2010), st.integers(1, 12))


@given(st.sampled_from(sorted(CATEGORIES)), birth_months)
def test_it_never_lowers_the_age_for_a_later_birth_month(category, birth):
    years, months, _ = retirement(birth, category)
    later_years, later_months, _ = retirement(add_months(*birth, 1), category)
    assert later_years * 12 + later_months >= years * 12 + months


@given(st.sampled_from(sorted(CATEGORIES)), birth_months)
def test_it_stays_between_the_original_and_the_target_age(category, birth):
    years, months, retire = retirement(birth, category)
    age = years * 12 + months
    assert CATEGORIES[category].original_years * 12 <= age <= TARGET_MONTHS[category]
    assert 0 <= months < 12
    assert retire == add_months(*birth, age)


@given(st.sampled_from(sorted(CATEGORIES)), birth_months)
def test_it_never_retires_anyone_after_the_reform_in_2024_or_earlier_by_delay(category, birth):
    # A delayed retirement always lands in 2025-02 or later.
    years, months, retire = retirement(birth, category)
    if years * 12 + months > CATEGORIES[category].original_years * 12:
        assert retire >= (2025, 2)


@pytest.mark.parametrize(
    ("year", "months"),
    [
        (2000, 180),
        (2025, 180),
        (2029, 180),
        (2030, 186),
        (2031, 192),
        (2035, 216),
        (2038, 234),
        (2039, 240),
        (2060, 240),
    ],
)
def test_it_raises_the_minimum_contribution_from_2030(year, months):
    assert min_contribution_months(year) == months


@pytest.mark.parametrize(
    ("years", "months"),
    [
        (0, 0),
        (0.99, 0),
        (1, 12),
        (4.99, 12),
        (5, 18),
        (9.5, 18),
        (10, 24),
        (35, 24),
    ],
)
def test_it_bands_unemployment_benefit_months_by_contribution(years, months):
    assert unemployment_benefit_max_months(years) == months


@pytest.mark.parametrize("years", [-0.1, float("nan"), float("inf")])
def test_it_rejects_impossible_contribution_years(years):
    with pytest.raises(ValueError, match="non-negative"):
        unemployment_benefit_max_months(years)
