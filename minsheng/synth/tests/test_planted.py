"""The planted truth: each case is what its list's rule means, the exports carry what the
rule reads, and cases the exports cannot show are listed apart with their reason."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from minsheng.synth.config import AS_OF
from minsheng.synth.planted import derive_cases, drop_subsidised, months_before, subsidy_paid
from minsheng.synth.reach import NEEDS, Evidence, split


def _export(exports: dict, rows: pl.DataFrame, prefix: str) -> pl.DataFrame:
    """One export as written, each row with its true person and dirt."""
    name, (_entry, df) = next((k, v) for k, v in exports.items() if k.startswith(prefix))
    r = rows.filter(pl.col("file") == name).sort("row")
    return pl.concat([df, r.select("person_id", "dirt")], how="horizontal")


def _planted(city: Path, case: str, suffix: str = "") -> pl.DataFrame:
    return pl.read_csv(city / "truth" / "planted" / f"{case}{suffix}.csv", infer_schema=False)


def test_it_counts_never_insured_dibao_members_as_daijiao_candidates(
    city: Path, persons: pl.DataFrame
) -> None:
    # given the people aged 16-59 with local hukou on 低保 who never had employee pension
    never = persons.filter(
        pl.col("alive")
        & pl.col("local_hukou")
        & pl.col("age").is_between(16, 59)
        & ~pl.col("in_school")
        & pl.col("ep_status").is_null()
        & (pl.col("assist_type") == "低保")
        & (pl.col("assist_status") == "在保")
    )
    assert never.height > 0
    # when the cases are derived from the truth
    employers = pl.read_parquet(city / "truth" / "employers.parquet")
    cases = derive_cases(persons, employers, AS_OF)
    # then every one of them is a 代缴 candidate, as 低保对象
    dj = cases["daijiao_candidates"].filter(pl.col("person_id").is_in(never["person_id"].implode()))
    assert dj.height == never.height
    assert dj["reasons"].str.contains("低保对象").all()
    # and so are the written truth files, reachable or not
    written = pl.concat(
        [
            _planted(city, "daijiao_candidates"),
            _planted(city, "daijiao_candidates", ".unreachable"),
        ],
        how="diagonal",
    )
    assert set(never["person_id"]) <= set(written["person_id"].cast(pl.Int64))


def test_it_reads_a_paid_subsidy_as_the_list_does() -> None:
    # given handling-log rows: paid recently, paid too long ago, sent back, another matter
    log = pl.DataFrame(
        {
            "_pid": [1, 2, 3, 4, 5],
            "业务事项": ["求职创业补贴申领"] * 4 + ["就业登记"],
            "办理结果": ["办结", "办结", "退回", "办结", "办结"],
            "办理时间": [
                "2026-03-02 10:11:12",
                "2024-11-13 09:00:00",  # exactly 24 months before: not after the start
                "2026-03-02 10:11:12",
                "2024-11-14 09:00:00",
                "2026-03-02 10:11:12",
            ],
        }
    )
    # then only completed subsidies handled after as-of less 24 months count
    assert months_before(date(2026, 11, 13), 24) == date(2024, 11, 13)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert sorted(subsidy_paid(log, date(2026, 11, 13))) == [1, 4]
    # and a graduate paid is no longer eligible
    cases = {"graduate_job_subsidy_eligible": pl.DataFrame({"person_id": [1, 2, 3, 4, 6]})}
    drop_subsidised(cases, log, date(2026, 11, 13))
    assert cases["graduate_job_subsidy_eligible"]["person_id"].to_list() == [2, 3, 6]


def test_it_leaves_out_graduates_already_paid_the_subsidy(
    city: Path, exports: dict, rows: pl.DataFrame
) -> None:
    # given the people with a completed 求职创业补贴 in the written handling log
    log = _export(exports, rows, "rs_handling_log")
    paid = log.filter((pl.col("业务事项") == "求职创业补贴申领") & (pl.col("办理结果") == "办结"))[
        "person_id"
    ]
    assert paid.len() > 0
    # then none of them is planted as eligible, reachable or not
    for suffix in ("", ".unreachable"):
        eligible = _planted(city, "graduate_job_subsidy_eligible", suffix)
        assert not set(eligible["person_id"].cast(pl.Int64)) & set(paid), suffix


def test_it_places_a_graduates_hardship_member_in_the_graduates_police_household(
    city: Path, exports: dict, rows: pl.DataFrame, persons: pl.DataFrame
) -> None:
    # given each reachable hardship graduate
    grads = _planted(city, "graduate_job_subsidy_eligible")["person_id"].cast(pl.Int64)
    assert grads.len() >= 3
    hukou = _export(exports, rows, "gongan_hukou").select("person_id", "户号").drop_nulls()
    hard = set(
        _export(exports, rows, "mz_assistance")
        .filter(
            pl.col("救助类型").is_in(["低保", "特困", "防返贫监测"])
            & (pl.col("保障状态") == "在保")
        )["person_id"]
        .drop_nulls()
    ) | set(_export(exports, rows, "cl_disability")["person_id"].drop_nulls())
    alive = set(persons.filter(pl.col("alive"))["person_id"])
    for g in grads:
        # then the graduate is the hardship case, or shares a 公安 户号 with a living one
        numbers = set(hukou.filter(pl.col("person_id") == g)["户号"])
        members = set(hukou.filter(pl.col("户号").is_in(list(numbers)))["person_id"])
        assert g in hard or (members & hard & alive), g


def test_it_shows_the_new_employer_of_each_benefit_while_employed_case(
    city: Path, exports: dict, rows: pl.DataFrame
) -> None:
    # given the planted people drawing unemployment benefit while in a new insured job
    case = _planted(city, "unemployment_benefit_while_employed")
    assert case.height >= 3
    ins = _export(exports, rows, "rs_insurance")
    emp = _export(exports, rows, "rs_employment")
    for pid, uscc, start in case.select("person_id", "employer_uscc", "job_start").iter_rows():
        pid = int(pid)
        # then a current 参保 row names the new employer from the job's first day, or a
        # 就业登记 row does
        current = ins.filter(
            (pl.col("person_id") == pid)
            & (pl.col("参保状态") == "参保缴费")
            & (pl.col("单位统一社会信用代码") == uscc)
            & (pl.col("本次参保日期") == start.replace("-", ""))
        )
        registered = emp.filter(
            (pl.col("person_id") == pid)
            & (pl.col("登记类型") == "就业登记")
            & (pl.col("统一社会信用代码") == uscc)
            & (pl.col("登记日期") == start)
        )
        assert current.height + registered.height > 0, pid
        # and the benefit office's own 失业登记 row says the benefit is still paid
        assert emp.filter(
            (pl.col("person_id") == pid)
            & (pl.col("登记类型") == "失业登记")
            & (pl.col("失业保险金状态") == "领取中")
        ).height


def test_it_lists_unreachable_cases_apart_with_their_reasons(city: Path, counts: dict) -> None:
    lost = counts["planted_unreachable_counts"]
    # then every checked list has an unreachable file, counted in counts.json
    assert set(lost) == set(NEEDS)
    for case in NEEDS:
        gone = _planted(city, case, ".unreachable")
        kept = _planted(city, case)
        assert gone.height == lost[case], case
        assert kept.height == counts["planted_counts"][case], case
        # each with its reason, and never also among the reachable cases
        assert gone["unreachable_reason"].str.starts_with("no usable ").all(), case
        key = ["person_id", "uscc"] if "uscc" in kept.columns else ["person_id"]
        assert gone.join(kept, on=key).is_empty(), case


def test_it_takes_out_cases_whose_needed_rows_lost_their_id() -> None:
    # given three deceased pensioners still paid: one with clean rows, one whose only
    # pension row lost its ID, one whose death row lost its ID in a file with birth dates
    truth = pl.DataFrame({"person_id": [1, 2, 3], "alive": [False] * 3})
    case = pl.DataFrame(
        {"person_id": [1, 2, 3], "benefit": ["养老金"] * 3, "id_number": ["a", "b", "c"]}
    )

    def rows(pids: list[int], dirt: list[str], **cols) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "row": range(1, len(pids) + 1),
                "_pid": pids,
                "_dirt": dirt,
                "_key": [None] * len(pids),
                **cols,
            },
            schema_overrides={"_pid": pl.Int64, "_key": pl.String},
        )

    ev = Evidence(
        {
            "gongan_death": rows([1, 2, 3], ["", "", "id_missing"]),
            "rs_pension": rows(
                [1, 2, 2, 3],
                ["", "id_missing", "id_missing,duplicate", "name_space"],
                发放状态=["正常发放"] * 4,
            ),
        },
        truth,
    )
    # when the cases are split by what the exports can show
    reachable, unreachable = split({"deceased_still_paid": case}, ev)
    # then only the one with no linkable pension row is out, with the reason
    assert reachable["deceased_still_paid"]["person_id"].to_list() == [1, 3]
    out = unreachable["deceased_still_paid"]
    assert out["person_id"].to_list() == [2]
    assert out["unreachable_reason"][0].startswith("no usable rs_pension 正常发放")


def test_it_keeps_unreachable_cases_rare(counts: dict) -> None:
    # the generator's dirt must not hide more than a few cases of any list
    for case, n in counts["planted_unreachable_counts"].items():
        total = n + counts["planted_counts"][case]
        assert n <= max(1, 0.02 * total), (case, n, total)


def test_it_logs_each_certification_on_the_day_the_pension_system_holds(
    exports: dict, rows: pl.DataFrame, persons: pl.DataFrame
) -> None:
    # given the 养老待遇资格认证 rows of the handling log
    log = _export(exports, rows, "rs_handling_log").filter(pl.col("业务事项") == "养老待遇资格认证")
    assert log.height > 0
    # then each is the pensioner's last certification, on its day
    both = log.join(persons.select("person_id", "last_cert_date"), on="person_id")
    assert both.height == log.height
    day = both["办理时间"].str.slice(0, 10).str.to_date()
    assert (day == both["last_cert_date"]).all()
