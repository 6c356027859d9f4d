"""Employers: companies and 个体工商户 (market entities, with USCCs), public employers, and
who works where. A short per-entity loop builds names (~45k entities at scale 1); people are
assigned to employers with vectorised weighted draws.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from . import config
from .ids import uscc_codes
from .lifecourse import (
    EMPLOYED,
    NAT,
    SELF_EMPLOYED,
    UNEMP_REG,
    add_days,
    d64,
)
from .names import random_names
from .rand import Streams, weighted_choice
from .tables import areas, word_lists

PUBLIC_EMPLOYERS = [
    ("乌海市人民医院", "12", "150300", 30),
    ("乌海市第四人民医院", "12", "150300", 12),
    ("乌海市中医医院", "12", "150300", 10),
    ("乌海市妇幼保健院", "12", "150300", 6),
    ("乌海市疾病预防控制中心", "12", "150300", 3),
    ("乌海市第一中学", "12", "150302", 6),
    ("乌海市第二中学", "12", "150302", 5),
    ("乌海市第六中学", "12", "150304", 4),
    ("海勃湾区实验小学", "12", "150302", 4),
    ("乌达区第一中学", "12", "150304", 4),
    ("海南区第一中学", "12", "150303", 3),
    ("乌海职业技术学院", "12", "150300", 8),
    ("乌海市广播电视台", "12", "150300", 2),
    ("乌海市图书馆", "12", "150300", 1),
    ("乌海市人力资源和社会保障局", "11", "150300", 3),
    ("乌海市公安局", "11", "150300", 10),
    ("乌海市财政局", "11", "150300", 2),
    ("乌海市教育局", "11", "150300", 2),
    ("乌海市民政局", "11", "150300", 2),
    ("乌海市市场监督管理局", "11", "150300", 3),
    ("海勃湾区人民政府办公室", "11", "150302", 3),
    ("海南区人民政府办公室", "11", "150303", 2),
    ("乌达区人民政府办公室", "11", "150304", 2),
    ("乌海市城市管理综合执法局", "11", "150300", 4),
]

ENTITY_TYPES = [
    "有限责任公司",
    "有限责任公司(自然人独资)",
    "股份有限公司",
    "个人独资企业",
    "合伙企业",
    "农民专业合作社",
    "个体工商户",
]
ENT_STATUS = ["存续", "在业", "吊销", "注销"]


def _reg_dates(rng: np.random.Generator, n: int, lo: date, as_of: date) -> np.ndarray:
    span = (d64(as_of) - d64(lo)).astype(np.int64)
    # More recent registrations are more common (the 2014 commercial-registration reform).
    return add_days(np.full(n, d64(lo)), span * np.sqrt(rng.random(n)))


def new_entities(
    streams: Streams,
    stream: str,
    kind: np.ndarray,
    district: np.ndarray,
    reg_date: np.ndarray,
    names: list[str],
) -> pl.DataFrame:
    """USCCs for entities of the given kinds (ENTITY_TYPES index)."""
    rng = streams(stream)
    n = len(kind)
    prefix = np.where(kind == 6, "92", np.where(kind == 5, "93", "91"))
    area = np.where(rng.random(n) < 0.3, "150300", district)
    new_style = reg_date >= d64(date(2015, 10, 1))
    codes = uscc_codes(rng, prefix.tolist(), area.tolist(), new_style)
    return pl.DataFrame({"uscc": codes, "name": names})


def build_business(
    streams: Streams,
    persons: pl.DataFrame,
    A: dict[str, np.ndarray],
    buildings: pl.DataFrame,
    scale: float,
    as_of: date,
) -> pl.DataFrame:
    """Return the employer table; add employer/job columns to A in place."""
    rng = streams("business/companies")
    words = word_lists("enterprise_words.csv")
    n_c = max(40, round(config.COMPANIES * scale))
    size_w = np.exp(rng.normal(1.4, 1.35, n_c))
    large = size_w > np.quantile(size_w, 0.97)
    industry = np.where(
        large,
        np.array(words["industry_large"])[rng.integers(0, len(words["industry_large"]), n_c)],
        np.array(words["industry_small"])[rng.integers(0, len(words["industry_small"]), n_c)],
    )
    brand = np.array(words["brand"])[rng.integers(0, len(words["brand"]), n_c)]
    etype = np.where(
        large,
        np.where(rng.random(n_c) < 0.3, 2, 0),
        weighted_choice(rng, n_c, np.array([0.62, 0.2, 0.01, 0.09, 0.04, 0.04])),
    )
    dist_codes = np.array(["150302", "150303", "150304"])
    c_dist = dist_codes[weighted_choice(rng, n_c, np.array([0.6, 0.2, 0.2]))]
    dist_name = {"150302": "海勃湾区", "150303": "海南区", "150304": "乌达区"}
    names, seen = [], set()
    for i in range(n_c):
        place = (
            "内蒙古"
            if large[i] and rng.random() < 0.4
            else ("乌海市" if rng.random() < 0.6 else f"乌海市{dist_name[c_dist[i]]}")
        )
        suffix = {
            0: "有限公司",
            1: "有限公司",
            2: "股份有限公司",
            3: "（个人独资）",
            4: "（有限合伙）",
            5: "专业合作社",
        }[int(etype[i])]
        body = f"{brand[i]}{industry[i]}"
        if etype[i] == 5:
            body = f"{brand[i]}种养殖"
        name = f"{place}{body}{suffix}"
        k = 0
        extra = "新兴隆盛达源恒泰华鑫通宏祥瑞丰汇"
        while name in seen:
            # Registration forbids duplicate names: vary the trade name as real applicants do.
            tag = extra[k % len(extra)] + (
                extra[k // len(extra) % len(extra)] if k >= len(extra) else ""
            )
            name = f"{place}{brand[i]}{tag}{industry[i] if etype[i] != 5 else '种养殖'}{suffix}"
            k += 1
        seen.add(name)
        names.append(name)
    c_reg = _reg_dates(rng, n_c, date(1995, 1, 1), as_of)
    u = rng.random(n_c)
    c_status = np.select([u < 0.86, u < 0.92, u < 0.96], [0, 1, 2], 3)
    companies = new_entities(streams, "business/uscc", etype, c_dist, c_reg, names).with_columns(
        kind=pl.lit("company"),
        entity_type=pl.Series(ENTITY_TYPES).gather(etype),
        district_code=pl.Series(c_dist),
        reg_date=pl.Series(c_reg),
        status=pl.Series(ENT_STATUS).gather(c_status),
        industry=pl.Series(industry),
        capital=pl.Series(np.round(np.exp(rng.normal(5, 1.6, n_c)) * np.where(large, 50, 1), 1)),
        size_w=pl.Series(size_w),
    )
    active_c = c_status <= 1
    # Some small and mid-sized active companies never registered for insurance.
    cand = np.flatnonzero(active_c & ~large & (etype != 5))
    n_unins = max(3, round(0.04 * active_c.sum()))
    unins = rng.choice(cand, min(n_unins, len(cand)), replace=False)
    insured = np.ones(n_c, dtype=bool)
    insured[unins] = False
    companies = companies.with_columns(insured=pl.Series(insured))

    # 个体工商户: one per self-employed person (and a few closed ones of other people).
    rng = streams("business/individual")
    status = A["emp_status"]
    alive = persons["alive"].to_numpy()
    birth = persons["birth_date"].to_numpy().astype("datetime64[D]")
    age = persons["age"].to_numpy()
    owners = np.flatnonzero(status == SELF_EMPLOYED)
    closed_owners = np.flatnonzero(
        (age >= 25) & (age < 70) & (status != SELF_EMPLOYED) & alive & (rng.random(len(age)) < 0.01)
    )
    i_owner = np.concatenate([owners, closed_owners])
    n_i = len(i_owner)
    i_dist = persons["district_code"].to_numpy()[i_owner].astype(str)
    lo = np.maximum(add_days(birth[i_owner], 20 * 365.25), d64(date(2003, 1, 1)))
    i_reg = add_days(lo, rng.random(n_i) * np.maximum((d64(as_of) - lo).astype(np.int64), 1))
    i_status = np.where(np.arange(n_i) < len(owners), np.where(rng.random(n_i) < 0.97, 0, 1), 3)
    shop = np.array(words["individual"])[rng.integers(0, len(words["individual"]), n_i)]
    ibrand = np.array(words["brand"])[rng.integers(0, len(words["brand"]), n_i)]
    surname = persons["name"].to_numpy()[i_owner]
    inames = [
        f"{dist_name[d]}{(s[0] + '记') if k % 3 == 0 else b}{sh}"
        for d, s, b, sh, k in zip(i_dist, surname, ibrand, shop, range(n_i), strict=True)
    ]
    counts: dict[str, int] = {}
    for j, nm in enumerate(inames):
        counts[nm] = counts.get(nm, 0) + 1
        if counts[nm] > 1:
            inames[j] = nm.replace(
                dist_name[i_dist[j]], f"{dist_name[i_dist[j]]}{'东西南北新老'[counts[nm] % 6]}", 1
            ) + (f"{counts[nm]}店" if counts[nm] > 6 else "")
    individuals = new_entities(
        streams, "business/uscc_individual", np.full(n_i, 6), i_dist, i_reg, inames
    ).with_columns(
        kind=pl.lit("individual"),
        entity_type=pl.lit("个体工商户"),
        district_code=pl.Series(i_dist),
        reg_date=pl.Series(i_reg),
        status=pl.Series(ENT_STATUS).gather(i_status),
        industry=pl.Series(shop),
        capital=pl.Series(np.round(rng.uniform(1, 30, n_i), 1)),
        size_w=pl.lit(1.0),
        insured=pl.lit(False),
    )

    rng = streams("business/public")
    pub_names = [p[0] for p in PUBLIC_EMPLOYERS]
    pub_kind = [p[1] for p in PUBLIC_EMPLOYERS]
    pub_area = [p[2] for p in PUBLIC_EMPLOYERS]
    n_p = len(PUBLIC_EMPLOYERS)
    pub_codes = uscc_codes(rng, pub_kind, pub_area, np.zeros(n_p, dtype=bool))
    public = pl.DataFrame({"uscc": pub_codes, "name": pub_names}).with_columns(
        kind=pl.lit("public"),
        entity_type=pl.Series(["事业单位" if k == "12" else "机关" for k in pub_kind]),
        district_code=pl.Series(pub_area),
        reg_date=pl.lit(None, dtype=pl.Date),
        status=pl.lit("存续"),
        industry=pl.lit("公共管理"),
        capital=pl.lit(None, dtype=pl.Float64),
        size_w=pl.Series([float(p[3]) for p in PUBLIC_EMPLOYERS]),
        insured=pl.lit(True),
    )
    ent = pl.concat(
        [companies, individuals.with_columns(pl.col("reg_date").cast(pl.Date)), public],
        how="vertical_relaxed",
    )
    ent = ent.with_columns(ent_idx=pl.int_range(pl.len(), dtype=pl.Int64))
    n_e = ent.height
    kind = ent["kind"].to_numpy()
    e_active = ent["status"].is_in(["存续", "在业"]).to_numpy()
    e_ins = ent["insured"].to_numpy()
    e_w = ent["size_w"].to_numpy()
    owner_of = np.full(n_e, -1, dtype=np.int64)
    owner_of[n_c : n_c + n_i] = i_owner

    # -- who works where -----------------------------------------------------------------
    rng = streams("business/employment")
    n = persons.height
    employer = np.full(n, -1, dtype=np.int64)
    pub_idx = np.flatnonzero(kind == "public")
    ins_idx = np.flatnonzero((kind == "company") & e_active & e_ins)
    unins_idx = np.flatnonzero((kind == "company") & e_active & ~e_ins)
    ind_idx = np.flatnonzero((kind == "individual") & e_active)
    ei = A["employed_insured"]
    eu = A["employed_uninsured"]
    pubp = np.flatnonzero(ei & A["public_sector"])
    employer[pubp] = pub_idx[weighted_choice(rng, len(pubp), e_w[pub_idx])]
    priv = np.flatnonzero(ei & ~A["public_sector"])
    employer[priv] = ins_idx[weighted_choice(rng, len(priv), e_w[ins_idx])]
    un = np.flatnonzero(eu)
    to_unins = rng.random(len(un)) < 0.5
    a = un[to_unins]
    employer[a] = unins_idx[weighted_choice(rng, len(a), e_w[unins_idx])]
    b = un[~to_unins]
    employer[b] = (
        ind_idx[weighted_choice(rng, len(b), e_w[ind_idx])]
        if len(ind_idx)
        else ins_idx[weighted_choice(rng, len(b), e_w[ins_idx])]
    )
    # Every uninsured company really has staff (so the labour-inspection case exists).
    counts = np.bincount(employer[employer >= 0], minlength=n_e)
    spare = [p for p in b.tolist()]
    for c in unins_idx.tolist():
        while counts[c] < 2 and spare:
            p = spare.pop()
            counts[employer[p]] -= 1
            employer[p] = c
            counts[c] += 1
    # Self-employed people run their own shop.
    employer[owners] = np.arange(n_c, n_c + len(owners))
    A["employer"] = employer
    ref = np.where(alive, d64(as_of), persons["death_date"].to_numpy().astype("datetime64[D]"))
    has_job = employer >= 0
    career_start = np.maximum(A["ep_first_date"], add_days(birth, 18 * 365.25))
    career_start = np.where(np.isnat(career_start), add_days(birth, 20 * 365.25), career_start)
    tenure = rng.random(n) * 12 * 365
    job_start = np.maximum(add_days(ref, -tenure), career_start)
    changed = has_job & (rng.random(n) < 0.18) & (status == EMPLOYED)
    job_start = np.where(changed, add_days(ref, -rng.integers(30, 3 * 365, n)), job_start)
    ent_reg = ent["reg_date"].to_numpy().astype("datetime64[D]")
    job_start = np.where(
        has_job & ~np.isnat(ent_reg[np.maximum(employer, 0)]),
        np.maximum(job_start, ent_reg[np.maximum(employer, 0)]),
        job_start,
    )
    A["job_start"] = np.where(has_job, job_start, NAT)
    prev = np.where(changed, ins_idx[rng.integers(0, len(ins_idx), n)], -1)
    prev = np.where(prev == employer, -1, prev)
    A["prev_employer"] = prev
    A["prev_job_start"] = np.where(prev >= 0, add_days(job_start, -rng.integers(200, 2500, n)), NAT)
    # The registered unemployed left a (last) employer.
    last = np.where(
        (status == UNEMP_REG) & A["ep_insured"], ins_idx[rng.integers(0, len(ins_idx), n)], -1
    )
    A["last_employer"] = last

    # -- legal representatives ----------------------------------------------------------
    rng = streams("business/legal_reps")
    eligible = np.flatnonzero(
        alive
        & (persons["status"] == "resident").to_numpy()
        & (age >= 28)
        & (age <= 64)
        & np.isin(status, [EMPLOYED, 3])
        & ~A["public_sector"]
    )
    w = 1.0 + A["edu_level"][eligible] * 0.5
    comp = np.arange(n_c)
    local_rep = rng.random(n_c) < 0.88
    keys = np.log(rng.random(len(eligible))) / w
    chosen = eligible[np.argsort(-keys, kind="stable")[: int(local_rep.sum())]]
    owner_of[comp[local_rep][: len(chosen)]] = chosen
    ext = np.flatnonzero(owner_of[:n_c] < 0)
    ext_names = random_names(
        rng, len(ext), rng.integers(1955, 1995, len(ext)), rng.random(len(ext)) < 0.75
    )
    ext_ids = _outside_ids(rng, len(ext))
    rep_name = np.full(n_e, "", dtype=object)
    rep_id = np.full(n_e, "", dtype=object)
    rep_name[ext] = ext_names
    rep_id[ext] = ext_ids
    # Actual and reported head counts (the annual report is only roughly right).
    actual = np.bincount(employer[employer >= 0], minlength=n_e)
    reported = np.round(actual * rng.uniform(0.75, 1.3, n_e)).astype(np.int64)
    reported = np.where((kind == "company") & ~e_ins & e_active, np.maximum(reported, 1), reported)
    reported = np.where(kind == "individual", np.maximum(actual + 1, 1), reported)
    ent = ent.with_columns(
        legal_rep_pid=pl.Series(np.where(owner_of >= 0, owner_of + 1, 0)).replace(0, None),
        outside_rep_name=pl.Series(rep_name.astype(str)),
        outside_rep_id=pl.Series(rep_id.astype(str)),
        actual_employees=pl.Series(actual),
        reported_employees=pl.Series(reported),
        address=_addresses(rng, ent["district_code"].to_list(), buildings),
    )
    return ent


def _outside_ids(rng: np.random.Generator, n: int) -> list[str]:
    from .ids import id_numbers, unique_sequences

    others = [int(a.code) for a in areas() if not a.group.startswith("local")]
    area = np.array(others)[rng.integers(0, len(others), n)]
    y = rng.integers(1955, 1995, n)
    ymd = y * 10000 + rng.integers(1, 13, n) * 100 + rng.integers(1, 29, n)
    male = rng.random(n) < 0.75
    seq = unique_sequences(rng, area, ymd, male)
    return id_numbers(area, ymd, seq).to_list()


def _addresses(rng: np.random.Generator, district: list[str], buildings: pl.DataFrame) -> pl.Series:
    b_dist = buildings["building_code"].str.slice(0, 6).to_numpy()
    b_addr = buildings["address"].to_numpy()
    out = []
    by_d = {d: np.flatnonzero(b_dist == d) for d in sorted(set(b_dist.tolist()))}
    for d in district:
        cand = by_d.get(d if d in by_d else "150302")
        out.append(
            f"{b_addr[cand[int(rng.integers(0, len(cand)))]]}底商{int(rng.integers(1, 30))}号"
        )
    return pl.Series(out)
