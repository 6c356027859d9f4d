import os
from pathlib import Path

import pytest

from conftest import PASSWORD

SHOTS = Path(os.environ.get("MINSHENG_SCREENSHOTS", "var/screenshots"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_logs_a_clerk_in_and_drills_down_their_community(live_server, page, cast, areas):
    page.goto(f"{live_server.url}/")
    assert "登录" in page.title()
    page.fill("#id_username", "street_clerk")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    page.wait_for_selector("[data-testid=children]")
    assert "新华街道" in page.locator("h1").inner_text()
    # at 1280 px the header names the user, and their role and area on hover
    whoami = page.locator("[data-testid=whoami]")
    assert "street_clerk" in whoami.inner_text()
    assert "街道（镇）经办人员" in whoami.get_attribute("title")
    page.click("text=清泉社区")
    page.wait_for_selector("text=清泉社区第1网格")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "area-community.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_locks_out_after_five_wrong_passwords_in_the_browser(live_server, page, cast):
    page.goto(f"{live_server.url}/accounts/login/")
    for _ in range(5):
        page.fill("#id_username", "clerk")
        page.fill("#id_password", "Wrong#Passw0rd")
        page.click("button[type=submit]")
    page.fill("#id_username", "clerk")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    assert "已被锁定" in page.locator("[data-testid=login-error]").inner_text()
