"""How a grid worker reads a resident's items on a card (the phone's task card, the
doorplate's house): masked per the dictionary when sensitive (a grid worker may never
reveal), otherwise as the archive's profile shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from minsheng.catalogue import dictionary


@dataclass
class CardLine:
    code: str
    label: str
    value: str | None


def shown(item: dictionary.Item, value) -> str | None:
    """A value as a grid worker reads it: masked per the dictionary when sensitive (they
    may never reveal), otherwise formatted as the archive's profile shows it."""
    if value is None or value == "":
        return None
    if item.sensitive:
        return str(item.mask(value))
    if item.type == "code":
        return item.label(value) or str(value)
    if item.type == "boolean" and isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if item.type == "date" and isinstance(value, date):
        return value.isoformat()
    if item.unit:
        return f"{value} {item.unit}"
    return str(value)
