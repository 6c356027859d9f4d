"""The SQL stages of death handling (DESIGN.md §6 "Benefits", issue 14 point 3): collecting
death reports into cases, the overpayment of each benefit, and the months a revert pays back.

Set-wise SQL that runs on SQLite and PostgreSQL; the actions (`actions/deaths.py`) call these
inside their transaction and record the audit events. Months are integers
(`lib.benefit_rules.month_index`), so "after the month of death" is `month > death_month`.

Where death reports come from, one candidate query per source:

- `gongan_death` (公安 死亡注销) and `wj_death` (卫健 死亡医学证明): every linked fact row that
  is not a duplicate of another; the reference is the batch and row;
- `grid_collect`: a grid worker's 死亡上报 (`task_kind` = death_report), by task;
- `screening`: the members of saved target lists of the "suspected dead" list
  (`population_suspected_dead`, identity.survival_status = 疑似死亡待核实), by list. That list
  is derived from grid reports, so it is not an independent source (`INDEPENDENT_SOURCES`).

Only persons with a benefit still paid (or suspended, which a certification would lift)
matter: a death of someone whose benefits stopped or ended costs the fund nothing, and the
pension system's own terminations (thousands at full scale) would bury the cases that do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from minsheng.lib import sqldialect
from minsheng.residents.models import Resident
from minsheng.screening.models import TargetList, TargetListMember
from minsheng.sources.models import fact_model

from .models import (
    AREA_FIELDS,
    LIVE_CASES,
    Benefit,
    BenefitStatus,
    DeathCase,
    DeathCaseStatus,
    DeathSignal,
    Payment,
    PayrollRun,
)

SUSPECTED_DEAD_LISTS = ("population_suspected_dead",)
GRID_DEATH_REPORT = "death_report"  # grid.models.TaskKind.DEATH_REPORT (no import: siblings)
Source = DeathSignal.Source
# Sources that each prove a death on their own evidence; the screening list repeats a grid
# report, so two independent sources are two of these.
INDEPENDENT_SOURCES = (Source.GONGAN, Source.HEALTH, Source.FUNERAL, Source.GRID)


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _live() -> str:
    return "(" + ", ".join(f"'{s.value}'" for s in LIVE_CASES) + ")"


def _candidates(source: str, list_ids: Iterable[int] | None) -> tuple[str, list]:
    """SELECT person_id, reference, death_date of one source's reports (linked persons)."""
    pg = _pg()
    text = "text" if pg else "TEXT"
    if source in (Source.GONGAN, Source.HEALTH):
        table = fact_model(source)._meta.db_table
        died = "f.death_date" if source == Source.GONGAN else sqldialect.as_date("f.death_time", pg)
        return (
            f"SELECT f.person_id, CAST(f.batch_id AS {text}) || ':' || CAST(f.row AS {text}) "
            f"AS reference, {died} AS death_date FROM {table} f "
            "WHERE f.person_id IS NOT NULL AND f.duplicate_of IS NULL",
            [],
        )
    if source == Source.GRID:
        table = fact_model(source)._meta.db_table
        return (
            f"SELECT f.person_id, 'task:' || CAST(f.task_id AS {text}) AS reference, "
            f"f.death_date AS death_date FROM {table} f WHERE f.person_id IS NOT NULL "
            "AND f.duplicate_of IS NULL AND f.task_kind = %s AND f.death_date IS NOT NULL",
            [GRID_DEATH_REPORT],
        )
    if source == Source.SCREENING:
        lists, members = TargetList._meta.db_table, TargetListMember._meta.db_table
        if list_ids is not None:
            ids = [int(i) for i in list_ids] or [0]
            where, params = f"l.id IN ({', '.join(['%s'] * len(ids))})", ids
        else:
            codes = SUSPECTED_DEAD_LISTS
            where, params = f"l.list_code IN ({', '.join(['%s'] * len(codes))})", list(codes)
        return (
            f"SELECT m.person_id, 'list:' || CAST(l.id AS {text}) AS reference, "
            f"CAST(NULL AS date) AS death_date FROM {members} m "
            f"JOIN {lists} l ON l.id = m.target_list_id WHERE {where}",
            params,
        )
    raise ValueError(f"no death reports are read from {source!r}")


COLLECTED = (Source.GONGAN, Source.HEALTH, Source.GRID, Source.SCREENING)


@dataclass(frozen=True)
class Collected:
    source: str
    cases_opened: int
    signals: int


