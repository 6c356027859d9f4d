"""Building the resolved archive: one row per person from the per-source fact tables.

Everything here is set-based SQL generated from the source registry and the data
dictionary, and runs unchanged on SQLite and PostgreSQL:

0. The *sets* (`Holding`) first: every business, employer, benefit and disability of the
   person, one entry per key (USCC, type) from its latest fact row (`entries`). The archive
   row shows one of each; rules ask about any of them (`business_any` in the rule
   language). The row's employment is read from them: the most recent evidence among the
   person's 就业登记 rows, current contributions by an employer and active businesses
   (view `em`), so all its items come from one piece of evidence and its provenance names
   that evidence's source (the entry, its batch and row).
1. Each *view* picks, per person, the latest fact row of one source (optionally of one kind,
   e.g. the 110 scheme rows of 参保) and exposes the items that source feeds.
2. One INSERT … SELECT joins the person index to every view and resolves each item by its
   dictionary rule: `authoritative`/`single` take the first source in authority order that
   has a value, `most_recent` the value with the latest record date. The winning source and
   its date are kept beside items with provenance.
3. UPDATE passes compute the derived items (age, retirement, status …) and the household
   aggregates, in dependency order.
4. `conflicts.detect` records, for the same persons, where the facts disagree (different
   death dates, activity after death) as `Conflict` rows instead of a silent last-wins.

Incremental: only the persons a batch touched (kept in a temporary table) are rebuilt, sets
included, plus the households they belong to for the household aggregates. A full rebuild
of many persons stages half of them in a helper process (`Part`), on the other core.
"""

from __future__ import annotations

import contextlib
import logging
import mmap
import os
import re
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import django
from django.db import connection, connections, transaction
from django.utils import timezone

from minsheng.catalogue import dictionary, registry
from minsheng.catalogue.codes import code_map
from minsheng.lib import failpoints, sqldialect, workers
from minsheng.lib.retirement import CATEGORIES, retirement
from minsheng.sources.bulk import analyze, indexes_deferred
from minsheng.sources.models import FACT_MODELS, encrypted

from . import conflicts
from .models import Holding, HoldingKind, Provenance, RetirementAge, field_name

log = logging.getLogger(__name__)

TOUCHED = "archive_touched"
HOLDINGS = Holding._meta.db_table
FULL_REBUILD_SHARE = 0.5  # above this share of the index, rebuild everything at once

# business.status codes of an entity that exists (存续, 在业)
ACTIVE = "('1', '2')"
# business.entity_kind from 市场监管's 主体类型
ENTITY_KIND = (
    "CASE WHEN f.entity_type = '个体工商户' THEN '2' "
    "WHEN f.entity_type = '农民专业合作社' THEN '3' ELSE '1' END"
)
# Evidence of employment dated the same day: a 就业登记 (which says the form of employment)
# before a contribution, before a business.
EVIDENCE_RANK = "CASE f.source WHEN 'rs_employment' THEN 0 WHEN 'rs_insurance' THEN 1 ELSE 2 END"


@dataclass(frozen=True)
class Persons:
    """Whose rows a rebuild reads: the touched set (`TOUCHED`), or everyone, or everyone
    whose person id is in [lo, hi) (a share of a full rebuild, see `Part`)."""

    touched: bool = False
    lo: int | None = None
    hi: int | None = None

    def rows(self, table: str) -> str:
        """The FROM clause of `table`'s rows (as `f`) of these persons."""
        # a join (not IN) lets the planner walk the person index for a small touched set
        if self.touched:
            return f"{TOUCHED} tt JOIN {table} f ON f.person_id = tt.person_id"
        return f"{table} f"

    def where(self, column: str) -> str:
        """The condition on a person id column (`column`) that these persons meet."""
        conds = [f"{column} IS NOT NULL"]
        if self.lo is not None:
            conds.append(f"{column} >= {int(self.lo)}")
        if self.hi is not None:
            conds.append(f"{column} < {int(self.hi)}")
        return " AND ".join(conds)


EVERYONE = Persons()
TOUCHED_ONLY = Persons(touched=True)


# -- dialect ---------------------------------------------------------------------------


def _pg() -> bool:
    return connection.vendor == "postgresql"


def as_date(expr: str) -> str:
    return sqldialect.as_date(expr, _pg())


def param_date() -> str:
    return "CAST(%(as_of)s AS date)" if _pg() else "%(as_of)s"


def years_between(start: str, end: str) -> str:
    return sqldialect.years_between(start, end, _pg())


def months_between(start: str, end: str) -> str:
    return sqldialect.months_between(start, end, _pg())


def add_months(expr: str, months: int) -> str:
    return sqldialect.add_months(expr, months, _pg())


def month_start(expr: str) -> str:
    return sqldialect.month_start(expr, _pg())


def true() -> str:
    return sqldialect.boolean(True, _pg())


def false() -> str:
    return sqldialect.boolean(False, _pg())


# -- views -----------------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """The latest fact row per person of one source (and kind), and what it feeds."""

    alias: str
    source: str
    date: str  # the record date of a row, for most_recent and provenance
    where: str = ""
    items: dict[str, str] = field(default_factory=dict)  # item → SQL over f
    columns: bool = True  # also feed the items of the source's declared columns
    exclude: frozenset[str] = frozenset()  # column items this view must not feed
    # Which of a person's rows is their latest: the most recent report first (this, then
    # the later batch and row). None: by the record date; "": by batch and row alone.
    order: str | None = None
    # Between rows equally recent, the one for which this is smallest (before batch, row).
    tiebreak: str = ""
    # A view over another table than the source's facts (the sets, `Holding`), whose rows
    # name their own source in this column.
    table: str = ""
    source_column: str = ""

    @property
    def source_sql(self) -> str:
        """SQL over the view's row naming the source of its value (for provenance)."""
        return f"{self.alias}.s" if self.source_column else f"'{self.source}'"


UNEMPLOYMENT_ITEMS = frozenset(
    c.item
    for c in registry.source("rs_employment").columns
    if c.item and c.item.startswith("unemployment.")
)
EMPLOYMENT_ITEMS = frozenset(
    c.item
    for c in registry.source("rs_employment").columns
    if c.item and c.item.startswith("employment.")
)
# The items of the person's current employment: all from one piece of evidence, the most
# recent of their 就业登记 rows, current contributions and active businesses (`em`).
EMPLOYMENT_EVIDENCE = frozenset(
    {
        "employment.employer",
        "employment.employer_uscc",
        "employment.form",
        "employment.start_date",
    }
)

