"""Domain rules of the benefit roll: pensions, unemployment insurance benefit, subsidies.

Pure functions over plain values, for the benefits app to call with what it reads from the
database (DESIGN.md §6 "Benefits"): a death stops payment from the month after death and
opens a recovery of what was overpaid; an overdue survival certification suspends payment
and a new certification resumes it with back pay.

Conventions:

- A month is a `date` on the 1st of the month. Functions that take a month accept any date
  and use its month (`month_of`), so a payment month read as 2026-03-15 is March.
- Money is `Decimal` quantized to 0.01 with ROUND_HALF_UP (`money`). A float is refused:
  binary fractions of a yuan have no place on a payroll.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from minsheng.lib.retirement import unemployment_benefit_max_months

__all__ = [
    "month_from_index",
    "month_index",
    "PAYABLE_REASONS",
    "STATUSES",
    "SURVIVOR_ALLOWANCE_BANDS",
    "SURVIVOR_RULES_IN_FORCE",
    "SurvivorBenefits",
    "add_months",
    "back_pay",
    "certification_due",
    "first_unpaid_month",
    "funeral_grant",
    "is_overdue",
    "money",
    "month_of",
    "month_range",
    "months_between",
    "overpaid",
    "payable",
    "reminder_dates",
    "survivor_allowance_months",
    "survivor_benefits",
    "suspension_month",
    "total",
    "unemployment_end_month",
    "unemployment_monthly_amount",
]

CENT = Decimal("0.01")


def money(value: Decimal | int | str) -> Decimal:
    """`value` as yuan and fen: a Decimal quantized to 0.01, half up. Floats are refused."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"money must be a Decimal, an int or a string, got {value!r}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"money must be a finite amount, got {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# --- Months -------------------------------------------------------------------------------


def month_of(d: date) -> date:
    """The month of `d`: the 1st of that month."""
    return date(d.year, d.month, 1)


def month_index(d: date) -> int:
    """The month of `d` as one integer (year × 12 + month − 1), as the database stores it:
    month arithmetic in SQL is then plain integer arithmetic on both databases."""
    return d.year * 12 + d.month - 1


