"""Chinese personal names drawn from surname and era-specific given-name frequencies."""

from __future__ import annotations

import numpy as np
import polars as pl

from .rand import weighted_choice
from .tables import given_names, mongolian_names, surnames


def era_of(birth_year: np.ndarray) -> np.ndarray:
    return np.digitize(birth_year, [1960, 1980, 2000, 2010]) + 1


def surname_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    _names, weights = surnames()
    return weighted_choice(rng, n, weights)


def _pick(
    rng: np.random.Generator, groups: list[tuple[np.ndarray, list[str], np.ndarray]], n: int
) -> pl.Series:
    """Draw from several name pools at once; returns one String Series of length n."""
    vocab: list[str] = []
    code = np.zeros(n, dtype=np.int64)
    for mask, names, weights in groups:
        idx = np.flatnonzero(mask)
        code[idx] = len(vocab) + weighted_choice(rng, len(idx), weights)
        vocab.extend(names)
    return pl.Series(vocab, dtype=pl.String).gather(code)


def full_names(
    rng: np.random.Generator,
    surname_code: np.ndarray,
    birth_year: np.ndarray,
    male: np.ndarray,
    mongolian_style: np.ndarray,
) -> pl.Series:
    n = len(surname_code)
    era = era_of(birth_year)
    pools = given_names()
    given = _pick(
        rng,
        [
            ((era == e) & (male == (sex == "M")), p.names, p.weights)
            for (e, sex), p in sorted(pools.items())
        ],
        n,
    )
    sur = pl.Series(surnames()[0], dtype=pl.String).gather(surname_code)
    names = sur + given
    if mongolian_style.any():
        mp = mongolian_names()
        mongol = _pick(
            rng, [(male == (s == "M"), p.names, p.weights) for s, p in sorted(mp.items())], n
        )
        names = pl.select(
            pl.when(pl.Series(mongolian_style)).then(mongol).otherwise(names)
        ).to_series()
    return names.rename("name")


def random_names(
    rng: np.random.Generator, n: int, birth_year: np.ndarray, male: np.ndarray
) -> list[str]:
    """Names for people outside the population (grid workers, clerks, outside legal reps)."""
    return full_names(
        rng, surname_codes(rng, n), birth_year, male, np.zeros(n, dtype=bool)
    ).to_list()
