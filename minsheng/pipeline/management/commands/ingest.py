"""`minsheng ingest DIR` (every export in a folder) or `minsheng ingest FILE --source NAME`."""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from minsheng.catalogue import registry
from minsheng.pipeline.actions import do_refresh_archive
from minsheng.pipeline.ingest import import_file, import_folder
from minsheng.sources.progress import error_text
from minsheng.sources.read import SourceFileError


class Command(BaseCommand):
    help = "Import department exports: parse, validate, quarantine, link, load, archive."

    def add_arguments(self, parser):
        parser.add_argument("path", help="an export file, or a folder of exports")
        parser.add_argument("--source", help="the source of FILE (default: detect)")
        parser.add_argument("--as-of", type=date.fromisoformat, help="archive reference date")
        parser.add_argument("--quiet", action="store_true")

    def handle(self, path, source=None, as_of=None, quiet=False, **options):
        target = Path(path)
        if not target.exists():
            raise CommandError(f"{target}: no such file or folder")
        last = [""]

        def progress(stage: str, fraction: float) -> None:
            if not quiet and stage != last[0]:
                last[0] = stage
                sys.stderr.write(f"[{fraction:4.0%}] {stage}\n")

        started = time.perf_counter()
        try:
            if target.is_dir():
                if source:
                    raise CommandError("--source applies to a single file, not a folder")
                batches = import_folder(target, progress=progress, as_of=as_of)
            else:
                batch = import_file(target, source=source, progress=progress, as_of=as_of)
                do_refresh_archive(acting_user=None, as_of=as_of, job="ingest")
                batches = [batch]
        except (registry.UnknownSource, SourceFileError) as exc:
            raise CommandError(error_text(exc)) from exc
        for b in batches:
            reasons = ", ".join(f"{k}={v}" for k, v in sorted(b.reasons.items())) or "-"
            methods = ", ".join(f"{k}={v}" for k, v in sorted(b.link_methods.items())) or "-"
            self.stdout.write(
                f"{b.file_name}: {b.status} read={b.rows_read} accepted={b.rows_accepted} "
                f"quarantined={b.rows_quarantined} ({reasons}) links: {methods}"
            )
        self.stdout.write(f"done in {time.perf_counter() - started:.1f} s")
