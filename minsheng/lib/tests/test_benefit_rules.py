from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minsheng.lib.benefit_rules import (
    add_months,
    back_pay,
    certification_due,
    first_unpaid_month,
    funeral_grant,
    is_overdue,
    money,
    month_of,
    month_range,
    months_between,
    overpaid,
    payable,
    reminder_dates,
    survivor_allowance_months,
    survivor_benefits,
    suspension_month,
    total,
    unemployment_end_month,
    unemployment_monthly_amount,
)
from minsheng.lib.retirement import unemployment_benefit_max_months

D = Decimal
PENSION = D("3250.40")

# A loaded machine must not fail a property test on timing.
quick = settings(deadline=None, max_examples=100)
days = st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))
months = days.map(month_of)
amounts = st.decimals(min_value=0, max_value=100_000, places=2)


# --- money and months ---


def test_it_rounds_money_half_up_to_the_fen():
    assert money(D("10.005")) == D("10.01")
    assert money(D("10.004")) == D("10.00")
    assert money(D("-10.005")) == D("-10.01")
    assert money(7) == D("7.00")
    assert money("2818.5") == D("2818.50")


@pytest.mark.parametrize("value", [1.5, float("nan"), None, True])
def test_it_refuses_floats_and_non_amounts_as_money(value):
    with pytest.raises(TypeError, match="Decimal"):
        money(value)


def test_it_refuses_an_infinite_amount():
    with pytest.raises(ValueError, match="finite"):
        money(D("Infinity"))


def test_it_counts_months_on_the_first_of_the_month():
    assert month_of(date(2024, 2, 29)) == date(2024, 2, 1)
    assert add_months(date(2025, 11, 1), 2) == date(2026, 1, 1)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 1)
    assert add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert add_months(date(2026, 3, 1), -15) == date(2024, 12, 1)
    assert months_between(date(2025, 11, 1), date(2026, 2, 1)) == 3
    assert months_between(date(2026, 1, 31), date(2026, 2, 1)) == 1
    assert months_between(date(2026, 2, 1), date(2025, 11, 30)) == -3
    assert list(month_range(date(2025, 11, 20), date(2026, 2, 3))) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    assert list(month_range(date(2026, 2, 1), date(2026, 2, 28))) == [date(2026, 2, 1)]
    assert list(month_range(date(2026, 3, 1), date(2026, 2, 1))) == []


@quick
@given(months, st.integers(-600, 600))
def test_it_adds_months_as_the_inverse_of_months_between(m, n):
    later = add_months(m, n)
    assert later.day == 1
    assert months_between(m, later) == n
    assert add_months(later, -n) == m


@quick
@given(months, months)
def test_it_ranges_over_every_month_once_in_order(a, b):
    listed = list(month_range(a, b))
    assert len(listed) == max(0, months_between(a, b) + 1)
    assert all(months_between(x, y) == 1 for x, y in pairwise(listed))


# --- 1. death stop ---


@pytest.mark.parametrize(
    ("death", "first_unpaid"),
    [
        (date(2026, 1, 31), date(2026, 2, 1)),  # last day of the month
        (date(2026, 1, 1), date(2026, 2, 1)),  # the 1st: January is still paid
        (date(2024, 2, 29), date(2024, 3, 1)),  # leap day
        (date(2025, 12, 15), date(2026, 1, 1)),  # across the year
    ],
)
def test_it_stops_payment_from_the_month_after_death(death, first_unpaid):
    assert first_unpaid_month(death) == first_unpaid


def test_it_recovers_a_payment_already_made_for_the_month_after_death():
    # Died 2026-01-31; January was owed, February's 3250.40 was paid in error.
    payments = [(date(2026, 1, 1), PENSION), (date(2026, 2, 1), PENSION)]
    assert overpaid(payments, date(2026, 1, 31)) == D("3250.40")


