"""The community service guide of the smart doorplate's public page (`guide.toml`): the
station of a community, the services residents get there and the 免申即享 policies in plain
words. Plain data, loaded and checked once; nothing in it is about a person or a house."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from itertools import groupby
from pathlib import Path

GUIDE = Path(__file__).resolve().parent / "guide.toml"


@dataclass(frozen=True)
class Service:
    group: str
    name: str
    bring: str
    time: str


@dataclass(frozen=True)
class PolicyNote:
    code: str  # the policy's code in minsheng/benefits/policies.toml
    name: str
    who: str
    how: str


@dataclass(frozen=True)
class Station:
    name: str
    address: str
    hours: tuple[str, ...]
    hotline: str


@dataclass(frozen=True)
class Guide:
    hotline: str
    station_name: str
    station_address: str
    hours: tuple[str, ...]
    services: tuple[Service, ...]
    policies: tuple[PolicyNote, ...]

    def station(self, *, city: str, district: str, town: str, community: str) -> Station:
        """The service station of a community, named from its areas."""
        names = {"city": city, "district": district, "town": town, "community": community}
        return Station(
            name=self.station_name.format(**names),
            address=self.station_address.format(**names),
            hours=self.hours,
            hotline=self.hotline,
        )

    def service_groups(self) -> list[tuple[str, list[Service]]]:
        """The services by group, in the order of the file."""
        return [(g, list(items)) for g, items in groupby(self.services, key=lambda s: s.group)]


def _text(entry: dict, key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{GUIDE.name}: {where} has no {key}")
    return value.strip()


@cache
def guide() -> Guide:
    """The guide, checked: a broken file stops the program when first read, never a page
    half way."""
    with open(GUIDE, "rb") as f:
        data = tomllib.load(f)
    station = data["station"]
    services = tuple(
        Service(**{k: _text(s, k, f"service {n}") for k in ("group", "name", "bring", "time")})
        for n, s in enumerate(data["services"], start=1)
    )
    policies = tuple(
        PolicyNote(**{k: _text(p, k, f"policy {n}") for k in ("code", "name", "who", "how")})
        for n, p in enumerate(data["policies"], start=1)
    )
    if len({p.code for p in policies}) != len(policies):
        raise ValueError(f"{GUIDE.name}: a policy is listed twice")
    return Guide(
        hotline=_text(data, "hotline", "the guide"),
        station_name=_text(station, "name", "station"),
        station_address=_text(station, "address", "station"),
        hours=tuple(station["hours"]),
        services=services,
        policies=policies,
    )
