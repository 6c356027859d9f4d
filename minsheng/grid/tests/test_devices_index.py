"""/grid/devices/: a clerk's list of the grid workers of their area (to reach a worker's
devices); a grid worker goes to their own devices; other roles are refused (403)."""

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent

from ..actions import do_issue_device_token, worker_username

pytestmark = pytest.mark.django_db


def workers_shown(response) -> set[str]:
    return {w.username for w in response.context["page"].object_list}


def test_it_lists_the_grid_workers_of_the_clerk_s_area(
    client, login, cast, staffed, django_assert_max_num_queries
):
    worker = cast["grid_worker"]
    do_issue_device_token(worker, name="手机", acting_user=worker)
    login(cast["clerk"])
    with django_assert_max_num_queries(8):
        response = client.get(reverse("grid:devices"))
    assert response.status_code == 200
    qingquan2 = worker_username(staffed["qingquan2"].code)
    assert workers_shown(response) == {"grid_worker", qingquan2}
    row = next(w for w in response.context["page"].object_list if w.pk == worker.pk)
    assert row.active == 1
    assert reverse("grid:device_list", kwargs={"pk": worker.pk}) in response.content.decode()


def test_it_shows_a_street_clerk_the_street_s_workers_and_the_outsider_none(
    client, login, cast, staffed
):
    login(cast["street_clerk"])
    xinnan1 = worker_username(staffed["xinnan1"].code)
    assert xinnan1 in workers_shown(client.get(reverse("grid:devices")))
    login(cast["outsider"])
    assert workers_shown(client.get(reverse("grid:devices"))).isdisjoint({"grid_worker", xinnan1})


def test_it_sends_a_grid_worker_to_their_own_devices(client, login, cast):
    login(cast["grid_worker"])
    response = client.get(reverse("grid:devices"))
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "grid:device_list", kwargs={"pk": cast["grid_worker"].pk}
    )


@pytest.mark.parametrize("role", ["viewer", "city_staff", "supervision"])
def test_it_refuses_who_manages_no_devices(client, login, cast, role):
    login(cast[role])
    assert client.get(reverse("grid:devices")).status_code == 403
    event = AuditEvent.objects.filter(event_type="denied").latest("seq")
    assert event.object_type == "device_tokens" and event.actor == cast[role]
