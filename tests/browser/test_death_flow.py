"""A death from a signal to the stop, in the browser: 公安's death cancellation of a pensioner
of 清泉社区 (paid through October) is collected into a case; the community clerk opens it from
the death cases, confirms the death with a documented check and logs out; city staff
approve; the case page then shows the pension stopped from the month after death and the
recovery of what was paid for later months. Screenshots of the case page at 1280 and 375 px
go to docs/img/benefits-death-case*.png."""

import os
from datetime import date
from pathlib import Path

import pytest

from conftest import PASSWORD
from minsheng.benefits.actions import deaths as actions
from minsheng.benefits.models import DeathCase
from minsheng.benefits.tests.conftest import LOADED, batch, resident  # noqa: F401  (fixtures)
from minsheng.benefits.tests.roll_world import m, on_roll
from minsheng.sources.models import fact_model

DOCS = Path(
    os.environ.get("MINSHENG_DEATH_SHOTS", Path(__file__).resolve().parents[2] / "docs" / "img")
)
PHONE = 375


def _login(page, url: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _logout(page) -> None:
    page.click("form[action$='/logout/'] button")
    page.wait_for_url("**/accounts/login/**")


def _fits(page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE, f"{name}: {width} px wide at {PHONE} px"


def _shot(page, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(DOCS / f"benefits-death-case{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_confirms_a_death_from_a_signal_and_a_second_person_approves_the_stop(
    live_server,
    page,
    cast,
    resident,  # noqa: F811
    batch,  # noqa: F811
):
    DOCS.mkdir(parents=True, exist_ok=True)
    # given a pensioner of 清泉社区 paid 3,000 a month through 2026-10
    person = resident("qingquan1", name="张老汉", age=82)
    on_roll(person, opening_through=m(2026, 6), regular=(m(2026, 7), m(2026, 8), m(2026, 9)))
    # and 公安's cancellation, dated 2026-03-31, collected into a case
    fact_model("gongan_death").objects.create(
        batch=batch,
        row=1,
        loaded_at=LOADED,
        person=person,
        link_method="exact",
        death_date=date(2026, 3, 31),
    )
    actions.do_collect_death_signals(acting_user=cast["city_staff"])
    case = DeathCase.objects.get(person=person)

    # when the community clerk opens it from the death cases
    _login(page, live_server.url, "clerk")
    page.goto(f"{live_server.url}/benefits/deaths/")
    row = page.locator(f"[data-case='{case.pk}']")
    assert row.locator("[data-source=gongan_death]").count() == 1
    row.locator("a").first.click()
    page.wait_for_selector("[data-testid=signals]")
    # then the page shows what a stop from April means: six months of 3,000 paid after
    assert page.locator("[data-testid=overpaid-total]").inner_text() == "18000.00"
    # and they confirm the death with a documented check
    assert page.input_value("#id_death_date") == "2026-03-31"
    page.fill("#id_check_note", "电话联系其子张小明，确认于3月31日去世，已见火化证明")
    page.click("[data-testid=propose]")
    page.wait_for_selector("[data-testid=wait-other]")
    assert page.locator("[data-testid=approve]").count() == 0
    _shot(page, "-proposed-1280")
    _logout(page)

    # when city staff open the case and approve
    _login(page, live_server.url, "city_staff")
    page.goto(f"{live_server.url}/benefits/deaths/{case.pk}/")
    assert "clerk" in page.locator("[data-testid=proposed-by]").inner_text()
    page.click("[data-testid=approve]")
    page.wait_for_selector("[data-testid=recoveries] [data-recovery]")

    # then the pension is stopped from 2026-04, the month after death
    assert "2026-04" in page.locator("[data-testid=benefit-status]").inner_text()
    assert "2026-04" in page.locator("[data-testid=stop-from]").inner_text()
    # and the recovery asks back what was paid for April to September
    assert page.locator("[data-testid=amount-due]").inner_text() == "18000.00"
    assert page.locator("[data-testid=overpaid]").inner_text() == "18000.00"
    assert "clerk" in page.locator("[data-testid=proposed-by]").inner_text()
    assert "city_staff" in page.locator("[data-testid=approved-by]").inner_text()
    assert page.locator("[data-testid=approve]").count() == 0
    _shot(page, "-1280")

    # and the page fits a phone
    page.set_viewport_size({"width": PHONE, "height": 740})
    page.reload()
    page.wait_for_selector("[data-testid=recoveries]")
    _fits(page, "case")
    _shot(page, "-375")
    # and so do the lists and the recovery
    recovery = page.locator("[data-testid=recoveries] [data-recovery]").get_attribute(
        "data-recovery"
    )
    for path in ("deaths/", "decisions/", "recoveries/", f"recoveries/{recovery}/"):
        page.goto(f"{live_server.url}/benefits/{path}")
        _fits(page, path)
