"""Stage 4 of an import, protect: validated rows → the ciphertext and blind index of every
value that may not be stored in clear (ID, phone, card, certificate and account numbers, and
the raw values of quarantined rows, which may be any of these).

Same plaintext → same token within a process: each distinct value is encrypted and hashed
once, across all batches of a run (an ID appears in many sources). The caches belong to one
key provider: a new key (file) starts them afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from minsheng.keys import provider

from .models import encrypted
from .validate import ParsedFile

__all__ = ["Protected", "blind_index", "encrypt", "protect"]

_CACHES: dict[str, dict[str, str]] = {"hash": {}, "token": {}}
_CACHE_OWNER: list[object] = [None]
_CACHE_LIMIT = 3_000_000


@dataclass
class Protected:
    parsed: ParsedFile
    # <column>_hash and <column>_enc for every encrypted column of the source, row-aligned
    # with parsed.accepted
    crypt: dict[str, pl.Series]
    quarantined_raw_enc: pl.Series  # row-aligned with parsed.quarantined


def protect(parsed: ParsedFile) -> Protected:
    raw = parsed.quarantined.get_column("raw_value").cast(pl.String)
    return Protected(parsed, _crypt_columns(parsed), encrypt(raw).fill_null(""))


def _crypt_columns(parsed: ParsedFile) -> dict[str, pl.Series]:
    """For an ID the canonical number is stored when there is one, else the raw value as
    given (kept for review)."""
    df = parsed.accepted
    out: dict[str, pl.Series] = {}
    for col in parsed.source.columns:
        if not encrypted(col):
            continue
        if col.name not in df.columns:
            out[f"{col.name}_hash"] = pl.Series([None] * df.height, dtype=pl.String)
            out[f"{col.name}_enc"] = pl.Series([None] * df.height, dtype=pl.String)
            continue
        value = df.get_column(col.name).cast(pl.String)
        if col.kind == "id" and col.name == parsed.source.id_column:
            plain = df.select(pl.coalesce("id_number", "id_raw")).to_series()
        else:
            plain = value
        out[f"{col.name}_hash"] = blind_index(value)
        out[f"{col.name}_enc"] = encrypt(plain)
    return out


def _cache(kind: str) -> dict[str, str]:
    if _CACHE_OWNER[0] is not provider():
        _CACHE_OWNER[0] = provider()
        for cache in _CACHES.values():
            cache.clear()
    return _CACHES[kind]


def _mapped(values: pl.Series, cache: dict[str, str], fn: Callable[[str], str]) -> pl.Series:
    distinct = values.drop_nulls().unique()
    missing = [v for v in distinct.to_list() if v not in cache]
    if len(cache) + len(missing) > _CACHE_LIMIT:
        cache.clear()
        missing = distinct.to_list()
    for v in missing:
        cache[v] = fn(v)
    lookup = pl.DataFrame(
        {"v": distinct, "out": [cache[v] for v in distinct.to_list()]},
        schema={"v": pl.String, "out": pl.String},
    )
    return (
        pl.DataFrame({"v": values.cast(pl.String)})
        .join(lookup, on="v", how="left", maintain_order="left")
        .get_column("out")
    )


def blind_index(values: pl.Series) -> pl.Series:
    return _mapped(values, _cache("hash"), provider().blind_index)


def encrypt(values: pl.Series) -> pl.Series:
    return _mapped(values, _cache("token"), provider().encrypt)
