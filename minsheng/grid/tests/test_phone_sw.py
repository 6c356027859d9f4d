"""The service worker of the phone pages (`grid:phone_sw`), served under /grid/m/."""

import json
import re

import pytest
from django.templatetags.static import static
from django.urls import reverse

pytestmark = pytest.mark.django_db


def config(response) -> dict:
    body = response.content.decode()
    return json.loads(re.search(r"^const CONFIG = (.*);$", body, re.M).group(1))


def test_it_serves_the_worker_with_the_scope_of_the_phone_pages(client):
    response = client.get(reverse("grid:phone_sw"))
    assert response.status_code == 200  # no login: an update check must not be redirected
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Cache-Control"] == "no-cache"
    assert reverse("grid:phone_sw").startswith(reverse("grid:phone_tasks"))
    assert response["Service-Worker-Allowed"] == reverse("grid:phone_tasks")
    cfg = config(response)
    assert cfg["list"] == reverse("grid:phone_tasks")
    assert static("grid/phone.js") in cfg["assets"] and static("grid/phone.css") in cfg["assets"]
    # the page shown for a page not kept, in the request's language
    assert "此页面未保存在手机上" in cfg["offline"]


def test_it_changes_its_version_with_the_files_it_keeps(client, settings, tmp_path):
    first = config(client.get(reverse("grid:phone_sw")))["version"]
    own = tmp_path / "grid"
    own.mkdir()
    (own / "phone.js").write_text("// another build")
    settings.STATICFILES_DIRS = [tmp_path, *settings.STATICFILES_DIRS]
    assert config(client.get(reverse("grid:phone_sw")))["version"] != first


def test_it_is_the_same_for_everyone(client, login, cast):
    """Nothing of the user in it: the pages it keeps are fetched by the phone itself."""
    anonymous = client.get(reverse("grid:phone_sw")).content
    login(cast["grid_worker"])
    assert client.get(reverse("grid:phone_sw")).content == anonymous
