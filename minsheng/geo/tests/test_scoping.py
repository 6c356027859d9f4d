"""`visible_to` for every role, on every model of the area tree."""

import pytest

from minsheng.geo.models import Area, Building, House


def codes(qs):
    return set(qs.values_list("code", flat=True))


@pytest.mark.django_db
def test_it_shows_a_community_clerk_their_community_and_below(cast, areas):
    visible = codes(Area.objects.visible_to(cast["clerk"]))
    assert visible == {
        "150302001001",
        areas["grids"]["qingquan1"].code,
        areas["grids"]["qingquan2"].code,
    }


@pytest.mark.django_db
def test_it_shows_a_street_clerk_the_whole_street(cast, areas):
    visible = Area.objects.visible_to(cast["street_clerk"])
    assert visible.filter(level="community").count() == 5  # 新华街道's five communities
    assert areas["grids"]["xinnan1"].code in codes(visible)
    assert areas["grids"]["bayinsai1"].code not in codes(visible)


@pytest.mark.django_db
def test_it_shows_a_grid_worker_only_their_grid(cast, areas):
    worker = cast["grid_worker"]
    assert codes(Area.objects.visible_to(worker)) == {areas["grids"]["qingquan1"].code}
    assert codes(House.objects.visible_to(worker)) == {areas["houses"]["qingquan1"].code}
    assert codes(Building.objects.visible_to(worker)) == {f"{areas['grids']['qingquan1'].code}01"}


@pytest.mark.django_db
def test_it_refuses_an_outsider_from_another_area(cast, areas):
    outsider = cast["outsider"]
    assert areas["houses"]["qingquan1"] not in House.objects.visible_to(outsider)
    assert not Area.objects.visible_to(outsider).filter(code__startswith="150302").exists()
    assert House.objects.visible_to(outsider).get() == areas["houses"]["bayinsai1"]


@pytest.mark.django_db
def test_it_shows_a_district_viewer_the_district(cast, areas):
    houses = House.objects.visible_to(cast["viewer"])
    assert houses.count() == 3  # qingquan1, qingquan2, xinnan1; not 乌达区


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", ["city_staff", "supervision", "sys_admin", "sec_admin", "audit_admin"]
)
def test_it_shows_city_level_users_the_whole_tree(cast, areas, role):
    # The tree and houses are not personal data: administrators may navigate them.
    assert House.objects.visible_to(cast[role]).count() == 4
    assert Area.objects.visible_to(cast[role]).filter(level="community").count() == 83


@pytest.mark.django_db
def test_it_shows_nothing_to_anonymous_or_disabled_users(cast, areas):
    from django.contrib.auth.models import AnonymousUser

    assert not House.objects.visible_to(AnonymousUser()).exists()
    clerk = cast["clerk"]
    clerk.is_active = False
    assert not House.objects.visible_to(clerk).exists()


@pytest.mark.django_db
def test_it_hides_personal_data_from_administrators_and_the_supervision_centre(cast, areas):
    # A personal-data model: the same mechanism with personal_data on. Houses stand in for
    # the resident models of later issues.
    from minsheng.geo.models import HouseQuerySet

    class PersonalHouses(HouseQuerySet):
        personal_data = True

    qs = PersonalHouses(model=House)
    for role in ("sys_admin", "sec_admin", "audit_admin", "supervision"):
        assert not qs.visible_to(cast[role]).exists(), role
    assert qs.visible_to(cast["city_staff"]).count() == 4
    assert qs.visible_to(cast["clerk"]).count() == 2
