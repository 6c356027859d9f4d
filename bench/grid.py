"""Benchmark grid work: dispatching a saved list, and the grid API under load.

    .venv/bin/python bench/grid.py --scale 0.1 [--db sqlite|postgres] [--seed 42]
                                   [--workers N] [--wait S] [--run-time 60]

Reuses the city and archive that bench/archive.py leaves (var/bench/city-S-42 with
var/bench/archive-S.sqlite3, or the PostgreSQL database minsheng_bench), running it first
when they are absent (not timed), and works on a copy made for each run
(var/bench/grid-S.sqlite3, or the database minsheng_bench_grid), so that the archive other
benches read stays as bench/archive.py built it. The city's grids, buildings and houses are
loaded when the copy has none, and `staff_grids` gives each grid its post and worker.

dispatch_s: `do_dispatch_list` of one saved target list of 50,000 residents (the first
50,000 alive residents with a grid, inserted as the list's members set-wise), one
insurance-willingness task each, routed to the holder of each resident's grid.

Before the load, ten rounds of list → task → result made one at a time in this process
(the test client, no gunicorn) give each call's median cost to the server without
contention ("one call at a time").
The job worker runs beside gunicorn, as in production (its log: var/bench/grid-worker.log),
and archives the results every 30 s; its first refresh also moves the archive's date to
today, so the screening figures are recomputed for the new date (10 s at full scale on
PostgreSQL), as on a morning's first refresh. gunicorn imports the project before it forks
its workers (--preload), and each simulated worker makes its first call at a random moment
within its first pause (phones opening the app through the morning, not 200 in four
seconds).

Then gunicorn (--workers, default 2 × cores + 1) serves the project on a loopback port
against that database, and locust (bench/grid_locust.py; headless, -u 200 -r 50, 60 s)
runs 200 simulated grid workers, each with its own device token (the workers of grids with
open tasks; where the city has fewer than 200, some have several devices): the open task
list, one task with its resident card, the result with an Idempotency-Key (5 % of posts
retried with the same key, which must answer the first result), a pause of --wait seconds
after each call. api_errors counts every failed or unexpected answer; api_p95_ms is the
95th percentile of all the API's calls, api_rps their throughput. The same locust settings
against the trivial view (/healthz: no database, no session) give bare_rps. gunicorn is
stopped at the end. Ends with one line:

    dispatch_s=… api_p95_ms=… api_errors=… api_rps=… bare_rps=…
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from common import BENCH, ROOT, archive_copy, city_dir

LIST_SIZE = 50_000
USERS, SPAWN_RATE = 200, 50


def _city_staff():
    from django.utils import timezone

    from minsheng.accounts.models import User
    from minsheng.accounts.roles import Role
    from minsheng.geo.models import Area

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
    return user


def _staff(city: Path) -> dict:
    from minsheng.geo.actions import do_load_city
    from minsheng.geo.models import Area
    from minsheng.grid.actions import do_staff_grids

    if not Area.objects.filter(level="grid").exists():
        print(f"  loaded the city: {do_load_city(city / 'city')}")
    with (city / "city" / "grids.csv").open(encoding="utf-8-sig", newline="") as f:
        return do_staff_grids(list(csv.DictReader(f)))


def _dispatch(user) -> tuple[float, int]:
    """One saved list of LIST_SIZE residents, its members inserted set-wise; the time of
    dispatching it."""
    from django.db import connection, transaction
    from django.utils import timezone

    from minsheng.grid.actions import do_dispatch_list
    from minsheng.grid.models import TaskKind
    from minsheng.screening.models import TargetList, TargetListMember

    with transaction.atomic():
        saved = TargetList.objects.create(
            list_code="bench_grid",
            theme_code="coverage",
            name="压测：参保意愿调查",
            rule_text="bench",
            rule_version="1",
            as_of=timezone.localdate(),
            area=user.area,
            created_by=user,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TargetListMember._meta.db_table} "
                "(target_list_id, person_id, explanation) "
                "SELECT %s, person_id, '[]' FROM residents_resident "
                "WHERE grid_code <> '' AND (identity_survival_status IS NULL "
                "OR identity_survival_status = '1') ORDER BY person_id LIMIT %s",
                [saved.pk, LIST_SIZE],
            )
            saved.size = cursor.rowcount
        saved.save(update_fields=["size"])
    t0 = time.perf_counter()
    done = do_dispatch_list(saved, kind=TaskKind.INSURANCE, acting_user=user)
    secs = time.perf_counter() - t0
    print(f"  dispatch: {saved.size:,} in the list → {done.as_dict()} in {secs:.1f} s")
    return secs, done.created


def _devices(path: Path) -> int:
    """A device token for each of USERS grid workers holding open tasks (where there are
    fewer workers, several devices for each, dealt round-robin); written to `path`."""
    from django.db.models import Count, Q

    from minsheng.accounts.models import User
    from minsheng.accounts.roles import Role
    from minsheng.grid.actions import do_issue_device_token
    from minsheng.grid.models import GridPost, GridTask

    grids = set(
        GridTask.objects.filter(status="open").values_list("grid_code", flat=True).distinct()
    )
    workers = list(
        User.objects.filter(role=Role.GRID_WORKER, is_active=True)
        .annotate(
            holds=Count(
                "grid_posts",
                filter=Q(grid_posts__grid__code__in=grids),
            )
        )
        .filter(holds__gt=0)
        .order_by("username")[:USERS]
    )
    assert GridPost.objects.filter(worker__in=workers).exists(), "no grid worker holds a task"
    # the devices of worker i: users i, i + W, i + 2W, …; each works its share of the tasks
    shares = [len(range(i, USERS, len(workers))) for i in range(len(workers))]
    devices = []
    for n in range(USERS):
        worker, slot = workers[n % len(workers)], n // len(workers)
        _, token = do_issue_device_token(worker, name=f"压测设备{slot + 1}", acting_user=worker)
        devices.append({"token": token, "slot": slot, "of": shares[n % len(workers)]})
    path.write_text(json.dumps(devices))
    path.chmod(0o600)
    return len(workers)


def _unloaded(token: str, rounds: int = 10) -> dict[str, float]:
    """Median milliseconds of each API call made one at a time in this process (no
    gunicorn, no other client): what a call costs the server before any contention."""
    import statistics
    import uuid

    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # lets the test client's host through ALLOWED_HOSTS
    client = Client(headers={"Authorization": f"Bearer {token}"})
    times: dict[str, list[float]] = {"list": [], "task": [], "submit": []}

    def timed(name, call):
        t0 = time.perf_counter()
        response = call()
        times[name].append((time.perf_counter() - t0) * 1000)
        return response

    for _ in range(rounds):
        items = timed("list", lambda: client.get("/api/grid/tasks")).json()["items"]
        if not items:
            break
        task = items[0]["id"]
        timed("task", lambda task=task: client.get(f"/api/grid/tasks/{task}"))
        response = timed(
            "submit",
            lambda task=task: client.post(
                f"/api/grid/tasks/{task}/result",
                {"insurance_willingness": "2"},
                content_type="application/json",
                headers={"Idempotency-Key": str(uuid.uuid4())},
            ),
        )
        assert response.status_code == 201, response.content
    return {k: statistics.median(v) for k, v in times.items() if v}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gunicorn(port: int, workers: int, env: dict) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "minsheng.wsgi:application"]
        + ["--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
        # (--preload: the application is imported once, before the workers fork, so no
        # worker answers its first calls while still importing it)
        + ["--backlog", "2048", "--timeout", "120", "--log-level", "warning", "--preload"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/healthz"
    for _ in range(120):
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 (loopback)
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
        if proc.poll() is not None:
            break
    _stop(proc)
    raise SystemExit("gunicorn did not start")


def _archived_within(limit: int) -> float:
    """Seconds until no 网格采集 batch waits for the archive refresh (at most `limit`)."""
    from django.db import connection

    from minsheng.sources.models import Batch

    start = time.monotonic()
    while time.monotonic() - start < limit:
        if not Batch.objects.filter(source="grid_collect", archived=False).exists():
            break
        time.sleep(1)
    connection.close()
    return time.monotonic() - start


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _locust(user_class: str, port: int, run_time: int, prefix: Path, env: dict) -> list[dict]:
    """One headless locust run; the rows of its stats CSV."""
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "locust"), "-f", str(ROOT / "bench" / "grid_locust.py")]
        + ["--headless", "-u", str(USERS), "-r", str(SPAWN_RATE)]
        + ["--run-time", f"{run_time}s", "--stop-timeout", "10", "--reset-stats"]
        + ["--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary"]
        + ["--loglevel", "WARNING", user_class],
        cwd=ROOT,
        env=env,
        check=False,  # locust exits 1 when a request failed: the counts say so
    )
    with open(f"{prefix}_stats.csv", newline="") as f:
        return list(csv.DictReader(f))


def _aggregated(rows: list[dict]) -> dict:
    return next(r for r in rows if r["Name"] == "Aggregated")


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--scale", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    p.add_argument(
        "--wait", type=float, default=5.0, help="a simulated worker's pause after each call (s)"
    )
    p.add_argument("--run-time", type=int, default=60, help="seconds of each locust run")
    p.add_argument(
        "--no-job-worker",
        action="store_true",
        help="without the job worker (the archive refresh of the results waits)",
    )
    a = p.parse_args()

    BENCH.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = archive_copy(a.scale, a.seed, a.db, "grid")
    os.environ.setdefault("MINSHENG_KEY_FILE", str(BENCH / "bench.key"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minsheng.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from minsheng.grid.models import TaskResult
    from minsheng.residents.models import Resident

    call_command("migrate", verbosity=0)  # tables added since the archive was built
    city = city_dir(a.scale, a.seed)
    print(
        f"scale {a.scale} seed {a.seed} on {a.db}: {Resident.objects.count():,} residents; "
        f"grids: {_staff(city)}"
    )
    dispatch_s, created = _dispatch(_city_staff())
    tokens = BENCH / "grid-tokens.json"
    n_workers = _devices(tokens)
    print(f"  devices: {USERS} tokens for {n_workers} grid workers holding open tasks")
    one = _unloaded(json.loads(tokens.read_text())[-1]["token"])
    print(
        "  one call at a time, in process (median ms): "
        + ", ".join(f"{k} {v:.0f}" for k, v in one.items())
    )
    connection.close()

    port = _free_port()
    env = {
        **os.environ,
        "MINSHENG_SECRET_KEY": secrets.token_urlsafe(40),
        "MINSHENG_CONN_MAX_AGE": "60",
        "GRID_BENCH_TOKENS": str(tokens),
        "GRID_BENCH_WAIT": str(a.wait),
    }
    env.pop("MINSHENG_DEBUG", None)
    server = _gunicorn(port, a.workers, env)
    # the job worker beside it, as in production: results queue the archive refresh
    worker = (
        None
        if a.no_job_worker
        else subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "minsheng"), "worker", "--interval", "1"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=(BENCH / "grid-worker.log").open("w"),
            stderr=subprocess.STDOUT,
        )
    )
    try:
        print(
            f"  gunicorn: {a.workers} workers on 127.0.0.1:{port}; locust: -u {USERS} "
            f"-r {SPAWN_RATE} --run-time {a.run_time}s, pause {a.wait} s after each call"
        )
        results_before = TaskResult.objects.count()
        connection.close()
        api = _locust("GridWorker", port, a.run_time, BENCH / "grid-api", env)
        bare = _locust("Bare", port, a.run_time, BENCH / "grid-bare", env)
        lag = _archived_within(a.run_time)
    finally:
        _stop(server)
        if worker is not None:
            _stop(worker)
    for r in api:
        print(
            f"  {r['Name']:<36} n={int(r['Request Count']):>7,} fail={r['Failure Count']:>4} "
            f"p50={r['50%']:>5} p95={r['95%']:>5} p99={r['99%']:>5} max={float(r['Max Response Time']):>7.0f} ms "
            f"{float(r['Requests/s']):7.1f}/s"
        )
    agg, bare_agg = _aggregated(api), _aggregated(bare)
    posts = next((r for r in api if r["Name"].startswith("POST")), None)
    results = TaskResult.objects.count() - results_before
    n_posts = int(posts["Request Count"]) if posts else 0
    print(
        f"  results recorded: {results:,}; posts answered within the run: {n_posts:,} (a retry "
        "answers the first result; posts in flight when locust stops are recorded, not "
        f"counted); {created:,} tasks dispatched"
    )
    print(f"  bare: p95={bare_agg['95%']} ms, errors={bare_agg['Failure Count']}")
    print(f"  archive: every result archived {lag:.0f} s after the bare run (the job worker)")
    print(
        f"dispatch_s={dispatch_s:.1f} api_p95_ms={float(agg['95%']):.0f} "
        f"api_errors={int(agg['Failure Count'])} api_rps={float(agg['Requests/s']):.1f} "
        f"bare_rps={float(bare_agg['Requests/s']):.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
