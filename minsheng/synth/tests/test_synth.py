from __future__ import annotations

import hashlib
import math
import re
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from minsheng.lib import idcard, retirement
from minsheng.synth.config import ALL_DIRT, ID_DIRT, SOURCES
from minsheng.synth.generate import generate
from minsheng.synth.ids import (
    id_check_chars,
    org_code_is_valid,
    uscc_check_char,
    uscc_codes,
    uscc_is_valid,
)

from .conftest import SCALE, SEED

HANDLING = (
    "off_hours",
    "handled_without_acceptance",
    "one_agent_many_people",
    "accept_and_approve_same_person",
)
PLANTED = (
    "deceased_still_paid",
    "unemployment_benefit_while_employed",
    "unemployment_benefit_while_business_owner",
    "dibao_with_company",
    "enterprise_no_insurance",
    "graduate_job_subsidy_eligible",
    "daijiao_candidates",
    "certification_door_to_door_80plus",
    "certification_overdue",
    *HANDLING,
)


def test_it_hits_the_population_targets(counts: dict, persons: pl.DataFrame) -> None:
    n = counts["residents"]
    assert n == round(558_100 * SCALE)
    by_d = counts["population_by_district"]
    for code, total in {"150302": 341_000, "150304": 122_400, "150303": 94_700}.items():
        assert by_d[code] == pytest.approx(total / 558_100 * n, rel=0.01)
    shares = counts["age_band_shares"]
    assert shares["0-14"] == pytest.approx(0.1335, abs=0.005)
    assert shares["65+"] == pytest.approx(0.1209, abs=0.005)
    assert shares["15-64"] == pytest.approx(0.7456, abs=0.005)
    assert counts["sex_ratio"] == pytest.approx(109.42, abs=2.0)
    assert counts["registered_local_residents"] == pytest.approx(436_000 * SCALE, rel=0.02)
    assert counts["registered_living_elsewhere"] > 0
    # ~6 deaths per 1,000 a year over three years.
    assert counts["deceased_last_3_years"] == pytest.approx(n * 0.018, rel=0.2)
    res = persons.filter(pl.col("resident"))
    assert res["house_code"].null_count() == 0
    sizes = res.group_by("household_id").len()["len"]
    assert 1.8 < sizes.mean() < 3.2
    assert sizes.max() <= 9


def test_it_gives_every_person_a_valid_unique_id_consistent_with_the_truth(
    persons: pl.DataFrame,
) -> None:
    ids = persons["id_number"]
    assert ids.n_unique() == persons.height
    sample = persons.sample(min(2000, persons.height), seed=1)
    for pid, bd, male in sample.select("id_number", "birth_date", "male").iter_rows():
        assert idcard.is_valid(pid), pid
        assert idcard.check_char(pid[:17]) == pid[17]
        assert pid[6:14] == bd.strftime("%Y%m%d")
        assert (int(pid[16]) % 2 == 1) == male
    # The numpy check characters agree with the reference implementation.
    bodies = np.array([int(x[:17]) for x in sample["id_number"]], dtype=np.int64)
    assert list(id_check_chars(bodies)) == [x[17] for x in sample["id_number"]]


def test_it_draws_id_areas_from_wuhai_and_real_places_elsewhere(persons: pl.DataFrame) -> None:
    local = persons.filter(pl.col("local_hukou"))["id_area_code"].str.slice(0, 4).eq("1503").mean()
    other = persons.filter(~pl.col("local_hukou"))["id_area_code"].str.slice(0, 4).eq("1503").mean()
    assert local > 0.85
    assert other == 0
    assert {"150300", "150301", "150302", "150303", "150304"} <= set(
        persons["id_area_code"].unique()
    )


def test_it_makes_valid_usccs(city: Path, exports: dict) -> None:
    assert uscc_is_valid("91110108551385082Q")
    assert uscc_check_char("91110108551385082") == "Q"
    assert not uscc_is_valid("91110108551385082R")
    rng = np.random.default_rng(3)
    codes = uscc_codes(rng, ["91"] * 200 + ["92"] * 200, ["150302"] * 400, np.arange(400) % 2 == 0)
    assert all(uscc_is_valid(c) and org_code_is_valid(c[8:17]) for c in codes)
    employers = pl.read_parquet(city / "truth" / "employers.parquet")
    assert employers["uscc"].n_unique() == employers.height
    assert all(uscc_is_valid(c) for c in employers["uscc"])
    (entry, df) = next(v for k, v in exports.items() if k.startswith("scjg_business"))
    codes = df["统一社会信用代码"].drop_nulls()
    valid = [uscc_is_valid(c) for c in codes]
    assert sum(valid) >= len(valid) - 10  # only junk rows (repeated headers etc.) fail


