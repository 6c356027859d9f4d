"""Ground truth: the person table (decoded to readable labels), rows, planted cases, counts."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from .assistance import ASSIST_TYPES, FPR_TYPES
from .lifecourse import (
    CARD_BANKS,
    CERT_METHODS,
    DEATH_CAUSES,
    DEATH_PLACES,
    DIS_GRADES,
    DIS_TYPES,
    EDU_LEVELS,
    EMP,
    INCOME_BANDS,
    RESETTLEMENT,
    RETIRE_CATS,
    UNEMP_REASONS,
    YOUFU,
)


def _label(codes: np.ndarray, labels: list[str], offset: int = 0) -> pl.Series:
    """Integer codes → labels; negative (or out-of-range) codes become null."""
    c = np.asarray(codes).astype(np.int64) + offset
    s = pl.Series([*labels, None], dtype=pl.String)
    return s.gather(np.where((c >= 0) & (c < len(labels)), c, len(labels)))


def _date(a: np.ndarray) -> pl.Series:
    return pl.Series(a.astype("datetime64[D]")).cast(pl.Date)


def _mi_text(mi: np.ndarray) -> pl.Series:
    mi = np.asarray(mi)
    s = (
        pl.Series(mi // 12).cast(pl.String)
        + "-"
        + pl.Series(mi % 12 + 1).cast(pl.String).str.zfill(2)
    )
    return pl.select(pl.when(pl.Series(mi >= 0)).then(s).otherwise(None)).to_series()


def person_truth(
    persons: pl.DataFrame, A: dict[str, np.ndarray], ent: pl.DataFrame
) -> pl.DataFrame:
    emp = A["employer"]
    e_uscc, e_name = ent["uscc"], ent["name"]

    def ent_col(idx: np.ndarray, col: pl.Series) -> pl.Series:
        s = col.gather(np.maximum(idx, 0))
        return pl.select(pl.when(pl.Series(idx >= 0)).then(s).otherwise(None)).to_series()

    form = np.select(
        [A["emp_status"] == 2, A["emp_status"] == 3, A["emp_status"] == 4, A["emp_status"] == 5],
        [0, 1, 2, 4],
        -1,
    )
    # A legal representative who works in his own small company counts as 自主创业.
    reps = ent.filter(
        pl.col("legal_rep_pid").is_not_null() & pl.col("status").is_in(["存续", "在业"])
    )
    rep_pids = np.zeros(persons.height + 1, dtype=bool)
    rep_pids[reps["legal_rep_pid"].to_numpy()] = True
    is_rep = rep_pids[1:]
    form = np.where(
        (form == 0) & is_rep & (ent["kind"].to_numpy()[np.maximum(emp, 0)] == "company"), 3, form
    )
    dis_no = (
        persons["id_number"]
        + pl.Series(A["dis_type"] + 1).cast(pl.String)
        + pl.Series(A["dis_grade"]).cast(pl.String)
    )

    cols = {
        "edu_level": _label(A["edu_level"], EDU_LEVELS),
        "in_school": A["in_school"],
        "grad_date": _date(A["grad_date"]),
        "school": pl.Series(A["school"]).replace("", None),
        "major": pl.Series(A["major"]).replace("", None),
        "recent_grad": A["recent_grad"],
        "emp_status": _label(A["emp_status"], EMP),
        "employment_form": _label(
            form, ["单位就业", "灵活就业", "个体经营", "自主创业", "公益性岗位"]
        ),
        "employed_insured": A["employed_insured"],
        "employer_uscc": ent_col(emp, e_uscc),
        "employer_name": ent_col(emp, e_name),
        "job_start": _date(A["job_start"]),
        "prev_employer_uscc": ent_col(A["prev_employer"], e_uscc),
        "prev_employer_name": ent_col(A["prev_employer"], e_name),
        "prev_job_start": _date(A["prev_job_start"]),
        "last_employer_name": ent_col(A["last_employer"], e_name),
        "last_employer_uscc": ent_col(A["last_employer"], e_uscc),
        "is_legal_rep": is_rep,
        "career_employee": A["career_employee"],
        "public_sector": A["public_sector"],
        "retire_category": _label(A["retire_category"], RETIRE_CATS),
        "retire_month": _mi_text(A["retire_mi"]),
        "retirement_reached": A["retirement_reached"],
        "ep_type": _label(
            np.select([A["ep_type"] == 110, A["ep_type"] == 120], [0, 1], -1),
            ["企业职工基本养老保险", "机关事业单位养老保险"],
        ),
        "ep_first_date": _date(A["ep_first_date"]),
        "ep_months": A["ep_months"],
        "ep_status": _label(A["ep_status"], ["参保缴费", "暂停缴费", "退休"]),
        "ep_stop_date": _date(A["ep_stop_date"]),
        "min_contribution_months": A["min_contribution_months"],
        "income_band": _label(A["income_band"], INCOME_BANDS),
        "contribution_base": A["contribution_base"],
        "ui_months": A["ui_months"],
        "ui_active": A["ui_active"],
        "wi_active": A["wi_active"],
        "med_type": _label(A["med_type"], ["职工基本医疗保险", "城乡居民基本医疗保险"], offset=-1),
        "rp_enrolled": A["rp_enrolled"],
        "rp_grade": A["rp_grade"],
        "rp_start": _date(A["rp_start"]),
        "unemp_reg_date": _date(A["unemp_reg_date"]),
        "unemp_reason": _label(A["unemp_reason"], UNEMP_REASONS),
        "ub_status": _label(A["ub_status"], ["领取中", "已领完", "不符合领取条件"]),
        "ub_start": _date(A["ub_start"]),
        "ub_max_months": A["ub_max_months"],
        "ub_received": A["ub_received"],
        "has_pension": A["has_pension"],
        "pension_type": _label(
            A["pension_type"],
            ["企业职工基本养老金", "机关事业单位基本养老金", "城乡居民基本养老金"],
            offset=-1,
        ),
        "pension_start": _date(A["pension_start"]),
        "pension_amount": A["pension_amount"],
        "pension_status": _label(A["pension_status"], ["正常发放", "暂停发放", "终止发放"]),
        "last_paid_month": _mi_text(A["last_paid_mi"]),
        "last_cert_date": _date(A["last_cert_date"]),
        "cert_method": _label(A["cert_method"], CERT_METHODS),
        "has_card": A["has_card"],
        "card_no": pl.Series(A["card_no"]).replace("", None),
        "card_generation": _label(A["card_gen"], ["第一代", "第二代", "第三代"], offset=-1),
        "card_issue_date": _date(A["card_issue"]),
        "card_status": _label(A["card_status"], ["正常", "挂失", "临时挂失", "冻结", "注销"]),
        "ecard": A["ecard"],
        "card_bank": _label(A["card_bank"], CARD_BANKS),
        "assist_type": _label(A["assist_type"], ASSIST_TYPES[1:], offset=-1),
        "assist_start": _date(A["assist_start"]),
        "assist_status": _label(A["assist_status"], ["在保", "停保"]),
        "assist_end": _date(A["assist_end"]),
        "assist_amount": A["assist_amount"],
        "fpr_type": _label(A["fpr_type"], FPR_TYPES[1:], offset=-1),
        "returned_to_poverty": A["returned_to_poverty"],
        "disabled": A["disabled"],
        "dis_type": _label(A["dis_type"], DIS_TYPES),
        "dis_grade": _label(A["dis_grade"], DIS_GRADES, offset=-1),
        "dis_cert_no": pl.select(
            pl.when(pl.Series(A["disabled"])).then(dis_no).otherwise(None)
        ).to_series(),
        "dis_cert_date": _date(A["dis_cert_date"]),
        "veteran": A["veteran"],
        "enlist_date": _date(A["enlist_date"]),
        "discharge_date": _date(A["discharge_date"]),
        "resettlement": _label(A["resettlement"], RESETTLEMENT),
        "youfu": _label(np.where(A["youfu"] > 0, A["youfu"], -1), YOUFU),
        "death_cause": _label(A["death_cause"], DEATH_CAUSES),
        "death_place": _label(A["death_place"], DEATH_PLACES),
        "gongan_death_known": A["gongan_death_known"],
        "gongan_cancel_date": _date(A["gongan_cancel_date"]),
        "wj_death_known": A["wj_death_known"],
        "phone": pl.Series(A["phone"]).replace("", None),
        "phone_old": pl.Series(A["phone_old"]).replace("", None),
        "planted": pl.Series(A["planted"]).replace("", None),
    }
    df = persons.with_columns(
        **{k: (v if isinstance(v, pl.Series) else pl.Series(v)) for k, v in cols.items()}
    )
    return df.with_columns(
        pl.col("birth_date").cast(pl.Date),
        pl.col("death_date").cast(pl.Date),
        pl.col("moved_date").cast(pl.Date),
    )


def write_parquet(df: pl.DataFrame, path: Path) -> None:
    # No statistics or timestamps that could differ run to run; a fixed compression.
    df.write_parquet(path, compression="zstd", compression_level=3, statistics=False)


def write_planted(
    cases: dict[str, pl.DataFrame],
    rows: pl.DataFrame,
    out: Path,
    unreachable: dict[str, pl.DataFrame] | None = None,
) -> tuple[dict[str, int], dict[str, int]]:
    """One CSV per case, with the export rows (file:row) that carry each case's person, and
    for each checked case `<case>.unreachable.csv`: the cases no export can show, with their
    `unreachable_reason` (reach.py), kept out of `<case>.csv`.

    Returns the planted counts (reachable cases) and the unreachable counts."""
    out.mkdir(parents=True, exist_ok=True)
    unreachable = unreachable or {}
    wanted = pl.concat(
        [
            df.select(pl.col("person_id").cast(pl.Int64))
            for group in (cases, unreachable)
            for df in group.values()
            if "person_id" in df.columns
        ]
    )
    ev = (
        rows.filter(pl.col("person_id").is_in(wanted["person_id"].drop_nulls().implode()))
        .group_by("person_id")
        .agg(
            (pl.col("file") + ":" + pl.col("row").cast(pl.String))
            .sort()
            .str.join(";")
            .alias("evidence")
        )
    )
    counts = {}
    key_ev = (
        rows.filter(pl.col("key").is_not_null() & pl.col("key").str.len_chars().eq(18))
        .group_by("key")
        .agg(
            (pl.col("file") + ":" + pl.col("row").cast(pl.String))
            .sort()
            .str.join(";")
            .alias("evidence")
        )
        .rename({"key": "uscc"})
    )

    def with_evidence(name: str, df: pl.DataFrame) -> pl.DataFrame:
        if name == "enterprise_no_insurance":
            # An enterprise case is found by its USCC, not by a person.
            return df.join(key_ev, on="uscc", how="left", maintain_order="left")
        if "evidence" not in df.columns and "person_id" in df.columns:
            return df.join(ev, on="person_id", how="left", maintain_order="left")
        return df

    for name, df in sorted(cases.items()):
        with_evidence(name, df).write_csv(out / f"{name}.csv")
        counts[name] = df.height
    lost = {}
    for name, df in sorted(unreachable.items()):
        with_evidence(name, df).write_csv(out / f"{name}.unreachable.csv")
        lost[name] = df.height
    return counts, lost


def counts_json(
    truth: pl.DataFrame,
    rows: pl.DataFrame,
    dirt_expected: dict[str, float],
    planted: dict[str, int],
    as_of: date,
    unreachable: dict[str, int] | None = None,
) -> dict:
    res = truth.filter(pl.col("resident"))
    n = res.height
    bands = res.select(
        (pl.col("age") <= 14).sum().alias("0-14"),
        pl.col("age").is_between(15, 64).sum().alias("15-64"),
        (pl.col("age") >= 65).sum().alias("65+"),
    ).row(0, named=True)
    males = int(res["male"].sum())
    by_file = rows.group_by("file").len().sort("file")
    dirt = (
        rows.select(pl.col("dirt").str.split(",").explode())
        .filter(pl.col("dirt") != "")
        .group_by("dirt")
        .len()
        .sort("dirt")
    )
    return {
        "as_of": as_of.isoformat(),
        "residents": n,
        "registered_local_residents": int(res["local_hukou"].sum()),
        "registered_living_elsewhere": int((truth["status"] == "away").sum()),
        "deceased_last_3_years": int((~truth["alive"]).sum()),
        "population_by_district": dict(
            res.group_by("district_code").len().sort("district_code").iter_rows()
        ),
        "age_bands": {k: v for k, v in bands.items()},
        "age_band_shares": {k: round(v / n, 5) for k, v in bands.items()},
        "sex_ratio": round(males / max(n - males, 1) * 100, 2),
        "households": int(res["household_id"].n_unique()),
        "rows_per_file": dict(by_file.iter_rows()),
        "dirt_counts": dict(dirt.iter_rows()),
        "dirt_expected": {k: round(v, 2) for k, v in sorted(dirt_expected.items())},
        "planted_counts": planted,
        # cases taken out of planted_counts: no export shows them (planted/<case>.unreachable.csv)
        "planted_unreachable_counts": unreachable or {},
    }


def write_json(obj: dict, path: Path) -> None:
    path.write_text(
        json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False) + "\n", encoding="utf-8"
    )
