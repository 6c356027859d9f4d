import pytest
from django.urls import reverse
from django.utils import translation

from minsheng.audit.models import AuditEvent
from minsheng.residents.tests.conftest import (
    ADDRESS_OLD,
    PHONE_NOW,
    PHONE_OLD,
    ZHANG_ID,
)
from minsheng.sources.models import LinkMethod


def profile_url(person):
    return reverse("residents:profile", args=[person.pk])


def row_of(response, code):
    return next(r for g in response.context["groups"] for r in g["rows"] if r["item"].code == code)


@pytest.mark.django_db
def test_it_shows_the_owner_clerk_all_13_categories_with_sources_and_dates(cast, people, login):
    # Given the clerk of 清泉社区, where 张三丰 lives
    client = login(cast["clerk"])
    # When they open his archive
    response = client.get(profile_url(people["zhang"]))
    # Then every category and item is there, with its source and date
    assert response.status_code == 200
    groups = response.context["groups"]
    assert len(groups) == 13 and sum(len(g["rows"]) for g in groups) == 122
    employer = row_of(response, "employment.employer")
    assert employer["value"] == "乌海市清泉物业有限公司"
    assert employer["source"] == "人社局就业科 就业失业登记"
    assert employer["at"].isoformat() == "2025-06-01"
    body = response.content.decode()
    assert "社会保险" in body and "市场主体" in body


@pytest.mark.django_db
def test_it_shows_code_values_as_labels_and_marks_derived_items(cast, people, login):
    # Given the clerk
    client = login(cast["clerk"])
    # When they open the archive
    response = client.get(profile_url(people["zhang"]))
    # Then codes read as their Chinese labels and derived items say so
    assert row_of(response, "identity.sex")["value"] == "男"
    assert row_of(response, "employment.form")["value"] == "单位就业"
    assert row_of(response, "identity.survival_status")["value"] == "生存"
    age = row_of(response, "identity.age")
    assert age["derived"] and age["value"] == "36 岁"
    assert not row_of(response, "identity.name")["derived"]
    # A sensitive amount cannot be partly hidden, so it is hidden until revealed
    amount = row_of(response, "benefits.pension_amount")
    assert amount["masked"] and amount["value"] == "***"


@pytest.mark.django_db
def test_it_lets_a_street_clerk_of_the_same_area_see_the_profile(cast, people, login):
    # Given the clerk of 新华街道, the street above 清泉社区
    client = login(cast["street_clerk"])
    # When they open 张三丰's archive
    response = client.get(profile_url(people["zhang"]))
    # Then they see it
    assert response.status_code == 200
    assert response.context["resident"].person_id == people["zhang"].pk


@pytest.mark.django_db
def test_it_masks_sensitive_values_and_never_sends_the_full_id(cast, people, login):
    # Given the clerk, who has not asked to see full values
    client = login(cast["clerk"])
    # When they open the archive
    response = client.get(profile_url(people["zhang"]))
    # Then names, ID numbers, phones and addresses are masked everywhere in the HTML
    body = response.content.decode()
    assert ZHANG_ID not in body and PHONE_NOW not in body and PHONE_OLD not in body
    assert "张三丰" not in body and "张**" in body
    assert f"{ZHANG_ID[:6]}********{ZHANG_ID[-4:]}" in body
    assert row_of(response, "identity.phone")["value"] == "138****5678"
    assert ADDRESS_OLD not in body


@pytest.mark.django_db
def test_it_shows_values_other_sources_hold_as_conflicts(cast, people, login):
    # Given 张三丰's phone came from the grid census, and the employment register still has
    # an older one and another address
    client = login(cast["clerk"])
    # When the clerk opens the archive
    response = client.get(profile_url(people["zhang"]))
    # Then the older values are listed, masked, with their source and date
    phone = row_of(response, "identity.phone")
    assert phone["conflicts"] == [
        {
            "value": "139****1111",
            "date": phone["conflicts"][0]["date"],
            "sources": ["人社局就业科 就业失业登记"],
        }
    ]
    assert phone["conflicts"][0]["date"].isoformat() == "2025-06-01"
    address = row_of(response, "residence.address")
    assert [c["sources"] for c in address["conflicts"]] == [["人社局就业科 就业失业登记"]]
    # and agreeing sources are no conflict
    assert row_of(response, "identity.id_number")["conflicts"] == []


@pytest.mark.django_db
def test_it_lists_the_history_of_a_value_newest_first_with_its_link_method(cast, people, login):
    # Given the clerk
    client = login(cast["clerk"])
    # When they open the archive
    response = client.get(profile_url(people["zhang"]))
    # Then each value's fact rows are listed newest first with file, row and link method
    history = row_of(response, "identity.phone")["history"]
    assert [(h["file_name"], h["row"]) for h in history] == [
        ("grid_census_20260301.csv", 7),
        ("rs_employment_20250601.csv", 12),
    ]
    assert history[0]["current"] and not history[1]["current"]
    with translation.override("zh-hans"):
        exact, probabilistic = str(LinkMethod.EXACT.label), str(LinkMethod.PROBABILISTIC.label)
    assert history[0]["link"] == exact
    assert history[1]["link"].startswith(probabilistic) and "14.2" in history[1]["link"]
    ids = row_of(response, "identity.id_number")["history"]
    assert len(ids) == 4 and all(
        h["value"] == f"{ZHANG_ID[:6]}********{ZHANG_ID[-4:]}" for h in ids
    )


