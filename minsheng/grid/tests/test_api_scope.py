"""The grid API's access matrix. Its actors are token holders, not the session cast of
tests/test_access_matrix.py (which covers these URLs for the session cast: a session is no
credential here, so every API operation answers them 401): the worker of 清泉社区第1网格
with a device token, the worker of 新南社区第1网格 with theirs, a revoked token and no
token. Every API URL pattern has a row; `test_every_api_url_has_a_row` fails when one is
added without one."""

import json
import uuid

import pytest
from django.urls import get_resolver, reverse

from ..actions import do_create_task, do_issue_device_token, do_revoke_device_token, worker_username
from ..models import GridTask, TaskKind

pytestmark = pytest.mark.django_db

ACTORS = ("worker", "other_grid_worker", "revoked", "no_token")
DOCS = {a: 200 for a in ACTORS}  # the document and the docs page describe, they hold no data
API = {"worker": 200, "other_grid_worker": 404, "revoked": 401, "no_token": 401}
BODY = {"insurance_willingness": "2"}

# name → (method, task of the 清泉 1 worker?, {actor: status})
TABLE = {
    "openapi-json": ("GET", False, DOCS),
    "openapi-view": ("GET", False, DOCS),
    # the root only anchors the operations' paths (django-ninja): nothing there
    "api-root": ("GET", False, {a: 404 for a in ACTORS}),
    "me": ("GET", False, {**API, "other_grid_worker": 200}),
    # a list is the actor's own: the other grid's worker gets theirs (none of 清泉's)
    "tasks": ("GET", False, {**API, "other_grid_worker": 200}),
    "task": ("GET", True, API),
    "task_result": ("POST", True, {**API, "worker": 201}),
}


@pytest.fixture
def world(cast, staffed, residents):
    worker = cast["grid_worker"]
    other = type(worker).objects.get(username=worker_username(staffed["xinnan1"].code))
    revoked, revoked_token = do_issue_device_token(worker, name="旧手机", acting_user=worker)
    do_revoke_device_token(revoked, acting_user=worker)
    do_create_task(
        residents["wang"].pk, kind=TaskKind.INSURANCE, reason="x", acting_user=cast["city_staff"]
    )
    return {
        "task": GridTask.objects.get(person=residents["wang"]).pk,
        "tokens": {
            "worker": do_issue_device_token(worker, name="手机", acting_user=worker)[1],
            "other_grid_worker": do_issue_device_token(other, name="手机", acting_user=other)[1],
            "revoked": revoked_token,
            "no_token": None,
        },
    }


def call(client, name, method, kwargs, token):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = reverse(f"grid-api:{name}", kwargs=kwargs)
    if method == "GET":
        return client.get(url, headers=headers)
    headers["Idempotency-Key"] = str(uuid.uuid4())
    return client.post(url, json.dumps(BODY), content_type="application/json", headers=headers)


def test_every_api_url_has_a_row():
    api = next(p for p in get_resolver().url_patterns if getattr(p, "namespace", "") == "grid-api")
    assert {p.name for p in api.url_patterns} == set(TABLE)


@pytest.mark.parametrize("name", list(TABLE))
def test_api_access(client, world, name):
    method, takes_task, expect = TABLE[name]
    kwargs = {"task_id": world["task"]} if takes_task else {}
    got = {}
    for actor in ACTORS:
        # the worker's submit closes the task: the others' answers do not depend on it
        response = call(client, name, method, kwargs, world["tokens"][actor])
        got[actor] = response.status_code
    assert got == expect


def test_the_other_grid_s_worker_sees_none_of_qingquan_s_tasks(client, world):
    headers = {"Authorization": f"Bearer {world['tokens']['other_grid_worker']}"}
    body = client.get(reverse("grid-api:tasks"), headers=headers).json()
    assert world["task"] not in [i["id"] for i in body["items"]]
