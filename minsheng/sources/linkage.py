"""Record linkage: attach each accepted export row to a person of the person index.

Deterministic rules first (a valid ID number is by far the strongest evidence), then a
probabilistic model (Splink 5, DuckDB backend) for the rows whose ID is missing or broken
beyond repair. Plain Python, no Django: the importer, the benchmark and the tests call it.

`link_batch(records, index, blind_index=...)` links one source file against the index and
returns one decision per record (see its docstring). `simulate(city_dir)` replays a whole
synthetic city and scores the result against its truth; `python -m
minsheng.sources.linkage DIR` prints the figures.
"""

from __future__ import annotations

import hashlib
import logging
import re
import resource
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from minsheng.lib import idcard

__all__ = [
    "COMPOUND_SURNAMES",
    "LINK_WEIGHT",
    "LINK_MARGIN",
    "REVIEW_WEIGHT",
    "WITHIN_WEIGHT",
    "baseline",
    "compatible",
    "given_name",
    "INDEX_SCHEMA",
    "RECORD_SCHEMA",
    "evaluate",
    "link_batch",
    "name_sounds",
    "new_persons",
    "person_fills",
    "prepare_batch",
    "prepare_records",
    "Prepared",
    "simulate",
    "whole_persons",
    "with_person_ids",
]

# -- decision thresholds (match weights in bits, prior included) -----------------------------
# The prior is one over the index size, so a weight is the log-odds that this one person,
# out of everyone on file, is the record's. Name + sex + birth date with no namesake of the
# same birthday scores about 4-8 at full scale (a name shared by ~120 people), so the
# absolute bar is low and the margin over the runner-up does the real work. Chosen on the
# synthetic truth (seed 42, scales 0.01/0.1/1.0): at full scale LINK_WEIGHT 4 / LINK_MARGIN 6
# auto-linked 20,507 rows with 5 errors; a bar of 5 sent ~450 more correct rows to review.
LINK_WEIGHT = 4.0
# The best candidate must beat the runner-up by this much (2^6 = 64:1 odds), otherwise two
# namesakes of the same age are indistinguishable and a person must decide.
LINK_MARGIN = 6.0
# Between REVIEW_WEIGHT and an auto-link the record goes to a clerk; the band is narrow on
# purpose: most no-ID rows either carry enough to link or too little for a clerk to do better.
REVIEW_WEIGHT = 3.0
# Candidate pairs below this weight are not even retrieved; a missing runner-up counts as
# a runner-up at this weight.
PAIR_FLOOR = -4.0
# Two leftover rows of the same batch are one unresolved group above this weight.
WITHIN_WEIGHT = 14.0

_REPAIRABLE = ("bad_check_digit", "bad_birth_date", "bad_area_code")
_SUSPECT = "float_precision_suspect"

RECORD_SCHEMA = {
    "rid": pl.Int64,
    "id_number": pl.String,
    "id_raw": pl.String,
    "id_error": pl.String,
    "name": pl.String,
    "sex": pl.String,
    "birth_date": pl.Date,
    "phone_hash": pl.String,
    "address": pl.String,
    "district_code": pl.String,
}
# The person index as linkage reads it: one definition, which the importer loads from the
# Person table (link.load_index) and the simulation grows in memory.
INDEX_SCHEMA = {
    "person_id": pl.Int64,
    "id_hash": pl.String,
    "name": pl.String,
    "sex": pl.String,
    "birth_date": pl.Date,
    "phone_hash": pl.String,
    "address": pl.String,
    "district_code": pl.String,
}
_OUT_SCHEMA = {
    "rid": pl.Int64,
    "person_id": pl.Int64,
    "new_key": pl.Int64,
    "method": pl.String,
    "match_weight": pl.Float64,
    "candidate_id": pl.Int64,
    "group_key": pl.Int64,
}


# -- names -------------------------------------------------------------------------------------

_PINYIN: dict[str, str] = {}


def _char_pinyin(chars: Iterable[str]) -> None:
    from pypinyin import Style, lazy_pinyin

    todo = [c for c in chars if c not in _PINYIN]
    for c in todo:
        # Per character, without context: both sides of a comparison go through the same
        # function, so a polyphone reads the same way on both and still compares equal.
        py = "".join(lazy_pinyin(c, style=Style.NORMAL, errors="default")).lower()
        # Front and back nasal finals merged (玲 ling / 琳 lin, 陈 chen / 程 cheng), as
        # fuzzy-pinyin input does: clerks type a name by its sound and confuse exactly these.
        _PINYIN[c] = py[:-1] if py.endswith("ng") and len(py) > 2 else py


def _with_pinyin(df: pl.DataFrame) -> pl.DataFrame:
    """Add `name_py`: the toneless pinyin of `name`, computed once per distinct name."""
    names = df["name"].drop_nulls().unique().to_list()
    _char_pinyin({c for n in names for c in n})
    table = pl.DataFrame(
        {"name": names, "name_py": [" ".join(_PINYIN[c] for c in n) for n in names]},
        schema={"name": pl.String, "name_py": pl.String},
    )
    return df.join(table, on="name", how="left", maintain_order="left")


def name_sounds(names: pl.Series) -> pl.Series:
    """The toneless pinyin linkage compares names by (homophones sound alike)."""
    return _with_pinyin(pl.DataFrame({"name": names.cast(pl.String)}))["name_py"]


def _with_name_keys(df: pl.DataFrame, prefix: str = "") -> pl.DataFrame:
    """Add the sound lists `compatible` compares, `{prefix}given_py` (of `given_name`) and
    `{prefix}whole_py` (of the name without spaces and dots), one toneless syllable per
    character, computed once per distinct `{prefix}name`. Only for the few rows a decision
    is about (pairs, leftovers), not for the whole index."""
    col = f"{prefix}name"
    table = (
        df.select(pl.col(col).drop_nulls().unique())
        .with_columns(given=given_name(pl.col(col)), whole=_bare_name(pl.col(col)))
        .sort(col)
    )
    given, whole = table["given"].to_list(), table["whole"].to_list()
    _char_pinyin({c for w in whole for c in w})
    table = table.select(
        col,
        pl.Series(
            f"{prefix}given_py", [[_PINYIN[c] for c in g] for g in given], pl.List(pl.String)
        ),
        pl.Series(
            f"{prefix}whole_py", [[_PINYIN[c] for c in w] for w in whole], pl.List(pl.String)
        ),
    )
    return df.join(table, on=col, how="left", maintain_order="left")


# Two-character surnames: a name that starts with one of these (and is longer than it)
# has the rest as its given name. Ambiguous cases (东方红 may be 东 + 方红) are read as the
# compound surname; both sides of a comparison are read the same way, so this only matters
# when the two spellings differ in the first two characters.
COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "轩辕",
    "令狐",
    "端木",
    "独孤",
    "南宫",
    "西门",
    "呼延",
    "万俟",
    "澹台",
    "公冶",
    "濮阳",
    "淳于",
    "申屠",
    "钟离",
    "赫连",
    "拓跋",
    "司空",
    "闻人",
    "太史",
    "仲孙",
    "宗政",
    "百里",
    "东郭",
    "左丘",
    "公羊",
    "梁丘",
    "巫马",
    "漆雕",
    "乐正",
)
# The separator of transliterated (Uyghur, Kazakh, ...) names and the characters clerks
# type for it.
_DOTS = r"[·•・‧∙⋅﹒．.]"


