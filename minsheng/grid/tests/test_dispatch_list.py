from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from minsheng.audit.models import AuditEvent
from minsheng.screening.models import TargetList, TargetListMember

from ..actions import do_dispatch_list
from ..models import GridTask, Origin, TaskKind

pytestmark = pytest.mark.django_db


def saved_list(user, area, people, name="参保扩面：未参保"):
    tl = TargetList.objects.create(
        list_code="coverage_uninsured",
        theme_code="coverage",
        name=name,
        rule_text="x",
        rule_version="1",
        as_of=timezone.localdate(),
        area=area,
        size=len(people),
        created_by=user,
    )
    TargetListMember.objects.bulk_create(TargetListMember(target_list=tl, person=p) for p in people)
    return tl


def test_it_routes_each_member_to_the_grid_of_their_archive_row(cast, areas, residents):
    city = cast["city_staff"]
    tl = saved_list(city, city.area, residents.values())
    done = do_dispatch_list(tl, kind=TaskKind.INSURANCE, acting_user=city)
    assert done.asked == 5 and done.created == 5
    tasks = {t.person_id: t for t in GridTask.objects.all()}
    assert tasks[residents["wang"].pk].grid_code == areas["grids"]["qingquan1"].code
    assert tasks[residents["qian"].pk].grid_code == areas["grids"]["xinnan1"].code
    # 清泉 3 is vacant and covered: flagged, done by its cover
    assert tasks[residents["sun"].pk].via_cover
    assert not tasks[residents["wang"].pk].via_cover
    assert done.via_cover == 2  # 清泉 3 and 巴音赛 1 (vacant)
    assert done.unheld == 1  # 巴音赛 1: nobody covers it
    t = tasks[residents["wang"].pk]
    assert t.origin == Origin.LIST and t.origin_ref == f"list:{tl.pk}" and t.reason == tl.name
    assert t.due_date == timezone.localdate() + timedelta(days=14)
    assert t.community_code == areas["qingquan"].code


def test_it_never_opens_the_same_kind_twice_for_a_resident(cast, residents):
    city = cast["city_staff"]
    tl = saved_list(city, city.area, residents.values())
    do_dispatch_list(tl, kind=TaskKind.INSURANCE, acting_user=city)
    again = do_dispatch_list(tl, kind=TaskKind.INSURANCE, acting_user=city)
    assert again.created == 0 and again.already_open == 5
    assert GridTask.objects.count() == 5
    # another kind is another task
    other = do_dispatch_list(tl, kind=TaskKind.TRAINING, acting_user=city)
    assert other.created == 5
    # a closed task does not block a new one
    GridTask.objects.filter(kind=TaskKind.INSURANCE, person=residents["wang"]).update(status="done")
    assert do_dispatch_list(tl, kind=TaskKind.INSURANCE, acting_user=city).created == 1


def test_it_sends_a_clerk_s_list_only_inside_their_area(cast, residents):
    city = cast["city_staff"]
    tl = saved_list(city, cast["clerk"].area, residents.values())
    done = do_dispatch_list(tl, kind=TaskKind.INSURANCE, acting_user=cast["clerk"])
    assert done.asked == 3  # 王芳, 赵强, 孙丽 live in 清泉社区
    assert set(GridTask.objects.values_list("community_code", flat=True)) == {
        cast["clerk"].area.code
    }


def test_it_counts_the_dead_and_the_gridless_and_sends_them_nothing(cast, residents):
    from minsheng.residents.models import Resident

    Resident.objects.filter(pk=residents["wang"].pk).update(identity_survival_status="2")
    Resident.objects.filter(pk=residents["zhao"].pk).update(grid_code="")
    city = cast["city_staff"]
    tl = saved_list(city, city.area, residents.values())
    done = do_dispatch_list(tl, kind=TaskKind.JOB_SEEKER, acting_user=city)
    assert (done.asked, done.created, done.deceased, done.no_grid) == (5, 3, 1, 1)


def test_it_is_refused_to_a_grid_worker_and_outside_the_list_s_area(cast, residents):
    tl = saved_list(cast["clerk"], cast["clerk"].area, residents.values())
    with pytest.raises(PermissionDenied):
        do_dispatch_list(tl, kind=TaskKind.INSURANCE, acting_user=cast["grid_worker"])
    with pytest.raises(PermissionDenied):
        do_dispatch_list(tl, kind=TaskKind.INSURANCE, acting_user=cast["outsider"])
    assert not GridTask.objects.exists()


def test_it_is_audited_with_its_counts(cast, residents):
    city = cast["city_staff"]
    tl = saved_list(city, city.area, residents.values())
    do_dispatch_list(tl, kind=TaskKind.INSURANCE, acting_user=city)
    event = AuditEvent.objects.filter(object_type="grid_tasks").latest("id")
    assert event.details["created"] == 5 and event.details["list"] == tl.pk