def test_it_keeps_clean_rows_valid_and_true(
    exports: dict, rows: pl.DataFrame, persons: pl.DataFrame
) -> None:
    truth = persons.select("person_id", "id_number", "name", "birth_date", "male")
    checked = 0
    for name, (entry, df) in exports.items():
        r = rows.filter(pl.col("file") == name).sort("row")
        assert r.height == df.height
        both = pl.concat(
            [
                df.select(
                    pl.col(entry["id_column"]).alias("shown_id"),
                    pl.col(entry["name_column"]).alias("shown_name"),
                ),
                r,
            ],
            how="horizontal",
        )
        clean = both.filter(pl.col("person_id").is_not_null() & (pl.col("dirt") == "")).join(
            truth, on="person_id"
        )
        assert clean.height > 0, name
        for shown, true_id, shown_name, true_name, bd, male in clean.select(
            "shown_id", "id_number", "shown_name", "name", "birth_date", "male"
        ).iter_rows():
            assert shown == true_id, (name, shown, true_id)
            assert idcard.is_valid(shown)
            assert shown[6:14] == bd.strftime("%Y%m%d")
            assert (int(shown[16]) % 2 == 1) == male
            assert shown_name == true_name
            checked += 1
    assert checked > 10_000


def _dirty(
    exports: dict, rows: pl.DataFrame, code: str, col_key: str = "id_column"
) -> list[tuple[str, str | None, int]]:
    out = []
    for name, (entry, df) in exports.items():
        r = rows.filter(pl.col("file") == name).sort("row")
        tagged = r.filter(pl.col("dirt").str.split(",").list.contains(code))
        if tagged.height and entry[col_key]:
            vals = df[entry[col_key]].gather(tagged["row"] - 1).to_list()
            out += [
                (name, v, pid) for v, pid in zip(vals, tagged["person_id"].to_list(), strict=True)
            ]
    return out


def test_it_applies_each_dirt_type_at_its_configured_rate(counts: dict) -> None:
    observed, expected = counts["dirt_counts"], counts["dirt_expected"]
    for code in ALL_DIRT:
        exp = expected.get(code, 0)
        obs = observed.get(code, 0)
        assert obs > 0, code
        if exp:
            # Binomial noise plus a little for duplicated rows carrying their original's dirt.
            assert abs(obs - exp) <= 4 * math.sqrt(exp) + 0.15 * exp + 3, (code, obs, exp)


def test_it_puts_the_dirt_it_claims_into_the_files(
    exports: dict, rows: pl.DataFrame, persons: pl.DataFrame
) -> None:
    ids = dict(persons.select("person_id", "id_number").iter_rows())
    names = dict(persons.select("person_id", "name").iter_rows())
    for _f, v, pid in _dirty(exports, rows, "id_15_digit"):
        assert v is not None and len(v) == 15 and v == ids[pid][:6] + ids[pid][8:17]
        assert idcard.normalize(v) == ids[pid]
    for _f, v, _pid in _dirty(exports, rows, "id_fullwidth"):
        assert re.search("[０-９]", v)
    for _f, v, _pid in _dirty(exports, rows, "id_lowercase_x"):
        assert v.endswith("x")
    for _f, v, pid in _dirty(exports, rows, "id_space_dash"):
        assert re.search(r"[ \-]", v) and idcard.normalize(v) == ids[pid]
    for f, v, _pid in _dirty(exports, rows, "id_excel_float"):
        if f.endswith(".xlsx"):
            assert float(v) > 1e17
        else:
            assert re.fullmatch(r"\d\.\d+E\+17|\d{15}000", v), v
    for _f, v, pid in _dirty(exports, rows, "id_typo") + _dirty(exports, rows, "id_transposition"):
        assert len(v) == 18 and v != ids[pid] and not idcard.is_valid(v)
        assert sum(a != b for a, b in zip(v, ids[pid], strict=True)) in (1, 2)
    for _f, v, _pid in _dirty(exports, rows, "id_missing"):
        assert v is None or v.strip() == ""
    for _f, v, pid in _dirty(exports, rows, "name_traditional", "name_column"):
        assert v != names[pid] and len(v) == len(names[pid])
    for _f, v, _pid in _dirty(exports, rows, "name_space", "name_column"):
        assert v != v.replace(" ", "").replace("\u3000", "") or v.strip() != v
    for _f, v, pid in _dirty(exports, rows, "name_homophone", "name_column"):
        assert v != names[pid] and v[:-1] == names[pid][:-1]
    for name, (_e, df) in exports.items():
        r = rows.filter(pl.col("file") == name).sort("row")
        blank = r.filter(pl.col("dirt") == "blank")["row"] - 1
        if blank.len():
            assert df[blank].select(pl.all().is_null().all()).row(0) == tuple([True] * df.width)
        junk = r.filter(pl.col("dirt").is_in(["blank", "malformed"]))
        assert junk["person_id"].null_count() == junk.height
        dup = r.filter(pl.col("dirt").str.contains("duplicate"))
        assert dup["person_id"].null_count() <= dup.height


