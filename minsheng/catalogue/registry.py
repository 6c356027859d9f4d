"""The source registry: every department export declared once.

A `Source` says how a department's file is recognised (file-name pattern, then headers),
its format, and for each column: our internal snake_case name, the Chinese header variants
departments use for it, how its values are normalised (`kind`), whether a row is unusable
without it, and which archive dictionary item (`minsheng.residents.dictionary`) it feeds.

Plain Python, no Django: the importer, the benchmark and the tests all read it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType

__all__ = [
    "KINDS",
    "Column",
    "Source",
    "UnknownSource",
    "detect_source",
    "detect_source_by_headers",
    "known_header",
    "normalise_header",
    "source",
    "sources",
]

KINDS = frozenset(
    {
        "id",
        "name",
        "sex",
        "date",
        "datetime",
        "year_month",
        "phone",
        "code",
        "text",
        "integer",
        "decimal",
        "uscc",
    }
)


class UnknownSource(ValueError):
    """No declared source fits a file (neither by name nor by headers); `file_name` names
    the file when there is one."""

    def __init__(self, message: str, *, file_name: str = "") -> None:
        super().__init__(message)
        self.file_name = file_name


@dataclass(frozen=True)
class Column:
    name: str  # internal snake_case name, the column name in the accepted frame
    headers: tuple[str, ...]  # Chinese header variants, the preferred one first
    kind: str = "text"
    required: bool = False
    item: str | None = None  # dictionary item code this column feeds, if any
    # label → value for code columns whose labels differ from the dictionary's code list
    # (e.g. 残联 writes 听力 where the dictionary says 听力残疾).
    codes: Mapping[str, str] | None = None

    @property
    def unit(self) -> str | None:
        """The unit the registry's preferred header names (注册资本（万元） → 万元)."""
        return normalise_header(self.headers[0])[1]

    @property
    def is_date(self) -> bool:
        return self.kind in ("date", "datetime", "year_month")

    @property
    def past_only(self) -> bool:
        """A date of something that has happened: one in the future is a typing error."""
        return self.is_date and self.name not in FUTURE_DATES

    @property
    def after_birth(self) -> bool:
        """A date of an event in the row person's own life: it cannot precede their birth."""
        return self.is_date and self.name in LIFE_EVENT_DATES

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name}: unknown kind {self.kind!r}")
        if self.codes is not None:
            object.__setattr__(self, "codes", MappingProxyType(dict(self.codes)))


@dataclass(frozen=True)
class Source:
    name: str
    department: str  # the department that sends the file
    file_pattern: str  # regex on the file name (not the path)
    format: str  # "csv" or "xlsx"
    columns: tuple[Column, ...]
    key_columns: tuple[str, ...]
    dataset: str = ""  # what the department calls the export (户籍人口, 社会救助 …)
    id_column: str | None = None  # internal name of the person ID column (→ id_raw/id_error)
    name_column: str | None = None  # internal name of the person's name column
    # The file passed through Excel, so an 18-digit ID may have been rounded to a float.
    excel_handled: bool = False
    extra_items: tuple[str, ...] = ()  # dictionary items fed by derivation, not a column
    _by_name: Mapping[str, Column] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"source {self.name}: duplicate column names")
        for k in (*self.key_columns, self.id_column, self.name_column):
            if k is not None and k not in names:
                raise ValueError(f"source {self.name}: {k!r} is not a declared column")
        object.__setattr__(self, "_by_name", MappingProxyType({c.name: c for c in self.columns}))

    @property
    def label(self) -> str:
        """How staff name the source: department and dataset (公安局 户籍人口)."""
        return f"{self.department} {self.dataset}"

    def column(self, name: str) -> Column:
        return self._by_name[name]

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    @property
    def items(self) -> tuple[str, ...]:
        """Dictionary item codes this source feeds (column items, then derived ones)."""
        seen = dict.fromkeys(c.item for c in self.columns if c.item)
        seen.update(dict.fromkeys(self.extra_items))
        return tuple(seen)

    def header_map(self) -> dict[str, str]:
        """Normalised header text (any variant, `normalise_header`) → internal column name."""
        return {normalise_header(h)[0]: c.name for c in self.columns for h in c.headers}

    def matches_name(self, file_name: str) -> bool:
        return re.fullmatch(self.file_pattern, file_name) is not None


