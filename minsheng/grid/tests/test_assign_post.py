"""A grid gets its new worker (`do_assign_post`)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from conftest import make_user
from minsheng.accounts.roles import Role
from minsheng.audit.models import AuditEvent

from ..actions import do_assign_post
from ..models import GridPost

pytestmark = pytest.mark.django_db


def test_it_gives_a_vacant_grid_its_new_worker_and_ends_the_cover(staffed, cast):
    post = GridPost.objects.get(grid=staffed["qingquan3"])
    newcomer = make_user("newcomer", Role.GRID_WORKER, staffed["qingquan3"])
    do_assign_post(post, worker=newcomer, acting_user=cast["street_clerk"])
    post.refresh_from_db()
    assert (post.worker, post.cover, post.holder) == (newcomer, None, newcomer)
    event = AuditEvent.objects.get(object_type="grid_post", object_id=staffed["qingquan3"].code)
    assert event.details["before"]["cover"] == f"wg{staffed['qingquan2'].code}"


def test_it_refuses_an_account_of_another_grid(staffed, cast):
    post = GridPost.objects.get(grid=staffed["qingquan3"])
    with pytest.raises(ValidationError):
        do_assign_post(post, worker=cast["grid_worker"], acting_user=cast["clerk"])


def test_it_refuses_the_outsider(staffed, cast):
    post = GridPost.objects.get(grid=staffed["qingquan3"])
    newcomer = make_user("newcomer", Role.GRID_WORKER, staffed["qingquan3"])
    with pytest.raises(PermissionDenied):
        do_assign_post(post, worker=newcomer, acting_user=cast["outsider"])
    post.refresh_from_db()
    assert post.worker is None


def test_the_database_refuses_a_worker_and_a_cover_at_once(staffed, cast):
    post = GridPost.objects.get(grid=staffed["qingquan1"])
    post.cover = GridPost.objects.get(grid=staffed["xinnan1"]).worker
    with pytest.raises(IntegrityError), transaction.atomic():
        post.save()
