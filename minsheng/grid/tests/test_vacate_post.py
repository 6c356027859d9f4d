"""A worker leaves: the grid is vacant and covered (`do_vacate_post`)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from minsheng.audit.models import AuditEvent

from ..actions import do_vacate_post
from ..models import GridPost

pytestmark = pytest.mark.django_db


def test_it_hands_the_grid_to_its_cover_and_audits_why(staffed, cast):
    post = GridPost.objects.get(grid=staffed["qingquan1"])
    cover = GridPost.objects.get(grid=staffed["xinnan1"]).worker
    do_vacate_post(post, cover=cover, reason="辞职", acting_user=cast["clerk"])
    post.refresh_from_db()
    assert post.vacant and post.holder == cover
    # the cover now holds both grids
    assert set(GridPost.objects.held_by(cover).values_list("grid__code", flat=True)) == {
        staffed["qingquan1"].code,
        staffed["xinnan1"].code,
    }
    assert not GridPost.objects.held_by(cast["grid_worker"]).exists()
    event = AuditEvent.objects.get(object_type="grid_post", object_id=staffed["qingquan1"].code)
    assert event.actor == cast["clerk"]
    assert event.reason == "辞职"
    assert event.details["before"]["worker"] == "grid_worker"


@pytest.mark.parametrize("who", ["outsider", "grid_worker", "viewer", "city_staff", "sec_admin"])
def test_it_refuses_anyone_but_a_clerk_of_the_grid(staffed, cast, who):
    post = GridPost.objects.get(grid=staffed["qingquan1"])
    with pytest.raises(PermissionDenied):
        do_vacate_post(post, cover=None, reason="辞职", acting_user=cast[who])
    post.refresh_from_db()
    assert post.worker == cast["grid_worker"]


def test_it_refuses_a_cover_from_another_street(staffed, cast):
    post = GridPost.objects.get(grid=staffed["qingquan1"])
    with pytest.raises(ValidationError):
        do_vacate_post(post, cover=cast["clerk"], reason="辞职", acting_user=cast["street_clerk"])
    post.refresh_from_db()
    assert post.worker == cast["grid_worker"]


def test_it_wants_a_reason(staffed, cast):
    post = GridPost.objects.get(grid=staffed["qingquan1"])
    with pytest.raises(ValidationError):
        do_vacate_post(post, cover=None, reason=" ", acting_user=cast["clerk"])
