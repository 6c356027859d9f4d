"""Helpers of the pipeline's tests (fixtures in conftest.py)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from django.core.management import call_command

from minsheng.catalogue import dictionary
from minsheng.residents.models import field_name

# Ciphertext differs run to run (random nonces): its blind index is compared instead.
VOLATILE = {"refreshed_at"} | {field_name(i.code) for i in dictionary.items() if i.encrypted}


def run_worker(*args: str) -> None:
    """Run the queued jobs in this process, as `minsheng worker --batch` does."""
    call_command("worker", "--batch", "--interval", "0", *args, verbosity=0)


def export(synth_city: Path, name: str) -> Path:
    return next((Path(synth_city) / "exports").glob(f"{name}_*.csv"))


class Process:
    """`python -m minsheng …` against a copy of the test database, with a var folder of its
    own and the test's key file (so that blind indexes compare across copies)."""

    def __init__(self, url: str, var: Path, key_file: Path, env: dict[str, str] | None = None):
        self.url, self.var, self.key_file = url, var, key_file
        self.env = env or {}  # more of the environment (settings)

    def run(self, *args: str, failpoint: str = "") -> subprocess.CompletedProcess:
        env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "MINSHENG_KEY_FILE": str(self.key_file),
            "MINSHENG_VAR_DIR": str(self.var),
            "MINSHENG_FAILPOINT": failpoint,
            **self.env,
        }
        return subprocess.run(
            [sys.executable, "-m", "minsheng", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    def worker(self, *args: str, failpoint: str = "") -> subprocess.CompletedProcess:
        return self.run("worker", "--batch", "--interval", "0", *args, failpoint=failpoint)

    def python(self, code: str) -> str:
        """Run Python code in a process of this database (`minsheng shell -c`)."""
        done = self.run("shell", "--no-imports", "-c", code)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def query(self, sql: str) -> list[tuple]:
        if self.url.startswith("postgres"):
            import psycopg

            with psycopg.connect(self.url) as conn:
                return conn.execute(sql).fetchall()
        with closing(sqlite3.connect(self.url.removeprefix("sqlite:///"))) as conn:
            return conn.execute(sql).fetchall()

    def progress(self, token: str) -> dict:
        return json.loads((self.var / "progress" / f"{token}.json").read_text(encoding="utf-8"))

    def job(self, job_id: str) -> tuple[str, int]:
        """(status, attempts) of a job."""
        key = job_id if self.url.startswith("postgres") else job_id.replace("-", "")
        [(status, worker_ids)] = self.query(
            f"SELECT status, worker_ids FROM django_tasks_database_dbtaskresult WHERE id = '{key}'"
        )
        if isinstance(worker_ids, str):
            worker_ids = json.loads(worker_ids)
        return status, len(worker_ids)

    def archive_columns(self) -> list[str]:
        """The archive table's columns that two imports of the same files must agree on."""
        if self.url.startswith("postgres"):
            columns = [
                c
                for (c,) in self.query(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = 'residents_resident' ORDER BY ordinal_position"
                )
            ]
        else:
            columns = [row[1] for row in self.query("PRAGMA table_info(residents_resident)")]
        return [c for c in columns if c not in VOLATILE]

    def snapshot(self, fact_table: str) -> dict:
        """What an import leaves: archive, persons, facts, batches, quarantine."""
        columns = self.archive_columns()
        return {
            "archive": self.query(
                f"SELECT {', '.join(columns)} FROM residents_resident ORDER BY person_id"
            ),
            "persons": self.query(
                "SELECT id, id_hash, name, sex, birth_date FROM residents_person ORDER BY id"
            ),
            "facts": self.query(
                f"SELECT b.file_name, f.row, f.person_id, f.link_method FROM {fact_table} f "
                "JOIN sources_batch b ON b.id = f.batch_id ORDER BY b.file_name, f.row"
            ),
            "batches": self.query(
                "SELECT file_name, status, archived, rows_read, rows_accepted, "
                "rows_quarantined FROM sources_batch ORDER BY file_name"
            ),
            "quarantined": self.query("SELECT COUNT(*) FROM sources_quarantinedrow"),
        }
