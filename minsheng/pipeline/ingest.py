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
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from minsheng.catalogue import registry
from minsheng.sources import link, load, mapping, protect, read, validate
from minsheng.sources.actions import do_claim_batch, do_fail_batch, do_load_batch
from minsheng.sources.mappings import overrides_for, read_of_refused
from minsheng.sources.models import Batch, BatchStatus
from minsheng.sources.progress import error_text

from .actions import do_refresh_archive

Progress = Callable[[str, float], None]

IMPORT_SUFFIXES = (".csv", ".xlsx", ".xls", ".et", ".txt", ".tsv")


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
    batch = do_claim_batch(src, path, acting_user=acting_user)
    if batch.status == BatchStatus.LOADED:
        report(_("Already imported"), 1.0)
        return batch
    timings: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        timings[stage] = round(now - clock[0], 3)
        clock[0] = now

    refused = None
    try:
        report(_("Reading and validating"), 0.05)
        sheet = read.read_file(path)
        overrides = overrides_for(src.name)
        try:
            mapped = mapping.map_columns(sheet, src, overrides=overrides)
        except read.SourceFileError:
            # e.g. a required column under a header nobody mapped yet: the batch keeps the
            # file's columns, so its page can offer to map them (the refusal is what the
            # clerk must read, whatever happens here)
            with contextlib.suppress(Exception):
                refused = read_of_refused(sheet, src, overrides)
            raise
        parsed = validate.validate(mapped)
        lap("parse")
        protected = protect.protect(parsed)
        lap("encrypt")
        with transaction.atomic():
            link.lock_imports()
            report(_("Linking to the person index"), 0.35)
            linked = link.link(protected, batch)
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
        do_fail_batch(batch, shown, acting_user=acting_user, read=refused)
        raise
    if refresh:
        report(_("Updating the archive"), 0.8)
        do_refresh_archive(acting_user=acting_user, as_of=as_of)
    batch.refresh_from_db()
    report(_("Done"), 1.0)
    return batch


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
    brought once, then refresh the archive once for all of them."""
    paths = (p for p in sorted(Path(folder).iterdir()) if p.suffix.lower() in IMPORT_SUFFIXES)
    files = ordered(paths)
    batches = []
    with link.relink_at_end():
        for n, (path, src) in enumerate(files):

            def step(stage: str, fraction: float, n=n, name=path.name) -> None:
                if progress:
                    progress(f"{name}: {stage}", (n + fraction) / (len(files) + 1))

            batches.append(
                import_file(
                    path, source=src.name, acting_user=acting_user, progress=step, refresh=False
                )
            )
    if progress:
        progress(_("Updating the archive"), len(files) / (len(files) + 1))
    do_refresh_archive(acting_user=acting_user, as_of=as_of)
    return [Batch.objects.get(pk=b.pk) for b in batches]
