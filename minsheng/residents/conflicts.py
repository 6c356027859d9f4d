"""Conflicts: facts about one person that must not flip silently.

The archive shows one value per item (the item's resolution rule in `archive.py`). Where the
facts behind it disagree, a `Conflict` row makes the disagreement visible on the profile and
in the conflicts list instead of leaving a last-wins value. Two kinds, for
`identity.death_date` today (`REPORTS` and `ACTIVITIES` are the places to add more):

- `values_differ`: two or more different values among all the person's reports of the item,
  across sources or within one source (a 公安 list that reports one death twice). A
  *fallback* report counts only when the person has no other report: 公安户籍's 注销日期 of a
  死亡注销 record is when the record was closed, days or weeks after the death, and stands in
  for the death date only where neither 卫健 nor 公安死亡注销 reports one.
- `activity_after_death`: facts dated after the death date the archive shows (see
  `activities` for the list and why each is there).

A date in the future (after the refresh's as-of date) or before the person's birth (the
row's own birth date) is no value: the import refuses such dates (a required one refuses its
row, an optional one is stored empty), and facts loaded before it did are ignored here and in
the archive (`possible_date`), so nothing marks a person dead from a refused date.

`detect` runs inside the archive refresh, for exactly the persons it rebuilt, as a handful of
set-based statements over temporary tables (no loop over persons): the reports of the items,
the activity of the dead among them, the conflicts found, then a sync of `Conflict` (a
conflict no longer found is deleted; one whose facts or archive value changed is replaced,
open again; an unchanged one keeps its status and resolution).
"""

from __future__ import annotations

from dataclasses import dataclass

from minsheng.lib import sqldialect
from minsheng.sources.models import FACT_MODELS, Batch

from .models import Conflict, ConflictKind, ConflictStatus, field_name

DEATH = "identity.death_date"

REPORTS_TABLE = "conflict_reports"
DEAD_TABLE = "conflict_dead"
ACTIVITY_TABLE = "conflict_activity"
FOUND_TABLE = "conflict_found"
ACTIVITY_CAP = 50  # activity facts kept per conflict, the latest first


@dataclass(frozen=True)
class Report:
    """The fact rows of one source that report a value of an item."""

    source: str
    value: str  # SQL over the fact row `f`: the value (a date)
    where: str = ""
    # SQL over `f`: when the report was made, where the source says (a 公安 report's 注销日期);
    # within one source the most recent report is the one the archive shows
    reported: str = ""
    fallback: bool = False  # compared only when the person has no other report of the item
    birth: str = "f.birth_date"  # the row's own birth date ("" if the source has none)


@dataclass(frozen=True)
class Activity:
    """Fact rows of one source that show the person doing something on a date."""

    source: str
    what: str  # SQL: what happened (a code of `ACTIVITY_LABELS`, or the log's matter)
    on: str  # SQL over `f`: the date
    where: str = ""
    item: str | None = None  # the dictionary item the date feeds (masking on the pages)
    by_month: bool = False  # compared by month: a pension is due for the month of death


def possible_date(value: str, birth: str, as_of: str) -> str:
    """`value` if it can be the date of something that happened to the person: not after
    `as_of`, not before their birth (when the row says it), else NULL."""
    born = f" AND ({birth} IS NULL OR {value} >= {birth})" if birth else ""
    return f"CASE WHEN {value} <= {as_of}{born} THEN {value} END"


def reports(pg: bool) -> dict[str, tuple[Report, ...]]:
    """Item → its reports, in the item's authority order."""
    return {
        DEATH: (
            Report("wj_death", sqldialect.as_date("f.death_time", pg)),
            Report("gongan_death", "f.death_date", reported="f.cancel_date"),
            Report(
                "gongan_hukou",
                "f.cancel_date",
                where="f.hukou_status_code = '3'",
                fallback=True,
            ),
        )
    }


# Handling-log matters that belong after a death (a survivor's claim, closing the account):
# a log entry of one of them is no sign of life.
AFTER_DEATH_MATTERS = ("死亡", "丧葬", "抚恤", "遗属", "注销", "继承")


