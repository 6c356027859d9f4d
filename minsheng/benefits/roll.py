"""The SQL stages of the benefit roll: seeding it from the archive, the monthly payment run,
survival certification and back pay. Set-wise statements (one INSERT … SELECT or UPDATE per
stage) that run on SQLite and PostgreSQL alike; the actions in `actions/roll.py` call them
inside their transaction and record the audit event.

Months are integers (`lib.benefit_rules.month_index`: year × 12 + month − 1), so the rules
of `lib.benefit_rules` become integer comparisons here:

- `payable(month)` is paying ⇔ status paying, start_month ≤ month ≤ end_month (open end
  when NULL), stopped_from NULL or > month (a stop, e.g. after a death, is the first month
  not owed), and, for a certified kind, not overdue;
- overdue for month M ⇔ the due date (`certification_due`, the same day 12 months later)
  is before the 1st of M ⇔ month_index(certified_on) + 12 < M (Feb 29 falls due on Feb 28,
  the same month, so the integer form holds for it too);
- a month is paid when some payment line of the benefit covers it (first_month ≤ M ≤
  last_month): the pension system's OPENING line, a REGULAR line or a BACK_PAY line.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone

from minsheng.catalogue import dictionary
from minsheng.lib.benefit_rules import certification_due, month_index, unemployment_monthly_amount
from minsheng.sources.bulk import analyze
from minsheng.sources.models import fact_model

from .models import (
    AREA_FIELDS,
    CERTIFIED_KINDS,
    LIVE_CASES,
    Benefit,
    BenefitKind,
    BenefitRecord,
    BenefitStatus,
    Certification,
    CertificationMethod,
    DeathCase,
    Payment,
    PaymentKind,
    PayrollRun,
)

__all__ = [
    "ACTIVITY_DAYS",
    "DUE_WITHIN_DAYS",
    "LOCAL_MINIMUM_WAGE",
    "OVERDUE",
    "PENSION_KINDS",
    "adopt_back_pay",
    "apply_certifications",
    "back_pay_and_resume",
    "certified_through",
    "end_finished",
    "insert_grid_certifications",
    "insert_regular",
    "insert_reminders",
    "insert_silent_certifications",
    "last_run_month",
    "mark_paid_through",
    "next_payment_month",
    "payment_file",
    "payment_rows",
    "reminder_certified_dates",
    "seed_opening_payments",
    "seed_pensions",
    "seed_subsidies",
    "seed_unemployment",
    "subsidy_kinds",
    "suspend_overdue",
]

B = Benefit._meta.db_table
P = Payment._meta.db_table
C = Certification._meta.db_table
R = "residents_resident"

# benefits.pension_type → the roll's kind: 1 企业职工基本养老金 and 2 机关事业单位基本养老金
# are both employees' basic pensions; 3 is the urban-rural residents' pension.
PENSION_KINDS = {
    "1": BenefitKind.EMPLOYEE_PENSION,
    "2": BenefitKind.EMPLOYEE_PENSION,
    "3": BenefitKind.RESIDENT_PENSION,
}
# benefits.pension_payment_status: 1 正常发放, 2 暂停发放, 3 终止发放
PENSION_STATUS = {
    "1": BenefitStatus.PAYING,
    "2": BenefitStatus.SUSPENDED,
    "3": BenefitStatus.STOPPED,
}
# unemployment.benefit_status 1 领取中: the only claims the roll takes over
UNEMPLOYMENT_RECEIVING = "1"
# 内蒙古 monthly minimum wage, 一类地区 (乌海), in force since 2024-01-01: what the 失业保险金
# is a share of (`lib.benefit_rules.unemployment_monthly_amount`, 90 %) when the archive
# does not say the amount
LOCAL_MINIMUM_WAGE = Decimal("2270")
# the stop_reason of a benefit suspended because its certification is overdue (by a
# payment run, or 暂停 by the pension system, which the dictionary says means the same);
# only these are resumed by a certification
OVERDUE = "certification_overdue"

# silent certification: who is due within this many days (or overdue) is compared, with
# activity in the other departments' data of the last ACTIVITY_DAYS days
DUE_WITHIN_DAYS = 60
ACTIVITY_DAYS = 90


# -- dialect -------------------------------------------------------------------------------


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _month_of_date(col: str) -> str:
    """month_index of a date column."""
    if _pg():
        return (
            f"(CAST(EXTRACT(YEAR FROM {col}) AS integer) * 12 "
            f"+ CAST(EXTRACT(MONTH FROM {col}) AS integer) - 1)"
        )
    return (
        f"(CAST(strftime('%%Y', {col}) AS integer) * 12 "
        f"+ CAST(strftime('%%m', {col}) AS integer) - 1)"
    )


def _local_date(col: str) -> str:
    """The local (settings.TIME_ZONE) calendar date of a timestamp column. SQLite keeps
    aware datetimes as UTC text; the city's zone (Asia/Shanghai) has no summer time, so a
    fixed offset is exact there."""
    if _pg():
        return f"CAST(({col} AT TIME ZONE '{settings.TIME_ZONE}') AS date)"
    offset = timezone.now().astimezone(timezone.get_default_timezone()).utcoffset()
    hours = int(offset.total_seconds() // 3600) if offset else 0
    return f"date({col}, '{hours:+d} hours')"


def _date_text(expr: str) -> str:
    """A date as ISO text (for JSON evidence)."""
    return f"to_char({expr}, 'YYYY-MM-DD')" if _pg() else f"date({expr})"


def _json_object(pairs: dict[str, str]) -> str:
    args = ", ".join(f"'{k}', {v}" for k, v in pairs.items())
    return f"jsonb_build_object({args})" if _pg() else f"json_object({args})"


def _stamp(now: datetime):
    return connection.ops.adapt_datetimefield_value(now)


def _day(d: date):
    return connection.ops.adapt_datefield_value(d)


def _execute(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


CERTIFIED = _in(CERTIFIED_KINDS)


def _covered(month: str, alias: str = "b") -> str:
    """SQL: some payment line of benefit `alias` covers `month`."""
    return (
        f"EXISTS (SELECT 1 FROM {P} p WHERE p.benefit_id = {alias}.id "
        f"AND p.first_month <= {month} AND p.last_month >= {month})"
    )


def _person_filter(person_id: int | None, alias: str = "b") -> tuple[str, list]:
    if person_id is None:
        return "", []
    return f" AND {alias}.person_id = %s", [person_id]


# -- 1. seeding the roll --------------------------------------------------------------------


def _seed_columns() -> str:
    return (
        "person_id, kind, reference, monthly_amount, start_month, end_month, status, "
        "paid_through, certified_on, suspended_from, stopped_from, stop_reason, source, "
        f"created_at, updated_at, {', '.join(AREA_FIELDS)}"
    )


# What is on the roll already is skipped by the benefit's key, not by a NOT EXISTS over the
# table being filled: on an empty table PostgreSQL plans that as a scan of it per row, which
# rescans the rows the statement adds (a quadratic hour at full scale).
ALREADY_ON_ROLL = "ON CONFLICT (person_id, kind, reference) DO NOTHING"


def seed_pensions(now: datetime) -> dict[str, int]:
    """Employee and resident pensions from the archive's 养老待遇 items, one INSERT … SELECT
    per kind. The reference is the pension type code. A pension the pension system has
    suspended (暂停) is suspended from the month after its last paid month; one it
    terminated (终止) is stopped from that month. Rows already on the roll are skipped."""
    counts = {}
    start = _month_of_date("r.benefits_pension_start")
    paid = _month_of_date("r.benefits_pension_last_paid_month")
    after_paid = (
        f"CASE WHEN r.benefits_pension_last_paid_month IS NULL THEN {start} ELSE {paid} + 1 END"
    )
    status = " ".join(f"WHEN '{code}' THEN '{s}'" for code, s in PENSION_STATUS.items())
    for kind in (BenefitKind.EMPLOYEE_PENSION, BenefitKind.RESIDENT_PENSION):
        types = [code for code, k in PENSION_KINDS.items() if k == kind]
        sql = (
            f"INSERT INTO {B} ({_seed_columns()}) "
            f"SELECT r.person_id, %s, r.benefits_pension_type, r.benefits_pension_amount, "
            f"{start}, NULL, "
            f"CASE COALESCE(r.benefits_pension_payment_status, '1') {status} ELSE 'paying' END, "
            f"CASE WHEN r.benefits_pension_last_paid_month IS NULL THEN NULL ELSE {paid} END, "
            f"r.benefits_last_certification_date, "
            f"CASE WHEN r.benefits_pension_payment_status = '2' THEN {after_paid} END, "
            f"CASE WHEN r.benefits_pension_payment_status = '3' THEN {after_paid} END, "
            f"CASE r.benefits_pension_payment_status WHEN '3' THEN 'pension_system' "
            f"WHEN '2' THEN '{OVERDUE}' ELSE '' END, "
            f"'rs_pension', %s, %s, {', '.join('r.' + a for a in AREA_FIELDS)} "
            f"FROM {R} r WHERE r.benefits_pension_type IN ({_in(types)}) "
            f"AND r.benefits_pension_start IS NOT NULL "
            f"AND r.benefits_pension_amount IS NOT NULL AND r.benefits_pension_amount >= 0 "
            f"{ALREADY_ON_ROLL}"
        )
        stamp = _stamp(now)
        counts[kind.value] = _execute(sql, [kind.value, stamp, stamp])
    analyze(B)
    return counts


def seed_opening_payments(now: datetime) -> int:
    """One OPENING line per pension on the roll: start_month … paid_through at the monthly
    amount, what the pension system paid before the roll (the pension system's history of
    amounts is not in the export: its current amount stands for every month)."""
    sql = (
        f"INSERT INTO {P} (benefit_id, person_id, run_id, kind, first_month, last_month, "
        f"monthly_amount, amount, created_at, {', '.join(AREA_FIELDS)}) "
        f"SELECT b.id, b.person_id, NULL, %s, b.start_month, b.paid_through, b.monthly_amount, "
        f"ROUND(b.monthly_amount * (b.paid_through - b.start_month + 1), 2), %s, "
        f"{', '.join('b.' + a for a in AREA_FIELDS)} "
        f"FROM {B} b WHERE b.kind IN ({CERTIFIED}) AND b.source = 'rs_pension' "
        f"AND b.paid_through IS NOT NULL AND b.paid_through >= b.start_month "
        # (the line's key: a second seeding inserts nothing)
        "ON CONFLICT (benefit_id, kind, first_month) DO NOTHING"
    )
    n = _execute(sql, [PaymentKind.OPENING.value, _stamp(now)])
    analyze(P)
    return n


def seed_unemployment(as_of: date, now: datetime) -> int:
    """失业保险金 claims being drawn (unemployment.benefit_status 1 领取中) with a monthly
    amount. The claim starts in the month of the unemployment registration; its length is
    the archive's approved months (unemployment.benefit_months_approved, which the
    employment office sets by contribution years), or, where the export lacks it, the
    length `lib.retirement.unemployment_benefit_max_months` gives for the employee-pension
    contribution months (< 1 year: none; < 5: 12; < 10: 18; else 24). The monthly amount
    is the archive's (benefits.unemployment_benefit_amount) or, since no export the city
    receives carries it, `unemployment_monthly_amount` of the local minimum wage."""
    start = _month_of_date("r.unemployment_registration_date")
    years = "r.insurance_employee_pension_months"
    by_years = (
        f"CASE WHEN {years} IS NULL OR {years} < 12 THEN NULL "
        f"WHEN {years} < 60 THEN 12 WHEN {years} < 120 THEN 18 ELSE 24 END"
    )
    months = f"COALESCE(r.unemployment_benefit_months_approved, {by_years})"
    sql = (
        f"INSERT INTO {B} ({_seed_columns()}) "
        f"SELECT r.person_id, %s, '', COALESCE(r.benefits_unemployment_benefit_amount, %s), "
        f"{start}, "
        f"{start} + {months} - 1, 'paying', NULL, NULL, NULL, NULL, '', 'rs_employment', "
        f"%s, %s, {', '.join('r.' + a for a in AREA_FIELDS)} "
        f"FROM {R} r WHERE r.unemployment_benefit_status = %s "
        f"AND (r.benefits_unemployment_benefit_amount IS NULL "
        f"OR r.benefits_unemployment_benefit_amount >= 0) "
        f"AND r.unemployment_registration_date IS NOT NULL "
        f"AND r.unemployment_registration_date <= %s AND {months} > 0 {ALREADY_ON_ROLL}"
    )
    stamp, kind = _stamp(now), BenefitKind.UNEMPLOYMENT.value
    amount = unemployment_monthly_amount(LOCAL_MINIMUM_WAGE)
    params = [kind, amount, stamp, stamp, UNEMPLOYMENT_RECEIVING, _day(as_of)]
    n = _execute(sql, params)
    analyze(B)
    return n


def subsidy_kinds() -> list[str]:
    """The employment subsidies (the labels of benefits.employment_subsidy_type): the
    benefit records of other kinds (e.g. 城乡居民养老保险代缴, paid into the pension fund
    for the person) are not paid to the person and stay off the roll."""
    return sorted(dictionary.item("benefits.employment_subsidy_type").codes.values())


def seed_subsidies(now: datetime) -> int:
    """Employment subsidies delivered by 免申即享 policy runs (`BenefitRecord`): one-off,
    start = end = the month of the delivery, reference = policy code + ':' + period."""
    rec = BenefitRecord._meta.db_table
    kinds = subsidy_kinds()
    marks = ", ".join(["%s"] * len(kinds))
    month = _month_of_date(_local_date("s.created_at"))
    concat = "s.policy_code || ':' || s.period"
    sql = (
        f"INSERT INTO {B} ({_seed_columns()}) "
        f"SELECT s.person_id, %s, {concat}, s.amount, {month}, {month}, 'paying', NULL, NULL, "
        f"NULL, NULL, '', 'policy_run', %s, %s, {', '.join('s.' + a for a in AREA_FIELDS)} "
        f"FROM {rec} s WHERE s.amount >= 0 AND s.kind IN ({marks}) {ALREADY_ON_ROLL}"
    )
    stamp, kind = _stamp(now), BenefitKind.SUBSIDY.value
    n = _execute(sql, [kind, stamp, stamp, *kinds])
    analyze(B)
    return n


# -- 2. the monthly payment run ---------------------------------------------------------------


def _overdue(month: str, alias: str = "b") -> str:
    """SQL: the certification of benefit `alias` is overdue for payment month `month`."""
    return (
        f"({alias}.kind IN ({CERTIFIED}) AND {alias}.certified_on IS NOT NULL "
        f"AND {_month_of_date(alias + '.certified_on')} + 12 < {month})"
    )


def _in_entitlement(month: str, alias: str = "b") -> str:
    """SQL: `month` lies in the entitlement and before any stop (e.g. after a death)."""
    return (
        f"{alias}.start_month <= {month} "
        f"AND ({alias}.end_month IS NULL OR {alias}.end_month >= {month}) "
        f"AND ({alias}.stopped_from IS NULL OR {alias}.stopped_from > {month})"
    )


def suspend_overdue(month: int, now: datetime) -> int:
    """Suspend from `month` every paying benefit of a certified kind whose certification is
    overdue for it and whose month is not paid yet (a paid month is never taken back)."""
    m = str(int(month))
    sql = (
        f"UPDATE {B} SET status = %s, suspended_from = %s, stop_reason = '{OVERDUE}', "
        f"updated_at = %s WHERE id IN (SELECT b.id FROM {B} b WHERE b.status = %s "
        f"AND {_in_entitlement(m)} AND {_overdue(m)} AND NOT {_covered(m)})"
    )
    params = [BenefitStatus.SUSPENDED.value, month, _stamp(now), BenefitStatus.PAYING.value]
    return _execute(sql, params)


def insert_regular(run: PayrollRun, now: datetime) -> int:
    """One REGULAR line for every benefit `payable` in the run's month whose month is not
    paid yet (by the pension system, an earlier attempt of this run or a back pay)."""
    month, m = run.month, str(int(run.month))
    analyze(P)  # the lines are looked up per benefit while the table grows (see above)
    sql = (
        f"INSERT INTO {P} (benefit_id, person_id, run_id, kind, first_month, last_month, "
        f"monthly_amount, amount, created_at, {', '.join(AREA_FIELDS)}) "
        f"SELECT b.id, b.person_id, %s, %s, %s, %s, b.monthly_amount, b.monthly_amount, %s, "
        f"{', '.join('b.' + a for a in AREA_FIELDS)} FROM {B} b "
        f"WHERE b.status = %s AND {_in_entitlement(m)} AND NOT {_overdue(m)} "
        f"AND NOT {_covered(m)} ORDER BY b.id"
    )
    params = [run.pk, PaymentKind.REGULAR.value, month, month, _stamp(now)]
    params += [BenefitStatus.PAYING.value]
    return _execute(sql, params)


def adopt_back_pay(run: PayrollRun) -> int:
    """Back-pay lines not yet in a run (written by a certification between runs) go to the
    bank with this run: they join its lines, its totals and its payment file."""
    sql = f"UPDATE {P} SET run_id = %s WHERE run_id IS NULL AND kind = %s"
    return _execute(sql, [run.pk, PaymentKind.BACK_PAY.value])


def mark_paid_through(run: PayrollRun, now: datetime) -> int:
    sql = (
        f"UPDATE {B} SET paid_through = %s, updated_at = %s "
        f"WHERE (paid_through IS NULL OR paid_through < %s) AND id IN "
        f"(SELECT p.benefit_id FROM {P} p WHERE p.run_id = %s AND p.kind = %s)"
    )
    return _execute(sql, [run.month, _stamp(now), run.month, run.pk, PaymentKind.REGULAR.value])


def end_finished(month: int, now: datetime) -> int:
    """Paying benefits whose last month is before `month` are ended."""
    sql = (
        f"UPDATE {B} SET status = %s, updated_at = %s "
        f"WHERE status = %s AND end_month IS NOT NULL AND end_month < %s"
    )
    return _execute(
        sql, [BenefitStatus.ENDED.value, _stamp(now), BenefitStatus.PAYING.value, month]
    )


def last_run_month() -> int | None:
    return PayrollRun.objects.order_by("-month").values_list("month", flat=True).first()


# -- 4. survival certification ----------------------------------------------------------------


def certified_through(on: date, within_days: int = DUE_WITHIN_DAYS) -> date:
    """The latest certification date whose next certification falls due on or before
    `on` + `within_days`: those certified on or before it are due within the window (or
    overdue). `certification_due` is monotone, so this is one comparison in SQL."""
    limit = on + timedelta(days=within_days)
    d = date(limit.year - 1, limit.month, min(limit.day, 28)) - timedelta(days=3)
    while certification_due(d + timedelta(days=1)) <= limit:
        d += timedelta(days=1)
    return d


def reminder_certified_dates(on: date, days_before: tuple[int, ...] = (30, 7)) -> list[date]:
    """Every certification date whose due date is `days_before` days after `on`: the
    recipients to remind on `on` (`lib.benefit_rules.reminder_dates`)."""
    found = []
    for n in days_before:
        due = on + timedelta(days=n)
        for back in range(363, 368):
            d = due - timedelta(days=back)
            if certification_due(d) == due:
                found.append(d)
    return sorted(set(found))


def _dead(alias_person: str) -> str:
    """SQL: the person has a death on record (any archive death date, a 公安 or 卫健 death
    record linked to them) or a death case that stands."""
    gd, wd = fact_model("gongan_death")._meta.db_table, fact_model("wj_death")._meta.db_table
    cases = DeathCase._meta.db_table
    return (
        f"(EXISTS (SELECT 1 FROM {R} dr WHERE dr.person_id = {alias_person} "
        f"AND dr.identity_death_date IS NOT NULL) "
        f"OR EXISTS (SELECT 1 FROM {gd} g WHERE g.person_id = {alias_person}) "
        f"OR EXISTS (SELECT 1 FROM {wd} w WHERE w.person_id = {alias_person}) "
        f"OR EXISTS (SELECT 1 FROM {cases} dc WHERE dc.person_id = {alias_person} "
        f"AND dc.status IN ({_in(LIVE_CASES)})))"
    )


def _activity_sql(first: date, last: date) -> tuple[str, list]:
    """(person_id, source, d, what) for every sign of life from `first` to `last`, both
    included, in the other departments' data the city really exports:

    - rs_handling_log: a matter handled for the person with no agent, or with the person as
      their own agent (handled_at, else accepted_at): the person came themself;
    - sbk_card: a social security card issued or replaced (issue_date), which needs the
      holder's own application and photo.

    The synthetic city has no hospital or medical-settlement export and the card export has
    no transactions, so those signs are not available."""
    log, card = fact_model("rs_handling_log")._meta.db_table, fact_model("sbk_card")._meta.db_table
    when = _local_date("COALESCE(h.handled_at, h.accepted_at)")
    sql = (
        f"SELECT h.person_id AS person_id, 'rs_handling_log' AS source, {when} AS d, "
        f"h.matter AS what FROM {log} h WHERE h.person_id IS NOT NULL "
        f"AND (h.agent_id_number_hash IS NULL OR h.agent_id_number_hash = '' "
        f"OR h.agent_id_number_hash = h.id_number_hash) "
        f"AND {when} >= %s AND {when} <= %s "
        f"UNION ALL "
        f"SELECT c.person_id, 'sbk_card', c.issue_date, '社会保障卡发卡' FROM {card} c "
        f"WHERE c.person_id IS NOT NULL AND c.issue_date >= %s AND c.issue_date <= %s"
    )
    return sql, [_day(first), _day(last), _day(first), _day(last)]


def insert_silent_certifications(on: date, now: datetime) -> int:
    """One silent certification per recipient of a certified kind (paying or suspended) who
    is due within DUE_WITHIN_DAYS of `on` or overdue, is not dead, and shows activity in
    the ACTIVITY_DAYS days up to `on` later than their last certification. The latest
    activity is the evidence, and its date the certification date (the day the person was
    seen alive)."""
    activity, params = _activity_sql(on - timedelta(days=ACTIVITY_DAYS - 1), on)
    r_areas = ", ".join(f"COALESCE(r.{x}, '')" for x in AREA_FIELDS)
    evidence = _json_object({"source": "a.source", "date": _date_text("a.d"), "what": "a.what"})
    last_cert = (
        f"(SELECT MAX(lb.certified_on) FROM {B} lb WHERE lb.person_id = a.person_id "
        f"AND lb.kind IN ({CERTIFIED}))"
    )
    sql = (
        f"INSERT INTO {C} (person_id, certified_on, method, evidence, recorded_by_id, "
        f"created_at, {', '.join(AREA_FIELDS)}) "
        f"SELECT a.person_id, a.d, %s, {evidence}, NULL, %s, "
        f"{r_areas} "
        f"FROM (SELECT s.person_id, s.source, s.d, s.what, ROW_NUMBER() OVER "
        f"(PARTITION BY s.person_id ORDER BY s.d DESC, s.source, s.what) AS rn "
        f"FROM ({activity}) s WHERE s.person_id IN (SELECT b.person_id FROM {B} b "
        f"WHERE b.kind IN ({CERTIFIED}) AND b.status IN (%s, %s) "
        f"AND (b.certified_on IS NULL OR b.certified_on <= %s))) a "
        f"LEFT JOIN {R} r ON r.person_id = a.person_id "
        f"WHERE a.rn = 1 AND NOT {_dead('a.person_id')} "
        f"AND (a.d > {last_cert} OR {last_cert} IS NULL) {CERTIFIED_ALREADY}"
    )
    silent = CertificationMethod.SILENT.value
    all_params = [silent, _stamp(now), *params]
    all_params += [BenefitStatus.PAYING.value, BenefitStatus.SUSPENDED.value]
    all_params += [_day(certified_through(on))]
    return _execute(sql, all_params)


# a certification of the same person, day and method is there already (the table's key)
CERTIFIED_ALREADY = "ON CONFLICT (person_id, certified_on, method) DO NOTHING"


def insert_grid_certifications(now: datetime) -> int:
    """The door-to-door certifications grid workers recorded (网格采集 results of 待遇资格认证
    tasks whose outcome is 'certified', with the day the worker saw the person) for the
    recipients of a certified kind: one `Certification` each (method grid), the task as
    its evidence."""
    grid = fact_model("grid_collect")._meta.db_table
    evidence = _json_object(
        {
            "source": "'grid_collect'",
            "task": "g.task_id",
            "date": _date_text("g.certification_date"),
        }
    )
    r_areas = ", ".join(f"COALESCE(r.{x}, '')" for x in AREA_FIELDS)
    sql = (
        f"INSERT INTO {C} (person_id, certified_on, method, evidence, recorded_by_id, "
        f"created_at, {', '.join(AREA_FIELDS)}) "
        f"SELECT g.person_id, g.certification_date, %s, {evidence}, NULL, %s, {r_areas} "
        f"FROM {grid} g LEFT JOIN {R} r ON r.person_id = g.person_id "
        f"WHERE g.person_id IS NOT NULL AND g.task_kind = 'certification' "
        f"AND g.outcome = 'certified' AND g.certification_date IS NOT NULL "
        f"AND g.person_id IN (SELECT b.person_id FROM {B} b WHERE b.kind IN ({CERTIFIED})) "
        f"AND NOT {_dead('g.person_id')} {CERTIFIED_ALREADY}"
    )
    return _execute(sql, [CertificationMethod.GRID.value, _stamp(now)])


def apply_certifications(now: datetime, person_id: int | None = None) -> int:
    """Move `certified_on` of every certified-kind benefit (paying or suspended) to its
    person's latest certification where that is later."""
    latest = f"(SELECT MAX(c.certified_on) FROM {C} c WHERE c.person_id = {B}.person_id)"
    who = "" if person_id is None else f" AND {B}.person_id = %s"
    sql = (
        f"UPDATE {B} SET certified_on = {latest}, updated_at = %s "
        f"WHERE kind IN ({CERTIFIED}) AND status IN (%s, %s) AND {latest} IS NOT NULL "
        f"AND (certified_on IS NULL OR certified_on < {latest}){who}"
    )
    params = [_stamp(now), BenefitStatus.PAYING.value, BenefitStatus.SUSPENDED.value]
    return _execute(sql, params + ([person_id] if person_id is not None else []))


