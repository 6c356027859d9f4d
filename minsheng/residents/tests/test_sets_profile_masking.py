"""The profile's lists of benefits, assistance and disabilities are masked like the archive
items they stand for: a pension's type shows, a 低保 or a disability is "***" until the
user reveals the person's values for a stated reason."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from minsheng.residents.tests.test_conflicts_detection import World


@pytest.fixture
def world(crypto, areas):
    return World(crypto, areas)


@pytest.fixture
def zhao(world):
    """赵桂英 of 清泉社区: an enterprise pension, 低保, and a disability certificate."""
    zhao = world.person("15030219580716242", "赵桂英", date(1958, 7, 16))
    world.fact(
        "rs_pension",
        zhao,
        day="20261109",
        name=zhao.name,
        pension_type="企业职工基本养老金",
        pension_type_code="1",
        pension_start=date(2013, 8, 1),
        payment_status="正常发放",
        payment_status_code="1",
    )
    world.fact(
        "mz_assistance",
        zhao,
        day="20261103",
        name=zhao.name,
        assistance_type="低保",
        assistance_type_code="dibao",
        approval_date=date(2022, 6, 28),
        assistance_status="在保",
        assistance_status_code="1",
    )
    world.fact(
        "cl_disability",
        zhao,
        day="20261104",
        name=zhao.name,
        disability_type="肢体",
        disability_type_code="4",
        grade="二级",
        grade_code="2",
        issue_date=date(2016, 3, 9),
    )
    world.refresh(zhao)
    return zhao


def blocks(response) -> dict[str, list[list]]:
    return {
        g["category"].code: [r["cells"] for b in g["sets"] for r in b["rows"]]
        for g in response.context["groups"]
        if g["sets"]
    }


@pytest.mark.django_db
def test_it_masks_assistance_and_disability_entries_until_revealed(cast, login, zhao):
    # given the clerk of 清泉社区
    client = login(cast["clerk"])
    url = reverse("residents:profile", args=[zhao.pk])
    # when they open the archive
    shown = blocks(client.get(url))
    # then the pension reads in full, the 低保 and the disability do not
    assert shown["benefits"] == [["企业职工基本养老金", "正常发放", "2013-08-01", None]]
    assert shown["assistance"] == [["***", "***", "***", None]]
    assert shown["disability"] == [["***", "***", "***"]]
    # when they reveal her values for a reason
    client.post(reverse("residents:reveal", args=[zhao.pk]), {"reason": "低保年度复核 2026-031"})
    shown = blocks(client.get(url))
    # then every entry reads in full
    assert shown["assistance"] == [["低保对象", "在保", "2022-06-28", None]]
    assert shown["disability"] == [["肢体残疾", "二级", "2016-03-09"]]