def _bare_name(name: pl.Expr) -> pl.Expr:
    """`name` without whitespace (incl. U+3000) and name dots."""
    return name.str.replace_all(r"\s+", "").str.replace_all(_DOTS, "")


def given_name(name: pl.Expr) -> pl.Expr:
    """The given name: `name` without its surname, whitespace ignored.

    A name with a middle dot (买买提·艾力, a transliterated minority name) has no surname
    in the Han sense; its first part is the person's own name (the rest is usually the
    father's name), so the part before the first dot is taken. Otherwise the surname is
    the first character, or the first two when the name starts with one of
    COMPOUND_SURNAMES and is longer than it (欧阳明 → 明, but 欧阳 → 阳). Names of peoples
    who write no surname and no dot (巴特尔) are read like Han names, which is harmless for
    a comparison: both sides lose the same first character. A one-character name gives
    an empty given name; a null name gives null.
    """
    flat = name.str.replace_all(r"\s+", "")
    dotted = flat.str.contains(_DOTS)
    compound = flat.str.slice(0, 2).is_in(COMPOUND_SURNAMES) & (flat.str.len_chars() > 2)
    return (
        pl.when(dotted)
        .then(flat.str.extract(f"^(.*?){_DOTS}", 1))
        .when(compound)
        .then(flat.str.slice(2))
        .otherwise(flat.str.slice(1))
    )


def _agree(left: str, right: str) -> pl.Expr:
    """Blank on either side is no evidence against; anything else must be equal."""
    return (
        pl.col(left).is_null() | pl.col(right).is_null() | (pl.col(left) == pl.col(right))
    ).fill_null(True)


def compatible(left: str, right: str) -> pl.Expr:
    """The linkage guard: False where two records cannot be the same person.

    Reads `{prefix}birth_date`, `{prefix}sex`, `{prefix}given_py` and `{prefix}whole_py`
    (see `_with_name_keys`) for `left` and `right` as column-name prefixes ("" for none).
    A pair is incompatible, whatever its phone, address or match weight, when

    - both birth dates are known and they differ by more than one digit of YYYYMMDD (a
      typo) and are not a day/month swap (1990-03-05 / 1990-05-03);
    - both sexes are known and differ;
    - both names are known and their given names (`given_name`) share no character,
      or, where either given name is empty, the whole names share none. Characters
      are compared by sound, as everywhere else in linkage (toneless pinyin, front and
      back nasals merged): 张伟 / 张玮 / 張偉 share 伟.

    A blank on either side is no evidence against (for a leftover record, `_guard_birth`
    blanks a birth date Excel's rounding of its ID may have changed). The guard keeps
    father and son who share a phone and a flat apart, and keeps such pairs out of the
    review queue too: every non-exact link and every within-batch merge must pass it.
    Exact ID links do not (`_agree` decides those; a disagreement there is an
    id_conflict)."""

    def c(prefix: str, name: str) -> pl.Expr:
        return pl.col(f"{prefix}{name}")

    bl, br = c(left, "birth_date"), c(right, "birth_date")
    dl, dr = bl.dt.strftime("%Y%m%d"), br.dt.strftime("%Y%m%d")
    digits_off = pl.sum_horizontal(
        (dl.str.slice(i, 1) != dr.str.slice(i, 1)).cast(pl.Int8) for i in range(8)
    )
    swapped = (
        (bl.dt.year() == br.dt.year())
        & (bl.dt.month() == br.dt.day())
        & (bl.dt.day() == br.dt.month())
    )
    birth_ok = bl.is_null() | br.is_null() | (digits_off <= 1) | swapped
    sex_ok = (
        c(left, "sex").is_null() | c(right, "sex").is_null() | (c(left, "sex") == c(right, "sex"))
    )

    def shared(a: pl.Expr, b: pl.Expr) -> pl.Expr:
        return a.list.set_intersection(b).list.len() > 0

    gl, gr = c(left, "given_py"), c(right, "given_py")
    wl, wr = c(left, "whole_py"), c(right, "whole_py")
    no_name = wl.list.len().fill_null(0).eq(0) | wr.list.len().fill_null(0).eq(0)
    no_given = gl.list.len().fill_null(0).eq(0) | gr.list.len().fill_null(0).eq(0)
    name_ok = no_name | pl.when(no_given).then(shared(wl, wr)).otherwise(shared(gl, gr))
    return birth_ok.fill_null(True) & sex_ok.fill_null(True) & name_ok.fill_null(True)


# -- addresses ---------------------------------------------------------------------------------

_BUILDING = re.compile(r"(\d+单元\d+室|\d+号)$")


def _with_address_parts(df: pl.DataFrame) -> pl.DataFrame:
    """Building (flat or yard number dropped) and community (up to 社区/村) of `address`."""
    addr = pl.col("address")
    return df.with_columns(
        addr_building=addr.str.replace(_BUILDING.pattern, ""),
        addr_community=addr.str.extract(r"^(.*?(?:社区|村))", 1),
    )


# -- the ID passes -----------------------------------------------------------------------------


def _hash_values(values: pl.Series, blind_index: Callable[[str], str]) -> pl.DataFrame:
    uniq = values.drop_nulls().unique().sort()
    return pl.DataFrame(
        {values.name: uniq, "h": [blind_index(v) for v in uniq.to_list()]},
        schema={values.name: pl.String, "h": pl.String},
    )


def _raw_digits(expr: pl.Expr) -> pl.Expr:
    """The leading digits written in a broken ID: all of them, or the 15 significant digits
    Excel kept of a number it showed as 1.50302199001011E+17 (trailing zeros dropped)."""
    digits = expr.str.replace_all(r"[\s\-]", "").str.to_uppercase()
    mantissa = digits.str.extract(r"^(\d)\.(\d+)E\+?17$", 1) + digits.str.extract(
        r"^(\d)\.(\d+)E\+?17$", 2
    )
    return pl.coalesce(mantissa, digits.str.extract(r"^(\d{14,})", 1))


def _raw_birth(expr: pl.Expr, *, month: bool = False) -> pl.Expr:
    """The birth date written inside a broken ID (typo elsewhere, or Excel's lost tail).

    Excel may keep fewer than the 14 digits that end the date (1.503022002051E+17): then
    the date is null, or with `month` the 1st of the month when year and month survive.
    Such a date is fine for scoring (it reaches the "same month" level) but not for
    `compatible`, which would take its day as written."""
    text = _raw_digits(expr)
    day = text.str.extract(r"^\d{6}(\d{8})", 1).str.to_date("%Y%m%d", strict=False)
    if not month:
        return day
    first = (text.str.extract(r"^\d{6}(\d{6})", 1) + "01").str.to_date("%Y%m%d", strict=False)
    return pl.coalesce(day, first)


