"""Process pools for CPU-bound work beside the main process (the import's read → protect
stages, the encryption of many values).

The pools start their processes with 'spawn': a new interpreter shares nothing with the
parent (no database connection, no Polars or DuckDB thread pools, no locks held by another
thread), and imports what it needs itself. `initializer` runs once in each process first
(e.g. `django.setup`, passed by reference). A process of these pools ends with its parent:
a parent killed outright (SIGKILL, the OOM killer) takes its workers with it, instead of
leaving them waiting for work forever with the parent's stdout and stderr held open.

A spawned process normally runs the parent's main script again (as `__mp_main__`), which
re-runs the whole script when it lacks the `if __name__ == "__main__":` guard: an import
started from such a script would start another in its worker. These pools start all their
processes at once without it (the workers run functions of `minsheng` modules only).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.spawn
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

__all__ = ["cpu_count", "pool"]


def cpu_count() -> int:
    """The CPUs this process may run on (its affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def pool(
    workers: int = 1,
    *,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple = (),
) -> ProcessPoolExecutor:
    """A pool of `workers` spawned processes that end with this one."""
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start,
        initargs=(initializer, initargs),
    )
    # A spawning executor starts a process per task submitted while none is idle (and never
    # replaces one: a lost process breaks the pool), so these start them all, here.
    with _without_main():
        for _ in range(workers):
            executor.submit(_nothing)
    return executor


_SPAWNING = threading.Lock()


@contextmanager
def _without_main() -> Iterator[None]:
    """Processes spawned meanwhile do not import the parent's main module."""
    original = multiprocessing.spawn.get_preparation_data

    def preparation_data(name: str) -> dict:
        data = original(name)
        data.pop("init_main_from_name", None)
        data.pop("init_main_from_path", None)
        return data

    with _SPAWNING:
        multiprocessing.spawn.get_preparation_data = preparation_data
        try:
            yield
        finally:
            multiprocessing.spawn.get_preparation_data = original


def _nothing() -> None:
    pass


def _start(initializer: Callable[..., Any] | None, initargs: tuple) -> None:
    _exit_with_parent()
    if initializer is not None:
        initializer(*initargs)


def _exit_with_parent() -> None:
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()  # returns when the parent's end of the pipe closes: it has exited
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
