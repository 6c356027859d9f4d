"""Benchmark the livelihood archive: ingest every export, link, build the archive.

    .venv/bin/python bench/archive.py --scale 1.0 [--db sqlite|postgres] [--seed 42]

Generates the synthetic city first (not timed; reused from var/bench/ when present), imports
it into a fresh database, then measures linkage quality against the generator's truth, the
ID-only baseline (exact join on normalised ID numbers) and a 10,000-row delta batch of one
source. Ends with one line:

    wall_s=… peak_gb=… precision=… recall=… noid_precision=… noid_recall=…
    clerical_share=… baseline_precision=… baseline_recall=… delta_s=…
    cpu_pct=… synth_s=… floor_s=… workers_peak_gb=… all_peak_gb=…

cpu_pct: user + sys time of this process and its worker processes over wall_s (200: both
of two cores busy throughout); on PostgreSQL with that of the server processes serving this
run's database (they run the SQL of linkage, load and archive). peak_gb: this process's
peak resident memory until the archive is built (the evaluation after it holds the truth and
every assignment); workers_peak_gb: the largest worker process's (the import's read →
protect worker, the archive's helper); all_peak_gb: the largest sum of this process's and
its workers' resident memory at one time (both sampled from the import to the end of the
archive). synth_s: how long the generator takes for this scale on this machine, the
yardstick of its speed: --synth-s, else the time recorded when this bench generated the
city, else measured at the end (the generator run into a temporary directory). floor_s:
the goal for wall_s at scale 1.0 (200 s where synth_s ≤ 30 s, scaled by synth_s / 30 on a
slower machine).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgres://postgres@127.0.0.1:5432/"
AS_OF = date(2026, 11, 13)  # the generator's default reference date


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _cpu_s(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def _status_kb(pid: int | str, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def _stat(pid: str) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


class _Usage(threading.Thread):
    """Samples five times a second what this process's `/usr/bin/time` would not show:
    the memory of its child processes (the largest one's high-water mark, VmHWM: a child's
    own ru_maxrss also counts its parent's memory, which it shares between fork and exec;
    and the largest sum of all resident memory, this process's included), and on
    PostgreSQL the CPU time of the server processes serving this run's database (they run
    the SQL of linkage, load and archive; the last sample of each counts)."""

    def __init__(self, database: str | None) -> None:
        super().__init__(daemon=True)
        self.database = database
        self.stopped = threading.Event()
        self.worker_kb = 0
        self.all_kb = 0
        self.server: dict[str, tuple[float, float]] = {}  # pid → (first, last) CPU seconds
        self.sample()  # the server's CPU so far is not this run's

    def sample(self) -> None:
        me, tick = str(os.getpid()), os.sysconf("SC_CLK_TCK")
        total = _status_kb("self", "VmRSS")
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                stat = _stat(pid)
                if stat[1] == me:
                    self.worker_kb = max(self.worker_kb, _status_kb(pid, "VmHWM"))
                    total += _status_kb(pid, "VmRSS")
                elif self.database and f" {self.database} ".encode() in Path(
                    f"/proc/{pid}/cmdline"
                ).read_bytes().replace(b"\0", b" "):
                    cpu = (int(stat[11]) + int(stat[12])) / tick
                    first = self.server.get(pid, (0.0 if self.is_alive() else cpu, 0))[0]
                    self.server[pid] = (first, cpu)
            except (OSError, IndexError, ValueError):  # it ended meanwhile
                continue
        self.all_kb = max(self.all_kb, total)

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            self.sample()

    def stop(self) -> float:
        """The server's CPU seconds meanwhile."""
        self.stopped.set()
        self.join()
        self.sample()
        return sum(last - first for first, last in self.server.values())


def _synth(scale: float, seed: int, out: Path) -> float:
    """Run the generator into `out`; its wall time."""
    t = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "minsheng.synth",
            "--scale",
            str(scale),
            "--seed",
            str(seed),
            "--out",
            str(out),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t


def _city(scale: float, seed: int) -> tuple[Path, float | None]:
    """The city (generated unless cached) and the generator's time when this run or the one
    that generated it recorded it."""
    out = ROOT / "var" / "bench" / f"city-{scale}-{seed}"
    record = out.parent / f"synth_s-{scale}-{seed}.txt"
    if not (out / "manifest.json").exists():
        synth_s = _synth(scale, seed, out)
        record.write_text(f"{synth_s:.1f}\n")
        return out, synth_s
    try:
        return out, float(record.read_text())
    except (OSError, ValueError):
        return out, None