_ROUNDED = ("float_precision_lost", _SUSPECT)


def _guard_birth() -> pl.Expr:
    """The birth date `compatible` may trust for a leftover record: its own, else the
    complete date inside its broken ID; but not a date Excel may have changed. Rounding an
    ID to 15 significant digits carries into the date when digit 15 was a 9 rounded up
    (…19721209 97x → …19721210 000), so the ID's date of a rounded number, and a birth
    date equal to it (prepare_records takes it from the ID), count only when digit 15
    is not 0."""
    raw = pl.coalesce("id_raw", "id_number")
    text = _raw_digits(raw)
    from_id = _raw_birth(raw)
    rounded = (
        pl.col("id_error").is_in(_ROUNDED).fill_null(False)
        | raw.str.contains(r"(?i)E\+?17\s*$").fill_null(False)
        | raw.str.replace_all(r"[\s\-]", "").str.contains(r"^\d{15}000$").fill_null(False)
    )
    carried = rounded & ~text.str.slice(14, 1).is_in(list("123456789")).fill_null(False)
    own = pl.col("birth_date")
    return (
        pl.when(carried & (own.is_null() | (own == from_id).fill_null(False)))
        .then(pl.lit(None, pl.Date))
        .otherwise(pl.coalesce(own, from_id))
    )


def _broken(recs: pl.DataFrame) -> pl.DataFrame:
    return recs.filter(pl.col("id_error").is_in(_REPAIRABLE) & pl.col("id_raw").is_not_null())


def _repair_candidates(recs: pl.DataFrame, blind_index: Callable[[str], str]) -> pl.DataFrame:
    """id_raw, cand, id_hash: each valid ID one typo away from a broken ID of `recs`, with
    its blind index."""
    # The small set of broken IDs is the one place where a Python loop is fine: a few
    # hundred candidates per distinct raw value.
    raws = _broken(recs)["id_raw"].unique().to_list()
    pairs = [(raw, c) for raw in raws for c in idcard.repair_candidates(raw)]
    cands = pl.DataFrame(
        {"id_raw": [p[0] for p in pairs], "cand": [p[1] for p in pairs]},
        schema={"id_raw": pl.String, "cand": pl.String},
    )
    return cands.with_columns(
        id_hash=pl.col("cand").replace_strict(
            *_lookup(_hash_values(cands["cand"], blind_index), "cand"), return_dtype=pl.String
        )
    )


def _repair(recs: pl.DataFrame, known: pl.DataFrame, candidates: pl.DataFrame) -> pl.DataFrame:
    """rid → person for rows whose broken ID has exactly one repair candidate on file that
    agrees on name, birth date and sex (and so passes `compatible`). `known` is id_hash,
    person_id, name, name_py, sex, birth_date of everyone a candidate may point at;
    `candidates` those of the batch's broken IDs (`_repair_candidates`)."""
    broken = _broken(recs)
    if broken.is_empty() or known.is_empty() or candidates.is_empty():
        return pl.DataFrame(schema={"rid": pl.Int64, "person_id": pl.Int64})
    cands = candidates.join(known, on="id_hash", how="inner")
    # A candidate on file counts once per raw value, whatever the person's attributes.
    hits = cands.group_by("id_raw").agg(pl.col("person_id").n_unique().alias("n"), pl.all().first())
    hits = hits.filter(pl.col("n") == 1).select(
        "id_raw",
        "person_id",
        k_py="name_py",
        k_sex="sex",
        k_birth_date="birth_date",
        k_name="name",
    )
    out = broken.join(hits, on="id_raw", how="inner")
    out = _with_name_keys(_with_name_keys(out), "k_").filter(
        pl.col("name_py").is_not_null()
        & (pl.col("name_py") == pl.col("k_py")).fill_null(False)
        & _agree("sex", "k_sex")
        & _agree("birth_date", "k_birth_date")
        # Implied by the three above today; kept so every non-exact link passes the guard.
        & compatible("", "k_")
    )
    return out.select("rid", "person_id")


def _lookup(table: pl.DataFrame, key: str) -> tuple[pl.Series, pl.Series]:
    return table[key], table["h"]


# -- the probabilistic pass --------------------------------------------------------------------


def _level(sql: str, m: float, u: float, label: str, tf: str | None = None) -> dict:
    level = {"sql_condition": sql, "label_for_charts": label, "m_probability": m}
    level["u_probability"] = u
    if tf:
        level["tf_adjustment_column"] = tf
        level["tf_adjustment_weight"] = 1.0
    return level


def _null(col: str) -> dict:
    return {
        "sql_condition": f'"{col}_l" IS NULL OR "{col}_r" IS NULL',
        "label_for_charts": "null",
        "is_null_level": True,
    }


def _else(m: float, u: float) -> dict:
    return {
        "sql_condition": "ELSE",
        "label_for_charts": "else",
        "m_probability": m,
        "u_probability": u,
    }


# Fixed m/u values rather than EM at run time, so a batch links the same way every run.
# m: how often the field agrees at that level for the same person, measured on the
# synthetic truth (name dirt ~1 %, moved addresses, old phones for 12 % of people who changed
# number); u: how often two different people agree that way (1/(distinct values) for evenly
# spread values; name is term-frequency adjusted against the index, so its u is nominal).
def _settings(prior: float) -> dict:
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "uid",
        "probability_two_random_records_match": prior,
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "comparisons": [
            {
                "output_column_name": "name",
                "comparison_levels": [
                    _null("name_py"),
                    _level('"name_l" = "name_r"', 0.95, 1e-4, "same characters", "name_py"),
                    _level('"name_py_l" = "name_py_r"', 0.04, 1e-4, "homophone", "name_py"),
                    _else(0.01, 0.9998),
                ],
            },
            {
                "output_column_name": "birth_date",
                "comparison_levels": [
                    _null("birth_date"),
                    _level('"birth_date_l" = "birth_date_r"', 0.97, 1 / 25000, "same day"),
                    _level(
                        'year("birth_date_l") = year("birth_date_r") AND '
                        'month("birth_date_l") = month("birth_date_r")',
                        0.01,
                        1 / 1000,
                        "same month",
                    ),
                    _level('year("birth_date_l") = year("birth_date_r")', 0.01, 1 / 85, "year"),
                    _else(0.01, 0.987),
                ],
            },
            {
                "output_column_name": "sex",
                "comparison_levels": [
                    _null("sex"),
                    _level('"sex_l" = "sex_r"', 0.998, 0.5, "same"),
                    _else(0.002, 0.5),
                ],
            },
            {
                "output_column_name": "phone",
                "comparison_levels": [
                    _null("phone_hash"),
                    _level('"phone_hash_l" = "phone_hash_r"', 0.85, 2e-6, "same"),
                    _else(0.15, 0.999998),
                ],
            },
            {
                "output_column_name": "address",
                "comparison_levels": [
                    _null("address"),
                    _level('"address_l" = "address_r"', 0.6, 1 / 20000, "same flat"),
                    _level('"addr_building_l" = "addr_building_r"', 0.1, 1 / 2000, "building"),
                    _level('"addr_community_l" = "addr_community_r"', 0.1, 1 / 80, "community"),
                    _level('"district_code_l" = "district_code_r"', 0.1, 1 / 3, "district"),
                    _else(0.1, 0.65),
                ],
            },
            {
                # A source that lists one person on consecutive rows (参保: one row per
                # scheme) puts a row with a blank ID right next to the same person's rows.
                # Only with the same name: in the census the next row is a family member.
                "output_column_name": "neighbour",
                "comparison_levels": [
                    {
                        "sql_condition": '"nb_prev_l" IS NULL AND "nb_next_l" IS NULL',
                        "label_for_charts": "null",
                        "is_null_level": True,
                    },
                    _level(
                        '("nb_prev_l" = "pid_r" OR "nb_next_l" = "pid_r") '
                        'AND "name_py_l" = "name_py_r"',
                        0.85,
                        2e-5,
                        "next to a row of this person",
                    ),
                    _else(0.15, 0.99998),
                ],
            },
        ],
        "blocking_rules_to_generate_predictions": [
            "l.name_py = r.name_py",
            "l.phone_hash = r.phone_hash",
            "l.nb_prev = r.pid",
            "l.nb_next = r.pid",
        ],
    }


