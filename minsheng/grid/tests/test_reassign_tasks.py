import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import make_user
from minsheng.accounts.models import User
from minsheng.accounts.roles import Role
from minsheng.audit.models import AuditEvent

from ..actions import do_assign_post, do_create_task, do_reassign_tasks, do_vacate_post
from ..models import GridPost, GridTask, TaskKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def tasks(cast, residents):
    for p in residents.values():
        do_create_task(p.pk, kind=TaskKind.INSURANCE, reason="t", acting_user=cast["city_staff"])
    return {k: GridTask.objects.get(person=p) for k, p in residents.items()}


def worker(grid):
    return User.objects.get(username=f"wg{grid.code}")


def test_it_moves_open_tasks_with_the_grid_when_a_worker_leaves(cast, staffed, tasks):
    q1 = GridPost.objects.get(grid=staffed["qingquan1"])
    cover = worker(staffed["qingquan2"])
    assert set(GridTask.objects.held_by(cast["grid_worker"])) == {tasks["wang"], tasks["zhao"]}
    do_vacate_post(q1, cover=cover, reason="离职", acting_user=cast["clerk"])
    assert not GridTask.objects.held_by(cast["grid_worker"]).exists()
    assert {tasks["wang"], tasks["zhao"]} <= set(GridTask.objects.held_by(cover))
    event = AuditEvent.objects.filter(object_type="grid_post").latest("id")
    assert event.details["open_tasks"] == 2
    # the grid's new worker finds them waiting
    do_assign_post(q1, worker=cast["grid_worker"], acting_user=cast["clerk"])
    assert set(GridTask.objects.held_by(cast["grid_worker"])) == {tasks["wang"], tasks["zhao"]}


def test_it_hands_tasks_to_a_worker_of_the_same_street(cast, staffed, tasks):
    other = worker(staffed["qingquan2"])
    n = do_reassign_tasks([tasks["wang"]], worker=other, acting_user=cast["clerk"])
    assert n == 1
    assert tasks["wang"] in set(GridTask.objects.held_by(other))
    assert tasks["wang"] not in set(GridTask.objects.held_by(cast["grid_worker"]))
    event = AuditEvent.objects.filter(object_id="reassign").latest("id")
    assert event.details["tasks"] == [tasks["wang"].pk]
    # back to the grid's holder
    do_reassign_tasks([tasks["wang"]], worker=None, acting_user=cast["clerk"])
    assert tasks["wang"] in set(GridTask.objects.held_by(cast["grid_worker"]))


def test_it_refuses_a_worker_of_another_street_and_a_task_of_another_area(cast, staffed, tasks):
    elsewhere = make_user("wg_bayinsai", Role.GRID_WORKER, staffed["bayinsai1"])
    with pytest.raises(ValidationError):
        do_reassign_tasks([tasks["wang"]], worker=elsewhere, acting_user=cast["clerk"])
    with pytest.raises(PermissionDenied):
        do_reassign_tasks([tasks["zhou"]], worker=None, acting_user=cast["clerk"])
    with pytest.raises(PermissionDenied):
        do_reassign_tasks([tasks["wang"]], worker=None, acting_user=cast["grid_worker"])
