"""The doorplate page's rate limit: per client address (per account when signed in),
counted before the token is looked up."""
# ruff: noqa: F811 (house_world, a fixture imported from doorplate_world, is a parameter)

import secrets

import pytest
from django.core.cache import cache
from django.urls import reverse

from .doorplate_world import house_world  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit(settings):
    settings.DOORPLATE_RATE_LIMIT = 3
    settings.DOORPLATE_RATE_WINDOW = 60
    yield 3
    cache.clear()  # the exhausted counter of 127.0.0.1 must not refuse later tests


def url(token):
    return reverse("grid:doorplate", args=[token])


def test_it_refuses_the_request_over_the_limit_with_429_in_chinese(client, house_world, limit):
    token = house_world["house"].doorplate_token
    for _ in range(limit):
        assert client.get(url(token)).status_code == 200

    response = client.get(url(token))

    assert response.status_code == 429
    assert "访问过于频繁" in response.content.decode()
    assert 1 <= int(response["Retry-After"]) <= 61
    assert response["Referrer-Policy"] == "no-referrer"
    assert "清泉社区" not in response.content.decode()


def test_it_counts_unknown_tokens_too(client, house_world, limit):
    for _ in range(limit):
        assert client.get(url(secrets.token_urlsafe(18))).status_code == 404

    # the next one is refused whatever it asks, known or not
    assert client.get(url(house_world["house"].doorplate_token)).status_code == 429
    assert client.get(url(secrets.token_urlsafe(18))).status_code == 429


def test_it_counts_each_client_address_apart(client, house_world, limit, settings):
    settings.TRUSTED_PROXIES = 0
    token = house_world["house"].doorplate_token
    for _ in range(limit + 1):
        client.get(url(token), REMOTE_ADDR="10.1.1.1")

    assert client.get(url(token), REMOTE_ADDR="10.1.1.1").status_code == 429
    assert client.get(url(token), REMOTE_ADDR="10.1.1.2").status_code == 200


def test_it_takes_the_address_the_trusted_proxy_saw(client, house_world, limit, settings):
    settings.TRUSTED_PROXIES = 1
    token = house_world["house"].doorplate_token
    for n in range(limit):
        # what the client claims left of the proxy's entry changes nothing
        client.get(url(token), HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.9")

    blocked = client.get(url(token), HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.9")
    other = client.get(url(token), HTTP_X_FORWARDED_FOR="203.0.113.10")

    assert (blocked.status_code, other.status_code) == (429, 200)


def test_it_counts_a_signed_in_worker_by_account(client, login, house_world, limit):
    token = house_world["house"].doorplate_token
    for _ in range(limit):
        client.get(url(token))  # anonymous, from the same address
    login(house_world["worker"])

    response = client.get(url(token))

    assert response.status_code == 200
    assert "data-person" in response.content.decode()
