"""A person with several businesses: the archive row shows the latest (business.*), the set
keeps every one with the fact row it comes from, and the profile lists them all with their
department, file and row."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from minsheng.residents.models import Holding, HoldingKind, Resident
from minsheng.residents.tests.test_conflicts_detection import World

COMPANY = "91150302MA0N7TQ25E"
SHOP = "92150302MA0R8W4K6P"


@pytest.fixture
def world(crypto, areas):
    return World(crypto, areas)


@pytest.fixture
def owner(world):
    """王丽华 of 清泉社区: legal representative of a company since 2019, and owner of a
    shop opened in 2024, both in business."""
    owner = world.person("15030219780912262", "王丽华", date(1978, 9, 12))
    for uscc, name, kind, since in (
        (COMPANY, "乌海市丽华商贸有限公司", "有限责任公司", date(2019, 4, 2)),
        (SHOP, "海勃湾区王记五金店", "个体工商户", date(2024, 6, 18)),
    ):
        world.fact(
            "scjg_business",
            owner,
            day="20261108",
            uscc=uscc,
            entity_name=name,
            entity_type=kind,
            name=owner.name,
            established_date=since,
            status="存续",
            status_code="1",
            employees=4 if uscc == COMPANY else 1,
        )
    world.refresh(owner)
    return owner


def businesses(person) -> list[Holding]:
    return list(
        Holding.objects.filter(person=person, kind=HoldingKind.BUSINESS).order_by("start_date")
    )


@pytest.mark.django_db
def test_it_keeps_both_businesses_in_the_set_and_the_latest_on_the_row(world, owner):
    # given the refreshed archive (fixture)
    # then the row shows the shop, the latest
    assert Resident.objects.get(pk=owner.pk).business_uscc == SHOP
    # and the set holds both, each with its kind, status, staff and fact row
    company, shop = businesses(owner)
    assert (company.key, company.category, company.status, company.employees) == (
        COMPANY,
        "1",
        "1",
        4,
    )
    assert (shop.key, shop.category, shop.start_date) == (SHOP, "2", date(2024, 6, 18))
    assert {(e.source, e.batch.file_name) for e in (company, shop)} == {
        ("scjg_business", "scjg_business_20261108.csv")
    }
    assert company.row != shop.row


@pytest.mark.django_db
def test_it_replaces_the_set_when_the_person_is_refreshed_again(world, owner):
    # given a later export in which the company is cancelled
    world.fact(
        "scjg_business",
        owner,
        day="20261201",
        uscc=COMPANY,
        entity_name="乌海市丽华商贸有限公司",
        entity_type="有限责任公司",
        name=owner.name,
        established_date=date(2019, 4, 2),
        status="注销",
        status_code="4",
    )
    # when the archive is refreshed again
    world.refresh(owner)
    # then the company is still one entry, now cancelled, from the later file
    company, shop = businesses(owner)
    assert (company.status, company.batch.file_name) == ("4", "scjg_business_20261201.csv")
    assert shop.status == "1"


@pytest.mark.django_db
def test_it_lists_both_businesses_on_the_profile_with_file_and_row(cast, login, owner):
    # given the clerk of 清泉社区
    client = login(cast["clerk"])
    # when they open 王丽华's archive
    response = client.get(reverse("residents:profile", args=[owner.pk]))
    # then the business category lists both, with department, file and row, the shop bold
    group = next(g for g in response.context["groups"] if g["category"].code == "business")
    [block] = group["sets"]
    rows = {r["cells"][1]: r for r in block["rows"]}
    assert set(rows) == {COMPANY, SHOP}
    assert rows[COMPANY]["cells"][:5] == [
        "乌海市丽华商贸有限公司",
        COMPANY,
        "企业",
        "存续",
        "2019-04-02",
    ]
    assert rows[SHOP]["cells"][2] == "个体工商户"
    assert rows[SHOP]["shown"] and not rows[COMPANY]["shown"]
    for uscc in (COMPANY, SHOP):
        assert rows[uscc]["source"] == "市场监督管理局 市场主体登记信息"
        assert rows[uscc]["file_name"] == "scjg_business_20261108.csv"
    body = response.content.decode()
    assert body.count('data-testid="set-entry"') >= 2
    assert f"scjg_business_20261108.csv:{rows[COMPANY]['row']}" in body
