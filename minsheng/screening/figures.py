"""The 精准服务 pages' figures, kept beside the archive.

The index and the theme pages show, for the user's area, how many residents each rule of
the catalogue holds for (a theme's population and each of its lists) and the population's
charts (by child area, age band, sex, employment status, and the population pyramid).
Counted over the whole archive on every request these took seconds at city level; here
they are kept per grid, and a page sums the rows of its area in one query.

- `PersonFigure`: per resident, what they add: their area codes, household, age band, sex,
  employment status, and which rules hold for them (a bit per rule in `rules()` order),
  written by one INSERT … SELECT over residents_resident that evaluates every rule once.
- `GridFigure`: per grid (the four area codes; all '' for the residents without a grid), rule,
  dimension and bucket, how many residents: GROUP BYs over those rows.
- `FigureSet`: one row, the archive date and the catalogue they were computed for. A page
  uses the figures of the rules whose version is still the catalogue's, and counts the
  others over the archive (as it always did), until the next refresh.

`refresh` runs after the archive refresh, in its transaction (pipeline.actions). It
recomputes everything when the archive was rebuilt whole, when the archive's date moved
(rules speak of `today`), when the catalogue changed, or when a rule reads other residents
than the person's household. Otherwise it refreshes the rebuilt persons and the members of
their households before and after (household_any()/household_count() read the household,
and the archive rewrites its aggregates): their old rows are taken back from the grid
figures and their new ones added, so the figures stay exactly what a full count gives.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import Sum
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from minsheng.residents.models import Resident
from minsheng.sources.bulk import analyze

from . import catalog, engine
from .models import FigureSet, GridFigure

AGE_BANDS = [(0, 15), (16, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, None)]
UNKNOWN_BAND = "?"
# the themes whose page draws a population pyramid (age band × sex)
PYRAMID_THEMES = ("population",)
# GridFigure.dimension: a rule's count, and a population's charts
COUNT = "count"
AGE, SEX, EMPLOYMENT, PYRAMID = "age", "sex", "employment", "pyramid"
CODES = "district_code, town_code, community_code, grid_code"
# PersonFigure's bit masks of the rules that hold (63 bits each: a bigint stays positive)
HELD = ("held", "held_more")
BITS = 63
# what the rows mean: a change of this module's rows bumps it (the pages then count over
# the archive until the next refresh recomputes the figures)
FORMAT = 1
# a refresh touching more than this share of the residents recomputes everything
FULL_SHARE = 0.25
CHUNK = 500
# the date the rules are compiled at to compare their SQL across versions
SQL_DATE = date(2000, 1, 1)

TOUCHED = "figures_touched"
AFFECTED = "figures_affected"
CUBE = "figures_cube"
GROUPED = "figures_grouped"
DELTA = "figures_delta"


def band_label(lo: int, hi: int | None) -> str:
    return f"{lo}-{hi}" if hi is not None else f"{lo}+"


def band_labels() -> list[str]:
    return [band_label(lo, hi) for lo, hi in AGE_BANDS]


def band_sql(column: str = "identity_age") -> str:
    """The age band of `column` as SQL (the bands' bounds are the constants above)."""
    whens = []
    for lo, hi in AGE_BANDS:
        cond = f"{column} >= {lo}" + (f" AND {column} <= {hi}" if hi is not None else "")
        whens.append(f"WHEN {cond} THEN '{band_label(lo, hi)}'")
    return f"CASE {' '.join(whens)} ELSE '{UNKNOWN_BAND}' END"


@dataclass(frozen=True)
class Figure:
    theme: str
    rule: catalog.RuleDef
    population: bool  # the theme's population: the charts are drawn from it
    pyramid: bool


def rules() -> list[Figure]:
    """Every rule the pages count, each theme's population first, in catalogue order."""
    return [
        Figure(t.code, r, r is t.population, r is t.population and t.code in PYRAMID_THEMES)
        for t in catalog.themes()
        for r in (t.population, *t.lists)
    ]


def layout() -> str:
    """What the rows mean besides the rules: the format, the age bands, the pyramids."""
    return json.dumps([FORMAT, [list(map(str, b)) for b in AGE_BANDS], list(PYRAMID_THEMES)])


def _version(f: Figure) -> str:
    """The rule's version and a hash of its SQL (a change of the rule language or of the
    dictionary's codes changes what the same text counts)."""
    c = engine.compiled(f.rule.rule, rule=f.rule.code, as_of=SQL_DATE)
    sql = hashlib.sha256(json.dumps([c.sql, [str(p) for p in c.params]]).encode()).hexdigest()
    return f"{f.rule.version}:{sql[:12]}"


def versions() -> dict[str, str]:
    """Each rule's version, and the layout under "": what a page checks its rules by."""
    return {"": layout(), **{f.rule.code: _version(f) for f in rules()}}


def digest() -> str:
    """The whole catalogue as the figures depend on it (the rules, their versions and the
    order of their bits) and the layout: a refresh of a few persons needs it unchanged."""
    spec = [layout(), *([f.theme, f.rule.code, _version(f), f.population] for f in rules())]
    return hashlib.sha256(json.dumps(spec).encode()).hexdigest()


@dataclass(frozen=True)
class Usable:
    as_of: date  # the archive's date they describe
    codes: frozenset[str]  # the rules whose figures were computed for their current version


def usable() -> Usable | None:
    """The figures a page may use (one query): None when there are none, or their layout
    changed; else the rules whose version is still the one they were computed for (after an
    edit of the catalogue the edited rules are counted over the archive until the next
    refresh)."""
    stamp = FigureSet.objects.filter(pk=1).first()
    if stamp is None or stamp.versions.get("") != layout():
        return None
    now = versions()
    return Usable(
        stamp.as_of, frozenset(c for c, v in now.items() if c and stamp.versions.get(c) == v)
    )


@receiver([post_save, post_delete], sender=Resident, dispatch_uid="screening_figures_stale")
def _stale(sender, **kwargs) -> None:
    """The pipeline writes the archive in SQL and then refreshes the figures; a resident row
    saved or deleted any other way (a shell, a test's fixtures, a test's cleanup) leaves
    them stale until the next refresh, and the pages count over the archive meanwhile."""
    FigureSet.objects.filter(pk=1).delete()


# -- reading --------------------------------------------------------------------------------


def scoped(user, area=None):
    """The grid figures of the user's area (the archive's own scoping rules), and of `area`
    within it."""
    qs = GridFigure.objects.visible_to(user)
    return qs if area is None else engine.in_area(qs, area)


def counts(user, codes: list[str], area=None) -> dict[str, int]:
    """{code: how many residents of the area the rule holds for} (one query)."""
    rows = (
        scoped(user, area)
        .filter(code__in=codes, dimension=COUNT)
        .order_by()
        .values_list("code")
        .annotate(total=Sum("n"))
    )
    found = dict(rows)
    return {code: found.get(code, 0) for code in codes}


def theme_rows(user, theme: catalog.Theme, area, key: str) -> list[tuple]:
    """[(value of `key`, code, dimension, bucket, n)]: every figure of the theme in the area,
    summed by the area column `key` (the child areas' level), in one query."""
    codes = [theme.population.code, *(r.code for r in theme.lists)]
    return list(
        scoped(user, area)
        .filter(code__in=codes)
        .order_by()
        .values_list(key, "code", "dimension", "bucket")
        .annotate(total=Sum("n"))
    )


# -- refreshing -----------------------------------------------------------------------------


# the subqueries the compiler writes: over the person's household, and over the person's
# own rows of a table (facts, the archive's sets), which change only when the archive
# rebuilds that person
_HOUSEHOLD = re.compile(
    r"\(SELECT (?:1|COUNT\(\*\)) FROM residents_resident (\w+) WHERE \1\.hukou_household_number"
    r" = \w+\.hukou_household_number "
)
_OWN_ROWS = re.compile(
    r"\(SELECT (?:1|COUNT\(\*\)) FROM \w+ (\w+) WHERE \1\.person_id = \w+\.person_id "
)


def _local(sql: str) -> bool:
    """Whether the rule reads nothing of other residents than the person's household
    (then refreshing the persons rebuilt and their households is enough)."""
    found = len(_HOUSEHOLD.findall(sql)) + len(_OWN_ROWS.findall(sql))
    return sql.count("(SELECT ") == found


def _bit(i: int) -> tuple[str, int]:
    """The PersonFigure column and bit of the i-th rule."""
    column, bit = divmod(i, BITS)
    if column >= len(HELD):
        raise ValueError(f"the figures keep at most {BITS * len(HELD)} rules")
    return HELD[column], bit


def _held(as_of: date) -> tuple[list[str], list, bool]:
    """SQL of the `HELD` columns for a residents_resident row, their parameters, and
    whether every rule is local (see `_local`)."""
    masks: list[list[str]] = [[] for _ in HELD]
    params: list[list] = [[] for _ in HELD]
    local = True
    for i, f in enumerate(rules()):
        column, bit = _bit(i)
        c = engine.compiled(f.rule.rule, rule=f.rule.code, as_of=as_of)
        masks[HELD.index(column)].append(f"CASE WHEN {c.sql} THEN {1 << bit} ELSE 0 END")
        params[HELD.index(column)] += c.params
        local = local and _local(c.sql)
    return [" + ".join(m) or "0" for m in masks], [p for ps in params for p in ps], local


def _insert_persons(cursor, held: tuple[list[str], list], where: str = "") -> int:
    masks, params = held
    cursor.execute(
        "INSERT INTO screening_personfigure (person_id, district_code, town_code, "
        f"community_code, grid_code, household, band, sex, employment, {', '.join(HELD)}) "
        f"SELECT person_id, {CODES}, hukou_household_number, {band_sql()}, "
        f"COALESCE(identity_sex, ''), COALESCE(employment_status, ''), {', '.join(masks)} "
        f"FROM residents_resident{where}",
        params,
    )
    return cursor.rowcount


def _add(cursor, source: str, target: str, sign: int) -> None:
    """Insert into `target` the grid figures of the PersonFigure rows `source` (a table, or a
    subquery with its alias), times `sign`: per rule a count, per population its charts."""
    figures = rules()
    if not figures:
        return
    # the rules' sums per grid and chart cell, then per dimension one GROUP BY of those
    sums = ", ".join("SUM(({} >> {}) & 1) AS r{}".format(*_bit(i), i) for i in range(len(figures)))
    cursor.execute(f"DROP TABLE IF EXISTS {CUBE}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {CUBE} AS SELECT {CODES}, band, sex, employment, {sums} "
        f"FROM {source} GROUP BY {CODES}, band, sex, employment"
    )
    every = list(range(len(figures)))
    populations = [i for i, f in enumerate(figures) if f.population]
    pyramids = [i for i, f in enumerate(figures) if f.pyramid]
    for dimension, bucket, members in (
        (COUNT, "''", every),
        (AGE, "band", populations),
        (SEX, "sex", populations),
        (EMPLOYMENT, "employment", populations),
        (PYRAMID, "band || '|' || sex", pyramids),
    ):
        if not members:
            continue
        group = CODES if bucket == "''" else f"{CODES}, {bucket}"
        cols = ", ".join(f"SUM(r{i}) AS r{i}" for i in members)
        cursor.execute(f"DROP TABLE IF EXISTS {GROUPED}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {GROUPED} AS SELECT {CODES}, {bucket} AS bucket, {cols} "
            f"FROM {CUBE} GROUP BY {group}"
        )
        cursor.execute(
            f"INSERT INTO {target} ({CODES}, code, dimension, bucket, n) "
            + " UNION ALL ".join(
                f"SELECT {CODES}, %s, %s, bucket, {sign} * r{i} FROM {GROUPED} WHERE r{i} > 0"
                for i in members
            ),
            [p for i in members for p in (figures[i].rule.code, dimension)],
        )
        cursor.execute(f"DROP TABLE {GROUPED}")
    cursor.execute(f"DROP TABLE {CUBE}")


def _full(cursor, held: tuple[list[str], list]) -> None:
    # DELETE, not TRUNCATE: on PostgreSQL pages keep reading the old figures until commit
    cursor.execute("DELETE FROM screening_personfigure")
    _insert_persons(cursor, held)
    cursor.execute("DELETE FROM screening_gridfigure")
    _add(cursor, "screening_personfigure", "screening_gridfigure", 1)
    analyze("screening_personfigure")
    analyze("screening_gridfigure")


def _fill_touched(cursor, person_ids: list[int]) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {TOUCHED}")
    cursor.execute(f"CREATE TEMPORARY TABLE {TOUCHED} (person_id bigint PRIMARY KEY)")
    ids = sorted({int(p) for p in person_ids})
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        cursor.execute(
            f"INSERT INTO {TOUCHED} (person_id) VALUES {', '.join(['(%s)'] * len(chunk))}", chunk
        )
    analyze(TOUCHED)


def _archive_date(cursor, known: date) -> date:
    """The archive's date (`engine.archive_as_of`) after a refresh of the touched persons,
    when it was `known` before: the date of their rows unless it is older (then a scan)."""
    cursor.execute(
        "SELECT MAX(as_of) FROM residents_resident "
        f"WHERE person_id IN (SELECT person_id FROM {TOUCHED})"
    )
    theirs = cursor.fetchone()[0]
    if isinstance(theirs, str):  # SQLite: an aggregate's value has no declared type
        theirs = date.fromisoformat(theirs)
    if theirs is None or theirs < known:
        return engine.archive_as_of()
    return theirs


def _delta(cursor, held: tuple[list[str], list]) -> bool:
    """Refresh the figures of the touched persons and of their households' members, before
    and after (False, having done nothing, when they are too many: a full recompute is
    then faster)."""
    for table in (AFFECTED, DELTA):
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
    # the households before (as the figures have them) and after (as the archive does)
    cursor.execute(
        f"CREATE TEMPORARY TABLE {AFFECTED} AS SELECT person_id FROM {TOUCHED} "
        "UNION SELECT f.person_id FROM screening_personfigure f WHERE f.household IN "
        "(SELECT t.household FROM screening_personfigure t "
        f"WHERE t.person_id IN (SELECT person_id FROM {TOUCHED})) "
        "UNION SELECT r.person_id FROM residents_resident r WHERE r.hukou_household_number IN "
        "(SELECT t.hukou_household_number FROM residents_resident t "
        f"WHERE t.person_id IN (SELECT person_id FROM {TOUCHED}))"
    )
    cursor.execute(f"SELECT COUNT(*) FROM {AFFECTED}")
    affected = cursor.fetchone()[0]
    cursor.execute("SELECT COUNT(*) FROM screening_personfigure")
    if affected > max(FULL_SHARE * cursor.fetchone()[0], CHUNK):
        cursor.execute(f"DROP TABLE {AFFECTED}")
        return False
    cursor.execute(f"CREATE UNIQUE INDEX {AFFECTED}_person ON {AFFECTED} (person_id)")
    analyze(AFFECTED)
    cursor.execute(
        f"CREATE TEMPORARY TABLE {DELTA} (district_code varchar(6), town_code varchar(9), "
        "community_code varchar(12), grid_code varchar(15), code varchar(64), "
        "dimension varchar(16), bucket varchar(40), n integer)"
    )
    mine = f"person_id IN (SELECT person_id FROM {AFFECTED})"
    rows = f"(SELECT * FROM screening_personfigure WHERE {mine}) p"
    _add(cursor, rows, DELTA, -1)
    cursor.execute(f"DELETE FROM screening_personfigure WHERE {mine}")
    _insert_persons(cursor, held, f" WHERE {mine}")
    _add(cursor, rows, DELTA, 1)
    keys = f"{CODES}, code, dimension, bucket"
    cursor.execute(
        f"INSERT INTO screening_gridfigure ({keys}, n) SELECT {keys}, SUM(n) FROM {DELTA} "
        f"WHERE 1 = 1 GROUP BY {keys} HAVING SUM(n) <> 0 "
        f"ON CONFLICT ({keys}) DO UPDATE SET n = screening_gridfigure.n + excluded.n"
    )
    cursor.execute("DELETE FROM screening_gridfigure WHERE n = 0")
    for table in (AFFECTED, DELTA):
        cursor.execute(f"DROP TABLE {table}")
    return True


def refresh(person_ids: list[int] | None = None) -> str:
    """Bring the figures up to date after the archive rows of these persons (None: of
    everyone) were rebuilt. Set-wise SQL only; one transaction (readers see the old figures
    or the new). Returns "full", "delta" or "" (nothing to do), for tests and logs."""
    stamp = FigureSet.objects.filter(pk=1).first()
    known = stamp is not None and stamp.digest == digest()
    if known and person_ids is not None and not person_ids:
        return ""
    with transaction.atomic(), connection.cursor() as cursor:
        done, as_of = "", None
        if known and person_ids is not None:
            _fill_touched(cursor, person_ids)
            as_of = _archive_date(cursor, stamp.as_of)
            if as_of == stamp.as_of:
                masks, params, local = _held(as_of)
                if local and _delta(cursor, (masks, params)):
                    done = "delta"
            cursor.execute(f"DROP TABLE {TOUCHED}")
        if not done:
            as_of = as_of or engine.archive_as_of()
            masks, params, _all_local = _held(as_of)
            _full(cursor, (masks, params))
            done = "full"
        FigureSet.objects.update_or_create(
            pk=1,
            defaults={
                "as_of": as_of,
                "digest": digest(),
                "versions": versions(),
                "computed_at": timezone.now(),
            },
        )
    return done
