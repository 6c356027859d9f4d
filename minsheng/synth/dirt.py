"""Applying the dirt configuration to a department's clean rows.

Each export starts as a clean frame with hidden columns: `_pid` (true person), `_dirt`
(comma-joined dirt codes already applied by the department builder, e.g. moved addresses),
`_key` (a non-person key such as a USCC) and `_by` (birth year, for legacy IDs). This
module damages IDs and names, duplicates rows and inserts blank and malformed rows, and
adds up the per-row probabilities so tests can compare observed with expected counts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import polars as pl

from .config import ID_DIRT, DirtConfig, SourceSpec
from .ids import excel_float_text, id15
from .tables import homophones, traditional

_FULL = {str(d): chr(0xFF10 + d) for d in range(10)} | {"X": "Ｘ"}


@dataclass
class Draft:
    source: str
    df: pl.DataFrame
    id_col: str | None = None
    name_col: str | None = None


def add_dirt(df: pl.DataFrame, mask: pl.Series | np.ndarray, code: str) -> pl.DataFrame:
    m = pl.Series(np.asarray(mask, dtype=bool))
    return df.with_columns(
        _dirt=pl.when(m)
        .then(pl.concat_str([pl.col("_dirt"), pl.lit(code)], separator=",").str.strip_chars(","))
        .otherwise(pl.col("_dirt"))
    )


def _swap_or_typo(ids: list[str], rng: np.random.Generator, transpose: bool) -> list[str]:
    """Damage a handful of IDs in numpy: one changed digit, or two adjacent digits swapped."""
    if not ids:
        return []
    m = np.frombuffer("".join(ids).encode(), dtype=np.uint8).reshape(len(ids), 18).copy()
    rows = np.arange(len(ids))
    if transpose:
        differ = m[:, :16] != m[:, 1:17]  # swap within the 17-digit body
        score = np.where(differ, rng.random(differ.shape), -1.0)
        pos = score.argmax(axis=1)
        a, b = m[rows, pos].copy(), m[rows, pos + 1].copy()
        m[rows, pos], m[rows, pos + 1] = b, a
    else:
        pos = rng.integers(0, 17, len(ids))
        old = m[rows, pos] - ord("0")
        m[rows, pos] = ord("0") + (old + rng.integers(1, 10, len(ids))) % 10
    return [bytes(r).decode() for r in m]


def _tag(df: pl.DataFrame, choice: np.ndarray, codes: tuple[str, ...]) -> pl.DataFrame:
    """Append the chosen dirt code (index into `codes`; len(codes) = none) to `_dirt`."""
    label = pl.Series([*codes, None], dtype=pl.String).gather(choice)
    return df.with_columns(
        _dirt=pl.when(label.is_not_null())
        .then(pl.concat_str([pl.col("_dirt"), label], separator=",").str.strip_chars(","))
        .otherwise(pl.col("_dirt"))
    )


class DirtApplier:
    def __init__(self, cfg: DirtConfig, seed_rng: np.random.Generator) -> None:
        self.cfg = cfg
        self.rng = seed_rng
        self.expected: dict[str, float] = defaultdict(float)

    def expect(self, code: str, value: float) -> None:
        self.expected[code] += float(value)

    def apply(self, draft: Draft, spec: SourceSpec, xlsx: bool) -> pl.DataFrame:
        df = draft.df
        if draft.id_col:
            df = self._ids(df, draft.id_col, spec, xlsx)
        if draft.name_col:
            df = self._names(df, draft.name_col, spec)
        df = self._rows(df)
        return df

    # -- identifiers -----------------------------------------------------------------
    def _ids(self, df: pl.DataFrame, col: str, spec: SourceSpec, xlsx: bool) -> pl.DataFrame:
        c, q, rng = self.cfg, spec.quality, self.rng
        ids = df[col]
        n = df.height
        has = ids.is_not_null().to_numpy() & (ids.str.len_chars() == 18).fill_null(False).to_numpy()
        ends_x = ids.str.ends_with("X").fill_null(False).to_numpy()
        pre2000 = (df["_by"].fill_null(9999) < 2000).to_numpy()
        rates = {
            "id_15_digit": c.id_15_digit * q * (has & pre2000),
            "id_fullwidth": c.id_fullwidth * q * has,
            "id_lowercase_x": c.id_lowercase_x * q * (has & ends_x),
            "id_space_dash": c.id_space_dash * q * has,
            "id_excel_float": c.id_excel_float * q * (has & ~ends_x & spec.excel),
            "id_typo": c.id_typo * q * has,
            "id_transposition": c.id_transposition * q * has,
            "id_missing": c.id_missing * q * ids.is_not_null().to_numpy(),
        }
        p = np.column_stack([rates[k] for k in ID_DIRT])
        for k in ID_DIRT:
            self.expect(k, rates[k].sum())
        cum = np.cumsum(p, axis=1)
        choice = (rng.random(n)[:, None] >= cum).sum(axis=1)  # len(ID_DIRT) = untouched
        idx = np.flatnonzero(choice < len(ID_DIRT))
        ch = choice[idx]
        sub = pl.DataFrame({"v": ids.gather(idx)})
        k = len(idx)
        variant = pl.Series(rng.integers(0, 5, k))
        sci = pl.Series(rng.random(k) < 0.7)
        v = pl.col("v")
        spaced = (
            pl.when(variant == 0)
            .then(v.str.slice(0, 6) + " " + v.str.slice(6, 8) + " " + v.str.slice(14))
            .when(variant == 1)
            .then(v.str.slice(0, 6) + "-" + v.str.slice(6, 8) + "-" + v.str.slice(14))
            .when(variant == 2)
            .then(pl.lit(" ") + v)
            .when(variant == 3)
            .then(v + pl.lit("  "))
            .otherwise(v.str.slice(0, 10) + " " + v.str.slice(10))
        )
        vals = sub["v"].to_list()
        typo = np.flatnonzero(ch == ID_DIRT.index("id_typo"))
        trans = np.flatnonzero(ch == ID_DIRT.index("id_transposition"))
        for rows, t in ((typo, False), (trans, True)):
            for j, val in zip(
                rows.tolist(), _swap_or_typo([vals[j] for j in rows], rng, transpose=t), strict=True
            ):
                vals[j] = val
        damaged = pl.Series(vals, dtype=pl.String)

        def is_(code: str) -> pl.Series:
            return pl.Series(ch == ID_DIRT.index(code))

        new = sub.select(
            pl.when(is_("id_15_digit"))
            .then(id15(v))
            .when(is_("id_fullwidth"))
            .then(v.str.replace_many(_FULL))
            .when(is_("id_lowercase_x"))
            .then(v.str.replace("X", "x", literal=True))
            .when(is_("id_space_dash"))
            .then(spaced)
            .when(is_("id_excel_float"))
            .then(excel_float_text(v, sci))
            .when(is_("id_typo") | is_("id_transposition"))
            .then(damaged)
            .otherwise(pl.lit(None, dtype=pl.String))
        ).to_series()
        if xlsx:
            # In a workbook Excel stored the number itself, not the text it displays.
            num = sub.select(
                ((v.cast(pl.Int64, strict=False) + 500) // 1000 * 1000).cast(pl.Float64)
            ).to_series()
            num = pl.select(pl.when(is_("id_excel_float")).then(num).otherwise(None)).to_series()
            df = df.with_columns(
                pl.repeat(None, n, dtype=pl.Float64, eager=True)
                .scatter(idx, num)
                .alias(f"_num:{col}")
            )
        df = df.with_columns(ids.scatter(idx, new).alias(col))
        return _tag(df, choice, ID_DIRT)

    # -- names -----------------------------------------------------------------------
    def _names(self, df: pl.DataFrame, col: str, spec: SourceSpec) -> pl.DataFrame:
        c, q, rng = self.cfg, spec.quality, self.rng
        names = df[col]
        n = df.height
        trad = traditional()
        homo = homophones()
        has = names.is_not_null().to_numpy()
        can_trad = names.str.contains_any(list(trad)).fill_null(False).to_numpy()
        last = names.str.slice(-1)
        can_homo = last.is_in(list(homo)).fill_null(False).to_numpy()
        rates = {
            "name_traditional": c.name_traditional * q * (has & can_trad),
            "name_space": c.name_space * q * has,
            "name_homophone": c.name_homophone * q * (has & can_homo),
        }
        keys = list(rates)
        for k in keys:
            self.expect(k, rates[k].sum())
        cum = np.cumsum(np.column_stack([rates[k] for k in keys]), axis=1)
        choice = (rng.random(n)[:, None] >= cum).sum(axis=1)
        idx = np.flatnonzero(choice < len(keys))
        ch = choice[idx]
        k = len(idx)
        sub = pl.DataFrame({"v": names.gather(idx)})
        v = pl.col("v")
        last_sub = sub["v"].str.slice(-1)
        # Homophone: replace the last character by one of its listed sound-alikes.
        alts = last_sub.replace_strict(homo, default="")
        pick = pl.Series(rng.integers(0, 1000, k))
        alt_char = alts.str.slice(pick % alts.str.len_chars().clip(1), 1)
        variant = pl.Series(rng.integers(0, 4, k))
        spaced = (
            pl.when(variant == 0)
            .then(v.str.slice(0, 1) + " " + v.str.slice(1))
            .when(variant == 1)
            .then(v + " ")
            .when(variant == 2)
            .then(pl.lit(" ") + v)
            .otherwise(v.str.slice(0, 1) + "\u3000" + v.str.slice(1))
        )
        new = sub.select(
            pl.when(pl.Series(ch == 0))
            .then(v.str.replace_many(trad))
            .when(pl.Series(ch == 1))
            .then(spaced)
            .otherwise(v.str.slice(0, v.str.len_chars() - 1) + alt_char)
        ).to_series()
        df = df.with_columns(names.scatter(idx, new).alias(col))
        return _tag(df, choice, tuple(keys))

    # -- whole rows ------------------------------------------------------------------
    def _rows(self, df: pl.DataFrame) -> pl.DataFrame:
        c, rng = self.cfg, self.rng
        n = df.height
        self.expect("duplicate", n * c.duplicate)
        self.expect("blank", n * c.blank)
        self.expect("malformed", n * c.malformed)
        dup = np.flatnonzero(rng.random(n) < c.duplicate)
        later = rng.random(len(dup)) < 0.3
        pos = np.where(
            later, dup + 0.5 + rng.random(len(dup)) * np.maximum(n - dup - 1, 0), dup + 0.5
        )
        base = df.with_columns(
            _order=pl.Series(np.arange(n, dtype=np.float64)), _junk=pl.lit(None, dtype=pl.String)
        )
        copies = base[dup].with_columns(_order=pl.Series(pos, dtype=pl.Float64))
        copies = add_dirt(copies, np.ones(len(dup), dtype=bool), "duplicate")
        n_blank = int(rng.binomial(n, c.blank))
        n_mal = int(rng.binomial(n, c.malformed))
        # Junk never goes last, so a workbook's trailing blank row cannot vanish.
        junk_pos = rng.random(n_blank + n_mal) * max(n - 1, 1) + 0.25
        kinds = ["blank"] * n_blank + [f"malformed:{int(v)}" for v in rng.integers(0, 6, n_mal)]
        junk = pl.DataFrame(
            {"_order": junk_pos, "_junk": kinds}, schema={"_order": pl.Float64, "_junk": pl.String}
        ).with_columns(_dirt=pl.col("_junk").str.split(":").list.first())
        out = pl.concat([base, copies, junk], how="diagonal_relaxed").sort(
            "_order", maintain_order=True
        )
        return out.drop("_order").with_columns(pl.col("_dirt").fill_null(""))