def test_it_keeps_the_month_of_death_for_a_death_on_the_first():
    payments = [(date(2026, 1, 1), PENSION), (date(2026, 2, 1), PENSION)]
    assert overpaid(payments, date(2026, 1, 1)) == D("3250.40")


def test_it_stops_after_february_for_a_death_on_a_leap_day():
    payments = [(date(2024, 2, 1), D("2980.00")), (date(2024, 3, 1), D("2980.00"))]
    assert overpaid(payments, date(2024, 2, 29)) == D("2980.00")


def test_it_recovers_every_row_for_a_month_after_death():
    # Died 2026-03-10. April has the normal row and a back-pay row of 120.55 (an
    # adjustment paid late): both are recovered, 3250.40 + 120.55 = 3370.95.
    payments = [
        (date(2026, 3, 1), PENSION),
        (date(2026, 4, 1), PENSION),
        (date(2026, 4, 1), D("120.55")),
    ]
    assert overpaid(payments, date(2026, 3, 10)) == D("3370.95")


def test_it_recovers_a_year_when_the_death_is_reported_a_year_late():
    # Died 2025-03-20, reported in April 2026: paid 2025-01 to 2026-03.
    payments = [(m, PENSION) for m in month_range(date(2025, 1, 1), date(2026, 3, 1))]
    # April 2025 … March 2026 = 12 months × 3250.40 = 39004.80
    assert overpaid(payments, date(2025, 3, 20)) == D("39004.80")


def test_it_finds_nothing_overpaid_when_nothing_was_paid_after_death():
    payments = [(date(2026, 1, 1), PENSION), (date(2026, 2, 1), PENSION)]
    assert overpaid(payments, date(2026, 2, 28)) == D("0.00")
    assert overpaid([], date(2026, 2, 28)) == D("0.00")


def test_it_reads_the_month_of_a_payment_dated_mid_month():
    assert overpaid([(date(2026, 2, 15), PENSION)], date(2026, 1, 31)) == D("3250.40")
    assert overpaid([(date(2026, 1, 31), PENSION)], date(2026, 1, 1)) == D("0.00")


def test_it_refuses_a_float_amount():
    with pytest.raises(TypeError):
        overpaid([(date(2026, 2, 1), 3250.4)], date(2026, 1, 1))


@quick
@given(st.lists(st.tuples(months, amounts), max_size=30), days)
def test_it_recovers_exactly_the_rows_after_the_month_of_death(payments, death):
    expected = sum((a for m, a in payments if m > month_of(death)), D(0))
    assert overpaid(payments, death) == expected
    assert overpaid(payments, death) >= 0


@quick
@given(st.lists(st.tuples(months, amounts), max_size=30), days, st.integers(0, 400))
def test_it_never_recovers_more_for_a_later_death(payments, death, later_by):
    later = death + timedelta(days=later_by)
    assert overpaid(payments, later) <= overpaid(payments, death)


# --- 2. survival certification ---


@pytest.mark.parametrize(
    ("certified", "due"),
    [
        (date(2025, 11, 15), date(2026, 11, 15)),
        (date(2024, 2, 29), date(2025, 2, 28)),
        (date(2023, 2, 28), date(2024, 2, 28)),
        (date(2025, 12, 31), date(2026, 12, 31)),
    ],
)
def test_it_falls_due_the_same_day_twelve_months_later(certified, due):
    assert certification_due(certified) == due


def test_it_is_overdue_only_after_the_due_date():
    certified = date(2025, 11, 15)
    assert not is_overdue(certified, date(2026, 11, 14))
    assert not is_overdue(certified, date(2026, 11, 15))
    assert is_overdue(certified, date(2026, 11, 16))


def test_it_suspends_from_the_first_run_after_the_due_date():
    # Due 2026-11-15: the November run pays, December is suspended.
    assert suspension_month(date(2025, 11, 15)) == date(2026, 12, 1)
    # Due 2026-12-01 is not before December 1: December pays, January is suspended.
    assert suspension_month(date(2025, 12, 1)) == date(2027, 1, 1)
    # Due 2026-11-30: December is suspended.
    assert suspension_month(date(2025, 11, 30)) == date(2026, 12, 1)
    # Certified on a leap day: due 2025-02-28, March suspended.
    assert suspension_month(date(2024, 2, 29)) == date(2025, 3, 1)


