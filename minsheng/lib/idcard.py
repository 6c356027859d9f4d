"""Resident ID numbers (公民身份号码, GB 11643-1999).

An 18-character number is a 6-digit area code, an 8-digit birth date (YYYYMMDD), a 3-digit
sequence (odd = male) and an ISO 7064 MOD 11-2 check character (0-9 or X).

Department exports mangle these numbers in predictable ways (full-width digits, lower-case
x, spaces, dashes, Excel floats, 15-digit legacy numbers). `normalize` undoes what can be
undone exactly and rejects everything else with a machine-readable code; it never guesses.
`repair_candidates` lists possible corrections for record linkage, leaving the choice to a
caller that has other evidence.

Area codes are deliberately checked only down to the province: a number issued after a
district was created carries the new code even for people born long before, so rejecting
"area code newer than birth year" (as python-stdnum does) would reject real people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

__all__ = [
    "ERROR_CODES",
    "PROVINCE_CODES",
    "IdInfo",
    "InvalidIdNumber",
    "check_char",
    "is_valid",
    "normalize",
    "parse",
    "repair_candidates",
]

ERROR_CODES = frozenset(
    {
        "empty",
        "bad_chars",
        "bad_length",
        "bad_birth_date",
        "bad_check_digit",
        "bad_area_code",
        "float_precision_lost",
    }
)

# First two digits of GB/T 2260 codes; 83 is used by Taiwan residents' residence permits.
PROVINCE_CODES = frozenset(
    [str(n) for n in (*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47))]
    + [str(n) for n in (*range(50, 55), *range(61, 66), 71, 81, 82, 83)]
)

# GB 11643 itself uses a person born 1880-01-01 as its worked example, so that is the floor.
EARLIEST_BIRTH = date(1880, 1, 1)

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"

# Full-width ASCII (U+FF01..U+FF5E) sits at a fixed offset from ASCII; mapping the whole
# block also turns full-width '．', '＋' and 'Ｅ' into parts of a recognisable float.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
# Whitespace (incl. U+3000 and NBSP), zero-width characters and every common dash.
_NOISE = re.compile(r"[\s\u200b\u200c\u200d\ufeff\-\u2010-\u2015\u2212]+")
# [0-9], not \d: \d also matches other scripts' digits, which int() would happily accept.
_DECIMAL_FORM = re.compile(r"([0-9]+)\.0*")
_EXPONENT_FORM = re.compile(r"[0-9]+(\.[0-9]*)?[eE]\+?[0-9]+")
_SHAPE = re.compile(r"[0-9]*X?")


class InvalidIdNumber(ValueError):
    """An input that is not, and cannot exactly be turned into, a valid ID number.

    `code` is one of ERROR_CODES (for reports and counting); `reason` is an English
    sentence naming the value (for people); `value` is the input as given.
    """

    def __init__(self, code: str, reason: str, value: str | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.value = value

    def __reduce__(self):  # keep code and value when crossing process boundaries
        return (type(self), (self.code, self.reason, self.value))


@dataclass(frozen=True)
class IdInfo:
    number: str
    area_code: str  # 6 digits, e.g. "150302"
    birth_date: date
    sex: str  # "M" or "F"
    province_code: str  # 6-digit GB/T 2260 form, e.g. "150000", to join with area tables


def check_char(body17: str) -> str:
    """Return the MOD 11-2 check character for the first 17 digits of an ID number."""
    if len(body17) != 17 or not (body17.isascii() and body17.isdigit()):
        raise ValueError(f"check_char needs exactly 17 ASCII digits, got {body17!r}")
    total = sum(int(d) * w for d, w in zip(body17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def _clean(raw: str | None) -> str:
    """Undo formatting noise only; the result may still be invalid."""
    if raw is None:
        return ""
    text = raw.strip().translate(_FULL_WIDTH)
    # Excel's "force text" prefix survives some exports.
    text = _NOISE.sub("", text.removeprefix("'"))
    return text.replace("x", "X")


def _from_float_form(text: str, raw: str) -> str:
    """Turn an Excel float rendering back into digits, if and only if no digit was lost."""
    if m := _DECIMAL_FORM.fullmatch(text):
        return m.group(1)
    if _EXPONENT_FORM.fullmatch(text):
        try:
            value = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the regex admits only valid literals
            raise InvalidIdNumber("bad_chars", f"{raw!r} is not a number", raw) from None
        if value != value.to_integral_value():
            raise InvalidIdNumber("bad_chars", f"{raw!r} is not a whole number", raw)
        _sign, digits, exponent = value.as_tuple()
        length = len(digits) + int(exponent)
        if length not in (15, 18):
            raise InvalidIdNumber("bad_length", f"{raw!r} is a {length}-digit number", raw)
        # A positive exponent means trailing digits were never written down: Excel keeps
        # only 15 significant digits, so an 18-digit number in this form is unrecoverable.
        if int(exponent) > 0:
            raise InvalidIdNumber(
                "float_precision_lost",
                f"{raw!r} is an ID number that a spreadsheet stored as a float; "
                "its last digits are lost and must be re-entered from the source",
                raw,
            )
        return str(int(value))
    return text


def _problem(number: str, today: date | None) -> tuple[str, str] | None:
    """Validate an 18-character candidate; return (code, detail) or None if valid."""
    if number[:2] not in PROVINCE_CODES:
        return "bad_area_code", f"area code {number[:6]} names no province"
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "bad_birth_date", f"birth date {number[6:14]} is not a calendar date"
    if born < EARLIEST_BIRTH or born > (today or date.today()):
        return "bad_birth_date", f"birth date {born.isoformat()} is out of range"
    expected = check_char(number[:17])
    if number[17] != expected:
        return "bad_check_digit", f"check character is {number[17]} but must be {expected}"
    return None


def normalize(raw: str, *, today: date | None = None) -> str:
    """Return the canonical 18-character form of an ID number or raise InvalidIdNumber.

    Idempotent. `today` bounds birth dates (defaults to the current date).
    """
    text = _clean(raw)
    if not text:
        raise InvalidIdNumber("empty", f"{raw!r} contains no ID number", raw)
    text = _from_float_form(text, raw)
    if not _SHAPE.fullmatch(text):
        raise InvalidIdNumber(
            "bad_chars", f"{raw!r} has characters other than digits and a final X", raw
        )
    if len(text) == 15:
        if text.endswith("X"):
            raise InvalidIdNumber(
                "bad_chars", f"{raw!r} is a 15-digit legacy number, which has no X", raw
            )
        # Legacy numbers omit the century (always 19) and the check character.
        body = text[:6] + "19" + text[6:]
        text = body + check_char(body)
    elif len(text) != 18:
        raise InvalidIdNumber(
            "bad_length", f"{raw!r} has {len(text)} characters, not 18 (or 15)", raw
        )
    if problem := _problem(text, today):
        code, detail = problem
        raise InvalidIdNumber(code, f"{raw!r} is not a valid ID number: {detail}", raw)
    return text


def is_valid(raw: str, *, today: date | None = None) -> bool:
    try:
        normalize(raw, today=today)
    except InvalidIdNumber:
        return False
    return True


def parse(raw: str, *, today: date | None = None) -> IdInfo:
    """Normalise and split an ID number into its parts; raises InvalidIdNumber."""
    number = normalize(raw, today=today)
    return IdInfo(
        number=number,
        area_code=number[:6],
        birth_date=date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
        sex="M" if int(number[16]) % 2 else "F",
        province_code=number[:2] + "0000",
    )


def repair_candidates(raw: str, *, today: date | None = None) -> list[str]:
    """List every valid number one digit substitution or adjacent swap away from `raw`.

    Only for inputs that clean up to 18 characters but fail validation; valid input and
    input of any other shape give []. The list is sorted and may hold several candidates:
    choosing one is the caller's job, and only with independent evidence (name, birth
    date from another source, ...).
    """
    try:
        text = _from_float_form(_clean(raw), raw or "")
    except InvalidIdNumber:
        return []
    if len(text) != 18 or not re.fullmatch(r"[0-9X]{18}", text) or is_valid(text, today=today):
        return []
    chars = list(text)
    candidates: set[str] = set()
    for i in range(17):
        original = chars[i]
        for digit in "0123456789":
            if digit != original:
                chars[i] = digit
                candidates.add("".join(chars))
        chars[i] = original
    if text[:17].isdigit():
        # The check position admits exactly one valid character for an unchanged body.
        candidates.add(text[:17] + check_char(text[:17]))
    for i in range(17):
        if chars[i] != chars[i + 1]:
            swapped = chars.copy()
            swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
            candidates.add("".join(swapped))
    return sorted(
        c
        for c in candidates
        if c[:17].isdigit() and c[17] in "0123456789X" and _problem(c, today) is None
    )
