import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_it_lists_all_122_items_in_13_categories(cast, login, django_assert_max_num_queries):
    client = login(cast["clerk"])
    client.get(reverse("residents:dictionary"))
    with django_assert_max_num_queries(5):
        response = client.get(reverse("residents:dictionary"))
    assert response.context["shown"] == 122 and len(response.context["groups"]) == 13
    body = response.content.decode()
    assert "公民身份号码" in body and "市场主体" in body


@pytest.mark.django_db
def test_it_filters_by_category_and_text(cast, login):
    client = login(cast["clerk"])
    response = client.get(reverse("residents:dictionary"), {"category": "card"})
    assert [cat.code for cat, _ in response.context["groups"]] == ["card"]
    response = client.get(reverse("residents:dictionary"), {"q": "身份号码"})
    assert any(
        r["item"].code == "identity.id_number"
        for _, rows in response.context["groups"]
        for r in rows
    )


@pytest.mark.django_db
def test_it_sends_anonymous_users_to_login(client):
    response = client.get(reverse("residents:dictionary"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_it_shows_an_outsider_the_same_dictionary_since_it_holds_no_personal_data(cast, login):
    # Area scope applies to personal data; the dictionary describes the archive only.
    response = login(cast["outsider"]).get(reverse("residents:dictionary"))
    assert response.status_code == 200 and response.context["shown"] == 122