def test_it_is_deterministic(city: Path, tmp_path: Path) -> None:
    other = tmp_path / "b"
    generate(other, scale=SCALE, seed=SEED, progress=False)

    def digests(root: Path) -> dict[str, str]:
        return {
            str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }

    a, b = digests(city), digests(other)
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []
    third = tmp_path / "c"
    generate(third, scale=SCALE, seed=SEED + 1, progress=False)
    assert digests(third)["truth/persons.parquet"] != a["truth/persons.parquet"]


def test_it_lists_every_planted_case_with_rows_in_the_exports(
    city: Path, persons: pl.DataFrame, rows: pl.DataFrame, exports: dict
) -> None:
    pids = set(persons["person_id"])
    for case in PLANTED:
        df = pl.read_csv(city / "truth" / "planted" / f"{case}.csv", infer_schema_length=None)
        assert df.height >= 3 or (case == "deceased_still_paid" and df.height >= 1), case
        if case != "enterprise_no_insurance":
            assert set(df["person_id"].drop_nulls()) <= pids
        assert df["evidence"].null_count() < df.height, case
        for ev in df["evidence"].drop_nulls().head(20):
            for ref in ev.split(";"):
                f, row = ref.split(":")
                assert rows.filter((pl.col("file") == f) & (pl.col("row") == int(row))).height == 1
    died = pl.read_csv(city / "truth" / "planted" / "deceased_still_paid.csv", try_parse_dates=True)
    dead = persons.filter(
        ~pl.col("alive") & (pl.col("gongan_death_known") | pl.col("wj_death_known"))
    )
    assert set(died["person_id"]) <= set(dead["person_id"])
    no_ins = pl.read_csv(city / "truth" / "planted" / "enterprise_no_insurance.csv")
    (_e, scjg) = next(v for k, v in exports.items() if k.startswith("scjg"))
    assert set(no_ins["uscc"]) <= set(scjg["统一社会信用代码"].drop_nulls())
    (_e, log) = next(v for k, v in exports.items() if k.startswith("rs_handling_log"))
    off = pl.read_csv(city / "truth" / "planted" / "off_hours.csv")
    for r in off["row"]:
        t = datetime.fromisoformat(log["受理时间"][r - 1])
        minutes = t.hour * 60 + t.minute
        assert t.weekday() >= 5 or minutes < 8 * 60 or minutes >= 18 * 60
    for r in pl.read_csv(city / "truth" / "planted" / "handled_without_acceptance.csv")["row"]:
        assert log["受理人"][r - 1] is None and log["办理人"][r - 1] is not None
    for r in pl.read_csv(city / "truth" / "planted" / "accept_and_approve_same_person.csv")["row"]:
        assert log["受理人"][r - 1] == log["审批人"][r - 1]
    many = pl.read_csv(city / "truth" / "planted" / "one_agent_many_people.csv", infer_schema=False)
    per_proxy = many.group_by("代办人证件号码").agg(pl.col("person_id").n_unique())
    assert per_proxy["person_id"].min() >= 8


def test_it_covers_every_data_row_of_every_export(
    exports: dict, rows: pl.DataFrame, manifest: dict
) -> None:
    by_file = dict(rows.group_by("file").len().iter_rows())
    assert set(by_file) == set(exports)
    for name, (entry, df) in exports.items():
        assert df.height == by_file[name] == entry["rows"], name
        r = rows.filter(pl.col("file") == name)
        assert sorted(r["row"]) == list(range(1, df.height + 1))
    assert manifest["total_rows"] == rows.height


def test_it_uses_the_documented_encodings(city: Path, manifest: dict) -> None:
    seen = set()
    for entry in manifest["files"]:
        data = (city / entry["file"]).read_bytes()
        enc = entry["encoding"]
        seen.add(enc)
        if enc == "gb18030":
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
            assert "姓名" in data.decode("gb18030")
        elif enc == "utf-8-sig":
            assert data.startswith(b"\xef\xbb\xbf")
            data.decode("utf-8")
        elif enc == "utf-8":
            assert not data.startswith(b"\xef\xbb\xbf")
            data.decode("utf-8")
        else:
            assert enc == "xlsx" and data[:2] == b"PK"
    assert seen == {"gb18030", "utf-8", "utf-8-sig", "xlsx"}
    xlsx = [e for e in manifest["files"] if e["format"] == "xlsx"]
    assert len(xlsx) >= 3
    assert {e["source"] for e in manifest["files"] if "source" in e} == set(SOURCES)