def next_payment_month(on: date) -> int:
    """The month the next payment run will pay: the one after the last run, or the month
    of `on` before any run."""
    last = last_run_month()
    return month_index(on) if last is None else max(last + 1, month_index(on))


def _resumable(on: date, person_id: int | None) -> tuple[str, list]:
    """SQL over alias b: benefits of a certified kind suspended for an overdue
    certification whose certification is now current: not overdue on `on` (due on or
    after it), nor for the next payment month (so that run will not suspend it again)."""
    where, params = _person_filter(person_id)
    # not overdue on `on` ⇔ certification_due(certified_on) >= on ⇔ certified_on > the
    # last date overdue on `on`
    overdue_until = certified_through(on - timedelta(days=1), within_days=0)
    n = int(next_payment_month(on))
    sql = (
        f"b.kind IN ({CERTIFIED}) AND b.status = %s AND b.suspended_from IS NOT NULL "
        f"AND b.stop_reason = '{OVERDUE}' AND b.certified_on IS NOT NULL "
        f"AND b.certified_on > %s AND NOT {_overdue(str(n))}{where}"
    )
    return sql, [BenefitStatus.SUSPENDED.value, _day(overdue_until), *params]


def back_pay_and_resume(on: date, now: datetime, person_id: int | None = None) -> tuple[int, int]:
    """For every suspended benefit of a certified kind whose certification is now current:
    BACK_PAY lines, one per suspended month from suspended_from to the month before the
    next payment run (`next_payment_month`: the last run month, or, before any run or when
    runs are behind, the month before `on`'s), in the entitlement and before any stop (a
    month after a death is never owed), not paid yet by any line (so a second
    certification never back pays twice, and a run never pays a back-paid month again),
    at the benefit's monthly amount; then the benefit is paying again. Returns (lines,
    benefits resumed)."""
    last = next_payment_month(on) - 1
    resumable, r_params = _resumable(on, person_id)
    lines = 0
    first = Benefit.objects.filter(status=BenefitStatus.SUSPENDED).exclude(suspended_from=None)
    if person_id is not None:
        first = first.filter(person_id=person_id)
    low = min(first.values_list("suspended_from", flat=True), default=None)
    if low is not None and low <= last:
        sql = (
            f"INSERT INTO {P} (benefit_id, person_id, run_id, kind, first_month, "
            f"last_month, monthly_amount, amount, created_at, {', '.join(AREA_FIELDS)}) "
            f"WITH RECURSIVE months(m) AS (SELECT {int(low)} UNION ALL "
            f"SELECT m + 1 FROM months WHERE m < {int(last)}) "
            f"SELECT b.id, b.person_id, NULL, %s, months.m, months.m, b.monthly_amount, "
            f"b.monthly_amount, %s, {', '.join('b.' + a for a in AREA_FIELDS)} "
            f"FROM {B} b JOIN months ON months.m >= b.suspended_from "
            f"WHERE {resumable} AND {_in_entitlement('months.m')} "
            f"AND NOT {_covered('months.m')} ORDER BY b.id, months.m"
        )
        params = [PaymentKind.BACK_PAY.value, _stamp(now), *r_params]
        lines = _execute(sql, params)
    paid = (
        f"(SELECT MAX(p.last_month) FROM {P} p WHERE p.benefit_id = {B}.id "
        f"AND p.kind = '{PaymentKind.BACK_PAY.value}')"
    )
    sql = (
        f"UPDATE {B} SET status = %s, suspended_from = NULL, stop_reason = '', updated_at = %s, "
        f"paid_through = CASE WHEN {paid} IS NOT NULL AND (paid_through IS NULL "
        f"OR paid_through < {paid}) THEN {paid} ELSE paid_through END "
        f"WHERE id IN (SELECT b.id FROM {B} b WHERE {resumable})"
    )
    resumed = _execute(sql, [BenefitStatus.PAYING.value, _stamp(now), *r_params])
    return lines, resumed


