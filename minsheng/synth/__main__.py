"""`python -m minsheng.synth --scale 0.01 --seed 42 --out DIR` (no Django needed)."""

from __future__ import annotations

import argparse
from datetime import date

from .config import AS_OF
from .generate import generate


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m minsheng.synth",
        description="Generate synthetic Wuhai and its departments' exports.",
    )
    p.add_argument("--scale", type=float, default=1.0, help="1.0 = 558,100 residents")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument(
        "--as-of", type=date.fromisoformat, default=AS_OF, help=f"reference date (default {AS_OF})"
    )
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    generate(a.out, scale=a.scale, seed=a.seed, as_of=a.as_of, progress=not a.quiet)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
