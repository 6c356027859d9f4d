"""An import, top to bottom: one department file → a loaded batch → the refreshed archive.

    read      bytes → a sheet of rows               sources.read.read_file
    map       header → the source's columns         sources.mapping.map_columns, with the
              (and the department's mappings)       source's saved sources.mappings
    validate  rows → accepted and quarantined       sources.validate.validate
    protect   values → ciphertext, blind index      sources.protect.protect
    link      rows → persons of the person index    sources.link.link
    load      facts, quarantine rows, warnings,     sources.load.load + actions.do_load_batch
              reviews
    refresh   the touched persons' archive rows     pipeline.actions.do_refresh_archive

Each stage takes the previous one's output; how the file was read (its sheet, header row,
columns, file warnings) is kept on the batch with its figures (actions.do_load_batch), and
the file's place on the server with it, so that a department's mappings saved later can be
re-applied to the batch (sources.actions.do_reapply_mappings, run by the job
`pipeline.jobs.reapply_mappings`). Link and load run in one transaction, so a crash leaves
the batch claimed but empty, and running the file again finishes it; the refresh runs in
its own, so a failed refresh leaves the batch loaded and refreshable.

Several files (`import_files`, `import_folder`) are a pipeline over two processes: the
first four stages of the next files, which need no database, run in a worker process
(`_Ahead`) while this one links and loads the file at hand. Each batch is claimed, linked,
loaded and recorded here, in file order, exactly as a file imported alone; a file the worker
could not prepare is prepared here again, so that it fails as it would alone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from pathlib import Path

import django
from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from minsheng.catalogue import registry
from minsheng.lib import workers
from minsheng.sources import link, linkage, load, mapping, protect, read, validate
from minsheng.sources.actions import do_claim_batch, do_fail_batch, do_load_batch, file_sha256
from minsheng.sources.mapping import Overrides
from minsheng.sources.mappings import overrides_for, read_of_refused
from minsheng.sources.models import Batch, BatchStatus
from minsheng.sources.progress import error_text

from .actions import do_refresh_archive

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]

IMPORT_SUFFIXES = (".csv", ".xlsx", ".xls", ".et", ".txt", ".tsv")
# Bytes of files the worker may prepare ahead of the file being linked (at least one file):
# what it prepared waits in this process's memory until its turn.
AHEAD_BYTES = 256 * 1024 * 1024


def _noop(stage: str, fraction: float) -> None:
    pass


def import_file(
    path: str | Path,
    *,
    source: str | None = None,
    acting_user=None,
    progress: Progress | None = None,
    refresh: bool = True,
    as_of: date | None = None,
) -> Batch:
    """Import one department file as one batch (see the module docstring)."""
    report = progress or _noop
    path = Path(path)
    report(_("Checking the file"), 0.02)
    src = registry.source(source) if source else mapping.source_of(path)
    return _import(path, src, acting_user=acting_user, report=report, refresh=refresh, as_of=as_of)


def _import(
    path: Path,
    src: registry.Source,
    *,
    acting_user,
    report: Progress,
    refresh: bool,
    as_of: date | None,
    ahead: _Ahead | None = None,
    n: int = 0,
) -> Batch:
    """Claim, prepare (or take what `ahead` prepared), link, load and record one file."""
    batch = do_claim_batch(src, path, acting_user=acting_user)
    if batch.status == BatchStatus.LOADED:
        if ahead is not None:
            ahead.drop(n)
        report(_("Already imported"), 1.0)
        return batch
    timings: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        timings[stage] = round(now - clock[0], 3)
        clock[0] = now

    refused: list[dict] = []
    try:
        report(_("Reading and validating"), 0.05)
        taken = ahead.take(n) if ahead is not None else None
        prepared = None
        if taken is None:
            protected = _prepare(
                path,
                src,
                overrides_for(src.name),
                timings=timings,
                refused=refused,
                workers=1 if ahead is not None else None,
            )
        else:
            protected, prepared, worked = taken
            timings.update(worked)
            protect.offer(protected)
        clock[0] = time.perf_counter()
        with transaction.atomic():
            link.lock_imports()
            report(_("Linking to the person index"), 0.35)
            linked = link.link(protected, batch, prepared)
            lap("link")
            report(_("Writing the facts"), 0.6)
            loaded = load.load(batch, linked)
            lap("load")
            batch = do_load_batch(batch, loaded, timings=timings, acting_user=acting_user)
    except Exception as exc:
        # What the batch page shows the clerk: the refusal in the bureau's language, or a
        # plain "the import failed" for anything else (no exception text or server path).
        with translation.override(settings.LANGUAGE_CODE):
            shown = error_text(exc)
        do_fail_batch(batch, shown, acting_user=acting_user, read=refused[0] if refused else None)
        raise
    finally:
        protect.offer(None)
    if refresh:
        report(_("Updating the archive"), 0.8)
        do_refresh_archive(acting_user=acting_user, as_of=as_of)
    batch.refresh_from_db()
    report(_("Done"), 1.0)
    return batch


def _prepare(
    path: Path,
    src: registry.Source,
    overrides: Overrides,
    *,
    timings: dict[str, float],
    refused: list[dict],
    key_file: str | None = None,
    workers: int | None = None,
) -> protect.Protected:
    """Read → map → validate → protect, timed into `timings` (parse, encrypt). A file the
    mapping stage refuses leaves how it was read in `refused` (for the batch's page)."""
    clock = time.perf_counter()
    sheet = read.read_file(path)
    try:
        mapped = mapping.map_columns(sheet, src, overrides=overrides)
    except read.SourceFileError:
        # e.g. a required column under a header nobody mapped yet: the batch keeps the
        # file's columns, so its page can offer to map them (the refusal is what the
        # clerk must read, whatever happens here)
        with contextlib.suppress(Exception):
            refused.append(read_of_refused(sheet, src, overrides))
        raise
    parsed = validate.validate(mapped)
    now = time.perf_counter()
    timings["parse"] = round(now - clock, 3)
    clock = now
    protected = protect.protect(parsed, key_file=key_file, workers=workers)
    timings["encrypt"] = round(time.perf_counter() - clock, 3)
    return protected


def _prepare_there(
    path: str, source: str, overrides: Overrides, key_file: str
) -> tuple[protect.Protected, linkage.Prepared, dict[str, float], str] | None:
    """In the worker process: the file prepared, and what linking it needs of its rows
    alone, its timings and the key's check value; None if it failed (the import prepares
    it again, and fails, in its own process)."""
    timings: dict[str, float] = {}
    try:
        protected = _prepare(
            Path(path),
            registry.source(source),
            overrides,
            timings=timings,
            refused=[],
            key_file=key_file,
            workers=1,  # the importer links meanwhile: no core is idle
        )
        clock = time.perf_counter()
        prepared = linkage.prepare_batch(
            link.records_of(protected), blind_index=protect.blind_indexer(key_file)
        )
        timings["link_prep"] = round(time.perf_counter() - clock, 3)
    except Exception:
        return None
    # without the registry's source (it does not pickle): the importer puts its own back
    protected.parsed = dataclasses.replace(protected.parsed, source=None)
    return protected, prepared, timings, protect.key_check(key_file)


class _Ahead:
    """The first four stages of the files after the one being linked, in a worker process
    (spawned: it shares no database connection, thread or lock with this one), with the
    department's mappings as read here and this process's key file. A file is prepared
    unless it is already loaded; what comes back is used only if made with this process's
    key, else (or if the worker failed) the file is prepared here."""

    def __init__(self, files: Sequence[tuple[Path, registry.Source]]) -> None:
        self.files = files
        self.key_file = str(Path(settings.KEY_FILE).resolve())
        self.check: str | None = None  # this process's (asked when a file's turn comes)
        self.pool = workers.pool(1, initializer=django.setup)
        self.futures: dict[int, Future | None] = {}
        self.sizes: dict[int, int] = {}
        self.broken = False

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def fill(self, current: int) -> None:
        """Keep the worker busy with the files after `current`, within AHEAD_BYTES."""
        for n in range(current + 1, len(self.files)):
            if self.broken:
                return
            if n in self.futures:
                continue
            held = sum(size for m, size in self.sizes.items() if m > current)
            path, src = self.files[n]
            try:
                size = path.stat().st_size
                if held and held + size > AHEAD_BYTES:
                    return
                if _loaded(path, src, size):
                    self.futures[n] = None
                    continue
                overrides = overrides_for(src.name)
            except Exception:  # e.g. the file is gone: it fails in its turn, as alone
                self.futures[n] = None
                continue
            try:
                self.futures[n] = self.pool.submit(
                    _prepare_there, str(path), src.name, overrides, self.key_file
                )
            except BrokenProcessPool:  # the rest is prepared here
                self.broken = True
                return
            self.sizes[n] = size

    def drop(self, n: int) -> None:
        future = self.futures.pop(n, None)
        self.sizes.pop(n, None)
        if future is not None:
            future.cancel()

    def take(self, n: int) -> tuple[protect.Protected, linkage.Prepared, dict[str, float]] | None:
        future = self.futures.pop(n, None)
        self.sizes.pop(n, None)
        if future is None:
            return None
        try:
            got = future.result()
        except Exception:
            log.exception("the import's worker process failed; preparing the file here")
            self.broken = True
            return None
        if got is None:
            return None
        protected, prepared, timings, check = got
        if self.check is None:
            self.check = protect.key_check()
        if check != self.check:
            log.warning("the import's worker process used another key; preparing the file here")
            return None
        protected.parsed = dataclasses.replace(protected.parsed, source=self.files[n][1])
        return protected, prepared, timings


def _loaded(path: Path, src: registry.Source, size: int) -> bool:
    """A batch of this file is loaded already (nothing to prepare). The file is hashed only
    if a loaded batch of its source has its size."""
    loaded = Batch.objects.filter(source=src.name, size_bytes=size, status=BatchStatus.LOADED)
    return loaded.exists() and loaded.filter(sha256=file_sha256(path)).exists()


def import_files(
    files: Iterable[tuple[Path, registry.Source]],
    *,
    acting_user=None,
    progress: Progress | None = None,
    refresh: bool = True,
    as_of: date | None = None,
    ahead: bool = True,
) -> list[Batch]:
    """Import these files (with their sources, in this order: see `ordered`), each as one
    batch as `import_file` would, relink the rows held unresolved to the persons they
    brought once (`link.relink_at_end`), then refresh the archive once for all of them.
    The stages before linking run a few files ahead in a worker process (`ahead`; without,
    each file is read when its turn comes, in this process)."""
    files = list(files)
    batches: list[Batch] = []
    worker = _Ahead(files) if ahead and len(files) > 1 else None
    try:
        with link.relink_at_end():
            for n, (path, src) in enumerate(files):

                def step(stage: str, fraction: float, n=n, name=path.name) -> None:
                    if progress:
                        progress(f"{name}: {stage}", (n + fraction) / (len(files) + 1))

                if worker is not None:
                    worker.fill(n)
                step(_("Checking the file"), 0.02)
                batches.append(
                    _import(
                        path,
                        src,
                        acting_user=acting_user,
                        report=step,
                        refresh=False,
                        as_of=as_of,
                        ahead=worker,
                        n=n,
                    )
                )
    finally:
        if worker is not None:
            worker.close()
    if refresh:
        if progress:
            progress(_("Updating the archive"), len(files) / (len(files) + 1))
        do_refresh_archive(acting_user=acting_user, as_of=as_of)
        return [Batch.objects.get(pk=b.pk) for b in batches]
    return batches


def ordered(paths: Iterable[Path]) -> list[tuple[Path, registry.Source]]:
    """Files with their sources, seeding sources first, then by source and file name."""
    found = [(p, mapping.source_of(p)) for p in paths]
    return sorted(found, key=lambda ps: (registry.import_rank(ps[1].name), ps[0].name))


def import_folder(
    folder: str | Path,
    *,
    acting_user=None,
    progress: Progress | None = None,
    as_of: date | None = None,
) -> list[Batch]:
    """Import every export in a folder, relink the rows held unresolved to the persons they
    brought once, then refresh the archive once for all of them (`import_files`)."""
    paths = (p for p in sorted(Path(folder).iterdir()) if p.suffix.lower() in IMPORT_SUFFIXES)
    return import_files(ordered(paths), acting_user=acting_user, progress=progress, as_of=as_of)
