import pytest

from conftest import make_grid

from ..actions import do_staff_grids


def roster_row(grid, name="", phone=""):
    return {"grid_code": grid.code, "worker_name": name, "worker_phone": phone}


@pytest.fixture
def staffed(areas, cast):
    """清泉 1 (the cast's grid worker's own grid, kept), 清泉 2 with a new worker from the
    roster, 清泉 3 vacant, 新南 1 staffed, 巴音赛 1 vacant."""
    g = areas["grids"]
    g["qingquan3"] = make_grid(areas["qingquan"], 3)
    do_staff_grids(
        [
            roster_row(g["qingquan1"], "吴刚", "13900000001"),
            roster_row(g["qingquan2"], "朱晨", "13900000002"),
            roster_row(g["qingquan3"]),
            roster_row(g["xinnan1"], "李娜", "13900000003"),
            roster_row(g["bayinsai1"]),
        ]
    )
    return g


def census_person(crypto, batch, row, body17, name, sex, born, grid, **facts):
    """A person known from a grid census row (its grid, name, ID), archived as a refresh
    builds them: what a task's result then changes is the archive's own doing."""
    from minsheng.residents.tests.conftest import LOADED, id_number, make_person
    from minsheng.sources.models import fact_model

    number = id_number(body17)
    person, _ = make_person(crypto, batch, number, name, sex, born, grid)
    fact_model("grid_census").objects.create(
        batch=batch,
        row=row,
        loaded_at=LOADED,
        person=person,
        link_method="exact",
        id_number_enc=crypto.encrypt(number),
        id_number_hash=crypto.blind_index(number),
        name=name,
        sex=sex,
        birth_date=born,
        grid_code=grid.code,
        **facts,
    )
    return person


@pytest.fixture
def residents(crypto, staffed):
    """Archived residents: 王芳 and 赵强 in 清泉 1, 孙丽 in 清泉 3 (vacant, covered), 钱进
    in 新南 1, 周敏 in 巴音赛 1 (vacant, uncovered: another street has nobody to cover it)."""
    from datetime import date

    from minsheng.pipeline.actions import refresh_persons
    from minsheng.residents.tests.conftest import make_batch

    batch = make_batch("grid_census", "20260301")
    g = staffed
    people = {
        "wang": census_person(
            crypto, batch, 2, "15030219600101100", "王芳", "2", date(1960, 1, 1), g["qingquan1"]
        ),
        "zhao": census_person(
            crypto, batch, 3, "15030219700202101", "赵强", "1", date(1970, 2, 2), g["qingquan1"]
        ),
        "sun": census_person(
            crypto, batch, 4, "15030219800303102", "孙丽", "2", date(1980, 3, 3), g["qingquan3"]
        ),
        "qian": census_person(
            crypto, batch, 5, "15030219900404103", "钱进", "1", date(1990, 4, 4), g["xinnan1"]
        ),
        "zhou": census_person(
            crypto, batch, 6, "15030419500505104", "周敏", "2", date(1950, 5, 5), g["bayinsai1"]
        ),
    }
    refresh_persons([p.pk for p in people.values()])
    return people


def archive_pending() -> int:
    """What the archive refresh job queued by a result does (`pipeline.jobs.refresh_archive`)."""
    from minsheng.pipeline.actions import do_refresh_archive

    return do_refresh_archive(acting_user=None)
