"""Stage 4 of an import, protect: validated rows → the ciphertext and blind index of every
value that may not be stored in clear (ID, phone, card, certificate and account numbers, and
the raw values of quarantined rows, which may be any of these).

Same plaintext → same token within a process: each distinct value is encrypted and hashed
once, across all batches of a run (an ID appears in many sources). The caches belong to one
key provider: a new key (file) starts them afresh.

An import may run this stage in another process (pipeline.ingest); `offer` then hands the
batch's values and their outputs to this process's caches, so that the persons the batch
brings are stored with the same tokens as its facts, without encrypting them again. Many
values at once are encrypted by several processes (`minsheng.lib.cryptopool`), each with
the key file's provider; their outputs join the caller's caches as if computed here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings

from minsheng import keys
from minsheng.lib import cryptopool
from minsheng.lib.crypto import CryptoProvider, provider_from_key_file

from .models import encrypted
from .validate import ParsedFile

__all__ = [
    "Protected",
    "blind_index",
    "blind_indexer",
    "encrypt",
    "key_check",
    "offer",
    "protect",
]

KINDS = ("hash", "token")
_CACHES: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
_CACHE_OWNER: list[object] = [None]
_CACHE_LIMIT = 3_000_000
# the batch at hand protected by another process ("batch": `offer`), and its values with
# their outputs per kind, as far as wanted
_OFFERED: dict[str, Any] = {}


@dataclass
class Protected:
    parsed: ParsedFile
    # <column>_hash and <column>_enc for every encrypted column of the source, row-aligned
    # with parsed.accepted
    crypt: dict[str, pl.Series]
    quarantined_raw_enc: pl.Series  # row-aligned with parsed.quarantined


@dataclass(frozen=True)
class _Keys:
    """The provider that protects, and the key file it was read from (for the processes
    that share the work), and how many processes may."""

    provider: CryptoProvider
    key_file: Path | None
    workers: int = 1


def protect(
    parsed: ParsedFile, *, key_file: str | Path | None = None, workers: int | None = None
) -> Protected:
    """`key_file`: protect with the provider of this key file rather than the configured
    one (`minsheng.keys`; an import's worker process passes the parent's). `workers`:
    processes that may share the encryption of many values (default: one per CPU)."""
    k = _keys(key_file, workers)
    raw = parsed.quarantined.get_column("raw_value").cast(pl.String)
    return Protected(parsed, _crypt_columns(parsed, k), _mapped(raw, "token", k).fill_null(""))


def _keys(key_file: str | Path | None = None, workers: int | None = None) -> _Keys:
    if workers is None:
        workers = cryptopool.default_workers()
    if key_file is not None:
        return _Keys(_provider_of(Path(key_file)), Path(key_file), workers)
    return _Keys(keys.provider(), Path(settings.KEY_FILE), workers)


@cache
def _provider_of(key_file: Path) -> CryptoProvider:
    return provider_from_key_file(key_file)


def _plain_columns(
    parsed: ParsedFile,
) -> Iterator[tuple[str, pl.Series | None, pl.Series | None]]:
    """(column name, the values blind-indexed, the values encrypted) of each encrypted
    column of the source (None, None: the file lacks it). For an ID the canonical number is
    stored when there is one, else the raw value as given (kept for review)."""
    df = parsed.accepted
    for col in parsed.source.columns:
        if not encrypted(col):
            continue
        if col.name not in df.columns:
            yield col.name, None, None
            continue
        value = df.get_column(col.name).cast(pl.String)
        if col.kind == "id" and col.name == parsed.source.id_column:
            plain = df.select(pl.coalesce("id_number", "id_raw")).to_series()
        else:
            plain = value
        yield col.name, value, plain


def _crypt_columns(parsed: ParsedFile, k: _Keys) -> dict[str, pl.Series]:
    out: dict[str, pl.Series] = {}
    height = parsed.accepted.height
    for name, value, plain in _plain_columns(parsed):
        if value is None or plain is None:
            out[f"{name}_hash"] = pl.Series([None] * height, dtype=pl.String)
            out[f"{name}_enc"] = pl.Series([None] * height, dtype=pl.String)
            continue
        out[f"{name}_hash"] = _mapped(value, "hash", k)
        out[f"{name}_enc"] = _mapped(plain, "token", k)
    return out


def offer(protected: Protected | None) -> None:
    """Take the values of a batch protected in another process, with their blind indexes
    and tokens, as this process's own when it needs them (the batch's new persons: link).
    The other process must have used this process's key (the import checks it); None
    forgets the last batch offered."""
    _OFFERED.clear()
    if protected is not None:
        _cache("hash", keys.provider())  # the offer is for this provider's caches
        _OFFERED["batch"] = protected


def _offered(kind: str) -> pl.DataFrame | None:
    """The values offered with their outputs of one kind (made when first wanted)."""
    if kind not in _OFFERED:
        protected = _OFFERED.get("batch")
        if protected is None:
            return None
        frames = []
        for name, value, plain in _plain_columns(protected.parsed):
            if value is not None and plain is not None:
                v, out = (value, "hash") if kind == "hash" else (plain, "enc")
                frames.append(pl.DataFrame({"v": v, "out": protected.crypt[f"{name}_{out}"]}))
        _OFFERED[kind] = (
            pl.concat(frames).drop_nulls().unique(subset="v", keep="first") if frames else None
        )
    return _OFFERED[kind]


def blind_indexer(key_file: str | Path | None = None) -> Callable[[str], str]:
    """One value's blind index under the configured provider or that of `key_file`, taken
    from this process's cache when a batch already had it."""
    k = _keys(key_file, 1)
    cache = _cache("hash", k.provider)

    def blind_index(value: str) -> str:
        found = cache.get(value)
        return found if found is not None else k.provider.blind_index(value)

    return blind_index


