"""The archive's data dictionary: 13 categories and 122 items (DESIGN.md §4).

`dictionary.toml` beside this module is the one definition of every archive item: its
names, type and code list, the department sources that feed it, how conflicting sources
are resolved, its sensitivity, masking rule and whether it is encrypted at rest. This
module loads that file once, validates it and answers questions about it. It is plain
Python (no Django) so importers, the archive builder, the rule compiler and tests can all
use it.

Public API: `categories()`, `items()`, `item(code)`, `items_by_category()`,
`items_from_source(source)`, `SOURCES`, and `load(text)` to validate any TOML text
(raising `DictionaryError` that names each offending item and its problem).
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from minsheng.lib.masking import MASKERS

from .registry import LABELS

__all__ = [
    "PATH",
    "RESOLUTIONS",
    "SOURCES",
    "TYPES",
    "UNITS",
    "Category",
    "Dictionary",
    "DictionaryError",
    "Item",
    "Sensitivity",
    "categories",
    "dictionary",
    "item",
    "items",
    "items_by_category",
    "items_from_source",
    "load",
]

PATH = Path(__file__).with_name("dictionary.toml")

SOURCES = LABELS  # every origin of a fact, declared once in the source registry

TYPES = frozenset({"string", "code", "date", "integer", "decimal", "boolean"})
RESOLUTIONS = ("authoritative", "most_recent", "derived", "single")
UNITS = frozenset({"元", "万元", "月", "年", "岁", "人"})


class Sensitivity(IntEnum):
    PUBLIC = 1  # 局内公开 public within the bureau
    INTERNAL = 2  # 内部
    SENSITIVE = 3  # 敏感个人信息
    HIGHLY_SENSITIVE = 4  # 高度敏感: ID, phone, bank account, health, assistance


_CATEGORY_CODE = re.compile(r"[a-z][a-z0-9_]*")
_ITEM_CODE = re.compile(r"([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)")
_CATEGORY_KEYS = frozenset({"code", "name_zh", "name_en", "order"})
_REQUIRED = (
    "code",
    "name_zh",
    "name_en",
    "category",
    "type",
    "sources",
    "resolution",
    "sensitivity",
    "masking",
    "encrypted",
    "keep_provenance",
    "description_zh",
)
_OPTIONAL = ("codes", "unit", "authority", "derivation", "inputs", "masking_note")
_ITEM_KEYS = frozenset(_REQUIRED + _OPTIONAL)
_HIDDEN = "***"


class DictionaryError(ValueError):
    """The dictionary is invalid. `problems` lists (item code or location, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = list(problems)
        lines = [f"{where}: {message}" for where, message in self.problems]
        head = "invalid data dictionary" + (f" ({len(lines)} problems)" if len(lines) > 1 else "")
        super().__init__(head + ":\n  " + "\n  ".join(lines))


@dataclass(frozen=True)
class Category:
    code: str
    name_zh: str
    name_en: str
    order: int


@dataclass(frozen=True)
class Item:
    code: str
    name_zh: str
    name_en: str
    category: str
    type: str
    sources: tuple[str, ...]
    resolution: str
    sensitivity: Sensitivity
    masking: str
    encrypted: bool
    keep_provenance: bool
    description_zh: str
    codes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    unit: str | None = None
    authority: tuple[str, ...] = ()
    derivation: str | None = None
    inputs: tuple[str, ...] = ()
    masking_note: str | None = None

    @property
    def sensitive(self) -> bool:
        """Level 3 or 4: masked by default, full value only with a grant and a reason."""
        return self.sensitivity >= Sensitivity.SENSITIVE

    def label(self, value: str | None) -> str | None:
        """The Chinese label of a code value (None for a value not in the code list)."""
        return None if value is None else self.codes.get(str(value))

    def value_for(self, label: str) -> str | None:
        """The code value whose label is `label` (the reverse of `label`)."""
        for value, text in self.codes.items():
            if text == label:
                return value
        return None

    def mask(self, value: Any) -> Any:
        """The value as shown without a grant to see it in full.

        String items go through their masking rule. A sensitive item that cannot be partly
        hidden (masking "none" with a masking_note) is hidden entirely; other items are
        shown as they are. None and "" pass through.
        """
        if value is None or value == "":
            return value
        if self.masking != "none":
            return MASKERS[self.masking](str(value))
        return _HIDDEN if self.sensitive else value


@dataclass(frozen=True)
class Dictionary:
    categories: tuple[Category, ...]
    items: tuple[Item, ...]
    by_code: Mapping[str, Item] = field(hash=False, repr=False)
    by_category: Mapping[str, tuple[Item, ...]] = field(hash=False, repr=False)

    def item(self, code: str) -> Item:
        try:
            return self.by_code[code]
        except KeyError:
            raise KeyError(f"no dictionary item {code!r}") from None

    def items_from_source(self, source: str) -> tuple[Item, ...]:
        if source not in SOURCES:
            raise KeyError(f"unknown source {source!r}; known: {', '.join(SOURCES)}")
        return tuple(i for i in self.items if source in i.sources)


# -- validation ---------------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.found: list[tuple[str, str]] = []

    def add(self, where: str, message: str) -> None:
        self.found.append((where, message))


def _text(raw: Mapping[str, Any], key: str, where: str, problems: _Problems) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.add(where, f"{key} must be a non-empty string, got {value!r}")
        return ""
    return value


def _string_list(
    raw: Mapping[str, Any], key: str, where: str, problems: _Problems
) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(where, f"{key} must be a list of strings, got {value!r}")
        return ()
    duplicates = sorted({v for v in value if value.count(v) > 1})
    if duplicates:
        problems.add(where, f"{key} lists {', '.join(duplicates)} more than once")
    return tuple(value)


def _categories(raw: Any, problems: _Problems) -> list[Category]:
    if not isinstance(raw, list) or not raw:
        problems.add("categories", "need a non-empty [[categories]] array of tables")
        return []
    out: list[Category] = []
    codes: set[str] = set()
    orders: set[int] = set()
    for n, entry in enumerate(raw, 1):
        if not isinstance(entry, dict):
            problems.add(f"category #{n}", "must be a table")
            continue
        code = entry.get("code")
        where = f"category {code}" if isinstance(code, str) else f"category #{n}"
        if unknown := sorted(set(entry) - _CATEGORY_KEYS):
            problems.add(where, f"unknown field(s) {', '.join(unknown)}")
        if not isinstance(code, str) or not _CATEGORY_CODE.fullmatch(code):
            problems.add(where, f"code must be snake_case, got {code!r}")
            continue
        if code in codes:
            problems.add(where, "duplicate category code")
        codes.add(code)
        name_zh = _text(entry, "name_zh", where, problems)
        name_en = _text(entry, "name_en", where, problems)
        order = entry.get("order")
        if not isinstance(order, int) or isinstance(order, bool) or order < 1:
            problems.add(where, f"order must be a positive integer, got {order!r}")
            order = 0
        elif order in orders:
            problems.add(where, f"order {order} is used by another category")
        orders.add(order)
        out.append(Category(code, name_zh, name_en, order))
    return out


def _item(n: int, raw: Any, categories: Mapping[str, Category], problems: _Problems) -> Item | None:
    if not isinstance(raw, dict):
        problems.add(f"item #{n}", "must be a table")
        return None
    code = raw.get("code")
    where = code if isinstance(code, str) and code else f"item #{n}"
    before = len(problems.found)

    if unknown := sorted(set(raw) - _ITEM_KEYS):
        problems.add(where, f"unknown field(s) {', '.join(unknown)}")
    if missing := [k for k in _REQUIRED if k not in raw]:
        problems.add(where, f"missing field(s) {', '.join(missing)}")
        return None

    category = raw["category"]
    match = _ITEM_CODE.fullmatch(code) if isinstance(code, str) else None
    if match is None:
        problems.add(where, f"code must be '<category>.<snake_case>', got {code!r}")
    elif match.group(1) != category:
        problems.add(where, f"code prefix {match.group(1)!r} does not match category {category!r}")
    if category not in categories:
        problems.add(where, f"unknown category {category!r}")

    name_zh = _text(raw, "name_zh", where, problems)
    name_en = _text(raw, "name_en", where, problems)
    description = _text(raw, "description_zh", where, problems)

    type_ = raw["type"]
    if type_ not in TYPES:
        problems.add(where, f"bad type {type_!r}; use one of {', '.join(sorted(TYPES))}")

    codes = raw.get("codes")
    if type_ == "code":
        if not isinstance(codes, dict) or not codes:
            problems.add(where, "type code needs a non-empty codes table (value → label)")
            codes = {}
        else:
            bad = [
                v for v, label in codes.items() if not v or not isinstance(label, str) or not label
            ]
            if bad:
                problems.add(where, f"codes need non-empty values and string labels: {bad!r}")
            labels = [label for label in codes.values() if isinstance(label, str)]
            if dupes := sorted({label for label in labels if labels.count(label) > 1}):
                problems.add(where, f"codes repeat label(s) {', '.join(dupes)}")
    elif codes is not None:
        problems.add(where, f"codes are only for type code, not {type_!r}")
        codes = {}
    else:
        codes = {}

    unit = raw.get("unit")
    if unit is not None:
        if type_ not in ("integer", "decimal"):
            problems.add(where, f"unit is only for integer or decimal items, not {type_!r}")
        elif unit not in UNITS:
            problems.add(where, f"unknown unit {unit!r}; use one of {', '.join(sorted(UNITS))}")

    sources = _string_list(raw, "sources", where, problems)
    for source in sources:
        if source not in SOURCES:
            problems.add(where, f"unknown source {source!r}")

    resolution = raw["resolution"]
    authority = _string_list(raw, "authority", where, problems)
    inputs = _string_list(raw, "inputs", where, problems)
    derivation = raw.get("derivation")
    if resolution not in RESOLUTIONS:
        problems.add(where, f"bad resolution {resolution!r}; use one of {', '.join(RESOLUTIONS)}")
    if resolution == "authoritative":
        if len(sources) < 2:
            problems.add(where, "authoritative needs at least two sources (use single for one)")
        if not authority:
            problems.add(
                where, "authoritative needs an authority list (sources in order, first wins)"
            )
        for source in authority:
            if source not in sources:
                problems.add(where, f"authority lists {source!r}, which is not among its sources")
        if authority and (unranked := [s for s in sources if s not in authority]):
            problems.add(where, f"authority does not rank source(s) {', '.join(unranked)}")
    elif "authority" in raw:
        problems.add(where, f"authority is only for authoritative resolution, not {resolution!r}")
    if resolution == "most_recent" and len(sources) < 2:
        problems.add(where, "most_recent needs at least two sources (use single for one)")
    if resolution == "single" and len(sources) != 1:
        problems.add(where, f"single needs exactly one source, has {len(sources)}")
    if resolution == "derived":
        if not isinstance(derivation, str) or not derivation.strip():
            problems.add(where, "derived needs a derivation naming the rule")
        if not inputs:
            problems.add(where, "derived needs inputs (the item codes it is computed from)")
    else:
        if "derivation" in raw:
            problems.add(where, f"derivation is only for derived resolution, not {resolution!r}")
        if "inputs" in raw:
            problems.add(where, f"inputs are only for derived resolution, not {resolution!r}")
        if not sources:
            problems.add(where, "no source feeds it and it is not derived")

    sensitivity = raw["sensitivity"]
    if (
        not isinstance(sensitivity, int)
        or isinstance(sensitivity, bool)
        or not 1 <= sensitivity <= 4
    ):
        problems.add(where, f"sensitivity must be 1, 2, 3 or 4, got {sensitivity!r}")
        sensitivity = 1

    masking = raw["masking"]
    note = raw.get("masking_note")
    if masking not in MASKERS:
        problems.add(where, f"unknown masking rule {masking!r}; use one of {', '.join(MASKERS)}")
    elif masking != "none" and type_ != "string":
        problems.add(where, f"masking rule {masking!r} works on text, not on type {type_!r}")
    if note is not None and (not isinstance(note, str) or not note.strip()):
        problems.add(where, "masking_note must be a non-empty string")
    if masking == "none" and sensitivity >= Sensitivity.SENSITIVE and not note:
        problems.add(
            where,
            f"sensitivity {sensitivity} needs a masking rule other than 'none', "
            "or a masking_note saying why masking makes no sense",
        )
    if note is not None and masking != "none":
        problems.add(where, f"masking_note explains a missing mask, but the rule is {masking!r}")

    encrypted = raw["encrypted"]
    keep_provenance = raw["keep_provenance"]
    for key, value in (("encrypted", encrypted), ("keep_provenance", keep_provenance)):
        if not isinstance(value, bool):
            problems.add(where, f"{key} must be true or false, got {value!r}")
    if encrypted is True:
        if type_ != "string":
            problems.add(where, f"encrypted items must be strings (blind index), not {type_!r}")
        if sensitivity < Sensitivity.SENSITIVE:
            problems.add(where, f"encrypted but sensitivity is only {sensitivity}")
    if keep_provenance is True and resolution == "derived":
        problems.add(where, "derived items carry their inputs' provenance: keep_provenance = false")

    if len(problems.found) > before:
        return None
    return Item(
        code=code,
        name_zh=name_zh,
        name_en=name_en,
        category=category,
        type=type_,
        sources=sources,
        resolution=resolution,
        sensitivity=Sensitivity(sensitivity),
        masking=masking,
        encrypted=encrypted,
        keep_provenance=keep_provenance,
        description_zh=description,
        codes=MappingProxyType(dict(codes)),
        unit=unit,
        authority=authority,
        derivation=derivation,
        inputs=inputs,
        masking_note=note,
    )


def _check_inputs(items: Mapping[str, Item], declared: set[str], problems: _Problems) -> None:
    # `declared` holds every code in the file, so an item that failed its own checks is
    # reported once, not again as a missing input of the items derived from it.
    for it in items.values():
        for code in it.inputs:
            if code == it.code:
                problems.add(it.code, "lists itself among its inputs")
            elif code not in declared:
                problems.add(it.code, f"input {code!r} is not a dictionary item")
    # Derived items must not depend on themselves through other derived items.
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(code: str, path: list[str]) -> None:
        if state.get(code) == 2 or code not in items:
            return
        if state.get(code) == 1:
            cycle = path[path.index(code) :] + [code]
            problems.add(code, f"derivation cycle {' → '.join(cycle)}")
            return
        state[code] = 1
        for dep in items[code].inputs:
            if dep != code:
                visit(dep, [*path, code])
        state[code] = 2

    for code in items:
        visit(code, [])


def load(text: str) -> Dictionary:
    """Parse and validate dictionary TOML; raise DictionaryError listing every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DictionaryError([("toml", f"not valid TOML: {exc}")]) from exc
    problems = _Problems()
    if unknown := sorted(set(raw) - {"categories", "items"}):
        problems.add("toml", f"unknown top-level key(s) {', '.join(unknown)}")

    cats = _categories(raw.get("categories"), problems)
    by_cat = {c.code: c for c in cats}

    raw_items = raw.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        problems.add("items", "need a non-empty [[items]] array of tables")
        raw_items = []
    parsed: dict[str, Item] = {}
    seen_codes: set[str] = set()
    names: dict[str, dict[str, str]] = {"name_zh": {}, "name_en": {}}
    for n, entry in enumerate(raw_items, 1):
        code = entry.get("code") if isinstance(entry, dict) else None
        if isinstance(code, str):
            if code in seen_codes:
                problems.add(code, "duplicate item code")
                continue
            seen_codes.add(code)
        for key, taken in names.items():
            value = entry.get(key) if isinstance(entry, dict) else None
            if isinstance(value, str) and value:
                if value in taken:
                    problems.add(str(code), f"{key} {value!r} is also used by {taken[value]}")
                taken.setdefault(value, str(code))
        it = _item(n, entry, by_cat, problems)
        if it is not None:
            parsed[it.code] = it

    _check_inputs(parsed, seen_codes, problems)
    for cat in cats:
        if not any(it.category == cat.code for it in parsed.values()) and not any(
            isinstance(e, dict) and e.get("category") == cat.code for e in raw_items
        ):
            problems.add(f"category {cat.code}", "has no items")

    if problems.found:
        raise DictionaryError(problems.found)

    ordered_cats = tuple(sorted(cats, key=lambda c: c.order))
    rank = {c.code: c.order for c in ordered_cats}
    # Stable sort: within a category, items keep the file's order.
    ordered = tuple(sorted(parsed.values(), key=lambda i: rank[i.category]))
    grouped = {c.code: tuple(i for i in ordered if i.category == c.code) for c in ordered_cats}
    return Dictionary(
        categories=ordered_cats,
        items=ordered,
        by_code=MappingProxyType({i.code: i for i in ordered}),
        by_category=MappingProxyType(grouped),
    )


# -- the project's dictionary ---------------------------------------------------------------


@functools.cache
def dictionary() -> Dictionary:
    """The validated dictionary.toml, loaded once per process."""
    return load(PATH.read_text(encoding="utf-8"))


def categories() -> tuple[Category, ...]:
    """The 13 categories in display order."""
    return dictionary().categories


def items() -> tuple[Item, ...]:
    """All items, by category order and then in the file's order."""
    return dictionary().items


def item(code: str) -> Item:
    """One item by code, e.g. item("identity.id_number"); KeyError if there is none."""
    return dictionary().item(code)


def items_by_category() -> Mapping[str, tuple[Item, ...]]:
    """Category code → its items, in category order (read-only)."""
    return dictionary().by_category


def items_from_source(source: str) -> tuple[Item, ...]:
    """The items a source feeds (including derived items that consult it)."""
    return dictionary().items_from_source(source)
