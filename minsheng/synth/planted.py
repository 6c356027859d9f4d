"""Planted cases: the irregularities later features must find.

`plant` changes a few lives so each case exists in realistic numbers (and at least a few
at any scale); `derive_cases` then finds every case by its rule over the truth, so the
truth files list planted and naturally arising cases alike.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import numpy as np
import polars as pl

from .business import new_entities
from .lifecourse import EMPLOYED, add_days, d64, month_index
from .rand import Streams


def _pick(rng: np.random.Generator, cand: np.ndarray, share: float, minimum: int = 3) -> np.ndarray:
    k = min(len(cand), max(minimum, round(share * len(cand))))
    return np.sort(rng.choice(cand, k, replace=False)) if k else np.array([], dtype=np.int64)


def plant(
    streams: Streams,
    persons: pl.DataFrame,
    A: dict[str, np.ndarray],
    ent: pl.DataFrame,
    as_of: date,
) -> pl.DataFrame:
    rng = streams("planted")
    n = persons.height
    as_of_d = d64(as_of)
    alive = persons["alive"].to_numpy()
    resident = persons["resident"].to_numpy()
    age = persons["age"].to_numpy()
    A["planted"] = np.zeros(n, dtype="U40")

    kind = ent["kind"].to_numpy()
    active = ent["status"].is_in(["存续", "在业"]).to_numpy()
    ins_companies = np.flatnonzero((kind == "company") & active & ent["insured"].to_numpy())

    # Unemployment benefit while employed: a new insured job the benefit office never hears of.
    ub_days = (as_of_d - A["ub_start"]).astype(np.int64)
    receiving = np.flatnonzero(alive & resident & (A["ub_status"] == 0) & (ub_days >= 60))
    chosen = _pick(rng, receiving, 0.05)
    new_job = add_days(
        A["ub_start"][chosen], rng.integers(20, np.maximum(ub_days[chosen] - 15, 21))
    )
    A["employer"][chosen] = ins_companies[rng.integers(0, len(ins_companies), len(chosen))]
    A["job_start"][chosen] = new_job
    A["emp_status"][chosen] = EMPLOYED
    A["employed_insured"][chosen] = True
    A["ep_status"][chosen] = 0
    A["ep_stop_date"][chosen] = np.datetime64("NaT")
    A["ui_active"][chosen] = True
    A["wi_active"][chosen] = True
    A["med_type"][chosen] = 1
    A["planted"][chosen] = "unemployment_benefit_while_employed"

    # Unemployment benefit while running a newly registered business.
    rest = np.setdiff1d(receiving, chosen)
    owners = _pick(rng, rest, 0.04)
    reg = add_days(A["ub_start"][owners], rng.integers(10, np.maximum(ub_days[owners] - 5, 11)))
    A["planted"][owners] = "unemployment_benefit_while_business_owner"

    # 低保 recipients who are the legal representative of a company.
    reps = set(ent["legal_rep_pid"].drop_nulls().to_list())
    dib = np.flatnonzero(
        alive
        & resident
        & (A["assist_type"] == 1)
        & (A["assist_status"] == 0)
        & (age >= 25)
        & (age <= 60)
    )
    dib = np.array([i for i in dib.tolist() if i + 1 not in reps], dtype=np.int64)
    dib_reps = _pick(rng, dib, 0.03)
    A["planted"][dib_reps] = "dibao_with_company"

    dist = persons["district_code"].to_numpy().astype(str)
    names = persons["name"].to_numpy()
    words = ["鑫源", "恒通", "宏达", "金泰", "瑞丰", "兴达", "德润", "昌盛", "广源", "亿达"]
    trades = ["商贸", "建筑工程", "物流", "劳务服务", "装饰工程", "汽车服务"]
    new_rows = []
    if len(owners):
        shop_names = [
            f"{ {'150302': '海勃湾区', '150303': '海南区', '150304': '乌达区'}[dist[i]] }{names[i][0]}记{['便利店', '五金店', '烧烤店', '水果店'][k % 4]}"
            for k, i in enumerate(owners.tolist())
        ]
        e = new_entities(
            streams, "planted/uscc_ind", np.full(len(owners), 6), dist[owners], reg, shop_names
        ).with_columns(
            kind=pl.lit("individual"),
            entity_type=pl.lit("个体工商户"),
            district_code=pl.Series(dist[owners]),
            reg_date=pl.Series(reg),
            status=pl.lit("存续"),
            industry=pl.lit("零售业"),
            capital=pl.Series(np.round(rng.uniform(1, 10, len(owners)), 1)),
            size_w=pl.lit(1.0),
            insured=pl.lit(False),
            legal_rep_pid=pl.Series(owners + 1),
            actual_employees=pl.lit(0),
            reported_employees=pl.lit(1),
        )
        new_rows.append(e)
    if len(dib_reps):
        reg2 = add_days(np.full(len(dib_reps), as_of_d), -rng.integers(60, 6 * 365, len(dib_reps)))
        cnames = [
            f"乌海市{words[k % len(words)]}{'汇泽通盛丰'[k % 5]}{trades[k % len(trades)]}有限公司"
            for k in range(len(dib_reps))
        ]
        e = new_entities(
            streams, "planted/uscc_company", np.full(len(dib_reps), 1), dist[dib_reps], reg2, cnames
        ).with_columns(
            kind=pl.lit("company"),
            entity_type=pl.lit("有限责任公司(自然人独资)"),
            district_code=pl.Series(dist[dib_reps]),
            reg_date=pl.Series(reg2),
            status=pl.lit("存续"),
            industry=pl.Series([trades[k % len(trades)] for k in range(len(dib_reps))]),
            capital=pl.Series(np.round(rng.uniform(10, 200, len(dib_reps)), 1)),
            size_w=pl.lit(1.0),
            insured=pl.lit(True),
            legal_rep_pid=pl.Series(dib_reps + 1),
            actual_employees=pl.lit(0),
            reported_employees=pl.lit(0),
        )
        new_rows.append(e)
    if new_rows:
        extra = pl.concat(new_rows, how="vertical_relaxed").with_columns(
            outside_rep_name=pl.lit(""),
            outside_rep_id=pl.lit(""),
            address=ent["address"].sample(
                sum(len(x) for x in new_rows),
                with_replacement=True,
                seed=int(rng.integers(0, 2**31)),
            ),
        )
        extra = extra.with_columns(
            ent_idx=pl.int_range(ent.height, ent.height + extra.height, dtype=pl.Int64)
        )
        ent = pl.concat([ent, extra.select(ent.columns)], how="vertical_relaxed")

    # Deceased pensioners still paid, and dead 低保 members still on the roll.
    known = A["gongan_death_known"] | A["wj_death_known"]
    dead_p = np.flatnonzero(~alive & A["has_pension"] & known)
    paid = _pick(rng, dead_p, 0.035)
    as_of_mi = as_of.year * 12 + as_of.month - 1
    A["pension_status"][paid] = 0
    A["last_paid_mi"][paid] = as_of_mi
    A["pension_end_month"][paid] = -1
    A["planted"][paid] = "deceased_still_paid"
    dead_d = np.flatnonzero(~alive & (A["assist_type"] == 1) & known)
    still = _pick(rng, dead_d, 0.1, minimum=1)
    A["assist_status"][still] = 0
    A["assist_end"][still] = np.datetime64("NaT")
    A["planted"][still] = "deceased_still_paid"
    return ent


def _flag(e: pl.Expr) -> pl.Expr:
    """A condition that is false, not null, where its value is missing (a null in a filter
    drops the row, and `~` of a null is still null)."""
    return e.fill_null(False)


def _on(kind: str) -> pl.Expr:
    """On this assistance and currently 在保 (what the lists mean by 低保/特困/防返贫监测)."""
    return _flag(pl.col("assist_type").eq(kind) & pl.col("assist_status").eq("在保"))


def _ym(mi: pl.Expr) -> pl.Expr:
    return (mi // 12).cast(pl.String) + "-" + (mi % 12 + 1).cast(pl.String).str.zfill(2)


def derive_cases(truth: pl.DataFrame, ent: pl.DataFrame, as_of: date) -> dict[str, pl.DataFrame]:
    """Every case by its rule over the truth (truth = persons.parquet's frame)."""
    as_of_mi = as_of.year * 12 + as_of.month - 1
    alive = pl.col("alive")
    cases: dict[str, pl.DataFrame] = {}
    death_mi = pl.col("death_date").dt.year() * 12 + pl.col("death_date").dt.month() - 1

    pension = truth.filter(
        ~alive & _flag(pl.col("pension_status").eq("正常发放")) & pl.col("has_pension")
    ).select(
        "person_id",
        "id_number",
        "name",
        "death_date",
        pl.lit("养老金").alias("benefit"),
        pl.col("pension_type").alias("detail"),
        pl.col("pension_amount").alias("monthly_amount"),
        (pl.lit(as_of_mi) - death_mi).alias("months_paid_after_death"),
    )
    dibao = truth.filter(~alive & _on("低保")).select(
        "person_id",
        "id_number",
        "name",
        "death_date",
        pl.lit("低保").alias("benefit"),
        pl.lit("最低生活保障金").alias("detail"),
        pl.col("assist_amount").cast(pl.Float64).alias("monthly_amount"),
        (pl.lit(as_of_mi) - death_mi).alias("months_paid_after_death"),
    )
    cases["deceased_still_paid"] = (
        pl.concat([pension, dibao])
        .with_columns(
            overpaid_amount=(pl.col("monthly_amount") * pl.col("months_paid_after_death")).round(2)
        )
        .sort("person_id", maintain_order=True)
    )

    ub = _flag(pl.col("ub_status").eq("领取中")) & alive
    cases["unemployment_benefit_while_employed"] = (
        truth.filter(
            ub
            & pl.col("employer_uscc").is_not_null()
            & pl.col("employed_insured")
            & (pl.col("job_start") > pl.col("ub_start"))
        )
        .select(
            "person_id",
            "id_number",
            "name",
            "ub_start",
            "ub_max_months",
            "employer_uscc",
            "employer_name",
            "job_start",
        )
        .sort("person_id", maintain_order=True)
    )

    active_ent = ent.filter(
        pl.col("status").is_in(["存续", "在业"]) & pl.col("legal_rep_pid").is_not_null()
    )
    owner = truth.filter(ub).join(
        active_ent.select(
            pl.col("legal_rep_pid").alias("person_id"),
            "uscc",
            pl.col("name").alias("business_name"),
            "entity_type",
            "reg_date",
        ),
        on="person_id",
    )
    cases["unemployment_benefit_while_business_owner"] = (
        owner.filter(pl.col("reg_date") >= pl.col("ub_start"))
        .select(
            "person_id",
            "id_number",
            "name",
            "ub_start",
            "uscc",
            "business_name",
            "entity_type",
            "reg_date",
        )
        .sort("person_id", "uscc", maintain_order=True)
    )

    dib = truth.filter(alive & _on("低保"))
    # A company (企业): not a 个体工商户, nor a 农民专业合作社 (registered, but no 公司).
    comp = active_ent.filter(
        (pl.col("kind") == "company") & (pl.col("entity_type") != "农民专业合作社")
    )
    cases["dibao_with_company"] = (
        dib.join(
            comp.select(
                pl.col("legal_rep_pid").alias("person_id"),
                "uscc",
                pl.col("name").alias("company_name"),
                "reg_date",
            ),
            on="person_id",
        )
        .select(
            "person_id", "id_number", "name", "assist_start", "uscc", "company_name", "reg_date"
        )
        .sort("person_id", "uscc", maintain_order=True)
    )

    cases["enterprise_no_insurance"] = (
        ent.filter(
            (pl.col("kind") == "company")
            & pl.col("status").is_in(["存续", "在业"])
            & ~pl.col("insured")
            & (pl.col("actual_employees") > 0)
            & (pl.col("reported_employees") > 0)
        )
        .select(
            pl.col("legal_rep_pid").alias("person_id"),
            "uscc",
            "name",
            "reported_employees",
            "actual_employees",
            "reg_date",
        )
        .sort("uscc", maintain_order=True)
    )

    # 求职创业补贴: graduates of this or last year from hardship families (or disabled). The
    # family is the 户籍 household (户口簿): a household registered here (公安) counts all its
    # living members; a graduate whose hukou is elsewhere has no family on this city's
    # registers, so only their own record counts (their family is certified where it is
    # registered).
    family = (
        pl.when(pl.col("local_hukou")).then(pl.col("household_id")).otherwise(-pl.col("person_id"))
    )
    hh = (
        truth.with_columns(family=family)
        .group_by("family")
        .agg(
            (alive & _on("低保")).any().alias("h_dibao"),
            (alive & _on("特困")).any().alias("h_tekun"),
            (alive & _on("防返贫监测")).any().alias("h_fpr"),
            (alive & pl.col("disabled")).any().alias("h_disabled"),
        )
    )
    g = (
        truth.filter(
            alive
            & pl.col("recent_grad")
            & pl.col("grad_date").dt.year().is_in([as_of.year, as_of.year - 1])
        )
        .with_columns(family=family)
        .join(hh, on="family")
    )
    reasons = pl.concat_str(
        [
            pl.when(pl.col(c)).then(pl.lit(lbl))
            for c, lbl in (
                ("h_dibao", "低保家庭"),
                ("h_tekun", "特困人员"),
                ("h_fpr", "脱贫/防返贫监测家庭"),
                ("h_disabled", "残疾人家庭"),
            )
        ],
        separator="；",
        ignore_nulls=True,
    )
    cases["graduate_job_subsidy_eligible"] = (
        g.with_columns(reasons=reasons)
        .filter(pl.col("reasons") != "")
        .select("person_id", "id_number", "name", "grad_date", "school", "edu_level", "reasons")
        .sort("person_id", maintain_order=True)
    )

    # 城乡居民养老保险代缴: local hukou (living here or not: the resident pension is paid
    # where the hukou is), 16-59, not in school, not in the employee scheme — which includes
    # never having been in it (a null ep_status).
    dj = truth.filter(
        alive
        & _flag(pl.col("local_hukou"))
        & pl.col("age").is_between(16, 59)
        & ~_flag(pl.col("in_school"))
        & ~_flag(pl.col("ep_status").is_in(["参保缴费", "退休"]))
    )
    dj_reasons = pl.concat_str(
        [
            pl.when(_on("低保")).then(pl.lit("低保对象")),
            pl.when(_on("特困")).then(pl.lit("特困人员")),
            pl.when(
                _flag(pl.col("disabled")) & _flag(pl.col("dis_grade").is_in(["一级", "二级"]))
            ).then(pl.lit("重度残疾人")),
            pl.when(_flag(pl.col("returned_to_poverty"))).then(pl.lit("返贫致贫人口")),
        ],
        separator="；",
        ignore_nulls=True,
    )
    cases["daijiao_candidates"] = (
        dj.with_columns(reasons=dj_reasons)
        .filter(pl.col("reasons") != "")
        .select("person_id", "id_number", "name", "age", "reasons", "rp_enrolled", "rp_grade")
        .sort("person_id", maintain_order=True)
    )

    due = pl.col("last_cert_date") + pl.duration(days=365)
    pens = truth.filter(alive & pl.col("has_pension"))
    cases["certification_door_to_door_80plus"] = (
        pens.filter((pl.col("age") >= 80) & (due <= pl.lit(as_of + timedelta(days=30))))
        .select(
            "person_id",
            "id_number",
            "name",
            "age",
            "pension_type",
            "last_cert_date",
            due.alias("next_due"),
            "grid_code",
        )
        .sort("person_id", maintain_order=True)
    )
    cases["certification_overdue"] = (
        pens.filter(pl.col("last_cert_date") < pl.lit(as_of - timedelta(days=365)))
        .select(
            "person_id",
            "id_number",
            "name",
            "age",
            "pension_type",
            "last_cert_date",
            "pension_status",
            ((pl.lit(as_of) - pl.col("last_cert_date")).dt.total_days() // 30 - 12).alias(
                "months_overdue"
            ),
        )
        .sort("person_id", maintain_order=True)
    )
    return cases


# The job-seeking subsidy as the handling log records it, and how far back a paid one
# counts (graduates.toml: handled_within('求职创业补贴申领', 24)).
SUBSIDY_MATTER = "求职创业补贴申领"
SUBSIDY_MONTHS = 24


def months_before(day: date, months: int) -> date:
    """`day` less whole months, the day clamped to the month's end (PostgreSQL's interval
    arithmetic; SQLite's date(…, '-N months') rolls over instead, which differs only for
    days 29-31)."""
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


def subsidy_paid(log: pl.DataFrame, as_of: date, months: int = SUBSIDY_MONTHS) -> pl.Series:
    """People with a completed 求职创业补贴 in the written handling log, read as the list's
    handled_within() reads the archive: 业务事项 = the matter, 办理结果 = 办结, and the day
    of 办理时间 after `as_of` less `months` (no upper bound)."""
    since = months_before(as_of, months)
    day = pl.col("办理时间").str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    return (
        log.filter(
            (pl.col("业务事项") == SUBSIDY_MATTER) & (pl.col("办理结果") == "办结") & (day > since)
        )["_pid"]
        .drop_nulls()
        .unique()
    )


def drop_subsidised(cases: dict[str, pl.DataFrame], log: pl.DataFrame, as_of: date) -> None:
    """Graduates already paid the subsidy are not eligible again (免申即享 pays once)."""
    name = "graduate_job_subsidy_eligible"
    if name in cases:
        paid = subsidy_paid(log, as_of)
        cases[name] = cases[name].filter(~pl.col("person_id").is_in(paid.implode()))


__all__ = ["derive_cases", "drop_subsidised", "month_index", "plant", "subsidy_paid"]
