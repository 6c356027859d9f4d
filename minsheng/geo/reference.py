"""Wuhai's administrative divisions, from the data files shipped with the project.

Plain Python (no Django) so the synthetic-city generator and the `geo` loader read the
same facts and agree on every code.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

CITY_CODE = "150300"
CITY_NAME = "乌海市"

# The 2019 public name list lacks 林荫街道's communities while the city reports 83 in all;
# these two placeholders make up the difference and say so in their names.
PLACEHOLDER_COMMUNITIES = [
    ("150302007", "林荫街道", "林荫第一社区（占位）", "社区"),
    ("150302007", "林荫街道", "林荫第二社区（占位）", "社区"),
]

# Permanent residents by district at the end of 2021 (DESIGN.md §1); the generator and
# the dashboards' sanity checks both use them.
DISTRICT_POPULATION = {"150302": 341_000, "150303": 94_700, "150304": 122_400}


@dataclass(frozen=True)
class District:
    code: str
    name: str


@dataclass(frozen=True)
class Town:
    code: str  # 9 digits; the 12-digit statistical code is code + "000"
    name: str
    kind: str  # 街道 or 镇
    district_code: str


@dataclass(frozen=True)
class Community:
    code: str  # town code + 3 digits (the project's own; none are published)
    name: str
    kind: str  # 社区 or 村
    town_code: str
    placeholder: bool = False


def _read(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@cache
def districts() -> tuple[District, ...]:
    seen: dict[str, District] = {}
    for row in _read("wuhai_towns.csv"):
        seen.setdefault(row["district_code"], District(row["district_code"], row["district"]))
    return tuple(seen.values())


@cache
def towns() -> tuple[Town, ...]:
    return tuple(
        Town(r["town_code"], r["town"], r["town_kind"], r["district_code"])
        for r in _read("wuhai_towns.csv")
    )


@cache
def communities() -> tuple[Community, ...]:
    rows = [
        (r["town_code"], r["town"], r["community"], r["kind"])
        for r in _read("wuhai_communities.csv")
    ]
    result: list[Community] = []
    counter: dict[str, int] = {}
    for town_code, _town, name, kind in rows:
        counter[town_code] = counter.get(town_code, 0) + 1
        result.append(Community(f"{town_code}{counter[town_code]:03d}", name, kind, town_code))
    for town_code, _town, name, kind in PLACEHOLDER_COMMUNITIES:
        counter[town_code] = counter.get(town_code, 0) + 1
        result.append(
            Community(
                f"{town_code}{counter[town_code]:03d}", name, kind, town_code, placeholder=True
            )
        )
    return tuple(result)
