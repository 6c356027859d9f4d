"""The physical city: communities, grids, buildings and houses, and who lives where.

Community populations are drawn around the district totals (villages small: Wuhai is
95.88 % urban), grids split communities evenly, and buildings are laid out per grid until
there is a flat for every household plus some vacancy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from minsheng.geo import reference

from . import config
from .ids import mobile_numbers
from .names import random_names
from .rand import Streams, largest_remainder, weighted_choice
from .tables import areas, streets

RURAL_SHARE = 1 - 0.9588
_CN_NUM = "一二三四五六七八九十"

VACANT_GRIDS = 0.01  # share of grids without a worker at the reference date


def _cn(n: int) -> str:
    if n <= 10:
        return _CN_NUM[n - 1]
    if n < 20:
        return "十" + _CN_NUM[n - 11]
    return _CN_NUM[n // 10 - 1] + "十" + (_CN_NUM[n % 10 - 1] if n % 10 else "")


@dataclass
class City:
    communities: pl.DataFrame
    grids: pl.DataFrame
    buildings: pl.DataFrame
    houses: pl.DataFrame


def community_table(streams: Streams, scale: float) -> pl.DataFrame:
    rng = streams("city/communities")
    towns = {t.code: t for t in reference.towns()}
    dists = {d.code: d.name for d in reference.districts()}
    comms = reference.communities()
    n_total = round(config.RESIDENTS * scale)
    dist_codes = sorted(reference.DISTRICT_POPULATION)
    n_by_d = dict(
        zip(
            dist_codes,
            largest_remainder(
                n_total, np.array([reference.DISTRICT_POPULATION[d] for d in dist_codes], float)
            ),
            strict=True,
        )
    )
    village = np.array([c.kind == "村" for c in comms])
    district = np.array([towns[c.town_code].district_code for c in comms])
    w = rng.lognormal(0, 0.35, len(comms))
    target = np.zeros(len(comms), dtype=np.int64)
    rural_total = round(n_total * RURAL_SHARE)
    rural_by_d = {
        d: rural_total * village[district == d].sum() / max(village.sum(), 1) for d in dist_codes
    }
    for d in dist_codes:
        for mask, total in (
            (village & (district == d), round(rural_by_d[d])),
            (~village & (district == d), int(n_by_d[d]) - round(rural_by_d[d])),
        ):
            idx = np.flatnonzero(mask)
            if len(idx):
                target[idx] = largest_remainder(total, w[idx])
    return pl.DataFrame(
        {
            "code": [c.code for c in comms],
            "name": [c.name for c in comms],
            "kind": [c.kind for c in comms],
            "town_code": [c.town_code for c in comms],
            "town": [towns[c.town_code].name for c in comms],
            "district_code": district.tolist(),
            "district": [dists[d] for d in district],
            "target": target,
            "placeholder": [c.placeholder for c in comms],
        }
    )


def grid_table(streams: Streams, comms: pl.DataFrame, scale: float) -> pl.DataFrame:
    rng = streams("city/grids")
    n_c = comms.height
    total = max(n_c, round(config.GRIDS * scale))
    per = 1 + largest_remainder(total - n_c, comms["target"].to_numpy().astype(float))
    rows = []
    for c, k in zip(comms.iter_rows(named=True), per, strict=True):
        w = rng.uniform(0.85, 1.15, int(k))
        for i, t in enumerate(largest_remainder(int(c["target"]), w), start=1):
            rows.append(
                (
                    f"{c['code']}{i:03d}",
                    c["code"],
                    f"{c['town']}{c['name']}第{i}网格",
                    int(t),
                    c["district_code"],
                    c["kind"] == "村",
                )
            )
    g = pl.DataFrame(
        rows,
        schema=["grid_code", "community_code", "name", "target", "district_code", "village"],
        orient="row",
    )
    n = g.height
    wr = streams("city/grid_workers")
    male = wr.random(n) < 0.3
    # a few grids wait for a new worker (left, not yet replaced): no name on the roster
    vacant = pl.Series(streams("city/grid_vacancies").random(n) < VACANT_GRIDS)
    return g.with_columns(
        worker_name=pl.Series(random_names(wr, n, wr.integers(1970, 2001, n), male)),
        worker_phone=pl.Series(mobile_numbers(wr, n)),
    ).with_columns(
        worker_name=pl.when(vacant).then(None).otherwise(pl.col("worker_name")),
        worker_phone=pl.when(vacant).then(None).otherwise(pl.col("worker_phone")),
    )


def _layout(
    streams: Streams, comms: pl.DataFrame, grids: pl.DataFrame, hh_per_grid: np.ndarray
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Buildings per grid (a short loop per grid, ~8k buildings at scale 1) and their flats."""
    rng = streams("city/buildings")
    cinfo = {r["code"]: r for r in comms.iter_rows(named=True)}
    st = streets()
    b_code, b_grid, b_addr, b_units, b_floors, b_rooms, b_village = [], [], [], [], [], [], []
    street_no: dict[tuple[str, str], int] = {}
    group_no: dict[str, int] = {}
    for g, h in zip(grids.iter_rows(named=True), hh_per_grid, strict=True):
        c = cinfo[g["community_code"]]
        prefix = f"{c['district']}{c['town']}{c['name']}"
        need = int(h * 1.08) + 2
        cap, k = 0, 0
        street = st[c["district_code"]][int(rng.integers(0, len(st[c["district_code"]])))]
        style = rng.random()
        while cap < need:
            k += 1
            if g["village"]:
                u, f, r = 1, 1, int(rng.integers(20, 61))
                group_no[c["code"]] = group_no.get(c["code"], 0) + 1
                addr = f"{prefix}{_cn(group_no[c['code']])}组"
            else:
                x = rng.random()
                if x < 0.55 * (1.2 - style):  # older six-storey walk-ups
                    u, f, r = int(rng.integers(2, 5)), int(rng.integers(5, 8)), 2
                elif x < 0.8:
                    u, f, r = int(rng.integers(1, 3)), 11, 2
                else:
                    u, f, r = (
                        int(rng.integers(1, 3)),
                        int(rng.choice([18, 24, 26])),
                        int(rng.integers(2, 5)),
                    )
                key = (c["code"], street)
                street_no[key] = street_no.get(key, 0) + int(rng.integers(1, 4))
                addr = f"{prefix}{street}{street_no[key]}号楼"
            b_code.append(f"{g['grid_code']}{k:03d}")
            b_grid.append(g["grid_code"])
            b_addr.append(addr)
            b_units.append(u)
            b_floors.append(f)
            b_rooms.append(r)
            b_village.append(g["village"])
            cap += u * f * r
    buildings = pl.DataFrame(
        {
            "building_code": b_code,
            "grid_code": b_grid,
            "address": b_addr,
            "units": b_units,
            "floors": b_floors,
            "rooms_per_floor": b_rooms,
            "village": b_village,
        }
    )
    size = (buildings["units"] * buildings["floors"] * buildings["rooms_per_floor"]).to_numpy()
    bi = np.repeat(np.arange(buildings.height), size)
    start = np.repeat(np.cumsum(size) - size, size)
    j = np.arange(len(bi)) - start
    fr = buildings["floors"].to_numpy()[bi] * buildings["rooms_per_floor"].to_numpy()[bi]
    rpf = buildings["rooms_per_floor"].to_numpy()[bi]
    houses = pl.DataFrame(
        {
            "b": bi,
            "unit": j // fr + 1,
            "floor": (j % fr) // rpf + 1,
            "room": j % rpf + 1,
        }
    ).with_columns(
        building_code=buildings["building_code"].gather(bi),
        grid_code=buildings["grid_code"].gather(bi),
        b_addr=buildings["address"].gather(bi),
        village=buildings["village"].gather(bi),
    )
    houses = houses.with_columns(
        house_code=pl.col("building_code")
        + pl.col("unit").cast(pl.String).str.zfill(2)
        + pl.col("floor").cast(pl.String).str.zfill(2)
        + pl.col("room").cast(pl.String).str.zfill(2),
        address=pl.when(pl.col("village"))
        .then(pl.col("b_addr") + pl.col("room").cast(pl.String) + "号")
        .otherwise(
            pl.col("b_addr")
            + pl.col("unit").cast(pl.String)
            + "单元"
            + pl.col("floor").cast(pl.String)
            + pl.col("room").cast(pl.String).str.zfill(2)
            + "室"
        ),
    ).select("house_code", "building_code", "grid_code", "unit", "floor", "room", "address")
    return buildings.drop("village"), houses


