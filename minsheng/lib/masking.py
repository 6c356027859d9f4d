"""Default display masks for sensitive items (DESIGN.md §7).

Masking is for display and export, not validation: the functions work on whatever string
they get and, when its shape is unexpected, hide more rather than less. None and "" are
returned unchanged so callers can pass nullable columns straight through.

The data dictionary names a rule per item by string; `MASKERS` maps those names here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = [
    "COMPOUND_SURNAMES",
    "MASKERS",
    "mask_address",
    "mask_bank_account",
    "mask_id",
    "mask_name",
    "mask_phone",
]

COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
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
        "钟离",
        "端木",
    ]
)

# The first community-level word ends the part of an address that may be shown. The
# earliest match wins because it can only cut too early (新村社区 → 新村***), never too late.
_COMMUNITY = re.compile(r"社区|嘎查|村")
# Without a community, fall back to the street or town, which is coarser and still useful.
_TOWN = re.compile(r"街道|镇|苏木|乡")
_SPACES = re.compile(r"\s+")


def mask_id(number: str | None) -> str | None:
    """150302199001011234 → 150302********1234; other shapes are masked entirely."""
    if not number:
        return number
    value = number.strip()
    if len(value) in (15, 18):
        return value[:6] + "*" * (len(value) - 10) + value[-4:]
    # Not an ID's shape, so no part of it is known to be harmless to show.
    return "*" * len(value)


def mask_name(name: str | None) -> str | None:
    """张三丰 → 张**; 欧阳修 → 欧阳*."""
    if not name:
        return name
    value = name.strip()
    keep = 2 if value[:2] in COMPOUND_SURNAMES else 1
    return value[:keep] + "*" * (len(value) - keep)


def mask_phone(phone: str | None) -> str | None:
    """13812345678 → 138****5678; numbers too short to hide four digits are fully masked."""
    if not phone:
        return phone
    value = _SPACES.sub("", phone)
    if len(value) < 11:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_address(address: str | None, community: str | None = None) -> str | None:
    """Keep the address down to its community (社区/村/嘎查) and hide the rest as '***'.

    With `community` (the resident's known community name) the cut is right after it.
    Without any recognisable community the address is kept down to its street or town,
    and without that nothing is shown.
    """
    if not address:
        return address
    end = -1
    if community and (pos := address.find(community)) >= 0:
        end = pos + len(community)
    elif match := _COMMUNITY.search(address) or _TOWN.search(address):
        end = match.end()
    if end < 0:
        return "***"
    return address[:end] + ("***" if address[end:] else "")


def mask_bank_account(account: str | None) -> str | None:
    """6222021234567890123 → ***************0123 (the last four only)."""
    if not account:
        return account
    value = _SPACES.sub("", account)
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]


def _no_mask(value: str | None) -> str | None:
    return value


MASKERS: dict[str, Callable[[str | None], str | None]] = {
    "id": mask_id,
    "name": mask_name,
    "phone": mask_phone,
    "address": mask_address,
    "bank": mask_bank_account,
    "none": _no_mask,
}