# 参保 columns that describe the pension scheme only, not whichever row is latest
PENSION_ONLY = frozenset(
    {
        "insurance.employee_pension_first_date",
        "insurance.employee_pension_months",
        "insurance.resident_pension_grade",
    }
)


def _column_expr(col: registry.Column) -> str:
    if col.kind == "id":
        # The fact keeps an unusable ID's raw text (encrypted, for review) without a blind
        # index; text that is no valid ID number never becomes anyone's ID in the archive.
        return f"CASE WHEN f.{col.name}_hash IS NOT NULL THEN f.{col.name}_enc END"
    if encrypted(col):
        return f"f.{col.name}_enc"
    if col.kind == "code" and code_map(col):
        if col.item and dictionary.item(col.item).type == "boolean":
            return f"CASE f.{col.name}_code WHEN '1' THEN {true()} WHEN '0' THEN {false()} END"
        return f"f.{col.name}_code"
    if col.kind == "datetime":
        return as_date(f"f.{col.name}")
    return f"f.{col.name}"


def _loaded() -> str:
    return as_date("f.loaded_at")


def _death(value: str) -> str:
    """A reported death date, unless it is a date that cannot be one (after the refresh's
    as-of date or before the row's birth date: `conflicts.possible_date`). The import
    refuses such dates; facts loaded before it did must not mark anyone dead either."""
    return conflicts.possible_date(value, "f.birth_date", param_date())


def views() -> list[View]:
    """Every view, in the order of the joins. Extra items (fed by a rule over a source's
    columns rather than by one column) are written out here.

    Within one source the person's most recent report decides (`View.order`): a 公安 death
    list that reports one death twice is decided by the later 注销日期 (the correction),
    then the later batch and row; two 卫健 certificates by the later batch and row. The
    disagreement itself is kept visible as a `Conflict` (`conflicts.py`)."""
    t, fa = true(), false()
    d = as_date
    ins = "rs_insurance"
    status = (
        "CASE f.insured_status WHEN '参保缴费' THEN '1' WHEN '暂停缴费' THEN '2' "
        "WHEN '终止参保' THEN '3' WHEN '退休' THEN '4' WHEN '待遇领取' THEN '4' END"
    )
    dated_ins = "COALESCE(f.current_insured_date, f.first_insured_date)"
    return [
        View(
            "hk",
            "gongan_hukou",
            f"COALESCE(f.cancel_date, {_loaded()})",
            items={
                "hukou.local": t,
                "hukou.separated": f"CASE WHEN f.hukou_status LIKE '%%人户分离%%' THEN {t} "
                f"ELSE {fa} END",
                "identity.death_date": "CASE WHEN f.hukou_status_code = '3' THEN "
                f"{_death('f.cancel_date')} END",
            },
        ),
        View(
            "gd",
            "gongan_death",
            "f.death_date",
            items={"hukou.status": "'3'", "identity.death_date": _death("f.death_date")},
            order="f.cancel_date",
        ),
        View(
            "wj",
            "wj_death",
            d("f.death_time"),
            items={"identity.death_date": _death(d("f.death_time"))},
            order="",
        ),
        View(
            "gc",
            "grid_census",
            f"COALESCE(f.collected_date, {_loaded()})",
            items={
                "hukou.local": f"CASE f.hukou_type_code WHEN '1' THEN {t} WHEN '0' THEN {fa} END",
                # read by the derivation of education.in_school (`_row_derivations`)
                "education.in_school": f"CASE WHEN f.person_category_code = '5' THEN {t} END",
            },
        ),
        # Where a person works: the most recent evidence among their 就业登记 rows, the units
        # currently paying their contributions and the businesses they run (the set's
        # employer entries and active businesses, built from the facts before this).
        View(
            "em",
            HOLDINGS,
            "f.start_date",
            where=f"f.kind = 'employer' OR (f.kind = 'business' AND f.status IN {ACTIVE})",
            items={
                "employment.employer": "f.label",
                "employment.employer_uscc": "f.key",
                # the owner of a 个体工商户 is 个体经营, of any other entity 自主创业
                "employment.form": "CASE WHEN f.kind = 'business' THEN CASE f.category "
                "WHEN '2' THEN '5' ELSE '3' END ELSE f.category END",
                "employment.start_date": "f.start_date",
            },
            columns=False,
            tiebreak=EVIDENCE_RANK,
            table=HOLDINGS,
            source_column="f.source",
        ),
        # 就业登记 rows say where a person lives and how to reach them (their employment is
        # the set's, above), 失业登记 rows what their unemployment is
        View(
            "ee",
            "rs_employment",
            "f.registration_date",
            where="f.registration_type_code = 'E'",
            exclude=UNEMPLOYMENT_ITEMS | EMPLOYMENT_EVIDENCE,
        ),
        View(
            "eu",
            "rs_employment",
            "f.registration_date",
            where="f.registration_type_code = 'U'",
            items={
                "unemployment.registered": f"CASE WHEN f.benefit_status_code IS NULL "
                f"OR f.benefit_status_code <> '3' THEN {t} ELSE {fa} END"
            },
            exclude=EMPLOYMENT_ITEMS,
        ),
        # The latest 参保 row of any scheme says who the person is insured as; the scheme
        # views below say the status of each insurance, the set where they work (`em`).
        View("ia", ins, dated_ins, exclude=PENSION_ONLY | EMPLOYMENT_EVIDENCE),
        View(
            "ip",
            ins,
            dated_ins,
            where="f.scheme_code IN ('110', '120')",
            items={
                "insurance.employee_pension_status": status,
                "insurance.employee_pension_scheme": "f.scheme_code",
                "insurance.employee_pension_first_date": "f.first_insured_date",
                "insurance.employee_pension_months": "f.contribution_months",
            },
            columns=False,
        ),
        View(
            "ir",
            ins,
            dated_ins,
            where="f.scheme_code = '170'",
            items={
                "insurance.resident_pension_status": status,
                "insurance.resident_pension_grade": "f.resident_grade",
            },
            columns=False,
        ),
        View(
            "im",
            ins,
            dated_ins,
            where="f.scheme_code IN ('310', '390')",
            items={"insurance.medical_scheme": "f.scheme_code"},
            columns=False,
        ),
        View(
            "iu",
            ins,
            dated_ins,
            where="f.scheme_code = '210'",
            items={"insurance.unemployment_insurance_status": status},
            columns=False,
        ),
        View(
            "iw",
            ins,
            dated_ins,
            where="f.scheme_code = '410'",
            items={"insurance.work_injury_status": status},
            columns=False,
        ),
        View("pe", "rs_pension", f"COALESCE(f.last_paid_month, {_loaded()})"),
        View(
            "sb",
            "sbk_card",
            "f.issue_date",
            items={"card.has_card": f"CASE WHEN f.card_status_code = '5' THEN {fa} ELSE {t} END"},
        ),
        View(
            "ma",
            "mz_assistance",
            "f.approval_date",
            items={
                "assistance.returned_to_poverty": "CASE f.returned_to_poverty_code "
                f"WHEN '1' THEN {t} WHEN '0' THEN {fa} END",
            },
        ),
        *[
            View(
                alias,
                "mz_assistance",
                "f.approval_date",
                where=f"f.assistance_type_code = '{kind}'",
                items={item: f"CASE WHEN f.assistance_status_code = '1' THEN {t} ELSE {fa} END"},
                columns=False,
            )
            for alias, kind, item in (
                ("md", "dibao", "assistance.dibao"),
                ("mt", "tekun", "assistance.tekun"),
                ("me", "dibao_edge", "assistance.dibao_edge"),
                ("mf", "fpr", "assistance.poverty_monitoring"),
            )
        ],
        View("ed", "edu_graduates", "f.graduation_date"),
        View("cl", "cl_disability", "f.issue_date", items={"disability.disabled": t}),
        View("va", "va_veterans", "f.discharge_date", items={"veterans.veteran": t}),
        View(
            "bz",
            "scjg_business",
            "f.established_date",
            items={
                "business.is_legal_rep": f"CASE WHEN f.status_code IN ('1', '2') THEN {t} "
                f"ELSE {fa} END",
                "business.entity_kind": ENTITY_KIND,
            },
        ),
        View(
            "hc",
            "rs_handling_log",
            d("f.handled_at"),
            where="f.matter = '养老待遇资格认证' AND f.result = '办结'",
            items={"benefits.last_certification_date": d("f.handled_at")},
            columns=False,
        ),
        View(
            "hs",
            "rs_handling_log",
            d("f.handled_at"),
            where="f.matter = '求职创业补贴申领' AND f.result = '办结'",
            items={"benefits.employment_subsidy_type": "'1'"},
            columns=False,
        ),
        *_collected_views(),
    ]


