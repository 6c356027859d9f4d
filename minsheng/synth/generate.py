"""Orchestration: city → people → lives → employers → assistance → planted cases →
exports → truth → manifest, with progress on stderr."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl

from . import config
from .assistance import build_assistance
from .business import build_business
from .city import place_households
from .config import AS_OF, DEFAULT_DIRT, GENERATOR_VERSION, SOURCES, DirtConfig
from .dirt import DirtApplier
from .exports import BUILDERS, Ctx
from .lifecourse import build_lifecourse
from .planted import derive_cases, drop_subsidised, plant
from .population import build_population
from .rand import Streams
from .reach import Evidence, keep_rows, split, watched
from .truth import counts_json, person_truth, write_json, write_parquet, write_planted
from .writers import sha256, write_csv, write_xlsx

HANDLING_CASES = (
    "off_hours",
    "handled_without_acceptance",
    "one_agent_many_people",
    "accept_and_approve_same_person",
)


def _progress(enabled: bool) -> Callable[[str], None]:
    t0 = time.perf_counter()

    def log(msg: str) -> None:
        if enabled:
            print(f"[synth {time.perf_counter() - t0:6.1f}s] {msg}", file=sys.stderr, flush=True)

    return log


def generate(
    out: Path | str,
    scale: float = 1.0,
    seed: int = 42,
    as_of: date = AS_OF,
    dirt: DirtConfig = DEFAULT_DIRT,
    progress: bool = True,
) -> dict:
    """Write the synthetic city, the department exports and the ground truth under `out`.

    Returns the manifest (also written to out/manifest.json).
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    out = Path(out)
    log = _progress(progress)
    for sub in ("city", "exports", "truth/planted"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    streams = Streams(seed)

    log(f"people (scale {scale}, seed {seed}, as of {as_of})")
    persons = build_population(streams, scale, as_of).persons
    log(f"{persons.height} people; placing households")
    city, persons = place_households(streams, persons, scale, as_of)
    villages = city.communities.filter(pl.col("kind") == "村")["code"]
    village = persons["community_code"].is_in(villages.implode()).to_numpy()
    log("life histories")
    A = build_lifecourse(streams, persons, as_of, village)
    ent = build_business(streams, persons, A, city.buildings, scale, as_of)
    build_assistance(streams, persons, A, village, as_of)
    ent = plant(streams, persons, A, ent, as_of)
    truth = person_truth(persons, A, ent)
    del persons, A  # the truth frame carries everything from here on
    cases = derive_cases(truth, ent, as_of)
    # The written rows of the people and companies in the cases: the handling log says who
    # was already paid a subsidy, and the rows' dirt which cases no export can show.
    watch_pids, watch_usccs = watched(cases, truth)
    kept: dict[str, pl.DataFrame] = {}
    log(f"{ent.height} employers; writing exports")

    files: list[dict] = []
    rows_parts: list[pl.DataFrame] = []
    handling: list[pl.DataFrame] = []
    ctx = Ctx(
        truth, ent, as_of, dirt, streams, DirtApplier(dirt, streams("dirt")), scale, city.grids
    )
    for builder in BUILDERS:
        draft = builder(ctx)
        spec = SOURCES[draft.source]
        ctx.applier.rng = streams(f"dirt/{spec.name}")
        xlsx = spec.fmt == "xlsx"
        df = ctx.applier.apply(draft, spec, xlsx)
        name = spec.file_name(as_of)
        path = out / "exports" / name
        data = write_xlsx(df, spec, path, as_of) if xlsx else write_csv(df, spec, path, as_of)
        numbered = df.with_columns(row=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
        kept[spec.name] = keep_rows(numbered, spec.name, watch_pids, watch_usccs)
        rows_parts.append(
            numbered.select(
                pl.lit(name).alias("file"),
                "row",
                pl.col("_pid").alias("person_id"),
                pl.col("_dirt").alias("dirt"),
                pl.col("_key").alias("key"),
            )
        )
        if "_case" in df.columns:
            handling.append(
                numbered.filter(pl.col("_case").is_not_null()).with_columns(file=pl.lit(name))
            )
        files.append(
            {
                "file": f"exports/{name}",
                "source": spec.name,
                "department": spec.department,
                "title": spec.title,
                "format": spec.fmt,
                "encoding": spec.encoding,
                "line_terminator": "CRLF" if spec.crlf else ("LF" if not xlsx else None),
                "header_row": spec.header_row,
                "id_column": draft.id_col,
                "name_column": draft.name_col,
                "rows": df.height,
                "bytes": len(data),
                "sha256": sha256(data),
            }
        )
        log(f"  {name}: {df.height} rows, {len(data) / 1e6:.1f} MB")

    log("city tables")
    city_files = {
        "communities.csv": city.communities.select(
            "code",
            "name",
            "town_code",
            "district_code",
            "population",
            "kind",
            "town",
            "district",
            "placeholder",
        ),
        "grids.csv": city.grids.select(
            "grid_code",
            "community_code",
            "name",
            "worker_name",
            "worker_phone",
            "households",
            "residents",
        ),
        "buildings.csv": city.buildings.select(
            "building_code", "grid_code", "address", "units", "floors", "rooms_per_floor"
        ),
        "houses.csv": city.houses.select(
            "house_code", "building_code", "unit", "floor", "room", "address"
        ),
    }
    for fname, df in city_files.items():
        data = df.write_csv().encode("utf-8")
        (out / "city" / fname).write_bytes(data)
        files.append(
            {
                "file": f"city/{fname}",
                "format": "csv",
                "encoding": "utf-8",
                "rows": df.height,
                "bytes": len(data),
                "sha256": sha256(data),
            }
        )

    log("truth")
    rows = pl.concat(rows_parts, how="vertical_relaxed")
    if "rs_handling_log" in kept:
        drop_subsidised(cases, kept["rs_handling_log"], as_of)
    cases, unreachable = split(cases, Evidence(kept, truth))
    del kept
    hl = pl.concat(handling, how="diagonal_relaxed") if handling else None
    for case in HANDLING_CASES:
        if hl is None:
            continue
        cases[case] = (
            hl.filter(pl.col("_case") == case)
            .select(
                pl.col("_pid").alias("person_id"),
                "file",
                "row",
                pl.col("_key").alias("serial_no"),
                "业务事项",
                "受理人",
                "受理时间",
                "办理人",
                "办理时间",
                "审批人",
                "审批时间",
                "代办人证件号码",
                "代办人姓名",
            )
            .with_columns(evidence=pl.col("file") + ":" + pl.col("row").cast(pl.String))
            .sort("row")
        )
    write_parquet(truth.sort("person_id"), out / "truth" / "persons.parquet")
    write_parquet(rows, out / "truth" / "rows.parquet")
    write_parquet(ent.drop("size_w"), out / "truth" / "employers.parquet")
    planted_counts, unreachable_counts = write_planted(
        cases, rows, out / "truth" / "planted", unreachable
    )
    counts = counts_json(
        truth, rows, dict(ctx.applier.expected), planted_counts, as_of, unreachable_counts
    )
    write_json(counts, out / "truth" / "counts.json")

    manifest = {
        "generator": "minsheng.synth",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "scale": scale,
        "as_of": as_of.isoformat(),
        "residents": counts["residents"],
        "total_rows": int(sum(f["rows"] for f in files if f["file"].startswith("exports/"))),
        "files": files,
        "note": "Delivery note: a hint for importers; truth/ is for scoring only and is not listed.",
        "targets": {
            "residents": round(config.RESIDENTS * scale),
            "local_hukou_residents": round(config.LOCAL_HUKOU_RESIDENTS * scale),
        },
    }
    write_json(manifest, out / "manifest.json")
    log(f"done: {manifest['total_rows']} export rows")
    return manifest
