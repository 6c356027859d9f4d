"""Benchmark screening: every target list's rule over the whole city, the list pages, the
portrait tags, and the planted cases' precision and recall.

    .venv/bin/python bench/screening.py --scale 0.1 [--db sqlite|postgres] [--seed 42] [--rebuild]

Reuses the city and database that bench/archive.py leaves (var/bench/city-S-42 and
var/bench/archive-S.sqlite3, or the postgres database minsheng_bench); when they are absent
it runs bench/archive.py first (not timed). Ends with one line:

    rules=… rule_median_s=… rule_max_s=… page_max_s=… theme_page_max_s=… tags_s=…
    min_planted_recall=… min_planted_precision=… max_unreachable_share=…

A planted case the exports cannot support (the generator says why, in
truth/planted/<case>.unreachable.csv) is neither found nor missed; `unreachable=` counts them
per list, and max_unreachable_share is the largest share of a list's planted cases.

page_max_s is the slowest first page of a target list; theme_page_max_s the slowest theme
page (headline counts and charts) or the themes' index.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgres://postgres@127.0.0.1:5432/minsheng_bench"


def _archive(scale: float, seed: int, db: str) -> None:
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "archive.py"),
            "--scale",
            str(scale),
            "--seed",
            str(seed),
            "--db",
            db,
        ],
        check=True,
    )


def _database(scale: float, seed: int, db: str, rebuild: bool) -> str:
    city = ROOT / "var" / "bench" / f"city-{scale}-{seed}"
    if rebuild:
        _archive(scale, seed, db)
    if db == "sqlite":
        path = ROOT / "var" / "bench" / f"archive-{scale}.sqlite3"
        if not path.exists() or not (city / "manifest.json").exists():
            _archive(scale, seed, db)
        return f"sqlite:///{path}"
    import psycopg

    try:
        with psycopg.connect(PG_URL) as conn:
            n = conn.execute("SELECT count(*) FROM residents_resident").fetchone()[0]
    except psycopg.Error:
        n = 0
    if not rebuild and (not n or not (city / "manifest.json").exists()):
        _archive(scale, seed, db)
    return PG_URL


def _staff_client():
    """A logged-in city-staff client (the role that sees every list of the whole city)."""
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from minsheng.accounts.models import User
    from minsheng.accounts.roles import Role
    from minsheng.geo.models import Area

    setup_test_environment()  # lets the test client's host through ALLOWED_HOSTS
    user, _ = User.objects.get_or_create(
        username="bench_city_staff",
        defaults={
            "role": Role.CITY_EMPLOYMENT,
            "area": Area.objects.get(level="city"),
            "staff_no": "BENCH-1",
            "must_change_password": False,
            "password_changed_at": timezone.now(),
        },
    )
    client = Client()
    client.force_login(user)
    return client


def _get(client, url: str, label: str) -> float:
    t0 = time.perf_counter()
    resp = client.get(url)
    secs = time.perf_counter() - t0
    flag = "" if resp.status_code == 200 else f"  HTTP {resp.status_code}"
    print(f"  page {label:<44} {secs:7.3f} s{flag}")
    return secs


def _pages(themes) -> tuple[float, float]:
    """The slowest first page of a list, and the slowest theme page (or the index)."""
    from django.urls import reverse

    client = _staff_client()
    theme_pages = [_get(client, reverse("screening:index"), "(index)")]
    theme_pages += [
        _get(client, reverse("screening:theme", args=[t.code]), f"(theme {t.code})") for t in themes
    ]
    list_pages = [
        _get(client, reverse("screening:list", args=[t.code, r.code]), r.code)
        for t in themes
        for r in t.lists
    ]
    return max(list_pages), max(theme_pages)


def _tags() -> float:
    from minsheng.screening.tags import recompute_tags

    t0 = time.perf_counter()
    counts = recompute_tags()
    secs = time.perf_counter() - t0
    print(f"  tags: {counts} in {secs:.1f} s")
    return secs


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--scale", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument(
        "--rebuild",
        action="store_true",
        help="rebuild the archive with bench/archive.py first (an archive built by older "
        "code lacks derived items the rules read)",
    )
    a = p.parse_args()

    os.environ["DATABASE_URL"] = _database(a.scale, a.seed, a.db, a.rebuild)
    os.environ.setdefault("MINSHENG_KEY_FILE", str(ROOT / "var" / "bench" / "bench.key"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minsheng.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from minsheng.residents.models import Resident
    from minsheng.screening import catalog, engine
    from minsheng.screening.management.commands.screen import planted_score

    call_command("migrate", verbosity=0)  # tables added since the archive was built
    city = ROOT / "var" / "bench" / f"city-{a.scale}-{a.seed}"
    themes = catalog.themes()
    as_of = engine.archive_as_of()
    print(
        f"scale {a.scale} seed {a.seed} on {a.db}: {Resident.objects.count():,} residents, "
        f"archive as of {as_of}"
    )

    times = []
    for t in themes:
        for r in t.lists:
            t0 = time.perf_counter()
            n = engine.matching_all(r.rule, rule=r.code, as_of=as_of).count()
            secs = time.perf_counter() - t0
            times.append(secs)
            print(f"  rule {t.code:<22} {r.code:<44} {n:>10,} {secs:7.3f} s")

    recalls, precisions, unreachable_shares = [], [], []
    for t in themes:
        for r in t.lists:
            if not r.planted:
                continue
            s = planted_score(city, r)
            recalls.append(s["recall"])
            precisions.append(s["precision"])
            planted = s["expected"] + s["unreachable"]
            unreachable_shares.append(s["unreachable"] / planted if planted else 0.0)
            print(
                f"  planted {r.code:<44} expected={s['expected']:>6} found={s['found']:>7} "
                f"hit={s['hit']:>6} precision={s['precision']:.3f} recall={s['recall']:.3f} "
                f"unreachable={s['unreachable']}"
            )

    page_max, theme_page_max = _pages(themes)
    tags_s = _tags()
    print(
        f"rules={len(times)} rule_median_s={statistics.median(times):.3f} "
        f"rule_max_s={max(times):.3f} page_max_s={page_max:.3f} "
        f"theme_page_max_s={theme_page_max:.3f} tags_s={tags_s:.1f} "
        f"min_planted_recall={min(recalls):.3f} min_planted_precision={min(precisions):.3f} "
        f"max_unreachable_share={max(unreachable_shares):.4f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