def _collected_views() -> list[View]:
    """网格采集: each item from the latest grid-collected row that holds it. A task's form
    asks only some items, so a row without one says nothing about it. A reported death is
    a date that can be one (not after the as-of date); the item's authority puts every
    department's death record before it, and the survival status calls a death only the
    grid reported 疑似死亡待核实."""
    src = registry.GRID_COLLECT
    fed = [c for c in src.columns if c.item]
    out = []
    for i, col in enumerate(fed):
        value = _column_expr(col)
        if col.item == "identity.death_date":
            value = conflicts.possible_date(value, "", param_date())
        out.append(
            View(
                f"gk{i}",
                src.name,
                "f.collected_date",
                where=f"({value}) IS NOT NULL",
                items={col.item: value},
                exclude=frozenset(c.item for c in fed if c is not col),
            )
        )
    return out


def _view_items(view: View) -> dict[str, str]:
    out: dict[str, str] = {}
    if view.columns:
        for col in registry.source(view.source).columns:
            if col.item and col.item not in out and col.item not in view.exclude:
                out[col.item] = _column_expr(col)
    out.update(view.items)
    return out


def _view_hashes(view: View) -> dict[str, str]:
    if not view.columns:
        return {}
    src = registry.source(view.source)
    return {col.item: f"f.{col.name}_hash" for col in src.columns if col.item and encrypted(col)}


def _view_sql(
    view: View,
    items: dict[str, str],
    hashes: dict[str, str],
    persons: Persons,
    holdings: str = HOLDINGS,
) -> str:
    table = view.table or FACT_MODELS[view.source]._meta.db_table
    if table == HOLDINGS:
        table = holdings
    cols = [f"{expr} AS c_{field_name(code)}" for code, expr in items.items()]
    cols += [f"{expr} AS h_{field_name(code)}" for code, expr in hashes.items()]
    if view.source_column:
        cols.append(f"{view.source_column} AS s")
    where = [persons.where("f.person_id")]
    if view.where:
        where.append(f"({view.where})")
    source = persons.rows(table)
    latest = view.date if view.order is None else view.order
    order = f"({latest}) IS NULL, {latest} DESC, " if latest else ""
    if view.tiebreak:
        order += f"{view.tiebreak}, "
    return (
        f"(SELECT * FROM (SELECT f.person_id, {', '.join(cols)}, {view.date} AS d, "
        f"ROW_NUMBER() OVER (PARTITION BY f.person_id ORDER BY {order}"
        f"f.batch_id DESC, f.row DESC) AS rn "
        f"FROM {source} WHERE {' AND '.join(where)}) t WHERE rn = 1) {view.alias}"
    )


# -- resolution ------------------------------------------------------------------------


def _order(item: dictionary.Item, feeding: list[View]) -> list[View]:
    """Views in the item's authority order (sources not named keep their view order)."""
    if not item.authority:
        return feeding
    rank = {s: i for i, s in enumerate(item.authority)}
    return sorted(feeding, key=lambda v: rank.get(v.source, len(rank)))


def _resolved(item: dictionary.Item, feeding: list[View]) -> dict[str, str]:
    """SQL for the item's value (and hash, source, date) from the views that feed it."""
    name = field_name(item.code)
    vs = _order(item, feeding)
    has = [f"{v.alias}.c_{name} IS NOT NULL" for v in vs]
    if item.resolution == "most_recent" and len(vs) > 1:
        dated = [f"COALESCE({v.alias}.d, '0001-01-01')" for v in vs]
        conds = []
        for i in range(len(vs)):
            beats = [
                f"({has[j].replace('IS NOT NULL', 'IS NULL')} OR {dated[i]} "
                f"{'>=' if i < j else '>'} {dated[j]})"
                for j in range(len(vs))
                if j != i
            ]
            conds.append(" AND ".join([has[i], *beats]))
    else:
        conds = has

    def case(values: list[str]) -> str:
        whens = " ".join(f"WHEN {c} THEN {v}" for c, v in zip(conds, values, strict=True))
        return f"CASE {whens} END"

    out = {name: case([f"{v.alias}.c_{name}" for v in vs])}
    if item.encrypted:
        out[f"{name}_hash"] = case([f"{v.alias}.h_{name}" for v in vs])
    if item.keep_provenance:
        out[f"{name}_src"] = case([v.source_sql for v in vs])
        out[f"{name}_at"] = case([f"{v.alias}.d" for v in vs])
    return out