@pytest.mark.django_db
def test_it_shows_the_full_history_of_one_item_on_its_own_page(cast, people, login):
    # Given the clerk
    client = login(cast["clerk"])
    # When they open the history of the address
    url = reverse("residents:item_history", args=[people["zhang"].pk, "residence.address"])
    response = client.get(url)
    # Then both sources' rows are listed, masked to the community
    assert response.status_code == 200
    assert [h["source"] for h in response.context["history"]] == [
        "市域社会治理指挥中心 网格人口采集",
        "人社局就业科 就业失业登记",
    ]
    assert all(h["value"] == "海勃湾区新华街道清泉社区***" for h in response.context["history"])
    # and an unknown item is a 404
    bad = reverse("residents:item_history", args=[people["zhang"].pk, "identity.nope"])
    assert client.get(bad).status_code == 404


@pytest.mark.django_db
def test_it_audits_every_view_of_a_profile(cast, people, login):
    # Given the clerk
    client = login(cast["clerk"])
    # When they open the archive twice
    client.get(profile_url(people["zhang"]))
    client.get(profile_url(people["zhang"]))
    # Then two view events name the person
    events = AuditEvent.objects.filter(event_type="view", object_type="resident")
    assert [(e.actor_username, e.object_id) for e in events] == [
        ("clerk", str(people["zhang"].pk))
    ] * 2
    assert events[0].details == {"revealed": False}


@pytest.mark.django_db
def test_it_shows_the_viewer_masked_values_without_a_reveal_form(cast, people, login):
    # Given the read-only user of 海勃湾区
    client = login(cast["viewer"])
    # When they open the archive
    response = client.get(profile_url(people["zhang"]))
    # Then they see it masked, with no way to ask for more
    assert response.status_code == 200
    assert row_of(response, "identity.name")["value"] == "张**"
    assert not response.context["may_reveal"]
    assert reverse("residents:reveal", args=[people["zhang"].pk]) not in response.content.decode()


@pytest.mark.django_db
def test_it_refuses_an_outsider_with_a_404_and_a_denied_event(cast, people, login):
    # Given the clerk of 巴音赛街道
    client = login(cast["outsider"])
    # When they try 张三丰's archive in 清泉社区
    response = client.get(profile_url(people["zhang"]))
    # Then it is not found, and the attempt is audited
    assert response.status_code == 404
    event = AuditEvent.objects.get(event_type="denied")
    assert (event.actor_username, event.object_type, event.object_id) == (
        "outsider",
        "resident",
        str(people["zhang"].pk),
    )
    assert not AuditEvent.objects.filter(event_type="view").exists()
    # while their own resident opens
    assert client.get(profile_url(people["li"])).status_code == 200


@pytest.mark.django_db
def test_it_answers_a_missing_person_like_an_outsider(cast, people, login):
    client = login(cast["clerk"])
    assert client.get(reverse("residents:profile", args=[999999])).status_code == 404
    assert AuditEvent.objects.filter(event_type="denied", object_id="999999").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["sys_admin", "sec_admin", "audit_admin", "supervision"])
def test_it_shows_administrators_and_supervision_nothing(cast, people, login, role):
    # Given an account that never sees personal data
    client = login(cast[role])
    # When it tries a profile and its history
    response = client.get(profile_url(people["zhang"]))
    history = client.get(
        reverse("residents:item_history", args=[people["zhang"].pk, "identity.phone"])
    )
    # Then both are refused (the role sees no personal data), and denied in the trail
    assert response.status_code == 403 and history.status_code == 403
    assert AuditEvent.objects.filter(event_type="denied", actor_username=role).count() == 2


@pytest.mark.django_db
def test_it_lets_a_grid_worker_see_their_grid_only(cast, people, login):
    # Given the grid worker of 清泉社区 grid 1, where 张三丰 lives and 张伟 does not
    client = login(cast["grid_worker"])
    # Then 张三丰 opens (masked) and 张伟 does not
    response = client.get(profile_url(people["zhang"]))
    assert response.status_code == 200 and not response.context["may_reveal"]
    assert client.get(profile_url(people["wei"])).status_code == 404


@pytest.mark.django_db
def test_it_keeps_the_query_count_bounded_whatever_the_facts(
    cast, people, login, batches, crypto, django_assert_max_num_queries
):
    # Given the clerk, who has opened the page once (session and caches are warm)
    client = login(cast["clerk"])
    client.get(profile_url(people["zhang"]))
    # (one query per source of the service trajectory: 42 since grid visits joined it)
    with django_assert_max_num_queries(42) as before:
        client.get(profile_url(people["zhang"]))
    # When many more fact rows arrive for him
    from minsheng.sources.models import fact_model

    for n in range(30):
        fact_model("grid_census").objects.create(
            batch=batches["grid_census"],
            row=100 + n,
            loaded_at=batches["grid_census"].created_at,
            person=people["zhang"],
            link_method="exact",
            address=f"海勃湾区新华街道清泉社区{n}号楼",
        )
    # Then the page needs no more queries than before: one per source at most
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(profile_url(people["zhang"]))


@pytest.mark.django_db
def test_it_calls_no_value_a_conflict_when_the_archive_left_the_item_empty(
    cast, people, login, batches
):
    # Given an employment register row with a registration date the archive did not take
    from datetime import date

    from minsheng.sources.models import fact_model

    fact_model("rs_employment").objects.create(
        batch=batches["rs_employment"],
        row=40,
        loaded_at=batches["rs_employment"].created_at,
        person=people["zhang"],
        link_method="exact",
        registration_date=date(2024, 3, 1),
    )
    client = login(cast["clerk"])
    # When the clerk opens 张三丰's archive
    response = client.get(profile_url(people["zhang"]))
    # Then the row is in the item's history, but no conflict with an empty value
    row = row_of(response, "unemployment.registration_date")
    assert row["value"] is None and row["history_total"] == 1
    assert row["conflicts"] == []
