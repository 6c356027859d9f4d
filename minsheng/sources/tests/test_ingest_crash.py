"""A batch killed halfway and run again gives the same archive as an uninterrupted import.

The import runs in real child processes (`python -m minsheng ingest`) against their own
database; the interrupted one is killed with SIGKILL at the failpoint after its facts are
written and before its transaction commits, as a power cut would.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing

from minsheng.catalogue import dictionary
from minsheng.residents.models import field_name

VOLATILE = {"refreshed_at"} | {
    field_name(i.code) for i in dictionary.items() if i.encrypted
}  # ciphertext differs run to run (random nonces); its blind index is compared instead


def _minsheng(url: str, tmp_path, *args: str, failpoint: str = "") -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MINSHENG_KEY_FILE": str(tmp_path / "minsheng.key"),
        "MINSHENG_VAR_DIR": str(tmp_path / "var"),
        "MINSHENG_FAILPOINT": failpoint,
    }
    return subprocess.run(
        [sys.executable, "-m", "minsheng", *args], env=env, capture_output=True, text=True
    )


def _clone(source: str, target: str) -> None:
    """Make the empty database `target` a copy of the migrated `source`."""
    if source.startswith("postgres"):
        import psycopg

        base, name = source.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            target_name = target.rsplit("/", 1)[1]
            conn.execute(f"DROP DATABASE IF EXISTS {target_name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {target_name} TEMPLATE {name}")
        return
    src = sqlite3.connect(source.removeprefix("sqlite:///"))
    dst = sqlite3.connect(target.removeprefix("sqlite:///"))
    with closing(src), closing(dst):
        src.backup(dst)


def _query(url: str, sql: str) -> list[tuple]:
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(url) as conn:
            return conn.execute(sql).fetchall()
    with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
        return conn.execute(sql).fetchall()


def _snapshot(url: str) -> dict:
    columns = (
        [
            c
            for (c,) in _query(
                url,
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'residents_resident' ORDER BY ordinal_position",
            )
            if c not in VOLATILE
        ]
        if url.startswith("postgres")
        else [
            row[1]
            for row in _query(url, "PRAGMA table_info(residents_resident)")
            if row[1] not in VOLATILE
        ]
    )
    return {
        "archive": _query(
            url, f"SELECT {', '.join(columns)} FROM residents_resident ORDER BY person_id"
        ),
        "persons": _query(
            url, "SELECT id, id_hash, name, sex, birth_date FROM residents_person ORDER BY id"
        ),
        "facts": _query(
            url,
            "SELECT b.file_name, f.row, f.person_id, f.link_method FROM fact_rs_insurance f "
            "JOIN sources_batch b ON b.id = f.batch_id ORDER BY b.file_name, f.row",
        ),
        "batches": _query(
            url,
            "SELECT file_name, status, rows_read, rows_accepted, rows_quarantined "
            "FROM sources_batch ORDER BY file_name",
        ),
        "quarantined": _query(url, "SELECT COUNT(*) FROM sources_quarantinedrow"),
    }


def test_it_gives_the_same_archive_after_a_crash_and_a_rerun(synth_city, empty_databases, tmp_path):
    exports = synth_city / "exports"
    files = [
        next(exports.glob(f"{name}_*.csv"))
        for name in ("gongan_hukou", "grid_census", "rs_insurance")
    ]
    uninterrupted, interrupted = empty_databases
    done = _minsheng(uninterrupted, tmp_path, "migrate", "-v0")
    assert done.returncode == 0, done.stderr
    _clone(uninterrupted, interrupted)  # the same schema, without migrating twice
    # one key file for both, so their blind indexes compare
    assert _minsheng(uninterrupted, tmp_path, "init_keys").returncode == 0
    # given one database that imports the three files without trouble
    for path in files:
        done = _minsheng(uninterrupted, tmp_path, "ingest", str(path), "--as-of", "2026-11-13")
        assert done.returncode == 0, done.stderr
    # and another whose import of the third file is killed halfway
    for path in files[:2]:
        done = _minsheng(interrupted, tmp_path, "ingest", str(path), "--as-of", "2026-11-13")
        assert done.returncode == 0, done.stderr
    killed = _minsheng(
        interrupted,
        tmp_path,
        "ingest",
        str(files[2]),
        "--as-of",
        "2026-11-13",
        failpoint="ingest.after_facts",
    )
    assert killed.returncode == -9
    # then the killed batch left nothing but its claim
    assert _query(
        interrupted, "SELECT status FROM sources_batch WHERE file_name LIKE 'rs_insurance%'"
    ) == [("running",)]
    assert _query(interrupted, "SELECT COUNT(*) FROM fact_rs_insurance") == [(0,)]
    # when the same file is imported again
    rerun = _minsheng(interrupted, tmp_path, "ingest", str(files[2]), "--as-of", "2026-11-13")
    assert rerun.returncode == 0, rerun.stderr
    # then both databases hold the same facts, persons and archive
    assert _snapshot(interrupted) == _snapshot(uninterrupted)