def test_it_reminds_thirty_and_seven_days_before():
    assert reminder_dates(date(2026, 11, 15)) == [date(2026, 10, 16), date(2026, 11, 8)]
    assert reminder_dates(date(2026, 3, 1), days_before=(7, 0, 7)) == [
        date(2026, 2, 22),
        date(2026, 3, 1),
    ]


def test_it_refuses_a_reminder_after_the_due_date():
    with pytest.raises(ValueError, match="non-negative"):
        reminder_dates(date(2026, 3, 1), days_before=(-1,))


@quick
@given(days)
def test_it_falls_due_a_year_later_by_the_calendar(certified):
    due = certification_due(certified)
    assert (due - certified).days in (365, 366)
    assert months_between(certified, due) == 12


@quick
@given(days, st.integers(-3, 15))
def test_it_pays_each_run_up_to_the_due_month_and_suspends_after(certified, offset):
    due = certification_due(certified)
    month = add_months(due, offset)
    pay, reason = payable(
        month, start=date(1990, 1, 1), end=None, status="active", died=None, due=due
    )
    if month >= suspension_month(certified):
        assert (pay, reason) == (False, "overdue")
    else:
        assert (pay, reason) == (True, "paying")


# --- 3. back pay ---


def test_it_pays_back_every_suspended_month_at_its_own_amount():
    # Suspended 2026-12 to 2027-02, certified again in March; the pension rose by 2 % to
    # 3315.41 in January. Back pay: 3250.40 + 3315.41 + 3315.41 = 9881.22.
    rates = {
        date(2026, 12, 1): D("3250.40"),
        date(2027, 1, 1): D("3315.41"),
        date(2027, 2, 1): D("3315.41"),
    }
    lines = back_pay([date(2027, 2, 1), date(2026, 12, 1), date(2027, 1, 1)], rates)
    assert lines == [
        (date(2026, 12, 1), D("3250.40")),
        (date(2027, 1, 1), D("3315.41")),
        (date(2027, 2, 1), D("3315.41")),
    ]
    assert total(lines) == D("9881.22")


def test_it_pays_back_one_amount_for_every_month():
    lines = back_pay(month_range(date(2026, 12, 1), date(2027, 3, 1)), D("1980"))
    assert total(lines) == D("7920.00")  # 4 × 1980


def test_it_pays_back_nothing_after_the_month_of_death():
    # Suspended from December; died 2027-01-20, certified alive in January before dying.
    # December and January are owed (2 × 3250.40 = 6500.80); February and March are not.
    lines = back_pay(
        month_range(date(2026, 12, 1), date(2027, 3, 1)), PENSION, died=date(2027, 1, 20)
    )
    assert [m for m, _ in lines] == [date(2026, 12, 1), date(2027, 1, 1)]
    assert total(lines) == D("6500.80")


def test_it_pays_a_month_listed_twice_once():
    assert back_pay([date(2026, 12, 1), date(2026, 12, 20)], PENSION) == [
        (date(2026, 12, 1), D("3250.40"))
    ]


def test_it_refuses_back_pay_for_a_month_without_an_amount():
    with pytest.raises(ValueError, match="2027-01"):
        back_pay([date(2027, 1, 1)], {date(2026, 12, 1): PENSION})


@quick
@given(st.lists(months, max_size=40), amounts, st.none() | days)
def test_it_owes_each_suspended_month_once_and_none_after_death(suspended, amount, died):
    lines = back_pay(suspended, amount, died=died)
    owed = {m for m in suspended if died is None or m <= month_of(died)}
    assert [m for m, _ in lines] == sorted(owed)
    assert total(lines) == amount * len(owed)


# --- 4. unemployment insurance benefit ---


