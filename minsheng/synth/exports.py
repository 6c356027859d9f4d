"""The departments' exports, each in its own shape: headers, codes and date formats.

Builders select the people a department knows about from the truth, format their values
the way that department's system does, and apply the value dirt that needs domain
knowledge (old addresses, old phone numbers, old employers, deaths not yet recorded).
Identifier, name and whole-row dirt is added afterwards by dirt.DirtApplier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from minsheng.geo import reference

from .config import DirtConfig
from .dirt import DirtApplier, Draft, add_dirt
from .names import random_names
from .rand import Streams, weighted_choice

EXCEL_EPOCH = date(1899, 12, 30)


@dataclass
class Ctx:
    T: pl.DataFrame
    ent: pl.DataFrame
    as_of: date
    cfg: DirtConfig
    streams: Streams
    applier: DirtApplier
    scale: float
    grids: pl.DataFrame


# -- formatting helpers ----------------------------------------------------------------

_STYLES = {
    "iso": "%Y-%m-%d",
    "slash": "%Y/%-m/%-d",
    "compact": "%Y%m%d",
    "cn": "%Y年%-m月%-d日",
    "dot": "%Y.%m.%d",
    "ym": "%Y-%m",
    "ym_compact": "%Y%m",
    "ym_dot": "%Y.%m",
    "iso_minute": "%Y-%m-%d %H:%M",
    "iso_second": "%Y-%m-%d %H:%M:%S",
}


def fmt(e: pl.Expr, style: str) -> pl.Expr:
    if style == "serial":
        return (e.cast(pl.Date) - pl.lit(EXCEL_EPOCH)).dt.total_days().cast(pl.String)
    return e.dt.strftime(_STYLES[style])


def mixed(
    e: pl.Expr, styles: list[str], weights: list[float], rng: np.random.Generator, n: int
) -> pl.Expr:
    """Per-row choice of date format (hand-entered or merged spreadsheets)."""
    pick = weighted_choice(rng, n, np.array(weights))
    out = fmt(e, styles[-1])
    for i in range(len(styles) - 2, -1, -1):
        out = pl.when(pl.Series(pick == i)).then(fmt(e, styles[i])).otherwise(out)
    return out


def serial_number(e: pl.Expr) -> pl.Expr:
    return (e.cast(pl.Date) - pl.lit(EXCEL_EPOCH)).dt.total_days()


HIDDEN = ["_pid", "_by", "_dirt", "_key"]


def people(ctx: Ctx, where: pl.Expr | None, cols: list[str]) -> pl.DataFrame:
    """The rows and only the columns a builder needs (the truth frame is wide; copying all
    of it for a million-row export would double the generator's memory)."""
    lf = ctx.T.lazy()
    if where is not None:
        lf = lf.filter(where)
    return lf.select(list(dict.fromkeys(["person_id", "birth_date", *cols]))).collect()


def finish(df: pl.DataFrame, order: list[str], extra: tuple[str, ...] = ()) -> pl.DataFrame:
    """Keep the export's own columns (in the department's order) and the hidden truth ones."""
    return df.select([*order, *extra, *HIDDEN])


def base(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(
        _pid=pl.col("person_id").cast(pl.Int64),
        _by=pl.col("birth_date").dt.year().cast(pl.Int64),
        _dirt=pl.lit(""),
        _key=pl.lit(None, dtype=pl.String),
    )


def swap_value(
    ctx: Ctx,
    df: pl.DataFrame,
    rng: np.random.Generator,
    target: str,
    alt: str,
    rate: float,
    code: str,
) -> pl.DataFrame:
    """Show the older value (old address, old phone, old employer) for some eligible rows."""
    eligible = (df[alt].is_not_null() & df[target].is_not_null()).to_numpy()
    mask = eligible & (rng.random(df.height) < rate)
    ctx.applier.expect(code, eligible.sum() * rate)
    df = df.with_columns(
        pl.when(pl.Series(mask)).then(pl.col(alt)).otherwise(pl.col(target)).alias(target)
    )
    return add_dirt(df, mask, code)


def stale_dead(ctx: Ctx, source: str, dead: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Which dead people a department still lists as if alive."""
    rate = ctx.cfg.stale_deceased.get(source, 0.0)
    ctx.applier.expect("stale", dead.sum() * rate)
    return dead & (rng.random(len(dead)) < rate)


def _police_station() -> dict[str, str]:
    return {
        t.code: t.name.removesuffix("街道").removesuffix("镇") + "派出所" for t in reference.towns()
    }


def _yes_no(e: pl.Expr, yes: str = "是", no: str = "否") -> pl.Expr:
    return pl.when(e).then(pl.lit(yes)).otherwise(pl.lit(no))


# -- 公安 ------------------------------------------------------------------------------


def gongan_hukou(ctx: Ctx) -> Draft:
    T = people(
        ctx,
        pl.col("local_hukou"),
        [
            "alive",
            "gongan_death_known",
            "district_code",
            "household_id",
            "relation",
            "name",
            "id_number",
            "sex",
            "ethnicity",
            "hukou_address",
            "status",
            "gongan_cancel_date",
            "town_code",
        ],
    )
    dead = (~T["alive"]).to_numpy()
    known = T["gongan_death_known"].to_numpy()
    # Deaths the police have not recorded yet still show as 正常 (stale, not configurable:
    # it follows from the 公安 reporting delay).
    stale = dead & ~known
    ctx.applier.expect("stale", stale.sum())
    df = base(T).with_columns(
        户号=pl.col("district_code") + pl.col("household_id").cast(pl.String).str.zfill(7),
        与户主关系=pl.col("relation"),
        姓名=pl.col("name"),
        公民身份号码=pl.col("id_number"),
        性别=pl.col("sex"),
        民族=pl.col("ethnicity"),
        出生日期=fmt(pl.col("birth_date"), "compact"),
        户籍地址=pl.col("hukou_address"),
        人员状态=pl.when(pl.Series(dead & known))
        .then(pl.lit("死亡注销"))
        .when(pl.col("status") == "away")
        .then(pl.lit("正常（人户分离）"))
        .otherwise(pl.lit("正常")),
        注销日期=fmt(pl.col("gongan_cancel_date"), "compact"),
        所属派出所=pl.col("town_code").replace_strict(_police_station(), default="乌海市公安局"),
    )
    df = add_dirt(df, stale, "stale").sort("户号", "_pid", maintain_order=True)
    order = [
        "户号",
        "与户主关系",
        "姓名",
        "公民身份号码",
        "性别",
        "民族",
        "出生日期",
        "户籍地址",
        "人员状态",
        "注销日期",
        "所属派出所",
    ]
    return Draft("gongan_hukou", finish(df, order), id_col="公民身份号码", name_col="姓名")


def gongan_death(ctx: Ctx) -> Draft:
    T = people(
        ctx,
        pl.col("gongan_death_known"),
        [
            "name",
            "id_number",
            "sex",
            "death_date",
            "gongan_cancel_date",
            "hukou_address",
            "town_code",
        ],
    )
    df = (
        base(T)
        .with_columns(
            姓名=pl.col("name"),
            身份证号=pl.col("id_number"),
            性别=pl.col("sex"),
            出生日期=fmt(pl.col("birth_date"), "iso"),
            死亡日期=fmt(pl.col("death_date"), "iso"),
            注销日期=fmt(pl.col("gongan_cancel_date"), "iso"),
            注销原因=pl.lit("死亡"),
            户籍地址=pl.col("hukou_address"),
            派出所=pl.col("town_code").replace_strict(_police_station(), default="乌海市公安局"),
        )
        .sort("注销日期", "_pid", maintain_order=True)
    )
    order = [
        "姓名",
        "身份证号",
        "性别",
        "出生日期",
        "死亡日期",
        "注销日期",
        "注销原因",
        "户籍地址",
        "派出所",
    ]
    return Draft("gongan_death", finish(df, order), id_col="身份证号", name_col="姓名")


# -- 网格 ------------------------------------------------------------------------------


def grid_census(ctx: Ctx) -> Draft:
    rng = ctx.streams("export/grid_census")
    T = people(
        ctx,
        pl.col("resident") | (~pl.col("alive") & pl.col("grid_code").is_not_null()),
        [
            "alive",
            "address",
            "prev_address",
            "phone",
            "phone_old",
            "house_code",
            "prev_house_code",
            "grid_code",
            "name",
            "sex",
            "id_number",
            "ethnicity",
            "relation",
            "local_hukou",
            "hukou_address",
            "in_school",
            "age",
        ],
    )
    dead = (~T["alive"]).to_numpy()
    keep = ~dead | stale_dead(ctx, "grid_census", dead, rng)
    T = T.filter(pl.Series(keep))
    dead = (~T["alive"]).to_numpy()
    n = T.height
    grid_names = dict(zip(ctx.grids["grid_code"], ctx.grids["name"], strict=True))
    collected = pl.lit(ctx.as_of) - pl.duration(days=pl.Series(rng.integers(20, 700, n)))
    df = base(T).with_columns(
        _addr=pl.col("address"),
        _prev=pl.col("prev_address"),
        _phone=pl.col("phone"),
        _phone_old=pl.col("phone_old"),
        _house=pl.col("house_code"),
        _prev_house=pl.col("prev_house_code"),
    )
    df = swap_value(ctx, df, rng, "_addr", "_prev", ctx.cfg.moved_address, "moved_address")
    moved_rows = df["_dirt"].str.contains("moved_address").to_numpy()
    df = swap_value(ctx, df, rng, "_phone", "_phone_old", ctx.cfg.conflict_phone, "conflict_phone")
    df = df.with_columns(
        网格编码=pl.col("grid_code"),
        网格名称=pl.col("grid_code").replace_strict(grid_names, default=None),
        门牌编码=pl.when(pl.Series(moved_rows))
        .then(pl.col("_prev_house"))
        .otherwise(pl.col("_house")),
        现住址=pl.col("_addr"),
        姓名=pl.col("name"),
        性别=pl.col("sex"),
        身份证号码=pl.col("id_number"),
        出生日期=mixed(
            pl.col("birth_date"), ["iso", "slash", "cn", "compact"], [0.5, 0.3, 0.15, 0.05], rng, n
        ),
        民族=pl.col("ethnicity"),
        联系电话=pl.col("_phone"),
        与户主关系=pl.col("relation"),
        户籍类型=pl.when(pl.col("local_hukou"))
        .then(pl.lit("本地户籍"))
        .otherwise(pl.lit("外地户籍")),
        户籍地=pl.col("hukou_address"),
        人员类型=pl.when(pl.col("local_hukou"))
        .then(pl.lit("户籍人口"))
        .otherwise(pl.lit("流动人口")),
        # the census form's 人员类别: the grid worker notes pupils and students (the only
        # category the archive reads; left blank otherwise, as most forms are)
        人员类别=pl.when(pl.col("in_school").fill_null(False) & (pl.col("age") >= 6))
        .then(pl.lit("在校学生"))
        .otherwise(pl.lit("")),
        采集日期=mixed(collected, ["iso", "slash"], [0.6, 0.4], rng, n),
    )
    df = add_dirt(df, dead, "stale").sort("网格编码", "门牌编码", "_pid", maintain_order=True)
    order = [
        "网格编码",
        "网格名称",
        "门牌编码",
        "现住址",
        "姓名",
        "性别",
        "身份证号码",
        "出生日期",
        "民族",
        "联系电话",
        "与户主关系",
        "户籍类型",
        "户籍地",
        "人员类型",
        "人员类别",
        "采集日期",
    ]
    return Draft("grid_census", finish(df, order), id_col="身份证号码", name_col="姓名")


# -- 人社 就业 ---------------------------------------------------------------------------

_JOBS = [
    "普工",
    "司机",
    "保安",
    "保洁",
    "销售",
    "会计",
    "文员",
    "电工",
    "焊工",
    "厨师",
    "仓管",
    "化工操作工",
    "护理员",
    "快递员",
    "不限",
]


def rs_employment(ctx: Ctx) -> Draft:
    rng = ctx.streams("export/rs_employment")
    ecols = [
        "employment_form",
        "planted",
        "employer_name",
        "prev_employer_name",
        "employer_uscc",
        "job_start",
        "prev_job_start",
        "prev_employer_uscc",
        "id_number",
        "name",
        "sex",
        "phone",
        "phone_old",
        "address",
        "prev_address",
        "unemp_reason",
        "last_employer_name",
        "ub_status",
        "ub_max_months",
        "ub_received",
        "unemp_reg_date",
    ]
    T = people(ctx, pl.col("alive"), ecols)
    n = T.height
    form = T["employment_form"]
    p = form.replace_strict(
        {"单位就业": 0.75, "自主创业": 0.75, "灵活就业": 0.5, "个体经营": 0.6, "公益性岗位": 1.0},
        default=0.0,
        return_dtype=pl.Float64,
    ).to_numpy()
    # The planted "benefit while employed" people never had their new job registered.
    hidden = (T["planted"] == "unemployment_benefit_while_employed").fill_null(False).to_numpy()
    emp = T.filter(pl.Series((rng.random(n) < p) & ~hidden))
    emp = base(emp).with_columns(
        _emp=pl.col("employer_name"),
        _emp_old=pl.col("prev_employer_name"),
        _uscc=pl.col("employer_uscc"),
        _start=pl.col("job_start"),
        _start_old=pl.col("prev_job_start"),
    )
    emp = swap_value(
        ctx, emp, rng, "_emp", "_emp_old", ctx.cfg.conflict_employer, "conflict_employer"
    )
    old = emp["_dirt"].str.contains("conflict_employer").to_numpy()
    emp = emp.with_columns(
        _uscc=pl.when(pl.Series(old)).then(pl.col("prev_employer_uscc")).otherwise(pl.col("_uscc")),
        _start=pl.when(pl.Series(old)).then(pl.col("_start_old")).otherwise(pl.col("_start")),
        登记类型=pl.lit("就业登记"),
        就业形式=pl.col("employment_form"),
        失业原因=pl.lit(None, dtype=pl.String),
        原工作单位=pl.lit(None, dtype=pl.String),
        失业保险金状态=pl.lit(None, dtype=pl.String),
        核定领取月数=pl.lit(None, dtype=pl.String),
        已领取月数=pl.lit(None, dtype=pl.String),
        剩余月数=pl.lit(None, dtype=pl.String),
        就业意愿=pl.lit(None, dtype=pl.String),
        求职意向=pl.lit(None, dtype=pl.String),
    )
    un = base(T.filter(pl.col("unemp_reg_date").is_not_null()))
    m = un.height
    un = un.with_columns(
        _emp=pl.lit(None, dtype=pl.String),
        _uscc=pl.lit(None, dtype=pl.String),
        _start=pl.col("unemp_reg_date"),
        登记类型=pl.lit("失业登记"),
        就业形式=pl.lit(None, dtype=pl.String),
        失业原因=pl.col("unemp_reason"),
        原工作单位=pl.col("last_employer_name"),
        失业保险金状态=pl.col("ub_status"),
        核定领取月数=pl.col("ub_max_months").cast(pl.String),
        已领取月数=pl.col("ub_received").cast(pl.String),
        剩余月数=(pl.col("ub_max_months") - pl.col("ub_received")).cast(pl.String),
        就业意愿=pl.Series(np.where(rng.random(m) < 0.85, "有", "无")),
        求职意向=pl.Series(np.array(_JOBS)[rng.integers(0, len(_JOBS), m)]),
    )
    cols = [
        "登记类型",
        "就业形式",
        "失业原因",
        "原工作单位",
        "失业保险金状态",
        "核定领取月数",
        "已领取月数",
        "剩余月数",
        "就业意愿",
        "求职意向",
    ]
    keep = [
        "person_id",
        "id_number",
        "name",
        "sex",
        "birth_date",
        "phone",
        "phone_old",
        "address",
        "prev_address",
        "_pid",
        "_by",
        "_dirt",
        "_key",
        "_emp",
        "_uscc",
        "_start",
        *cols,
    ]
    df = pl.concat([emp.select(keep), un.select(keep)], how="vertical_relaxed")
    df = swap_value(ctx, df, rng, "phone", "phone_old", ctx.cfg.conflict_phone, "conflict_phone")
    df = swap_value(ctx, df, rng, "address", "prev_address", ctx.cfg.moved_address, "moved_address")
    df = df.with_columns(
        证件号码=pl.col("id_number"),
        姓名=pl.col("name"),
        性别=pl.col("sex"),
        出生日期=fmt(pl.col("birth_date"), "iso"),
        联系电话=pl.col("phone"),
        居住地址=pl.col("address"),
        用人单位名称=pl.col("_emp"),
        统一社会信用代码=pl.col("_uscc"),
        登记日期=fmt(pl.col("_start"), "iso"),
    ).sort("登记日期", "_pid", maintain_order=True)
    order = [
        "登记类型",
        "证件号码",
        "姓名",
        "性别",
        "出生日期",
        "联系电话",
        "居住地址",
        "就业形式",
        "用人单位名称",
        "统一社会信用代码",
        "登记日期",
        *cols[2:],
    ]
    return Draft("rs_employment", finish(df, order), id_col="证件号码", name_col="姓名")


# -- 人社 社保 ---------------------------------------------------------------------------


def rs_insurance(ctx: Ctx) -> Draft:
    rng = ctx.streams("export/rs_insurance")
    cols = [
        "id_number",
        "name",
        "male",
        "alive",
        "ep_status",
        "ep_type",
        "employed_insured",
        "emp_status",
        "ep_first_date",
        "job_start",
        "ep_months",
        "employer_name",
        "employer_uscc",
        "contribution_base",
        "income_band",
        "ui_active",
        "ui_months",
        "wi_active",
        "med_type",
        "resident",
        "rp_enrolled",
        "has_pension",
        "rp_start",
        "rp_grade",
    ]
    any_ins = (
        pl.col("ep_status").is_not_null()
        | pl.col("ui_active")
        | pl.col("wi_active")
        | pl.col("med_type").is_not_null()
        | pl.col("rp_enrolled")
    )
    T = base(people(ctx, any_ins, cols))
    common = ["person_id", "_pid", "_by", "_dirt", "_key", "id_number", "name", "male", "alive"]
    ep = T.filter(pl.col("ep_status").is_not_null()).with_columns(
        险种代码=pl.when(pl.col("ep_type") == "机关事业单位养老保险")
        .then(pl.lit("120"))
        .otherwise(pl.lit("110")),
        险种名称=pl.col("ep_type"),
        参保状态=pl.col("ep_status"),
        参保身份=pl.when(pl.col("ep_status") == "退休")
        .then(pl.lit("退休人员"))
        .when(pl.col("employed_insured"))
        .then(pl.lit("在职职工"))
        .when(pl.col("emp_status") == "flexible")
        .then(pl.lit("灵活就业人员"))
        .otherwise(pl.lit("中断缴费人员")),
        _first=pl.col("ep_first_date"),
        _cur=pl.when(pl.col("employed_insured")).then(pl.col("job_start")).otherwise(None),
        累计缴费月数=pl.col("ep_months").cast(pl.String),
        _unit=pl.when(pl.col("employed_insured")).then(pl.col("employer_name")).otherwise(None),
        _uscc=pl.when(pl.col("employed_insured")).then(pl.col("employer_uscc")).otherwise(None),
        缴费基数=pl.when(pl.col("ep_status") == "参保缴费")
        .then(pl.col("contribution_base").cast(pl.String))
        .otherwise(None),
        收入档次=pl.when(pl.col("ep_status") == "参保缴费")
        .then(pl.col("income_band"))
        .otherwise(None),
        缴费档次=pl.lit(None, dtype=pl.String),
    )
    ui = T.filter(
        pl.col("ui_active")
        | (
            pl.col("ep_status").is_not_null()
            & (pl.col("ui_months") > 0)
            & (pl.col("ep_status") != "退休")
        )
    ).with_columns(
        险种代码=pl.lit("210"),
        险种名称=pl.lit("失业保险"),
        参保状态=pl.when(pl.col("ui_active"))
        .then(pl.lit("参保缴费"))
        .otherwise(pl.lit("暂停缴费")),
        参保身份=pl.when(pl.col("ui_active"))
        .then(pl.lit("在职职工"))
        .otherwise(pl.lit("中断缴费人员")),
        _first=pl.max_horizontal(pl.col("ep_first_date"), pl.lit(date(1999, 1, 1))),
        _cur=pl.when(pl.col("ui_active")).then(pl.col("job_start")).otherwise(None),
        累计缴费月数=pl.col("ui_months").cast(pl.String),
        _unit=pl.when(pl.col("ui_active")).then(pl.col("employer_name")).otherwise(None),
        _uscc=pl.when(pl.col("ui_active")).then(pl.col("employer_uscc")).otherwise(None),
        缴费基数=pl.when(pl.col("ui_active"))
        .then(pl.col("contribution_base").cast(pl.String))
        .otherwise(None),
        收入档次=pl.lit(None, dtype=pl.String),
        缴费档次=pl.lit(None, dtype=pl.String),
    )
    wi = T.filter(pl.col("wi_active")).with_columns(
        险种代码=pl.lit("410"),
        险种名称=pl.lit("工伤保险"),
        参保状态=pl.lit("参保缴费"),
        参保身份=pl.lit("在职职工"),
        _first=pl.max_horizontal(pl.col("job_start"), pl.lit(date(2004, 1, 1))),
        _cur=pl.col("job_start"),
        累计缴费月数=pl.lit(None, dtype=pl.String),
        _unit=pl.col("employer_name"),
        _uscc=pl.col("employer_uscc"),
        缴费基数=pl.col("contribution_base").cast(pl.String),
        收入档次=pl.lit(None, dtype=pl.String),
        缴费档次=pl.lit(None, dtype=pl.String),
    )
    med = T.filter(
        pl.col("med_type").is_not_null() & (pl.col("resident") | ~pl.col("alive"))
    ).with_columns(
        险种代码=pl.when(pl.col("med_type") == "职工基本医疗保险")
        .then(pl.lit("310"))
        .otherwise(pl.lit("390")),
        险种名称=pl.col("med_type"),
        参保状态=pl.lit("参保缴费"),
        参保身份=pl.when(pl.col("med_type") == "职工基本医疗保险")
        .then(
            pl.when(pl.col("ep_status") == "退休")
            .then(pl.lit("退休人员"))
            .otherwise(pl.lit("在职职工"))
        )
        .otherwise(pl.lit("城乡居民")),
        _first=pl.max_horizontal(pl.col("birth_date"), pl.lit(date(2008, 1, 1))),
        _cur=pl.lit(None, dtype=pl.Date),
        累计缴费月数=pl.lit(None, dtype=pl.String),
        _unit=pl.when(pl.col("med_type") == "职工基本医疗保险")
        .then(pl.col("employer_name"))
        .otherwise(None),
        _uscc=pl.when(pl.col("med_type") == "职工基本医疗保险")
        .then(pl.col("employer_uscc"))
        .otherwise(None),
        缴费基数=pl.lit(None, dtype=pl.String),
        收入档次=pl.lit(None, dtype=pl.String),
        缴费档次=pl.lit(None, dtype=pl.String),
    )
    rp = T.filter(pl.col("rp_enrolled")).with_columns(
        险种代码=pl.lit("170"),
        险种名称=pl.lit("城乡居民基本养老保险"),
        参保状态=pl.when(pl.col("has_pension"))
        .then(pl.lit("待遇领取"))
        .otherwise(pl.lit("参保缴费")),
        参保身份=pl.lit("城乡居民"),
        _first=pl.col("rp_start"),
        _cur=pl.lit(None, dtype=pl.Date),
        累计缴费月数=pl.lit(None, dtype=pl.String),
        _unit=pl.lit(None, dtype=pl.String),
        _uscc=pl.lit(None, dtype=pl.String),
        缴费基数=pl.lit(None, dtype=pl.String),
        收入档次=pl.lit(None, dtype=pl.String),
        缴费档次=pl.col("rp_grade").cast(pl.String),
    )
    cols = [
        "险种代码",
        "险种名称",
        "参保状态",
        "参保身份",
        "_first",
        "_cur",
        "累计缴费月数",
        "_unit",
        "_uscc",
        "缴费基数",
        "收入档次",
        "缴费档次",
    ]
    df = pl.concat([x.select(common + cols) for x in (ep, ui, wi, med, rp)], how="vertical_relaxed")
    # The insurance system learns of most deaths (终止参保) but not all.
    is_dead = (~df["alive"]).to_numpy()
    stale = stale_dead(ctx, "rs_insurance", is_dead, rng)
    df = df.with_columns(
        参保状态=pl.when(pl.Series(is_dead & ~stale))
        .then(pl.lit("终止参保"))
        .otherwise(pl.col("参保状态"))
    )
    df = add_dirt(df, stale, "stale")
    df = df.with_columns(
        身份证号=pl.col("id_number"),
        姓名=pl.col("name"),
        性别代码=pl.when(pl.col("male")).then(pl.lit("1")).otherwise(pl.lit("2")),
        首次参保日期=fmt(pl.col("_first"), "compact"),
        本次参保日期=fmt(pl.col("_cur"), "compact"),
        单位名称=pl.col("_unit"),
        单位统一社会信用代码=pl.col("_uscc"),
    ).sort("身份证号", "险种代码", maintain_order=True)
    order = [
        "身份证号",
        "姓名",
        "性别代码",
        "险种代码",
        "险种名称",
        "参保状态",
        "参保身份",
        "首次参保日期",
        "本次参保日期",
        "累计缴费月数",
        "单位名称",
        "单位统一社会信用代码",
        "缴费基数",
        "收入档次",
        "缴费档次",
    ]
    return Draft("rs_insurance", finish(df, order), id_col="身份证号", name_col="姓名")


def rs_pension(ctx: Ctx) -> Draft:
    rng = ctx.streams("export/rs_pension")
    T = base(
        people(
            ctx,
            pl.col("has_pension"),
            [
                "phone",
                "phone_old",
                "alive",
                "pension_status",
                "id_number",
                "name",
                "sex",
                "pension_type",
                "pension_start",
                "pension_amount",
                "last_paid_month",
                "last_cert_date",
                "cert_method",
                "card_bank",
            ],
        )
    )
    T = swap_value(ctx, T, rng, "phone", "phone_old", ctx.cfg.conflict_phone, "conflict_phone")
    end = pl.col("pension_status") == "终止发放"
    # A dead pensioner still marked 正常发放 is the planted 'deceased still paid'; the export
    # simply shows what the pension system believes, which is stale.
    df = (
        add_dirt(T, ((~T["alive"]) & (T["pension_status"] == "正常发放")).to_numpy(), "stale")
        .with_columns(
            证件号码=pl.col("id_number"),
            姓名=pl.col("name"),
            性别=pl.col("sex"),
            出生年月=fmt(pl.col("birth_date"), "ym"),
            待遇类型=pl.col("pension_type"),
            待遇开始年月=fmt(pl.col("pension_start"), "ym_compact"),
            月发放金额=pl.col("pension_amount").round(2).cast(pl.String),
            发放状态=pl.col("pension_status"),
            最近发放年月=pl.col("last_paid_month").str.replace("-", ""),
            终止年月=pl.when(end)
            .then(pl.col("last_paid_month").str.replace("-", ""))
            .otherwise(None),
            最近认证日期=fmt(pl.col("last_cert_date"), "slash"),
            认证方式=pl.col("cert_method"),
            开户银行=pl.col("card_bank"),
            联系电话=pl.col("phone"),
        )
        .sort("证件号码", maintain_order=True)
    )
    order = [
        "证件号码",
        "姓名",
        "性别",
        "出生年月",
        "待遇类型",
        "待遇开始年月",
        "月发放金额",
        "发放状态",
        "最近发放年月",
        "终止年月",
        "最近认证日期",
        "认证方式",
        "开户银行",
        "联系电话",
    ]
    return Draft("rs_pension", finish(df, order), id_col="证件号码", name_col="姓名")


def sbk_card(ctx: Ctx) -> Draft:
    rng = ctx.streams("export/sbk_card")
    T = base(
        people(
            ctx,
            pl.col("has_card"),
            [
                "alive",
                "phone",
                "phone_old",
                "name",
                "id_number",
                "sex",
                "card_no",
                "card_generation",
                "card_issue_date",
                "card_status",
                "ecard",
                "card_bank",
            ],
        )
    )
    dead = (~T["alive"]).to_numpy()
    stale = stale_dead(ctx, "sbk_card", dead, rng)
    T = swap_value(ctx, T, rng, "phone", "phone_old", ctx.cfg.conflict_phone, "conflict_phone")
    df = (
        add_dirt(T, stale, "stale")
        .with_columns(
            姓名=pl.col("name"),
            证件号码=pl.col("id_number"),
            性别=pl.col("sex"),
            社会保障卡号=pl.col("card_no"),
            卡片版本=pl.col("card_generation"),
            发卡日期=fmt(pl.col("card_issue_date"), "cn"),
            卡状态=pl.when(pl.Series(stale)).then(pl.lit("正常")).otherwise(pl.col("card_status")),
            电子社保卡=_yes_no(pl.col("ecard"), "已签发", "未签发"),
            服务银行=pl.col("card_bank"),
            手机号码=pl.col("phone"),
        )
        .sort("社会保障卡号", maintain_order=True)
    )
    order = [
        "姓名",
        "证件号码",
        "性别",
        "社会保障卡号",
        "卡片版本",
        "发卡日期",
        "卡状态",
        "电子社保卡",
        "服务银行",
        "手机号码",
    ]
    return Draft("sbk_card", finish(df, order), id_col="证件号码", name_col="姓名")


# -- 民政 / 卫健 / 教育 / 残联 / 退役军人 --------------------------------------------------


def mz_assistance(ctx: Ctx) -> Draft:
    rng = ctx.streams("export/mz_assistance")
    heads = (
        ctx.T.lazy()
        .filter(pl.col("relation") == "户主")
        .select(
            "household_id",
            pl.col("name").alias("户主姓名"),
            pl.col("id_number").alias("户主身份证号"),
        )
        .collect()
    )
    T = people(
        ctx,
        pl.col("assist_type").is_not_null(),
        [
            "household_id",
            "assist_type",
            "name",
            "id_number",
            "relation",
            "sex",
            "assist_amount",
            "assist_start",
            "assist_status",
            "assist_end",
            "address",
            "prev_address",
            "phone",
            "phone_old",
            "fpr_type",
            "returned_to_poverty",
            "alive",
        ],
    )
    T = T.join(heads, on="household_id", how="left", maintain_order="left")
    size = T.group_by("household_id", "assist_type").agg(pl.len().alias("保障人口"))
    T = T.join(size, on=["household_id", "assist_type"], how="left", maintain_order="left")
    tk = pl.col("assist_type") == "特困"
    T = base(T).with_columns(
        户主姓名=pl.when(tk).then(pl.col("name")).otherwise(pl.col("户主姓名")),
        户主身份证号=pl.when(tk).then(pl.col("id_number")).otherwise(pl.col("户主身份证号")),
        保障人口=pl.when(tk).then(pl.lit(1, dtype=pl.UInt32)).otherwise(pl.col("保障人口")),
    )
    T = swap_value(ctx, T, rng, "address", "prev_address", ctx.cfg.moved_address, "moved_address")
    T = swap_value(ctx, T, rng, "phone", "phone_old", ctx.cfg.conflict_phone, "conflict_phone")
    n = T.height
    stale = ((~T["alive"]) & (T["assist_status"] == "在保")).to_numpy()
    approved = pl.col("assist_start")
    # Hand-kept dates: mostly 2024年3月5日, some pasted from Excel as bare serial numbers.
    approved_txt = mixed(approved, ["cn", "serial", "iso"], [0.7, 0.15, 0.15], rng, n)
    df = (
        add_dirt(T, stale, "stale")
        .with_columns(
            救助类型=pl.col("assist_type"),
            姓名=pl.col("name"),
            身份证号码=pl.col("id_number"),
            与户主关系=pl.when(tk).then(pl.lit("本人")).otherwise(pl.col("relation")),
            性别=pl.col("sex"),
            保障人口=pl.col("保障人口").cast(pl.String),
            月保障金额=pl.when(pl.col("assist_amount") > 0)
            .then(pl.col("assist_amount").cast(pl.String))
            .otherwise(None),
            批准日期=approved_txt,
            保障状态=pl.col("assist_status"),
            停保日期=fmt(pl.col("assist_end"), "cn"),
            家庭住址=pl.col("address"),
            联系电话=pl.col("phone"),
            监测类型=pl.col("fpr_type"),
            返贫致贫=pl.when(pl.col("assist_type") == "防返贫监测")
            .then(_yes_no(pl.col("returned_to_poverty")))
            .otherwise(None),
        )
        .sort("救助类型", "户主身份证号", "_pid", maintain_order=True)
    )
    order = [
        "救助类型",
        "户主姓名",
        "户主身份证号",
        "姓名",
        "身份证号码",
        "与户主关系",
        "性别",
        "保障人口",
        "月保障金额",
        "批准日期",
        "保障状态",
        "停保日期",
        "家庭住址",
        "联系电话",
        "监测类型",
        "返贫致贫",
    ]
    return Draft("mz_assistance", finish(df, order), id_col="身份证号码", name_col="姓名")


def wj_death(ctx: Ctx) -> Draft:
    rng = ctx.streams("export/wj_death")
    T = people(
        ctx,
        pl.col("wj_death_known"),
        [
            "name",
            "sex",
            "ethnicity",
            "id_number",
            "death_date",
            "death_place",
            "death_cause",
            "address",
            "district_code",
            "household_id",
        ],
    )
    n = T.height
    # A family member's phone (the certificate is collected by next of kin).
    fam = (
        ctx.T.lazy()
        .filter(pl.col("alive") & pl.col("phone").is_not_null())
        .group_by("household_id")
        .agg(pl.col("phone").min().alias("_fam_phone"))
        .collect()
    )
    T = T.join(fam, on="household_id", how="left", maintain_order="left")
    t = pl.col("death_date").cast(pl.Datetime("us")) + pl.duration(
        minutes=pl.Series(rng.integers(0, 24 * 60, n))
    )
    df = (
        base(T)
        .with_columns(
            证明编号=pl.lit("W")
            + pl.col("district_code")
            + pl.col("death_date").dt.strftime("%Y")
            + pl.Series(rng.integers(0, 10**6, n)).cast(pl.String).str.zfill(6),
            死者姓名=pl.col("name"),
            性别=pl.col("sex"),
            民族=pl.col("ethnicity"),
            有效身份证件类别=pl.lit("居民身份证"),
            证件号码=pl.col("id_number"),
            出生日期=fmt(pl.col("birth_date"), "iso"),
            死亡时间=t.dt.strftime("%Y-%m-%d %H:%M"),
            死亡地点=pl.col("death_place"),
            根本死因=pl.col("death_cause"),
            常住地址=pl.col("address"),
            家属联系电话=pl.col("_fam_phone"),
        )
        .sort("死亡时间", "_pid", maintain_order=True)
    )
    order = [
        "证明编号",
        "死者姓名",
        "性别",
        "民族",
        "有效身份证件类别",
        "证件号码",
        "出生日期",
        "死亡时间",
        "死亡地点",
        "根本死因",
        "常住地址",
        "家属联系电话",
    ]
    return Draft("wj_death", finish(df, order), id_col="证件号码", name_col="死者姓名")


def edu_graduates(ctx: Ctx) -> Draft:
    rng = ctx.streams("export/edu_graduates")
    T = people(
        ctx,
        pl.col("recent_grad") & pl.col("alive") & (pl.col("local_hukou") | pl.col("resident")),
        [
            "name",
            "sex",
            "id_number",
            "school",
            "major",
            "edu_level",
            "grad_date",
            "district_code",
            "phone",
        ],
    )
    n = T.height
    area_names = {a.code: a.name for a in _areas()}
    as_date = rng.random(n) < 0.5
    df = (
        base(T)
        .with_columns(
            姓名=pl.col("name"),
            性别=pl.col("sex"),
            身份证号=pl.col("id_number"),
            出生日期=fmt(pl.col("birth_date"), "iso"),
            毕业院校=pl.col("school"),
            专业=pl.col("major"),
            学历=pl.col("edu_level").replace({"高中": "本科"}),
            # Excel serial numbers: half as plain numbers, half as date-formatted cells.
            毕业时间=serial_number(pl.col("grad_date")),
            **{
                "_num:毕业时间": pl.when(pl.Series(as_date))
                .then(pl.col("grad_date"))
                .otherwise(None)
            },
            生源地=pl.col("district_code").replace_strict(area_names, default="内蒙古自治区乌海市"),
            联系电话=pl.col("phone"),
        )
        .sort("毕业院校", "_pid", maintain_order=True)
    )
    order = [
        "姓名",
        "性别",
        "身份证号",
        "出生日期",
        "毕业院校",
        "专业",
        "学历",
        "毕业时间",
        "生源地",
        "联系电话",
    ]
    return Draft(
        "edu_graduates", finish(df, order, ("_num:毕业时间",)), id_col="身份证号", name_col="姓名"
    )


def cl_disability(ctx: Ctx) -> Draft:
    rng = ctx.streams("export/cl_disability")
    T = people(
        ctx,
        pl.col("disabled"),
        [
            "alive",
            "address",
            "prev_address",
            "phone",
            "phone_old",
            "name",
            "sex",
            "id_number",
            "dis_cert_no",
            "dis_type",
            "dis_grade",
            "dis_cert_date",
            "hukou_address",
        ],
    )
    dead = (~T["alive"]).to_numpy()
    keep = ~dead | stale_dead(ctx, "cl_disability", dead, rng)
    T = base(T.filter(pl.Series(keep)))
    T = swap_value(ctx, T, rng, "address", "prev_address", ctx.cfg.moved_address, "moved_address")
    T = swap_value(ctx, T, rng, "phone", "phone_old", ctx.cfg.conflict_phone, "conflict_phone")
    df = (
        add_dirt(T, (~T["alive"]).to_numpy(), "stale")
        .with_columns(
            姓名=pl.col("name"),
            性别=pl.col("sex"),
            身份证号码=pl.col("id_number"),
            残疾人证号=pl.col("dis_cert_no"),
            残疾类别=pl.col("dis_type"),
            残疾等级=pl.col("dis_grade"),
            发证日期=pl.col("dis_cert_date"),
            户籍地址=pl.col("hukou_address"),
            现住址=pl.col("address"),
            联系电话=pl.col("phone"),
        )
        .sort("残疾人证号", maintain_order=True)
    )
    order = [
        "姓名",
        "性别",
        "身份证号码",
        "残疾人证号",
        "残疾类别",
        "残疾等级",
        "发证日期",
        "户籍地址",
        "现住址",
        "联系电话",
    ]
    return Draft("cl_disability", finish(df, order), id_col="身份证号码", name_col="姓名")


def va_veterans(ctx: Ctx) -> Draft:
    rng = ctx.streams("export/va_veterans")
    T = people(
        ctx,
        pl.col("veteran") & (pl.col("resident") | ~pl.col("alive")),
        [
            "alive",
            "address",
            "prev_address",
            "phone",
            "phone_old",
            "emp_status",
            "name",
            "sex",
            "id_number",
            "enlist_date",
            "discharge_date",
            "resettlement",
            "youfu",
        ],
    )
    dead = (~T["alive"]).to_numpy()
    keep = ~dead | stale_dead(ctx, "va_veterans", dead, rng)
    T = base(T.filter(pl.Series(keep)))
    n = T.height
    T = swap_value(ctx, T, rng, "address", "prev_address", ctx.cfg.moved_address, "moved_address")
    T = swap_value(ctx, T, rng, "phone", "phone_old", ctx.cfg.conflict_phone, "conflict_phone")
    work = pl.col("emp_status").replace_strict(
        {
            "employed": "就业",
            "flexible": "灵活就业",
            "self_employed": "自主创业",
            "public_welfare": "就业",
            "unemployed_registered": "失业",
            "unemployed": "失业",
            "retired": "退休",
        },
        default="无业",
    )
    df = (
        add_dirt(T, (~T["alive"]).to_numpy(), "stale")
        .with_columns(
            姓名=pl.col("name"),
            性别=pl.col("sex"),
            公民身份号码=pl.col("id_number"),
            出生年月=fmt(pl.col("birth_date"), "ym_dot"),
            入伍时间=fmt(pl.col("enlist_date"), "ym_dot"),
            退役时间=fmt(pl.col("discharge_date"), "slash"),
            **{
                "_num:退役时间": pl.when(pl.Series(rng.random(n) < 0.2))
                .then(serial_number(pl.col("discharge_date")).cast(pl.Float64))
                .otherwise(None)
            },
            安置方式=pl.col("resettlement"),
            优抚对象类别=pl.col("youfu"),
            现住址=pl.col("address"),
            联系电话=pl.col("phone"),
            就业状况=work,
        )
        .sort("退役时间", "_pid", maintain_order=True)
    )
    order = [
        "姓名",
        "性别",
        "公民身份号码",
        "出生年月",
        "入伍时间",
        "退役时间",
        "安置方式",
        "优抚对象类别",
        "现住址",
        "联系电话",
        "就业状况",
    ]
    return Draft(
        "va_veterans", finish(df, order, ("_num:退役时间",)), id_col="公民身份号码", name_col="姓名"
    )


# -- 市场监管 ----------------------------------------------------------------------------


def scjg_business(ctx: Ctx) -> Draft:
    E = ctx.ent.filter(pl.col("kind") != "public")
    P = ctx.T.select(
        pl.col("person_id").alias("legal_rep_pid"),
        pl.col("name").alias("_rep_name"),
        pl.col("id_number").alias("_rep_id"),
        pl.col("birth_date"),
    )
    E = E.join(P, on="legal_rep_pid", how="left", maintain_order="left")
    dist_name = {d.code: d.name for d in reference.districts()}
    df = E.with_columns(
        _pid=pl.col("legal_rep_pid").cast(pl.Int64),
        _dirt=pl.lit(""),
        _key=pl.col("uscc"),
        统一社会信用代码=pl.col("uscc"),
        主体名称=pl.col("name"),
        主体类型=pl.col("entity_type"),
        法定代表人=pl.coalesce(pl.col("_rep_name"), pl.col("outside_rep_name").replace("", None)),
        法定代表人证件号码=pl.coalesce(
            pl.col("_rep_id"), pl.col("outside_rep_id").replace("", None)
        ),
        成立日期=fmt(pl.col("reg_date"), "iso"),
        登记状态=pl.col("status"),
        注册资本=pl.col("capital").round(1).cast(pl.String),
        从业人数=pl.col("reported_employees").cast(pl.String),
        住所=pl.col("address"),
        行业=pl.col("industry"),
        登记机关=pl.lit("乌海市市场监督管理局")
        + pl.col("district_code")
        .replace_strict(dist_name, default="")
        .str.replace(r"^(.+)$", "${1}分局"),
    )
    df = df.with_columns(
        _by=pl.col("法定代表人证件号码").str.slice(6, 4).cast(pl.Int64, strict=False)
    ).rename({"注册资本": "注册资本（万元）", "法定代表人": "法定代表人（负责人）"})
    df = df.sort("成立日期", "统一社会信用代码", maintain_order=True)
    order = [
        "统一社会信用代码",
        "主体名称",
        "主体类型",
        "法定代表人（负责人）",
        "法定代表人证件号码",
        "成立日期",
        "登记状态",
        "注册资本（万元）",
        "从业人数",
        "住所",
        "行业",
        "登记机关",
    ]
    return Draft(
        "scjg_business",
        finish(df, order),
        id_col="法定代表人证件号码",
        name_col="法定代表人（负责人）",
    )


# -- 人社 handling log ------------------------------------------------------------------

_ITEMS = [
    ("失业登记", "unemp"),
    ("失业保险金申领", "unemp"),
    ("就业登记", "job"),
    ("灵活就业人员参保登记", "flex"),
    ("城乡居民养老保险参保登记", "rp"),
    ("职工退休申请", "retire"),
    ("养老待遇资格认证", "cert"),
    ("社会保障卡挂失", "card"),
    ("社会保障卡补换", "card"),
    ("个人权益记录查询打印", "adult"),
    ("求职创业补贴申领", "grad"),
    ("养老保险关系转移接续", "ep"),
]
_ITEM_WEIGHTS = np.array([0.08, 0.07, 0.12, 0.05, 0.06, 0.04, 0.14, 0.06, 0.08, 0.2, 0.02, 0.08])
# Statutory holidays (and days next to them) avoided for normal rows, so only the planted
# rows can be "outside working hours" whichever holiday calendar a checker uses.
_HOLIDAY_WINDOWS = [
    (date(2026, 1, 1), date(2026, 1, 4)),
    (date(2026, 2, 13), date(2026, 2, 24)),
    (date(2026, 4, 3), date(2026, 4, 7)),
    (date(2026, 4, 30), date(2026, 5, 6)),
    (date(2026, 6, 18), date(2026, 6, 22)),
    (date(2026, 9, 24), date(2026, 9, 28)),
    (date(2026, 9, 30), date(2026, 10, 9)),
    (date(2025, 12, 31), date(2026, 1, 4)),
]
_INSTITUTIONS = [
    "乌海市人社局政务服务大厅",
    "海勃湾区人社局窗口",
    "海南区人社局窗口",
    "乌达区人社局窗口",
]


def _working_days(as_of: date, days: int) -> list[date]:
    out = []
    for k in range(1, days + 1):
        d = as_of - timedelta(days=k)
        if d.weekday() >= 5 or any(a <= d <= b for a, b in _HOLIDAY_WINDOWS):
            continue
        out.append(d)
    return sorted(out)


def rs_handling_log(ctx: Ctx) -> Draft:
    rng = ctx.streams("export/rs_handling_log")
    T = people(
        ctx,
        pl.col("alive") & (pl.col("age") >= 16),
        [
            "id_number",
            "name",
            "household_id",
            "unemp_reg_date",
            "employment_form",
            "emp_status",
            "rp_enrolled",
            "pension_start",
            "has_pension",
            "has_card",
            "recent_grad",
            "ep_status",
            "last_cert_date",
        ],
    )
    days = _working_days(ctx.as_of, 365)
    pools = {
        "unemp": T.filter(pl.col("unemp_reg_date").is_not_null()),
        "job": T.filter(pl.col("employment_form").is_not_null()),
        "flex": T.filter(pl.col("emp_status") == "flexible"),
        "rp": T.filter(pl.col("rp_enrolled")),
        "retire": T.filter(pl.col("pension_start") >= pl.lit(ctx.as_of - timedelta(days=400))),
        # A certification in the log is the pensioner's last one (the day the pension system
        # holds), so the log never contradicts it; only those certified on a working day of
        # the log's year are in it.
        "cert": T.filter(
            pl.col("has_pension") & pl.col("last_cert_date").is_in(pl.Series(days).implode())
        ),
        "card": T.filter(pl.col("has_card")),
        "adult": T,
        "grad": T.filter(pl.col("recent_grad")),
        "ep": T.filter(pl.col("ep_status").is_not_null()),
    }
    n_rows = max(400, round(120_000 * ctx.scale))
    item = weighted_choice(rng, n_rows, _ITEM_WEIGHTS)
    parts = []
    for i, (label, pool) in enumerate(_ITEMS):
        k = int((item == i).sum())
        P = pools[pool] if pools[pool].height else T
        if pool == "cert":  # one certification a person, on its day
            idx = rng.choice(P.height, min(k, P.height), replace=False)
            on = P["last_cert_date"][idx]
        else:
            idx = rng.integers(0, P.height, k)
            on = pl.repeat(None, k, dtype=pl.Date, eager=True)
        parts.append(
            P[idx]
            .select("person_id", "id_number", "name", "birth_date", "household_id")
            .with_columns(事项=pl.lit(label), _on=on)
        )
    L = pl.concat(parts)
    n = L.height
    fixed = L["_on"].is_not_null().to_numpy()
    # Clerks: front-desk (accept), back-office (handle), section heads (approve).
    n_clerks = max(12, round(160 * ctx.scale))
    crng = ctx.streams("export/clerks")
    clerk_names = random_names(
        crng, n_clerks, crng.integers(1970, 2000, n_clerks), crng.random(n_clerks) < 0.4
    )
    clerk = np.array([f"{nm}(JB{i + 1:04d})" for i, nm in enumerate(clerk_names)])
    n_heads = max(3, n_clerks // 8)
    heads, staff = clerk[:n_heads], clerk[n_heads:]
    acc = staff[rng.integers(0, len(staff), n)]
    hnd = np.where(rng.random(n) < 0.4, acc, staff[rng.integers(0, len(staff), n)])
    apr = heads[rng.integers(0, len(heads), n)]
    day = np.array(days, dtype="datetime64[D]")[rng.integers(0, len(days), n)]
    day = np.where(fixed, L["_on"].to_numpy().astype("datetime64[D]"), day)
    minute = np.where(
        rng.random(n) < 0.55,
        rng.integers(8 * 60 + 30, 11 * 60 + 50, n),
        rng.integers(14 * 60 + 30, 17 * 60 + 50, n),
    )
    t_acc = day.astype("datetime64[s]") + (minute * 60 + rng.integers(0, 60, n)).astype(
        "timedelta64[s]"
    )
    t_hnd = t_acc + rng.integers(5 * 60, 40 * 60, n).astype("timedelta64[s]")
    t_apr = t_hnd + rng.integers(10 * 60, 50 * 60, n).astype("timedelta64[s]")
    case = np.full(n, "", dtype=object)

    # Planted handling anomalies.
    def pick(share: float, minimum: int, exclude: np.ndarray) -> np.ndarray:
        cand = np.flatnonzero(~exclude)
        k = min(len(cand), max(minimum, round(share * n)))
        return np.sort(rng.choice(cand, k, replace=False))

    used = np.zeros(n, dtype=bool)
    # Certifications keep their day: moving one would contradict the pension system.
    off = pick(0.003, 3, used | fixed)
    used[off] = True
    night = rng.random(len(off)) < 0.6
    off_min = np.where(
        night,
        rng.integers(19 * 60, 23 * 60 + 59, len(off)),
        rng.integers(9 * 60, 16 * 60, len(off)),
    )
    weekend = np.array(
        [
            np.datetime64(ctx.as_of - timedelta(days=int(d)), "D")
            for d in rng.integers(1, 360, len(off))
        ]
    )
    wk = weekend.astype("datetime64[D]").view("int64")
    # Move non-night picks onto the Saturday of their week.
    sat = (wk - ((wk - 2) % 7)).astype("datetime64[D]")
    off_day = np.where(night, day[off], sat)
    t_acc[off] = off_day.astype("datetime64[s]") + (off_min * 60).astype("timedelta64[s]")
    t_hnd[off] = t_acc[off] + np.int64(20 * 60).astype("timedelta64[s]")
    t_apr[off] = t_hnd[off] + np.int64(15 * 60).astype("timedelta64[s]")
    case[off] = "off_hours"
    noacc = pick(0.002, 3, used)
    used[noacc] = True
    case[noacc] = "handled_without_acceptance"
    same = pick(0.003, 3, used)
    used[same] = True
    apr[same] = acc[same]
    case[same] = "accept_and_approve_same_person"

    # Proxies: family members now and then; planted proxies act for many strangers.
    proxy_id = np.full(n, None, dtype=object)
    proxy_name = np.full(n, None, dtype=object)
    fam = np.flatnonzero((rng.random(n) < 0.04) & ~used)
    members = (
        ctx.T.lazy()
        .filter(pl.col("alive") & (pl.col("age") >= 18))
        .group_by("household_id")
        .agg(pl.col("id_number").first().alias("pid_no"), pl.col("name").first().alias("pname"))
        .collect()
    )
    fm = (
        L[fam]
        .select("household_id")
        .join(members, on="household_id", how="left", maintain_order="left")
    )
    proxy_id[fam] = fm["pid_no"].to_numpy()
    proxy_name[fam] = fm["pname"].to_numpy()
    n_proxies = max(1, round(3 * ctx.scale * 10) // 10 or 1)
    adults = people(
        ctx,
        pl.col("alive") & pl.col("resident") & pl.col("age").is_between(30, 60),
        ["id_number", "name"],
    )
    proxies = adults[rng.integers(0, adults.height, n_proxies)]
    personal = np.flatnonzero(
        np.isin(
            L["事项"].to_numpy(),
            ["养老待遇资格认证", "失业保险金申领", "社会保障卡补换", "个人权益记录查询打印"],
        )
        & ~used
        & ~fixed
        & _is_none(proxy_id)
    )
    for j in range(n_proxies):
        k = int(rng.integers(12, 26))
        rows = rng.choice(personal, min(k, len(personal)), replace=False)
        personal = np.setdiff1d(personal, rows)
        proxy_id[rows] = proxies["id_number"][j]
        proxy_name[rows] = proxies["name"][j]
        start = day[rows].min()
        day_r = start + rng.integers(0, 21, len(rows)).astype("timedelta64[D]")
        day_r = np.array(
            [
                d
                if np.datetime64(d, "D").astype(date).weekday() < 5
                else d + np.timedelta64(2, "D")
                for d in day_r
            ],
            dtype="datetime64[D]",
        )
        mins = rng.integers(9 * 60, 11 * 60, len(rows))
        t_acc[rows] = day_r.astype("datetime64[s]") + (mins * 60).astype("timedelta64[s]")
        t_hnd[rows] = t_acc[rows] + np.int64(600).astype("timedelta64[s]")
        t_apr[rows] = t_hnd[rows] + np.int64(900).astype("timedelta64[s]")
        case[rows] = "one_agent_many_people"
        used[rows] = True

    def ts(a: np.ndarray) -> pl.Series:
        return pl.Series(a.astype("datetime64[s]").astype("datetime64[us]")).dt.strftime(
            "%Y-%m-%d %H:%M:%S"
        )

    inst = np.array(_INSTITUTIONS)[rng.integers(0, len(_INSTITUTIONS), n)]
    no_acc = pl.Series(case == "handled_without_acceptance")
    df = (
        base(L)
        .with_columns(
            _case=pl.Series(case.astype(str)).replace("", None),
            业务事项=pl.col("事项"),
            申请人证件号码=pl.col("id_number"),
            申请人姓名=pl.col("name"),
            代办人证件号码=pl.Series(proxy_id.tolist(), dtype=pl.String),
            代办人姓名=pl.Series(proxy_name.tolist(), dtype=pl.String),
            受理人=pl.when(no_acc).then(None).otherwise(pl.Series(acc)),
            受理时间=pl.when(no_acc).then(None).otherwise(ts(t_acc)),
            办理人=pl.Series(hnd),
            办理时间=ts(t_hnd),
            审批人=pl.Series(apr),
            审批时间=ts(t_apr),
            受理机构=pl.Series(inst),
            办理结果=pl.Series(np.where(rng.random(n) < 0.96, "办结", "退回")),
            _t=ts(t_hnd),
        )
        .sort("_t", "_pid", maintain_order=True)
    )
    df = df.with_columns(
        业务流水号=pl.lit("YW")
        + pl.col("_t").str.replace_all(r"[-: ]", "").str.slice(0, 8)
        + pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(7)
    )
    df = df.with_columns(_key=pl.col("业务流水号"))
    order = [
        "业务流水号",
        "业务事项",
        "申请人证件号码",
        "申请人姓名",
        "代办人证件号码",
        "代办人姓名",
        "受理人",
        "受理时间",
        "办理人",
        "办理时间",
        "审批人",
        "审批时间",
        "受理机构",
        "办理结果",
    ]
    return Draft(
        "rs_handling_log",
        finish(df, order, ("_case",)),
        id_col="申请人证件号码",
        name_col="申请人姓名",
    )


def _is_none(a: np.ndarray) -> np.ndarray:
    return np.array([x is None for x in a.tolist()], dtype=bool)


def _areas():
    from .tables import areas

    return areas()


BUILDERS: list[Callable[[Ctx], Draft]] = [
    gongan_hukou,
    gongan_death,
    grid_census,
    rs_employment,
    rs_insurance,
    rs_pension,
    sbk_card,
    mz_assistance,
    wj_death,
    edu_graduates,
    cl_disability,
    va_veterans,
    scjg_business,
    rs_handling_log,
]

__all__ = ["BUILDERS", "Ctx"]
