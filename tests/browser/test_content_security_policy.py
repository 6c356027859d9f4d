"""The Content-Security-Policy blocks nothing the pages need: charts draw, HTMX loads, the
language switch works, and Chromium reports no violation."""

import pytest

from conftest import PASSWORD


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_runs_the_pages_scripts_under_the_policy(live_server, page, cast, areas):
    violations = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "street_clerk")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    # The area page draws its ECharts chart from a static script and json_script data
    page.wait_for_selector("[data-testid=area-chart] canvas")
    assert page.evaluate("typeof window.htmx") == "object"
    # The language switch submits from the static script, not an inline handler
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert "HRSS precision service platform" in page.title()
    assert violations == []
