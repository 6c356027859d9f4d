"""Calibration targets, the export sources and the one dirt configuration.

Everything a reader may want to tune or cite lives here, so docs/synthetic-city.md can
point at a single file and the tests can compare what was generated with what was asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from minsheng.catalogue import registry

GENERATOR_VERSION = "1.2.0"

# A fixed "today": the same seed and scale must give byte-identical files on any day.
AS_OF = date(2026, 11, 13)

# DESIGN.md §1 (end-2021 figures used as the city's current state).
RESIDENTS = 558_100
LOCAL_HUKOU_RESIDENTS = 436_000
AGE_BAND_SHARES = {"0-14": 0.1335, "15-64": 0.7456, "65+": 0.1209}
MALE_SHARE = 109.42 / 209.42
GRIDS = 786
# People registered in Wuhai but living elsewhere (students, workers, elderly living with
# children): they appear in 公安 household registration but not in the grid census.
AWAY_SHARE_OF_LOCAL = 0.035
DEATHS_PER_1000_PER_YEAR = 6.0
DEATH_YEARS = 3
COMPANIES = 9_500  # 企业 registered with 市场监管 at scale 1.0 (个体工商户 follow the people)

# Statutory and local money figures used for benefits (yuan per month).
MINIMUM_WAGE = 2_270
UNEMPLOYMENT_BENEFIT = round(MINIMUM_WAGE * 0.9)
DIBAO_STANDARD = 880
TEKUN_STANDARD = 1_150


@dataclass(frozen=True)
class SourceSpec:
    """One department export: how it is named, encoded and how careful its keepers are."""

    name: str  # the source's name in the registry, which says its department and dataset
    fmt: str  # "csv" or "xlsx"
    encoding: str  # "gb18030", "utf-8" or "utf-8-sig"; "xlsx" for workbooks
    days_before: int  # export date = AS_OF - days_before
    quality: float  # multiplies the ID and name dirt rates (1.0 = the configured rate)
    excel: bool = False  # passed through Excel, so IDs may have turned into floats
    crlf: bool = False
    title_row: bool = False  # XLSX with a title line above the header

    @property
    def department(self) -> str:
        return registry.source(self.name).department

    @property
    def title(self) -> str:
        return registry.source(self.name).dataset

    def export_date(self, as_of: date) -> date:
        return as_of - timedelta(days=self.days_before)

    def file_name(self, as_of: date) -> str:
        return f"{self.name}_{self.export_date(as_of):%Y%m%d}.{self.fmt}"

    @property
    def header_row(self) -> int:
        """0-based line of the column header (importers may use it as a hint)."""
        return 1 if self.title_row else 0


SOURCES: dict[str, SourceSpec] = {
    s.name: s
    for s in [
        SourceSpec("gongan_hukou", "csv", "gb18030", 3, 0.3, crlf=True),
        SourceSpec("gongan_death", "csv", "gb18030", 3, 0.3, crlf=True),
        SourceSpec(
            "grid_census",
            "csv",
            "utf-8-sig",
            7,
            1.6,
            excel=True,
            crlf=True,
        ),
        SourceSpec("rs_employment", "csv", "gb18030", 4, 1.0),
        SourceSpec("rs_insurance", "csv", "utf-8", 4, 0.8),
        SourceSpec("rs_pension", "csv", "gb18030", 4, 0.8),
        SourceSpec("sbk_card", "csv", "utf-8-sig", 5, 0.8),
        SourceSpec(
            "mz_assistance",
            "csv",
            "gb18030",
            10,
            1.3,
            excel=True,
            crlf=True,
        ),
        SourceSpec("wj_death", "csv", "utf-8", 6, 1.0),
        SourceSpec("edu_graduates", "xlsx", "xlsx", 12, 1.0, excel=True),
        SourceSpec(
            "cl_disability",
            "xlsx",
            "xlsx",
            9,
            1.5,
            excel=True,
            title_row=True,
        ),
        SourceSpec("va_veterans", "xlsx", "xlsx", 11, 1.3, excel=True),
        SourceSpec("scjg_business", "csv", "utf-8", 5, 0.6),
        SourceSpec("rs_handling_log", "csv", "utf-8", 1, 0.5),
    ]
}

# Which ID dirt types a code belongs to, for counting and for the docs.
ID_DIRT = (
    "id_15_digit",
    "id_fullwidth",
    "id_lowercase_x",
    "id_space_dash",
    "id_excel_float",
    "id_typo",
    "id_transposition",
    "id_missing",
)
NAME_DIRT = ("name_traditional", "name_space", "name_homophone")
ROW_DIRT = ("duplicate", "blank", "malformed")
VALUE_DIRT = ("moved_address", "conflict_phone", "conflict_employer", "stale")
ALL_DIRT = ID_DIRT + NAME_DIRT + VALUE_DIRT + ROW_DIRT


@dataclass(frozen=True)
class DirtConfig:
    """Dirt rates: the single place where how dirty the exports are is decided.

    ID and name rates are per data row and are multiplied by the source's `quality`; a row
    gets at most one ID dirt and at most one name dirt. Each rate is relative to the rows
    where that dirt is possible (noted per field), so a test can compare the observed count
    with the sum of per-row probabilities that the generator reports in counts.json.
    """

    # -- identifier (at most one per row) --
    id_15_digit: float = 0.020  # rows of people born before 2000 (legacy 15-digit numbers)
    id_fullwidth: float = 0.004  # rows with an ID
    id_lowercase_x: float = 0.30  # rows whose ID ends in X
    id_space_dash: float = 0.006  # rows with an ID
    id_excel_float: float = 0.015  # rows whose ID ends in a digit, in files that went through Excel
    id_typo: float = 0.003  # rows with an ID: one digit changed
    id_transposition: float = 0.0015  # rows with an ID: two adjacent different digits swapped
    id_missing: float = 0.005  # rows with an ID column
    # -- name (at most one per row) --
    name_traditional: float = 0.006  # rows whose name has a character with a traditional form
    name_space: float = 0.008  # rows with a name
    name_homophone: float = 0.004  # rows whose last name character has a listed homophone
    # -- values that disagree with the truth or with other departments --
    moved_address: float = 0.5  # rows with an address, of people who moved in the last 3 years
    conflict_phone: float = 0.5  # rows with a phone, of people who changed their number
    conflict_employer: float = 0.6  # employment rows of people who changed employer
    # Probability that a department has not yet learnt of a death and still lists the person
    # as alive/active ("stale"); sources absent here always learn of deaths.
    stale_deceased: dict[str, float] = field(
        default_factory=lambda: {
            "grid_census": 0.35,
            "sbk_card": 0.5,
            "rs_insurance": 0.15,
            "cl_disability": 0.6,
            "va_veterans": 0.4,
        }
    )
    # -- whole rows --
    duplicate: float = 0.004  # exact copy of a data row, placed right after it or later
    blank: float = 0.0008  # all-empty row (",,,,")
    malformed: float = 0.0008  # wrong column count, garbage, repeated header, trailer


DEFAULT_DIRT = DirtConfig()
