import os
from pathlib import Path

import pytest

from conftest import PASSWORD
from minsheng.screening.tests.conftest import batch, graduates  # noqa: F401  (fixtures)

SHOTS = Path(os.environ.get("MINSHENG_SCREENSHOTS", "var/screenshots"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_drills_down_a_theme_to_a_list_and_a_portrait(
    live_server,
    page,
    cast,
    areas,
    graduates,  # noqa: F811
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    # given city staff logged in
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "city_staff")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()

    # when they open the graduates theme from the screening index
    page.goto(f"{live_server.url}/screening/")
    assert page.locator("[data-testid=count-graduates]").inner_text() == "4"
    page.click("text=高校毕业生")
    page.wait_for_selector("[data-testid=children]")
    assert page.locator("[data-testid=total]").inner_text() == "4"
    page.wait_for_selector("#chart-area canvas")
    page.screenshot(path=str(SHOTS / "screening-theme-city.png"), full_page=True)

    # and drill down city → 海勃湾区 → 新华街道 → 清泉社区
    for name in ("海勃湾区", "新华街道", "清泉社区"):
        page.click(f"[data-testid=children] >> text={name}")
        page.wait_for_selector(f"h1:has-text('{name}')")
    assert page.locator("[data-testid=total]").inner_text() == "3"
    page.wait_for_selector("#chart-area canvas")
    page.screenshot(path=str(SHOTS / "screening-theme-community.png"), full_page=True)

    # and open the list of graduates not in work
    page.click("[data-testid=count-graduates_unemployed]")
    page.wait_for_selector("[data-testid=members]")
    assert page.locator("[data-testid=count]").inner_text() == "2"
    html = page.content()
    assert graduates["wang"][1] not in html
    assert "✓" in html
    page.screenshot(path=str(SHOTS / "screening-list.png"), full_page=True)

    # and a person's portrait
    page.click("[data-testid=members] >> text=王**")
    page.wait_for_url("**/archive/residents/*/")
    assert "王**" in page.content()
    page.screenshot(path=str(SHOTS / "screening-profile.png"), full_page=True)
