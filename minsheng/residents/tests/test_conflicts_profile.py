"""The profile shows a person's open data conflicts at the top: the value the archive shows,
each fact found with its department, file and row, masked like the rest of the page."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from minsheng.residents.models import Conflict, ConflictKind, ConflictStatus
from minsheng.residents.tests.test_conflicts_detection import World


@pytest.fixture
def world(crypto, areas):
    return World(crypto, areas)


@pytest.fixture
def he(world):
    """何振江: 卫健 and two 公安 reports disagree, and a card was issued after his death."""
    he = world.he()
    world.death_report(he, "2026-03-14", "2026-03-20")
    world.death_report(he, "2026-03-17", "2026-04-02")
    world.certificate(he, "2026-03-13 22:40")
    world.fact("sbk_card", he, name=he.name, issue_date=date(2026, 4, 2))
    world.refresh(he)
    return he


def profile(client, person):
    return client.get(reverse("residents:profile", args=[person.pk]))


def section(response) -> str:
    body = response.content.decode()
    start = body.index('data-testid="open-conflicts"')
    return body[
        start : body.index(
            '<div class="card mb-3"><div class="card-body py-2" data-testid="reveal">'
        )
    ]


@pytest.mark.django_db
def test_it_shows_the_open_conflicts_with_sources_files_and_rows(cast, he, login):
    # given the clerk of 清泉社区
    client = login(cast["clerk"])
    # when they open 何振江's archive
    response = profile(client, he)
    # then both conflicts are at the top, with the archive's value and every fact found
    [values, activity] = response.context["open_conflicts"]
    assert values["conflict"].kind == ConflictKind.VALUES_DIFFER
    assert activity["conflict"].kind == ConflictKind.ACTIVITY_AFTER_DEATH
    assert values["shown"] == "2026-03-13"
    assert [(f["value"], f["source"], f["row"]) for f in values["facts"]] == [
        ("2026-03-13", "卫生健康委员会 居民死亡医学证明", 2),
        ("2026-03-17", "公安局 死亡注销人员", 3),
        ("2026-03-14", "公安局 死亡注销人员", 2),
    ]
    html = section(response)
    for text in (
        "2026-03-13",
        "2026-03-17",
        "2026-03-14",
        "卫生健康委员会 居民死亡医学证明",
        "gongan_death_20260401.csv:3",
        "wj_death_20260401.csv:2",
        "2026-04-02",
        "社会保障卡",
    ):
        assert text in html, text


@pytest.mark.django_db
def test_it_hides_resolved_conflicts(cast, he, login):
    # given the activity conflict resolved
    Conflict.objects.filter(kind=ConflictKind.ACTIVITY_AFTER_DEATH).update(
        status=ConflictStatus.RESOLVED,
        note="补卡系家属代办，已核实",
        resolved_by=cast["city_staff"],
        resolved_at=timezone.now(),
    )
    client = login(cast["street_clerk"])
    # when the profile is opened
    response = profile(client, he)
    # then only the open one is shown
    assert [c["conflict"].kind for c in response.context["open_conflicts"]] == [
        ConflictKind.VALUES_DIFFER
    ]


@pytest.mark.django_db
def test_it_shows_no_conflict_section_without_conflicts(cast, world, login):
    # given a person whose reports agree
    wang = world.person("15030219500101101", "王五", date(1950, 1, 1))
    world.certificate(wang, "2026-03-13 10:00")
    world.death_report(wang, "2026-03-13", "2026-03-20")
    world.refresh(wang)
    # when the read-only user opens the profile
    response = profile(login(cast["viewer"]), wang)
    # then there is no conflict section
    assert response.status_code == 200
    assert response.context["open_conflicts"] == []
    assert 'data-testid="open-conflicts"' not in response.content.decode()


@pytest.mark.django_db
def test_it_masks_sensitive_values_in_a_conflict_until_revealed(cast, he, login):
    # given a conflict on a sensitive item (two phone numbers)
    Conflict.objects.create(
        resident_id=he.pk,
        item="identity.phone",
        kind=ConflictKind.VALUES_DIFFER,
        facts=[
            {
                "role": "value",
                "source": "grid_census",
                "batch": 1,
                "file": "grid_census_20260301.csv",
                "row": 3,
                "value": "13812345678",
                "reported": None,
                "what": None,
                "item": "identity.phone",
            },
            {
                "role": "value",
                "source": "rs_employment",
                "batch": 2,
                "file": "rs_employment_20250601.csv",
                "row": 9,
                "value": "13900001111",
                "reported": None,
                "what": None,
                "item": "identity.phone",
            },
        ],
        shown="13812345678",
        detected_at=timezone.now(),
    )
    client = login(cast["clerk"])
    # when the clerk opens the profile, then reveals it with a reason
    masked = section(profile(client, he))
    client.post(reverse("residents:reveal", args=[he.pk]), {"reason": "核对联系电话变更"})
    revealed = section(profile(client, he))
    # then the numbers are masked first, in full after the reveal
    assert "13812345678" not in masked and "138****5678" in masked
    assert "13900001111" not in masked and "139****1111" in masked
    assert "13812345678" in revealed and "13900001111" in revealed


@pytest.mark.django_db
def test_it_shows_the_outsider_nothing(cast, he, login):
    # given the street clerk of 巴音赛街道
    client = login(cast["outsider"])
    # when they ask for 何振江's archive
    response = profile(client, he)
    # then it does not exist for them
    assert response.status_code == 404
