"""The 网格通 phone pages at 375 × 740: a grid worker opens their task list, completes a
door-to-door certification (a photo and a signature drawn with a finger), the first submit
made while the phone is offline; the draft waits on the phone as "未发送", the list opens
offline from the service worker's copy, and "重新发送" sends it with the same key once the
network is back — also when the server recorded it but its answer was lost on the way.
One result in the end."""

import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from conftest import PASSWORD
from minsheng.grid.actions import do_create_task, do_reassign_tasks
from minsheng.grid.models import GridTask, Priority, TaskKind, TaskResult
from minsheng.grid.tests.conftest import residents, staffed  # noqa: F401  (fixtures)
from minsheng.sources.models import fact_model

# the screenshots of docs/grid.md (MINSHENG_GRID_PHONE_SHOTS elsewhere)
DOCS = Path(
    os.environ.get(
        "MINSHENG_GRID_PHONE_SHOTS", Path(__file__).resolve().parents[2] / "docs" / "img"
    )
)
WIDTH, HEIGHT = 375, 740


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (96, 128), (180, 120, 90)).save(out, "JPEG")
    return out.getvalue()


def _task(cast, person, kind, *, days, priority=Priority.NORMAL):
    do_create_task(
        person.pk,
        kind=kind,
        reason="退休人员待遇资格认证" if kind == TaskKind.CERTIFICATION else "参保扩面名单",
        due=timezone.localdate() + timedelta(days=days),
        priority=priority,
        acting_user=cast["city_staff"],
    )
    return GridTask.objects.get(person=person, kind=kind, status="open")


def _draft(page, task) -> dict | None:
    """The draft the phone keeps for a task (per worker and task)."""
    user = page.evaluate("document.body.dataset.user")
    return page.evaluate(
        "key => JSON.parse(localStorage.getItem(key))", f"ms-grid-draft:{user}:{task.pk}"
    )


def _shot(page, name: str) -> None:
    """A full-page screenshot from the top (the sticky header where it belongs)."""
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(DOCS / f"grid-phone-{name}.png"), full_page=True)


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    yield page
    context.close()