def activities(pg: bool) -> tuple[Activity, ...]:
    """Dated facts that a dead person should not have after the death date.

    - 经办日志 (rs_handling_log): an entry accepted (else handled) for the person after the
      death, except matters that follow a death (`AFTER_DEATH_MATTERS`).
    - 养老待遇 (rs_pension): a pension paid for a month after the month of death (the month of
      death is still due); a qualification certification (资格认证) after the death.
    - 参保 (rs_insurance): an insurance period that started after the death (本次参保日期; the
      export has no contribution month of its own).
    - 社保卡 (sbk_card): a card issued after the death.
    - 就业失业登记 (rs_employment): a registration after the death.
    - 社会救助 (mz_assistance): an approval after the death.

    Not used: 网格人口采集's 采集日期 (a census copies last year's household), and dates that
    describe the past rather than an act (graduation, discharge, first insured date).
    """
    d = sqldialect.as_date
    matters = " AND ".join(f"f.matter NOT LIKE '%%{m}%%'" for m in AFTER_DEATH_MATTERS)
    return (
        Activity(
            "rs_handling_log",
            "f.matter",
            d("COALESCE(f.accepted_at, f.handled_at)", pg),
            where=matters,
        ),
        Activity(
            "rs_pension",
            "'pension_paid'",
            "f.last_paid_month",
            item="benefits.pension_last_paid_month",
            by_month=True,
        ),
        Activity(
            "rs_pension",
            "'certified'",
            "f.last_certification_date",
            item="benefits.last_certification_date",
        ),
        Activity(
            "rs_insurance", "'insured'", "f.current_insured_date", item="employment.start_date"
        ),
        Activity("sbk_card", "'card_issued'", "f.issue_date", item="card.issue_date"),
        Activity(
            "rs_employment",
            "'registered'",
            "f.registration_date",
            item="unemployment.registration_date",
        ),
        Activity(
            "mz_assistance",
            "'assistance_approved'",
            "f.approval_date",
            item="assistance.start_date",
        ),
    )


# -- SQL ------------------------------------------------------------------------------------


def _table(source: str) -> str:
    return FACT_MODELS[source]._meta.db_table


def _null_date(pg: bool) -> str:
    # SQLite must not CAST: a "date" type name has numeric affinity ('2026-03-20' → 2026)
    return "CAST(NULL AS date)" if pg else "NULL"


def _json_object(pg: bool, fields: dict[str, str]) -> str:
    args = ", ".join(f"'{k}', {v}" for k, v in fields.items())
    return f"jsonb_build_object({args})" if pg else f"json_object({args})"


def _json_array(pg: bool) -> str:
    """The JSON array of a group's `obj` column, as a window aggregate: SQLite before 3.44
    has no ORDER BY inside an aggregate, and its GROUP BY may sort a subquery's rows again,
    while a window's ORDER BY fixes the order on both databases."""
    return "jsonb_agg(obj)" if pg else "json_group_array(json(obj))"


def _from(source: str, staged: str, scoped: bool) -> str:
    table = _table(source)
    if scoped:
        return f"{staged} s JOIN {table} f ON f.person_id = s.person_id"
    return f"{table} f"


def _reports_sql(pg: bool, staged: str, scoped: bool, as_of: str) -> str:
    parts = []
    for item, item_reports in reports(pg).items():
        for rank, r in enumerate(item_reports):
            value = possible_date(r.value, r.birth, as_of)
            where = ["f.person_id IS NOT NULL", f"({value}) IS NOT NULL"]
            if r.where:
                where.append(f"({r.where})")
            parts.append(
                f"SELECT f.person_id, '{item}' AS item, '{r.source}' AS source, "
                f"f.batch_id, f.row AS fact_row, {value} AS value, "
                f"{r.reported or _null_date(pg)} AS reported, "
                f"{1 if r.fallback else 0} AS fallback, {rank} AS rank "
                f"FROM {_from(r.source, staged, scoped)} WHERE {' AND '.join(where)}"
            )
    return f"CREATE TEMPORARY TABLE {REPORTS_TABLE} AS {' UNION ALL '.join(parts)}"