_SPLINK_COLS = (
    "uid",
    "pid",
    "name",
    "name_py",
    "sex",
    "birth_date",
    "phone_hash",
    "address",
    "addr_building",
    "addr_community",
    "district_code",
    "nb_prev",
    "nb_next",
)


def _splink_frame(df: pl.DataFrame) -> pl.DataFrame:
    return df.select(
        pl.col(c) if c in df.columns else pl.lit(None, dtype=pl.Int64).alias(c)
        for c in _SPLINK_COLS
    )


def _quiet_splink() -> None:
    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="splink")


def _score(
    left: pl.DataFrame, right: pl.DataFrame | None, tf_source: pl.DataFrame, threshold: float
) -> pl.DataFrame:
    """Scored pairs uid_l, uid_r, match_weight between `left` and `right` (or within
    `left` when `right` is None), keeping those above `threshold`."""
    _quiet_splink()
    from splink import DuckDBAPI, Linker

    db = DuckDBAPI()
    lsdf = db.register(_splink_frame(left).to_arrow(), table_name="recs")
    tables = [lsdf]
    if right is not None:
        tables.append(db.register(_splink_frame(right).to_arrow(), table_name="cands"))
    # A pair's prior is one over the population the record could belong to.
    prior = 1.0 / max(tf_source.height, 1000)
    # The model is fixed, so the linker only needs a table to exist; pairs come from the
    # predict_within / predict_between primitives.
    linker = Linker(lsdf, _settings(prior), log_level=logging.ERROR)
    tf = (
        tf_source.filter(pl.col("name_py").is_not_null())
        .group_by("name_py")
        .len()
        .select("name_py", tf_name_py=pl.col("len") / tf_source.height)
    )
    linker.table_management.register_term_frequency_lookup(
        db.register(tf.to_arrow(), table_name="tf_name_py"), "name_py"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if right is None:
            pred = linker.inference.predict_within(
                lsdf, threshold_match_weight=threshold, warning_mode="never"
            )
        else:
            pred = linker.inference.predict_between(
                lsdf, tables[1], threshold_match_weight=threshold, warning_mode="never"
            )
    out = pred.as_duckdbpyrelation().select("uid_l, uid_r, match_weight").pl()
    db._con.close()
    return out.with_columns(pl.col("match_weight").cast(pl.Float64))


def _components(nodes: pl.Series, edges: pl.DataFrame) -> pl.DataFrame:
    """Connected components (node → smallest node of its component) by label propagation."""
    label = pl.DataFrame({"n": nodes, "c": nodes})
    both = pl.concat([edges.select(a="l", b="r"), edges.select(a="r", b="l")])
    while True:
        step = (
            both.join(label, left_on="b", right_on="n")
            .group_by("a")
            .agg(pl.col("c").min().alias("m"))
        )
        new = label.join(step, left_on="n", right_on="a", how="left").select(
            "n", c=pl.min_horizontal("c", "m")
        )
        if new.join(label, on="n").filter(pl.col("c") != pl.col("c_right")).is_empty():
            return new
        label = new


# What the guard needs of each side of a pair (the name keys are derived from the name).
_GUARD = ("name", "sex", "birth_date")
# The columns `compatible` reads, once `_with_name_keys` has added the name keys.
_COMPARED = ("sex", "birth_date", "given_py", "whole_py")


def _guard_side(rows: pl.DataFrame) -> pl.DataFrame:
    """rid and the _GUARD columns of leftover rows, birth_date as the guard may trust it."""
    return rows.select("rid", "name", "sex", birth_date="guard_birth")


def _clusters(rows: pl.DataFrame, edges: pl.DataFrame) -> pl.DataFrame:
    """Rows of one batch (rid and the _COMPARED columns) grouped into persons along the
    scored `edges` (l, r, w) between them: n (rid) → c (the smallest rid of its group).

    An edge between two incompatible rows is dropped. Two incompatible rows could still
    meet through a third with blanks (sex 1, blank, sex 2), so a component holding an
    incompatible pair is regrouped greedily, strongest edge first (ties by rid): two groups
    merge only when every pair across them is compatible."""

    def side(prefix: str) -> pl.DataFrame:
        return rows.select(
            pl.col("rid").alias(prefix), *(pl.col(c).alias(f"{prefix}_{c}") for c in _COMPARED)
        )

    def guarded(pairs: pl.DataFrame) -> pl.DataFrame:
        return pairs.join(side("l"), on="l").join(side("r"), on="r")

    edges = guarded(edges).filter(compatible("l_", "r_")).select("l", "r", "w")
    comp = _components(rows["rid"].sort(), edges)
    grouped = comp.filter(pl.len().over("c") > 1)
    pairs = (
        grouped.join(grouped, on="c", suffix="_b")
        .filter(pl.col("n") < pl.col("n_b"))
        .select(l="n", r="n_b", c="c")
    )
    clashes = guarded(pairs).filter(~compatible("l_", "r_")).select("l", "r", "c")
    if clashes.is_empty():
        return comp
    # A Python loop over the few components that need it (a handful of rows each).
    bad = comp.filter(pl.col("c").is_in(clashes["c"].implode()))["n"]
    forbidden = set(clashes.select("l", "r").iter_rows())
    group = {n: n for n in bad.to_list()}
    members = {n: [n] for n in group}
    todo = edges.filter(pl.col("l").is_in(bad.implode())).sort(
        ["w", "l", "r"], descending=[True, False, False]
    )
    for left, right, _w in todo.iter_rows():
        a, b = group[left], group[right]
        if a == b or any(
            (min(x, y), max(x, y)) in forbidden for x in members[a] for y in members[b]
        ):
            continue
        keep, gone = min(a, b), max(a, b)
        for x in members[gone]:
            group[x] = keep
        members[keep] += members.pop(gone)
    fixed = pl.DataFrame(
        {"n": list(group), "g": list(group.values())}, schema={"n": pl.Int64, "g": pl.Int64}
    )
    return comp.join(fixed, on="n", how="left").select("n", c=pl.coalesce("g", "c"))


# -- the batch ---------------------------------------------------------------------------------


@dataclass
class Prepared:
    """What linking a batch needs of its records alone (`prepare_batch`): the records with
    their names' sounds and their IDs' blind indexes, and the repair candidates of their
    broken IDs. An import makes it ahead, in another process, while it links the batch
    before."""

    recs: pl.DataFrame  # RECORD_SCHEMA, name_py, id_hash
    candidates: pl.DataFrame  # id_raw, cand, id_hash


def prepare_batch(records: pl.DataFrame, *, blind_index: Callable[[str], str]) -> Prepared:
    recs = records.select(
        pl.col(c).cast(t) if c in records.columns else pl.lit(None, dtype=t).alias(c)
        for c, t in RECORD_SCHEMA.items()
    )
    recs = _with_pinyin(recs)
    hashed = _hash_values(recs["id_number"], blind_index)
    recs = recs.join(hashed.rename({"h": "id_hash"}), on="id_number", how="left")
    return Prepared(recs, _repair_candidates(recs, blind_index))


def link_batch(
    records: pl.DataFrame,
    index: pl.DataFrame,
    *,
    blind_index: Callable[[str], str],
    prepared: Prepared | None = None,
) -> pl.DataFrame:
    """Link one source file's accepted rows against the person index.

    `records`: rid (Int64, unique; consecutive file rows should get consecutive rids — the
    row number works — because neighbouring rows are evidence), id_number (canonical valid
    ID or null), id_raw, id_error, name, sex ('1'/'2'), birth_date, phone_hash, address,
    district_code. `index`: person_id, id_hash (blind_index of the canonical ID), name, sex,
    birth_date, phone_hash, address, district_code; may be empty.

    Returns rid, person_id, new_key, method, match_weight, candidate_id, one row per record,
    methods `exact`, `id_conflict`, `repaired`, `new`, `probabilistic`, `review`,
    `unresolved`: person_id is set for a link to an existing person, new_key for rows that
    become a new person (equal keys, one person), neither for `id_conflict` and `review`
    (candidate_id names the person a clerk should look at) nor for `unresolved`.

    Only a valid ID number makes a new person. A row without one that matches nobody well
    enough is `unresolved`: held for verification (a clerk, a later file, a grid worker),
    never a person of its own, so it cannot split a resident in two or inflate a count.
    Unresolved rows of the batch that are one person share a `group_key`. A pair that
    `compatible` rules out is never linked (repaired or probabilistic), reviewed or grouped.

    `prepared`: `prepare_batch` of these records, made beforehand (by the same blind
    index). An index with a `name_py` column (`name_sounds` of its names) is taken as it is.
    """
    if prepared is None:
        prepared = prepare_batch(records, blind_index=blind_index)
    recs = prepared.recs
    idx = index.select(
        pl.col(c).cast(t) if c in index.columns else pl.lit(None, dtype=t).alias(c)
        for c, t in INDEX_SCHEMA.items()
    )
    idx = idx.with_columns(index["name_py"]) if "name_py" in index.columns else _with_pinyin(idx)

    # 1-2. Valid IDs on file: same person, or a conflict a clerk must see.
    known = idx.filter(pl.col("id_hash").is_not_null()).unique("id_hash", keep="first")
    on_file = recs.join(
        known.select("id_hash", "person_id", k_py="name_py", k_sex="sex", k_birth="birth_date"),
        on="id_hash",
        how="inner",
    )
    agrees = _agree("name_py", "k_py") & _agree("sex", "k_sex")
    exact = on_file.filter(agrees).select(
        "rid", "person_id", method=pl.lit("exact"), candidate_id=pl.lit(None, pl.Int64)
    )
    # A valid number rounded by Excel (float_precision_suspect) is someone else's number
    # in 10 of 11 cases, so disagreement sends it to the probabilistic pass, not to a clerk.
    conflict = on_file.filter(~agrees & (pl.col("id_error").fill_null("") != _SUSPECT)).select(
        "rid",
        person_id=pl.lit(None, pl.Int64),
        method=pl.lit("id_conflict"),
        candidate_id="person_id",
    )
    done = pl.concat([exact["rid"], conflict["rid"]])

    # 4 (before 3, so a repaired ID can also point at a person new in this batch).
    fresh = recs.filter(
        pl.col("id_hash").is_not_null()
        & ~pl.col("rid").is_in(done.implode())
        & ~pl.col("id_hash").is_in(known["id_hash"].implode())
        & (pl.col("id_error").fill_null("") != _SUSPECT)
    )
    new_keys = (
        fresh.sort("rid")
        .group_by("id_hash", maintain_order=True)
        .agg(pl.col("rid").first().alias("first_rid"))
        .with_row_index("k", offset=1)
        .select("id_hash", new_key=pl.col("k").cast(pl.Int64))
    )
    fresh = fresh.join(new_keys, on="id_hash", how="left")
    new_rows = fresh.select("rid", "new_key", method=pl.lit("new"))
    # The first row of each new ID stands for that new person in later passes.
    batch_persons = fresh.sort("rid").unique("new_key", keep="first", maintain_order=True)
    done = pl.concat([done, fresh["rid"]])

    # 3. Broken IDs one typo away from exactly one agreeing person.
    repair_pool = pl.concat(
        [
            known.select("id_hash", "person_id", "name", "name_py", "sex", "birth_date"),
            batch_persons.select(
                "id_hash",
                person_id=-pl.col("new_key"),
                name="name",
                name_py="name_py",
                sex="sex",
                birth_date="birth_date",
            ),
        ]
    )
    repaired = _repair(
        recs.filter(~pl.col("rid").is_in(done.implode())), repair_pool, prepared.candidates
    )
    done = pl.concat([done, repaired["rid"]])

    # 5. The rest: probabilistic, against the index and this batch's new persons.
    rest = recs.filter(~pl.col("rid").is_in(done.implode())).with_columns(
        # The guard trusts only a date it can rely on; scoring also takes a year and month.
        guard_birth=_guard_birth(),
        birth_date=pl.coalesce("birth_date", _raw_birth(pl.col("id_raw"), month=True)),
    )
    prob = _probabilistic(recs, rest, idx, batch_persons, exact, fresh, repaired)

    linked = (
        pl.concat(
            [
                exact.select(
                    "rid",
                    "person_id",
                    new_key=pl.lit(None, pl.Int64),
                    method="method",
                    match_weight=pl.lit(None, pl.Float64),
                    candidate_id="candidate_id",
                ),
                conflict.select(
                    "rid",
                    "person_id",
                    new_key=pl.lit(None, pl.Int64),
                    method="method",
                    match_weight=pl.lit(None, pl.Float64),
                    candidate_id="candidate_id",
                ),
                new_rows.select(
                    "rid",
                    person_id=pl.lit(None, pl.Int64),
                    new_key="new_key",
                    method="method",
                    match_weight=pl.lit(None, pl.Float64),
                    candidate_id=pl.lit(None, pl.Int64),
                ),
                repaired.select(
                    "rid",
                    person_id=pl.when(pl.col("person_id") > 0).then("person_id"),
                    new_key=pl.when(pl.col("person_id") < 0).then(-pl.col("person_id")),
                    method=pl.lit("repaired"),
                    match_weight=pl.lit(None, pl.Float64),
                    candidate_id=pl.lit(None, pl.Int64),
                ),
                prob,
            ],
            how="diagonal_relaxed",
        )
        .select(list(_OUT_SCHEMA))
        .cast(_OUT_SCHEMA)
    )
    return recs.select("rid").join(linked, on="rid", how="left", maintain_order="left")


# Index person keys handed to Splink for persons that are new in this very batch are
# negative (-new_key) so both kinds of candidate are scored in one pass.
def _probabilistic(
    recs: pl.DataFrame,
    rest: pl.DataFrame,
    idx: pl.DataFrame,
    batch_persons: pl.DataFrame,
    exact: pl.DataFrame,
    fresh: pl.DataFrame,
    repaired: pl.DataFrame,
) -> pl.DataFrame:
    if rest.is_empty():
        return pl.DataFrame(schema=_OUT_SCHEMA)
    key_base = int(batch_persons["new_key"].max() or 0)

    # What the neighbouring rows were linked to (persons as pid, batch-new as -new_key).
    resolved = pl.concat(
        [
            exact.select("rid", pid="person_id"),
            fresh.select("rid", pid=-pl.col("new_key")),
            repaired.select("rid", pid="person_id"),
        ]
    )
    by_rid = recs.select("rid").join(resolved, on="rid", how="left")
    left = rest.join(
        by_rid.select(rid=pl.col("rid") + 1, nb_prev="pid"), on="rid", how="left"
    ).join(by_rid.select(rid=pl.col("rid") - 1, nb_next="pid"), on="rid", how="left")
    left = _with_address_parts(
        left.with_columns(uid="r" + pl.col("rid").cast(pl.String), pid=pl.lit(None, pl.Int64))
    )
    right = pl.concat(
        [
            idx.select(
                "person_id",
                "name",
                "name_py",
                "sex",
                "birth_date",
                "phone_hash",
                "address",
                "district_code",
            ),
            batch_persons.select(
                person_id=-pl.col("new_key"),
                name="name",
                name_py="name_py",
                sex="sex",
                birth_date="birth_date",
                phone_hash="phone_hash",
                address="address",
                district_code="district_code",
            ),
        ]
    )
    right = _with_address_parts(
        right.with_columns(uid="p" + pl.col("person_id").cast(pl.String), pid="person_id")
    )

    out = []
    todo = left
    if not right.is_empty():
        # Only persons some blocking rule can pair with a leftover go to DuckDB: the same
        # pairs as blocking the whole index, without copying it over for every batch.
        reachable = (
            pl.col("name_py").is_in(left["name_py"].drop_nulls().implode())
            | pl.col("phone_hash").is_in(left["phone_hash"].drop_nulls().implode())
            | pl.col("pid").is_in(
                pl.concat([left["nb_prev"], left["nb_next"]]).drop_nulls().implode()
            )
        )
        pairs = _score(left, right.filter(reachable.fill_null(False)), right, PAIR_FLOOR)
        pairs = pairs.with_columns(
            rid=pl.col("uid_l").str.slice(1).cast(pl.Int64),
            pid=pl.col("uid_r").str.slice(1).cast(pl.Int64),
        )
        # The guard: a candidate that cannot be this person is dropped before ranking, so
        # it is neither linked, nor sent to review, nor a runner-up.
        pairs = pairs.join(_guard_side(left), on="rid", how="left").join(
            right.select("pid", *(pl.col(c).alias(f"r_{c}") for c in _GUARD)), on="pid"
        )
        pairs = (
            _with_name_keys(_with_name_keys(pairs), "r_")
            .filter(compatible("", "r_"))
            .select("rid", "pid", "match_weight")
        )
        ranked = pairs.sort(["rid", "match_weight", "pid"], descending=[False, True, False])
        best = ranked.group_by("rid", maintain_order=True).agg(
            pl.col("pid").first(),
            w1=pl.col("match_weight").first(),
            w2=pl.col("match_weight").get(1, null_on_oob=True),
        )
        margin = pl.col("w1") - pl.max_horizontal(pl.col("w2").fill_null(PAIR_FLOOR), PAIR_FLOOR)
        auto = (pl.col("w1") >= LINK_WEIGHT) & (margin >= LINK_MARGIN)
        ask = ~auto & (pl.col("w1") >= REVIEW_WEIGHT)
        linked = best.filter(auto)
        review = best.filter(ask)
        best = best.filter(auto | ask)
        out.append(
            linked.select(
                "rid",
                person_id=pl.when(pl.col("pid") > 0).then("pid"),
                new_key=pl.when(pl.col("pid") < 0).then(-pl.col("pid")),
                method=pl.lit("probabilistic"),
                match_weight="w1",
                candidate_id=pl.lit(None, pl.Int64),
            )
        )
        out.append(
            review.select(
                "rid",
                person_id=pl.lit(None, pl.Int64),
                new_key=pl.lit(None, pl.Int64),
                method=pl.lit("review"),
                match_weight="w1",
                candidate_id=pl.when(pl.col("pid") > 0).then("pid"),
            )
        )
        todo = left.filter(~pl.col("rid").is_in(best["rid"].implode()))

    if not todo.is_empty():
        # The leftovers that match nobody: unresolved, one group per cluster of rows.
        edges = pl.DataFrame(schema={"l": pl.Int64, "r": pl.Int64, "w": pl.Float64})
        if todo.height > 1:
            within = _score(
                todo,
                None,
                pl.concat([right.select("name_py"), todo.select("name_py")]),
                WITHIN_WEIGHT,
            )
            edges = within.select(
                l=pl.col("uid_l").str.slice(1).cast(pl.Int64),
                r=pl.col("uid_r").str.slice(1).cast(pl.Int64),
                w="match_weight",
            )
        comp = _clusters(_with_name_keys(_guard_side(todo)), edges)
        keys = comp.select("c").unique().sort("c").with_row_index("k", offset=key_base + 1)
        comp = comp.join(keys, on="c").select(rid="n", group_key=pl.col("k").cast(pl.Int64))
        out.append(
            comp.select(
                "rid",
                "group_key",
                person_id=pl.lit(None, pl.Int64),
                new_key=pl.lit(None, pl.Int64),
                method=pl.lit("unresolved"),
                match_weight=pl.lit(None, pl.Float64),
                candidate_id=pl.lit(None, pl.Int64),
            )
        )
    out.append(pl.DataFrame(schema=_OUT_SCHEMA))
    return pl.concat(out, how="diagonal_relaxed").select(list(_OUT_SCHEMA)).cast(_OUT_SCHEMA)


# -- preparing a parsed file -------------------------------------------------------------------

_DISTRICTS = {"海勃湾区": "150302", "海南区": "150303", "乌达区": "150304"}


def sha256_index(value: str) -> str:
    """A deterministic stand-in for the HMAC blind index (simulation and tests only)."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def prepare_records(
    accepted: pl.DataFrame, *, name_column: str | None, phone_hash: pl.Series | None
) -> pl.DataFrame:
    """The `records` frame for `link_batch` from a ParsedFile's accepted rows (rid = row).

    `phone_hash` is the blind index of the phone column, row-aligned (None: no phone)."""
    cols = accepted.columns

    def col(name: str, dtype: pl.DataType) -> pl.Expr:
        return pl.col(name).cast(dtype) if name in cols else pl.lit(None, dtype=dtype)

    id_birth = pl.col("id_number").str.slice(6, 8).str.to_date("%Y%m%d", strict=False)
    address = pl.coalesce(col("address", pl.String), col("hukou_address", pl.String))
    out = accepted.select(
        rid=pl.col("row").cast(pl.Int64),
        id_number=col("id_number", pl.String),
        id_raw=col("id_raw", pl.String),
        id_error=col("id_error", pl.String),
        name=col(name_column or "name", pl.String),
        sex=col("sex", pl.String),
        birth_date=pl.coalesce(col("birth_date", pl.Date), id_birth),
        address=address,
        district_code=pl.coalesce(
            col("grid_code", pl.String).str.slice(0, 6),
            address.str.extract(r"^(海勃湾区|海南区|乌达区)", 1).replace_strict(
                _DISTRICTS, default=None, return_dtype=pl.String
            ),
        ),
    )
    if phone_hash is None:
        phone_hash = pl.Series([None] * out.height, dtype=pl.String)
    return out.with_columns(phone_hash=phone_hash.cast(pl.String))


# -- growing the index ---------------------------------------------------------------------

_ATTRS = ("name", "sex", "birth_date", "phone_hash", "address", "district_code")


def new_persons(records: pl.DataFrame, links: pl.DataFrame, first_id: int) -> pl.DataFrame:
    """One new person per `new_key` of `links`, numbered from `first_id` in key order:
    new_key, person_id, rid and id_number of its first row (a row with a valid ID first, so
    the person can be found by that ID later), and that row's attributes."""
    return (
        links.filter(pl.col("new_key").is_not_null())
        .select("rid", "new_key")
        .join(records, on="rid")
        .sort(pl.col("id_number").is_null(), "rid")
        .unique("new_key", keep="first", maintain_order=True)
        .sort("new_key")
        .with_row_index("i")
        .select(
            "new_key",
            (pl.col("i") + first_id).cast(pl.Int64).alias("person_id"),
            "rid",
            "id_number",
            *_ATTRS,
        )
    )


def with_person_ids(links: pl.DataFrame, news: pl.DataFrame) -> pl.DataFrame:
    """`links` with `final_person_id`: the linked person, else the new person of its key."""
    return links.join(
        news.select("new_key", new_person_id="person_id"), on="new_key", how="left"
    ).with_columns(final_person_id=pl.coalesce("person_id", "new_person_id"))


def person_fills(records: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """person_id and, per attribute, the first value (by row) that this batch's rows linked to
    an existing person offer: what that person may lack (the caller keeps known values)."""
    return (
        links.filter(pl.col("person_id").is_not_null())
        .select("rid", "person_id")
        .join(records.select("rid", *_ATTRS), on="rid")
        .sort("rid")
        .group_by("person_id", maintain_order=True)
        .agg(pl.col(a).drop_nulls().first() for a in _ATTRS)
        .filter(pl.any_horizontal(pl.col(a).is_not_null() for a in _ATTRS))
    )


# -- scoring -----------------------------------------------------------------------------------


def evaluate(assign: pl.DataFrame, truth: pl.DataFrame) -> dict:
    """Precision and recall of `assign` (file, row, person_id, noid) against rows.parquet.

    Each of our persons stands for the truth person behind most of its rows; a row is
    correct when its person stands for the row's own truth person. Rows without a truth
    person (blank/malformed rows, outside legal representatives) are left out. Also
    reported: `split_rows`, correct rows that sit outside the largest of our persons for
    their truth person (the same resident twice in the archive, which the two main figures
    do not penalise).
    """
    df = assign.join(
        truth.select("file", "row", truth="person_id"), on=["file", "row"], how="inner"
    ).filter(pl.col("truth").is_not_null())
    major = (
        df.filter(pl.col("person_id").is_not_null())
        .group_by("person_id", "truth")
        .len()
        .sort(["person_id", "len", "truth"], descending=[False, True, False])
        .unique("person_id", keep="first")
        .select("person_id", maps="truth")
    )
    df = df.join(major, on="person_id", how="left").with_columns(
        correct=(pl.col("maps") == pl.col("truth")).fill_null(False)
    )
    main = (
        df.filter(pl.col("correct"))
        .group_by("truth", "person_id")
        .len()
        .sort(["truth", "len", "person_id"], descending=[False, True, False])
        .unique("truth", keep="first")
        .select("truth", main="person_id")
    )
    df = df.join(main, on="truth", how="left")

    def figures(d: pl.DataFrame, prefix: str) -> dict:
        linked = d.filter(pl.col("person_id").is_not_null())
        correct = int(d["correct"].sum())
        return {
            f"{prefix}precision": correct / linked.height if linked.height else 1.0,
            f"{prefix}recall": correct / d.height if d.height else 1.0,
            f"{prefix}rows": d.height,
            f"{prefix}split_rows": int(
                d.filter(pl.col("correct") & (pl.col("person_id") != pl.col("main"))).height
            ),
        }

    return figures(df, "") | figures(df.filter(pl.col("noid")), "noid_")


def whole_persons(assign: pl.DataFrame, truth: pl.DataFrame) -> dict:
    """Whole-person quality of `assign` (file, row, person_id) against rows.parquet.

    The row figures of `evaluate` can look perfect while one resident sits in the archive
    twice; these count people. B-cubed precision and recall average, over every row on a
    record, the share of its record's rows that are its true person's, and the share of its
    true person's rows on records that are on this one. Rows on no record (awaiting review,
    an ID conflict, an unresolved record) are counted apart as `unresolved_rows`, and
    `bcubed_recall_all` gives the recall with each of them a record of its own (what a
    resident would see until they are resolved). `split_persons`: true people whose rows
    sit on two or more records; `merged_records`: records holding rows of two or more true
    people; `surplus_persons`: records minus true people with a row on a record.
    """
    df = (
        assign.select("file", "row", "person_id")
        .join(truth.select("file", "row", truth="person_id"), on=["file", "row"], how="inner")
        .filter(pl.col("truth").is_not_null())
        .with_row_index("i")
        # for the _all figure a row on no record is a cluster of its own
        .with_columns(cluster=pl.coalesce(pl.col("person_id"), -1 - pl.col("i").cast(pl.Int64)))
    )

    def bcubed(rows: pl.DataFrame) -> tuple[float, float]:
        both = rows.group_by("cluster", "truth").agg(n=pl.len())
        sized = both.join(both.group_by("cluster").agg(c=pl.col("n").sum()), on="cluster").join(
            both.group_by("truth").agg(t=pl.col("n").sum()), on="truth"
        )
        if not rows.height:
            return 1.0, 1.0
        return (
            float((sized["n"] ** 2 / sized["c"]).sum() / rows.height),
            float((sized["n"] ** 2 / sized["t"]).sum() / rows.height),
        )

    on_record = df.filter(pl.col("person_id").is_not_null())
    precision, recall = bcubed(on_record)
    pairs = on_record.select("cluster", "truth").unique()
    records = pairs["cluster"].n_unique()
    return {
        "bcubed_precision": precision,
        "bcubed_recall": recall,
        "bcubed_recall_all": bcubed(df)[1],
        "true_persons": int(df["truth"].n_unique()),
        "records": records,
        "split_persons": int(pairs.group_by("truth").len().filter(pl.col("len") > 1).height),
        "merged_records": int(pairs.group_by("cluster").len().filter(pl.col("len") > 1).height),
        "surplus_persons": records - int(pairs["truth"].n_unique()),
        "unresolved_rows": df.height - on_record.height,
    }


def baseline(parsed_frames: Iterable[pl.DataFrame]) -> pl.DataFrame:
    """ID-only linkage: one person per valid ID number, every other row unlinked.

    Each frame needs file, row, id_number (a ParsedFile's accepted rows plus `file`)."""
    rows = pl.concat([f.select("file", "row", "id_number") for f in parsed_frames])
    return rows.select(
        "file",
        "row",
        person_id=pl.when(pl.col("id_number").is_not_null()).then(
            pl.col("id_number").rank("dense").cast(pl.Int64)
        ),
        noid=pl.col("id_number").is_null(),
    )


# -- the whole city ----------------------------------------------------------------------------


def _grow_index(
    index: pl.DataFrame,
    records: pl.DataFrame,
    links: pl.DataFrame,
    blind_index: Callable[[str], str],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The index after a batch, and the batch's rid → person_id: the importer's rules
    (new_persons, person_fills) applied in memory instead of to the Person table."""
    next_id = int(index["person_id"].max() or 0) + 1
    news = new_persons(records, links, next_id)
    ids = _hash_values(news["id_number"], blind_index)
    news = news.join(ids, on="id_number", how="left").rename({"h": "id_hash"})
    fills = person_fills(records, links)
    old = (
        index.join(fills, on="person_id", how="left", suffix="_f")
        .with_columns(pl.coalesce(a, f"{a}_f").alias(a) for a in _ATTRS)
        .select(index.columns)
    )
    grown = pl.concat([old, news.select(index.columns)], how="vertical_relaxed")
    by_rid = with_person_ids(links, news).select("rid", person_id="final_person_id")
    return grown, by_rid


def simulate(city_dir: str | Path, *, verbose: bool = True) -> dict:
    """Replay a synthetic city through link_batch and score it against its truth."""
    from minsheng.catalogue import registry
    from minsheng.sources.mapping import source_of
    from minsheng.sources.parse import read_source_file

    city = Path(city_dir)
    timings: dict[str, float] = {}
    files = sorted(
        ((source_of(p), p) for p in (city / "exports").iterdir()),
        key=lambda sp: (registry.import_rank(sp[0].name), sp[1].name),
    )
    index = pl.DataFrame(schema=INDEX_SCHEMA)
    assigned, parsed_frames, clerical = [], [], 0
    t_parse = t_prep = t_link = 0.0
    for src, path in files:
        name = src.name
        t0 = time.perf_counter()
        acc = read_source_file(path, src).accepted.with_columns(file=pl.lit(path.name))
        t1 = time.perf_counter()
        phone_hash = None
        if "phone" in acc.columns:
            hashed = _hash_values(acc["phone"], sha256_index)
            phone_hash = acc.select("phone").join(
                hashed, on="phone", how="left", maintain_order="left"
            )["h"]
        records = prepare_records(acc, name_column=src.name_column, phone_hash=phone_hash)
        t2 = time.perf_counter()
        result = link_batch(records, index, blind_index=sha256_index)
        t3 = time.perf_counter()
        index, by_rid = _grow_index(index, records, result, sha256_index)
        t_parse += t1 - t0
        t_prep += t2 - t1
        t_link += t3 - t2
        timings[name] = round(t3 - t2, 3)
        clerical += result.filter(pl.col("method") == "review").height
        assigned.append(
            acc.select("file", "row", noid=pl.col("id_number").is_null())
            .join(by_rid.rename({"rid": "row"}), on="row", how="left")
            .join(
                result.select(
                    row="rid",
                    method="method",
                    match_weight="match_weight",
                    candidate_id="candidate_id",
                ),
                on="row",
                how="left",
            )
        )
        parsed_frames.append(acc.select("file", "row", "id_number"))
        if verbose:
            counts = dict(result.group_by("method").len().iter_rows())
            print(
                f"{name:16s} {acc.height:8d} rows  link {t3 - t2:6.2f}s  {counts}", file=sys.stderr
            )
    detail = pl.concat(assigned)
    assign = detail.select("file", "row", "person_id", "noid")
    truth = pl.read_parquet(city / "truth" / "rows.parquet")
    ours = evaluate(assign, truth)
    base = evaluate(baseline(parsed_frames), truth)
    noid_rows = int(assign["noid"].sum())
    report = {
        "ours": ours,
        "baseline": base,
        "whole": whole_persons(assign, truth),
        "clerical_rows": clerical,
        "clerical_share": clerical / noid_rows if noid_rows else 0.0,
        "persons": index.height,
        "seconds": {
            "parse": round(t_parse, 2),
            "prepare": round(t_prep, 2),
            "link": round(t_link, 2),
            "per_source": timings,
        },
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if verbose:
        for k, v in report.items():
            print(f"{k}: {v}")
    return report | {"detail": detail, "index": index}


if __name__ == "__main__":  # pragma: no cover
    if len(sys.argv) != 2:
        sys.exit("usage: python -m minsheng.sources.linkage CITY_DIR")
    simulate(sys.argv[1])
