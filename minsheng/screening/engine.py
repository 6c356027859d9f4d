"""Running rules against the archive: counts, members and explanations, always through the
scoping function (`Resident.objects.visible_to(user)`)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from django.db import connection
from django.db.models import BooleanField, Count, Max
from django.db.models.expressions import RawSQL
from django.utils import timezone

from minsheng.geo.models import Level
from minsheng.residents.models import Resident

from .rulelang import Compiled, compile_rule


def archive_as_of() -> date:
    """The archive's reference date: rules about 'today' mean this day."""
    return Resident.objects.aggregate(d=Max("as_of"))["d"] or timezone.localdate()


@lru_cache(maxsize=512)
def _compiled(text: str, pg: bool, as_of: date, rule: str) -> Compiled:
    return compile_rule(text, pg=pg, as_of=as_of, rule=rule)


def compiled(text: str, *, rule: str = "", as_of: date | None = None) -> Compiled:
    pg = connection.vendor == "postgresql"
    return _compiled(text, pg, as_of or archive_as_of(), rule)


def condition(text: str, *, rule: str = "", as_of: date | None = None) -> RawSQL:
    """The rule as a filter expression on the archive."""
    c = compiled(text, rule=rule, as_of=as_of)
    # the SQL is the compiler's own output; every value from a rule is a parameter
    return RawSQL(c.sql, c.params, output_field=BooleanField())  # noqa: S611


def matching(user, text: str, *, rule: str = "", as_of: date | None = None):
    """The residents the user may see for whom the rule holds."""
    return Resident.objects.visible_to(user).filter(condition(text, rule=rule, as_of=as_of))


def matching_all(text: str, *, rule: str = "", as_of: date | None = None):
    """Every resident for whom the rule holds: for jobs and benchmarks, never for a page."""
    return Resident.objects.filter(condition(text, rule=rule, as_of=as_of))


def counts(residents, rules, *, as_of: date | None = None) -> dict[str, int]:
    """{code: how many of these residents the rule holds for} for [(code, text)]: the plain
    rules in one pass over the archive (a theme page's lists counted one by one would scan
    it once each)."""
    # A rule with a subquery (household aggregates, the handling log) is counted on its own:
    # inside an aggregate's FILTER PostgreSQL runs the subquery once per row, while a plain
    # WHERE lets it turn the subquery into a join.
    plain = [(c, t) for c, t in rules if " FROM " not in compiled(t, rule=c, as_of=as_of).sql]
    out = {
        code: residents.filter(condition(text, rule=code, as_of=as_of)).count()
        for code, text in rules
        if (code, text) not in plain
    }
    if plain:
        out |= residents.aggregate(
            **{
                code: Count("person_id", filter=condition(text, rule=code, as_of=as_of))
                for code, text in plain
            }
        )
    return {code: out[code] for code, _text in rules}


def explain(person_id: int, text: str, *, rule: str = "", as_of: date | None = None):
    """[(condition as written, True/False/None)] for one resident: which conditions held."""
    c = compiled(text, rule=rule, as_of=as_of)
    if not c.conditions:
        return []
    cols = ", ".join(
        f"CASE WHEN {cond.sql} THEN 1 WHEN NOT ({cond.sql}) THEN 0 END" for cond in c.conditions
    )
    params: list = []
    for cond in c.conditions:
        params += [*cond.params, *cond.params]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {cols} FROM residents_resident WHERE person_id = %s", [*params, person_id]
        )
        row = cursor.fetchone()
    if row is None:
        return []
    return [
        (cond.text, None if v is None else bool(v))
        for cond, v in zip(c.conditions, row, strict=True)
    ]


def explain_many(person_ids: list[int], text: str, *, rule: str = "", as_of: date | None = None):
    """{person_id: [(condition, held)]} for a page of residents, in one query."""
    c = compiled(text, rule=rule, as_of=as_of)
    if not person_ids or not c.conditions:
        return {}
    cols = ", ".join(
        f"CASE WHEN {cond.sql} THEN 1 WHEN NOT ({cond.sql}) THEN 0 END" for cond in c.conditions
    )
    params: list = []
    for cond in c.conditions:
        params += [*cond.params, *cond.params]
    marks = ", ".join(["%s"] * len(person_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT person_id, {cols} FROM residents_resident WHERE person_id IN ({marks})",
            [*params, *person_ids],
        )
        rows = cursor.fetchall()
    return {
        row[0]: [
            (cond.text, None if v is None else bool(v))
            for cond, v in zip(c.conditions, row[1:], strict=True)
        ]
        for row in rows
    }


def in_area(qs, area):
    """The rows of `qs` (scoped already) inside `area`."""
    if area.level == Level.CITY:
        return qs
    return qs.filter(**{f"{area.level}_code": area.code})
