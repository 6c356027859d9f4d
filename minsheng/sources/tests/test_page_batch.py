"""The batch detail page /sources/batches/<id>/: figures, masked quarantined rows, timings."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent, EventType
from minsheng.sources.models import QuarantinedRow
from minsheng.sources.tests.conftest import BAD_ID, ZHANG_ID


def url(batch) -> str:
    return reverse("sources:batch_detail", args=[batch.pk])


def test_it_shows_the_figures_and_masked_quarantined_rows(cast, login, hukou_batch):
    # given city staff and a batch with three quarantined rows
    client = login(cast["city_staff"])

    # when they open the batch
    response = client.get(url(hukou_batch))

    # then the figures, reasons and timings are shown
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="rows-read">10<' in html
    assert 'data-testid="rows-quarantined">3<' in html
    assert response.context["timing_total"] == pytest.approx(0.47)
    # and each quarantined row with its column, a masked value and a readable reason
    rows = {r.row: r for r in response.context["rows"]}
    assert rows[3].column == "公民身份号码"
    assert rows[3].value == BAD_ID[:6] + "********" + BAD_ID[-4:]
    assert rows[5].value == "1990-13-45"
    assert rows[8].column != ""
    assert ZHANG_ID[:6] in rows[8].value and "三丰" not in rows[8].value
    # and no clear ID number or name reaches the page, not even from the stored sentence
    assert BAD_ID not in html and ZHANG_ID not in html and "张三丰" not in html


def test_it_audits_the_view_of_the_quarantined_rows(cast, login, hukou_batch):
    # given city staff
    client = login(cast["city_staff"])

    # when they open the batch
    client.get(url(hukou_batch))

    # then a view event names the batch and the rows shown
    event = AuditEvent.objects.get(event_type=EventType.VIEW, object_type="batch")
    assert event.object_id == str(hukou_batch.pk)
    assert event.details["quarantined_rows"] == [3, 5, 8]


def test_it_pages_the_quarantined_rows(cast, login, hukou_batch, crypto):
    # given a batch with 120 quarantined rows
    for row in range(100, 217):
        QuarantinedRow.objects.create(
            batch=hukou_batch,
            row=row,
            column="birth_date",
            raw_value_enc=crypto.encrypt("x"),
            reason_code="bad_date",
            reason="",
        )
    client = login(cast["city_staff"])

    # when they open the third page
    response = client.get(url(hukou_batch), {"page": 3})

    # then it holds the last 20 rows
    assert [r.row for r in response.context["rows"]] == list(range(197, 217))


def test_it_needs_the_same_queries_for_a_full_page_as_for_a_short_one(
    cast, login, hukou_batch, crypto, django_assert_num_queries
):
    # given city staff who have opened the batch once
    client = login(cast["city_staff"])
    client.get(url(hukou_batch))

    # when the page is opened with three rows and again with a full page of fifty
    with django_assert_num_queries(14) as few:
        client.get(url(hukou_batch))
    for row in range(100, 160):
        QuarantinedRow.objects.create(
            batch=hukou_batch,
            row=row,
            column="birth_date",
            raw_value_enc=crypto.encrypt("x"),
            reason_code="bad_date",
            reason="",
        )
    with django_assert_num_queries(14) as many:
        client.get(url(hukou_batch))

    # then the rows add no query (one for the page, one for the count, one audit event)
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize("who", ["clerk", "outsider", "viewer", "supervision", "sys_admin"])
def test_it_refuses_everyone_but_city_staff_and_audits_it(cast, login, hukou_batch, who):
    # given a user who is not city staff
    client = login(cast[who])

    # when they open the batch
    response = client.get(url(hukou_batch))

    # then they are refused, the refusal is audited, and nothing was viewed
    assert response.status_code == 403
    assert AuditEvent.objects.filter(
        event_type=EventType.DENIED, object_type="batch", object_id=str(hukou_batch.pk)
    ).exists()
    assert not AuditEvent.objects.filter(event_type=EventType.VIEW).exists()


def test_it_answers_404_for_a_batch_that_does_not_exist(cast, login, db):
    # given city staff
    client = login(cast["city_staff"])

    # when they open a batch number that does not exist
    response = client.get(reverse("sources:batch_detail", args=[999999]))

    # then the answer is 404
    assert response.status_code == 404