def _activity_sql(pg: bool) -> str:
    parts = []
    for a in activities(pg):
        if a.by_month:
            after = f"{sqldialect.month_start(a.on, pg)} > {sqldialect.month_start('d.death', pg)}"
        else:
            after = f"{a.on} > d.death"
        where = [after]
        if a.where:
            where.append(f"({a.where})")
        item = f"'{a.item}'" if a.item else "NULL"
        parts.append(
            f"SELECT f.person_id, '{a.source}' AS source, f.batch_id, f.row AS fact_row, "
            f"{a.on} AS value, {a.what} AS what, {item} AS item "
            f"FROM {DEAD_TABLE} d JOIN {_table(a.source)} f ON f.person_id = d.person_id "
            f"WHERE {' AND '.join(where)}"
        )
    return f"CREATE TEMPORARY TABLE {ACTIVITY_TABLE} AS {' UNION ALL '.join(parts)}"


def _fact_json(pg: bool, role: str, item: str, reported: str, what: str) -> str:
    return _json_object(
        pg,
        {
            "role": f"'{role}'",
            "source": "x.source",
            "batch": "x.batch_id",
            "file": "b.file_name",
            "row": "x.fact_row",
            "value": "x.value",
            "reported": reported,
            "what": what,
            "item": item,
        },
    )


# Facts in a conflict: the item's values in authority order, within a source the most
# recent report first (the one the archive shows); then the activity, the latest first.
SORT = "k_ord, k_rank, k_date IS NULL, k_date DESC, batch_id DESC, fact_row DESC"


def _found_sql(pg: bool, staged: str, item: str, kind: str, facts: str) -> str:
    """INSERT the conflicts of one item and kind from `facts`, a query of the facts of each
    conflict (person_id, obj, and the sort keys)."""
    shown = f"CAST(s.{field_name(item)} AS text)"
    by_person = f"PARTITION BY y.person_id ORDER BY {SORT}"
    return (
        f"INSERT INTO {FOUND_TABLE} (person_id, item, kind, facts, shown) "
        f"SELECT person_id, '{item}', '{kind}', facts, shown FROM (SELECT y.person_id, "
        f"{_json_array(pg)} OVER ({by_person} ROWS BETWEEN UNBOUNDED PRECEDING "
        f"AND UNBOUNDED FOLLOWING) AS facts, ROW_NUMBER() OVER ({by_person}) AS n, "
        f"{shown} AS shown FROM ({facts}) y JOIN {staged} s ON s.person_id = y.person_id) z "
        f"WHERE n = 1"
    )


def _values_differ(pg: bool, item: str) -> str:
    batch = Batch._meta.db_table
    obj = _fact_json(pg, "value", f"'{item}'", "x.reported", "NULL")
    return (
        f"SELECT x.person_id, {obj} AS obj, 0 AS k_ord, x.rank AS k_rank, "
        f"x.reported AS k_date, x.batch_id, x.fact_row "
        f"FROM {REPORTS_TABLE} x JOIN {batch} b ON b.id = x.batch_id "
        f"WHERE x.item = '{item}' AND x.person_id IN (SELECT person_id FROM {REPORTS_TABLE} "
        f"WHERE item = '{item}' GROUP BY person_id HAVING COUNT(DISTINCT value) > 1)"
    )


def _activity_after_death(pg: bool) -> str:
    batch = Batch._meta.db_table
    value = _fact_json(pg, "value", f"'{DEATH}'", "x.reported", "NULL")
    activity = _fact_json(pg, "activity", "x.item", _null_date(pg), "x.what")
    return (
        f"SELECT x.person_id, {value} AS obj, 0 AS k_ord, x.rank AS k_rank, "
        f"x.reported AS k_date, x.batch_id, x.fact_row "
        f"FROM {REPORTS_TABLE} x JOIN {batch} b ON b.id = x.batch_id "
        f"WHERE x.item = '{DEATH}' AND x.person_id IN (SELECT person_id FROM {ACTIVITY_TABLE}) "
        f"UNION ALL SELECT x.person_id, {activity} AS obj, 1, 0, x.value, x.batch_id, x.fact_row "
        f"FROM (SELECT a.*, ROW_NUMBER() OVER (PARTITION BY a.person_id ORDER BY a.value DESC, "
        f"a.batch_id DESC, a.fact_row DESC) AS n FROM {ACTIVITY_TABLE} a) x "
        f"JOIN {batch} b ON b.id = x.batch_id WHERE x.n <= {ACTIVITY_CAP}"
    )