def test_it_pays_ninety_percent_of_the_minimum_wage():
    # Inner Mongolia's first-band minimum wage 2270 × 0.9 = 2043.00
    assert unemployment_monthly_amount(D("2270")) == D("2043.00")
    # 1980 × 0.9 = 1782.00; 2115 × 0.85 = 1797.75
    assert unemployment_monthly_amount(D("1980")) == D("1782.00")
    assert unemployment_monthly_amount(D("2115"), share=D("0.85")) == D("1797.75")
    # 2125.55 × 0.9 = 1912.995 → 1913.00 (half up)
    assert unemployment_monthly_amount(D("2125.55")) == D("1913.00")


@pytest.mark.parametrize("share", [D("0"), D("1.01"), D("-0.9"), 0.9])
def test_it_refuses_a_share_outside_zero_to_one(share):
    with pytest.raises(ValueError, match="share"):
        unemployment_monthly_amount(D("2270"), share=share)


@pytest.mark.parametrize(
    ("years", "drawn", "end"),
    [
        (3, 0, date(2026, 12, 1)),  # 12 months: 2026-01 … 2026-12
        (5, 0, date(2027, 6, 1)),  # 18 months: 2026-01 … 2027-06
        (12, 0, date(2027, 12, 1)),  # 24 months: 2026-01 … 2027-12
        (12, 10, date(2027, 2, 1)),  # 24 − 10 = 14 months: 2026-01 … 2027-02
        (5, 17, date(2026, 1, 1)),  # one month left
        (5, 18, None),  # all drawn
        (0.5, 0, None),  # under one year: not entitled
    ],
)
def test_it_ends_the_unemployment_benefit_after_the_banded_months(years, drawn, end):
    assert unemployment_end_month(date(2026, 1, 1), years, drawn) == end


def test_it_reads_decimal_contribution_years():
    assert unemployment_end_month(date(2026, 1, 15), D("9.99")) == date(2027, 6, 1)


def test_it_refuses_negative_months_drawn():
    with pytest.raises(ValueError, match="drawn"):
        unemployment_end_month(date(2026, 1, 1), 3, -1)


@quick
@given(months, st.floats(0, 40), st.integers(0, 30))
def test_it_pays_what_is_left_of_the_entitlement(start, years, drawn):
    end = unemployment_end_month(start, years, drawn)
    left = unemployment_benefit_max_months(years) - drawn
    if left <= 0:
        assert end is None
    else:
        assert months_between(start, end) + 1 == left


# --- 5. survivors' one-off entitlements (人社部发〔2021〕18号) ---


@pytest.mark.parametrize(
    ("contribution_months", "months"),
    [
        (0, 3),
        (59, 3),  # 4 years 11 months
        (60, 6),
        (119, 6),
        (120, 9),
        (180, 9),  # 15 years inclusive
        (181, Fraction(109, 12)),  # 9 + 1/12
        (192, 10),  # 16 years
        (255, Fraction(61, 4)),  # 21 years 3 months: 9 + 6 + 3/12 = 15.25
        (345, Fraction(91, 4)),  # 28 years 9 months: 9 + 13 + 9/12 = 22.75
        (360, 24),  # 30 years
        (480, 24),  # 40 years counted as 30
    ],
)
def test_it_sets_the_allowance_months_by_contribution(contribution_months, months):
    assert survivor_allowance_months(contribution_months) == months


@pytest.mark.parametrize(
    ("contribution_months", "drawn", "months"),
    [
        (345, 42, Fraction(77, 4)),  # 22.75 − 3.5 years drawn = 19.25
        (345, 186, 9),  # 22.75 − 15.5 = 7.25 → at least 9
        (360, 0, 24),
        (360, 180, 9),  # 24 − 15 = 9
        (360, 181, 9),
        (120, 0, 9),
        (100, 24, 9),  # 6 months in service, but a retiree gets at least 9
    ],
)
def test_it_takes_a_month_off_for_each_year_of_pension(contribution_months, drawn, months):
    assert survivor_allowance_months(contribution_months, drawn) == months


