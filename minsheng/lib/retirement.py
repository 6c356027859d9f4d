"""Statutory retirement age after the 2025 reform, and rules that hang off it.

Source: 全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定 (2024-09-13, in force
2025-01-01) and its annexed 对照表. From 2025-01 the retirement age rises by one month for
every 4 months of birth cohort (every 2 months for women whose original age was 50), until
men reach 63, female cadres 58 and female workers 55.

Months are counted as (year, month) pairs; ages are returned as whole years plus months.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

__all__ = [
    "CATEGORIES",
    "min_contribution_months",
    "retirement",
    "retirement_date_for",
    "unemployment_benefit_max_months",
]


@dataclass(frozen=True)
class _Rule:
    original_years: int
    step_months: int  # birth-cohort months per extra month of working life
    cap_months: int  # total delay once the target age is reached


CATEGORIES: dict[str, _Rule] = {
    "male": _Rule(original_years=60, step_months=4, cap_months=36),  # 60 → 63
    "female_cadre": _Rule(original_years=55, step_months=4, cap_months=36),  # 55 → 58
    "female_worker": _Rule(original_years=50, step_months=2, cap_months=60),  # 50 → 55
}

_REFORM_START = 2025 * 12  # January 2025 as a month index


def _month_index(year: int, month: int) -> int:
    return year * 12 + (month - 1)


def _birth_month(birth: tuple[int, int] | date) -> tuple[int, int]:
    if isinstance(birth, date):
        return birth.year, birth.month
    try:
        year, month = birth
    except (TypeError, ValueError):
        raise ValueError(f"birth must be a date or a (year, month) pair, got {birth!r}") from None
    if not isinstance(year, int) or not isinstance(month, int) or not 1 <= month <= 12:
        raise ValueError(f"bad birth year-month {birth!r}: month must be 1-12")
    return year, month


def retirement(
    birth_year_month: tuple[int, int] | date, category: str
) -> tuple[int, int, tuple[int, int]]:
    """Return (age years, age months, (retire year, retire month)) for a birth month.

    `category` is "male", "female_cadre" or "female_worker". Anyone whose original
    retirement month falls before 2025-01 keeps the original age.
    """
    rule = CATEGORIES.get(category)
    if rule is None:
        raise ValueError(f"unknown retirement category {category!r}; use one of {list(CATEGORIES)}")
    year, month = _birth_month(birth_year_month)
    born = _month_index(year, month)
    original = born + rule.original_years * 12
    if original < _REFORM_START:
        delay = 0
    else:
        # The first cohort reaching the original age in 2025-01 already works one month more.
        delay = min(rule.cap_months, 1 + (original - _REFORM_START) // rule.step_months)
    age_months = rule.original_years * 12 + delay
    retire = born + age_months
    return age_months // 12, age_months % 12, (retire // 12, retire % 12 + 1)


def retirement_date_for(birth: date, category: str) -> date:
    """The first day of the month in which the statutory retirement age is reached.

    The law fixes retirement to a month, not a day; the first day lets callers compare
    it with dates without pretending to more precision.
    """
    _years, _months, (year, month) = retirement(birth, category)
    return date(year, month, 1)


def min_contribution_months(retire_year: int) -> int:
    """Minimum pension contribution to draw a monthly pension, by year of retirement.

    15 years until 2029; from 2030 six months more each year, reaching 20 years in 2039.
    """
    return min(240, 180 + 6 * max(0, retire_year - 2029))


def unemployment_benefit_max_months(contribution_years: float) -> int:
    """Longest period of 失业保险金 by cumulative contribution (失业保险条例 Art. 17).

    "满1年不足5年" → 12, "满5年不足10年" → 18, "10年以上" → 24. Each band includes its lower
    bound and excludes its upper one; exactly 10 years gives 24 because 以上 includes the
    number itself in PRC law (民法典 Art. 1259). Less than one year gives 0.
    """
    if not math.isfinite(contribution_years) or contribution_years < 0:
        raise ValueError(
            f"contribution years must be a non-negative number, got {contribution_years!r}"
        )
    if contribution_years < 1:
        return 0
    if contribution_years < 5:
        return 12
    if contribution_years < 10:
        return 18
    return 24
