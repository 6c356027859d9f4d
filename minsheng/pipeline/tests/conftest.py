"""Fixtures of the pipeline's tests: a var folder of the test's own, the worker run in this
process, and real `minsheng` processes working on copies of the test database (to kill
them).

In-process tests run the worker with `run_worker()` (`minsheng worker --batch`): it runs
what is queued, in the test's own connection, then returns. Tests that kill a worker need
it in another process, which cannot see the test database (in memory on SQLite, and the
test's uncommitted data on either). So those tests are transactional, prepare their data
and queue their jobs in the test database, then give each worker process a copy of it
(SQLite's backup API to a file; PostgreSQL's CREATE DATABASE … TEMPLATE) with a copy of
the var folder (uploads, progress files) and the test's key file.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import closing

import pytest

from .support import Process


@pytest.fixture
def var_dir(tmp_path, settings):
    # Uploads, progress files and worker locks of a test stay in the test's own folder.
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    return settings.VAR_DIR


@pytest.fixture
def copies(transactional_db, var_dir, crypto, settings, tmp_path):
    """`copy(name)`: a `Process` on a copy of the test database as committed so far."""
    from django.db import connection

    made: list[str] = []
    # The server the test database is on (the test database's own name differs).
    base = os.environ.get("DATABASE_URL", "").rsplit("/", 1)[0]

    def copy(name: str) -> Process:
        var = tmp_path / f"var_{name}"
        shutil.copytree(var_dir, var)
        if connection.vendor == "postgresql":
            import psycopg

            template = connection.settings_dict["NAME"]
            target = f"minsheng_jobs_{name}"
            connection.close()  # a template database must have no sessions
            with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")
                conn.execute(f'CREATE DATABASE {target} TEMPLATE "{template}"')
            made.append(target)
            return Process(f"{base}/{target}", var, settings.KEY_FILE)
        target = tmp_path / f"{name}.sqlite3"
        connection.ensure_connection()
        with closing(sqlite3.connect(target)) as conn:
            connection.connection.backup(conn)
        return Process(f"sqlite:///{target}", var, settings.KEY_FILE)

    yield copy
    if made:
        import psycopg

        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            for target in made:
                conn.execute(f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")
