"""`minsheng screen`: count every target list (or one theme, one list, or a rule typed on
the command line) over the whole city, with each rule's version and the time it took.

    minsheng screen [--theme T] [--rule CODE] [--expr 'rule text'] [--planted CITY_DIR]

`--planted` also scores every list that has a planted counterpart against the generator's
truth in CITY_DIR/truth/planted (precision and recall per list).
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from minsheng import keys
from minsheng.screening import catalog, engine
from minsheng.screening.rulelang import RuleError
from minsheng.sources.models import Person


def _truth_numbers(path: Path) -> set[str]:
    with path.open(encoding="utf-8") as fh:
        return {row["id_number"] for row in csv.DictReader(fh) if row.get("id_number")}


def _our_ids(numbers: set[str]) -> set[int]:
    crypto = keys.provider()
    hashes = {crypto.blind_index(n) for n in numbers}
    return set(Person.objects.filter(id_hash__in=hashes).values_list("pk", flat=True))


def planted_ids(city: Path, stem: str) -> set[int]:
    """Our person ids for the planted case `stem`: the truth names people by ID number, which
    we only hold as a blind index, so the truth's numbers are hashed the same way. Truth
    people that no export carries have no person here; they count as missed."""
    numbers = _truth_numbers(city / "truth" / "planted" / f"{stem}.csv")
    found = _our_ids(numbers)
    # people the truth lists but we never linked stay in the denominator as misses
    return found | {-i for i in range(1, len(numbers) - len(found) + 1)}


def planted_unreachable(city: Path, stem: str) -> tuple[int, set[int]]:
    """The case's planted people that no export can show: the generator keeps them out of
    `<stem>.csv` and lists them, with the reason, in `<stem>.unreachable.csv`. Returns how
    many there are and those of them we hold a person for (whom a list may still find)."""
    path = city / "truth" / "planted" / f"{stem}.unreachable.csv"
    if not path.exists():
        return 0, set()
    with path.open(encoding="utf-8") as fh:
        n = sum(1 for _ in csv.DictReader(fh))
    return n, _our_ids(_truth_numbers(path))


def planted_score(city: Path, rule: catalog.RuleDef) -> dict:
    """Precision and recall of one list's rule against its planted counterpart. Planted
    people the exports cannot show (`unreachable`) count neither as found nor as missed:
    they are not expected, and a list that finds them all the same is not wrong."""
    expected = planted_ids(city, rule.planted)
    unreachable, lost = planted_unreachable(city, rule.planted)
    got = set(engine.matching_all(rule.rule, rule=rule.code).values_list("person_id", flat=True))
    got -= lost - expected
    hit = len(expected & got)
    return {
        "list": rule.code,
        "planted": rule.planted,
        "expected": len(expected),
        "unreachable": unreachable,
        "found": len(got),
        "hit": hit,
        "precision": hit / len(got) if got else (1.0 if not expected else 0.0),
        "recall": hit / len(expected) if expected else 1.0,
        "missed": sorted(expected - got),
        "extra": sorted(got - expected),
    }


def planted_rules() -> list[catalog.RuleDef]:
    return [r for t in catalog.themes() for r in t.lists if r.planted]


class Command(BaseCommand):
    help = "Count every screening list (or one theme, list or rule) over the whole city."

    def add_arguments(self, parser):
        parser.add_argument("--theme", help="only this theme's lists (its code)")
        parser.add_argument("--rule", help="only this list (its code)")
        parser.add_argument("--expr", help="a rule written on the command line")
        parser.add_argument("--planted", help="a synthetic city's folder: score planted lists")

    def handle(self, *args, theme=None, rule=None, expr=None, planted=None, **options):
        as_of = engine.archive_as_of()
        self.stdout.write(f"archive as of {as_of}")
        if expr is not None:
            try:
                engine.compiled(expr, rule="--expr", as_of=as_of)
            except RuleError as err:
                raise CommandError(str(err)) from None
            self._count("--expr", "-", expr, "expr")
            return
        try:
            if rule:
                found = [catalog.find_list(rule)]
            elif theme:
                t = catalog.theme(theme)
                found = [(t, r) for r in t.lists]
            else:
                found = [(t, r) for t in catalog.themes() for r in t.lists]
        except KeyError as missing:
            raise CommandError(f"no such theme or list: {missing}") from None
        total = 0.0
        for t, r in found:
            total += self._count(t.code, r.code, r.rule, r.version)
        self.stdout.write(f"{len(found)} lists in {total:.3f} s")
        if planted:
            city = Path(planted)
            for r in planted_rules():
                if any(r is f for _, f in found):
                    s = planted_score(city, r)
                    self.stdout.write(
                        f"planted {s['list']:<44} expected={s['expected']:>5} "
                        f"unreachable={s['unreachable']:>3} found={s['found']:>5} "
                        f"precision={s['precision']:.3f} recall={s['recall']:.3f}"
                    )

    def _count(self, theme: str, code: str, text: str, version: str) -> float:
        t0 = time.perf_counter()
        n = engine.matching_all(text, rule=code).count()
        secs = time.perf_counter() - t0
        self.stdout.write(f"{theme:<22} {code:<44} {n:>9,}  v{version:<12} {secs:7.3f} s")
        return secs