def place_households(
    streams: Streams, persons: pl.DataFrame, scale: float, as_of: date
) -> tuple[City, pl.DataFrame]:
    """Give every household a grid and a flat; add addresses, moves and hukou addresses."""
    rng = streams("city/placement")
    comms = community_table(streams, scale)
    grids = grid_table(streams, comms, scale)
    hh = (
        persons.group_by("household_id")
        .agg(pl.col("district_code").first(), pl.col("resident").sum().alias("n_res"))
        .sort("household_id", maintain_order=True)
    )
    hh_grid = np.zeros(hh.height, dtype=np.int64)
    hh_dist = hh["district_code"].to_numpy()
    n_res = hh["n_res"].to_numpy()
    g_dist = grids["district_code"].to_numpy()
    g_target = grids["target"].to_numpy()
    for d in sorted(set(hh_dist.tolist())):
        gi = np.flatnonzero(g_dist == d)
        with_res = np.flatnonzero((hh_dist == d) & (n_res > 0))
        with_res = with_res[rng.permutation(len(with_res))]
        cum = np.cumsum(n_res[with_res]) - n_res[with_res] / 2
        bounds = np.cumsum(g_target[gi]).astype(float)
        bounds *= cum[-1] / bounds[-1] if len(cum) else 1
        hh_grid[with_res] = gi[np.minimum(np.searchsorted(bounds, cum), len(gi) - 1)]
        others = np.flatnonzero((hh_dist == d) & (n_res == 0))
        hh_grid[others] = gi[weighted_choice(rng, len(others), g_target[gi].astype(float))]
    hh_per_grid = np.bincount(hh_grid, minlength=grids.height)
    buildings, houses = _layout(streams, comms, grids, hh_per_grid)

    # Flats in random order within each grid; household k of a grid takes flat k.
    grid_index = {g: i for i, g in enumerate(grids["grid_code"].to_list())}
    hg = houses["grid_code"].replace_strict(grid_index, return_dtype=pl.Int64).to_numpy()
    horder = np.lexsort((rng.random(len(hg)), hg))
    gstart = np.searchsorted(hg[horder], np.arange(grids.height))
    horder_rank = np.empty(len(hh_grid), dtype=np.int64)
    ho = np.lexsort((rng.random(len(hh_grid)), hh_grid))
    first = np.searchsorted(hh_grid[ho], hh_grid[ho])
    horder_rank[ho] = np.arange(len(ho)) - first
    hh_house = horder[gstart[hh_grid] + horder_rank]

    # Moves within the city in the last three years (the old flat is what stale records show).
    moved = (rng.random(hh.height) < 0.09) & (n_res > 0)
    prev_house = np.where(moved, rng.integers(0, houses.height, hh.height), -1)
    moved_days = rng.integers(30, 365 * 3, hh.height)
    # Hukou address: most locals are registered where they live; the rest (人户分离) elsewhere.
    hukou_same = rng.random(hh.height) < 0.82
    hukou_house = np.where(
        hukou_same, hh_house, np.where(moved, prev_house, rng.integers(0, houses.height, hh.height))
    )

    house_code = houses["house_code"]
    addr = houses["address"]
    hh_df = pl.DataFrame(
        {
            "household_id": hh["household_id"],
            "grid_code": grids["grid_code"].gather(hh_grid),
            "house_code": house_code.gather(hh_house),
            "address": addr.gather(hh_house),
            "prev_house_code": house_code.gather(np.maximum(prev_house, 0)),
            "prev_address": addr.gather(np.maximum(prev_house, 0)),
            "moved": moved,
            "moved_date": np.datetime64(as_of, "D") - moved_days.astype("timedelta64[D]"),
            "hukou_house_address": addr.gather(hukou_house),
        }
    ).with_columns(
        pl.when(pl.col("moved")).then(pl.col(c)).otherwise(None).alias(c)
        for c in ("prev_house_code", "prev_address", "moved_date")
    )
    persons = persons.join(hh_df, on="household_id", how="left", maintain_order="left")
    persons = persons.with_columns(
        community_code=pl.col("grid_code").str.slice(0, 12),
        town_code=pl.col("grid_code").str.slice(0, 9),
    )
    persons = persons.with_columns(hukou_address=_hukou_address(streams, persons))

    res = persons.filter(pl.col("resident"))
    g_counts = res.group_by("grid_code").agg(
        pl.len().alias("residents"), pl.col("household_id").n_unique().alias("households")
    )
    grids = grids.join(g_counts, on="grid_code", how="left", maintain_order="left").with_columns(
        pl.col("residents", "households").fill_null(0)
    )
    c_pop = res.group_by("community_code").agg(pl.len().alias("population"))
    comms = comms.join(
        c_pop, left_on="code", right_on="community_code", how="left", maintain_order="left"
    ).with_columns(pl.col("population").fill_null(0))
    return City(comms, grids, buildings, houses), persons


def _hukou_address(streams: Streams, persons: pl.DataFrame) -> pl.Series:
    rng = streams("city/hukou_address")
    n = persons.height
    names = {a.code: a.name for a in areas()}
    generic = [
        "城关镇",
        "新华街",
        "人民路",
        "解放路",
        "胜利街",
        "建设路",
        "东风路",
        "团结村",
        "红星村",
        "新庄村",
        "光明街",
        "幸福路",
    ]
    origin = persons["id_area_code"].replace_strict(names, default="")
    place = pl.Series(generic).gather(rng.integers(0, len(generic), n))
    num = pl.Series(rng.integers(1, 300, n)).cast(pl.String)
    elsewhere = origin + place + num + "号"
    return (
        pl.select(
            pl.when(pl.Series(persons["local_hukou"]))
            .then(persons["hukou_house_address"])
            .otherwise(elsewhere)
        )
        .to_series()
        .rename("hukou_address")
    )
