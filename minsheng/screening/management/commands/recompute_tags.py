"""`minsheng recompute_tags`: recompute the portrait tags of every resident (or of some)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from minsheng.screening import catalog
from minsheng.screening.tags import recompute_tags


class Command(BaseCommand):
    help = "Recompute the portrait tags (tags.toml) set-wise and print how many hold each."

    def add_arguments(self, parser):
        parser.add_argument(
            "--person", type=int, action="append", dest="persons", help="only this person id"
        )

    def handle(self, *args, persons=None, **options):
        started = time.perf_counter()
        counts = recompute_tags(persons)
        seconds = time.perf_counter() - started
        names = {t.code: t.name_zh for t in catalog.tags()}
        width = max((len(c) for c in counts), default=0)
        for code, n in counts.items():
            self.stdout.write(f"{code.ljust(width)}  {n:>8}  {names.get(code, '')}")
        self.stdout.write(
            f"{len(counts)} tags, {sum(counts.values())} assignments in {seconds:.2f} s"
        )