def key_check(key_file: str | Path | None = None) -> str:
    """A value that differs between keys: the blind index of a fixed probe under the
    configured provider or that of `key_file` (whoever protected a batch elsewhere used
    this process's keys if theirs is the same)."""
    return _keys(key_file, 1).provider.blind_index(cryptopool.PROBE)


def _cache(kind: str, p: CryptoProvider) -> dict[str, str]:
    if _CACHE_OWNER[0] is not p:
        _CACHE_OWNER[0] = p
        for c in _CACHES.values():
            c.clear()
        _OFFERED.clear()
    return _CACHES[kind]


def _take_offered(kind: str, missing: list[str], cache: dict[str, str]) -> list[str]:
    if not missing:
        return missing
    offered = _offered(kind)
    if offered is None:
        return missing
    wanted = pl.DataFrame({"v": missing}, schema={"v": pl.String})
    found = wanted.join(offered, on="v", how="inner")
    if found.is_empty():
        return missing
    cache.update(zip(found["v"].to_list(), found["out"].to_list(), strict=True))
    return [v for v in missing if v not in cache]


def _mapped(values: pl.Series, kind: str, k: _Keys) -> pl.Series:
    cache = _cache(kind, k.provider)
    distinct = values.drop_nulls().unique()
    plain = distinct.to_list()
    missing = [v for v in plain if v not in cache]
    if len(cache) + len(missing) > _CACHE_LIMIT:
        cache.clear()
        missing = plain
    missing = _take_offered(kind, missing, cache)
    if missing:
        outs = cryptopool.compute(kind, missing, k.provider, key_file=k.key_file, workers=k.workers)
        cache.update(zip(missing, outs, strict=True))
    lookup = pl.DataFrame(
        {"v": distinct, "out": [cache[v] for v in plain]},
        schema={"v": pl.String, "out": pl.String},
    )
    return (
        pl.DataFrame({"v": values.cast(pl.String)})
        .join(lookup, on="v", how="left", maintain_order="left")
        .get_column("out")
    )


def blind_index(values: pl.Series) -> pl.Series:
    return _mapped(values, "hash", _keys())


def encrypt(values: pl.Series) -> pl.Series:
    return _mapped(values, "token", _keys())
