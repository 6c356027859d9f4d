"""A full archive rebuild split over two processes (`residents.archive.Part`) builds what
one process builds, and still does when its helper process dies.

The imports run in real child processes (`python -m minsheng ingest DIR`) against databases
of their own, as in test_ingest_ahead_crash.py: one never splits the rebuild, the other
splits it whatever its size (MINSHENG_ARCHIVE_SPLIT_MIN_PERSONS).
"""

from __future__ import annotations

import shutil

import pytest

from minsheng.residents.models import Provenance

from .support import Process

FILES = ("gongan_hukou", "grid_census", "rs_insurance", "rs_employment", "scjg_business")


def _snapshot(proc: Process) -> dict:
    columns = proc.archive_columns()
    provenance = [f.column for f in Provenance._meta.concrete_fields]
    return {
        "archive": proc.query(
            f"SELECT {', '.join(columns)} FROM residents_resident ORDER BY person_id"
        ),
        "provenance": proc.query(
            f"SELECT {', '.join(provenance)} FROM residents_provenance ORDER BY person_id"
        ),
        "holdings": proc.query(
            "SELECT person_id, kind, key, label, category, status, start_date, end_date, "
            "employees, source, batch_id, row FROM residents_holding "
            "ORDER BY person_id, kind, key, source, batch_id, row"
        ),
        "conflicts": proc.query(
            "SELECT person_id, kind, item, status, shown, facts FROM residents_conflict "
            "ORDER BY person_id, kind, item"
        ),
        "tags": proc.query(
            "SELECT person_id, tag FROM screening_residenttag ORDER BY person_id, tag"
        ),
    }


def _leftovers(proc: Process) -> list[tuple]:
    """Tables of a helper's part left behind."""
    if proc.url.startswith("postgres"):
        return proc.query(
            "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'archive_part%'"
        )
    return proc.query("SELECT name FROM sqlite_master WHERE name LIKE 'archive_part%'")


@pytest.fixture
def folder(synth_city, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in FILES:
        path = next((synth_city / "exports").glob(f"{name}_*.csv"))
        shutil.copy(path, folder / path.name)
    return folder


def _process(url: str, tmp_path, *, split: bool) -> Process:
    env = {
        "MINSHENG_ARCHIVE_SPLIT_MIN_PERSONS": "1" if split else "1000000000",
        "MINSHENG_LOG_LEVEL": "INFO",
    }
    return Process(url, tmp_path / "var", tmp_path / "minsheng.key", env)


def _processes(empty_databases, tmp_path) -> tuple[Process, Process]:
    """Two empty databases ready to import into: one never splits, the other always."""
    procs = tuple(
        _process(url, tmp_path, split=split)
        for url, split in zip(empty_databases, (False, True), strict=True)
    )
    for proc in procs:
        done = proc.run("migrate", "-v0")
        assert done.returncode == 0, done.stderr
    assert procs[0].run("init_keys").returncode == 0  # the key file both use
    return procs


def _import(proc: Process, folder, *, failpoint: str = ""):
    done = proc.run("ingest", str(folder), "--as-of", "2026-11-13", failpoint=failpoint)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_it_builds_the_same_archive_split_over_two_processes(folder, empty_databases, tmp_path):
    one, two = _processes(empty_databases, tmp_path)
    # given a folder imported with the archive built in one process
    alone = _import(one, folder)
    assert "helper" not in alone.stderr
    # when the same folder is imported with the rebuild split over two
    split = _import(two, folder)
    # then a helper staged part of the persons, and both archives are the same
    assert "for the helper" in split.stderr
    assert _snapshot(two) == _snapshot(one)
    assert _snapshot(one)["archive"]
    assert _leftovers(two) == []


def test_it_stages_the_helpers_persons_itself_when_the_helper_dies(
    folder, empty_databases, tmp_path
):
    one, two = _processes(empty_databases, tmp_path)
    _import(one, folder)
    # when the helper is killed midway through its part
    split = _import(two, folder, failpoint="archive.helper")
    # then the rebuild goes on without it and builds the same archive
    assert "staging its persons here" in split.stderr
    assert _snapshot(two) == _snapshot(one)
    assert _leftovers(two) == []
