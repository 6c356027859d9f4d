"""Saving a target list as a snapshot, and the scoped snapshot pages."""

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent, EventType
from minsheng.screening import catalog
from minsheng.screening.actions import do_save_target_list
from minsheng.screening.models import TargetList, TargetListMember

pytestmark = pytest.mark.django_db

SAVE = reverse("screening:save", args=["graduates", "graduates_unemployed"])


def test_it_saves_the_list_with_its_members_and_version(cast, login, graduates, areas):
    # given a clerk of 清泉社区
    client = login(cast["clerk"])

    # when they save the list of graduates not in work
    response = client.post(SAVE, {"area": areas["qingquan"].code})

    # then one snapshot holds the two members, with the rule's version, and it is audited
    saved = TargetList.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("screening:snapshot", args=[saved.pk])
    rule = catalog.theme("graduates").list("graduates_unemployed")
    assert saved.rule_version == rule.version
    assert saved.rule_text == rule.rule
    assert saved.size == 2
    assert saved.area == areas["qingquan"]
    members = TargetListMember.objects.filter(target_list=saved)
    assert {m.person_id for m in members} == {graduates["wang"][0].pk, graduates["qian"][0].pk}
    assert all(held for m in members for _text, held in m.explanation)
    event = AuditEvent.objects.get(event_type=EventType.CHANGE, object_type="target_list")
    assert event.details["size"] == 2
    assert event.details["version"] == rule.version


def test_it_saves_only_the_acting_users_scope(cast, graduates, areas):
    # given the graduates theme
    theme = catalog.theme("graduates")
    rule = theme.list("graduates_unemployed")

    # when a grid worker saves the list for their grid
    saved = do_save_target_list(
        theme, rule, area=areas["grids"]["qingquan1"], acting_user=cast["grid_worker"]
    )

    # then only their grid's graduate is a member
    assert list(saved.members.values_list("person_id", flat=True)) == [graduates["wang"][0].pk]


def test_it_shows_a_snapshot_to_its_area_and_not_to_others(cast, login, graduates, areas):
    # given a snapshot of 清泉社区
    theme = catalog.theme("graduates")
    saved = do_save_target_list(
        theme,
        theme.list("graduates_unemployed"),
        area=areas["qingquan"],
        acting_user=cast["clerk"],
    )
    url = reverse("screening:snapshot", args=[saved.pk])

    # when the street clerk and the outsider open it
    inside = login(cast["street_clerk"]).get(url)
    listed = login(cast["street_clerk"]).get(reverse("screening:snapshots"))

    # then the street clerk sees it (masked, audited) ...
    assert inside.status_code == 200
    html = inside.content.decode()
    assert "王**" in html and "王小明" not in html
    assert saved.rule_version in html
    assert AuditEvent.objects.filter(event_type=EventType.VIEW, object_type="target_list").exists()
    assert saved in listed.context["page"].object_list

    # ... and the outsider gets 404, audited, and an empty list
    outside = login(cast["outsider"]).get(url)
    assert outside.status_code == 404
    assert AuditEvent.objects.filter(
        event_type=EventType.DENIED, object_type="target_list", object_id=str(saved.pk)
    ).exists()
    listed = login(cast["outsider"]).get(reverse("screening:snapshots"))
    assert list(listed.context["page"].object_list) == []


def test_it_refuses_saving_to_a_read_only_user(cast, login, graduates):
    client = login(cast["viewer"])
    assert client.post(SAVE, {}).status_code == 403
    assert not TargetList.objects.exists()


def test_it_refuses_saving_for_an_area_outside_scope(cast, login, graduates, areas):
    client = login(cast["street_clerk"])
    assert client.post(SAVE, {"area": areas["bayinsai_community"].code}).status_code == 404
    assert not TargetList.objects.exists()


def test_it_only_saves_by_post(cast, login, graduates):
    assert login(cast["clerk"]).get(SAVE).status_code == 405
