"""The service trajectory from a person's fact rows, and the portrait on the profile page."""

from __future__ import annotations

import sys
import types
from datetime import date, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from minsheng.residents.tests.conftest import make_batch
from minsheng.screening.tags import recompute_tags
from minsheng.screening.tests.test_tags import resident
from minsheng.screening.timeline import READERS, service_events
from minsheng.sources.models import fact_model

LOADED = timezone.make_aware(datetime(2026, 3, 5, 9, 0))


def fact(source: str, person, row: int = 1, day: str = "20260301", crypto=None, **values):
    batch = make_batch(source, f"{day}r{row}x")
    extra = {}
    if crypto is not None:
        extra = {
            "id_number_enc": crypto.encrypt("150302199001011237"),
            "id_number_hash": crypto.blind_index("150302199001011237"),
        }
    return fact_model(source).objects.create(
        batch=batch,
        row=row,
        loaded_at=LOADED,
        person=person,
        link_method="exact",
        **extra,
        **values,
    )


def at(y, m, d, hour=10):
    return timezone.make_aware(datetime(y, m, d, hour, 0))


@pytest.fixture
def veteran(crypto, areas):
    """A veteran in 清泉社区 with a record in every source the trajectory reads."""
    person = resident(
        crypto,
        areas,
        1,
        age=36,
        employment_status="2",
        veterans_veteran=True,
        insurance_any_pension=True,
    )
    fact("va_veterans", person, discharge_date=date(2012, 9, 1), resettlement="自主就业")
    fact(
        "edu_graduates",
        person,
        graduation_date=date(2015, 6, 30),
        school="内蒙古大学",
        major="计算机",
        level="本科",
    )
    fact(
        "rs_insurance",
        person,
        first_insured_date=date(2015, 8, 1),
        scheme_name="企业职工基本养老保险",
    )
    fact("sbk_card", person, issue_date=date(2016, 3, 10), generation="第三代", card_status="正常")
    fact(
        "rs_employment",
        person,
        registration_type="失业登记",
        registration_type_code="U",
        registration_date=date(2024, 11, 5),
        unemployment_reason="单位裁员",
        crypto=crypto,
    )
    fact(
        "rs_handling_log",
        person,
        matter="失业保险金申领",
        accepted_at=at(2024, 11, 6),
        handled_at=at(2024, 11, 8),
        office="海勃湾区人社局",
        result="办结",
        crypto=crypto,
    )
    fact(
        "rs_handling_log",
        person,
        row=2,
        matter="职业培训补贴申领",
        accepted_at=at(2025, 5, 2),
        office="海勃湾区人社局",
        result="受理",
    )
    fact("mz_assistance", person, assistance_type="低保", approval_date=date(2025, 1, 15))
    fact("cl_disability", person, issue_date=date(2023, 4, 1), disability_type="肢体", grade="三级")
    fact("rs_pension", person, pension_start=None, last_certification_date=None)
    return person


@pytest.mark.django_db
def test_it_lists_the_service_events_newest_first_from_every_source(veteran):
    # Given a veteran with records from nine departments' sources
    # When the trajectory is read
    events = service_events(veteran.pk)
    # Then every record appears once, newest first, with its source
    assert [e["date"] for e in events] == sorted((e["date"] for e in events), reverse=True)
    assert [(e["date"].isoformat(), e["kind"], e["source"]) for e in events] == [
        ("2025-05-02", "applied", "rs_handling_log"),
        ("2025-01-15", "assistance", "mz_assistance"),
        ("2024-11-08", "handled", "rs_handling_log"),
        ("2024-11-05", "unemployment", "rs_employment"),
        ("2023-04-01", "disability", "cl_disability"),
        ("2016-03-10", "card", "sbk_card"),
        ("2015-08-01", "insured", "rs_insurance"),
        ("2015-06-30", "graduation", "edu_graduates"),
        ("2012-09-01", "discharge", "va_veterans"),
    ]
    handled = events[2]
    assert handled["title"] == "失业保险金申领"
    assert handled["detail"] == "办结 · 海勃湾区人社局"
    assert handled["source_label"] == "人社局 业务经办日志"
    assert events[-1]["detail"] == "自主就业"


@pytest.mark.django_db
def test_it_shows_no_id_numbers_and_no_disability_grade(veteran):
    # Given the veteran's facts carry his ID number and his disability type and grade
    # When the trajectory is read
    text = repr(service_events(veteran.pk))
    # Then neither appears
    assert "150302199001011237" not in text and "sm4gcm" not in text
    assert "肢体" not in text and "三级" not in text


