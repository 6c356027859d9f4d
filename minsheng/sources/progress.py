"""Progress of an upload's import, one small JSON file per upload token.

The import runs in a background thread while the browser polls; a file (not the database)
carries the state so that polling never waits on the import's write transaction (SQLite
holds one writer at a time) and so that the state survives the thread that wrote it.
Each write goes to a temporary file first and is moved into place with `os.replace`, so a
reader sees either the old state or the new one, never half a file.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from minsheng.catalogue.registry import UnknownSource

from .read import SourceFileError

RUNNING = "running"
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
        status=RUNNING,
        user_id=user_id,
        file_name=file_name,
        source=source,
        stage="",
        fraction=0.0,
        batch_id=None,
        error="",
    )


def reporter(token: str) -> Callable[[str, float], None]:
    """The `progress` callback of an import (pipeline.ingest.import_file)."""

    def report(stage: str, fraction: float) -> None:
        write(token, stage=str(stage), fraction=max(0.0, min(1.0, float(fraction))))

    return report


def finish(token: str, *, batch_id: int) -> dict[str, Any]:
    return write(token, status=DONE, fraction=1.0, batch_id=batch_id, error="")


def fail(token: str, *, error: str, batch_id: int | None = None) -> dict[str, Any]:
    return write(token, status=FAILED, error=error[:2000], batch_id=batch_id)


def error_text(exc: Exception) -> str:
    """What the clerk reads when an import fails."""
    if isinstance(exc, UnknownSource):
        return _("The file could not be recognised as any known source: %(error)s") % {"error": exc}
    if isinstance(exc, SourceFileError):
        return _("The file cannot be read as its source: %(error)s") % {"error": exc}
    return _("The import failed: %(error)s") % {"error": exc}
