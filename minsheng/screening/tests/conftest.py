"""Hand-made residents for the screening pages, matching the graduates theme.

清泉社区 (the clerk's community, in 新华街道):
  王小明 grid 1, recent graduate, not employed, 特困 → both graduates lists
  赵丽   grid 1, recent graduate, employed → population only
  钱多   grid 2, recent graduate, registered unemployed → graduates_unemployed
  周老   grid 1, not a graduate → in no list
巴音赛街道 (the outsider's street):
  李四   recent graduate, not employed → graduates_unemployed
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.utils import timezone

from minsheng.lib.idcard import check_char
from minsheng.residents.models import Resident
from minsheng.sources.models import Batch, BatchStatus, Person

LOADED = timezone.make_aware(datetime(2026, 3, 5, 9, 0))
AS_OF = date(2026, 3, 1)


def id_number(body17: str) -> str:
    return body17 + check_char(body17)


def make_resident(crypto, batch, n: int, name: str, sex: str, born: date, grid, **items):
    number = id_number(f"150302{born:%Y%m%d}{n:03d}")
    person = Person.objects.create(
        id_hash=crypto.blind_index(number),
        id_enc=crypto.encrypt(number),
        name=name,
        sex=sex,
        birth_date=born,
        district_code=grid.district_code,
        first_source=batch.source,
        first_batch=batch,
        first_row=n,
        created_at=LOADED,
    )
    community = grid.parent
    Resident.objects.create(
        person=person,
        district_code=grid.district_code,
        town_code=grid.town_code,
        community_code=grid.community_code,
        grid_code=grid.code,
        as_of=AS_OF,
        refreshed_at=LOADED,
        identity_id_number=crypto.encrypt(number),
        identity_id_number_hash=crypto.blind_index(number),
        identity_name=name,
        identity_sex=sex,
        identity_birth_date=born,
        identity_age=2026 - born.year - 1,
        identity_survival_status="1",
        residence_community=community.name,
        residence_street=community.parent.name,
        **items,
    )
    return person, number


@pytest.fixture
def batch(db):
    return Batch.objects.create(
        source="gongan_hukou",
        file_name="gongan_hukou_20260110.csv",
        sha256="screening".ljust(64, "0"),
        status=BatchStatus.LOADED,
        archived=True,
    )


GRADUATE = {"education_recent_graduate": True}


@pytest.fixture
def graduates(crypto, areas, batch):
    g = areas["grids"]
    made = {}
    rows = [
        (
            "wang",
            "王小明",
            "1",
            date(2002, 5, 1),
            "qingquan1",
            {**GRADUATE, "employment_status": "3", "assistance_tekun": True},
        ),
        (
            "zhao",
            "赵丽",
            "2",
            date(2001, 7, 1),
            "qingquan1",
            {**GRADUATE, "employment_status": "1"},
        ),
        (
            "qian",
            "钱多",
            "2",
            date(2003, 1, 9),
            "qingquan2",
            {**GRADUATE, "employment_status": "2"},
        ),
        (
            "zhou",
            "周老",
            "1",
            date(1950, 1, 1),
            "qingquan1",
            {"education_recent_graduate": False, "employment_status": "4"},
        ),
        ("li", "李四", "1", date(2002, 9, 9), "bayinsai1", {**GRADUATE, "employment_status": "3"}),
    ]
    for n, (key, name, sex, born, grid, items) in enumerate(rows, start=1):
        made[key] = make_resident(crypto, batch, n, name, sex, born, g[grid], **items)
    return made


@pytest.fixture
def more_graduates(crypto, areas, batch):
    """Add `n` unemployed graduates to 清泉社区 grid 1."""

    def _more(n: int, start: int = 100):
        for i in range(start, start + n):
            make_resident(
                crypto,
                batch,
                i,
                f"新{i}",
                "1",
                date(2002, 1, 1),
                areas["grids"]["qingquan1"],
                **GRADUATE,
                employment_status="3",
            )

    return _more
