"""The smart doorplate at 375 × 740: a resident's scan (the community's guide), then the
same code scanned by the grid worker holding the house's grid (its residents, masked, and
the 信息更新 form, saved); a clerk's label-sheet pages at 1280. No page is wider than the
screen. The screenshots are those of docs/grid.md (MINSHENG_DOORPLATE_SHOTS elsewhere)."""

import os
from pathlib import Path

import pytest
from django.urls import reverse

from conftest import PASSWORD
from minsheng.grid.models import TaskResult
from minsheng.grid.tests.conftest import staffed  # noqa: F401  (fixture)
from minsheng.grid.tests.doorplate_world import house_world  # noqa: F401  (fixture)

DOCS = Path(
    os.environ.get("MINSHENG_DOORPLATE_SHOTS", Path(__file__).resolve().parents[2] / "docs" / "img")
)
WIDTH, HEIGHT = 375, 740


def _fits(page, width: int = WIDTH, what: str = "document.documentElement") -> None:
    page.wait_for_load_state()
    scroll = page.evaluate(f"{what}.scrollWidth")
    assert scroll <= width, f"{page.url}: {scroll} px wide at {width} px"


def _sign_in(page, base: str, username: str, next_path: str) -> None:
    page.goto(f"{base}{reverse('accounts:login')}?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_serves_a_resident_and_the_grid_worker_from_one_code(
    live_server,
    browser,
    cast,
    house_world,  # noqa: F811
):
    DOCS.mkdir(parents=True, exist_ok=True)
    house = house_world["house"]
    path = reverse("grid:doorplate", args=[house.doorplate_token])
    context = browser.new_context(locale="zh-CN", viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()

    # a resident scans the door: the guide of 清泉社区, nobody's name
    page.goto(live_server.url + path)
    _fits(page)
    assert page.locator("[data-testid=community]").inner_text() == "清泉社区"
    assert page.locator("[data-testid=services] li").count() >= 10
    assert "陈" not in page.content()
    page.screenshot(path=str(DOCS / "doorplate-public-375.png"), full_page=True)

    # the grid worker signs in from the page's link and comes back to the house
    _sign_in(page, live_server.url, "grid_worker", path)
    page.wait_for_selector("[data-testid=house]")
    _fits(page)
    assert page.locator("[data-testid=resident]").count() == 3
    chen = page.locator(f"[data-person='{house_world['persons']['chen'].pk}']")
    assert "陈**" in chen.inner_text()
    chen.locator("summary").click()
    chen.locator("input[name$=phone]").fill("13700001234")
    chen.locator("select[name$=lives_alone]").select_option("1")
    page.screenshot(path=str(DOCS / "doorplate-house-375.png"), full_page=True)
    chen.locator("button[type=submit]").click()
    page.wait_for_selector(".alert-success")
    _fits(page)
    assert TaskResult.objects.filter(task__person=house_world["persons"]["chen"]).count() == 1
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_lists_the_label_sheets_for_a_clerk(live_server, browser, cast, areas):
    DOCS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 800), (WIDTH, HEIGHT)):
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
        page = context.new_page()
        _sign_in(page, live_server.url, "street_clerk", reverse("grid:doorplate_sheets"))
        page.wait_for_selector("[data-testid=communities]")
        # at 1280 the page's own content (the site's header is the base template's)
        what = "document.documentElement" if width == WIDTH else "document.querySelector('main')"
        _fits(page, width, what)
        if width == 1280:
            page.screenshot(path=str(DOCS / "doorplate-sheets-1280.png"), full_page=True)
        page.click(
            f"a[href='{reverse('grid:doorplate_community', args=[areas['qingquan'].code])}']"
        )
        page.wait_for_selector("[data-testid=buildings]")
        _fits(page, width, what)
        context.close()
