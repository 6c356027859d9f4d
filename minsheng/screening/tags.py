"""The portrait's tags: who holds which tag of `tags.toml`, stored in
screening_residenttag and recomputed set-wise (one DELETE and one INSERT … SELECT per tag,
never a Python loop over residents).

A tag says what its rule's items hold, so it shows those items as plainly as the profile's
own rows would: a tag whose rule reads a sensitive item (低保 reads assistance.dibao, 残疾人
disability.disabled) carries those items in `PersonTag.reveals`, and the portrait shows it
only to whoever may see those items unmasked (screening.receivers).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import get_language

from minsheng.catalogue import dictionary

from . import catalog, engine
from .models import ResidentTag
from .rulelang import compile_rule

# Bootstrap colour per tag group; a group not listed is grey.
GROUP_STYLES = {
    "就业": "primary",
    "社保": "success",
    "救助": "warning",
    "身份": "info",
    "年龄": "secondary",
}
# Well under SQLite's bound-parameter limit, with room for a rule's own parameters.
CHUNK = 500


def _stamp(now: datetime):
    # SQLite stores Django datetimes as naive UTC text; a raw parameter must match that
    # format or ordering and comparison with ORM-written rows break.
    if connection.vendor == "postgresql":
        return now
    return now.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]


def recompute_tags(person_ids: list[int] | None = None) -> dict[str, int]:
    """Recompute every tag for the given persons (all residents if None); returns
    tag code → number of those persons now holding it. One transaction: readers see the
    old tags or the new, never half."""
    defs = catalog.tags()
    as_of = engine.archive_as_of()
    stamp = _stamp(timezone.now())
    counts = {t.code: 0 for t in defs}
    if person_ids is not None:
        ids = sorted({int(p) for p in person_ids})
        scopes = [
            (f" AND {{col}} IN ({', '.join(['%s'] * len(chunk))})", chunk) for chunk in _chunks(ids)
        ]
    else:
        scopes = [("", [])]
    with transaction.atomic(), connection.cursor() as cursor:
        if person_ids is None and defs:
            # Tags dropped from tags.toml must not linger on the profile page.
            marks = ", ".join(["%s"] * len(defs))
            cursor.execute(
                f"DELETE FROM screening_residenttag WHERE tag NOT IN ({marks})",
                [t.code for t in defs],
            )
        for tag in defs:
            rule = engine.compiled(tag.rule, rule=tag.code, as_of=as_of)
            for scope, params in scopes:
                cursor.execute(
                    "DELETE FROM screening_residenttag WHERE tag = %s"
                    + scope.format(col="person_id"),
                    [tag.code, *params],
                )
                cursor.execute(
                    "INSERT INTO screening_residenttag (person_id, tag, rule_version, "
                    "computed_at) SELECT residents_resident.person_id, %s, %s, %s "
                    f"FROM residents_resident WHERE ({rule.sql})"
                    + scope.format(col="residents_resident.person_id"),
                    [tag.code, tag.version, stamp, *rule.params, *params],
                )
                counts[tag.code] += max(cursor.rowcount, 0)
    return counts


def sensitive_items(codes: Iterable[str]) -> frozenset[str]:
    """The codes among `codes` whose item the profile masks (sensitivity 3 or 4). A code the
    dictionary does not know counts as sensitive: masking fails closed."""
    out = set()
    for code in codes:
        try:
            if dictionary.item(code).sensitive:
                out.add(code)
        except KeyError:
            out.add(code)
    return frozenset(out)


@cache
def tag_items() -> dict[str, frozenset[str]]:
    """Tag code → the dictionary items its rule reads (the compiler lists them)."""
    return {
        t.code: compile_rule(t.rule, pg=False, as_of=date(2000, 1, 1), rule=t.code).items
        for t in catalog.tags()
    }


@dataclass(frozen=True)
class PersonTag:
    code: str
    name: str
    group: str
    style: str
    description: str
    computed_at: datetime
    # the sensitive items holding the tag shows (masked items must not show through it)
    reveals: frozenset[str] = field(default_factory=frozenset)


def person_tags(person_id: int) -> list[PersonTag]:
    """The person's stored tags in catalogue order (one query)."""
    english = get_language() == "en"
    stored = dict(ResidentTag.objects.filter(person_id=person_id).values_list("tag", "computed_at"))
    return [
        PersonTag(
            code=t.code,
            name=t.name_en if english else t.name_zh,
            group=t.group,
            style=GROUP_STYLES.get(t.group, "secondary"),
            description=t.description_zh,
            computed_at=stored[t.code],
            reveals=sensitive_items(tag_items()[t.code]),
        )
        for t in catalog.tags()
        if t.code in stored
    ]


def grouped(tags: list[PersonTag]) -> list[tuple[str, list[PersonTag]]]:
    """[(group, tags)] in the order groups first appear in the catalogue."""
    out: dict[str, list[PersonTag]] = {}
    for t in tags:
        out.setdefault(t.group, []).append(t)
    return list(out.items())
