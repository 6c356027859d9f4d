"""What the benches that work on a built archive share: the archive bench/archive.py leaves
(var/bench/city-S-SEED with var/bench/archive-S.sqlite3, or the PostgreSQL database
minsheng_bench), built first when absent, and a fresh copy of it for one bench's run, so
that the archive other benches read stays as bench/archive.py built it."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "var" / "bench"
PG = "postgres://postgres@127.0.0.1:5432/"
SOURCE_DB = "minsheng_bench"


def city_dir(scale: float, seed: int) -> Path:
    return BENCH / f"city-{scale}-{seed}"


def build_archive(scale: float, seed: int, db: str) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "archive.py"), "--scale", str(scale)]
        + ["--seed", str(seed), "--db", db],
        check=True,
    )


def _manifest_residents(city: Path) -> int | None:
    try:
        return int(json.loads((city / "manifest.json").read_text())["residents"])
    except (OSError, ValueError, KeyError):
        return None


def archive_copy(scale: float, seed: int, db: str, name: str) -> str:
    """The DATABASE_URL of a fresh copy, named after the bench (`name`), of the archive of
    this scale and seed (built first when absent)."""
    city = city_dir(scale, seed)
    if db == "sqlite":
        source = BENCH / f"archive-{scale}.sqlite3"
        if not source.exists() or not (city / "manifest.json").exists():
            build_archive(scale, seed, db)
        with sqlite3.connect(source) as conn:  # the WAL into the file, then copy the file
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        target = BENCH / f"{name}-{scale}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(source, target)
        return f"sqlite:///{target}"
    import psycopg

    try:
        with psycopg.connect(PG + SOURCE_DB) as conn:
            n = conn.execute("SELECT count(*) FROM residents_resident").fetchone()[0]
    except psycopg.Error:
        n = 0
    # minsheng_bench holds the archive of whichever scale bench/archive.py built last
    expected = _manifest_residents(city)
    if not n or expected is None or abs(n - expected) > 0.2 * expected:
        build_archive(scale, seed, db)
    target = f"minsheng_bench_{name}"
    with psycopg.connect(PG + "postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {target} TEMPLATE {SOURCE_DB}")
    return PG + target