def test_it_varies_headers_and_date_formats_between_departments(exports: dict) -> None:
    id_headers = {entry["id_column"] for entry, _df in exports.values()}
    assert {"公民身份号码", "身份证号", "证件号码", "身份证号码"} <= id_headers
    (_e, census) = next(v for k, v in exports.items() if k.startswith("grid_census"))
    births = census["出生日期"].drop_nulls()
    assert births.str.contains(r"^\d{4}-\d{2}-\d{2}$").any()
    assert births.str.contains(r"^\d{4}/\d{1,2}/\d{1,2}$").any()
    assert births.str.contains("年").any()
    (_e, hukou) = next(v for k, v in exports.items() if k.startswith("gongan_hukou"))
    assert hukou["出生日期"].drop_nulls().str.contains(r"^\d{8}$").mean() > 0.95
    (_e, mz) = next(v for k, v in exports.items() if k.startswith("mz_assistance"))
    assert mz["批准日期"].drop_nulls().str.contains(r"^\d{5}$").any()
    (_e, ins) = next(v for k, v in exports.items() if k.startswith("rs_insurance"))
    assert set(ins["性别代码"].drop_nulls()) <= {"1", "2", "性别代码", "-", "#N/A", "ERR"}


def test_it_follows_the_retirement_and_benefit_rules(persons: pl.DataFrame) -> None:
    retired = persons.filter(pl.col("ep_status") == "退休").sample(
        200, seed=2, with_replacement=True
    )
    for bd, cat, month in retired.select(
        "birth_date", "retire_category", "retire_month"
    ).iter_rows():
        _y, _m, (ry, rm) = retirement.retirement(bd, cat)
        assert month == f"{ry}-{rm:02d}"
    ub = persons.filter(pl.col("ub_status").is_in(["领取中", "已领完"]))
    assert ub.height > 0
    for months, max_m in ub.select("ui_months", "ub_max_months").iter_rows():
        assert max_m == retirement.unemployment_benefit_max_months(months / 12)
    paying = persons.filter(pl.col("ep_status") == "参保缴费")
    assert (paying["retirement_reached"]).sum() == 0
    pensioners = persons.filter(pl.col("pension_type") == "企业职工基本养老金")
    assert (pensioners["ep_months"] >= pensioners["min_contribution_months"]).all()


def test_it_writes_city_tables_matching_the_reference(city: Path, persons: pl.DataFrame) -> None:
    from minsheng.geo import reference

    comms = pl.read_csv(city / "city" / "communities.csv", infer_schema=False)
    assert set(comms["code"]) == {c.code for c in reference.communities()}
    grids = pl.read_csv(city / "city" / "grids.csv", infer_schema=False)
    assert grids.height >= 83
    assert set(grids["community_code"]) == set(comms["code"])
    assert (grids["grid_code"].str.slice(0, 12) == grids["community_code"]).all()
    houses = pl.read_csv(city / "city" / "houses.csv", infer_schema=False)
    assert set(persons.filter(pl.col("resident"))["house_code"]) <= set(houses["house_code"])
    buildings = pl.read_csv(city / "city" / "buildings.csv", infer_schema=False)
    assert set(houses["building_code"]) <= set(buildings["building_code"])


def test_it_keeps_linkable_fields_on_rows_without_a_usable_id(
    exports: dict, rows: pl.DataFrame
) -> None:
    bad = 0
    usable = 0
    for name, (entry, df) in exports.items():
        r = rows.filter(pl.col("file") == name).sort("row")
        unusable = r.filter(
            pl.col("dirt").str.contains("id_missing|id_typo|id_transposition|id_excel_float")
        )
        for row in unusable["row"]:
            bad += 1
            vals = df.row(row - 1, named=True)
            if (
                vals[entry["name_column"]]
                and sum(v is not None and v != "" for v in vals.values()) >= 4
            ):
                usable += 1
    assert bad > 0 and usable / bad > 0.95


@pytest.mark.parametrize("code", ID_DIRT)
def test_it_tags_id_dirt_in_rows_parquet(rows: pl.DataFrame, code: str) -> None:
    assert rows["dirt"].str.contains(code).sum() > 0


def test_it_dates_every_export_before_the_reference_day(manifest: dict) -> None:
    for entry in manifest["files"]:
        m = re.search(r"_(\d{8})\.", entry["file"])
        if m:
            assert datetime.strptime(m.group(1), "%Y%m%d").date() <= date(2026, 11, 13)
