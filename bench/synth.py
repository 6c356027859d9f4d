"""Benchmark the synthetic-city generator.

    .venv/bin/python bench/synth.py --scale 1.0 [--seed 42] [--keep DIR]

Runs `python -m minsheng.synth` in a child process into a temporary directory and prints
wall time, peak memory (ru_maxrss of this process and its children), rows per export file
and bytes written, ending with one line:

    wall_s=… peak_gb=… residents=… rows=… bytes=…
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--keep", help="write here instead of a temporary directory")
    a = p.parse_args()

    with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
        out = Path(a.keep) if a.keep else Path(tmp) / "city"
        cmd = [
            sys.executable,
            "-m",
            "minsheng.synth",
            "--scale",
            str(a.scale),
            "--seed",
            str(a.seed),
            "--out",
            str(out),
        ]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        wall = time.perf_counter() - t0
        # ru_maxrss is in KiB on Linux; the child did the work, so take the larger of the two.
        peak_kib = max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        )
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        total_bytes = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())

    print(f"scale {a.scale}, seed {a.seed}")
    print(f"wall time      {wall:8.1f} s")
    print(f"peak memory    {peak_kib / 1024**2:8.2f} GiB")
    print("rows per file:")
    for f in manifest["files"]:
        print(
            f"  {f['file']:<42} {f['rows']:>10,} rows {f['bytes'] / 1e6:>9.1f} MB  {f['encoding']}"
        )
    print(f"bytes written  {total_bytes:,} (exports, city, truth, manifest)")
    print(
        f"wall_s={wall:.1f} peak_gb={peak_kib / 1024**2:.2f} residents={manifest['residents']} "
        f"rows={manifest['total_rows']} bytes={total_bytes}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