def test_it_proposes_the_survivors_benefits_of_a_retiree():
    # Retired after 28 years 9 months of contribution, drew the pension 3 years 6 months,
    # died 2021-09; the province's 2020 monthly disposable income 2818.5.
    # 丧葬补助金 2818.5 × 2 = 5637.00; 抚恤金 2818.5 × 19.25 = 54256.125 → 54256.13.
    proposal = survivor_benefits(
        monthly_disposable_income=D("2818.5"),
        contribution_months=345,
        pension_months_drawn=42,
        died=date(2021, 9, 14),
    )
    assert proposal.funeral_grant == D("5637.00")
    assert proposal.allowance_months == Fraction(77, 4)
    assert proposal.survivor_allowance == D("54256.13")
    assert proposal.total == D("59893.13")
    assert not proposal.capped


def test_it_gives_a_long_retired_member_the_minimum_nine_months():
    # Same member after 15 years 6 months of pension: 22.75 − 15.5 < 9, so 9 months:
    # 2818.5 × 9 = 25366.50; total 5637.00 + 25366.50 = 31003.50.
    proposal = survivor_benefits(
        monthly_disposable_income=D("2818.5"),
        contribution_months=345,
        pension_months_drawn=186,
        died=date(2021, 9, 14),
    )
    assert proposal.survivor_allowance == D("25366.50")
    assert proposal.total == D("31003.50")


def test_it_proposes_the_survivors_benefits_of_a_death_in_service():
    # 21 years 3 months: 2818.5 × 15.25 = 42982.125 → 42982.13; + 5637.00 = 48619.13.
    proposal = survivor_benefits(
        monthly_disposable_income=D("2818.5"), contribution_months=255, died=date(2021, 9, 30)
    )
    assert proposal.survivor_allowance == D("42982.13")
    assert proposal.total == D("48619.13")
    # 15 years, income 4425: 4425 × 2 = 8850; 4425 × 9 = 39825; total 48675.
    proposal = survivor_benefits(
        monthly_disposable_income=D("4425"), contribution_months=180, died=date(2021, 10, 5)
    )
    assert (proposal.funeral_grant, proposal.survivor_allowance) == (D("8850.00"), D("39825.00"))
    assert proposal.total == D("48675.00")


def test_it_caps_a_short_contribution_at_the_members_own_contributions():
    # 3 years: 3000 × 2 = 6000 + 3000 × 3 = 9000 → 15000, more than the 8000 paid in:
    # the total is 8000, the 抚恤金 giving way (2000).
    proposal = survivor_benefits(
        monthly_disposable_income=D("3000"),
        contribution_months=36,
        died=date(2026, 5, 1),
        own_contributions=D("8000"),
    )
    assert (proposal.funeral_grant, proposal.survivor_allowance) == (D("6000.00"), D("2000.00"))
    assert proposal.total == D("8000.00")
    assert proposal.capped
    # Only 5000 paid in: the funeral grant itself is cut to 5000.
    proposal = survivor_benefits(
        monthly_disposable_income=D("3000"),
        contribution_months=36,
        died=date(2026, 5, 1),
        own_contributions=D("5000"),
    )
    assert (proposal.funeral_grant, proposal.survivor_allowance) == (D("5000.00"), D("0.00"))
    # 20000 paid in: no cap, 15000.
    proposal = survivor_benefits(
        monthly_disposable_income=D("3000"),
        contribution_months=36,
        died=date(2026, 5, 1),
        own_contributions=D("20000"),
    )
    assert proposal.total == D("15000.00")
    assert not proposal.capped


def test_it_needs_the_own_contributions_under_five_years():
    with pytest.raises(ValueError, match="own_contributions"):
        survivor_benefits(
            monthly_disposable_income=D("3000"), contribution_months=59, died=date(2026, 5, 1)
        )