@dataclass
class Plan:
    views: list[str]
    columns: dict[str, str]  # archive column → SQL


def plan(persons: Persons, holdings: str = HOLDINGS) -> Plan:
    all_views = views()
    per_view = [(v, _view_items(v), _view_hashes(v)) for v in all_views]
    columns: dict[str, str] = {}
    for item in dictionary.items():
        if item.resolution == "derived":
            continue
        feeding = [v for v, items, _h in per_view if item.code in items]
        if feeding:
            columns.update(_resolved(item, feeding))
    used = {v.alias for v, items, _h in per_view}
    sqls = [_view_sql(v, items, hashes, persons, holdings) for v, items, hashes in per_view]
    return Plan(
        views=[s for s, a in zip(sqls, [v.alias for v in all_views], strict=True) if a in used],
        columns=columns,
    )


# -- derived items ---------------------------------------------------------------------


def _row_derivations() -> dict[str, str]:
    """Derived items computed from the resolved items of the same row, in dependency order:
    a later expression may name an earlier derived column (see `_inline`)."""
    t, fa = true(), false()
    as_of = param_date()
    cadre = "insurance_employee_pension_scheme = '120'"
    category = (
        f"CASE WHEN identity_sex = '1' THEN 'male' WHEN {cadre} THEN 'female_cadre' "
        "ELSE 'female_worker' END"
    )
    retire = (
        f"(SELECT {{col}} FROM residents_retirementage ra WHERE ra.birth_month = "
        f"{month_start('identity_birth_date')} AND ra.category = {category})"
    )
    return {
        "identity_age": years_between("identity_birth_date", as_of),
        "identity_death_source": "identity_death_date_src",
        "identity_survival_status": "CASE WHEN identity_death_date IS NULL THEN '1' "
        "WHEN identity_death_date_src IN ('gongan_death', 'wj_death', 'gongan_hukou') "
        "THEN '2' ELSE '3' END",
        "residence_district": "CASE WHEN residence_grid IS NOT NULL "
        "THEN substr(residence_grid, 1, 6) END",
        "residence_street": "(SELECT a.name FROM geo_area a WHERE a.code = "
        "substr(residence_grid, 1, 9))",
        "residence_community": "(SELECT a.name FROM geo_area a WHERE a.code = "
        "substr(residence_grid, 1, 12))",
        "residence_building_unit_room": "(SELECT h.address FROM geo_house h WHERE h.code = "
        "residence_doorplate_code)",
        "unemployment_duration_months": f"CASE WHEN unemployment_registered = {t} THEN "
        f"{months_between('unemployment_registration_date', as_of)} END",
        "insurance_any_pension": f"CASE WHEN insurance_employee_pension_status IN ('1', '4') "
        f"OR insurance_resident_pension_status IN ('1', '4') THEN {t} ELSE {fa} END",
        "insurance_statutory_retirement_age": retire.format(col="ra.age_months"),
        "insurance_statutory_retirement_date": retire.format(col="ra.retire_date"),
        "benefits_next_certification_due": "CASE WHEN benefits_pension_type IS NOT NULL "
        f"THEN {add_months('benefits_last_certification_date', 12)} END",
        "education_recent_graduate": f"CASE WHEN education_level IN ('11', '14', '21', '31') "
        f"AND education_graduation_date > {add_months(as_of, -24)} "
        f"AND education_graduation_date <= {as_of} THEN {t} ELSE {fa} END",
        "disability_severe": f"CASE WHEN disability_grade IN ('1', '2') THEN {t} "
        f"WHEN disability_grade IS NULL THEN NULL ELSE {fa} END",
        # 机关事业单位 are section S of GB/T 4754; other employers' sections need the
        # enterprise register's industry mapped, which 市场监管 does not export as a code.
        "employment_industry": "CASE WHEN employment_employer LIKE '%%机关%%' "
        "OR employment_employer LIKE '%%事业%%' OR employment_employer LIKE '%%学校%%' "
        "OR employment_employer LIKE '%%医院%%' THEN 'S' END",
        # the latest grid census says 在校学生 (the gc view's own column: a derived item is
        # not resolved from views), or compulsory-school age, or a graduation still ahead
        "education_in_school": f"CASE WHEN gc.c_education_in_school = {t} THEN {t} "
        f"WHEN identity_age BETWEEN 6 AND 15 THEN {t} "
        f"WHEN education_graduation_date > {as_of} THEN {t} ELSE {fa} END",
        "employment_status": f"CASE WHEN benefits_pension_type IS NOT NULL THEN '4' "
        f"WHEN education_in_school = {t} THEN '5' "
        f"WHEN unemployment_registered = {t} THEN '2' "
        f"WHEN employment_form IS NOT NULL OR insurance_insured_identity IN ('1', '2') "
        f"THEN '1' ELSE '3' END",
    }


def _inline(resolved: dict[str, str]) -> dict[str, str]:
    """Every archive column as one SQL expression over the views: resolved items as they
    are, derived ones with the columns they name replaced by those columns' expressions."""
    out = dict(resolved)
    for name, expr in _row_derivations().items():
        out[name] = re.sub(
            r"\b([a-z]+_[a-z0-9_]+)\b",
            lambda m: f"({out[m.group(1)]})" if m.group(1) in out else m.group(1),
            expr,
        )
    return out


HOUSEHOLDS = "archive_households"
STAGED = "archive_staged"
HOUSEHOLD_INPUTS = (
    "person_id, hukou_household_number, hukou_status, assistance_dibao, identity_survival_status, "
    "identity_age, insurance_statutory_retirement_date, employment_status"
)