# -- reading: reminders and the bank's payment file ------------------------------------------


REMINDER = "certification_reminder"  # the outbox template of a certification reminder


def insert_reminders(on: date, now: datetime, days_before: tuple[int, ...] = (30, 7)) -> int:
    """Queue an SMS in the notification outbox for every recipient of a certified kind
    (paying or suspended, no death on record) whose certification falls due 30 or 7 days
    after `on`: one per person and reminder (the key), so a second pass queues nothing.
    One INSERT … SELECT per reminder date."""
    from .models import Notification

    n_t, queued = Notification._meta.db_table, 0
    payload = "CAST(%s AS jsonb)" if _pg() else "%s"
    for days in days_before:
        due = on + timedelta(days=days)
        certified = [
            d for d in reminder_certified_dates(on, (days,)) if certification_due(d) == due
        ]
        if not certified:
            continue
        marks = ", ".join(["%s"] * len(certified))
        sql = (
            f"INSERT INTO {n_t} (person_id, enterprise_uscc, channel, template, payload, status, "
            f"policy_code, run_id, delivery_id, key, created_at, sent_at, {', '.join(AREA_FIELDS)}) "
            f"SELECT b.person_id, '', 'sms', %s, {payload}, 'pending', '', NULL, NULL, "
            f"%s || CAST(b.person_id AS TEXT) || %s, %s, NULL, "
            f"{', '.join(f'MAX(b.{a})' for a in AREA_FIELDS)} FROM {B} b "
            f"WHERE b.kind IN ({CERTIFIED}) AND b.status IN (%s, %s) "
            f"AND b.certified_on IN ({marks}) AND NOT {_dead('b.person_id')} "
            "GROUP BY b.person_id ON CONFLICT (key) DO NOTHING"
        )
        params = [REMINDER, json.dumps({"due": due.isoformat(), "days": days})]
        params += ["certify:", f":{due.isoformat()}:{days}", _stamp(now)]
        params += [BenefitStatus.PAYING.value, BenefitStatus.SUSPENDED.value]
        params += [_day(d) for d in certified]
        queued += _execute(sql, params)
    return queued


