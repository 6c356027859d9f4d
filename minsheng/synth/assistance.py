"""Social assistance (民政): 低保, 特困, 低保边缘 and 防返贫监测 households, drawn where
hardship is: no earner, severe disability, elderly living alone without a pension, villages.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from . import config
from .lifecourse import EMPLOYED, NAT, PUBLIC_WELFARE, SELF_EMPLOYED, add_days, d64
from .rand import Streams, weighted_choice

ASSIST_TYPES = ["", "低保", "特困", "低保边缘", "防返贫监测"]
FPR_TYPES = ["", "脱贫不稳定户", "边缘易致贫户", "突发严重困难户"]


def _quota_households(
    rng: np.random.Generator, weight: np.ndarray, size: np.ndarray, people: int, forced: np.ndarray
) -> np.ndarray:
    """Weighted sample of households without replacement until `people` are covered."""
    keys = np.where(forced, np.inf, np.log(rng.random(len(weight))) / np.maximum(weight, 1e-9))
    keys = np.where(weight <= 0, -np.inf, keys)
    order = np.argsort(-keys, kind="stable")
    cum = np.cumsum(size[order])
    take = max(int(np.searchsorted(cum, people)) + 1, int(forced.sum()))
    chosen = np.zeros(len(weight), dtype=bool)
    chosen[order[:take]] = True
    return chosen & (weight > 0) | forced


def build_assistance(
    streams: Streams,
    persons: pl.DataFrame,
    A: dict[str, np.ndarray],
    village: np.ndarray,
    as_of: date,
) -> None:
    rng = streams("assistance")
    n = persons.height
    hh = persons["household_id"].to_numpy()
    alive = persons["alive"].to_numpy()
    resident = persons["resident"].to_numpy()
    local = persons["local_hukou"].to_numpy()
    age = persons["age"].to_numpy()
    status = A["emp_status"]
    earner = (np.isin(status, [EMPLOYED, SELF_EMPLOYED, PUBLIC_WELFARE]) & alive) | (
        A["ep_pension"] & alive
    )
    severe = A["disabled"] & (A["dis_grade"] <= 2) & alive
    elderly_no_pension = alive & (age >= 60) & ~A["has_pension"]
    n_hh = int(hh.max()) + 1
    h_size = np.bincount(hh, weights=(alive & resident), minlength=n_hh).astype(np.int64)
    h_earn = np.bincount(hh, weights=earner, minlength=n_hh) > 0
    h_severe = np.bincount(hh, weights=severe, minlength=n_hh) > 0
    h_old_np = np.bincount(hh, weights=elderly_no_pension, minlength=n_hh) > 0
    h_local = np.bincount(hh, weights=local & resident, minlength=n_hh) > 0
    h_village = np.bincount(hh, weights=village & resident, minlength=n_hh) > 0
    base = np.where(h_local & (h_size > 0), 1.0, 0.0)
    w_dibao = base * (
        0.02 + 3 * ~h_earn + 3 * (h_severe & ~h_earn) + 1.5 * h_old_np + 1.0 * h_village
    )

    # Graduates from hardship families must exist for the 求职创业补贴 policy: place some.
    grads = np.flatnonzero(A["recent_grad"] & alive & (age <= 28) & local & resident)
    k = min(len(grads), max(3, round(0.03 * len(grads))))
    forced = np.zeros(n_hh, dtype=bool)
    if k:
        forced[hh[rng.choice(grads, k, replace=False)]] = True

    total_res = int((alive & resident).sum())
    dibao_h = _quota_households(rng, w_dibao, h_size, round(total_res * 0.017), forced)
    w_edge = np.where(dibao_h, 0, base * (0.05 + 2 * ~h_earn + h_old_np))
    edge_h = _quota_households(rng, w_edge, h_size, round(total_res * 0.008), np.zeros(n_hh, bool))
    w_fpr = np.where(dibao_h | edge_h, 0, base * (0.02 + 20 * h_village + 1.5 * ~h_earn))
    fpr_h = _quota_households(rng, w_fpr, h_size, round(total_res * 0.0025), np.zeros(n_hh, bool))

    atype = np.zeros(n, dtype=np.int64)
    atype[dibao_h[hh]] = 1
    atype[edge_h[hh]] = 3
    atype[fpr_h[hh]] = 4
    # 特困: destitute individuals (elderly alone without a pension, or severely disabled
    # without an earner) outside the other schemes.
    cand = np.flatnonzero(
        (atype == 0)
        & alive
        & resident
        & local
        & ((elderly_no_pension & (h_size[hh] == 1)) | (severe & ~h_earn[hh] & (age >= 16)))
    )
    k = min(len(cand), max(2, round(total_res * 0.0015)))
    tekun = rng.choice(cand, k, replace=False) if k else np.array([], dtype=np.int64)
    atype[tekun] = 2
    # People in the household who are not living residents (away, dead) are still listed for
    # 低保 only when dead (the roll may not have caught up) — never when living elsewhere.
    atype[(atype > 0) & ~resident & alive] = 0
    atype[(atype > 0) & ~resident & ~alive & ~dibao_h[hh]] = 0

    start_days = rng.integers(30, 8 * 365, n_hh)[hh]
    start = add_days(np.full(n, d64(as_of)), -start_days)
    ended = rng.random(n_hh)[hh] < 0.05
    death = persons["death_date"].to_numpy().astype("datetime64[D]")
    # 0 在保, 1 停保. A dead member stops, unless the roll is stale (planted later).
    astatus = np.where(ended & (atype != 2), 1, 0)
    astatus = np.where(~alive & (atype > 0), 1, astatus)
    A["assist_type"] = atype
    A["assist_start"] = np.where(
        atype > 0, np.minimum(start, np.where(alive, d64(as_of), death)), NAT
    )
    A["assist_status"] = np.where(atype > 0, astatus, -1)
    A["assist_end"] = np.where(
        (atype > 0) & (astatus == 1),
        np.where(alive, add_days(np.full(n, d64(as_of)), -rng.integers(10, 300, n)), death),
        NAT,
    )
    hh_amount = np.round(
        np.maximum(h_size, 1) * config.DIBAO_STANDARD * rng.uniform(0.35, 1.0, n_hh)
    )
    A["assist_amount"] = np.select(
        [atype == 1, atype == 2], [hh_amount[hh], config.TEKUN_STANDARD], 0
    ).astype(np.int64)
    fpr = weighted_choice(rng, n_hh, np.array([0.35, 0.4, 0.25])) + 1
    A["fpr_type"] = np.where(atype == 4, fpr[hh], 0)
    A["returned_to_poverty"] = (atype == 4) & (rng.random(n_hh) < 0.25)[hh]
    A["hardship_grad_forced"] = forced[hh] & A["recent_grad"]
