"""Identifiers, vectorised: resident ID numbers (GB 11643), USCC (GB 32100), phones.

The per-value reference implementations live in minsheng.lib.idcard; the tests
cross-check these array versions against it.
"""

from __future__ import annotations

import numpy as np
import polars as pl

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = np.array(list("10X98765432"))

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)

_POW10 = 10 ** np.arange(16, -1, -1, dtype=np.int64)


def id_bodies(area: np.ndarray, birth_ymd: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """The first 17 digits as one int64 (area · 10^11 + yyyymmdd · 10^3 + sequence)."""
    return area.astype(np.int64) * 10**11 + birth_ymd.astype(np.int64) * 1000 + seq.astype(np.int64)


def id_check_chars(bodies: np.ndarray) -> np.ndarray:
    digits = (bodies[:, None] // _POW10[None, :]) % 10
    return ID_CHECK[(digits * ID_WEIGHTS).sum(axis=1) % 11]


def id_numbers(area: np.ndarray, birth_ymd: np.ndarray, seq: np.ndarray) -> pl.Series:
    bodies = id_bodies(area, birth_ymd, seq)
    checks = id_check_chars(bodies)
    return (
        pl.Series(bodies).cast(pl.String).str.zfill(17) + pl.Series(checks.astype("U1"))
    ).rename("id_number")


def unique_sequences(
    rng: np.random.Generator, area: np.ndarray, birth_ymd: np.ndarray, male: np.ndarray
) -> np.ndarray:
    """3-digit sequences, odd for men, unique within (area, birth date)."""
    n = len(area)
    seq = rng.integers(0, 500, n) * 2 + male.astype(np.int64)
    for _ in range(50):
        key = id_bodies(area, birth_ymd, seq)
        _, first, counts = np.unique(key, return_index=True, return_counts=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        if not dup.any():
            return seq
        seq[dup] = rng.integers(0, 500, int(dup.sum())) * 2 + male[dup].astype(np.int64)
    raise RuntimeError("could not make ID sequences unique")


def id15(id18: pl.Expr) -> pl.Expr:
    """The legacy 15-digit form: area + yymmdd + sequence, no century, no check."""
    return id18.str.slice(0, 6) + id18.str.slice(8, 9)


def excel_float_text(id18: pl.Expr, scientific: pl.Expr) -> pl.Expr:
    """What Excel shows after it parsed an 18-digit ID as a number (15 significant digits)."""
    mant = ((id18.str.slice(0, 18).cast(pl.Int64, strict=False) + 500) // 1000).cast(pl.String)
    sci = mant.str.slice(0, 1) + "." + mant.str.slice(1).str.strip_chars_end("0") + "E+17"
    return pl.when(scientific).then(sci).otherwise(mant + "000")


def excel_float_value(id18: str) -> float:
    return float((int(id18) + 500) // 1000 * 1000)


# -- USCC ------------------------------------------------------------------------------


def _uscc_values(chars: np.ndarray) -> np.ndarray:
    lut = np.full(128, -1, dtype=np.int64)
    for i, c in enumerate(USCC_ALPHABET):
        lut[ord(c)] = i
    return lut[chars]


def _org_values(chars: np.ndarray) -> np.ndarray:
    # GB 11714: digits keep their value, letters count from A = 10.
    return np.where(chars <= ord("9"), chars - ord("0"), chars - ord("A") + 10)


def uscc_codes(
    rng: np.random.Generator, kind_prefix: list[str], area: list[str], new_style: np.ndarray
) -> list[str]:
    """Valid 18-character USCCs.

    kind_prefix is the 2-character registration authority + entity type (91 企业, 92 个体工商户,
    93 合作社, 11 机关, 12 事业单位). Old-style entities carry an 8-digit organization code;
    those registered after the 2015 reform get "MA" + 6 alphanumerics, as real ones do.
    """
    n = len(kind_prefix)
    alpha = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
    digits = np.frombuffer(b"0123456789", dtype=np.uint8)
    org = digits[rng.integers(0, 10, (n, 8))]
    org[:, 0] = digits[rng.integers(1, 10, n)]
    ma = rng.integers(0, len(alpha), (n, 6))
    org[new_style, 0] = ord("M")
    org[new_style, 1] = ord("A")
    org[new_style, 2:] = alpha[ma[new_style]]
    c9 = 11 - (_org_values(org.astype(np.int64)) * ORG_WEIGHTS).sum(axis=1) % 11
    org_check = np.where(c9 == 10, ord("X"), np.where(c9 == 11, ord("0"), ord("0") + c9))
    head = np.frombuffer(
        "".join(p + a for p, a in zip(kind_prefix, area, strict=True)).encode(), dtype=np.uint8
    )
    head = head.reshape(n, 8)
    body = np.concatenate([head, org, org_check[:, None].astype(np.uint8)], axis=1)
    s = (_uscc_values(body.astype(np.int64)) * USCC_WEIGHTS).sum(axis=1) % 31
    check = alpha[(31 - s) % 31]
    full = np.concatenate([body, check[:, None]], axis=1).astype(np.uint8)
    return [bytes(row).decode() for row in full]


def uscc_check_char(body17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * int(w) for c, w in zip(body17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_is_valid(code: str) -> bool:
    """GB 32100-2015 shape and check character (as python-stdnum's cn.uscc checks it)."""
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    if not code[2:8].isdigit():
        return False
    return uscc_check_char(code[:17]) == code[17]


def org_code_is_valid(code9: str) -> bool:
    vals = [int(c) if c.isdigit() else ord(c) - ord("A") + 10 for c in code9[:8]]
    c9 = 11 - sum(v * int(w) for v, w in zip(vals, ORG_WEIGHTS, strict=True)) % 11
    return code9[8] == ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))


# -- phones ---------------------------------------------------------------------------

_MOBILE_PREFIX = np.array(
    [
        130,
        131,
        132,
        133,
        135,
        136,
        137,
        138,
        139,
        147,
        150,
        151,
        152,
        155,
        156,
        157,
        158,
        159,
        166,
        173,
        177,
        180,
        181,
        182,
        183,
        185,
        186,
        187,
        188,
        189,
        191,
        198,
        199,
    ],
    dtype=np.int64,
)


def mobile_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    nums = _MOBILE_PREFIX[rng.integers(0, len(_MOBILE_PREFIX), n)] * 10**8 + rng.integers(
        0, 10**8, n
    )
    return nums.astype("U11")