FILE_HEADER = (
    "line",
    "month",
    "benefit",
    "payment",
    "name",
    "id_number",
    "account",
    "first_month",
    "last_month",
    "monthly_amount",
    "amount",
)


def _month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def payment_rows(run: PayrollRun):
    """(header, rows, total) of a run's payment file: one row per payment line, in line
    order, with the full ID number and account (decrypted: the bank needs them), then the
    caller adds the total row."""
    from minsheng.residents.plain import Plain

    plain = Plain()
    lines = (
        Payment.objects.filter(run=run)
        .order_by("pk")
        .values_list(
            "pk",
            "benefit__kind",
            "kind",
            "person__name",
            "person__id_enc",
            "person__resident__benefits_payment_account",
            "first_month",
            "last_month",
            "monthly_amount",
            "amount",
        )
    )
    rows, total = [], 0
    for pk, kind, pay, name, id_enc, account, first, last, monthly, amount in lines.iterator(
        chunk_size=2000
    ):
        rows.append(
            [
                pk,
                _month_text(run.month),
                kind,
                pay,
                name or "",
                plain(id_enc) or "",
                plain(account) or "",
                _month_text(first),
                _month_text(last),
                monthly,
                amount,
            ]
        )
        total += amount
    return rows, total


def payment_file(run: PayrollRun, fmt: str = "csv") -> bytes:
    """The bank's payment file of a run: CSV (UTF-8 with BOM, for Excel/WPS) or XLSX, one
    row per payment line and a final total row (its amount is the run's total)."""
    import csv
    import io
    from decimal import Decimal

    from minsheng.lib.spreadsheet import safe_row, write_xlsx_row

    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"unknown payment file format {fmt!r}")
    rows, total = payment_rows(run)
    total = Decimal(total).quantize(Decimal("0.01"))
    last = ["total", _month_text(run.month), "", "", "", "", "", "", "", "", total]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(FILE_HEADER)
        for row in rows:
            writer.writerow(safe_row(row))
        writer.writerow(last)
        return out.getvalue().encode("utf-8-sig")
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(_month_text(run.month))
    write_xlsx_row(sheet, 0, 0, FILE_HEADER)
    for n, row in enumerate(rows, start=1):
        # numbers as numbers; the ID number and account stay text (write_xlsx_row)
        write_xlsx_row(sheet, n, 0, row)
    write_xlsx_row(sheet, len(rows) + 1, 0, last)
    book.close()
    return buffer.getvalue()
