import pytest

from minsheng.geo import reference
from minsheng.geo.models import Area


@pytest.mark.django_db
def test_it_loads_the_real_divisions_with_the_migration():
    assert Area.objects.filter(level="city").get().code == "150300"
    assert Area.objects.filter(level="district").count() == 3
    assert Area.objects.filter(level="town").count() == 20
    assert Area.objects.filter(level="community").count() == 83
    assert set(Area.objects.filter(level="district").values_list("name", flat=True)) == {
        "海勃湾区",
        "海南区",
        "乌达区",
    }


@pytest.mark.django_db
def test_it_keeps_ancestor_codes_consistent_with_the_tree():
    for community in Area.objects.filter(level="community").select_related("parent__parent"):
        town = community.parent
        assert community.code.startswith(town.code)
        assert (community.town_code, community.district_code) == (town.code, town.parent.code)
        assert community.community_code == community.code


def test_it_marks_the_two_placeholder_communities():
    placeholders = [c for c in reference.communities() if c.placeholder]
    assert len(placeholders) == 2
    assert all(c.town_code == "150302007" and "占位" in c.name for c in placeholders)
