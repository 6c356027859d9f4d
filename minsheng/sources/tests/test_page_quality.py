"""The data-quality page /sources/: per source its latest batches and their figures."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent, EventType

URL = reverse("sources:quality")


def test_it_shows_each_source_with_its_latest_batches_and_figures(cast, login, quality_batches):
    # given city staff and batches of two sources
    client = login(cast["city_staff"])

    # when they open the data-quality page
    response = client.get(URL)

    # then every source is listed, the batches carry their figures and the balance check
    assert response.status_code == 200
    sources = {s["name"]: s for s in response.context["sources"]}
    assert len(sources) == 14
    hukou = sources["gongan_hukou"]["batches"][0]
    assert (hukou.rows_read, hukou.rows_accepted, hukou.rows_quarantined) == (10, 7, 3)
    assert hukou.balanced
    assert {r["code"]: r["rows"] for r in hukou.reason_rows} == {
        "no_identifying_data": 1,
        "bad_date": 1,
        "malformed_row": 1,
    }
    methods = {m["method"]: m["rows"] for m in hukou.method_rows}
    assert list(methods) == [
        "exact",
        "repaired",
        "probabilistic",
        "clerical",
        "new",
        "review",
        "id_conflict",
        "unresolved",
    ]
    assert methods["exact"] == 4 and methods["probabilistic"] == 0
    assert hukou.conflict_total == 1
    assert [b.pk for b in sources["va_veterans"]["batches"]] == [
        quality_batches["va_latest"].pk,
        quality_batches["va_failed"].pk,
    ]
    assert sources["rs_pension"]["batches"] == []
    html = response.content.decode()
    assert 'data-testid="balanced"' in html and 'data-testid="unbalanced"' not in html
    assert reverse("sources:batch_detail", args=[hukou.pk]) in html


def test_it_flags_a_batch_whose_rows_do_not_add_up(cast, login, quality_batches):
    # given a batch that read more rows than it accepted and quarantined
    batch = quality_batches["va_latest"]
    batch.rows_read = 5
    batch.save()

    # when city staff open the page
    response = login(cast["city_staff"]).get(URL)

    # then that batch is marked unbalanced
    row = response.content.decode().split(f'data-testid="batch-{batch.pk}"')[1].split("</tr>")[0]
    assert 'data-testid="unbalanced"' in row


def test_it_keeps_only_the_latest_batches_of_a_source(cast, login, quality_batches):
    # given eight batches of one source
    from minsheng.sources.tests.conftest import make_batch

    made = [
        make_batch("rs_pension", f"202601{d:02d}", rows_read=1, rows_accepted=1)
        for d in range(1, 9)
    ]

    # when city staff open the page
    response = login(cast["city_staff"]).get(URL)

    # then only the five newest are listed, newest first
    sources = {s["name"]: s for s in response.context["sources"]}
    assert [b.pk for b in sources["rs_pension"]["batches"]] == [b.pk for b in made[::-1][:5]]


def test_it_needs_the_same_queries_for_many_batches_as_for_few(
    cast, login, quality_batches, django_assert_num_queries
):
    # given city staff who have opened the page once (session and user are warm)
    from minsheng.sources.tests.conftest import make_batch

    client = login(cast["city_staff"])
    client.get(URL)

    # when the page is opened with few batches and again with many more
    with django_assert_num_queries(8) as few:
        client.get(URL)
    for d in range(1, 13):
        make_batch("rs_insurance", f"202602{d:02d}", rows_read=1, rows_accepted=1)
    with django_assert_num_queries(8) as many:
        client.get(URL)

    # then the count of queries does not grow (session, user, batches, reviews, session save)
    assert len(few.captured_queries) == len(many.captured_queries)


@pytest.mark.parametrize(
    "who", ["clerk", "street_clerk", "viewer", "outsider", "grid_worker", "supervision"]
)
def test_it_refuses_everyone_but_city_staff_and_audits_it(cast, login, quality_batches, who):
    # given a user who is not city staff
    client = login(cast[who])

    # when they open the data-quality page
    response = client.get(URL)

    # then they are refused and the refusal is audited
    assert response.status_code == 403
    assert AuditEvent.objects.filter(
        event_type=EventType.DENIED, actor=cast[who], object_type="import_quality"
    ).exists()