def _c(name: str, headers: str | tuple[str, ...], kind: str = "text", **kw) -> Column:
    return Column(name, (headers,) if isinstance(headers, str) else headers, kind, **kw)


# Dates that may lie ahead (a planned end of payment, a scheduled stop); every other date
# column records something that has happened.
FUTURE_DATES = frozenset({"end_month", "stop_date"})
# Dates of events in the row person's own life, which cannot come before their birth. A
# household's approval date or a company's founding date can (a child born into a 低保
# household, a legal representative younger than the company), so they are not here.
LIFE_EVENT_DATES = frozenset(
    {
        "death_date",
        "death_time",
        "cancel_date",
        "graduation_date",
        "enlist_date",
        "discharge_date",
        "pension_start",
        "first_insured_date",
        "registration_date",
        "issue_date",
    }
)

# Header variants seen across departments for the same concept; a source lists the whole
# family so a department renaming its column (身份证号 → 证件号码) still parses. Headers are
# compared after `normalise_header` (spaces, line breaks, bracket widths and units removed).
ID_HEADERS = (
    "公民身份号码",
    "身份证号码",
    "身份证号",
    "证件号码",
    "身份证件号码",
    "公民身份证号码",
    "居民身份证号码",
    "身份证件号",
)
NAME = _c("name", ("姓名",), "name", item="identity.name")
SEX = _c("sex", ("性别", "性别代码"), "sex", item="identity.sex")
BIRTH = _c("birth_date", ("出生日期",), "date", item="identity.birth_date")
ETHNICITY = _c("ethnicity", ("民族",), "code", item="identity.ethnicity")
PHONE = _c(
    "phone", ("联系电话", "手机号码", "手机号", "联系方式", "手机"), "phone", item="identity.phone"
)


def _id(headers: tuple[str, ...] = ID_HEADERS) -> Column:
    return _c("id_number", headers, "id", item="identity.id_number")


def _pattern(name: str, ext: str) -> str:
    return rf"^{name}_\d{{8}}\.{ext}$"