def _households_sql(scoped: bool) -> str:
    """Per household (of the staged residents): size, any 低保 member, any member of working
    age, any member employed. A scoped rebuild also counts the household's members that
    were not rebuilt, from the archive."""
    t = true()
    as_of = param_date()
    members = f"SELECT {HOUSEHOLD_INPUTS} FROM {STAGED}"
    if scoped:
        members += (
            f" UNION ALL SELECT {HOUSEHOLD_INPUTS} FROM residents_resident r "
            f"WHERE r.hukou_household_number IN (SELECT hukou_household_number FROM {STAGED}) "
            f"AND r.person_id NOT IN (SELECT person_id FROM {STAGED})"
        )
    working_age = (
        f"identity_survival_status = '1' AND identity_age >= 16 "
        f"AND insurance_statutory_retirement_date > {as_of}"
    )
    return (
        f"CREATE TEMPORARY TABLE {HOUSEHOLDS} AS SELECT hukou_household_number AS number, "
        f"SUM(CASE WHEN hukou_status = '1' THEN 1 ELSE 0 END) AS size, "
        f"MAX(CASE WHEN assistance_dibao = {t} THEN 1 ELSE 0 END) AS dibao, "
        f"MAX(CASE WHEN {working_age} THEN 1 ELSE 0 END) AS working_age, "
        f"MAX(CASE WHEN employment_status = '1' THEN 1 ELSE 0 END) AS employed "
        f"FROM ({members}) m WHERE hukou_household_number IS NOT NULL "
        f"GROUP BY hukou_household_number"
    )


def _household_columns() -> dict[str, str]:
    """The household aggregates of a resident, from its household's row `h`."""
    t, fa = true(), false()
    return {
        "hukou_household_size": "h.size",
        "assistance_household_dibao": f"CASE WHEN h.dibao = 1 THEN {t} WHEN h.dibao = 0 "
        f"THEN {fa} ELSE assistance_dibao END",
        "employment_zero_employment_household": f"CASE WHEN h.number IS NULL THEN NULL "
        f"WHEN h.working_age = 1 AND h.employed = 0 THEN {t} ELSE {fa} END",
    }


def ensure_retirement_table() -> bool:
    """The statutory retirement age per birth month and category (minsheng.lib.retirement),
    as a table the archive SQL joins. True if it had to be written."""
    first, last = 1900, 2035
    expected = (last - first + 1) * 12 * len(CATEGORIES)
    if RetirementAge.objects.count() == expected:
        return False
    RetirementAge.objects.all().delete()
    rows = []
    for year in range(first, last + 1):
        for month in range(1, 13):
            for category in CATEGORIES:
                years, months, (ry, rm) = retirement((year, month), category)
                rows.append(
                    RetirementAge(
                        birth_month=date(year, month, 1),
                        category=category,
                        age_months=years * 12 + months,
                        retire_date=date(ry, rm, 1),
                    )
                )
    RetirementAge.objects.bulk_create(rows, batch_size=5000)
    return True


# -- sets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entries:
    """The fact rows of one source that become set entries (`Holding`) of one kind; each
    value is SQL over the fact row `f`, NULL where the kind has no such value."""

    kind: str
    source: str
    key: str
    # what tells two entries of a person apart: the rows of one key (the same USCC, the
    # same type) are one entry, their latest row
    part: str
    where: str = ""
    label: str = "NULL"
    category: str = "NULL"
    status: str = "NULL"
    start: str = "NULL"
    end: str = "NULL"
    employees: str = "NULL"


# the set's columns and the type of each (a NULL in a UNION needs one on PostgreSQL)
HOLDING_COLUMNS = {
    "key": "varchar(32)",
    "label": "text",
    "category": "varchar(16)",
    "status": "varchar(16)",
    "start": "date",
    "end": "date",
    "employees": "integer",
}
# 参保 rows that say a unit currently employs the person: it pays their employee pension
# (企业 110, 机关事业 120), unemployment (210) or work-injury (410) insurance.
CURRENT_CONTRIBUTION = (
    "f.scheme_code IN ('110', '120', '210', '410') AND f.insured_status = '参保缴费' "
    "AND f.employer_uscc IS NOT NULL AND f.employer_uscc <> ''"
)


def entries() -> dict[str, tuple[Entries, ...]]:
    """Kind → the sources of its entries, a kind's sources in the order that decides
    between rows of one key dated the same day."""
    k = HoldingKind
    return {
        k.BUSINESS: (
            Entries(
                k.BUSINESS,
                "scjg_business",
                key="f.uscc",
                part="COALESCE(f.uscc, f.entity_name, '')",
                label="f.entity_name",
                category=ENTITY_KIND,
                status="f.status_code",
                start="f.established_date",
                employees="f.employees",
            ),
        ),
        # one entry per employer, from its most recent evidence (a 就业登记 and the unit's
        # contributions are the same employment)
        k.EMPLOYER: (
            Entries(
                k.EMPLOYER,
                "rs_employment",
                key="f.employer_uscc",
                part="COALESCE(f.employer_uscc, f.employer, '')",
                where="f.registration_type_code = 'E'",
                label="f.employer",
                category="f.employment_form_code",
                start="f.registration_date",
            ),
            Entries(
                k.EMPLOYER,
                "rs_insurance",
                key="f.employer_uscc",
                part="f.employer_uscc",
                where=CURRENT_CONTRIBUTION,
                label="f.employer",
                category="'1'",  # 单位就业
                start="f.current_insured_date",
            ),
        ),
        k.BENEFIT: (
            Entries(
                k.BENEFIT,
                "rs_pension",
                key="f.pension_type_code",
                part="'pension:' || COALESCE(f.pension_type_code, '')",
                status="f.payment_status_code",
                start="f.pension_start",
                end="f.end_month",
            ),
            Entries(
                k.BENEFIT,
                "mz_assistance",
                key="f.assistance_type_code",
                part="'assistance:' || COALESCE(f.assistance_type_code, '')",
                status="f.assistance_status_code",
                start="f.approval_date",
                end="f.stop_date",
            ),
        ),
        k.DISABILITY: (
            Entries(
                k.DISABILITY,
                "cl_disability",
                key="f.disability_type_code",
                part="COALESCE(f.disability_type_code, '')",
                category="f.grade_code",
                start="f.issue_date",
            ),
        ),
    }


def _entries_select(e: Entries, rank: int, persons: Persons) -> str:
    table = FACT_MODELS[e.source]._meta.db_table
    source = persons.rows(table)
    where = persons.where("f.person_id") + (f" AND ({e.where})" if e.where else "")
    values = {name: getattr(e, name) for name in HOLDING_COLUMNS}
    typed = ", ".join(
        f"{expr if expr != 'NULL' else f'CAST(NULL AS {HOLDING_COLUMNS[name]})'} AS v_{name}"
        for name, expr in values.items()
    )
    return (
        f"SELECT f.person_id, {e.part} AS part, {typed}, '{e.source}' AS source, "
        f"{rank} AS source_rank, f.batch_id, f.row FROM {source} WHERE {where}"
    )


