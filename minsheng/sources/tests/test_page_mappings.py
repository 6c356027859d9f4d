"""The departments' mappings page /sources/mappings/: every saved mapping, per source."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent, EventType
from minsheng.sources.models import CodeMapping, ColumnMapping

URL = reverse("sources:mapping_list")


@pytest.fixture
def mappings(cast):
    staff = cast["city_staff"]
    return {
        "column": ColumnMapping.objects.create(
            source="mz_assistance", header="家庭人口数", column="household_size", created_by=staff
        ),
        "ignored": ColumnMapping.objects.create(
            source="mz_assistance", header="备注", column="", created_by=staff
        ),
        "code": CodeMapping.objects.create(
            source="mz_assistance", column="assistance_status", label="保障中", code="1"
        ),
        "other": ColumnMapping.objects.create(
            source="gongan_hukou", header="现住地", column="hukou_address"
        ),
    }


def test_it_lists_the_mappings_per_source_with_their_labels(cast, login, mappings):
    # given city staff
    client = login(cast["city_staff"])

    # when they open the page
    response = client.get(URL)

    # then the sources are listed in registry order, each with its mappings in Chinese
    assert response.status_code == 200
    sources = response.context["sources"]
    assert [s["name"] for s in sources] == ["gongan_hukou", "mz_assistance"]
    mz = sources[1]
    assert mz["department"] == "民政局"
    assert [(m.header, m.column_label) for m in mz["columns"]] == [
        ("备注", ""),
        ("家庭人口数", "保障人口"),
    ]
    [code] = mz["codes"]
    assert (code.column_label, code.label, code.code, code.code_label) == (
        "保障状态",
        "保障中",
        "1",
        "在保",
    )
    # with a delete form for each
    html = response.content.decode()
    for m in ("column", "ignored", "other"):
        assert reverse("sources:column_mapping_delete", args=[mappings[m].pk]) in html
    assert reverse("sources:code_mapping_delete", args=[mappings["code"].pk]) in html


def test_it_needs_the_same_queries_for_many_mappings_as_for_a_few(
    cast, login, mappings, django_assert_num_queries
):
    # given city staff who have opened the page once
    client = login(cast["city_staff"])
    client.get(URL)

    # when it is opened with four mappings and again with forty more
    with django_assert_num_queries(7) as few:
        client.get(URL)
    for n in range(20):
        ColumnMapping.objects.create(
            source="va_veterans", header=f"列{n}", column="", created_by=cast["city_staff"]
        )
        CodeMapping.objects.create(
            source="va_veterans", column="resettlement", label=f"方式{n}", code="1"
        )
    with django_assert_num_queries(7) as many:
        client.get(URL)

    # then the mappings add no query (one per table, whoever saved them)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_it_says_so_when_there_is_none(cast, login, db):
    response = login(cast["city_staff"]).get(URL)
    assert 'data-testid="no-mappings"' in response.content.decode()


@pytest.mark.parametrize("who", ["clerk", "viewer", "outsider", "grid_worker", "sec_admin"])
def test_it_refuses_everyone_but_city_staff_and_audits_it(cast, login, mappings, who):
    response = login(cast[who]).get(URL)
    assert response.status_code == 403
    assert AuditEvent.objects.filter(
        event_type=EventType.DENIED, object_type="source_mappings"
    ).exists()