@pytest.mark.django_db
def test_it_shows_a_fact_repeated_in_later_exports_once(crypto, areas):
    # Given the same card issue in two monthly exports
    person = resident(crypto, areas, 1)
    fact("sbk_card", person, row=1, day="20260101", issue_date=date(2016, 3, 10))
    fact("sbk_card", person, row=2, day="20260201", issue_date=date(2016, 3, 10))
    # When the trajectory is read
    events = service_events(person.pk)
    # Then the issue is listed once
    assert [e["kind"] for e in events] == ["card"]


@pytest.mark.django_db
def test_it_reads_one_query_per_source_at_most(veteran, django_assert_max_num_queries, monkeypatch):
    # Given the veteran with many handling records (and no benefits module: its queries are
    # its own)
    monkeypatch.setitem(sys.modules, "minsheng.benefits.timeline", None)
    for n in range(20):
        fact("rs_handling_log", veteran, row=10 + n, matter=f"事项{n}", handled_at=at(2020, 1, 1))
    # When the trajectory is read
    with django_assert_max_num_queries(len(READERS)):
        events = service_events(veteran.pk)
    # Then all of them are there
    assert sum(e["kind"] == "handled" for e in events) == 21


@pytest.mark.django_db
def test_it_adds_the_benefit_events_when_the_benefits_module_exists(veteran, monkeypatch):
    # Given a benefits module that knows of a subsidy paid to the veteran
    module = types.ModuleType("minsheng.benefits.timeline")
    module.events_for = lambda pid: (
        [
            {
                "date": date(2025, 12, 1),
                "kind": "benefit",
                "title": "求职创业补贴",
                "detail": "已发放",
            }
        ]
        if pid == veteran.pk
        else []
    )
    monkeypatch.setitem(sys.modules, "minsheng.benefits", types.ModuleType("minsheng.benefits"))
    monkeypatch.setitem(sys.modules, "minsheng.benefits.timeline", module)
    # When the trajectory is read
    events = service_events(veteran.pk)
    # Then the subsidy is the newest event
    assert (events[0]["title"], events[0]["kind"], events[0]["source"]) == (
        "求职创业补贴",
        "benefit",
        "benefits",
    )


def profile(client, person):
    return client.get(reverse("residents:profile", args=[person.pk]))


@pytest.mark.django_db
def test_it_shows_the_portrait_tags_and_trajectory_to_the_owner_clerk(cast, login, veteran):
    # Given the veteran's tags were computed
    recompute_tags()
    # When the clerk of his community opens his profile
    response = profile(login(cast["clerk"]), veteran)
    # Then the portrait shows his tags by group, key figures and his trajectory
    assert response.status_code == 200
    body = response.content.decode()
    portrait = response.context["portrait"]
    groups = dict(portrait["tag_groups"])
    assert [t.code for t in groups["身份"]] == ["veteran"]
    assert "unemployed" in [t.code for t in groups["就业"]]
    assert 'data-testid="portrait"' in body and 'data-tag="veteran"' in body
    assert "退役军人" in body and "失业保险金申领" in body and "内蒙古大学" in body
    assert body.index('data-testid="portrait"') < body.index('data-testid="category-identity"')
    values = [v for _, v in portrait["figures"]]
    assert "36" in values and "登记失业" in values
    assert "150302199001011237" not in body


@pytest.mark.django_db
def test_it_still_hides_the_profile_from_an_outsider(cast, login, veteran):
    # Given tags computed for the veteran
    recompute_tags()
    # When the clerk of another street asks for his profile
    response = profile(login(cast["outsider"]), veteran)
    # Then it does not exist for them
    assert response.status_code == 404


@pytest.mark.django_db
def test_it_keeps_the_profile_query_count_bounded_with_the_portrait(
    cast, login, veteran, django_assert_max_num_queries
):
    # Given the clerk has opened the veteran's profile once (caches warm)
    recompute_tags()
    client = login(cast["clerk"])
    profile(client, veteran)
    with django_assert_max_num_queries(60) as before:
        profile(client, veteran)
    # When many more handling records and tags arrive
    for n in range(30):
        fact("rs_handling_log", veteran, row=100 + n, matter=f"事项{n}", handled_at=at(2021, 1, 1))
    recompute_tags()
    # Then the page needs no more queries than before
    with django_assert_max_num_queries(len(before.captured_queries)):
        response = profile(client, veteran)
    assert len(response.context["portrait"]["events"]) > 30
