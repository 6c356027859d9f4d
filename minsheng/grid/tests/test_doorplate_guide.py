"""The service guide of the doorplate's public page (`doorplate/guide.toml`)."""

import tomllib

from minsheng.benefits.policies import HERE as BENEFITS

from ..doorplate.guide import guide


def test_it_explains_every_policy_of_the_catalogue_by_its_name():
    with open(BENEFITS / "policies.toml", "rb") as f:
        catalogue = {p["code"]: p["name_zh"] for p in tomllib.load(f)["policies"]}

    explained = {p.code: p.name for p in guide().policies}

    assert explained == catalogue


def test_it_names_a_communitys_station_from_its_areas():
    station = guide().station(
        city="乌海市", district="海勃湾区", town="新华街道", community="清泉社区"
    )

    assert station.name == "清泉社区服务站"
    assert station.address.startswith("乌海市海勃湾区新华街道清泉社区党群服务中心")
    assert station.hours and station.hotline == "12333"


def test_it_groups_the_services_in_the_order_of_the_file():
    groups = guide().service_groups()

    assert [g for g, _ in groups] == ["社会保险", "社会保障卡", "就业创业"]
    assert sum(len(s) for _, s in groups) == len(guide().services) >= 10
