"""The pages at 375 px (a phone): the header collapses behind a menu button and no page is
wider than the screen (wide tables scroll inside their own box)."""

import os
from pathlib import Path

import pytest

from conftest import PASSWORD
from minsheng.grid.actions import do_staff_grids
from minsheng.screening.tests.conftest import batch, graduates  # noqa: F401  (fixtures)

SHOTS = Path(os.environ.get("MINSHENG_SCREENSHOTS", "var/screenshots"))
WIDTH = 375


def _fits(page, name: str) -> None:
    page.wait_for_load_state()
    page.screenshot(path=str(SHOTS / f"375-{name}.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{name}: {width} px wide at {WIDTH} px"


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": WIDTH, "height": 740})
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_fits_a_phone_screen(live_server, phone, cast, areas, graduates):  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = phone
    page.goto(f"{live_server.url}/accounts/login/")
    _fits(page, "login")
    page.fill("#id_username", "city_staff")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    # the header: the menu is folded away behind its button
    screening = page.locator("#nav-main >> text=精准服务").first
    assert not screening.is_visible()
    assert not page.locator("[data-testid=whoami]").is_visible()
    _fits(page, "home")
    page.click("[data-testid=nav-toggle]")
    page.wait_for_selector("#nav-main.collapse.show")  # unfolded, its animation over
    assert screening.is_visible()
    assert page.locator("[data-testid=whoami]").is_visible()
    page.screenshot(path=str(SHOTS / "375-menu.png"))
    screening.click()
    page.wait_for_url("**/screening/")
    _fits(page, "screening")
    page.click("text=高校毕业生")
    page.wait_for_selector("[data-testid=children]")
    _fits(page, "theme")
    page.click("[data-testid=count-graduates_unemployed]")
    page.wait_for_selector("[data-testid=members]")
    _fits(page, "list")
    page.click("[data-testid=members] >> text=王**")
    page.wait_for_url("**/archive/residents/*/")
    _fits(page, "profile")
    page.goto(f"{live_server.url}/sources/")
    _fits(page, "sources")
    do_staff_grids(
        [
            {"grid_code": g.code, "worker_name": "张网格", "worker_phone": "13900000001"}
            for g in list(areas["grids"].values())[1:]
        ]
    )
    page.goto(f"{live_server.url}/grid/posts/")
    page.wait_for_selector("[data-testid=posts]")
    _fits(page, "grid-posts")
