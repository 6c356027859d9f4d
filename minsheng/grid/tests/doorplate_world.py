"""A house with residents for the doorplate tests, on top of the `staffed` grids.

清泉 1's house (the `areas` fixture's, held by the cast's grid worker) has three residents
whose names, ID numbers and phones are known: 欧阳娜娜 (a compound surname, so the mask keeps
two characters), 陈建国, and 刘秀英 who has died. A house of 清泉 3 (vacant, covered by
清泉 2's worker 朱晨) has 马兰. Nobody else lives at either house.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from django.core.cache import cache

from conftest import make_house
from minsheng.accounts.models import User
from minsheng.geo.models import House
from minsheng.pipeline.actions import refresh_persons
from minsheng.residents.models import Resident
from minsheng.residents.tests.conftest import id_number, make_batch

from ..actions import worker_username
from .conftest import census_person


@dataclass(frozen=True)
class Someone:
    key: str
    name: str
    sex: str
    born: date
    body17: str
    phone: str

    @property
    def id_number(self) -> str:
        return id_number(self.body17)


PEOPLE = (
    Someone("ouyang", "欧阳娜娜", "2", date(1958, 6, 1), "15030219580601222", "13912345678"),
    Someone("chen", "陈建国", "1", date(1975, 9, 9), "15030219750909313", "13698765432"),
    Someone("liu", "刘秀英", "2", date(1935, 2, 2), "15030219350202424", "13500001111"),
)
COVERED = Someone("ma", "马兰", "2", date(1966, 7, 7), "15030219660707535", "13355556666")
EVERYONE = (*PEOPLE, COVERED)


def worker_of(grid) -> User:
    return User.objects.get(username=worker_username(grid.code))


@pytest.fixture
def house_world(crypto, staffed, areas):
    """The two houses, their residents (archived) and the workers who hold them."""
    cache.clear()  # the doorplate page's rate-limit counters
    house = areas["houses"]["qingquan1"]
    covered_house = make_house(staffed["qingquan3"], 1)
    batch = make_batch("grid_census", "20260302")
    persons = {}
    for row, (someone, where, grid) in enumerate(
        [
            *((p, house, staffed["qingquan1"]) for p in PEOPLE),
            (COVERED, covered_house, staffed["qingquan3"]),
        ],
        start=2,
    ):
        persons[someone.key] = census_person(
            crypto,
            batch,
            row,
            someone.body17,
            someone.name,
            someone.sex,
            someone.born,
            grid,
            doorplate_code=where.code,
            address=where.address,
            phone_enc=crypto.encrypt(someone.phone),
            phone_hash=crypto.blind_index(someone.phone),
        )
    refresh_persons([p.pk for p in persons.values()])
    Resident.objects.filter(pk=persons["liu"].pk).update(identity_survival_status="2")
    # the roster's accounts, as after the worker chose a password
    User.objects.filter(username__startswith="wg").update(must_change_password=False)
    yield {
        "house": House.objects.get(pk=house.pk),
        "covered_house": covered_house,
        "persons": persons,
        "worker": User.objects.get(username="grid_worker"),
        "cover": worker_of(staffed["qingquan2"]),
        "neighbour": worker_of(staffed["qingquan2"]),
        "other_community": worker_of(staffed["xinnan1"]),
    }
    cache.clear()  # leave no counter to the tests that follow