def _holdings_sql(
    kind: str, sources: tuple[Entries, ...], persons: Persons, target: str = HOLDINGS
) -> str:
    """INSERT … SELECT of one kind's entries of the persons in scope: per person and key
    the row with the latest start (then the source's rank, the later batch and row)."""
    union = " UNION ALL ".join(_entries_select(e, i, persons) for i, e in enumerate(sources))
    cols = ", ".join(f"t.v_{name}" for name in HOLDING_COLUMNS)
    return (
        f"INSERT INTO {target} (person_id, kind, key, label, category, status, start_date, "
        f"end_date, employees, source, batch_id, row) "
        f"SELECT t.person_id, '{HoldingKind(kind).value}', {cols}, t.source, t.batch_id, t.row "
        f"FROM (SELECT u.*, ROW_NUMBER() OVER (PARTITION BY u.person_id, u.part ORDER BY "
        f"u.v_start IS NULL, u.v_start DESC, u.source_rank, u.batch_id DESC, u.row DESC) AS rn "
        f"FROM ({union}) u) t WHERE t.rn = 1"
    )


def _rebuild_holdings(cursor, *, persons: Persons, target: str = HOLDINGS) -> None:
    """Write the set entries of these persons into `target` (those of the touched set are
    deleted first; a full rebuild has emptied the table)."""
    if persons.touched:
        cursor.execute(
            f"DELETE FROM {HOLDINGS} WHERE person_id IN (SELECT person_id FROM {TOUCHED})"
        )
    for kind, sources in entries().items():
        cursor.execute(_holdings_sql(kind, sources, persons, target))


# -- a full rebuild on two cores -------------------------------------------------------

# A full rebuild of at least this many persons stages a share of them in a helper process
# (below that, starting the process costs more than it saves)
SPLIT_MIN_PERSONS = int(os.environ.get("MINSHENG_ARCHIVE_SPLIT_MIN_PERSONS", "50000"))
# the helper's share of the persons (copying its rows in here takes under a second)
HELPER_SHARE = 0.5
PART = "archive_part"  # SQLite: the schema of the helper's rows; PostgreSQL: a name prefix
HOLDINGS_PART_COLUMNS = (
    "person_id bigint, kind varchar(16), key varchar(32), label text, category varchar(16), "
    "status varchar(16), start_date date, end_date date, employees integer, "
    "source varchar(32), batch_id bigint, row integer"
)
HOLDINGS_PART_NAMES = (
    "person_id, kind, key, label, category, status, start_date, end_date, employees, "
    "source, batch_id, row"
)


def _empty_database() -> bytes:
    with contextlib.closing(sqlite3.connect(":memory:")) as db:
        db.execute("PRAGMA user_version = 0")  # a database of no pages does not serialize
        return db.serialize()


_EMPTY_DATABASE = _empty_database()


def _part_table(name: str) -> str:
    return f"{PART}_{name}" if _pg() else f"{PART}.{name}"


def ready_to_split() -> bool:
    """Whether a full rebuild started now, in a transaction of its own, may stage part of
    the persons in a helper process: the machine has two cores, the helper can open this
    database (not an in-memory one), and no transaction is open whose writes it could not
    see. On SQLite this also attaches the in-memory schema that receives the helper's rows
    (which cannot be attached inside a transaction)."""
    if connection.in_atomic_block or workers.cpu_count() < 2:
        return False
    if _pg():
        return True
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name:
        return False
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA database_list")
        if PART not in {row[1] for row in cursor.fetchall()}:
            cursor.execute(f"ATTACH DATABASE ':memory:' AS {PART}")
    return True


class Part:
    """The persons of a full rebuild from the id `lo` up (`HELPER_SHARE` of them), staged in
    a helper process while this one stages the others: their set entries and staged rows,
    written where this process reads them (`take`).

    The helper reads what this transaction read: on PostgreSQL through this transaction's
    exported snapshot; on SQLite the write lock this transaction holds lets nobody commit
    meanwhile. It writes to UNLOGGED tables it commits (PostgreSQL) or to a file that this
    process loads into its attached in-memory schema (SQLite cannot attach a file inside a
    transaction). A helper that fails leaves its persons to this process."""

    def __init__(self, lo: int, as_of: date) -> None:
        self.own = Persons(hi=lo)
        self.theirs = Persons(lo=lo)
        self.folder = None if _pg() else tempfile.mkdtemp(prefix="minsheng-archive-")
        self.pool = workers.pool(1, initializer=django.setup)
        snapshot = None
        if _pg():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
        self.future = self.pool.submit(
            _stage_part,
            str(connection.settings_dict["NAME"]),
            self.theirs,
            as_of,
            snapshot,
            self.folder,
        )

    @classmethod
    def start(cls, cursor, as_of: date) -> Part | None:
        """A helper for the persons above the split, if there are enough persons."""
        cursor.execute("SELECT COUNT(*) FROM residents_person")
        persons = cursor.fetchone()[0]
        if persons < max(SPLIT_MIN_PERSONS, 2):
            return None
        cursor.execute(
            "SELECT id FROM residents_person ORDER BY id LIMIT 1 OFFSET %s",
            [int(persons * (1 - HELPER_SHARE))],
        )
        return cls(cursor.fetchone()[0], as_of)

    def take(self, cursor, params: dict) -> None:
        """Add the helper's set entries and staged rows to this transaction's (or stage its
        persons here, if it failed)."""
        clock = time.perf_counter()
        try:
            self.future.result()
            log.info("archive: waited %.1f s for the helper", time.perf_counter() - clock)
        except Exception:
            log.exception("the archive's helper process failed; staging its persons here")
            _rebuild_holdings(cursor, persons=self.theirs)
            cursor.execute(f"INSERT INTO {STAGED} {staged_select(self.theirs)}", params)
            return
        if not _pg():
            path = Path(self.folder) / "part.sqlite3"
            with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
                connection.connection.deserialize(m, name=PART)
        holdings, staged = _part_table("holdings"), _part_table("staged")
        cursor.execute(
            f"INSERT INTO {HOLDINGS} ({HOLDINGS_PART_NAMES}) "
            f"SELECT {HOLDINGS_PART_NAMES} FROM {holdings}"
        )
        cursor.execute(f"INSERT INTO {STAGED} SELECT * FROM {staged}")
        if _pg():
            cursor.execute(f"DROP TABLE {holdings}, {staged}")
        else:  # the in-memory copy's memory back, for a database of a single page
            connection.connection.deserialize(_EMPTY_DATABASE, name=PART)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def _stage_part(
    database: str, persons: Persons, as_of: date, snapshot: str | None, folder: str | None
) -> None:
    """In the helper process: the set entries and staged rows of these persons, committed
    where `Part.take` reads them."""
    connections["default"].settings_dict["NAME"] = database  # a test's database, too
    holdings, staged = _part_table("holdings"), _part_table("staged")
    params = _params(as_of)
    with connection.cursor() as cursor:
        if _pg():
            cursor.execute(f"DROP TABLE IF EXISTS {holdings}, {staged}")
            with transaction.atomic():
                if not re.fullmatch(r"[0-9A-F-]+", snapshot or ""):
                    raise ValueError(f"not a snapshot: {snapshot!r}")
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                cursor.execute("SET LOCAL work_mem = '256MB'")
                # never wait for the rebuild's own locks: it is waiting for this
                cursor.execute("SET LOCAL lock_timeout = '10s'")
                cursor.execute(f"CREATE UNLOGGED TABLE {holdings} ({HOLDINGS_PART_COLUMNS})")
                _rebuild_holdings(cursor, persons=persons, target=holdings)
                failpoints.reach("archive.helper")  # tests: the helper dies midway
                cursor.execute(
                    f"CREATE UNLOGGED TABLE {staged} AS {staged_select(persons, holdings)}",
                    params,
                )
            return
        # SQLite: without a transaction of its own (the rebuild holds the write lock), the
        # reads see what the rebuild's transaction read; the writes go to a file of its own
        path = Path(folder) / "part.sqlite3"
        cursor.execute(f"ATTACH DATABASE '{path}' AS {PART}")
        cursor.execute(f"PRAGMA {PART}.page_size = 16384")
        cursor.execute(f"PRAGMA {PART}.journal_mode = OFF")
        cursor.execute(f"PRAGMA {PART}.synchronous = OFF")
        cursor.execute(f"CREATE TABLE {holdings} ({HOLDINGS_PART_COLUMNS})")
        _rebuild_holdings(cursor, persons=persons, target=holdings)
        failpoints.reach("archive.helper")
        cursor.execute(f"CREATE TABLE {staged} AS {staged_select(persons, holdings)}", params)
        cursor.execute(f"DETACH DATABASE {PART}")


