import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_it_speaks_chinese_by_default(client):
    body = client.get(reverse("accounts:login")).content.decode()
    assert "人社数字赋能精准服务平台" in body and "登录" in body


@pytest.mark.django_db
def test_it_switches_to_english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(reverse("accounts:login")).content.decode()
    assert "HRSS precision service platform" in body and "人社数字赋能精准服务平台" not in body
