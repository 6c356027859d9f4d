"""Which natural person is behind an account.

The staff number (工号) names the person; it is unique across accounts (a database
constraint), stored normalised (`normalize_staff_no`). Rules that need two different people
(the two-person approval of a policy run, 三员分立) ask `same_natural_person`, which also
catches accounts whose staff numbers differ only in case, width or surrounding space (rows
written before normalisation, or by hand).
"""

from __future__ import annotations

import unicodedata


def normalize_staff_no(staff_no: str | None) -> str:
    """The canonical form of a staff number: NFKC (full-width → ASCII), no surrounding
    or inner white space, upper case."""
    text = unicodedata.normalize("NFKC", staff_no or "")
    return "".join(text.split()).upper()


def same_natural_person(a, b) -> bool:
    """Whether accounts `a` and `b` (users, or None) belong to one natural person: the same
    account, or the same non-empty staff number."""
    if a is None or b is None:
        return False
    if a.pk is not None and a.pk == b.pk:
        return True
    if a is b:
        return True
    staff_a = normalize_staff_no(getattr(a, "staff_no", ""))
    return bool(staff_a) and staff_a == normalize_staff_no(getattr(b, "staff_no", ""))
