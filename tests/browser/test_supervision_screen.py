"""The supervision centre's pages in Chromium: the charts draw (under the
Content-Security-Policy), follow their box when the window narrows, and no page is wider
than a 375 px phone. Screenshots go to docs/img/supervision-*.png (MINSHENG_SUPERVISION_SHOTS
to put them elsewhere)."""

import os
import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from conftest import PASSWORD, make_grid
from minsheng.geo.models import Area
from minsheng.grid.actions import do_staff_grids
from minsheng.grid.models import GridTask, Origin, TaskKind, TaskStatus
from minsheng.grid.supervision.figures import Month
from minsheng.grid.tests.supervision_world import at
from minsheng.residents.tests.conftest import make_batch
from minsheng.sources.models import Person

SHOTS = Path(os.environ.get("MINSHENG_SUPERVISION_SHOTS", "docs/img"))
NAMES = [
    "王磊",
    "李静",
    "张伟",
    "刘洋",
    "陈晨",
    "杨帆",
    "赵敏",
    "黄磊",
    "周杰",
    "吴昊",
    "徐丽",
    "孙强",
    "马超",
    "朱琳",
    "胡斌",
    "郭敏",
]


def city_month(month: Month) -> None:
    """A month of work in 新华街道 (4 communities × 3 grids, one grid vacant) and two other
    streets: about 400 tasks, two thirds done (some late), the rest open (some overdue)."""
    rng = random.Random(13)
    grids = []
    for town, communities, per in (("150302001", 4, 3), ("150302002", 2, 2), ("150304001", 2, 2)):
        for community in Area.objects.filter(level="community", town_code=town).order_by("code")[
            :communities
        ]:
            grids += [
                Area.objects.filter(code=f"{community.code}{n:03d}").first()
                or make_grid(community, n)
                for n in range(1, per + 1)
            ]
    roster = [
        {"grid_code": g.code, "worker_name": "" if i == 4 else NAMES[i % len(NAMES)]}
        for i, g in enumerate(grids)
    ]
    do_staff_grids(roster)
    batch = make_batch("gongan_hukou", "20260101")
    people = Person.objects.bulk_create(
        Person(
            name=f"测试居民{n}",
            first_source="gongan_hukou",
            first_batch=batch,
            first_row=n,
            created_at=at(date(2026, 1, 1)),
        )
        for n in range(400)
    )
    last = min(month.next_first - timedelta(days=1), timezone.localdate())
    tasks = []
    for n, person in enumerate(people):
        grid = grids[rng.randrange(len(grids))]
        created = month.first - timedelta(days=5) + timedelta(days=rng.randrange(30))
        due = created + timedelta(days=rng.choice([7, 10, 14]))
        roll = rng.random()
        closed = None
        if roll < 0.68:
            closed = created + timedelta(days=rng.choice([1, 2, 3, 4, 6, 9, 12, 16]))
            if closed > last:
                closed = None
        tasks.append(
            GridTask(
                kind=rng.choice(TaskKind.values),
                status=TaskStatus.DONE if closed else TaskStatus.OPEN,
                due_date=due,
                person=person,
                district_code=grid.district_code,
                town_code=grid.town_code,
                community_code=grid.community_code,
                grid_code=grid.code,
                origin=Origin.LIST,
                created_at=at(created, 9 + n % 8),
                closed_at=at(closed, 10 + n % 7) if closed else None,
            )
        )
    GridTask.objects.bulk_create(tasks)
    # completed by whoever holds the grid (the vacant one's cover)
    from minsheng.grid.models import GridPost

    for post in GridPost.objects.filter(grid__in=grids):
        GridTask.objects.filter(grid_code=post.grid.code, status=TaskStatus.DONE).update(
            closed_by=post.holder
        )


def _fits(page, width: int) -> None:
    page.wait_for_load_state()
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url}: {scroll} px wide at {width} px"


def _charts_drawn(page) -> None:
    page.wait_for_selector("[data-testid=chart-days] canvas")
    if page.locator("[data-testid=chart-areas]").count():
        page.wait_for_selector("[data-testid=chart-areas] canvas")


def _canvas_width(page, testid: str) -> float:
    return page.evaluate(
        f"document.querySelector('[data-testid={testid}] canvas').getBoundingClientRect().width"
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_draws_the_supervision_pages_on_a_desk_and_a_phone(live_server, browser, cast, areas):
    month = Month.current().previous
    cast["grid_worker"].display_name = "吴刚"
    cast["grid_worker"].save(update_fields=["display_name"])
    city_month(month)
    SHOTS.mkdir(parents=True, exist_ok=True)
    violations = []
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "supervision")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    # the menu entry, then the month before
    page.click("#nav-main >> text=网格督导")
    page.wait_for_url("**/grid/supervision/")
    page.goto(f"{live_server.url}/grid/supervision/?month={month.key}")
    _charts_drawn(page)
    page.screenshot(path=str(SHOTS / "supervision-city.png"), full_page=True)
    # the charts follow their box when the window narrows
    wide = _canvas_width(page, "chart-areas")
    page.set_viewport_size({"width": 375, "height": 740})
    page.wait_for_timeout(400)
    narrow = _canvas_width(page, "chart-areas")
    assert narrow < wide and narrow <= 375
    _fits(page, 375)
    page.set_viewport_size({"width": 1280, "height": 900})
    # drill down: street, community, grid, worker
    page.click("[data-testid=figures] >> text=新华街道")
    _charts_drawn(page)
    page.screenshot(path=str(SHOTS / "supervision-street.png"), full_page=True)
    page.click("[data-testid=figures] tbody tr >> nth=0 >> a")
    _charts_drawn(page)
    page.click("[data-testid=figures] tbody tr >> nth=0 >> a")
    _charts_drawn(page)
    page.screenshot(path=str(SHOTS / "supervision-grid.png"), full_page=True)
    page.click("[data-testid=figures] tbody tr >> nth=0 >> a")
    page.wait_for_url("**/grid/supervision/workers/**")
    _charts_drawn(page)
    page.screenshot(path=str(SHOTS / "supervision-worker.png"), full_page=True)
    page.goto(f"{live_server.url}/grid/supervision/area/150302001/workers/?month={month.key}")
    page.screenshot(path=str(SHOTS / "supervision-ranking.png"), full_page=True)
    html = page.content()
    assert "测试居民" not in html
    assert violations == []
    context.close()

    # a phone: every page fits, the charts inside it
    phone = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 740})
    p = phone.new_page()
    p.goto(f"{live_server.url}/accounts/login/")
    p.fill("#id_username", "supervision")
    p.fill("#id_password", PASSWORD)
    p.click("button[type=submit]")
    p.wait_for_load_state()
    for path, shot in [
        (f"/grid/supervision/?month={month.key}", "supervision-city-375.png"),
        (f"/grid/supervision/area/150302001/?month={month.key}", None),
        (f"/grid/supervision/area/150302001/workers/?month={month.key}", None),
        (f"/grid/supervision/workers/grid_worker/?month={month.key}", "supervision-worker-375.png"),
    ]:
        p.goto(f"{live_server.url}{path}")
        if "workers/?" not in path:
            _charts_drawn(p)
            assert _canvas_width(p, "chart-days") <= 375
        _fits(p, 375)
        if shot:
            p.screenshot(path=str(SHOTS / shot), full_page=True)
    phone.close()
