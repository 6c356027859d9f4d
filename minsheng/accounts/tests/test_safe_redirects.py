"""`?next=` is followed only to a path on this site: after the administrators' one-time code
and after login (no open redirect)."""

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD

EXTERNAL = [
    "https://evil.example/",
    "http://evil.example",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "https://testserver.evil.example/",
    "https://testserver/audit/",  # this host, but not a relative path
    " https://evil.example/",
]


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def verify(client, admin, next_url):
    device = TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    url = reverse("accounts:second_factor")
    return client.post(url + "?" + f"next={next_url}", {"token": current_code(device)})


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", EXTERNAL)
def test_it_does_not_follow_another_site_after_the_second_factor(cast, login, next_url):
    # Given an administrator at the one-time-code page, sent there by a crafted link
    client = login(cast["audit_admin"], second_factor=False)
    # When they enter a right code
    from urllib.parse import quote

    response = verify(client, cast["audit_admin"], quote(next_url, safe=""))
    # Then they land on the home page of this site, not the link's target
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
def test_it_returns_to_the_page_asked_for_after_the_second_factor(cast, login):
    # Given an administrator without a verified code asking for the audit trail
    client = login(cast["audit_admin"], second_factor=False)
    asked = reverse("audit:event_list") + "?result=denied"
    response = client.get(asked)
    # Then the one-time-code page remembers where they were going
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:second_factor") + "?next=")
    # And a right code takes them there
    device = TOTPDevice.objects.create(user=cast["audit_admin"], name="phone", confirmed=True)
    response = client.post(response["Location"], {"token": current_code(device)})
    assert response.status_code == 302 and response["Location"] == asked


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", EXTERNAL)
def test_it_does_not_follow_another_site_after_login(client, cast, next_url):
    login_url = reverse("accounts:login")
    page = client.get(login_url, {"next": next_url})
    assert next_url.strip() not in page.content.decode().replace("&amp;", "&")
    response = client.post(login_url, {"username": "clerk", "password": PASSWORD, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
def test_it_follows_a_path_on_this_site_after_login(client, cast):
    target = reverse("geo:area_detail", args=["150302001001"])
    response = client.post(
        reverse("accounts:login"), {"username": "clerk", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302 and response["Location"] == target