_SOURCES: tuple[Source, ...] = (
    Source(
        "gongan_hukou",
        "公安局",
        _pattern("gongan_hukou", "csv"),
        "csv",
        (
            _c("household_number", "户号", item="hukou.household_number"),
            _c("relation_to_head", "与户主关系", "code", item="hukou.relation_to_head"),
            NAME,
            _id(),
            SEX,
            ETHNICITY,
            _c("birth_date", "出生日期", "date", required=True, item="identity.birth_date"),
            _c("hukou_address", ("户籍地址",), item="hukou.address"),
            _c(
                "hukou_status",
                "人员状态",
                "code",
                item="hukou.status",
                codes={"正常": "1", "正常（人户分离）": "1", "死亡注销": "3"},
            ),
            _c("cancel_date", "注销日期", "date", item="hukou.cancel_date"),
            _c("police_station", ("所属派出所", "派出所")),
        ),
        dataset="户籍人口信息",
        key_columns=("id_number",),
        id_column="id_number",
        name_column="name",
        extra_items=("hukou.local", "hukou.separated", "identity.death_date"),
    ),
    Source(
        "gongan_death",
        "公安局",
        _pattern("gongan_death", "csv"),
        "csv",
        (
            NAME,
            _id(),
            SEX,
            BIRTH,
            _c(
                "death_date",
                ("死亡日期", "死亡时间"),
                "date",
                required=True,
                item="identity.death_date",
            ),
            _c("cancel_date", "注销日期", "date", item="hukou.cancel_date"),
            _c("cancel_reason", "注销原因"),
            _c("hukou_address", "户籍地址", item="hukou.address"),
            _c("police_station", ("派出所", "所属派出所")),
        ),
        dataset="死亡注销人员",
        key_columns=("id_number",),
        id_column="id_number",
        name_column="name",
        extra_items=("hukou.status",),
    ),
    Source(
        "grid_census",
        "市域社会治理指挥中心",
        _pattern("grid_census", "csv"),
        "csv",
        (
            _c("grid_code", "网格编码", item="residence.grid"),
            _c("grid_name", "网格名称"),
            _c("doorplate_code", "门牌编码", item="residence.doorplate_code"),
            _c("address", ("现住址", "现居住地址"), item="residence.address"),
            NAME,
            SEX,
            _id(),
            BIRTH,
            ETHNICITY,
            PHONE,
            _c("relation_to_head", "与户主关系", "code", item="hukou.relation_to_head"),
            _c("hukou_type", "户籍类型", "code", codes={"本地户籍": "1", "外地户籍": "0"}),
            _c("hukou_address", ("户籍地", "户籍地址"), item="hukou.address"),
            _c("population_type", "人员类型", "code", item="residence.population_type"),
            # 在校学生 is what the archive reads (education.in_school); the form's other
            # categories are kept as given
            _c(
                "person_category",
                "人员类别",
                "code",
                codes={"在校学生": "5", "在职": "1", "离退休": "4", "无业": "3", "学龄前": "6"},
            ),
            _c("collected_date", "采集日期", "date", item="residence.last_collected_date"),
        ),
        dataset="网格人口采集",
        key_columns=("id_number",),
        id_column="id_number",
        name_column="name",
        excel_handled=True,
        extra_items=("hukou.local",),
    ),
    Source(
        "rs_employment",
        "人社局就业科",
        _pattern("rs_employment", "csv"),
        "csv",
        (
            _c("registration_type", "登记类型", "code", codes={"就业登记": "E", "失业登记": "U"}),
            _id(),
            NAME,
            SEX,
            BIRTH,
            PHONE,
            _c("address", ("居住地址", "现住址"), item="residence.address"),
            _c("employment_form", "就业形式", "code", item="employment.form"),
            _c("employer", "用人单位名称", item="employment.employer"),
            _c("employer_uscc", "统一社会信用代码", "uscc", item="employment.employer_uscc"),
            _c("registration_date", "登记日期", "date", item="unemployment.registration_date"),
            _c("unemployment_reason", "失业原因", "code", item="unemployment.reason"),
            _c("previous_employer", "原工作单位"),
            _c("benefit_status", "失业保险金状态", "code", item="unemployment.benefit_status"),
            _c(
                "benefit_months_approved",
                "核定领取月数",
                "integer",
                item="unemployment.benefit_months_approved",
            ),
            _c("benefit_months_drawn", "已领取月数", "integer"),
            _c(
                "benefit_months_left",
                "剩余月数",
                "integer",
                item="unemployment.benefit_months_left",
            ),
            _c("willingness", "就业意愿", "code", item="unemployment.willingness"),
            _c("desired_job", "求职意向", item="unemployment.desired_job"),
        ),
        dataset="就业失业登记",
        key_columns=("id_number", "registration_type", "registration_date"),
        id_column="id_number",
        name_column="name",
        extra_items=("unemployment.registered", "employment.start_date"),
    ),
    Source(
        "rs_insurance",
        "人社局社保中心",
        _pattern("rs_insurance", "csv"),
        "csv",
        (
            _id(),
            NAME,
            SEX,
            _c("scheme_code", "险种代码", "code", required=True),
            _c("scheme_name", "险种名称"),
            _c("insured_status", "参保状态"),
            _c("insured_identity", "参保身份", "code", item="insurance.insured_identity"),
            _c(
                "first_insured_date",
                "首次参保日期",
                "date",
                item="insurance.employee_pension_first_date",
            ),
            _c("current_insured_date", "本次参保日期", "date", item="employment.start_date"),
            _c(
                "contribution_months",
                "累计缴费月数",
                "integer",
                item="insurance.employee_pension_months",
            ),
            _c("employer", "单位名称", item="employment.employer"),
            _c("employer_uscc", "单位统一社会信用代码", "uscc", item="employment.employer_uscc"),
            _c("contribution_base", "缴费基数", "decimal"),
            _c("income_band", "收入档次", "code", item="insurance.income_band"),
            _c("resident_grade", "缴费档次", "integer", item="insurance.resident_pension_grade"),
        ),
        dataset="参保信息",
        key_columns=("id_number", "scheme_code"),
        id_column="id_number",
        name_column="name",
        extra_items=(
            "insurance.employee_pension_status",
            "insurance.employee_pension_scheme",
            "insurance.resident_pension_status",
            "insurance.medical_scheme",
            "insurance.unemployment_insurance_status",
            "insurance.work_injury_status",
        ),
    ),
    Source(
        "rs_pension",
        "人社局社保中心",
        _pattern("rs_pension", "csv"),
        "csv",
        (
            _id(),
            NAME,
            SEX,
            _c("birth_month", "出生年月", "year_month"),
            _c("pension_type", "待遇类型", "code", item="benefits.pension_type"),
            _c("pension_start", "待遇开始年月", "year_month", item="benefits.pension_start"),
            _c("monthly_amount", "月发放金额", "decimal", item="benefits.pension_amount"),
            _c("payment_status", "发放状态", "code", item="benefits.pension_payment_status"),
            _c(
                "last_paid_month",
                "最近发放年月",
                "year_month",
                item="benefits.pension_last_paid_month",
            ),
            _c("end_month", "终止年月", "year_month"),
            _c(
                "last_certification_date",
                "最近认证日期",
                "date",
                item="benefits.last_certification_date",
            ),
            _c("certification_method", "认证方式", "code", item="benefits.certification_method"),
            _c("bank", "开户银行"),
            PHONE,
        ),
        dataset="养老待遇发放及资格认证",
        key_columns=("id_number", "pension_type"),
        id_column="id_number",
        name_column="name",
        extra_items=("benefits.payment_account",),
    ),
    Source(
        "sbk_card",
        "社保卡服务中心",
        _pattern("sbk_card", "csv"),
        "csv",
        (
            NAME,
            _id(),
            SEX,
            _c("card_number", "社会保障卡号", item="card.card_number"),
            _c("generation", "卡片版本", "code", item="card.generation"),
            _c("issue_date", "发卡日期", "date", item="card.issue_date"),
            _c("card_status", "卡状态", "code", item="card.status"),
            _c(
                "ecard",
                "电子社保卡",
                "code",
                codes={"已签发": "1", "未签发": "0"},
                item="card.ecard",
            ),
            _c("service_bank", "服务银行", item="card.service_bank"),
            _c("phone", ("手机号码", "联系电话"), "phone", item="identity.phone"),
        ),
        dataset="社会保障卡持卡信息",
        key_columns=("id_number", "card_number"),
        id_column="id_number",
        name_column="name",
        extra_items=("card.has_card",),
    ),
    Source(
        "mz_assistance",
        "民政局",
        _pattern("mz_assistance", "csv"),
        "csv",
        (
            _c(
                "assistance_type",
                "救助类型",
                "code",
                required=True,
                codes={
                    "低保": "dibao",
                    "特困": "tekun",
                    "低保边缘": "dibao_edge",
                    "防返贫监测": "fpr",
                },
            ),
            _c("head_name", "户主姓名", "name"),
            _c("head_id_number", "户主身份证号", "id"),
            NAME,
            _c(
                "id_number",
                ("身份证号码", "公民身份号码", "证件号码", "身份证件号码", "公民身份证号码"),
                "id",
                item="identity.id_number",
            ),
            _c("relation_to_head", "与户主关系", "code", item="hukou.relation_to_head"),
            SEX,
            _c("household_size", "保障人口", "integer"),
            _c("monthly_amount", "月保障金额", "decimal", item="assistance.monthly_amount"),
            _c("approval_date", "批准日期", "date", item="assistance.start_date"),
            _c("assistance_status", "保障状态", "code", item="assistance.status"),
            _c("stop_date", "停保日期", "date"),
            _c("address", "家庭住址", item="residence.address"),
            PHONE,
            _c("monitoring_type", "监测类型"),
            _c("returned_to_poverty", "返贫致贫", "code", codes={"是": "1", "否": "0"}),
        ),
        dataset="社会救助对象",
        key_columns=("id_number", "assistance_type"),
        id_column="id_number",
        name_column="name",
        excel_handled=True,
        extra_items=(
            "assistance.dibao",
            "assistance.tekun",
            "assistance.dibao_edge",
            "assistance.poverty_monitoring",
            "assistance.returned_to_poverty",
        ),
    ),
    Source(
        "wj_death",
        "卫生健康委员会",
        _pattern("wj_death", "csv"),
        "csv",
        (
            _c("certificate_number", "证明编号", required=True),
            _c("name", ("死者姓名", "姓名"), "name", item="identity.name"),
            SEX,
            ETHNICITY,
            _c("id_type", "有效身份证件类别"),
            _id(),
            BIRTH,
            _c("death_time", "死亡时间", "datetime", required=True, item="identity.death_date"),
            _c("death_place", "死亡地点"),
            _c("death_cause", "根本死因"),
            _c("address", "常住地址", item="residence.address"),
            _c("family_phone", "家属联系电话", "phone"),
        ),
        dataset="居民死亡医学证明",
        key_columns=("certificate_number",),
        id_column="id_number",
        name_column="name",
    ),
    Source(
        "edu_graduates",
        "教育局",
        _pattern("edu_graduates", "xlsx"),
        "xlsx",
        (
            NAME,
            SEX,
            _id(),
            BIRTH,
            _c("school", "毕业院校", item="education.school"),
            _c("major", "专业", item="education.major"),
            _c(
                "level",
                "学历",
                "code",
                item="education.level",
                codes={"博士研究生": "11", "硕士研究生": "14", "本科": "21", "大专": "31"},
            ),
            _c(
                "graduation_date",
                "毕业时间",
                "date",
                required=True,
                item="education.graduation_date",
            ),
            _c("origin", "生源地"),
            PHONE,
        ),
        dataset="高校毕业生生源信息",
        key_columns=("id_number", "graduation_date"),
        id_column="id_number",
        name_column="name",
        excel_handled=True,
    ),
    Source(
        "cl_disability",
        "残疾人联合会",
        _pattern("cl_disability", "xlsx"),
        "xlsx",
        (
            NAME,
            SEX,
            _id(),
            _c("certificate_number", "残疾人证号", item="disability.certificate_number"),
            _c(
                "disability_type",
                "残疾类别",
                "code",
                item="disability.type",
                codes={
                    "视力": "1",
                    "听力": "2",
                    "言语": "3",
                    "肢体": "4",
                    "智力": "5",
                    "精神": "6",
                    "多重": "7",
                },
            ),
            _c("grade", "残疾等级", "code", item="disability.grade"),
            _c("issue_date", "发证日期", "date", required=True),
            _c("hukou_address", "户籍地址", item="hukou.address"),
            _c("address", "现住址", item="residence.address"),
            PHONE,
        ),
        dataset="持证残疾人信息",
        key_columns=("id_number", "certificate_number"),
        id_column="id_number",
        name_column="name",
        excel_handled=True,
        extra_items=("disability.disabled",),
    ),
    Source(
        "va_veterans",
        "退役军人事务局",
        _pattern("va_veterans", "xlsx"),
        "xlsx",
        (
            NAME,
            SEX,
            _id(),
            _c("birth_month", "出生年月", "year_month"),
            _c("enlist_date", "入伍时间", "year_month", item="veterans.enlist_date"),
            _c("discharge_date", "退役时间", "date", required=True, item="veterans.discharge_date"),
            _c("resettlement", "安置方式", "code", item="veterans.resettlement"),
            _c("youfu", "优抚对象类别", "code", item="veterans.youfu"),
            _c("address", "现住址", item="residence.address"),
            PHONE,
            _c("employment_situation", "就业状况", "code", item="veterans.employment_situation"),
        ),
        dataset="退役军人信息",
        key_columns=("id_number",),
        id_column="id_number",
        name_column="name",
        excel_handled=True,
        extra_items=("veterans.veteran",),
    ),
    Source(
        "scjg_business",
        "市场监督管理局",
        _pattern("scjg_business", "csv"),
        "csv",
        (
            _c("uscc", "统一社会信用代码", "uscc", required=True, item="business.uscc"),
            _c("entity_name", "主体名称", required=True, item="business.entity_name"),
            _c("entity_type", "主体类型"),
            _c("name", ("法定代表人（负责人）", "法定代表人"), "name"),
            _c("id_number", ("法定代表人证件号码",), "id", item="identity.id_number"),
            _c("established_date", "成立日期", "date", item="business.established_date"),
            _c("status", "登记状态", "code", item="business.status"),
            _c("registered_capital", "注册资本（万元）", "decimal"),
            _c("employees", "从业人数", "integer", item="business.employees"),
            _c("address", "住所"),
            _c("industry", "行业"),
            _c("registration_authority", "登记机关"),
        ),
        dataset="市场主体登记信息",
        key_columns=("uscc",),
        id_column="id_number",
        name_column="name",
        extra_items=("business.is_legal_rep", "business.entity_kind"),
    ),
    Source(
        "rs_handling_log",
        "人社局",
        _pattern("rs_handling_log", "csv"),
        "csv",
        (
            _c("serial", "业务流水号", required=True),
            _c("matter", "业务事项", required=True),
            _c("id_number", "申请人证件号码", "id", item="identity.id_number"),
            _c("name", "申请人姓名", "name"),
            _c("agent_id_number", "代办人证件号码", "id"),
            _c("agent_name", "代办人姓名", "name"),
            _c("accepted_by", "受理人"),
            _c("accepted_at", "受理时间", "datetime"),
            _c("handled_by", "办理人"),
            _c("handled_at", "办理时间", "datetime"),
            _c("approved_by", "审批人"),
            _c("approved_at", "审批时间", "datetime"),
            _c("office", "受理机构"),
            _c("result", "办理结果"),
        ),
        dataset="业务经办日志",
        key_columns=("serial",),
        id_column="id_number",
        name_column="name",
        extra_items=("benefits.employment_subsidy_type", "benefits.last_certification_date"),
    ),
)