def _sync(cursor, pg: bool, staged: str, scoped: bool, params: dict) -> None:
    table = Conflict._meta.db_table
    scope = f"{table}.person_id IN (SELECT person_id FROM {staged}) AND " if scoped else ""
    same_shown = (
        f"n.shown IS NOT DISTINCT FROM {table}.shown" if pg else f"n.shown IS {table}.shown"
    )
    cursor.execute(
        f"DELETE FROM {table} WHERE {scope}NOT EXISTS (SELECT 1 FROM {FOUND_TABLE} n "
        f"WHERE n.person_id = {table}.person_id AND n.item = {table}.item "
        f"AND n.kind = {table}.kind AND n.facts = {table}.facts AND {same_shown})"
    )
    cursor.execute(
        f"INSERT INTO {table} (person_id, item, kind, facts, shown, detected_at, status, note) "
        f"SELECT n.person_id, n.item, n.kind, n.facts, n.shown, %(now)s, "
        f"'{ConflictStatus.OPEN}', '' FROM {FOUND_TABLE} n WHERE NOT EXISTS (SELECT 1 "
        f"FROM {table} c WHERE c.person_id = n.person_id AND c.item = n.item "
        f"AND c.kind = n.kind)",
        params,
    )


def detect(cursor, *, staged: str, scoped: bool, pg: bool, params: dict) -> None:
    """Find the conflicts of the persons in `staged` (the archive refresh's table of the
    rebuilt persons with their resolved items) and bring `Conflict` up to date for them.
    `scoped` False: `staged` holds every person (a full rebuild). `params` holds `as_of`
    and `now` as the archive statement passes them."""
    as_of = "CAST(%(as_of)s AS date)" if pg else "%(as_of)s"
    temps = (REPORTS_TABLE, DEAD_TABLE, ACTIVITY_TABLE, FOUND_TABLE)
    for t in temps:
        cursor.execute(f"DROP TABLE IF EXISTS {t}")
    cursor.execute(_reports_sql(pg, staged, scoped, as_of), params)
    cursor.execute(f"CREATE INDEX {REPORTS_TABLE}_person ON {REPORTS_TABLE} (person_id, item)")
    # a fallback report counts only where the person has no other report of the item
    cursor.execute(
        f"DELETE FROM {REPORTS_TABLE} WHERE fallback = 1 AND EXISTS (SELECT 1 FROM "
        f"{REPORTS_TABLE} o WHERE o.person_id = {REPORTS_TABLE}.person_id "
        f"AND o.item = {REPORTS_TABLE}.item AND o.fallback = 0)"
    )
    death = field_name(DEATH)
    cursor.execute(
        f"CREATE TEMPORARY TABLE {DEAD_TABLE} AS SELECT person_id, {death} AS death "
        f"FROM {staged} WHERE {death} IS NOT NULL"
    )
    cursor.execute(_activity_sql(pg))
    facts_type = "jsonb" if pg else "text"
    cursor.execute(
        f"CREATE TEMPORARY TABLE {FOUND_TABLE} (person_id bigint, item varchar(64), "
        f"kind varchar(32), facts {facts_type}, shown text)"
    )
    for item in reports(pg):
        cursor.execute(
            _found_sql(pg, staged, item, ConflictKind.VALUES_DIFFER, _values_differ(pg, item))
        )
    cursor.execute(
        _found_sql(pg, staged, DEATH, ConflictKind.ACTIVITY_AFTER_DEATH, _activity_after_death(pg))
    )
    cursor.execute(
        f"CREATE UNIQUE INDEX {FOUND_TABLE}_key ON {FOUND_TABLE} (person_id, item, kind)"
    )
    _sync(cursor, pg, staged, scoped, params)
    for t in temps:
        cursor.execute(f"DROP TABLE {t}")
