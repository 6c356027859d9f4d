"""Loaders for the small reference tables in data/ (names, places, words)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data"


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@cache
def surnames() -> tuple[list[str], np.ndarray]:
    rows = _rows("surnames.csv")
    return [r["surname"] for r in rows], np.array([float(r["share"]) for r in rows])


@dataclass(frozen=True)
class NamePool:
    names: list[str]
    weights: np.ndarray


def _zipf(n: int) -> np.ndarray:
    # Lists are written most popular first; a flattened Zipf keeps the tail alive.
    return 1.0 / (np.arange(n) + 4.0)


@cache
def given_names() -> dict[tuple[int, str], NamePool]:
    pools = {}
    for r in _rows("given_names.csv"):
        names = r["names"].split()
        pools[(int(r["era"]), r["sex"])] = NamePool(names, _zipf(len(names)))
    return pools


@cache
def mongolian_names() -> dict[str, NamePool]:
    return {
        r["sex"]: NamePool(r["names"].split(), _zipf(len(r["names"].split())))
        for r in _rows("mongolian_names.csv")
    }


@cache
def traditional() -> dict[str, str]:
    return {r["simplified"]: r["traditional"] for r in _rows("variants.csv")}


@cache
def homophones() -> dict[str, str]:
    return {r["char"]: r["alternatives"] for r in _rows("homophones.csv")}


@dataclass(frozen=True)
class Area:
    code: str
    group: str
    name: str


@cache
def areas() -> list[Area]:
    return [Area(r["code"], r["province_group"], r["name"]) for r in _rows("areas.csv")]


# Where Wuhai's migrants come from (share of people with a non-local ID area code).
MIGRANT_ORIGIN = {
    "nmg": 0.30,
    "ningxia": 0.15,
    "shaanxi": 0.12,
    "gansu": 0.10,
    "hebei": 0.07,
    "shanxi": 0.08,
    "shandong": 0.05,
    "henan": 0.07,
    "other": 0.06,
}


@cache
def streets() -> dict[str, list[str]]:
    return {r["district_code"]: r["streets"].split() for r in _rows("streets.csv")}


@cache
def word_lists(name: str) -> dict[str, list[str]]:
    key = "kind" if name == "enterprise_words.csv" else "level"
    return {r[key]: r[list(r)[1]].split() for r in _rows(name)}