# Facts that are not department files: what grid workers collect at the door (网格采集).
# One row per completed grid task (`minsheng.grid`), holding only what that task's form
# asks; the archive reads each item from the latest row that has it (residents.archive).
# Never detected from a file nor offered for upload: `sources()` lists department files.
YES_NO = MappingProxyType({"是": "1", "否": "0"})
GRID_COLLECT = Source(
    "grid_collect",
    "网格员",
    r"(?!)",  # no file name is a grid collection
    "form",
    (
        _c("task_id", "任务编号", "integer"),
        _c("task_kind", "任务类型"),
        _c("worker", "网格员"),
        _c("collected_date", "采集日期", "date", item="residence.last_collected_date"),
        _c("insurance_willingness", "参保意愿", "code", item="insurance.willingness"),
        _c("income_band", "收入区间", "code", item="insurance.income_band"),
        _c("job_seeker", "求职登记", "code", codes=YES_NO, item="unemployment.job_seeker"),
        _c("employment_willingness", "就业意愿", "code", item="unemployment.willingness"),
        _c("desired_job", "求职意向", item="unemployment.desired_job"),
        _c("training_willingness", "培训意愿", "code", item="education.training_willingness"),
        _c("training_trade", "意向培训工种"),
        _c(
            "certification_date",
            "认证日期",
            "date",
            item="benefits.last_certification_date",
        ),
        _c("certification_method", "认证方式", "code", item="benefits.certification_method"),
        _c("death_date", "死亡日期", "date", item="identity.death_date"),
        _c("death_place", "死亡地点"),
        _c("death_evidence", "死亡证据"),
        _c("phone", "联系电话", "phone", item="identity.phone"),
        _c("address", "现住址", item="residence.address"),
        _c("lives_alone", "独居", "code", codes=YES_NO, item="residence.lives_alone"),
        _c("marital_status", "婚姻状况", "code", item="identity.marital_status"),
        _c("service", "服务内容"),
        _c("outcome", "处理结果"),
        _c("note", "备注"),
    ),
    dataset="网格采集",
    key_columns=("task_id",),
)
COLLECTED_SOURCES: tuple[Source, ...] = (GRID_COLLECT,)