def month_from_index(index: int) -> date:
    """The month (its 1st) of a `month_index`."""
    return date(index // 12, index % 12 + 1, 1)


def add_months(m: date, n: int) -> date:
    """The month `n` months after the month of `m` (before it when `n` is negative)."""
    return month_from_index(month_index(m) + n)


def months_between(a: date, b: date) -> int:
    """Whole months from the month of `a` to the month of `b`: 0 for the same month,
    negative when `b` is earlier. The days are ignored (Jan 31 → Feb 1 is one month)."""
    return month_index(b) - month_index(a)


def month_range(first: date, last: date) -> Iterator[date]:
    """Every month from the month of `first` to the month of `last`, both included;
    nothing when `last` is before `first`."""
    for index in range(month_index(first), month_index(last) + 1):
        yield month_from_index(index)


# --- 1. Death stop ---------------------------------------------------------------------------


def first_unpaid_month(death_date: date) -> date:
    """The first month not owed after a death.

    Rule: the benefit is paid for the month of death, whatever its day, and stops from the
    month after (DESIGN.md §6). A death on Jan 31 or on Jan 1 both stop payment from February.
    """
    return add_months(death_date, 1)


def overpaid(payments: Iterable[tuple[date, Decimal]], death_date: date) -> Decimal:
    """Total paid for months after the month of death: the amount to recover.

    Each row is (month paid for, amount). Every row counts, so a back-pay row and the normal
    row for the same month are both recovered; a reversal row (negative amount) already
    booked reduces the total. Rows for the month of death or earlier were owed.
    """
    stop = first_unpaid_month(death_date)
    after = (money(amount) for month, amount in payments if month_of(month) >= stop)
    return money(sum(after, Decimal(0)))


# --- 2. Survival certification (待遇资格认证) --------------------------------------------------


def certification_due(last_certified: date) -> date:
    """The date by which the next certification is due: the same day 12 months later.

    Rule: a recipient is certified once every 12 months. A certification on Feb 29 falls due
    on Feb 28 of the next year (that year has no Feb 29).
    """
    try:
        return last_certified.replace(year=last_certified.year + 1)
    except ValueError:  # Feb 29 → the next year is not a leap year
        return date(last_certified.year + 1, 2, 28)


def is_overdue(last_certified: date, on: date) -> bool:
    """Whether certification is overdue on `on`: the due date has passed.

    On the due date itself the recipient can still certify in time.
    """
    return on > certification_due(last_certified)


def suspension_month(last_certified: date) -> date:
    """The first payment month suspended if the recipient does not certify again.

    Rule: the payment run for month M suspends a recipient whose due date is before the 1st
    of M. Due 2026-11-15: the November run still pays (due date not before Nov 1), December
    is suspended. Due 2026-12-01: December is paid, January suspended. Because every date of
    a month is before the 1st of the next month and none is before the 1st of its own month,
    this is always the month after the month of the due date.
    """
    return add_months(certification_due(last_certified), 1)


def reminder_dates(due: date, days_before: Iterable[int] = (30, 7)) -> list[date]:
    """The dates to remind the recipient, `days_before` the due date, earliest first.

    A reminder on the due date itself is 0 days before; duplicates are dropped.
    """
    days = set(days_before)
    if any(not isinstance(n, int) or isinstance(n, bool) or n < 0 for n in days):
        raise ValueError(f"days before the due date must be non-negative integers: {days!r}")
    return sorted(due - timedelta(days=n) for n in days)


# --- 3. Back pay on resumption ----------------------------------------------------------------


def back_pay(
    suspended_months: Iterable[date],
    monthly_amounts: Mapping[date, Decimal] | Decimal,
    died: date | None = None,
) -> list[tuple[date, Decimal]]:
    """One (month, amount) line per suspended month that is owed, in month order.

    Rule: a resumption after certification pays back every suspended month, each at the
    amount that month would have had (`monthly_amounts` maps a month to its amount, or is one
    amount for every month, e.g. before and after an annual adjustment). A month after the
    month of death is never owed (rule 1), so when `died` is given those months are left out
    and the month of death itself is kept. A month listed twice is owed once.
    """
    stop = first_unpaid_month(died) if died is not None else None
    lines = []
    for month in sorted({month_of(m) for m in suspended_months}):
        if stop is not None and month >= stop:
            continue
        if isinstance(monthly_amounts, Mapping):
            if month not in monthly_amounts:
                raise ValueError(f"no monthly amount for {month:%Y-%m}, a suspended month")
            amount = monthly_amounts[month]
        else:
            amount = monthly_amounts
        lines.append((month, money(amount)))
    return lines


def total(lines: Iterable[tuple[date, Decimal]]) -> Decimal:
    """The sum of the amounts of (month, amount) lines."""
    return money(sum((money(amount) for _month, amount in lines), Decimal(0)))


# --- 4. Unemployment insurance benefit (失业保险金) ---------------------------------------------

UNEMPLOYMENT_SHARE = Decimal("0.9")  # Inner Mongolia: 90 % of the local minimum wage


def unemployment_monthly_amount(min_wage: Decimal, share: Decimal = UNEMPLOYMENT_SHARE) -> Decimal:
    """The monthly 失业保险金: a share of the local monthly minimum wage.

    Rule: 失业保险条例 Art. 18 sets the benefit below the local minimum wage (and above the
    urban 低保 line, which the caller's figures must respect); 人社部发〔2017〕71号 lets
    provinces raise it step by step up to 90 % of the minimum wage, and Inner Mongolia sets
    90 %. The share must be in (0, 1].
    """
    if not isinstance(share, Decimal) or not Decimal(0) < share <= Decimal(1):
        raise ValueError(
            f"the share of the minimum wage must be a Decimal in (0, 1], got {share!r}"
        )
    wage = money(min_wage)
    if wage < 0:
        raise ValueError(f"the minimum wage cannot be negative, got {min_wage!r}")
    return money(wage * share)


def unemployment_end_month(
    start_month: date, contribution_years: float | Decimal, months_already_drawn: int = 0
) -> date | None:
    """The last month (included) of 失业保险金 for a claim starting in `start_month`.

    Rule: the longest period follows cumulative contribution (失业保险条例 Art. 17, see
    `minsheng.lib.retirement.unemployment_benefit_max_months`: 12, 18 or 24 months). Months
    of this entitlement already drawn (e.g. before a suspension) shorten what is left, which
    is paid in consecutive months from `start_month`. None when nothing is left: less than
    one year of contribution, or every month already drawn.
    """
    if months_already_drawn < 0:
        raise ValueError(f"months already drawn cannot be negative, got {months_already_drawn}")
    left = unemployment_benefit_max_months(contribution_years) - months_already_drawn
    if left <= 0:
        return None
    return add_months(start_month, left - 1)


# --- 5. Survivors' one-off entitlements (遗属待遇) ---------------------------------------------
#
# Source: 人力资源社会保障部 财政部关于印发《企业职工基本养老保险遗属待遇暂行办法》的通知
# (人社部发〔2021〕18号), in force 2021-09-01, for members of the enterprise employees' basic
# pension insurance who die of illness or not in the course of work, in service or retired:
#   Art. 4  丧葬补助金 = 2 × the province's 上一年度城镇居民月人均可支配收入 at death.
#   Art. 5  抚恤金 = that same figure × a number of months set by contribution years
#           (actual + deemed 视同缴费年限):
#             under 5 years → 3;  5 to under 10 → 6;  10 to 15 inclusive → 9;
#             over 15 → one month more for each further year, years over 30 counted as 30,
#             so at most 24 months.
#           Whoever has contributed less than 5 years in all: the whole 遗属待遇 may not
#           exceed the sum of their own contributions (for flexible workers and others
#           insured in their own name: what went into the individual account).
#           A retired (or 退职) member: the same months from the contribution years while in
#           work, less one month for each year of pension drawn, and never fewer than 9.
#           Contribution years and years of pension drawn are counted to the month.
#   Deaths between the Social Insurance Law (2011-07-01) and 2021-09-01 whose survivors had
#   not been paid are left to each province, so no national figure is proposed for them.

SURVIVOR_RULES_IN_FORCE = date(2021, 9, 1)

# (contribution months from, allowance months), highest band first; 人社部发〔2021〕18号 Art. 5.
SURVIVOR_ALLOWANCE_BANDS: tuple[tuple[int, int], ...] = ((120, 9), (60, 6), (0, 3))
_EXTRA_FROM = 15 * 12  # beyond 15 years, one allowance month per further year, to the month
_EXTRA_UNTIL = 30 * 12  # years over 30 count as 30: 9 + 15 = 24 months at most
_RETIRED_MINIMUM = 9
_CAPPED_BELOW = 5 * 12  # under 5 years the total may not exceed one's own contributions


def _months_count(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be a non-negative whole number of months, got {value!r}")
    return value


def survivor_allowance_months(
    contribution_months: int, pension_months_drawn: int | None = None
) -> Fraction:
    """Months of 抚恤金 (人社部发〔2021〕18号 Art. 5), exact (a Fraction: 22 3/4 months).

    `contribution_months` counts actual and deemed contribution (for a retired member, while
    in work); `pension_months_drawn` is None for a death in service, else the months of
    pension drawn, each full year of which (and a part year pro rata) takes one month off,
    down to 9 at least.
    """
    contributed = _months_count(contribution_months, "contribution")
    if contributed > _EXTRA_FROM:
        months = Fraction(9) + Fraction(min(contributed, _EXTRA_UNTIL) - _EXTRA_FROM, 12)
    else:
        months = Fraction(next(n for floor, n in SURVIVOR_ALLOWANCE_BANDS if contributed >= floor))
    if pension_months_drawn is None:
        return months
    drawn = _months_count(pension_months_drawn, "pension drawn")
    return max(Fraction(_RETIRED_MINIMUM), months - Fraction(drawn, 12))


def funeral_grant(monthly_disposable_income: Decimal) -> Decimal:
    """丧葬补助金: twice the province's 上一年度城镇居民月人均可支配收入 (人社部发〔2021〕18号 Art. 4)."""
    return money(2 * money(monthly_disposable_income))


@dataclass(frozen=True)
class SurvivorBenefits:
    """A proposal of 遗属待遇 for the clerk to confirm."""

    funeral_grant: Decimal  # 丧葬补助金
    allowance_months: Fraction
    survivor_allowance: Decimal  # 抚恤金
    capped: bool  # reduced to the member's own contributions (under 5 years)

    @property
    def total(self) -> Decimal:
        return money(self.funeral_grant + self.survivor_allowance)


def survivor_benefits(
    *,
    monthly_disposable_income: Decimal,
    contribution_months: int,
    died: date,
    pension_months_drawn: int | None = None,
    own_contributions: Decimal | None = None,
) -> SurvivorBenefits:
    """Propose 丧葬补助金 and 抚恤金 for a member of the enterprise employees' pension who died.

    `monthly_disposable_income` is the province's 城镇居民月人均可支配收入 of the year before
    the death; `pension_months_drawn` is None for a death in service. Under 5 years of
    contribution `own_contributions` is required: the total may not exceed it (Art. 5). How a
    capped total is split is not stated in the rules; here the 抚恤金 gives way first and the
    丧葬补助金 only if it alone exceeds the cap. Deaths before 2021-09-01 follow provincial
    rules and are refused.
    """
    if died < SURVIVOR_RULES_IN_FORCE:
        raise ValueError(
            f"death on {died} is before 人社部发〔2021〕18号 took effect (2021-09-01); "
            "the province's rules for earlier deaths apply"
        )
    base = money(monthly_disposable_income)
    if base <= 0:
        raise ValueError(f"the monthly disposable income must be positive, got {base}")
    months = survivor_allowance_months(contribution_months, pension_months_drawn)
    grant = funeral_grant(base)
    allowance = money(base * months.numerator / months.denominator)
    capped = False
    if contribution_months < _CAPPED_BELOW:
        if own_contributions is None:
            raise ValueError(
                "under 5 years of contribution the total is capped by the member's own "
                "contributions: pass own_contributions"
            )
        cap = money(own_contributions)
        if cap < 0:
            raise ValueError(f"own contributions cannot be negative, got {cap}")
        if grant + allowance > cap:
            capped = True
            grant = min(grant, cap)
            allowance = cap - grant
    return SurvivorBenefits(grant, months, allowance, capped)


# --- 6. Payment-run eligibility -----------------------------------------------------------------

STATUSES = ("active", "suspended", "stopped")
PAYABLE_REASONS = ("paying", "dead", "not_started", "ended", "stopped", "suspended", "overdue")


def payable(
    month: date,
    *,
    start: date,
    end: date | None,
    status: str,
    died: date | None,
    due: date | None,
) -> tuple[bool, str]:
    """Whether the payment run for `month` pays this benefit, and the reason code.

    `start` and `end` are the first and last months of the entitlement (`end` None: open);
    `status` is the recorded status, one of STATUSES; `died` the date of a verified death;
    `due` the next certification due date (None where no certification applies). The checks,
    in this order, and the first that applies gives the reason:

    1. ``dead``: the month is after the month of death (rule 1). First, because a death
       overrides everything else and its months feed a recovery case.
    2. ``not_started``: the month is before `start`.
    3. ``ended``: the month is after `end`.
    4. ``stopped``: the benefit was terminated (终止).
    5. ``suspended``: the benefit is recorded as suspended (暂停).
    6. ``overdue``: the certification due date is before the 1st of the month (rule 2),
       even if no one has yet recorded the suspension.
    7. ``paying``: none of the above.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown benefit status {status!r}; use one of {list(STATUSES)}")
    month = month_of(month)
    if died is not None and month >= first_unpaid_month(died):
        return False, "dead"
    if month < month_of(start):
        return False, "not_started"
    if end is not None and month > month_of(end):
        return False, "ended"
    if status == "stopped":
        return False, "stopped"
    if status == "suspended":
        return False, "suspended"
    if due is not None and due < month:
        return False, "overdue"
    return True, "paying"
