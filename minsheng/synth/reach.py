"""Which planted cases the exports can show: a case whose evidence the generator's own dirt
destroyed cannot be found by any importer, so it must count neither as found nor as missed.

For each list `NEEDS` names what the list's rule reads, as a table of needs; a need is met
when the export rows that carry it survive the dirt in a linkable way. A case with an unmet
need is unreachable: `split` takes it out of the planted list and gives the reason
(`truth/planted/<case>.unreachable.csv`, `unreachable_reason`).

The rule is conservative, it removes only what is clearly lost: a needed row is absent, or
every copy of it has lost its ID number (`id_missing`) in a file that gives nothing else to
link a person by — no full birth date beside the name (`LINKS_WITHOUT_ID` lists the files
that do). Rows with a damaged but readable ID (a typo, 15 digits, an Excel float …), with a
changed name, or without an ID but with name, sex and birth date stay reachable: linking
them is the importer's job, and missing them counts against it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

# Row dirt after which a row carries no ID number at all.
NO_ID = "id_missing"
# Blank and malformed rows carry no person (listed so that they never count as evidence).
JUNK = ("blank", "malformed")
# Files whose rows carry name, sex and full birth date: without its ID a row still links by
# them (the importer's probabilistic linkage, or a clerk). The others give a name and
# little else (no birth date, or only its month), so a row without an ID is lost.
LINKS_WITHOUT_ID = frozenset(
    {"gongan_hukou", "gongan_death", "grid_census", "rs_employment", "wj_death", "edu_graduates"}
)

# The export columns a need reads, per source (plus the hidden _pid/_dirt/_key and row).
COLUMNS = {
    "gongan_hukou": ["户号", "人员状态"],
    "gongan_death": [],
    "wj_death": [],
    "grid_census": ["户籍类型"],
    "rs_employment": ["登记类型", "失业保险金状态", "统一社会信用代码", "登记日期"],
    "rs_insurance": ["参保状态", "单位统一社会信用代码", "本次参保日期"],
    "rs_pension": ["发放状态"],
    "mz_assistance": ["救助类型", "保障状态", "返贫致贫"],
    "edu_graduates": [],
    "cl_disability": ["残疾等级"],
    "scjg_business": [],
    "rs_handling_log": ["业务事项", "办理结果", "办理时间"],
}


class Evidence:
    """The export rows of the watched people and companies, as written (after the dirt)."""

    def __init__(self, frames: dict[str, pl.DataFrame], truth: pl.DataFrame) -> None:
        self.frames = frames
        self.truth = truth

    def rows(self, source: str, where: pl.Expr | None = None) -> pl.DataFrame:
        """The linkable rows of `source` (module docstring), optionally filtered."""
        df = self.frames.get(source)
        if df is None or df.is_empty():
            return pl.DataFrame(schema={"_pid": pl.Int64, "_key": pl.String})
        lost = [*JUNK] if source in LINKS_WITHOUT_ID else [*JUNK, NO_ID]
        codes = pl.col("_dirt").fill_null("").str.split(",")
        df = df.filter(
            pl.col("_pid").is_not_null() & ~codes.list.eval(pl.element().is_in(lost)).list.any()
        )
        return df if where is None else df.filter(where)

    def pids(self, source: str, where: pl.Expr | None = None) -> pl.Series:
        return self.rows(source, where)["_pid"].unique()


# -- the needs -------------------------------------------------------------------------
# Each need: what the rule reads (for the reason), and which case rows have it.


@dataclass(frozen=True)
class Need:
    what: str  # the evidence, as the reason names it when missing
    met: Callable[[pl.DataFrame, Evidence], pl.Series]  # case rows → bool per row


def _has(case: pl.DataFrame, pids: pl.Series) -> pl.Series:
    return case["person_id"].is_in(pids.implode()).fill_null(False)


def _pairs(case: pl.DataFrame, found: pl.DataFrame, on: list[str]) -> pl.Series:
    """Per case row: does `found` hold a row with the same values of `on`?"""
    hit = found.select(on).unique().with_columns(_hit=pl.lit(True))
    joined = case.select(on).join(hit, on=on, how="left", maintain_order="left")
    return joined["_hit"].fill_null(False)


def _death(case: pl.DataFrame, ev: Evidence) -> pl.Series:
    dead = pl.concat(
        [
            ev.pids("gongan_death"),
            ev.pids("wj_death"),
            ev.pids("gongan_hukou", pl.col("人员状态") == "死亡注销"),
        ]
    )
    return _has(case, dead)


def _benefit_paid(case: pl.DataFrame, ev: Evidence) -> pl.Series:
    pension = _has(case, ev.pids("rs_pension", pl.col("发放状态") == "正常发放"))
    dibao = _has(case, _assisted(ev, ["低保"]))
    return pl.select(
        pl.when(pl.Series(case["benefit"] == "养老金")).then(pension).otherwise(dibao)
    ).to_series()


def _assisted(ev: Evidence, kinds: list[str]) -> pl.Series:
    return ev.pids(
        "mz_assistance", pl.col("救助类型").is_in(kinds) & (pl.col("保障状态") == "在保")
    )


def _ub_receiving(case: pl.DataFrame, ev: Evidence) -> pl.Series:
    return _has(
        case,
        ev.pids(
            "rs_employment",
            (pl.col("登记类型") == "失业登记") & (pl.col("失业保险金状态") == "领取中"),
        ),
    )


def _new_job(case: pl.DataFrame, ev: Evidence) -> pl.Series:
    """The new employer with the job's start: a 就业登记 row, or a 参保缴费 row of 参保."""
    jobs = [
        ev.rows("rs_insurance", pl.col("参保状态") == "参保缴费").select(
            pl.col("_pid").alias("person_id"),
            pl.col("单位统一社会信用代码").alias("employer_uscc"),
            pl.col("本次参保日期").str.to_date("%Y%m%d", strict=False).alias("job_start"),
        ),
        ev.rows("rs_employment", pl.col("登记类型") == "就业登记").select(
            pl.col("_pid").alias("person_id"),
            pl.col("统一社会信用代码").alias("employer_uscc"),
            pl.col("登记日期").str.to_date("%Y-%m-%d", strict=False).alias("job_start"),
        ),
    ]
    found = pl.concat(jobs).drop_nulls()
    c = case.select(
        pl.col("person_id").cast(pl.Int64), "employer_uscc", pl.col("job_start").cast(pl.Date)
    )
    return _pairs(c, found, ["person_id", "employer_uscc", "job_start"])