@cache
def _index() -> Mapping[str, Source]:
    return MappingProxyType({s.name: s for s in (*_SOURCES, *COLLECTED_SOURCES)})


def sources() -> tuple[Source, ...]:
    """Every declared source, in the order of docs/synthetic-city.md."""
    return _SOURCES


def source(name: str) -> Source:
    try:
        return _index()[name]
    except KeyError:
        known = ", ".join(_index())
        raise UnknownSource(f"no source named {name!r} (known: {known})") from None


LABELS: Mapping[str, str] = MappingProxyType(
    {s.name: s.label for s in (*_SOURCES, *COLLECTED_SOURCES)}
)
"""Every origin of a fact (source name → department and dataset): the one list of them."""


def label(name: str) -> str:
    """A source's name as staff read it; an unknown name is shown as it is."""
    return LABELS.get(name, name)


# Sources that seed the person index are imported first; the rest link against it.
SEED_ORDER = ("gongan_hukou", "grid_census")
# Sources that report deaths: their rows say a person died, not that they live somewhere.
DEATH_SOURCES = frozenset({"gongan_death", "wj_death"})


def import_rank(name: str) -> tuple[int, str]:
    """Sort key of a source in an import of several files: seeding sources first."""
    rank = {n: i for i, n in enumerate(SEED_ORDER)}
    return rank.get(name, len(rank)), name


