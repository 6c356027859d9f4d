import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from minsheng import paging
from minsheng.geo.models import Area

pytestmark = pytest.mark.django_db


@pytest.fixture
def communities(areas):
    return Area.objects.filter(level="community").order_by("code")


@pytest.mark.parametrize("order", [("code",), ("-name", "code"), ("town_code", "-code")])
def test_it_gives_the_same_page_as_djangos_paginator_in_one_pass(communities, order):
    # given Django's own paginator over the same queryset
    communities = communities.order_by(*order)
    expected = Paginator(communities, 10).get_page(3)
    # when
    with CaptureQueriesContext(connection) as queries:
        page = paging.get_page(communities, "3", 10)
        rows = [a.code for a in page.object_list]
        count, pages = page.paginator.count, page.paginator.num_pages
    # then
    assert rows == [a.code for a in expected.object_list]
    assert (count, pages, page.number) == (
        expected.paginator.count,
        expected.paginator.num_pages,
        3,
    )
    # the keys and the total in one statement, then the page's rows by primary key
    assert len(queries) == 2
    assert "OVER ()" in queries[0]["sql"] and "OVER ()" not in queries[1]["sql"]


@pytest.mark.parametrize("raw", [None, "", "abc", "0", "-2"])
def test_it_shows_the_first_page_for_a_bad_number(communities, raw):
    page = paging.get_page(communities, raw, 10)
    assert page.number == 1
    assert page.object_list[0].code == communities.first().code


def test_it_shows_the_last_page_past_the_end(communities):
    # given 83 communities, 10 a page
    total = communities.count()
    last = -(-total // 10)
    # when
    page = paging.get_page(communities, "999", 10)
    # then
    assert page.number == last
    assert page.paginator.count == total
    assert [a.code for a in page.object_list] == [a.code for a in communities[(last - 1) * 10 :]]


@pytest.mark.parametrize("raw", ["1", "5"])
def test_it_gives_an_empty_first_page_for_an_empty_queryset(communities, raw):
    page = paging.get_page(communities.filter(code="none"), raw, 10)
    assert (page.number, page.paginator.count, list(page.object_list)) == (1, 0, [])
    assert not page.has_next() and not page.has_previous()
