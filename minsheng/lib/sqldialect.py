"""Date arithmetic written once for both databases (SQLite and PostgreSQL).

Plain Python: each function takes the SQL of its operands and whether the target is
PostgreSQL, and returns SQL. Used by the archive build and the rule compiler. Any `%` is
doubled because the result is run with parameters.
"""

from __future__ import annotations


def years_between(start: str, end: str, pg: bool) -> str:
    """Completed years from `start` to `end` (an age)."""
    if pg:
        return f"CAST(EXTRACT(YEAR FROM age({end}, {start})) AS integer)"
    return (
        f"(CAST(strftime('%%Y', {end}) AS integer) - CAST(strftime('%%Y', {start}) AS integer)"
        f" - (strftime('%%m%%d', {end}) < strftime('%%m%%d', {start})))"
    )


def months_between(start: str, end: str, pg: bool) -> str:
    """Completed months from `start` to `end`."""
    if pg:
        return (
            f"CAST(EXTRACT(YEAR FROM age({end}, {start})) * 12 "
            f"+ EXTRACT(MONTH FROM age({end}, {start})) AS integer)"
        )
    return (
        f"((CAST(strftime('%%Y', {end}) AS integer) - CAST(strftime('%%Y', {start}) AS integer))"
        f" * 12 + CAST(strftime('%%m', {end}) AS integer) - CAST(strftime('%%m', {start}) AS integer)"
        f" - (strftime('%%d', {end}) < strftime('%%d', {start})))"
    )


def add_months(expr: str, months: int, pg: bool) -> str:
    if pg:
        return f"CAST({expr} + interval '{int(months)} months' AS date)"
    return f"date({expr}, '{int(months):+d} months')"


def month_start(expr: str, pg: bool) -> str:
    if pg:
        return f"CAST(date_trunc('month', {expr}) AS date)"
    return f"date({expr}, 'start of month')"


def as_date(expr: str, pg: bool) -> str:
    return f"CAST({expr} AS date)" if pg else f"date({expr})"


def boolean(value: bool, pg: bool) -> str:
    if pg:
        return "TRUE" if value else "FALSE"
    return "1" if value else "0"