# -- refresh ---------------------------------------------------------------------------


def _fill_touched(cursor, person_ids_sql: str | None, params: list | None = None) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {TOUCHED}")
    cursor.execute(f"CREATE TEMPORARY TABLE {TOUCHED} (person_id bigint PRIMARY KEY)")
    if person_ids_sql:
        cursor.execute(
            f"INSERT INTO {TOUCHED} (person_id) SELECT DISTINCT person_id FROM "
            f"({person_ids_sql}) x WHERE person_id IS NOT NULL",
            params or [],
        )


def staged_columns(p: Plan | None = None) -> dict[str, str]:
    """Every column of the staged rows (the scope codes, then the archive's columns) as SQL
    over the person `p` and the views of the plan."""
    p = p or plan(EVERYONE)
    grid = p.columns.get("residence_grid", "NULL")
    return {
        "district_code": f"COALESCE(substr({grid}, 1, 6), '')",
        "town_code": f"COALESCE(substr({grid}, 1, 9), '')",
        "community_code": f"COALESCE(substr({grid}, 1, 12), '')",
        "grid_code": f"COALESCE({grid}, '')",
        **_inline(p.columns),
    }


def staged_select(persons: Persons, holdings: str = HOLDINGS) -> str:
    """The SELECT of these persons' staged rows: `person_id`, then `staged_columns`, with
    the employment evidence read from the sets in `holdings`."""
    p = plan(persons, holdings)
    staged = ", ".join(f"{expr} AS {name}" for name, expr in staged_columns(p).items())
    joins = " ".join(f"LEFT JOIN {v} ON {v.rsplit(' ', 1)[1]}.person_id = p.id" for v in p.views)
    people = (
        f"{TOUCHED} tp JOIN residents_person p ON p.id = tp.person_id"
        if persons.touched
        else "residents_person p"
    )
    return f"SELECT p.id AS person_id, {staged} FROM {people} {joins} WHERE {persons.where('p.id')}"


def _params(as_of: date) -> dict:
    now = timezone.now()
    if _pg():
        return {"as_of": as_of, "now": now}
    return {"as_of": as_of.isoformat(), "now": now.replace(tzinfo=None).isoformat(" ")}