def collect(now, *, list_ids: Iterable[int] | None = None) -> list[Collected]:
    """Every new death report of every source as a `DeathSignal` on the person's live case,
    the case opened if there is none: two INSERT … SELECT per source. A report already
    collected (same person, source, reference) is skipped, so a second run inserts nothing."""
    pg = _pg()
    case_t, signal_t = DeathCase._meta.db_table, DeathSignal._meta.db_table
    benefit_t, resident_t = Benefit._meta.db_table, Resident._meta.db_table
    stamp = connection.ops.adapt_datetimefield_value(now)
    areas = ", ".join(AREA_FIELDS)
    r_areas = ", ".join(f"COALESCE(r.{f}, '')" for f in AREA_FIELDS)
    d_areas = ", ".join(f"d.{f}" for f in AREA_FIELDS)
    empty = "'{}'"
    if pg:
        empty = "'{}'::jsonb"
    out = []
    with connection.cursor() as cursor:
        for source in COLLECTED:
            cand, cand_params = _candidates(source, list_ids)
            new = (
                f"SELECT c.person_id, c.reference, c.death_date FROM ({cand}) c "
                f"WHERE EXISTS (SELECT 1 FROM {benefit_t} b WHERE b.person_id = c.person_id "
                f"AND b.status IN ('{BenefitStatus.PAYING.value}', "
                f"'{BenefitStatus.SUSPENDED.value}')) "
                f"AND NOT EXISTS (SELECT 1 FROM {signal_t} s WHERE s.person_id = c.person_id "
                "AND s.source = %s AND s.reference = c.reference)"
            )
            new_params = [*cand_params, source.value]
            cursor.execute(
                f"INSERT INTO {case_t} (person_id, status, death_date, check_note, "
                f"closed_reason, survivors, opened_at, {areas}) "
                f"SELECT p.person_id, %s, NULL, '', '', {empty}, %s, {r_areas} "
                f"FROM (SELECT DISTINCT n.person_id FROM ({new}) n) p "
                f"LEFT JOIN {resident_t} r ON r.person_id = p.person_id "
                f"WHERE NOT EXISTS (SELECT 1 FROM {case_t} x WHERE x.person_id = p.person_id "
                f"AND x.status IN {_live()}) ON CONFLICT DO NOTHING",
                [DeathCaseStatus.OPEN.value, stamp, *new_params],
            )
            opened = max(cursor.rowcount, 0)
            cursor.execute(
                f"INSERT INTO {signal_t} (person_id, source, death_date, reference, case_id, "
                f"received_at, {areas}) "
                f"SELECT n.person_id, %s, n.death_date, n.reference, d.id, %s, {d_areas} "
                f"FROM ({new}) n JOIN {case_t} d ON d.person_id = n.person_id "
                f"AND d.status IN {_live()} WHERE 1 = 1 ON CONFLICT DO NOTHING",
                [source.value, stamp, *new_params],
            )
            out.append(Collected(source.value, opened, max(cursor.rowcount, 0)))
    return out


# -- overpayment ---------------------------------------------------------------------------


def _cents(expr: str) -> str:
    # whole fen, so that SQLite's floating arithmetic sums exactly
    return f"CAST(ROUND({expr} * 100) AS BIGINT)"


@dataclass(frozen=True)
class Overpaid:
    benefit_id: int
    months: int  # payment-line months after the month of death (a month paid twice: two)
    amount: Decimal


def overpaid_by_benefit(person_id: int, death_month: int) -> list[Overpaid]:
    """What each benefit of the person paid for months after `death_month`, from its payment
    lines: each line's months after the month of death × its monthly amount, summed (the
    SQL form of `lib.benefit_rules.overpaid`). Benefits that paid nothing after are left out."""
    pay_t = Payment._meta.db_table
    after = "(p.last_month - CASE WHEN p.first_month > %s THEN p.first_month ELSE %s END + 1)"
    sql = (
        f"SELECT p.benefit_id, SUM({after}), SUM({after} * {_cents('p.monthly_amount')}) "
        f"FROM {pay_t} p WHERE p.person_id = %s AND p.last_month > %s "
        "GROUP BY p.benefit_id ORDER BY p.benefit_id"
    )
    first = death_month + 1
    params = [death_month, first, death_month, first, person_id, death_month]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        Overpaid(b, int(months), Decimal(int(cents)) / 100)
        for b, months, cents in rows
        if int(cents) > 0
    ]


# -- revert: the months a wrong stop left unpaid -----------------------------------------------


def latest_payroll_month() -> int | None:
    return PayrollRun.objects.order_by("-month").values_list("month", flat=True).first()


def unpaid_months(benefit: Benefit, through: int) -> list[tuple[int, int]]:
    """The months from `benefit.stopped_from` to `through` that the benefit was owed and no
    payment line covers, as runs of consecutive months (first, last). Months from a recorded
    suspension on are left to the certification that lifts it."""
    first = max(benefit.stopped_from, benefit.start_month)
    last = through if benefit.end_month is None else min(through, benefit.end_month)
    if benefit.suspended_from is not None:
        last = min(last, benefit.suspended_from - 1)
    if last < first:
        return []
    covered = set()
    for a, b in Payment.objects.filter(
        benefit=benefit, last_month__gte=first, first_month__lte=last
    ).values_list("first_month", "last_month"):
        covered.update(range(max(a, first), min(b, last) + 1))
    runs: list[tuple[int, int]] = []
    for m in range(first, last + 1):
        if m in covered:
            continue
        if runs and runs[-1][1] == m - 1:
            runs[-1] = (runs[-1][0], m)
        else:
            runs.append((m, m))
    return runs