def detect_source_by_headers(headers: list[str]) -> Source | None:
    """The source whose declared headers cover the most of `headers`.

    Headers are compared normalised. Offices add columns of their own (序号, 备注), so a
    source needs at least three of its columns and more than half of the file's headers;
    of two such sources the one with more hits wins, then the one the file covers more of.
    A required column is not needed here: a file that lacks one is the best match's all the
    same, and the mapping stage refuses it naming the column (rather than the file passing
    for another source that happens to need less)."""
    found = {normalise_header(h)[0] for h in headers if h and str(h).strip()}
    best: tuple[tuple[int, float], Source] | None = None
    for s in _SOURCES:

        def present(c: Column) -> bool:
            return any(normalise_header(h)[0] in found for h in c.headers)

        hits = sum(1 for c in s.columns if present(c))
        enough = hits >= 3 and hits > len(found) / 2
        score = (hits, hits / len(s.columns))
        if enough and (best is None or score > best[0]):
            best = (score, s)
    return best[1] if best else None


def source_by_file_name(file_name: str) -> Source | None:
    return next((s for s in _SOURCES if s.matches_name(file_name)), None)


def detect_source(file_name: str, headers: list[str] | None = None) -> Source:
    """Find the source of a file by its name, else by its header line (read by the caller)."""
    file_name = Path(file_name).name
    if (s := source_by_file_name(file_name)) is not None:
        return s
    if headers and (s := detect_source_by_headers(headers)) is not None:
        return s
    raise UnknownSource(
        f"{file_name}: no declared source matches this file name or its headers "
        f"({', '.join(headers) if headers else 'no header read'}); "
        f"pass the source explicitly (known: {', '.join(_index())})",
        file_name=file_name,
    )


