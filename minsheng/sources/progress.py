"""Progress of an upload's import, one small JSON file per upload token, and the lock
files that tell whether a background worker is alive.

The import runs as a job in the worker process (`minsheng worker`) while the browser
polls; the job's state (queued, running, done, failed) is its row in the job table, and
this file adds what the job table does not hold: the stage and fraction of a running
import, its batch and the clerk's error text. A file (not the database) carries them so
that the job writes them outside its import transaction and polling never waits on it
(SQLite holds one writer at a time). Each write goes to a temporary file first and is moved
into place with `os.replace`, so a reader sees either the old state or the new one, never
half a file.

A worker holds an exclusive lock on a file of its own while it runs (`worker_lock`); the
operating system drops the lock when the process ends, even by SIGKILL, so a job marked
running whose worker's lock is free was interrupted (`worker_alive`). Web and workers share
VAR_DIR anyway: the worker reads the uploaded file from it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from minsheng.catalogue.registry import UnknownSource

from .read import SourceFileError

QUEUED = "queued"  # waiting for a worker
RUNNING = "running"
INTERRUPTED = "interrupted"  # shown, never stored: the job's worker stopped while running it
DONE = "done"
FAILED = "failed"

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_token() -> str:
    return secrets.token_urlsafe(16)


def valid_token(token: str) -> bool:
    return bool(_TOKEN.match(token))


def _dir() -> Path:
    path = Path(settings.VAR_DIR) / "progress"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _path(token: str) -> Path:
    # The token names a file: anything but the generated shape could walk out of the folder.
    if not valid_token(token):
        raise ValueError("invalid progress token")
    return _dir() / f"{token}.json"


def read(token: str) -> dict[str, Any] | None:
    try:
        return json.loads(_path(token).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def write(token: str, **changes: Any) -> dict[str, Any]:
    """Merge `changes` into the token's state and store it atomically."""
    state = read(token) or {}
    state.update(changes, updated_at=timezone.now().isoformat())
    target = _path(token)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{token}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(state, f, ensure_ascii=False)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return state


def start(token: str, *, user_id: int, file_name: str, source: str) -> dict[str, Any]:
    return write(
        token,
        status=QUEUED,
        user_id=user_id,
        file_name=file_name,
        source=source,
        stage="",
        fraction=0.0,
        batch_id=None,
        error="",
        job_id="",
    )


def queued(token: str, *, job_id: str) -> dict[str, Any]:
    """The import's job is in the queue (written before the job is visible to a worker)."""
    return write(token, status=QUEUED, job_id=str(job_id))


def running(token: str) -> dict[str, Any]:
    """A worker started (or, after an interruption, restarted) the import's job."""
    return write(token, status=RUNNING, stage="", fraction=0.0, error="")


def reporter(token: str) -> Callable[[str, float], None]:
    """The `progress` callback of an import (pipeline.ingest.import_file)."""

    def report(stage: str, fraction: float) -> None:
        write(token, stage=str(stage), fraction=max(0.0, min(1.0, float(fraction))))

    return report


def finish(token: str, *, batch_id: int) -> dict[str, Any]:
    return write(token, status=DONE, fraction=1.0, batch_id=batch_id, error="")


def fail(token: str, *, error: str, batch_id: int | None = None) -> dict[str, Any]:
    return write(token, status=FAILED, error=error[:2000], batch_id=batch_id)


logger = logging.getLogger(__name__)


def error_text(exc: Exception) -> str:
    """What the clerk reads when an import fails."""
    if isinstance(exc, UnknownSource):
        return _(
            "The headers of %(file)s match no department's export: choose the department and "
            "dataset when uploading it."
        ) % {"file": exc.file_name or "—"}
    if isinstance(exc, SourceFileError):
        detail = _(exc.template) % exc.params if exc.params else _(exc.template)
        return _("The file cannot be read as its source: %(error)s") % {"error": detail}
    # Anything else is our fault, not the file's: its text may name server paths or code,
    # so the clerk reads a plain sentence and the exception goes to the server log.
    logger.error("import failed", exc_info=exc)
    return _("The import failed because of an error on the server; it has been logged.")


# -- workers ---------------------------------------------------------------------------


def _worker_lock_path(worker_id: str) -> Path:
    # Worker ids are free text (`--worker-id`): their hash names the file.
    digest = hashlib.sha256(worker_id.encode()).hexdigest()[:32]
    return Path(settings.VAR_DIR) / "workers" / f"{digest}.lock"


@contextmanager
def worker_lock(worker_id: str) -> Iterator[Path]:
    """Hold the worker's lock while the block runs; another process with the same worker
    id is refused (RuntimeError). The file is removed when the block ends; after a kill it
    stays behind, unlocked, until `sweep_worker_locks` removes it."""
    path = _worker_lock_path(worker_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RuntimeError(f"a worker with the id {worker_id!r} is running") from None
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # a sweep removed the file between open and lock: take the new one
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)  # releases the lock


def worker_alive(worker_id: str) -> bool:
    """Whether the worker of this id is running: it holds its lock. Checkers take a shared
    lock for an instant, so two checkers never mistake each other for a worker."""
    if not worker_id:
        return False
    try:
        fd = os.open(_worker_lock_path(worker_id), os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def sweep_worker_locks() -> int:
    """Remove the lock files that killed workers left behind; returns how many."""
    folder = Path(settings.VAR_DIR) / "workers"
    removed = 0
    for path in folder.glob("*.lock") if folder.is_dir() else []:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a live worker's
        else:
            path.unlink(missing_ok=True)  # under our lock: a starting worker re-opens it
            removed += 1
        finally:
            os.close(fd)
    return removed
