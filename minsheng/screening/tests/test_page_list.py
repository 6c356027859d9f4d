"""A target list page: scoped, filtered, sorted, explained, masked, exported, audited."""

import io
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from minsheng.audit.models import AuditEvent, EventType

pytestmark = pytest.mark.django_db

UNEMPLOYED = reverse("screening:list", args=["graduates", "graduates_unemployed"])
EXPORT = reverse("screening:export", args=["graduates", "graduates_unemployed"])


def names(response):
    return [row["name"] for row in response.context["rows"]]


def test_it_lists_the_residents_in_scope_with_why_they_qualify(cast, login, graduates):
    # given a street clerk of 新华街道
    client = login(cast["street_clerk"])

    # when they open the list of graduates not in work
    response = client.get(UNEMPLOYED)

    # then their street's two graduates are listed, each condition shown as held
    assert response.status_code == 200
    assert sorted(names(response)) == sorted(["王**", "钱*"])
    why = response.context["rows"][0]["why"]
    assert [text for text, _held in why] == [
        "education.recent_graduate",
        "identity.survival_status = '生存'",
        "employment.status in ('未就业', '登记失业')",
    ]
    assert all(held for _text, held in why)
    html = response.content.decode()
    assert "✓" in html
    assert response.context["rule"].version in html
    assert reverse("residents:profile", args=[graduates["wang"][0].pk]) in html


def test_it_masks_names_and_id_numbers(cast, login, graduates):
    # given a clerk
    client = login(cast["clerk"])

    # when they open the list
    html = client.get(UNEMPLOYED).content.decode()

    # then neither a full name nor a full ID number is on the page
    wang_number = graduates["wang"][1]
    assert wang_number not in html
    assert "王小明" not in html
    assert f"{wang_number[:6]}********{wang_number[-4:]}" in html


def test_it_shows_the_outsider_only_their_street(cast, login, graduates):
    client = login(cast["outsider"])
    assert names(client.get(UNEMPLOYED)) == ["李*"]


def test_it_shows_a_grid_worker_only_their_grid(cast, login, graduates):
    client = login(cast["grid_worker"])
    assert names(client.get(UNEMPLOYED)) == ["王**"]


def test_it_filters_by_sex_age_and_area(cast, login, graduates, areas):
    # given a street clerk
    client = login(cast["street_clerk"])

    # then each filter narrows the list
    assert names(client.get(UNEMPLOYED, {"sex": "2"})) == ["钱*"]
    assert names(client.get(UNEMPLOYED, {"age_min": "23"})) == ["王**"]
    assert names(client.get(UNEMPLOYED, {"age_max": "22"})) == ["钱*"]
    grid2 = areas["grids"]["qingquan2"].code
    assert names(client.get(UNEMPLOYED, {"area": grid2})) == ["钱*"]


def test_it_sorts_by_age_and_area(cast, login, graduates):
    client = login(cast["street_clerk"])
    assert names(client.get(UNEMPLOYED, {"sort": "age"})) == ["钱*", "王**"]
    assert names(client.get(UNEMPLOYED, {"sort": "-age"})) == ["王**", "钱*"]
    assert names(client.get(UNEMPLOYED, {"sort": "-area"})) == ["钱*", "王**"]


def test_it_refuses_an_area_filter_outside_scope(cast, login, graduates, areas):
    client = login(cast["street_clerk"])
    outside = areas["bayinsai_community"].code
    assert client.get(UNEMPLOYED, {"area": outside}).status_code == 404
    assert AuditEvent.objects.filter(event_type=EventType.DENIED, object_id=outside).exists()


def test_it_audits_the_view_with_the_persons_shown(cast, login, graduates):
    # given a clerk
    client = login(cast["clerk"])

    # when they open the list
    client.get(UNEMPLOYED)

    # then one VIEW event names the list, its version and the persons shown
    event = AuditEvent.objects.get(event_type=EventType.VIEW, object_type="screening_list")
    assert event.object_id == "graduates_unemployed"
    assert sorted(event.details["persons"]) == sorted(
        [graduates["wang"][0].pk, graduates["qian"][0].pk]
    )


def test_it_pages_by_25(cast, login, graduates, more_graduates):
    # given 30 more graduates in 清泉社区
    more_graduates(30)
    client = login(cast["clerk"])

    # when the clerk opens the list and its second page
    first = client.get(UNEMPLOYED)
    second = client.get(UNEMPLOYED, {"page": 2})

    # then 32 are split 25 + 7
    assert first.context["page"].paginator.count == 32
    assert len(first.context["rows"]) == 25
    assert len(second.context["rows"]) == 7


def test_it_needs_the_same_queries_for_a_full_page_as_for_a_short_one(
    cast, login, graduates, more_graduates
):
    # given a clerk who has opened the list once
    client = login(cast["clerk"])
    client.get(UNEMPLOYED)

    # when the page is opened with two rows and again with a full page of 25
    with CaptureQueriesContext(connection) as few:
        client.get(UNEMPLOYED)
    more_graduates(40)
    with CaptureQueriesContext(connection) as many:
        response = client.get(UNEMPLOYED)

    # then the rows add no query
    assert len(response.context["rows"]) == 25
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(few.captured_queries) <= 16


def test_it_exports_masked_values_and_audits_the_export(cast, login, graduates):
    # given a street clerk
    client = login(cast["street_clerk"])

    # when they export the list
    response = client.get(EXPORT)

    # then an XLSX comes back with masked values only, and the export is audited with the count
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    with zipfile.ZipFile(io.BytesIO(response.content)) as book:
        text = "".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
    wang_number = graduates["wang"][1]
    assert wang_number not in text
    assert "王小明" not in text
    assert f"{wang_number[:6]}********{wang_number[-4:]}" in text
    assert "street_clerk" in text  # who exported it
    event = AuditEvent.objects.get(event_type=EventType.EXPORT)
    assert event.details["count"] == 2
    assert event.object_id == "graduates_unemployed"


def test_it_answers_404_for_an_unknown_list(cast, login):
    client = login(cast["clerk"])
    url = reverse("screening:list", args=["graduates", "nosuch"])
    assert client.get(url).status_code == 404


def test_it_keeps_the_filters_in_the_sort_and_page_links(cast, login, graduates, more_graduates):
    # given 30 more graduates, a filtered list
    more_graduates(30)
    client = login(cast["clerk"])

    # when the clerk filters by sex
    html = client.get(UNEMPLOYED, {"sex": "1", "sort": "age"}).content.decode()

    # then the sort links and the next-page link keep the filter
    assert "?sex=1&amp;sort=-age" in html
    assert "?sex=1&amp;sort=age&page=2" in html