def all_headers() -> frozenset[str]:
    """Every header any source declares, normalised (`normalise_header`): how a reader finds
    the header row of a sheet."""
    return frozenset(normalise_header(h)[0] for s in _SOURCES for c in s.columns for h in c.headers)


def known_header(text: object) -> bool:
    """Whether a header cell, as written, names a column some source declares."""
    return text is not None and normalise_header(str(text))[0] in all_headers()


# -- header cells as offices write them -----------------------------------------------------

# Units a header may carry in brackets at its end: 月保障金额(元), 保障人口（人）, 注册资本(万元).
UNITS = ("万元", "元", "人", "户", "个月", "月", "年", "岁", "天", "%", "次")
_WHITESPACE = re.compile(r"[\s\u3000\u00a0\ufeff\u200b]+")
_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "(", "】": ")", "［": "(", "］": ")"})
_UNIT = re.compile(r"^(?P<name>.+?)\((?P<unit>" + "|".join(map(re.escape, UNITS)) + r")\)$")


def normalise_header(text: str) -> tuple[str, str | None]:
    """A header cell's name and unit: line breaks and every space removed (身份证\\n号码,
    姓  名, 姓　名), full-width brackets made half-width, and a trailing unit in brackets
    split off (月保障金额（元） → 月保障金额, 元). Brackets that are no unit stay:
    法定代表人（负责人） → 法定代表人(负责人)."""
    s = _WHITESPACE.sub("", str(text)).translate(_BRACKETS)
    m = _UNIT.match(s)
    if m is None:
        return s, None
    return m.group("name"), m.group("unit")
