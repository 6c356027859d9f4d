"""A folder import killed halfway, with its worker process busy, and run again gives what an
uninterrupted one gives; the killed importer takes its worker with it.

The imports run in real child processes (`python -m minsheng ingest DIR`) against databases
of their own (SQLite files; on PostgreSQL databases of the test server), as in
sources/tests/test_ingest_crash.py.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest

from .support import VOLATILE, Process


def _query(url: str, sql: str) -> list[tuple]:
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(url) as conn:
            return conn.execute(sql).fetchall()
    with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
        return conn.execute(sql).fetchall()


def _snapshot(url: str) -> dict:
    if url.startswith("postgres"):
        columns = [
            c
            for (c,) in _query(
                url,
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'residents_resident' ORDER BY ordinal_position",
            )
        ]
    else:
        columns = [r[1] for r in _query(url, "PRAGMA table_info(residents_resident)")]
    columns = [c for c in columns if c not in VOLATILE]
    return {
        "archive": _query(
            url, f"SELECT {', '.join(columns)} FROM residents_resident ORDER BY person_id"
        ),
        "persons": _query(
            url,
            "SELECT id, id_hash, name, sex, birth_date, phone_hash, address, district_code "
            "FROM residents_person ORDER BY id",
        ),
        "facts": {
            table: _query(
                url,
                f"SELECT b.file_name, f.row, f.person_id, f.link_method FROM {table} f "
                "JOIN sources_batch b ON b.id = f.batch_id ORDER BY b.file_name, f.row",
            )
            for table in ("fact_gongan_hukou", "fact_grid_census", "fact_rs_insurance")
        },
        "batches": [
            (*row, json.loads(methods) if isinstance(methods, str) else methods)
            for *row, methods in _query(
                url,
                "SELECT file_name, status, rows_read, rows_accepted, rows_quarantined, "
                "link_methods FROM sources_batch ORDER BY file_name",
            )
        ],
        "quarantined": _query(url, "SELECT COUNT(*) FROM sources_quarantinedrow"),
    }


def _running(marker: str) -> list[int]:
    """Processes whose environment names this database."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in environ:
            found.append(int(pid))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_a_folder_import_killed_halfway_and_run_again_is_whole(
    synth_city, empty_databases, tmp_path
):
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in ("gongan_hukou", "grid_census", "rs_insurance"):
        path = next((synth_city / "exports").glob(f"{name}_*.csv"))
        shutil.copy(path, folder / path.name)
    uninterrupted, interrupted = empty_databases

    def proc(url: str) -> Process:
        return Process(url, tmp_path / "var", tmp_path / "minsheng.key")

    for url in empty_databases:
        done = proc(url).run("migrate", "-v0")
        assert done.returncode == 0, done.stderr
    assert proc(uninterrupted).run("init_keys").returncode == 0
    # given one database that imports the folder without trouble
    done = proc(uninterrupted).run("ingest", str(folder), "--as-of", "2026-11-13")
    assert done.returncode == 0, done.stderr
    # and another whose importer is killed after writing the first file's facts, while its
    # worker prepares the next files
    killed = proc(interrupted).run(
        "ingest",
        str(folder),
        "--as-of",
        "2026-11-13",
        failpoint="ingest.after_facts",
    )
    assert killed.returncode == -9
    # then the worker went with it
    deadline = time.monotonic() + 10
    while _running(interrupted) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _running(interrupted) == []
    # and the first batch left nothing but its claim, the others not even that
    assert _query(interrupted, "SELECT file_name, status FROM sources_batch") == [
        (next(folder.glob("gongan_hukou_*")).name, "running")
    ]
    assert _query(interrupted, "SELECT COUNT(*) FROM fact_gongan_hukou") == [(0,)]
    # when the folder is imported again
    rerun = proc(interrupted).run("ingest", str(folder), "--as-of", "2026-11-13")
    assert rerun.returncode == 0, rerun.stderr
    # then both databases hold the same facts, persons and archive
    assert _snapshot(interrupted) == _snapshot(uninterrupted)