def _rebuild(cursor, *, scoped: bool, as_of: date, split: bool = False) -> int:
    """Resolve the persons in scope into a staging table, aggregate their households, then
    replace their archive rows in one INSERT (no UPDATE of wide rows: on PostgreSQL that
    would write every row twice). `split`: a full rebuild may stage part of the persons in a
    helper process (see `Part`)."""
    wrote = ensure_retirement_table()
    if scoped and not _pg():
        # Without statistics SQLite takes the touched set for a large table and walks every
        # fact table's person index probing it (11 s for a 5,000-person delta at full
        # scale) instead of looking up each touched person's rows.
        cursor.execute(f"ANALYZE {TOUCHED}")
    if _pg():
        # the window sorts want memory; the planner needs the touched set's size (JIT is
        # off for the whole connection, see settings)
        cursor.execute("SET LOCAL work_mem = '256MB'")
        if scoped:
            analyze(TOUCHED)
            # Fact rows are read through the person index from cached pages; at the default
            # random_page_cost PostgreSQL scanned 参保's 1.3 M rows once per insurance scheme
            # for a 5,000-person delta instead.
            cursor.execute("SET LOCAL random_page_cost = 1.1")
    params = _params(as_of)
    columns = staged_columns()
    for table in (STAGED, HOUSEHOLDS):
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
    if scoped:
        # the sets first: the archive row's employment is read from them
        _rebuild_holdings(cursor, persons=TOUCHED_ONLY)
        cursor.execute(f"CREATE TEMPORARY TABLE {STAGED} AS {staged_select(TOUCHED_ONLY)}", params)
    else:
        # (a helper process cannot see what this transaction wrote)
        part = Part.start(cursor, as_of) if split and not wrote else None
        try:
            cursor.execute(f"DELETE FROM {HOLDINGS}")
            with indexes_deferred(HOLDINGS):
                own = part.own if part else EVERYONE
                _rebuild_holdings(cursor, persons=own)
                cursor.execute(f"CREATE TEMPORARY TABLE {STAGED} AS {staged_select(own)}", params)
                if part:
                    part.take(cursor, params)
        finally:
            if part:
                part.close()
        analyze(HOLDINGS)
    cursor.execute(f"CREATE UNIQUE INDEX {STAGED}_person ON {STAGED} (person_id)")
    # (of the columns joined on: sampling all of its 300 took 3 s at full scale)
    analyze(STAGED, columns=("person_id", "hukou_household_number"))
    cursor.execute(_households_sql(scoped), params)
    cursor.execute(f"CREATE UNIQUE INDEX {HOUSEHOLDS}_number ON {HOUSEHOLDS} (number)")
    analyze(HOUSEHOLDS)
    for table in ("residents_resident", "residents_provenance"):
        if scoped:
            cursor.execute(
                f"DELETE FROM {table} WHERE person_id IN (SELECT person_id FROM {STAGED})"
            )
        else:
            cursor.execute(f"DELETE FROM {table}")
    household = _household_columns()
    provenance = [f.column for f in Provenance._meta.concrete_fields if f.column in columns]
    names = [n for n in columns if n not in provenance]
    insert = (
        f"INSERT INTO residents_resident (person_id, as_of, refreshed_at, {', '.join(names)}, "
        f"{', '.join(household)}) SELECT s.person_id, %(as_of)s, %(now)s, "
        f"{', '.join(f's.{n}' for n in names)}, {', '.join(household.values())} "
        f"FROM {STAGED} s LEFT JOIN {HOUSEHOLDS} h ON h.number = s.hukou_household_number"
    )
    if scoped:
        cursor.execute(insert, params)
    else:
        with indexes_deferred("residents_resident"):
            cursor.execute(insert, params)
    inserted = cursor.rowcount
    cursor.execute(
        f"INSERT INTO residents_provenance (person_id, {', '.join(provenance)}) "
        f"SELECT person_id, {', '.join(provenance)} FROM {STAGED}"
    )
    # the facts that disagree, for the same persons, while their resolved rows are at hand
    conflicts.detect(cursor, staged=STAGED, scoped=scoped, pg=_pg(), params=params)
    if scoped:
        # household members who were not rebuilt still see their household change
        sets = ", ".join(
            f"{col} = (SELECT {expr} FROM {HOUSEHOLDS} h WHERE h.number = "
            f"residents_resident.hukou_household_number)"
            for col, expr in household.items()
        )
        cursor.execute(
            f"UPDATE residents_resident SET {sets} WHERE hukou_household_number IN "
            f"(SELECT number FROM {HOUSEHOLDS}) AND person_id NOT IN "
            f"(SELECT person_id FROM {STAGED})",
            params,
        )
    for table in (STAGED, HOUSEHOLDS):
        cursor.execute(f"DROP TABLE {table}")
    if not scoped:
        analyze("residents_resident")
        analyze("residents_provenance")
    return inserted


def _as_of(as_of: date | None) -> date:
    return as_of or timezone.localdate()


def refresh(person_ids: list[int], *, as_of: date | None = None) -> int:
    """Rebuild the archive rows of these persons (and their households' aggregates)."""
    if not person_ids:
        return 0
    with connection.cursor() as cursor:
        _fill_touched(cursor, None)
        for i in range(0, len(person_ids), 500):
            chunk = person_ids[i : i + 500]
            cursor.execute(
                f"INSERT INTO {TOUCHED} (person_id) SELECT id FROM residents_person "
                f"WHERE id IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
        n = _rebuild(cursor, scoped=True, as_of=_as_of(as_of))
        cursor.execute(f"DROP TABLE IF EXISTS {TOUCHED}")
    return n


BATCHES_PER_SELECT = 500
SMALL_REFRESH = 1_000  # touched persons below this are never a full rebuild


def refresh_batches(
    batches: list[tuple[int, str]], *, as_of: date | None = None, split: bool = False
) -> tuple[int, list[int] | None]:
    """Rebuild the archive for every person the given (batch id, source) pairs touched.
    Returns the number of rows rebuilt and the persons rebuilt (None: everyone). `split`:
    a full rebuild may use a helper process (`ready_to_split` said so before the
    transaction began)."""
    # one SELECT per source and chunk of batches (grid collection makes a batch per result:
    # thousands of them between two refreshes)
    by_source: dict[str, list[int]] = {}
    for batch, source in batches:
        by_source.setdefault(source, []).append(batch)
    selects, params = [], []
    for source, ids in sorted(by_source.items()):
        for i in range(0, len(ids), BATCHES_PER_SELECT):
            chunk = ids[i : i + BATCHES_PER_SELECT]
            selects.append(
                f"SELECT person_id FROM {FACT_MODELS[source]._meta.db_table} "
                f"WHERE batch_id IN ({', '.join(['%s'] * len(chunk))})"
            )
            params += chunk
    unions = " UNION ".join(selects)
    with connection.cursor() as cursor:
        _fill_touched(cursor, unions, params)
        cursor.execute(f"SELECT COUNT(*) FROM {TOUCHED}")
        touched = cursor.fetchone()[0]
        full = False
        if touched >= SMALL_REFRESH:  # (counting every person costs 0.15 s at full scale)
            cursor.execute("SELECT COUNT(*) FROM residents_person")
            persons = cursor.fetchone()[0]
            full = persons and touched / persons > FULL_REBUILD_SHARE
        ids = None
        if not full and _pg():
            # a few persons' rows (grid results, a clerk's decision) while pages are served:
            # one core is enough, the other stays with the web workers
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        if not full:
            cursor.execute(f"SELECT person_id FROM {TOUCHED}")
            ids = [pid for (pid,) in cursor.fetchall()]
        n = _rebuild(cursor, scoped=not full, as_of=_as_of(as_of), split=split)
        cursor.execute(f"DROP TABLE IF EXISTS {TOUCHED}")
    return n, ids


def stale_rows(source: str, batch_id: int) -> int:
    """Rows of a batch that describe a person the archive knows to be dead (a stale record
    the department has not yet closed)."""
    table = FACT_MODELS[source]._meta.db_table
    with connection.cursor() as cursor:
        # the dead are few: their rows are looked up, not every row of the batch joined
        # (at full scale 5 s for 参保 on SQLite, 1 s this way)
        cursor.execute(
            f"SELECT COUNT(*) FROM {table} f WHERE f.batch_id = %s AND f.person_id IN "
            "(SELECT person_id FROM residents_resident WHERE identity_death_date IS NOT NULL)",
            [batch_id],
        )
        return cursor.fetchone()[0]
