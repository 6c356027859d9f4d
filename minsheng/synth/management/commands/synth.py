"""`minsheng synth --scale 1.0 --seed 42 --out DIR`: a thin wrapper over synth.generate."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandParser

from minsheng.synth.config import AS_OF
from minsheng.synth.generate import generate


class Command(BaseCommand):
    help = "Generate synthetic Wuhai: city, department exports (dirty) and ground truth."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 558,100 residents")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--out", required=True)
        parser.add_argument("--as-of", type=date.fromisoformat, default=AS_OF)
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args, **opts) -> None:
        manifest = generate(
            opts["out"],
            scale=opts["scale"],
            seed=opts["seed"],
            as_of=opts["as_of"],
            progress=not opts["quiet"],
        )
        self.stdout.write(
            f"{manifest['residents']} residents, {manifest['total_rows']} export rows → {opts['out']}"
        )
