"""The rule catalogue: the 8 themes with their target lists (`themes/*.toml`) and the
portrait's tag rules (`tags.toml`), loaded and checked once.

Every rule is compiled when the catalogue loads, so a broken rule stops the program at
start-up with the file, line and reason, never a page at run time. A rule's version is its
theme's declared version plus a hash of its text: any edit gives a new version, and every
saved list records the version that produced it.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from .rulelang import RuleError, compile_rule

HERE = Path(__file__).resolve().parent


class CatalogError(ValueError):
    """A catalogue file that cannot be used; names the file, line and reason."""


@dataclass(frozen=True)
class RuleDef:
    code: str
    name_zh: str
    name_en: str
    rule: str
    version: str
    description_zh: str = ""
    planted: str = ""  # the generator's planted-case file this list should find, if any
    group: str = ""  # a theme's own grouping of its lists, or the tag's colour

    @property
    def label(self) -> str:
        return self.name_zh


@dataclass(frozen=True)
class Theme:
    code: str
    name_zh: str
    name_en: str
    order: int
    version: int
    population: RuleDef  # who the theme is about: its headline figure and its charts
    lists: tuple[RuleDef, ...]
    description_zh: str = ""

    def list(self, code: str) -> RuleDef:
        for rule in self.lists:
            if rule.code == code:
                return rule
        raise KeyError(code)


def _line_of(raw: str, code: str, key: str = "rule") -> int:
    """The file line on which the `key` text of the entry `code` starts (for errors)."""
    lines = raw.splitlines()
    start = next(
        (i for i, ln in enumerate(lines) if ln.strip().replace(" ", "") == f'code="{code}"'), 0
    )
    for i in range(start, len(lines)):
        if lines[i].strip().startswith(f"{key} ="):
            return i + 2 if lines[i].rstrip().endswith(("'''", '"""')) else i + 1
    return start + 1


def _rule(entry: dict, raw: str, path: Path, version: int, key: str = "rule") -> RuleDef:
    where = f"{path.name}"
    try:
        code = entry["code"]
        text = entry[key]
        name_zh = entry.get("name_zh", code)
    except KeyError as missing:
        raise CatalogError(f"{where}: an entry lacks {missing}") from None
    try:
        compile_rule(text, pg=False, as_of=date(2000, 1, 1), rule=code)
    except RuleError as err:
        line = _line_of(raw, code, key) + err.line - 1
        raise CatalogError(f"{where} line {line}: rule {code}: {err.message}") from None
    digest = hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:8]
    return RuleDef(
        code=code,
        name_zh=name_zh,
        name_en=entry.get("name_en", code),
        rule=text,
        version=f"{version}.{digest}",
        description_zh=entry.get("description_zh", ""),
        planted=entry.get("planted", ""),
        group=entry.get("group", ""),
    )


def load_theme(path: Path) -> Theme:
    raw = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as err:
        raise CatalogError(f"{path.name}: {err}") from None
    version = int(data.get("version", 1))
    population = _rule(
        {"code": data["code"] + "__population", "population": data["population"]},
        raw.replace("population =", "rule ="),
        path,
        version,
        key="population",
    )
    lists = tuple(_rule(e, raw, path, version) for e in data.get("lists", []))
    codes = [r.code for r in lists]
    if len(set(codes)) != len(codes):
        raise CatalogError(f"{path.name}: duplicate list codes")
    return Theme(
        code=data["code"],
        name_zh=data["name_zh"],
        name_en=data["name_en"],
        order=int(data.get("order", 99)),
        version=version,
        population=population,
        lists=lists,
        description_zh=data.get("description_zh", ""),
    )


@cache
def themes() -> tuple[Theme, ...]:
    found = sorted((load_theme(p) for p in (HERE / "themes").glob("*.toml")), key=lambda t: t.order)
    codes = [r.code for t in found for r in t.lists]
    if len(set(codes)) != len(codes):
        raise CatalogError("themes: a list code is used twice")
    return tuple(found)


def theme(code: str) -> Theme:
    for t in themes():
        if t.code == code:
            return t
    raise KeyError(code)


def find_list(code: str) -> tuple[Theme, RuleDef]:
    for t in themes():
        for r in t.lists:
            if r.code == code:
                return t, r
    raise KeyError(code)


@cache
def tags() -> tuple[RuleDef, ...]:
    path = HERE / "tags.toml"
    if not path.exists():
        return ()
    raw = path.read_text(encoding="utf-8")
    data = tomllib.loads(raw)
    version = int(data.get("version", 1))
    return tuple(_rule(e, raw, path, version) for e in data.get("tags", []))
