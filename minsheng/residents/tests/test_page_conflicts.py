"""The conflicts list (数据冲突, /archive/conflicts/): the data conflicts of the user's area,
open ones by default, counted and filtered by kind, paged, each linking to the profile;
masked, audited, and refused to the roles that keep no such worklist."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from minsheng.audit.models import AuditEvent
from minsheng.residents.models import Conflict, ConflictKind, ConflictStatus
from minsheng.residents.tests.test_conflicts_detection import World

URL = reverse("residents:conflicts")


@pytest.fixture
def world(crypto, areas):
    return World(crypto, areas)


@pytest.fixture
def dead(world):
    """何振江 of 清泉社区 with two death dates and a pension paid after the death; 李四 of
    巴音赛街道 with two death dates."""
    he = world.he()
    world.certificate(he, "2026-03-13 22:40")
    world.death_report(he, "2026-03-14", "2026-03-20")
    world.fact("rs_pension", he, name=he.name, last_paid_month=date(2026, 6, 1))
    li = world.person("15030419700505301", "李四", date(1970, 5, 5), grid="bayinsai1")
    world.certificate(li, "2026-05-01 10:00")
    world.death_report(li, "2026-05-02", "2026-05-08")
    world.refresh(he, li)
    return {"he": he, "li": li}


def profile_link(person) -> str:
    return reverse("residents:profile", args=[person.pk])


def listed(response) -> list[int]:
    return [r["person_id"] for r in response.context["rows"]]


@pytest.mark.django_db
def test_it_lists_the_conflicts_of_the_clerks_area_masked(cast, dead, login):
    # given the clerk of 清泉社区
    client = login(cast["clerk"])
    # when they open the conflicts list
    response = client.get(URL)
    # then 何振江's two conflicts are listed, masked, linking to his archive; 李四's are not
    assert response.status_code == 200
    assert listed(response) == [dead["he"].pk, dead["he"].pk]
    body = response.content.decode()
    assert profile_link(dead["he"]) in body and profile_link(dead["li"]) not in body
    assert "何*" in body and "何振江" not in body
    assert dead["he"].number not in body and f"{dead['he'].number[:6]}********" in body
    # with the values and departments found
    assert "2026-03-14" in body and "卫生健康委员会" in body


@pytest.mark.django_db
def test_it_counts_and_filters_by_kind(cast, dead, login):
    # given the street clerk of 新华街道
    client = login(cast["street_clerk"])
    # when they filter by activity after death
    response = client.get(URL, {"kind": ConflictKind.ACTIVITY_AFTER_DEATH})
    # then one conflict is listed, and the counts per kind cover their area
    [row] = response.context["rows"]
    assert row["conflict"].kind == ConflictKind.ACTIVITY_AFTER_DEATH
    counts = {k["value"]: k["count"] for k in response.context["kinds"]}
    assert counts == {ConflictKind.VALUES_DIFFER: 1, ConflictKind.ACTIVITY_AFTER_DEATH: 1}
    assert response.context["total"] == 2
    # and an unknown kind lists every kind
    assert len(client.get(URL, {"kind": "nope"}).context["rows"]) == 2


@pytest.mark.django_db
def test_it_shows_the_outsider_only_their_own_area(cast, dead, login):
    # given the street clerk of 巴音赛街道
    client = login(cast["outsider"])
    # when they open the list
    response = client.get(URL)
    # then only 李四's conflict is there
    assert listed(response) == [dead["li"].pk]
    assert profile_link(dead["he"]) not in response.content.decode()


@pytest.mark.django_db
def test_it_shows_the_read_only_user_their_district(cast, dead, login):
    # given the read-only user of 海勃湾区
    client = login(cast["viewer"])
    # when they open the list
    response = client.get(URL)
    # then 何振江's conflicts are listed
    assert response.status_code == 200
    assert set(listed(response)) == {dead["he"].pk}


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["grid_worker", "supervision", "sys_admin"])
def test_it_refuses_roles_without_a_conflicts_list(cast, dead, login, actor):
    # given a grid worker, the supervision centre or an administrator
    client = login(cast[actor])
    # when they open the list
    response = client.get(URL)
    # then they are refused, and the refusal is audited
    assert response.status_code == 403
    assert AuditEvent.objects.filter(
        event_type="denied", object_type="conflict_list", actor=cast[actor]
    ).exists()


@pytest.mark.django_db
def test_it_lists_open_conflicts_unless_resolved_ones_are_asked_for(cast, dead, login):
    # given one of 何振江's conflicts resolved
    Conflict.objects.filter(resident_id=dead["he"].pk, kind=ConflictKind.VALUES_DIFFER).update(
        status=ConflictStatus.RESOLVED, note="以卫健为准"
    )
    client = login(cast["city_staff"])
    # when city staff open the list, then the resolved ones
    open_ = client.get(URL)
    resolved = client.get(URL, {"status": ConflictStatus.RESOLVED})
    # then each shows its own
    assert [
        r["conflict"].kind for r in open_.context["rows"] if r["person_id"] == dead["he"].pk
    ] == [ConflictKind.ACTIVITY_AFTER_DEATH]
    assert [r["person_id"] for r in resolved.context["rows"]] == [dead["he"].pk]


@pytest.mark.django_db
def test_it_audits_the_persons_shown(cast, dead, login):
    # given the clerk
    client = login(cast["clerk"])
    # when they open the list
    client.get(URL)
    # then one view event names the persons shown
    event = AuditEvent.objects.get(event_type="view", object_type="conflict_list")
    assert event.details["persons"] == [dead["he"].pk, dead["he"].pk]
    assert event.actor == cast["clerk"]


@pytest.mark.django_db
def test_it_pages_with_a_fixed_number_of_queries(cast, world, login):
    # given 3 persons with a conflict, measured, then 25 more
    def queries(client, **params) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(URL, params)
        assert response.status_code == 200
        return len(captured)

    from minsheng.residents import archive
    from minsheng.sources.models import Person

    for i in range(3):
        p = world.person(f"150302196001{i + 1:02d}101", f"赵{i}", date(1960, 1, i + 1))
        world.certificate(p, "2026-03-13 22:40")
        world.death_report(p, "2026-03-14", "2026-03-20")
    archive.refresh(list(Person.objects.values_list("pk", flat=True)), as_of=date(2026, 11, 13))
    client = login(cast["clerk"])
    client.get(URL)  # the session's first request loads what later ones have cached
    few = queries(client)
    for i in range(3, 28):
        p = world.person(f"150302196002{i:02d}101", f"钱{i}", date(1960, 2, 1))
        world.certificate(p, "2026-03-13 22:40")
        world.death_report(p, "2026-03-14", "2026-03-20")
    archive.refresh(list(Person.objects.values_list("pk", flat=True)), as_of=date(2026, 11, 13))
    # when the clerk opens the first and the second page
    first = queries(client)
    second_page = client.get(URL, {"page": 2})
    # then the number of queries does not grow with the list: the session and the user,
    # the counts per kind (which are the total), the page's rows with their archive rows,
    # the audit event (savepoint, chain head, insert, update, release) and the session's
    # idle-timeout touch (savepoint, update, release)
    assert first == few
    assert first <= 12
    assert len(second_page.context["rows"]) == 28 - 20
    assert second_page.context["page"].paginator.count == 28