def _database(db: str, scale: float) -> str:
    if db == "sqlite":
        path = ROOT / "var" / "bench" / f"archive-{scale}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    name = "minsheng_bench"
    with psycopg.connect(PG_URL + "postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return PG_URL + name


def _delta_file(city: Path, work: Path, rows: int = 10_000) -> Path:
    """A later export of 参保 holding `rows` rows of the original (a monthly delta)."""
    original = next((city / "exports").glob("rs_insurance_*.csv"))
    data = original.read_bytes()
    lines = data.split(b"\n")
    header, body = lines[0], [ln for ln in lines[1:] if ln.strip()]
    work.mkdir(parents=True, exist_ok=True)
    delta = work / "rs_insurance_20261120.csv"
    delta.write_bytes(b"\n".join([header, *body[-rows:]]) + b"\n")
    return delta


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument("--synth-s", type=float, help="the generator's time here (see above)")
    a = p.parse_args()

    city, synth_s = _city(a.scale, a.seed)
    if a.synth_s is not None:
        synth_s = a.synth_s
    os.environ["DATABASE_URL"] = _database(a.db, a.scale)
    os.environ.setdefault("MINSHENG_KEY_FILE", str(ROOT / "var" / "bench" / "bench.key"))
    sys.path.insert(0, str(ROOT))
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minsheng.settings")
    django.setup()
    import polars as pl
    from django.core.management import call_command

    from minsheng.lib.crypto import generate_key_file
    from minsheng.pipeline.actions import do_refresh_archive
    from minsheng.pipeline.ingest import import_file, import_files, ordered
    from minsheng.sources import evaluation, linkage
    from minsheng.sources.models import Batch

    key = Path(os.environ["MINSHENG_KEY_FILE"])
    if not key.exists():
        generate_key_file(key)
    call_command("migrate", verbosity=0)

    # what `minsheng ingest DIR` does (pipeline.ingest.import_folder), with the archive rebuild timed apart
    from django.db import connection

    connection.ensure_connection()
    usage = _Usage(connection.settings_dict["NAME"] if a.db == "postgres" else None)
    usage.start()
    t0 = time.perf_counter()
    cpu0 = _cpu_s(resource.RUSAGE_SELF) + _cpu_s(resource.RUSAGE_CHILDREN)
    batches = import_files(ordered((city / "exports").iterdir()), refresh=False)
    t_archive = time.perf_counter()
    do_refresh_archive(acting_user=None, as_of=AS_OF, job="bench")
    wall = time.perf_counter() - t0
    # the import's worker processes have ended (and been waited for): their time is counted
    cpu_s = _cpu_s(resource.RUSAGE_SELF) + _cpu_s(resource.RUSAGE_CHILDREN) - cpu0
    cpu_s += usage.stop()
    peak_gb = _peak_gb()  # the import's and the archive's, not the evaluation's below
    cpu_pct = cpu_s / wall
    cpu_pct *= 100
    archive_s = time.perf_counter() - t_archive
    import_s = t_archive - t0

    stages: dict[str, float] = {}
    for b in batches:
        for stage, secs in b.timings.items():
            stages[stage] = stages.get(stage, 0.0) + secs
    rows = sum(b.rows_read for b in batches)
    print(f"scale {a.scale} seed {a.seed} on {a.db}: {rows:,} rows in {len(batches)} files")
    for b in batches:
        print(
            f"  {b.file_name:<32} read={b.rows_read:>9,} accepted={b.rows_accepted:>9,} "
            f"quarantined={b.rows_quarantined:>6,} {b.link_methods}"
        )
    for stage, secs in stages.items():
        print(f"  stage {stage:<8} {secs:7.1f} s  {rows / secs if secs else 0:>12,.0f} rows/s")
    print(f"  stage archive  {archive_s:7.1f} s  {rows / archive_s:>12,.0f} rows/s")
    print(
        f"  import         {import_s:7.1f} s  wall, parse to load (parse and encrypt of the "
        "files after the first run in a worker process meanwhile)"
    )

    truth = pl.read_parquet(city / "truth" / "rows.parquet")
    assign = evaluation.fact_assignments()
    ours = linkage.evaluate(assign, truth)
    base = linkage.evaluate(evaluation.id_only_baseline(assign), truth)
    whole = linkage.whole_persons(assign, truth)
    base_whole = linkage.whole_persons(evaluation.id_only_baseline(assign), truth)
    noid_rows = assign.filter(pl.col("noid")).height
    review = assign.filter(pl.col("method").is_in(["review", "id_conflict"])).height
    clerical = assign.filter(pl.col("noid") & (pl.col("method") == "review")).height
    clerical_share = evaluation.clerical_share(assign)
    print(f"  linkage: {ours}")
    print(f"  baseline (ID only): {base}")
    print(f"  whole persons: {whole}")
    print(f"  whole persons, baseline (ID only): {base_whole}")
    print(f"  review queue: {review} rows ({clerical} of {noid_rows} no-ID rows)")

    delta = _delta_file(city, ROOT / "var" / "bench" / f"delta-{a.scale}")
    t1 = time.perf_counter()
    batch = import_file(delta, as_of=AS_OF)
    delta_s = time.perf_counter() - t1
    again = import_file(delta, as_of=AS_OF)
    assert again.pk == batch.pk and Batch.objects.filter(sha256=batch.sha256).count() == 1
    print(
        f"  delta: {batch.rows_read} rows, {batch.residents_refreshed} residents in {delta_s:.1f} s"
    )

    if synth_s is None:  # last, so that its memory is not taken for a worker's
        with tempfile.TemporaryDirectory(prefix="synth-yardstick-") as tmp:
            synth_s = _synth(a.scale, a.seed, Path(tmp) / "city")
    print(
        f"wall_s={wall:.1f} peak_gb={peak_gb:.2f} precision={ours['precision']:.5f} "
        f"recall={ours['recall']:.5f} noid_precision={ours['noid_precision']:.4f} "
        f"noid_recall={ours['noid_recall']:.4f} clerical_share={clerical_share:.4f} "
        f"baseline_precision={base['precision']:.5f} baseline_recall={base['recall']:.5f} "
        f"delta_s={delta_s:.1f} cpu_pct={cpu_pct:.0f} synth_s={synth_s:.1f} "
        f"floor_s={200 * max(1.0, synth_s / 30):.0f} "
        f"workers_peak_gb={usage.worker_kb / 1024**2:.2f} all_peak_gb={usage.all_kb / 1024**2:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