def _business(case: pl.DataFrame, ev: Evidence) -> pl.Series:
    """The 市场监管 row of the case's entity, naming the person as legal representative."""
    found = ev.rows("scjg_business").select(
        pl.col("_pid").alias("person_id"), pl.col("_key").alias("uscc")
    )
    return _pairs(
        case.select(pl.col("person_id").cast(pl.Int64), "uscc"), found, ["person_id", "uscc"]
    )


def _dibao(case: pl.DataFrame, ev: Evidence) -> pl.Series:
    return _has(case, _assisted(ev, ["低保"]))


def _graduate(case: pl.DataFrame, ev: Evidence) -> pl.Series:
    return _has(case, ev.pids("edu_graduates"))


def _hardship_rows(ev: Evidence) -> pl.Series:
    """People whose hardship the lists can read: 低保/特困/防返贫监测 在保, or disabled."""
    return pl.concat([_assisted(ev, ["低保", "特困", "防返贫监测"]), ev.pids("cl_disability")])


def _family_hardship(case: pl.DataFrame, ev: Evidence) -> pl.Series:
    """The graduate's own hardship record, or a living member's with whom the graduate
    shares a 公安 户号 (the rule's household_any reads the 公安 household)."""
    T = ev.truth
    qualifies = T.filter(
        pl.col("alive")
        & (
            (
                pl.col("assist_type").is_in(["低保", "特困", "防返贫监测"])
                & (pl.col("assist_status") == "在保")
            ).fill_null(False)
            | pl.col("disabled")
        )
    )["person_id"]
    shown = _hardship_rows(ev)
    hard = shown.filter(shown.is_in(qualifies.implode()))
    own = _has(case, hard)
    hk = ev.rows("gongan_hukou", pl.col("户号").is_not_null()).select(
        pl.col("_pid").alias("person_id"), "户号"
    )
    member_hh = hk.filter(pl.col("person_id").is_in(hard.implode())).select("户号").unique()
    via = hk.join(member_hh, on="户号")["person_id"]
    return own | _has(case, via)


def _local_hukou(case: pl.DataFrame, ev: Evidence) -> pl.Series:
    local = pl.concat(
        [ev.pids("gongan_hukou"), ev.pids("grid_census", pl.col("户籍类型") == "本地户籍")]
    )
    return _has(case, local)


def _daijiao_reason(case: pl.DataFrame, ev: Evidence) -> pl.Series:
    shown = pl.concat(
        [
            _assisted(ev, ["低保", "特困"]),
            ev.pids("mz_assistance", pl.col("返贫致贫") == "是"),
            ev.pids("cl_disability", pl.col("残疾等级").is_in(["一级", "二级"])),
        ]
    )
    return _has(case, shown)


