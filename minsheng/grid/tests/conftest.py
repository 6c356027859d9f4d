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
