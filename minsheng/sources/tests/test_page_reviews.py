"""The clerical review queue /sources/reviews/ and one item /sources/reviews/<id>/."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent, EventType
from minsheng.sources.models import LinkMethod, ReviewStatus, fact_model
from minsheng.sources.tests.conftest import LI_ID, ZHANG_ID

LIST = reverse("sources:review_list")


def detail(review) -> str:
    return reverse("sources:review_detail", args=[review.pk])


def listed(response) -> set[int]:
    return {r["review"].pk for r in response.context["rows"]}


def test_it_lists_only_the_clerks_own_area(cast, login, reviews):
    # given the clerk of 清泉社区 and items in 清泉社区 and 巴音赛街道
    client = login(cast["clerk"])

    # when they open the queue
    response = client.get(LIST)

    # then only the 清泉社区 item is listed, names masked, beside the candidate
    assert response.status_code == 200
    assert listed(response) == {reviews["qingquan"].pk}
    row = response.context["rows"][0]
    assert row["row"]["name"] == "张**" and row["candidate"]["name"] == "张**"
    assert row["row"]["sex"] and row["source_label"]
    html = response.content.decode()
    assert "张三风" not in html and "张三丰" not in html and ZHANG_ID not in html


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("city_staff", {"qingquan", "bayinsai"}),
        ("street_clerk", {"qingquan"}),
        ("viewer", {"qingquan"}),
        ("outsider", {"bayinsai"}),
    ],
)
def test_it_scopes_the_queue_by_area(cast, login, reviews, who, expected):
    # given a user of the cast
    client = login(cast[who])

    # when they open the queue
    response = client.get(LIST)

    # then they see the items of their area, city staff all of them
    assert listed(response) == {reviews[k].pk for k in expected}


def test_it_audits_the_view_of_the_list(cast, login, reviews):
    # given the clerk
    client = login(cast["clerk"])

    # when they open the queue
    client.get(LIST)

    # then a view event names the items shown
    event = AuditEvent.objects.get(event_type=EventType.VIEW, object_type="link_review_list")
    assert event.details["ids"] == [reviews["qingquan"].pk]


def test_it_needs_the_same_queries_for_many_items_as_for_few(
    cast, login, reviews, crypto, areas, django_assert_num_queries
):
    # given city staff who have opened the queue once
    from minsheng.sources.tests.conftest import make_review

    client = login(cast["city_staff"])
    client.get(LIST)

    # when it is opened with two items and again with ten more of the same source
    with django_assert_num_queries(13) as few:
        client.get(LIST)
    batch = reviews["qingquan"].batch
    for row in range(20, 30):
        make_review(
            crypto, batch, row, reviews["zhang"], areas["grids"]["qingquan2"], number=ZHANG_ID
        )
    with django_assert_num_queries(13) as many:
        client.get(LIST)

    # then the count of queries does not grow with the items
    assert len(few.captured_queries) == len(many.captured_queries)


@pytest.mark.parametrize("who", ["sys_admin", "supervision", "grid_worker", "audit_admin"])
def test_it_refuses_roles_without_a_queue_and_audits_it(cast, login, reviews, who):
    # given a user whose role has no review queue
    client = login(cast[who])

    # when they open the queue
    response = client.get(LIST)

    # then they are refused and the refusal is audited
    assert response.status_code == 403
    assert AuditEvent.objects.filter(event_type=EventType.DENIED, actor=cast[who]).exists()


def test_it_compares_the_row_with_the_candidate_side_by_side(cast, login, reviews):
    # given the clerk and the item of their community
    client = login(cast["clerk"])

    # when they open it
    response = client.get(detail(reviews["qingquan"]))

    # then both sides are shown masked, with the differing name marked
    assert response.status_code == 200
    rows = {str(c["label"]): c for c in response.context["comparison"]}
    name, number = response.context["comparison"][0], response.context["comparison"][1]
    assert name["row"] == "张**" and name["candidate"] == "张**" and name["differs"]
    assert number["row"] == ZHANG_ID[:6] + "********" + ZHANG_ID[-4:]
    assert not number["differs"]
    assert len(rows) == 5
    html = response.content.decode()
    assert ZHANG_ID not in html and "张三风" not in html
    assert 'data-testid="decision-form"' in html
    event = AuditEvent.objects.get(event_type=EventType.VIEW, object_type="link_review")
    assert event.object_id == str(reviews["qingquan"].pk)


def test_it_confirms_a_link_with_a_reason(cast, login, reviews):
    # given the clerk and the item of their community
    client = login(cast["clerk"])
    review = reviews["qingquan"]

    # when they confirm it with a reason
    response = client.post(detail(review), {"decision": "confirm", "reason": "户籍地址一致"})

    # then the item is decided, the fact linked to the candidate, and the change audited
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.CONFIRMED and review.decided_by == cast["clerk"]
    fact = fact_model(review.source).objects.get(pk=review.fact_id)
    assert fact.person_id == reviews["zhang"].pk and fact.link_method == LinkMethod.CLERICAL
    assert AuditEvent.objects.filter(
        event_type=EventType.CHANGE, object_type="link_review", object_id=str(review.pk)
    ).exists()


def test_it_rejects_a_link_into_a_new_person(cast, login, reviews):
    # given city staff and the item of 巴音赛街道
    client = login(cast["city_staff"])
    review = reviews["bayinsai"]

    # when they reject it with a reason
    client.post(detail(review), {"decision": "reject", "reason": "姓名不同，出生地不同"})

    # then the row becomes a person of its own
    review.refresh_from_db()
    assert review.status == ReviewStatus.REJECTED
    fact = fact_model(review.source).objects.get(pk=review.fact_id)
    assert fact.person_id not in (None, reviews["li"].pk)


def test_it_requires_a_reason(cast, login, reviews):
    # given the clerk
    client = login(cast["clerk"])
    review = reviews["qingquan"]

    # when they confirm without a reason
    response = client.post(detail(review), {"decision": "confirm", "reason": "  "})

    # then nothing is decided and the form says why
    assert response.status_code == 200
    assert response.context["form"].errors
    review.refresh_from_db()
    assert review.status == ReviewStatus.PENDING


def test_it_lets_a_viewer_read_but_not_decide(cast, login, reviews):
    # given the read-only user of 海勃湾区
    client = login(cast["viewer"])
    review = reviews["qingquan"]

    # when they open the item and then try to decide it
    page = client.get(detail(review))
    response = client.post(detail(review), {"decision": "confirm", "reason": "看着像"})

    # then they may read it, have no form, and the decision is refused and audited
    assert page.status_code == 200
    assert 'data-testid="decision-form"' not in page.content.decode()
    assert response.status_code == 403
    review.refresh_from_db()
    assert review.status == ReviewStatus.PENDING
    assert AuditEvent.objects.filter(
        event_type=EventType.DENIED, actor=cast["viewer"], object_type="link_review"
    ).exists()


def test_it_hides_an_item_of_another_area_and_audits_it(cast, login, reviews):
    # given the outsider clerk of 巴音赛街道 and the item of 清泉社区
    client = login(cast["outsider"])
    review = reviews["qingquan"]

    # when they open it and try to decide it
    opened = client.get(detail(review))
    decided = client.post(detail(review), {"decision": "reject", "reason": "不是本人"})

    # then both answers are 404, both refusals are audited, and nothing changed
    assert opened.status_code == 404 and decided.status_code == 404
    assert (
        AuditEvent.objects.filter(
            event_type=EventType.DENIED,
            actor=cast["outsider"],
            object_type="link_review",
            object_id=str(review.pk),
        ).count()
        == 2
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.PENDING
    assert LI_ID  # the outsider's own item stays theirs (see the scoping test)
