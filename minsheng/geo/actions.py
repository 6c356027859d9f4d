"""Loading the administrative tree: the real divisions from the project's reference data,
then the grids, buildings and houses of a (synthetic) city."""

from __future__ import annotations

import csv
from pathlib import Path

from django.db import transaction

from minsheng.audit.actions import record_event
from minsheng.audit.models import EventType
from minsheng.geo import reference


def load_reference_areas(Area) -> int:
    """Create or update the city, districts, towns and communities. Takes the model class
    so the data migration can pass its historical model."""

    def upsert(code, name, level, kind, parent, **extra):
        codes = {f"{lvl}_code": "" for lvl in ("district", "town", "community", "grid")}
        if parent is not None:
            codes.update({k: getattr(parent, k) for k in codes})
        if level != "city":
            codes[f"{level}_code"] = code
        obj, _ = Area.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "level": level,
                "kind": kind,
                "parent": parent,
                **codes,
                **extra,
            },
        )
        return obj

    city = upsert(
        reference.CITY_CODE,
        reference.CITY_NAME,
        "city",
        "市",
        None,
        population=sum(reference.DISTRICT_POPULATION.values()),
    )
    districts = {
        d.code: upsert(
            d.code,
            d.name,
            "district",
            "区",
            city,
            population=reference.DISTRICT_POPULATION.get(d.code),
        )
        for d in reference.districts()
    }
    towns = {
        t.code: upsert(t.code, t.name, "town", t.kind, districts[t.district_code])
        for t in reference.towns()
    }
    for c in reference.communities():
        upsert(c.code, c.name, "community", c.kind, towns[c.town_code], placeholder=c.placeholder)
    return Area.objects.count()


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def do_load_city(city_dir: Path, *, acting_user=None, batch_size: int = 5000) -> dict[str, int]:
    """Load grids, buildings and houses from a city directory (`DIR/city` of `minsheng
    synth`). Idempotent: codes already present are updated, doorplate tokens kept."""
    from minsheng.geo.models import Area, Building, House

    city_dir = Path(city_dir)
    grids = _read_csv(city_dir / "grids.csv")
    buildings = _read_csv(city_dir / "buildings.csv")
    houses = _read_csv(city_dir / "houses.csv")
    communities = {a.code: a for a in Area.objects.filter(level="community")}
    populations = {
        r["code"]: int(r["population"])
        for r in _read_csv(city_dir / "communities.csv")
        if r.get("population")
    }

    with transaction.atomic():
        # The city's own counts replace the reference figures, so every level adds up.
        totals: dict[str, int] = {}
        for code, population in populations.items():
            community = communities[code]
            for key in (code, community.town_code, community.district_code, reference.CITY_CODE):
                totals[key] = totals.get(key, 0) + population
        for code, population in totals.items():
            Area.objects.filter(code=code).update(population=population)
        grid_rows = []
        for r in grids:
            parent = communities[r["community_code"]]
            grid_rows.append(
                parent.child(
                    r["grid_code"],
                    r["name"],
                    "grid",
                    "网格",
                    population=int(r["residents"]) if r.get("residents") else None,
                )
            )
        Area.objects.bulk_create(
            grid_rows,
            batch_size=batch_size,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "parent", "population"],
        )
        grid_ids = dict(Area.objects.filter(level="grid").values_list("code", "id"))
        Building.objects.bulk_create(
            [
                Building(
                    code=r["building_code"],
                    grid_id=grid_ids[r["grid_code"]],
                    address=r["address"],
                    units=int(r["units"]),
                    floors=int(r["floors"]),
                )
                for r in buildings
            ],
            batch_size=batch_size,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["grid", "address", "units", "floors"],
        )
        building_ids = dict(Building.objects.values_list("code", "id"))
        existing = set(House.objects.values_list("code", flat=True))
        House.objects.bulk_create(
            [
                House(
                    code=r["house_code"],
                    building_id=building_ids[r["building_code"]],
                    unit=int(r["unit"]),
                    floor=int(r["floor"]),
                    room=r["room"],
                    address=r["address"],
                )
                for r in houses
                if r["house_code"] not in existing
            ],
            batch_size=batch_size,
        )
        counts = {"grids": len(grids), "buildings": len(buildings), "houses": len(houses)}
        record_event(
            EventType.IMPORT,
            actor=acting_user,
            object_type="city",
            object_id=str(city_dir.name),
            details=counts,
        )
    return counts