def _pension(case: pl.DataFrame, ev: Evidence) -> pl.Series:
    return _has(case, ev.pids("rs_pension"))


DEATH = Need("公安/卫健 death record", _death)
BENEFIT_PAID = Need("rs_pension 正常发放 or mz_assistance 低保 在保 row", _benefit_paid)
UB_RECEIVING = Need("rs_employment 失业登记 row 领取中", _ub_receiving)
NEW_JOB = Need("new employer's rs_insurance 参保缴费 or rs_employment 就业登记 row", _new_job)
BUSINESS = Need("scjg_business row naming them legal representative", _business)
DIBAO = Need("mz_assistance 低保 在保 row", _dibao)
GRADUATE = Need("edu_graduates row", _graduate)
FAMILY_HARDSHIP = Need(
    "hardship row (mz_assistance/cl_disability) of theirs or of a 公安 household member",
    _family_hardship,
)
LOCAL_HUKOU = Need("gongan_hukou or local grid_census row", _local_hukou)
DAIJIAO_REASON = Need(
    "mz_assistance 低保/特困 在保 or 返贫致贫 row, or cl_disability grade 1-2 row", _daijiao_reason
)
PENSION = Need("rs_pension row", _pension)

# list (planted case) → the evidence its rule needs; lists not named here are not checked.
NEEDS: dict[str, tuple[Need, ...]] = {
    "deceased_still_paid": (DEATH, BENEFIT_PAID),
    "unemployment_benefit_while_employed": (UB_RECEIVING, NEW_JOB),
    "unemployment_benefit_while_business_owner": (UB_RECEIVING, BUSINESS),
    "dibao_with_company": (DIBAO, BUSINESS),
    "graduate_job_subsidy_eligible": (GRADUATE, FAMILY_HARDSHIP),
    "daijiao_candidates": (LOCAL_HUKOU, DAIJIAO_REASON),
    "certification_door_to_door_80plus": (PENSION,),
    "certification_overdue": (PENSION,),
}


def watched(cases: dict[str, pl.DataFrame], truth: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    """The people (and USCCs) whose export rows `split` reads: everyone in a checked case,
    and the household members of the graduates (their hardship may be the evidence)."""
    pids = [
        cases[c]["person_id"].cast(pl.Int64)
        for c in NEEDS
        if c in cases and not cases[c].is_empty()
    ]
    people = pl.concat(pids) if pids else pl.Series("person_id", [], dtype=pl.Int64)
    grads = cases.get("graduate_job_subsidy_eligible")
    if grads is not None and grads.height:
        hh = truth.filter(pl.col("person_id").is_in(grads["person_id"].implode()))["household_id"]
        people = pl.concat(
            [people, truth.filter(pl.col("household_id").is_in(hh.implode()))["person_id"]]
        )
    usccs = [cases[c]["uscc"] for c in NEEDS if c in cases and "uscc" in cases[c].columns]
    uscc = pl.concat(usccs).drop_nulls().unique() if usccs else pl.Series([], dtype=pl.String)
    return people.drop_nulls().unique(), uscc


def keep_rows(df: pl.DataFrame, source: str, pids: pl.Series, usccs: pl.Series) -> pl.DataFrame:
    """The rows of one written export that `split` may read (numbered, with `row`)."""
    cols = [c for c in COLUMNS.get(source, []) if c in df.columns]
    return df.filter(
        pl.col("_pid").is_in(pids.implode()) | pl.col("_key").is_in(usccs.implode())
    ).select("row", "_pid", "_dirt", "_key", *cols)


def split(
    cases: dict[str, pl.DataFrame], ev: Evidence
) -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]]:
    """Each checked case list → (reachable rows, unreachable rows with `unreachable_reason`)."""
    reachable, unreachable = dict(cases), {}
    for name, needs in NEEDS.items():
        df = cases.get(name)
        if df is None:
            continue
        missing = [
            pl.when(~need.met(df, ev)).then(pl.lit(f"no usable {need.what}")) for need in needs
        ]
        reason = (
            df.select(pl.concat_str(missing, separator="; ", ignore_nulls=True).alias("r"))["r"]
            if df.height
            else pl.Series("r", [], dtype=pl.String)
        )
        gone = (reason != "").fill_null(False)
        reachable[name] = df.filter(~gone)
        unreachable[name] = df.filter(gone).with_columns(unreachable_reason=reason.filter(gone))
    return reachable, unreachable
