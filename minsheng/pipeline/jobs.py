"""Background work of the pipeline: the import of an uploaded file."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from django.db import connection
from django.utils import translation

from minsheng.accounts.models import User
from minsheng.sources import progress
from minsheng.sources.actions import file_sha256
from minsheng.sources.models import Batch

from .ingest import import_file

log = logging.getLogger(__name__)


def run_import(token: str, path: Path, source: str | None, user_id: int, language: str) -> None:
    """Import an uploaded file, report progress under its token, record the outcome."""
    try:
        with translation.override(language):
            try:
                user = User.objects.get(pk=user_id)
                batch = import_file(
                    path, source=source, acting_user=user, progress=progress.reporter(token)
                )
                progress.finish(token, batch_id=batch.pk)
            except Exception as exc:
                if not isinstance(exc, ValueError):  # UnknownSource, SourceFileError are
                    log.exception("import of %s failed", path.name)
                failed = (
                    Batch.objects.filter(sha256=file_sha256(path))
                    .order_by("-id")
                    .values_list("pk", flat=True)
                    .first()
                )
                progress.fail(token, error=progress.error_text(exc), batch_id=failed)
    finally:
        # The thread's own connection would otherwise stay open until the process ends.
        connection.close()


def start_import(
    token: str, path: Path, source: str | None, user_id: int, language: str
) -> threading.Thread:
    thread = threading.Thread(
        target=run_import,
        args=(token, path, source, user_id, language),
        name=f"import-{token[:8]}",
        daemon=True,
    )
    thread.start()
    return thread
