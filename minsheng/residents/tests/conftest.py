"""Archive fixtures for the resident pages: a key file, a few batches, persons with their
archive rows and the fact rows behind them.

People: 张三丰 lives in 清泉社区 (the clerk's community) and has a phone and an address that
other departments hold in older versions; 张伟 lives there too; 李四 lives in 巴音赛街道,
the outsider's street.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from minsheng.lib.idcard import check_char
from minsheng.residents.models import Provenance, Resident
from minsheng.sources.models import Batch, BatchStatus, Person, fact_model


def id_number(body17: str) -> str:
    return body17 + check_char(body17)


ZHANG_ID = id_number("15030219900101123")
ZHANG_WEI_ID = id_number("15030219851111202")
LI_ID = id_number("15030419700505301")
PHONE_NOW = "13812345678"
PHONE_OLD = "13900001111"
ADDRESS_NOW = "海勃湾区新华街道清泉社区5号楼2单元301"
ADDRESS_OLD = "海勃湾区新华街道清泉社区9号楼1单元102"
LOADED = timezone.make_aware(datetime(2026, 3, 5, 9, 0))


def make_batch(source: str, day: str) -> Batch:
    return Batch.objects.create(
        source=source,
        file_name=f"{source}_{day}.csv",
        sha256=f"{source}{day}".ljust(64, "0")[:64],
        status=BatchStatus.LOADED,
        archived=True,
    )


def make_person(crypto, batch: Batch, number: str, name: str, sex: str, born: date, grid):
    person = Person.objects.create(
        id_hash=crypto.blind_index(number),
        id_enc=crypto.encrypt(number),
        name=name,
        sex=sex,
        birth_date=born,
        district_code=grid.district_code,
        first_source=batch.source,
        first_batch=batch,
        first_row=1,
        created_at=LOADED,
    )
    community = grid.parent
    resident = Resident.objects.create(
        person=person,
        district_code=grid.district_code,
        town_code=grid.town_code,
        community_code=grid.community_code,
        grid_code=grid.code,
        as_of=date(2026, 3, 1),
        refreshed_at=LOADED,
        identity_id_number=crypto.encrypt(number),
        identity_id_number_hash=crypto.blind_index(number),
        identity_name=name,
        identity_sex=sex,
        identity_birth_date=born,
        identity_age=2026 - born.year,
        identity_survival_status="1",
        residence_community=community.name,
        residence_street=community.parent.name,
        residence_district=grid.district_code,
        residence_grid=grid.code,
    )
    Provenance.objects.create(
        person=person,
        **{
            f"identity_{item}_{suffix}": value
            for item in ("id_number", "name", "sex")
            for suffix, value in (("src", "gongan_hukou"), ("at", date(2026, 1, 10)))
        },
    )
    return person, resident


@pytest.fixture
def batches(db):
    return {
        "gongan_hukou": make_batch("gongan_hukou", "20260110"),
        "grid_census": make_batch("grid_census", "20260301"),
        "rs_employment": make_batch("rs_employment", "20250601"),
        "rs_pension": make_batch("rs_pension", "20260201"),
    }


@pytest.fixture
def people(crypto, areas, batches):
    """Three residents: two in 清泉社区, one in 巴音赛; 张三丰 with facts from four sources."""
    hukou, census, employment = (
        batches["gongan_hukou"],
        batches["grid_census"],
        batches["rs_employment"],
    )
    grids = areas["grids"]
    zhang, zhang_r = make_person(
        crypto, hukou, ZHANG_ID, "张三丰", "1", date(1990, 1, 1), grids["qingquan1"]
    )
    zhang_r.identity_phone = crypto.encrypt(PHONE_NOW)
    zhang_r.identity_phone_hash = crypto.blind_index(PHONE_NOW)
    zhang_r.residence_address = ADDRESS_NOW
    zhang_r.employment_employer = "乌海市清泉物业有限公司"
    zhang_r.employment_form = "1"
    zhang_r.benefits_pension_amount = Decimal("3120.50")
    zhang_r.save()
    Provenance.objects.filter(pk=zhang.pk).update(
        identity_phone_src="grid_census",
        identity_phone_at=date(2026, 3, 1),
        residence_address_src="grid_census",
        residence_address_at=date(2026, 3, 1),
        employment_employer_src="rs_employment",
        employment_employer_at=date(2025, 6, 1),
        employment_form_src="rs_employment",
        employment_form_at=date(2025, 6, 1),
        benefits_pension_amount_src="rs_pension",
        benefits_pension_amount_at=date(2026, 2, 1),
    )
    wei, _ = make_person(
        crypto, hukou, ZHANG_WEI_ID, "张伟", "2", date(1985, 11, 11), grids["qingquan2"]
    )
    li, _ = make_person(crypto, hukou, LI_ID, "李四", "1", date(1970, 5, 5), grids["bayinsai1"])

    def fact(source, batch, row, person, number, link="exact", weight=None, **values):
        return fact_model(source).objects.create(
            batch=batch,
            row=row,
            loaded_at=LOADED,
            person=person,
            link_method=link,
            match_weight=weight,
            id_number_enc=crypto.encrypt(number),
            id_number_hash=crypto.blind_index(number),
            **values,
        )

    fact("gongan_hukou", hukou, 2, zhang, ZHANG_ID, name="张三丰", sex="1")
    fact("gongan_hukou", hukou, 3, wei, ZHANG_WEI_ID, name="张伟", sex="2")
    fact("gongan_hukou", hukou, 4, li, LI_ID, name="李四", sex="1")
    fact(
        "grid_census",
        census,
        7,
        zhang,
        ZHANG_ID,
        name="张三丰",
        sex="1",
        phone_enc=crypto.encrypt(PHONE_NOW),
        phone_hash=crypto.blind_index(PHONE_NOW),
        address=ADDRESS_NOW,
    )
    fact(
        "rs_employment",
        employment,
        12,
        zhang,
        ZHANG_ID,
        link="probabilistic",
        weight=14.25,
        name="张三丰",
        phone_enc=crypto.encrypt(PHONE_OLD),
        phone_hash=crypto.blind_index(PHONE_OLD),
        address=ADDRESS_OLD,
        employer="乌海市清泉物业有限公司",
        employment_form="单位就业",
        employment_form_code="1",
    )
    fact(
        "rs_pension",
        batches["rs_pension"],
        3,
        zhang,
        ZHANG_ID,
        monthly_amount=Decimal("3120.50"),
    )
    return {"zhang": zhang, "wei": wei, "li": li}
