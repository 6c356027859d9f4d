"""Grid posts and grid-worker accounts from the city's roster (`do_staff_grids`)."""

import pytest
from django.core.exceptions import ValidationError

from conftest import make_grid
from minsheng.accounts.models import User
from minsheng.accounts.roles import Role
from minsheng.audit.models import AuditEvent

from ..actions import do_staff_grids
from ..models import GridPost
from .conftest import roster_row

pytestmark = pytest.mark.django_db


def test_it_gives_every_grid_a_post_and_every_named_worker_an_account(staffed, cast):
    posts = {p.grid.code: p for p in GridPost.objects.select_related("grid", "worker", "cover")}
    assert set(posts) == {g.code for g in staffed.values()}
    # an account that already works the grid keeps it; the roster's name makes the others
    assert posts[staffed["qingquan1"].code].worker == cast["grid_worker"]
    new = posts[staffed["qingquan2"].code].worker
    assert (new.username, new.role, new.area, new.display_name, new.phone) == (
        f"wg{staffed['qingquan2'].code}",
        Role.GRID_WORKER,
        staffed["qingquan2"],
        "朱晨",
        "13900000002",
    )
    # the roster is not a credential: nobody can log in until a password is issued
    assert not new.has_usable_password()
    assert new.must_change_password


def test_it_covers_a_vacant_grid_by_the_nearest_worker_of_its_community(staffed, cast):
    post = GridPost.objects.get(grid=staffed["qingquan3"])
    assert post.vacant
    assert post.cover.username == f"wg{staffed['qingquan2'].code}"
    assert post.holder == post.cover


def test_it_leaves_a_grid_uncovered_when_its_street_has_no_worker(staffed):
    post = GridPost.objects.get(grid=staffed["bayinsai1"])
    assert post.vacant and post.cover is None and post.holder is None


def test_it_is_audited_once_and_safe_to_run_again(staffed):
    [event] = AuditEvent.objects.filter(object_type="grid_posts")
    assert event.details["accounts_created"] == 2
    assert event.details["uncovered"] == 1
    counts = do_staff_grids([roster_row(g, "某人") for g in staffed.values()])
    assert counts["posts_created"] == 0
    # the vacant grids' new workers get accounts; the grid nobody covered is theirs at once,
    # the covered one when a clerk hands it over (do_assign_post): covering is a decision
    assert counts["accounts_created"] == 2
    assert User.objects.filter(role=Role.GRID_WORKER).count() == 5
    assert GridPost.objects.get(grid=staffed["bayinsai1"]).worker.display_name == "某人"
    covered = GridPost.objects.get(grid=staffed["qingquan3"])
    assert covered.vacant and covered.cover is not None


def test_it_refuses_a_roster_of_grids_that_are_not_loaded(areas):
    with pytest.raises(ValidationError, match="150302001001999"):
        do_staff_grids([{"grid_code": "150302001001999", "worker_name": "某人"}])
    assert not GridPost.objects.exists()


def test_it_covers_from_the_street_when_the_community_has_nobody(areas):
    g = areas["grids"]
    xinnan2 = make_grid(areas["xinnan"], 2)
    do_staff_grids([roster_row(g["qingquan1"], "吴刚"), roster_row(xinnan2)])
    assert GridPost.objects.get(grid=xinnan2).cover.area == g["qingquan1"]
