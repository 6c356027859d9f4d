"""/grid/devices/<worker>/: a worker's devices, for the worker and the clerks of their
area; another area's worker (or no such worker) is a 404, a role that manages no devices
a 403, both audited."""

import pytest
from django.urls import reverse

from minsheng.accounts.models import User
from minsheng.audit.models import AuditEvent

from ..actions import do_issue_device_token, do_revoke_device_token, worker_username

pytestmark = pytest.mark.django_db


def url(user) -> str:
    return reverse("grid:device_list", kwargs={"pk": user.pk})


@pytest.fixture
def devices(cast):
    worker = cast["grid_worker"]
    phone, token = do_issue_device_token(worker, name="华为手机", acting_user=worker)
    old, _ = do_issue_device_token(worker, name="旧手机", acting_user=cast["clerk"])
    do_revoke_device_token(old, acting_user=cast["clerk"])
    return {"phone": phone, "old": old, "token": token}


@pytest.mark.parametrize("who", ["grid_worker", "clerk", "street_clerk"])
def test_it_lists_the_worker_s_devices(
    client, login, cast, devices, who, django_assert_max_num_queries
):
    login(cast[who])
    with django_assert_max_num_queries(8):
        response = client.get(url(cast["grid_worker"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "华为手机" in html and "旧手机" in html
    # the token is never shown again, nor its hash
    assert devices["token"] not in html and devices["phone"].key_hash not in html
    revoke = reverse(
        "grid:device_revoke", kwargs={"pk": cast["grid_worker"].pk, "device": devices["phone"].pk}
    )
    assert revoke in html
    # a revoked device has nothing left to revoke
    assert (
        reverse(
            "grid:device_revoke",
            kwargs={"pk": cast["grid_worker"].pk, "device": devices["old"].pk},
        )
        not in html
    )


def test_it_answers_404_outside_the_user_s_area_and_audits_it(client, login, cast, staffed):
    other = User.objects.get(username=worker_username(staffed["xinnan1"].code))
    other.must_change_password = False  # a roster account, signing in for the first time
    other.save(update_fields=["must_change_password"])
    login(cast["outsider"])
    assert client.get(url(cast["grid_worker"])).status_code == 404
    event = AuditEvent.objects.filter(event_type="denied").latest("seq")
    assert (event.object_type, event.object_id) == ("device_tokens", str(cast["grid_worker"].pk))
    # another grid's worker, a community clerk of another community, an account that is no
    # grid worker: the same 404
    login(other)
    assert client.get(url(cast["grid_worker"])).status_code == 404
    login(cast["clerk"])
    assert client.get(url(other)).status_code == 404
    assert client.get(url(cast["street_clerk"])).status_code == 404


@pytest.mark.parametrize("role", ["viewer", "city_staff", "sec_admin"])
def test_it_refuses_who_manages_no_devices(client, login, cast, role):
    login(cast[role])
    assert client.get(url(cast["grid_worker"])).status_code == 403
    assert AuditEvent.objects.filter(event_type="denied", object_type="device_tokens").exists()
