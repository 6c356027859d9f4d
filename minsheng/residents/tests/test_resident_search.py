import pytest
from django.urls import reverse

from minsheng.audit.models import AuditEvent
from minsheng.residents.tests.conftest import LI_ID, ZHANG_ID


def search(client, **params):
    return client.get(reverse("residents:search"), params)


def ids(response):
    return [r["person_id"] for r in response.context["rows"]]


@pytest.mark.django_db
def test_it_finds_a_person_by_full_id_through_the_blind_index(cast, people, login):
    # Given the clerk of 清泉社区
    client = login(cast["clerk"])
    # When they search 张三丰's ID number typed the way people type it
    messy = f" {ZHANG_ID[:6]} {ZHANG_ID[6:14]}-{ZHANG_ID[14:].lower()} "
    response = search(client, q=messy)
    # Then exactly he is found, with his ID masked
    assert ids(response) == [people["zhang"].pk]
    body = response.content.decode()
    assert ZHANG_ID not in body and f"{ZHANG_ID[:6]}********{ZHANG_ID[-4:]}" in body


@pytest.mark.django_db
def test_it_finds_people_by_exact_name_or_its_start(cast, people, login):
    # Given the clerk
    client = login(cast["clerk"])
    # When they search a surname, then a full name
    by_prefix = search(client, q="张")
    exact = search(client, q="张伟")
    # Then the prefix finds both, the full name one, names masked
    assert sorted(ids(by_prefix)) == sorted([people["zhang"].pk, people["wei"].pk])
    assert ids(exact) == [people["wei"].pk]
    assert "张伟" not in exact.content.decode().split('name="q"')[1].split("</form>")[1]


@pytest.mark.django_db
def test_it_filters_by_community(cast, people, login, areas):
    # Given the street clerk of 新华街道, where both 张 live in 清泉社区
    client = login(cast["street_clerk"])
    # When they filter by 新南社区
    response = search(client, q="张", community=areas["xinnan"].code)
    # Then nobody is found; 清泉社区 finds both
    assert ids(response) == []
    assert len(ids(search(client, q="张", community=areas["qingquan"].code))) == 2


@pytest.mark.django_db
def test_it_searches_only_the_users_area(cast, people, login):
    # Given the outsider of 巴音赛街道
    client = login(cast["outsider"])
    # When they search 张三丰's ID and the name 李四
    # Then 张三丰 is not found, 李四 (their resident) is
    assert ids(search(client, q=ZHANG_ID)) == []
    assert ids(search(client, q=LI_ID)) == [people["li"].pk]


@pytest.mark.django_db
def test_it_audits_searches_that_return_people_without_the_id_number(cast, people, login):
    # Given the clerk
    client = login(cast["clerk"])
    # When they search by ID number, and by a name that finds nobody
    search(client, q=ZHANG_ID)
    search(client, q="王")
    # Then one view event records the query shape and who was shown, never the number
    event = AuditEvent.objects.get(event_type="view", object_type="resident_search")
    assert event.details["query"] == "id_number"
    assert event.details["persons"] == [people["zhang"].pk]
    assert ZHANG_ID not in str(event.details) and ZHANG_ID not in event.reason


@pytest.mark.django_db
def test_it_rejects_an_invalid_id_number(cast, people, login):
    client = login(cast["clerk"])
    response = search(client, q=ZHANG_ID[:-1] + ("0" if ZHANG_ID[-1] != "0" else "1"))
    assert response.context["form"].errors["q"]
    assert response.context["page"] is None


@pytest.mark.django_db
def test_it_lists_nothing_until_asked(cast, people, login):
    client = login(cast["clerk"])
    response = search(client)
    assert response.status_code == 200 and response.context["page"] is None
    assert not AuditEvent.objects.filter(event_type="view").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["sys_admin", "audit_admin", "supervision"])
def test_it_refuses_administrators_and_supervision(cast, people, login, role):
    client = login(cast[role])
    assert search(client, q="张").status_code == 403
    assert AuditEvent.objects.filter(event_type="denied", actor_username=role).exists()


@pytest.mark.django_db
def test_it_pages_the_list_in_a_fixed_number_of_queries(
    cast, people, login, crypto, batches, areas, django_assert_num_queries
):
    # Given 45 more residents named 张 in 清泉社区
    from datetime import date

    from minsheng.residents.tests.conftest import id_number, make_person

    for n in range(45):
        make_person(
            crypto,
            batches["gongan_hukou"],
            id_number(f"15030219800101{n:03d}"),
            f"张{n:02d}",
            "1",
            date(1980, 1, 1),
            areas["grids"]["qingquan1"],
        )
    client = login(cast["clerk"])
    search(client, q="张")
    # When the clerk lists page 2: session, user, communities, count, page, then the audit
    # event (savepoint, chain head, insert, head update, release) and the session save
    # (savepoint, update, release); none of it grows with the page's rows
    with django_assert_num_queries(13):
        response = search(client, q="张", page=2)
    # Then a page of 20 shows, with links to the next
    assert len(response.context["rows"]) == 20 and response.context["page"].has_next()
    assert "page=3" in response.content.decode()