def test_it_refuses_a_death_before_the_rules_took_effect():
    with pytest.raises(ValueError, match="2021-09-01"):
        survivor_benefits(
            monthly_disposable_income=D("2818.5"),
            contribution_months=345,
            died=date(2021, 8, 31),
        )


@pytest.mark.parametrize("bad", [-1, 1.5, True, None])
def test_it_refuses_impossible_contribution_months(bad):
    with pytest.raises(ValueError, match="whole number of months"):
        survivor_allowance_months(bad)


def test_it_doubles_the_income_for_the_funeral_grant():
    assert funeral_grant(D("3915.55")) == D("7831.10")


@quick
@given(st.integers(0, 600), st.integers(0, 600))
def test_it_grows_with_contribution_and_stays_between_three_and_twentyfour(a, b):
    low, high = sorted((a, b))
    assert 3 <= survivor_allowance_months(low) <= survivor_allowance_months(high) <= 24


@quick
@given(st.integers(0, 600), st.integers(0, 600), st.integers(0, 600))
def test_it_gives_a_retiree_at_least_nine_months_and_less_the_longer_they_drew(c, d1, d2):
    shorter, longer = sorted((d1, d2))
    months_shorter = survivor_allowance_months(c, shorter)
    months_longer = survivor_allowance_months(c, longer)
    assert 9 <= months_longer <= months_shorter <= max(9, survivor_allowance_months(c))


# --- 6. payment-run eligibility ---

BENEFIT = {
    "start": date(2020, 3, 1),
    "end": None,
    "status": "active",
    "died": None,
    "due": date(2026, 11, 15),
}


@pytest.mark.parametrize(
    ("month", "changes", "expected"),
    [
        (date(2026, 11, 1), {}, (True, "paying")),
        (date(2026, 12, 1), {}, (False, "overdue")),
        (date(2020, 2, 1), {}, (False, "not_started")),
        (date(2020, 3, 1), {"start": date(2020, 3, 17)}, (True, "paying")),
        (date(2026, 6, 1), {"end": date(2026, 5, 1)}, (False, "ended")),
        (date(2026, 5, 1), {"end": date(2026, 5, 1)}, (True, "paying")),
        (date(2026, 5, 1), {"status": "stopped"}, (False, "stopped")),
        (date(2026, 5, 1), {"status": "suspended"}, (False, "suspended")),
        (date(2026, 5, 1), {"died": date(2026, 5, 31)}, (True, "paying")),
        (date(2026, 6, 1), {"died": date(2026, 5, 31)}, (False, "dead")),
        (date(2026, 12, 1), {"due": None}, (True, "paying")),
        # The order of the checks: death first, then the period, then the status.
        (date(2027, 1, 1), {"died": date(2026, 5, 2), "status": "stopped"}, (False, "dead")),
        (date(2027, 1, 1), {"end": date(2026, 5, 1), "status": "stopped"}, (False, "ended")),
        (date(2026, 12, 1), {"status": "suspended"}, (False, "suspended")),
        (date(2026, 12, 1), {"status": "stopped"}, (False, "stopped")),
    ],
)
def test_it_decides_each_payment_run(month, changes, expected):
    assert payable(month, **{**BENEFIT, **changes}) == expected


def test_it_reads_the_month_of_a_run_date_mid_month():
    assert payable(date(2026, 11, 30), **BENEFIT) == (True, "paying")


def test_it_refuses_an_unknown_status():
    with pytest.raises(ValueError, match="unknown benefit status"):
        payable(date(2026, 5, 1), **{**BENEFIT, "status": "paused"})


@quick
@given(months, days, st.none() | days, st.none() | days)
def test_it_never_pays_a_month_after_death_or_outside_the_period(month, start, end, died):
    pay, reason = payable(month, start=start, end=end, status="active", died=died, due=None)
    if died is not None and month > month_of(died):
        assert (pay, reason) == (False, "dead")
    elif month < month_of(start) or (end is not None and month > month_of(end)):
        assert not pay
    else:
        assert (pay, reason) == (True, "paying")