def _fits(page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{name}: {width} px wide at {WIDTH} px"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_completes_a_certification_sent_again_after_the_network_failed(
    live_server,
    phone,
    cast,
    residents,  # noqa: F811
):
    DOCS.mkdir(parents=True, exist_ok=True)
    page, context = phone, phone.context
    cert = _task(cast, residents["wang"], TaskKind.CERTIFICATION, days=1, priority=Priority.URGENT)
    _task(cast, residents["zhao"], TaskKind.INSURANCE, days=6)
    late = _task(cast, residents["wang"], TaskKind.TRAINING, days=3)
    GridTask.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - timedelta(days=2))
    # 孙丽's grid (清泉 3) is vacant: its task is handed to the cast's worker, and flagged
    sun = _task(cast, residents["sun"], TaskKind.INFO_UPDATE, days=9, priority=Priority.LOW)
    do_reassign_tasks([sun], worker=cast["grid_worker"], acting_user=cast["clerk"])

    violations = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )

    # -- sign in; the phone pages from the site's menu
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "grid_worker")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.click("[data-testid=nav-toggle]")
    page.click("[data-testid=nav-grid-phone]")
    page.wait_for_url("**/grid/m/")
    assert page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)")
    page.reload()  # now under the service worker
    assert page.evaluate("!!navigator.serviceWorker.controller")

    # -- my tasks: the overdue one first, then by due date; reminder; flags
    rows = page.locator("[data-testid=task-row]")
    assert rows.count() == 4
    assert rows.nth(0).get_attribute("data-task") == str(late.pk)
    assert rows.nth(1).get_attribute("data-task") == str(cert.pk)
    assert "2 天内到期" in page.locator("[data-testid=reminder]").inner_text()
    assert "王*" in rows.nth(1).inner_text() and "王芳" not in page.content()
    assert page.locator("[data-testid=vacant]").count() == 1
    assert page.locator("[data-testid=offline-banner]").is_hidden()
    _fits(page, "list")
    _shot(page, "tasks")

    # -- the certification: card, form, photo and signature
    rows.nth(1).click()
    page.wait_for_selector("[data-testid=task-form]")
    card = page.locator("[data-testid=resident-card]").inner_text()
    assert "王*" in card and "王芳" not in card
    key = _draft(page, cert)["key"]
    assert page.input_value("input[name=key]") == key
    page.select_option("select[name=outcome]", "certified")
    page.fill("input[name=certification_date]", timezone.localdate().isoformat())
    page.set_input_files(
        "input[name=photo]", files=[{"name": "p.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}]
    )
    page.wait_for_selector("[data-photo-preview]:not([hidden])")
    pad = page.locator("[data-testid=signature-pad]")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.6)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(
            box["x"] + 20 + i * (box["width"] - 40) / 11,
            box["y"] + box["height"] * (0.6 - 0.3 * (i % 2)),
            steps=3,
        )
    page.mouse.up()
    page.wait_for_function(
        "key => (JSON.parse(localStorage.getItem(key)) || {}).signature",
        arg=f"ms-grid-draft:{cast['grid_worker'].pk}:{cert.pk}",
    )
    assert page.evaluate("document.body.dataset.user") == str(cast["grid_worker"].pk)
    _fits(page, "form")
    _shot(page, "task")

    # -- the first submit: no network
    context.set_offline(True)
    page.click("[data-testid=submit]")
    state = page.locator("[data-testid=send-state]")
    state.locator("text=未发送").wait_for()
    assert page.locator("[data-testid=retry]").is_visible()
    assert page.locator("[data-testid=net]").inner_text().strip() == "离线"
    assert not TaskResult.objects.exists()
    draft = _draft(page, cert)
    assert draft["state"] == "unsent" and draft["key"] == key
    page.screenshot(path=str(DOCS / "grid-phone-unsent.png"), full_page=False)

    # -- offline, the list opens from the service worker's copy and shows what waits
    page.goto(f"{live_server.url}/grid/m/")
    banner = page.locator("[data-testid=offline-banner]")
    assert banner.is_visible() and "获取于" in banner.inner_text()
    badge = page.locator(f"[data-task='{cert.pk}'] [data-draft-badge]")
    assert badge.is_visible() and badge.inner_text() == "未发送"
    _fits(page, "offline list")
    _shot(page, "offline")
    # and the task, opened before, with its draft: the same key, still not sent
    page.click(f"[data-task='{cert.pk}']")
    page.wait_for_selector("[data-testid=task-form]")
    assert page.input_value("input[name=key]") == key
    assert "未发送" in state.inner_text()
    assert page.input_value("select[name=outcome]") == "certified"

    # -- back online; the server records the result but its answer is lost on the way
    context.set_offline(False)
    lost = []

    def lose_the_answer(route):
        if route.request.method != "POST":
            route.continue_()
            return
        lost.append(route.fetch().status)
        route.abort()

    page.route("**/grid/m/tasks/*/", lose_the_answer)
    page.click("[data-testid=retry]")
    state.locator("text=未发送").wait_for()
    page.wait_for_function("() => !document.querySelector('[data-testid=retry]').disabled")
    assert lost == [200]
    assert TaskResult.objects.count() == 1  # recorded; the phone does not know yet
    page.unroute("**/grid/m/tasks/*/")

    # -- send again: the same key, so the server's answer is the first result's
    page.click("[data-testid=retry]")
    page.wait_for_selector("[data-testid=confirmation]")
    assert "已提交" in page.locator("[data-testid=confirmation]").inner_text()
    page.screenshot(path=str(DOCS / "grid-phone-sent.png"), full_page=False)
    assert _draft(page, cert) is None

    result = TaskResult.objects.get()
    assert str(result.key) == key and result.task_id == cert.pk
    assert bytes(result.photo)[:3] == b"\xff\xd8\xff"
    assert bytes(result.signature)[:8] == b"\x89PNG\r\n\x1a\n"
    assert result.data["outcome"] == "certified"
    assert fact_model("grid_collect").objects.filter(task_id=cert.pk).count() == 1
    cert.refresh_from_db()
    assert cert.status == "done"
    assert violations == []
