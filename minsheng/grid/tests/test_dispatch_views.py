"""Dispatch pages: for a saved list (`grid:dispatch_list`) and one resident (`grid:dispatch_person`)."""

import pytest
from django.urls import reverse

from ..models import GridTask, TaskKind
from .test_dispatch_list import saved_list

pytestmark = pytest.mark.django_db


def test_it_dispatches_a_saved_list_and_says_what_it_did(client, login, cast, residents):
    tl = saved_list(cast["clerk"], cast["clerk"].area, residents.values())
    login(cast["clerk"])
    url = reverse("grid:dispatch_list", args=[tl.pk])
    assert "参保意愿" in client.get(url).content.decode()
    response = client.post(url, {"kind": TaskKind.INSURANCE, "priority": "1"}, follow=True)
    assert "已为 3 名居民派发 3 个任务" in response.content.decode()
    assert GridTask.objects.filter(priority=1).count() == 3


def test_it_refuses_a_due_date_in_the_past_in_chinese(client, login, cast, residents):
    tl = saved_list(cast["clerk"], cast["clerk"].area, residents.values())
    login(cast["clerk"])
    response = client.post(
        reverse("grid:dispatch_list", args=[tl.pk]),
        {"kind": TaskKind.INSURANCE, "priority": "2", "due_date": "2020-01-01"},
    )
    assert "截止日期已过" in response.content.decode()
    assert not GridTask.objects.exists()


def test_it_hides_another_area_s_list_and_refuses_readers(client, login, cast, residents):
    tl = saved_list(cast["clerk"], cast["clerk"].area, residents.values())
    login(cast["outsider"])
    assert client.get(reverse("grid:dispatch_list", args=[tl.pk])).status_code == 404
    login(cast["viewer"])
    assert client.get(reverse("grid:dispatch_list", args=[tl.pk])).status_code == 403


def test_it_dispatches_one_resident_by_hand(client, login, cast, residents):
    login(cast["clerk"])
    url = reverse("grid:dispatch_person", args=[residents["wang"].pk])
    client.post(url, {"kind": TaskKind.INFO_UPDATE, "priority": "2"})
    task = GridTask.objects.get()
    assert task.person_id == residents["wang"].pk and task.origin == "hand"
    other = reverse("grid:dispatch_person", args=[residents["zhou"].pk])
    assert client.get(other).status_code == 404


def test_it_asks_the_grid_to_check_a_conflicting_item(client, login, cast, residents):
    login(cast["clerk"])
    url = reverse("grid:dispatch_person", args=[residents["wang"].pk])
    page = client.get(url, {"kind": "verify", "about": "死亡日期"}).content.decode()
    assert 'value="verify" selected' in page
    client.post(f"{url}?kind=verify&about=死亡日期", {"kind": "verify", "priority": "1"})
    task = GridTask.objects.get()
    assert task.kind == "verify" and task.reason.startswith("核实：死亡日期")
