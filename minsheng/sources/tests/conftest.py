"""Fixtures for the import pipeline's staff pages: a key file, a var folder of the test's
own, batches with known figures and quarantined rows, and review items in two areas.

Review items: one for 清泉社区 (the clerk's community; a 劳动就业 row 张三风 against the
person 张三丰) and one for 巴音赛街道 (the outsider's street; 李思 against 李四).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.utils import timezone

from minsheng.lib.idcard import check_char
from minsheng.residents.models import Resident
from minsheng.sources.models import (
    Batch,
    BatchStatus,
    LinkReview,
    Person,
    QuarantinedRow,
    ReviewKind,
    UnresolvedRecord,
    fact_model,
)


def id_number(body17: str) -> str:
    return body17 + check_char(body17)


ZHANG_ID = id_number("15030219900101123")
LI_ID = id_number("15030419700505301")
BAD_ID = "15030219900101123Y"
LOADED = timezone.make_aware(datetime(2026, 3, 5, 9, 0))


@pytest.fixture
def var_dir(tmp_path, settings):
    # Uploads and progress files of a test stay in the test's own folder.
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    return settings.VAR_DIR


def make_batch(source: str, day: str, **figures) -> Batch:
    values = {
        "status": BatchStatus.LOADED,
        "archived": True,
        "started_at": LOADED,
        "finished_at": LOADED,
        **figures,
    }
    return Batch.objects.create(
        source=source,
        file_name=f"{source}_{day}.csv",
        sha256=f"{source}{day}".ljust(64, "0")[:64],
        **values,
    )


@pytest.fixture
def hukou_batch(crypto):
    """A 公安 batch of 10 rows: 7 accepted, 3 quarantined (an ID, a date, a whole line)."""
    batch = make_batch(
        "gongan_hukou",
        "20260110",
        rows_read=10,
        rows_accepted=7,
        rows_quarantined=3,
        reasons={"no_identifying_data": 1, "bad_date": 1, "malformed_row": 1},
        link_methods={"exact": 4, "repaired": 1, "new": 1, "review": 1},
        conflicts={"name": 1, "sex": 0, "birth_date": 0, "id_conflict": 0},
        stale_rows=2,
        persons_created=1,
        timings={"parse": 0.12, "link": 0.3, "load": 0.05},
    )
    rows = [
        (3, "id_number", BAD_ID, "no_identifying_data"),
        (5, "birth_date", "1990-13-45", "bad_date"),
        (8, "", f"{ZHANG_ID},张三丰,男", "malformed_row"),
    ]
    for row, column, raw, code in rows:
        QuarantinedRow.objects.create(
            batch=batch,
            row=row,
            column=column,
            raw_value_enc=crypto.encrypt(raw),
            reason_code=code,
            # The stored sentence quotes the raw value, as the parser writes it.
            reason=f"{column}: {code} ({raw})",
        )
    return batch


@pytest.fixture
def quality_batches(hukou_batch):
    """Besides the 公安 batch: two 退役军人 batches, the older one failed."""
    failed = make_batch(
        "va_veterans", "20260101", status=BatchStatus.FAILED, error="missing column 姓名"
    )
    latest = make_batch(
        "va_veterans",
        "20260201",
        rows_read=4,
        rows_accepted=4,
        link_methods={"exact": 3, "probabilistic": 1},
    )
    return {"hukou": hukou_batch, "va_failed": failed, "va_latest": latest}


def make_person(crypto, batch: Batch, number: str, name: str, sex: str, born: date) -> Person:
    return Person.objects.create(
        id_hash=crypto.blind_index(number),
        id_enc=crypto.encrypt(number),
        name=name,
        sex=sex,
        birth_date=born,
        address="海勃湾区新华街道清泉社区5号楼2单元301",
        first_source=batch.source,
        first_batch=batch,
        first_row=1,
        created_at=LOADED,
    )


def make_review(crypto, batch: Batch, row: int, person: Person, grid, **values) -> LinkReview:
    number = values.pop("number")
    fact = fact_model(batch.source).objects.create(
        batch=batch,
        row=row,
        loaded_at=LOADED,
        person=None,
        link_method="review",
        match_weight=8.5,
        id_number_enc=crypto.encrypt(number),
        id_number_hash=crypto.blind_index(number),
        **values,
    )
    # the review is seen in the candidate's area, which their archive row holds
    Resident.objects.get_or_create(
        person=person,
        defaults={
            "district_code": grid.district_code,
            "town_code": grid.town_code,
            "community_code": grid.community_code,
            "grid_code": grid.code,
            "as_of": LOADED.date(),
            "refreshed_at": LOADED,
        },
    )
    return LinkReview.objects.create(
        batch=batch,
        source=batch.source,
        row=row,
        fact_id=fact.pk,
        kind=ReviewKind.PROBABLE,
        candidate=person,
        match_weight=8.5,
    )


@pytest.fixture
def reviews(crypto, areas):
    hukou = make_batch("gongan_hukou", "20260110", rows_read=2, rows_accepted=2)
    employment = make_batch("rs_employment", "20260301", rows_read=2, rows_accepted=2)
    zhang = make_person(crypto, hukou, ZHANG_ID, "张三丰", "1", date(1990, 1, 1))
    li = make_person(crypto, hukou, LI_ID, "李四", "1", date(1970, 5, 5))
    grids = areas["grids"]
    qingquan = make_review(
        crypto,
        employment,
        4,
        zhang,
        grids["qingquan1"],
        number=ZHANG_ID,
        name="张三风",
        sex="1",
        birth_date=date(1990, 1, 1),
    )
    bayinsai = make_review(
        crypto,
        employment,
        9,
        li,
        grids["bayinsai1"],
        number=LI_ID,
        name="李思",
        sex="1",
        birth_date=date(1970, 5, 5),
    )
    return {"qingquan": qingquan, "bayinsai": bayinsai, "zhang": zhang, "li": li}


def make_unresolved(crypto, batch: Batch, row: int, area, **values) -> UnresolvedRecord:
    """An unresolved record of one 劳动就业 row without an ID number."""
    fact = fact_model(batch.source).objects.create(
        batch=batch,
        row=row,
        loaded_at=LOADED,
        person=None,
        link_method="unresolved",
        id_number_error="empty",
        **values,
    )
    return UnresolvedRecord.objects.create(
        batch=batch, source=batch.source, group_key=row, rows=[[row, fact.pk]], area=area
    )


@pytest.fixture
def unresolved(crypto, areas, reviews):
    """Two records: 张三丰 (no ID) in 清泉社区, whose archive has a 张三丰, and 王五 in the
    outsider's 巴音赛 community; the persons of `reviews` stand as candidates."""
    batch = make_batch("rs_employment", "20260401", rows_read=2, rows_accepted=2)
    qingquan = make_unresolved(
        crypto,
        batch,
        3,
        areas["qingquan"],
        name="张三丰",
        sex="1",
        birth_date=date(1990, 1, 1),
        address="海勃湾区新华街道清泉社区5号楼2单元301",
    )
    bayinsai = make_unresolved(crypto, batch, 7, areas["bayinsai_community"], name="王五", sex="1")
    return {"qingquan": qingquan, "bayinsai": bayinsai, "zhang": reviews["zhang"]}
