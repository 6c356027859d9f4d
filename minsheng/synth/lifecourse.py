"""Life histories: schooling, work, insurance, retirement, pensions, cards, disability,
veterans, deaths and phones, all computed column-wise over the whole population.

Rules that the platform will later screen for come from the same sources it will use:
retirement ages and minimum contribution from minsheng.lib.retirement (evaluated once per
distinct birth month and category, then joined), unemployment-benefit months from its
contribution-years rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from minsheng.lib import retirement as rules

from .ids import mobile_numbers
from .rand import Streams, weighted_choice
from .tables import word_lists

NAT = np.datetime64("NaT", "D")

EDU_LEVELS = ["小学", "初中", "高中", "中专", "大专", "本科", "硕士研究生"]
EDU_COMPLETION_AGE = np.array([12, 15, 18, 18, 21, 22, 25])
# Destined education by birth cohort (<1960, 60s, 70s, 80s, 90s, 2000+).
_EDU_BY_COHORT = np.array(
    [
        [0.45, 0.33, 0.10, 0.07, 0.03, 0.02, 0.00],
        [0.20, 0.42, 0.17, 0.11, 0.06, 0.04, 0.00],
        [0.10, 0.40, 0.17, 0.13, 0.11, 0.08, 0.01],
        [0.05, 0.32, 0.15, 0.13, 0.18, 0.15, 0.02],
        [0.02, 0.20, 0.13, 0.13, 0.26, 0.23, 0.03],
        [0.01, 0.12, 0.14, 0.11, 0.30, 0.28, 0.04],
    ]
)

EMP = [
    "preschool",
    "student",
    "employed",
    "flexible",
    "self_employed",
    "public_welfare",
    "unemployed_registered",
    "unemployed",
    "inactive",
    "farmer",
    "retired",
    "elsewhere",
]
(
    PRESCHOOL,
    STUDENT,
    EMPLOYED,
    FLEXIBLE,
    SELF_EMPLOYED,
    PUBLIC_WELFARE,
    UNEMP_REG,
    UNEMP,
    INACTIVE,
    FARMER,
    RETIRED,
    ELSEWHERE,
) = range(len(EMP))

RETIRE_CATS = ["male", "female_cadre", "female_worker"]
DIS_TYPES = ["肢体", "视力", "听力", "言语", "智力", "精神", "多重"]
DIS_GRADES = ["一级", "二级", "三级", "四级"]
CARD_BANKS = [
    "中国工商银行乌海分行",
    "中国建设银行乌海分行",
    "中国农业银行乌海分行",
    "中国银行乌海分行",
    "乌海银行",
    "内蒙古农村商业银行",
]
CERT_METHODS = ["人脸识别自助认证", "大数据比对认证", "窗口认证", "社区上门认证"]
DEATH_CAUSES = [
    "脑血管病",
    "心脏病",
    "恶性肿瘤",
    "慢性阻塞性肺疾病",
    "损伤和中毒",
    "糖尿病",
    "肺炎",
    "其他疾病",
]
DEATH_PLACES = ["医疗卫生机构", "家中", "养老机构", "其他场所"]
UNEMP_REASONS = ["劳动合同期满", "单位裁员", "个人辞职", "单位破产关闭", "其他"]
RESETTLEMENT = ["自主就业", "安排工作", "退休", "供养", "逐月领取退役金"]
YOUFU = ["", "残疾军人", "带病回乡退伍军人", "参战参试退役军人", "在乡复员军人"]
INCOME_BANDS = ["60%", "100%", "150%", "200%", "300%"]
AVERAGE_WAGE = 7_540  # 2025 Inner Mongolia 社平工资 basis (yuan / month), for contribution bases


def d64(d: date) -> np.datetime64:
    return np.datetime64(d, "D")


def month_index(d: np.ndarray) -> np.ndarray:
    """datetime64 → year*12 + month-1 (NaT → very negative)."""
    m = d.astype("datetime64[M]").astype(np.int64)
    return np.where(np.isnat(d), -(10**9), m + 1970 * 12)


def month_start(mi: np.ndarray) -> np.ndarray:
    return (np.asarray(mi) - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")


def add_days(d: np.ndarray, days: np.ndarray) -> np.ndarray:
    return d + np.asarray(days).astype(np.int64).astype("timedelta64[D]")


@dataclass
class Ctx:
    streams: Streams
    as_of: date
    n: int


def _retirement_months(
    by: np.ndarray, bm: np.ndarray, cat: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Retirement month index and minimum contribution months, via the shared rules,
    evaluated once per distinct (birth year, birth month, category)."""
    key = (by * 12 + bm - 1) * 3 + cat
    uniq, inv = np.unique(key, return_inverse=True)
    retire = np.empty(len(uniq), dtype=np.int64)
    min_months = np.empty(len(uniq), dtype=np.int64)
    for i, k in enumerate(uniq.tolist()):
        c = k % 3
        bmi = k // 3
        _y, _m, (ry, rm) = rules.retirement((bmi // 12, bmi % 12 + 1), RETIRE_CATS[c])
        retire[i] = ry * 12 + rm - 1
        min_months[i] = rules.min_contribution_months(ry)
    return retire[inv], min_months[inv]


def _benefit_months(ui_months: np.ndarray) -> np.ndarray:
    uniq, inv = np.unique(ui_months, return_inverse=True)
    vals = np.array(
        [rules.unemployment_benefit_max_months(m / 12) for m in uniq.tolist()], dtype=np.int64
    )
    return vals[inv]


def build_lifecourse(
    streams: Streams, persons: pl.DataFrame, as_of: date, village: np.ndarray
) -> dict[str, np.ndarray]:
    """Return new per-person columns (numpy arrays, aligned with `persons`)."""
    n = persons.height
    rng = streams("life/education")
    A: dict[str, np.ndarray] = {}
    birth = persons["birth_date"].to_numpy().astype("datetime64[D]")
    death = persons["death_date"].to_numpy().astype("datetime64[D]")
    alive = persons["alive"].to_numpy()
    away = (persons["status"] == "away").to_numpy()
    male = persons["male"].to_numpy()
    local = persons["local_hukou"].to_numpy()
    age = persons["age"].to_numpy()
    as_of_d = d64(as_of)
    as_of_mi = as_of.year * 12 + as_of.month - 1
    # Everything is judged on the reference day: today for the living, the death day for the dead.
    ref = np.where(alive, as_of_d, death)
    ref_mi = month_index(ref)
    by = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    bm = (birth.astype("datetime64[M]").astype(np.int64) % 12) + 1

    # -- education --------------------------------------------------------------------
    cohort = np.digitize(by, [1960, 1970, 1980, 1990, 2000])
    u = rng.random(n)
    cum = np.cumsum(_EDU_BY_COHORT, axis=1)[cohort]
    destined = (u[:, None] > cum).sum(axis=1).clip(0, 6)
    late = (bm >= 9).astype(np.int64)
    grad_year = by + EDU_COMPLETION_AGE[destined] + late
    grad_date = np.array([f"{y}-06-30" for y in range(1900, 2100)], dtype="datetime64[D]")[
        np.clip(grad_year - 1900, 0, 199)
    ]
    in_school = (grad_date > ref) & (age >= 3)
    # Completed level for those still studying: the stage below the one they are in.
    stage_age = age - late
    completed = np.where(
        in_school,
        np.select(
            [stage_age >= 22, stage_age >= 18, stage_age >= 15, stage_age >= 12], [5, 2, 1, 0], -1
        ),
        destined,
    )
    completed = np.minimum(completed, destined)
    A["edu_level"] = completed
    A["in_school"] = in_school
    college = destined >= 4
    A["grad_date"] = np.where(college, grad_date, NAT)
    schools = word_lists("schools.csv")
    uni = np.array(schools["college"])
    voc = np.array(schools["vocational"])
    majors = np.array(schools["majors"])
    A["school"] = np.where(
        college,
        np.where(
            destined == 4, voc[rng.integers(0, len(voc), n)], uni[rng.integers(0, len(uni), n)]
        ),
        "",
    )
    A["major"] = np.where(college, majors[rng.integers(0, len(majors), n)], "")
    recent = college & ~in_school & (grad_year >= as_of.year - 2) & (grad_year <= as_of.year)
    A["recent_grad"] = recent

    # -- disability and veterans (they shape work) -------------------------------------
    rng = streams("life/disability")
    p_dis = np.select([age < 18, age < 45, age < 60, age < 80], [0.006, 0.014, 0.025, 0.045], 0.09)
    disabled = rng.random(n) < p_dis
    A["disabled"] = disabled
    A["dis_type"] = np.where(
        disabled, weighted_choice(rng, n, np.array([0.5, 0.12, 0.16, 0.01, 0.07, 0.09, 0.05])), -1
    )
    A["dis_grade"] = np.where(
        disabled, weighted_choice(rng, n, np.array([0.12, 0.25, 0.30, 0.33])) + 1, 0
    )
    cert_lo = np.maximum(birth, d64(date(2008, 7, 1)))
    A["dis_cert_date"] = np.where(
        disabled,
        add_days(cert_lo, rng.random(n) * np.maximum((ref - cert_lo).astype(np.int64), 1)),
        NAT,
    )
    severe = disabled & (A["dis_grade"] <= 2)

    rng = streams("life/veterans")
    vet = np.where(
        male,
        (age >= 24) & (age <= 85) & (rng.random(n) < 0.045),
        (age >= 24) & (age <= 70) & (rng.random(n) < 0.002),
    )
    enlist_age = rng.integers(18, 21, n)
    service = np.select(
        [rng.random(n) < 0.6, rng.random(n) < 0.5, rng.random(n) < 0.75],
        [2, rng.integers(3, 6, n), rng.integers(5, 13, n)],
        rng.integers(12, 21, n),
    )
    enlist = add_days(birth, enlist_age * 365.25 + rng.integers(240, 330, n))
    discharge = add_days(enlist, service * 365.25)
    vet &= discharge < ref
    A["veteran"] = vet
    A["enlist_date"] = np.where(vet, enlist, NAT)
    A["discharge_date"] = np.where(vet, discharge, NAT)
    dyear = discharge.astype("datetime64[Y]").astype(np.int64) + 1970
    u = rng.random(n)
    resettle = np.select(
        [
            service >= 12,
            (dyear < 2011) & (u < 0.4),
            (dyear >= 2011) & (u < 0.12),
            (age >= 70) & (u < 0.5),
        ],
        [np.where(u < 0.7, 2, 4), 1, 1, 3],
        0,
    )
    A["resettlement"] = np.where(vet, resettle, -1)
    u = rng.random(n)
    youfu = np.select(
        [u < 0.03, u < 0.05, (by < 1965) & (u < 0.13), (by < 1955) & (u < 0.23)], [1, 2, 3, 4], 0
    )
    A["youfu"] = np.where(vet, youfu, 0)

    # -- careers and retirement --------------------------------------------------------
    rng = streams("life/career")
    p_career = (
        np.where(local, 0.62, 0.42)
        - 0.4 * village
        + 0.2 * (destined >= 5)
        - 0.1 * (~male & (by < 1970))
    )
    career = (rng.random(n) < p_career) | (vet & (A["resettlement"] == 1))
    career &= (age >= 18) & ~(in_school & (age < 26))
    p_public = np.select([destined >= 5, destined == 4], [0.25, 0.12], 0.05)
    public = career & (
        (rng.random(n) < p_public) | (vet & (A["resettlement"] == 1) & (rng.random(n) < 0.5))
    )
    cat = np.where(male, 0, np.where(public | ((destined >= 4) & (rng.random(n) < 0.3)), 1, 2))
    retire_mi, min_months = _retirement_months(by, bm, cat)
    reached = retire_mi <= ref_mi
    A["career_employee"] = career
    A["public_sector"] = public
    A["retire_category"] = cat
    A["retire_mi"] = retire_mi
    A["retirement_reached"] = reached

    # -- current status ----------------------------------------------------------------
    rng = streams("life/status")
    status = np.full(n, INACTIVE)
    status[age < 6] = PRESCHOOL
    status[in_school & (age >= 6)] = STUDENT
    working = (age >= 16) & ~in_school & ~reached
    months_since_grad = ref_mi - month_index(grad_date)
    fresh = college & (months_since_grad >= 0) & (months_since_grad < 18)
    # Probabilities: employed, flexible, self-employed, public-welfare, unemp-reg, unemp, inactive, farmer
    p_career_st = np.array([0.84, 0.05, 0.0, 0.0, 0.05, 0.02, 0.04, 0.0])
    p_other = np.array([0.20, 0.22, 0.14, 0.0, 0.03, 0.07, 0.34, 0.0])
    p_village = np.array([0.10, 0.12, 0.06, 0.0, 0.02, 0.04, 0.26, 0.40])
    p_fresh = np.array([0.58, 0.10, 0.02, 0.0, 0.08, 0.18, 0.04, 0.0])
    codes = np.array(
        [EMPLOYED, FLEXIBLE, SELF_EMPLOYED, PUBLIC_WELFARE, UNEMP_REG, UNEMP, INACTIVE, FARMER]
    )
    for mask, p in (
        (working & career, p_career_st),
        (working & ~career & ~village, p_other),
        (working & ~career & village, p_village),
        (working & fresh, p_fresh),
    ):
        idx = np.flatnonzero(mask)
        status[idx] = codes[weighted_choice(rng, len(idx), p)]
    pw = working & ~career & (age >= 40) & (rng.random(n) < 0.02)
    status[pw] = PUBLIC_WELFARE
    status[working & severe & (rng.random(n) < 0.8)] = INACTIVE
    status[(age >= 14) & (age < 16) & ~in_school] = INACTIVE
    status[reached & (age >= 16)] = RETIRED
    status[away & working] = ELSEWHERE
    # A career person who is not working now has simply stopped contributing.
    A["emp_status"] = status
    employed_insured = career & np.isin(status, [EMPLOYED])
    employed_uninsured = ~career & np.isin(status, [EMPLOYED])
    A["employed_insured"] = employed_insured
    A["employed_uninsured"] = employed_uninsured

    # -- employee pension insurance ----------------------------------------------------
    rng = streams("life/insurance")
    start_age_days = (np.maximum(EDU_COMPLETION_AGE[destined], 18) + rng.random(n) * 3) * 365.25
    career_start = add_days(birth, start_age_days)
    system_start = add_days(np.full(n, d64(date(1992, 1, 1))), rng.random(n) * 4 * 365)
    ep_first = np.maximum(career_start, system_start)
    # People who retired before the pension system's records began have their earlier work
    # recorded as deemed contribution (视同缴费): their record starts well before retirement.
    latest_first = month_start(retire_mi - min_months - rng.integers(12, 240, n))
    ep_first = np.where(reached, np.minimum(ep_first, latest_first), ep_first)
    ep_first = np.maximum(ep_first, career_start)
    stop = np.where(
        status == RETIRED,
        month_start(retire_mi),
        np.where(
            employed_insured | (career & (status == FLEXIBLE) & (rng.random(n) < 0.7)),
            ref,
            add_days(ref, -rng.integers(30, 1100, n)),
        ),
    )
    stop = np.maximum(stop, ep_first)
    span = np.maximum(month_index(stop) - month_index(ep_first), 0)
    continuity = np.where(employed_insured, rng.uniform(0.85, 1.0, n), rng.uniform(0.55, 1.0, n))
    ep_months = np.round(span * continuity).astype(np.int64)
    # Most who reach retirement made sure of the minimum; some fall short and get none.
    short = (status == RETIRED) & (ep_months < min_months)
    topped = short & (rng.random(n) < 0.9)
    ep_months = np.where(topped, min_months + rng.integers(0, 120, n), ep_months)
    ep_months = np.minimum(ep_months, np.maximum(span, min_months))
    has_ep = career & (ep_months > 0)
    A["ep_insured"] = has_ep
    A["ep_type"] = np.where(has_ep, np.where(public, 120, 110), 0)
    A["ep_first_date"] = np.where(has_ep, ep_first, NAT)
    A["ep_months"] = np.where(has_ep, ep_months, 0)
    active = has_ep & (stop >= ref) & (status != RETIRED)
    ep_pension = has_ep & (status == RETIRED) & (ep_months >= min_months)
    A["ep_status"] = np.where(
        ~has_ep, -1, np.where(ep_pension, 2, np.where(active, 0, 1))
    )  # 0 paying,1 paused,2 retired
    A["ep_stop_date"] = np.where(has_ep & ~active, stop, NAT)
    A["ep_pension"] = ep_pension
    A["min_contribution_months"] = min_months
    # Contribution base and income band.
    band = weighted_choice(rng, n, np.array([0.35, 0.35, 0.15, 0.10, 0.05]))
    band = np.where(public, np.maximum(band, 1), band)
    A["income_band"] = np.where(has_ep, band, -1)
    A["contribution_base"] = np.where(
        has_ep,
        np.round(
            AVERAGE_WAGE * np.array([0.6, 1.0, 1.5, 2.0, 3.0])[band] * rng.uniform(0.97, 1.03, n)
        ),
        0,
    ).astype(np.int64)
    # Unemployment insurance began here in 1999; work injury covers current employees.
    ui_start = np.maximum(ep_first, d64(date(1999, 1, 1)))
    ui_months = np.where(
        has_ep, np.minimum(ep_months, np.maximum(month_index(stop) - month_index(ui_start), 0)), 0
    )
    A["ui_months"] = ui_months
    A["ui_active"] = active & (employed_insured)
    A["wi_active"] = active & (employed_insured)
    A["med_type"] = np.where(
        active & employed_insured | ep_pension, 1, np.where(rng.random(n) < 0.95, 2, 0)
    )

    # -- resident pension (城乡居民养老保险, enrolled at the hukou place) -----------------
    eligible_rp = local & (age >= 16) & ~in_school & ~(has_ep & (active | ep_pension))
    rp = eligible_rp & (rng.random(n) < np.where(age >= 60, 0.9, 0.78))
    A["rp_enrolled"] = rp
    grades = np.array([100, 200, 300, 400, 500, 600, 800, 1000, 1500, 2000, 3000])
    A["rp_grade"] = np.where(
        rp,
        grades[
            weighted_choice(
                rng,
                n,
                np.array([0.42, 0.25, 0.13, 0.03, 0.08, 0.02, 0.02, 0.03, 0.01, 0.005, 0.005]),
            )
        ],
        0,
    )
    rp_start = np.maximum(
        add_days(birth, 16 * 365.25 + rng.random(n) * 3650), d64(date(2011, 7, 1))
    )
    A["rp_start"] = np.where(rp, np.minimum(rp_start, ref), NAT)
    sixty_mi = month_index(birth) + 60 * 12 + 1
    rp_pension = rp & (sixty_mi <= ref_mi)

    # -- unemployment registration and benefit -----------------------------------------
    rng = streams("life/unemployment")
    ureg = status == UNEMP_REG
    reg_date = add_days(ref, -rng.integers(5, 900, n))
    reg_date = np.maximum(reg_date, np.where(has_ep, stop, reg_date))
    reason = weighted_choice(rng, n, np.array([0.35, 0.2, 0.3, 0.08, 0.07]))
    involuntary = reason != 2
    eligible_ub = ureg & has_ep & involuntary & (ui_months >= 12)
    max_m = np.where(eligible_ub, _benefit_months(ui_months), 0)
    elapsed = np.maximum(ref_mi - month_index(reg_date), 0)
    received = np.minimum(elapsed + 1, max_m)
    A["unemp_reg_date"] = np.where(ureg, reg_date, NAT)
    A["unemp_reason"] = np.where(ureg, reason, -1)
    A["ub_max_months"] = max_m
    A["ub_received"] = np.where(eligible_ub, received, 0)
    # 0 receiving, 1 exhausted, 2 not eligible
    A["ub_status"] = np.where(
        ~ureg, -1, np.where(~eligible_ub, 2, np.where(received < max_m, 0, 1))
    )
    A["ub_start"] = np.where(eligible_ub, reg_date, NAT)

    # -- pensions and certification ----------------------------------------------------
    rng = streams("life/pension")
    has_pension = ep_pension | rp_pension
    A["pension_type"] = np.where(ep_pension, np.where(public, 2, 1), np.where(rp_pension, 3, 0))
    p_start_mi = np.where(ep_pension, retire_mi, np.maximum(sixty_mi, 2011 * 12 + 6))
    A["pension_start"] = np.where(has_pension, month_start(p_start_mi), NAT)
    ep_amount = (
        1_300 + ep_months * 9.0 * np.array([0.8, 1.0, 1.2, 1.4, 1.7])[np.maximum(band, 0)]
    ) * np.where(public, 1.5, 1.0)
    rp_amount = (
        203
        + A["rp_grade"]
        * np.maximum(np.minimum(ref_mi - month_index(A["rp_start"]), 180), 0)
        / 12
        / 139
    )
    amount = np.where(ep_pension, ep_amount, rp_amount) * rng.uniform(0.95, 1.05, n)
    A["pension_amount"] = np.where(has_pension, np.round(amount, 2), 0.0)
    old = age >= 80
    days_since = np.where(
        rng.random(n) < np.where(away, 0.85, 0.955),
        rng.integers(0, 365, n),
        rng.integers(366, 900, n),
    )
    last_cert = add_days(ref, -days_since)
    last_cert = np.maximum(last_cert, month_start(p_start_mi))
    A["last_cert_date"] = np.where(has_pension, last_cert, NAT)
    method = np.where(
        old,
        weighted_choice(rng, n, np.array([0.30, 0.25, 0.10, 0.35])),
        weighted_choice(rng, n, np.array([0.55, 0.30, 0.10, 0.05])),
    )
    A["cert_method"] = np.where(has_pension, method, -1)
    overdue = has_pension & alive & (last_cert < add_days(np.full(n, as_of_d), -365))
    # 0 normal, 1 suspended (overdue), 2 terminated (death)
    A["pension_status"] = np.where(
        ~has_pension, -1, np.where(~alive, 2, np.where(overdue & (rng.random(n) < 0.6), 1, 0))
    )
    A["pension_end_month"] = np.where(
        has_pension & ~alive, month_index(death) + rng.integers(0, 2, n), -1
    )
    A["last_paid_mi"] = np.where(
        ~has_pension,
        -1,
        np.where(
            ~alive,
            A["pension_end_month"],
            np.where(A["pension_status"] == 1, month_index(last_cert) + 12, as_of_mi),
        ),
    )
    A["has_pension"] = has_pension
    A["rp_pension"] = rp_pension

    # -- social security card ------------------------------------------------------------
    rng = streams("life/card")
    has_card = rng.random(n) < np.where(alive, 0.98, 0.97)
    issue_lo = np.maximum(birth, d64(date(2010, 1, 1)))
    issue = add_days(issue_lo, rng.random(n) * np.maximum((ref - issue_lo).astype(np.int64), 1))
    A["has_card"] = has_card
    A["card_issue"] = np.where(has_card, issue, NAT)
    A["card_gen"] = np.where(
        has_card,
        np.select([issue < d64(date(2014, 7, 1)), issue < d64(date(2021, 6, 1))], [1, 2], 3),
        0,
    )
    u = rng.random(n)
    # 0 正常 1 挂失 2 临时挂失 3 冻结 4 注销
    card_status = np.select([u < 0.02, u < 0.025, u < 0.032], [1, 2, 3], 0)
    # The card office cancels a dead person's card; whether its export knows yet is export dirt.
    card_status = np.where(alive, card_status, 4)
    A["card_status"] = np.where(has_card, card_status, -1)
    p_e = np.select([age < 16, age < 60, age < 75], [0.2, 0.78, 0.4], 0.15)
    A["ecard"] = has_card & (rng.random(n) < p_e) & (A["card_gen"] >= 2)
    letters = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"))
    A["card_no"] = np.where(
        has_card,
        np.char.add(
            letters[rng.integers(0, len(letters), n)],
            np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8),
        ),
        "",
    )
    A["card_bank"] = rng.integers(0, len(CARD_BANKS), n)

    # -- deaths ------------------------------------------------------------------------
    rng = streams("life/death")
    dead = ~alive
    A["death_cause"] = np.where(
        dead, weighted_choice(rng, n, np.array([0.24, 0.22, 0.24, 0.1, 0.06, 0.04, 0.04, 0.06])), -1
    )
    A["death_place"] = np.where(
        dead, weighted_choice(rng, n, np.array([0.55, 0.38, 0.04, 0.03])), -1
    )
    cancel = add_days(death, rng.integers(3, 75, n))
    A["gongan_death_known"] = dead & local & (rng.random(n) < 0.9) & (cancel <= as_of_d)
    A["gongan_cancel_date"] = np.where(A["gongan_death_known"], cancel, NAT)
    A["wj_death_known"] = dead & (rng.random(n) < 0.93)

    # -- phones ------------------------------------------------------------------------
    rng = streams("life/phone")
    has_phone = (age >= 14) & (rng.random(n) < np.where(age >= 75, 0.75, 0.96))
    A["phone"] = np.where(has_phone, mobile_numbers(rng, n), "")
    changed = has_phone & (rng.random(n) < 0.12)
    A["phone_old"] = np.where(changed, mobile_numbers(rng, n), "")
    return A
