"""Encrypting or blind-indexing many values with several processes.

One value costs some microseconds of Python around the cipher, so a batch's hundreds of
thousands of distinct ID and phone numbers keep one core busy for seconds. `compute` splits
them: this process does the first part, spawned processes (`workers.pool`) the others, each
with the provider of the same key file. A part comes back only if it was made with this
process's keys (its blind index of a probe value matches, its first token decrypts here);
otherwise, or if its process failed, this process does that part itself. The output is the
same as `[fn(v) for v in values]`: blind indexes are equal, tokens decrypt alike (each
token has a nonce of its own either way).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

from .crypto import CryptoError, CryptoProvider, provider_from_key_file
from .workers import cpu_count, pool

__all__ = ["PARALLEL_MIN", "compute", "default_workers"]

# Fewer values than this are done in this process alone (about a second's work: an
# encryption costs some 8 µs, a blind index 1.5 µs; starting a process a tenth of a second).
PARALLEL_MIN = {"token": 100_000, "hash": 500_000}
PROBE = "minsheng:key-check"


def default_workers() -> int:
    return cpu_count()


def compute(
    kind: str,
    values: Sequence[str],
    provider: CryptoProvider,
    *,
    key_file: str | Path | None,
    workers: int,
) -> list[str]:
    """`provider.blind_index` (kind "hash") or `provider.encrypt` ("token") of each value,
    in order; by up to `workers` processes when there are many values and the key file
    the provider was read from is known."""
    fn = _function(provider, kind)
    least = PARALLEL_MIN[kind]
    n = min(workers, cpu_count(), len(values) // (least // 2) or 1)
    if key_file is None or n < 2 or len(values) < least:
        return [fn(v) for v in values]
    size = -(-len(values) // n)
    parts = [values[i : i + size] for i in range(0, len(values), size)]
    check = provider.blind_index(PROBE)
    out: list[str] = []
    with pool(len(parts) - 1) as ex:
        futures = [ex.submit(_part, kind, str(key_file), part) for part in parts[1:]]
        out += [fn(v) for v in parts[0]]
        for part, future in zip(parts[1:], futures, strict=True):
            outs = _checked(future, kind, part, provider, check)
            out += outs if outs is not None else [fn(v) for v in part]
    return out


def _checked(future, kind: str, part: Sequence[str], provider: CryptoProvider, check: str):
    try:
        probe, outs = future.result()
    except Exception:  # noqa: BLE001 - the part is done here instead
        return None
    if probe != check or len(outs) != len(part):
        return None
    if kind == "token" and part:
        try:
            if provider.decrypt(outs[0]) != part[0]:
                return None
        except CryptoError:
            return None
    return outs


def _function(provider: CryptoProvider, kind: str):
    if kind == "hash":
        return provider.blind_index
    if kind == "token":
        return provider.encrypt
    raise ValueError(f"unknown kind {kind!r}")


@cache
def _provider(key_file: str) -> CryptoProvider:
    return provider_from_key_file(key_file)


def _part(kind: str, key_file: str, values: Sequence[str]) -> tuple[str, list[str]]:
    """In a pool's process: the part's outputs, with the probe's blind index."""
    p = _provider(key_file)
    fn = _function(p, kind)
    return p.blind_index(PROBE), [fn(v) for v in values]
