"""The unresolved records /sources/unresolved/ (per community, then the records) and one
record /sources/unresolved/<id>/ where a clerk resolves it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent, EventType
from minsheng.sources.models import LinkMethod, UnresolvedStatus, fact_model
from minsheng.sources.tests.conftest import ZHANG_ID

LIST = reverse("sources:unresolved_list")


def detail(record) -> str:
    return reverse("sources:unresolved_detail", args=[record.pk])


def listed(response) -> set[int]:
    return {r["record"].pk for r in response.context["rows"]}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("city_staff", {"qingquan", "bayinsai"}),
        ("clerk", {"qingquan"}),
        ("street_clerk", {"qingquan"}),
        ("viewer", {"qingquan"}),
        ("outsider", {"bayinsai"}),
    ],
)
def test_it_lists_the_records_of_the_users_area(cast, login, unresolved, who, expected):
    response = login(cast[who]).get(LIST)
    assert response.status_code == 200
    assert listed(response) == {unresolved[k].pk for k in expected}


def test_it_counts_them_per_community_with_their_age(cast, login, unresolved, areas):
    # given city staff
    response = login(cast["city_staff"]).get(LIST)
    # then each community has its count and the age of its oldest record
    by_area = {a["area_id"]: a for a in response.context["by_area"]}
    assert by_area[areas["qingquan"].pk]["n"] == 1
    assert by_area[areas["qingquan"].pk]["days"] == 0
    # and a community's link narrows the records to it
    narrowed = login(cast["city_staff"]).get(LIST, {"area": areas["qingquan"].pk})
    assert listed(narrowed) == {unresolved["qingquan"].pk}


def test_it_masks_names_and_audits_the_view(cast, login, unresolved):
    response = login(cast["clerk"]).get(LIST)
    html = response.content.decode()
    assert "张三丰" not in html and "张**" in html
    event = AuditEvent.objects.get(event_type=EventType.VIEW, object_type="unresolved_list")
    assert event.details["ids"] == [unresolved["qingquan"].pk]


def test_it_needs_the_same_queries_for_many_records_as_for_few(
    cast, login, unresolved, crypto, areas
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from minsheng.sources.tests.conftest import make_batch, make_unresolved

    client = login(cast["city_staff"])
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    batch = make_batch("rs_insurance", "20260402", rows_read=20, rows_accepted=20)
    for row in range(1, 21):
        make_unresolved(crypto, batch, row, areas["xinnan"], name="赵六", sex="1")
    with CaptureQueriesContext(connection) as many:
        client.get(LIST)
    # one more query for the second source's facts, none per record
    assert len(many.captured_queries) == len(few.captured_queries) + 1


def test_it_hides_another_areas_record(cast, login, unresolved):
    response = login(cast["outsider"]).get(detail(unresolved["qingquan"]))
    assert response.status_code == 404


def test_it_offers_the_same_named_person_of_the_area_masked(cast, login, unresolved):
    response = login(cast["clerk"]).get(detail(unresolved["qingquan"]))
    assert response.status_code == 200
    assert [c["pk"] for c in response.context["candidates"]] == [unresolved["zhang"].pk]
    html = response.content.decode()
    assert "张三丰" not in html and ZHANG_ID not in html
    assert AuditEvent.objects.filter(
        event_type=EventType.VIEW, object_type="unresolved_record"
    ).exists()


def test_it_matches_the_record_to_the_chosen_person(cast, login, unresolved):
    # when the clerk says the row is 张三丰's
    record = unresolved["qingquan"]
    response = login(cast["clerk"]).post(
        detail(record),
        {"decision": "match", "person": unresolved["zhang"].pk, "reason": "核对户籍，同一人"},
    )
    # then the row is his and the decision audited
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == UnresolvedStatus.MATCHED
    fact = fact_model("rs_employment").objects.get(pk=record.rows[0][1])
    assert fact.person_id == unresolved["zhang"].pk
    assert fact.link_method == LinkMethod.CLERICAL


def test_it_matches_by_an_id_number_the_clerk_checked(cast, login, unresolved):
    record = unresolved["qingquan"]
    login(cast["clerk"]).post(
        detail(record), {"decision": "match", "id_number": ZHANG_ID, "reason": "电话核实"}
    )
    record.refresh_from_db()
    assert record.person_id == unresolved["zhang"].pk


def test_it_refuses_an_id_number_of_nobody_in_the_area(cast, login, unresolved):
    from minsheng.sources.tests.conftest import LI_ID

    record = unresolved["qingquan"]
    response = login(cast["clerk"]).post(
        detail(record), {"decision": "match", "id_number": LI_ID, "reason": "x"}
    )
    assert response.status_code == 200
    assert "本辖区内没有该身份证号码的人员" in response.content.decode()
    record.refresh_from_db()
    assert record.status == UnresolvedStatus.PENDING


def test_it_refuses_the_read_only_user_and_audits_it(cast, login, unresolved):
    record = unresolved["qingquan"]
    response = login(cast["viewer"]).post(detail(record), {"decision": "new", "reason": "x"})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(
        object_type="unresolved_record", object_id=str(record.pk), result="denied"
    ).exists()
    record.refresh_from_db()
    assert record.status == UnresolvedStatus.PENDING


def test_it_sums_them_per_community_on_the_data_quality_page(cast, login, unresolved, areas):
    response = login(cast["city_staff"]).get(reverse("sources:quality"))
    assert response.status_code == 200
    assert response.context["totals"]["unresolved"] == 2
    names = {a["area__name"] for a in response.context["unresolved"]}
    assert names == {areas["qingquan"].name, areas["bayinsai_community"].name}
