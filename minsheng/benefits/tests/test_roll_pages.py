"""The staff pages of the benefit roll: who sees which recipients (masked, by area), what one
benefit shows, the proposals and the window certification posted from it, the payment runs
and the bank's file, the certification list and its two city-staff buttons."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from minsheng.audit.models import AuditEvent
from minsheng.benefits.actions.roll import do_run_payroll
from minsheng.benefits.models import (
    Benefit,
    BenefitKind,
    BenefitStatus,
    Certification,
    Decision,
)
from minsheng.lib.benefit_rules import month_index

REFUSED = ("grid_worker", "supervision", "sys_admin", "sec_admin", "audit_admin")
JAN_2020 = month_index(date(2020, 1, 1))


def today() -> date:
    return timezone.localdate()


@pytest.fixture
def benefit(resident):
    def make(
        kind=BenefitKind.EMPLOYEE_PENSION,
        *,
        grid="qingquan1",
        name="王小明",
        age=70,
        amount="3000.00",
        status=BenefitStatus.PAYING,
        certified_on=None,
        stop_reason="",
        stopped_from=None,
        reference="1",
        person=None,
        **items,
    ):
        person = person or resident(grid, name=name, age=age, **items)
        r = person.resident
        now = timezone.now()
        return Benefit.objects.create(
            person=person,
            kind=kind,
            reference=reference,
            monthly_amount=Decimal(amount),
            start_month=JAN_2020,
            status=status,
            certified_on=certified_on or today() - timedelta(days=100),
            stop_reason=stop_reason,
            stopped_from=stopped_from,
            source="test",
            created_at=now,
            updated_at=now,
            district_code=r.district_code,
            town_code=r.town_code,
            community_code=r.community_code,
            grid_code=r.grid_code,
        )

    return make


@pytest.fixture
def two(benefit):
    """A pension in 清泉社区 (王小明) and one in 巴音赛 (李大山)."""
    return {
        "inside": benefit(name="王小明"),
        "outside": benefit(grid="bayinsai1", name="李大山"),
    }


def denied(user) -> int:
    return AuditEvent.objects.filter(actor=user, event_type="denied").count()


# -- 1. the roll ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who,inside,outside",
    [
        ("city_staff", True, True),
        ("clerk", True, False),
        ("street_clerk", True, False),
        ("viewer", True, False),
        ("outsider", False, True),
    ],
)
def test_it_lists_the_recipients_of_the_users_area(cast, login, two, who, inside, outside):
    # given a pension inside 清泉社区 and one in 巴音赛
    client = login(cast[who])
    # when the user opens the roll
    response = client.get(reverse("benefits:roll"))
    # then they see the recipients of their area, masked, and the view is audited once
    html = response.content.decode()
    assert response.status_code == 200
    assert ("王**" in html) is inside and ("李**" in html) is outside
    assert "王小明" not in html and "李大山" not in html
    link = f'href="{reverse("benefits:benefit", args=[two["inside"].pk])}"'
    assert (link in html) is inside
    events = AuditEvent.objects.filter(actor=cast[who], event_type="view")
    assert events.count() == 1 and events.get().object_type == "benefit_roll"


@pytest.mark.parametrize("who", REFUSED)
def test_it_refuses_the_roll_to_other_roles(cast, login, two, who):
    client = login(cast[who])
    urls = [
        reverse("benefits:roll"),
        reverse("benefits:benefit", args=[two["inside"].pk]),
        reverse("benefits:certifications"),
    ]
    assert [client.get(u).status_code for u in urls] == [403, 403, 403]
    assert denied(cast[who]) == 3


def test_it_counts_by_kind_and_status_and_filters(cast, login, benefit):
    # given three pensions (one suspended) and an unemployment benefit in 清泉社区, and a
    # pension in 新南社区
    benefit()
    benefit()
    benefit(status=BenefitStatus.SUSPENDED, stop_reason="certification_overdue")
    benefit(BenefitKind.UNEMPLOYMENT, reference="")
    benefit(grid="xinnan1")
    client = login(cast["street_clerk"])
    # when the street clerk opens the roll, then filters
    response = client.get(reverse("benefits:roll"))
    matrix = {m["kind"]: m["cells"] for m in response.context["matrix"]}
    suspended = client.get(reverse("benefits:roll"), {"status": "suspended"})
    qingquan = client.get(reverse("benefits:roll"), {"area": cast["clerk"].area.code})
    unemployed = client.get(reverse("benefits:roll"), {"kind": "unemployment"})
    # then the counts are by kind × status over the area, and each filter narrows the list
    assert matrix[BenefitKind.EMPLOYEE_PENSION] == [3, 1, 0, 0]
    assert matrix[BenefitKind.UNEMPLOYMENT] == [1, 0, 0, 0]
    assert response.context["grand_total"] == 5
    assert suspended.context["page"].paginator.count == 1
    assert qingquan.context["page"].paginator.count == 4
    assert unemployed.context["page"].paginator.count == 1
    assert 'data-testid="grand-total">5<' in response.content.decode()


def test_it_pages_by_fifty_in_a_bounded_number_of_queries(
    cast, login, benefit, django_assert_max_num_queries
):
    # given 55 recipients
    for n in range(55):
        benefit(name=f"张{n}")
    client = login(cast["clerk"])
    client.get(reverse("benefits:roll"))  # the session's first load aside
    # when the clerk opens the first and the second page
    with django_assert_max_num_queries(14):
        first = client.get(reverse("benefits:roll"))
    second = client.get(reverse("benefits:roll"), {"page": 2})
    # then fifty, then five
    assert len(first.context["rows"]) == 50 and len(second.context["rows"]) == 5


def test_it_shows_the_roll_in_chinese(cast, login, two):
    client = login(cast["clerk"])
    response = client.get(reverse("benefits:roll"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert "状态" in html and '<html lang="zh-hans">' in html


# -- 2. one benefit ---------------------------------------------------------------------------


def test_it_shows_one_benefit_to_its_areas_clerk(cast, login, benefit):
    # given a pension suspended for an overdue certification, with a payment run behind it
    b = benefit(
        status=BenefitStatus.SUSPENDED,
        stop_reason="certification_overdue",
        certified_on=today() - timedelta(days=400),
    )
    Benefit.objects.filter(pk=b.pk).update(suspended_from=month_index(today()))
    client = login(cast["clerk"])
    # when the clerk opens it
    response = client.get(reverse("benefits:benefit", args=[b.pk]), HTTP_ACCEPT_LANGUAGE="en")
    # then the person is masked and linked to the profile, months are YYYY-MM, the status
    # has its reason, and the clerk may propose a stop and record a certification
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{reverse("residents:profile", args=[b.person_id])}"' in html
    assert "王**" in html and "王小明" not in html
    assert "2020-01 –" in html
    this_month = f"{today():%Y-%m}"
    assert "Certification overdue" in html and this_month in html
    assert 'data-testid="stop-form"' in html and 'data-testid="certify-form"' in html
    assert 'data-testid="resume-form"' not in html
    assert AuditEvent.objects.filter(actor=cast["clerk"], object_type="benefit").count() == 1


def test_it_shows_no_form_to_the_viewer(cast, login, two):
    response = login(cast["viewer"]).get(reverse("benefits:benefit", args=[two["inside"].pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "stop-form" not in html and "certify-form" not in html


def test_it_hides_another_areas_benefit(cast, login, two):
    # when the outsider asks for 清泉社区's benefit
    response = login(cast["outsider"]).get(reverse("benefits:benefit", args=[two["inside"].pk]))
    # then it does not exist for them, and the refusal is audited
    assert response.status_code == 404 and denied(cast["outsider"]) == 1


def test_it_proposes_a_stop_and_a_resume(cast, login, benefit):
    paying = benefit()
    stopped = benefit(
        name="赵四", status=BenefitStatus.STOPPED, stop_reason="manual", stopped_from=JAN_2020 + 60
    )
    client = login(cast["clerk"])
    # when the clerk proposes to stop the first and to resume the second
    r1 = client.post(reverse("benefits:benefit_stop", args=[paying.pk]), {"reason": "本人申请"})
    r2 = client.post(reverse("benefits:benefit_resume", args=[stopped.pk]), {"reason": "核实有误"})
    # then each is a decision awaiting a second person, and the pages say so
    assert r1.status_code == r2.status_code == 302
    assert r1["Location"] == reverse("benefits:benefit", args=[paying.pk])
    stop = Decision.objects.get(benefit=paying)
    resume = Decision.objects.get(benefit=stopped)
    assert (stop.kind, stop.status, stop.proposed_by) == ("stop", "proposed", cast["clerk"])
    assert resume.kind == "resume" and resume.reason == "核实有误"
    page = client.get(reverse("benefits:benefit", args=[paying.pk])).content.decode()
    assert 'data-testid="pending"' in page and "stop-form" not in page


def test_it_refuses_a_proposal_without_a_reason(cast, login, two):
    client = login(cast["clerk"])
    client.post(reverse("benefits:benefit_stop", args=[two["inside"].pk]), {"reason": " "})
    assert not Decision.objects.exists()


@pytest.mark.parametrize(
    "who,status", [("viewer", 403), ("outsider", 404), ("grid_worker", 403), ("sys_admin", 403)]
)
def test_it_refuses_the_posts_to_the_viewer_and_the_outsider(cast, login, two, who, status):
    client = login(cast[who])
    pk = two["inside"].pk
    answers = [
        client.post(reverse("benefits:benefit_stop", args=[pk]), {"reason": "本人申请"}),
        client.post(reverse("benefits:benefit_resume", args=[pk]), {"reason": "本人申请"}),
        client.post(reverse("benefits:certify", args=[pk]), {"on": today().isoformat()}),
    ]
    assert [a.status_code for a in answers] == [status] * 3
    assert not Decision.objects.exists() and not Certification.objects.exists()
    assert denied(cast[who]) == 3


def test_it_records_a_window_certification(cast, login, benefit):
    # given a pension certified 13 months ago
    b = benefit(certified_on=today() - timedelta(days=400))
    client = login(cast["clerk"])
    # when the clerk records a window certification today
    response = client.post(
        reverse("benefits:certify", args=[b.pk]), {"on": today().isoformat(), "note": "本人到窗口"}
    )
    # then it is on record with the note, and the benefit's date moves
    assert response.status_code == 302
    cert = Certification.objects.get(person=b.person)
    assert cert.method == "window" and cert.evidence == {"note": "本人到窗口"}
    assert cert.recorded_by == cast["clerk"]
    b.refresh_from_db()
    assert b.certified_on == today()


def test_it_refuses_a_certification_dated_in_the_future(cast, login, two):
    client = login(cast["clerk"])
    tomorrow = (today() + timedelta(days=1)).isoformat()
    response = client.post(
        reverse("benefits:certify", args=[two["inside"].pk]),
        {"on": tomorrow},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert not Certification.objects.exists()
    assert "future" in response.content.decode()


# -- 3. the payment runs ----------------------------------------------------------------------


@pytest.fixture
def paid_run(cast, benefit):
    """The run of this month over two pensions and an unemployment benefit in 海勃湾区 and a
    pension in 乌达区."""
    benefit(amount="3000.00", certified_on=today() - timedelta(days=30))
    benefit(name="钱二", amount="2500.50", certified_on=today() - timedelta(days=30))
    benefit(BenefitKind.UNEMPLOYMENT, name="孙三", amount="1800.00", reference="")
    benefit(grid="bayinsai1", name="李大山", amount="2000.00", certified_on=today())
    return do_run_payroll(month_index(today()), acting_user=cast["city_staff"])


@pytest.mark.parametrize("who", ["clerk", "street_clerk", "viewer", "outsider", *REFUSED])
def test_it_refuses_the_payment_runs_to_all_but_city_staff(cast, login, paid_run, who):
    client = login(cast[who])
    gets = [
        client.get(reverse("benefits:payroll")),
        client.get(reverse("benefits:payroll_run", args=[paid_run.pk])),
    ]
    posts = [
        client.post(reverse("benefits:payroll_start"), {"month": "2030-01"}),
        client.post(
            reverse("benefits:payroll_file", args=[paid_run.pk]),
            {"reason": "十一月养老金发放", "fmt": "csv"},
        ),
        client.post(reverse("benefits:certify_silent")),
        client.post(reverse("benefits:certify_visits")),
    ]
    assert [r.status_code for r in gets + posts] == [403] * 6
    assert not DBTaskResult.objects.exists()
    assert not AuditEvent.objects.filter(event_type="export").exists()
    assert denied(cast[who]) == 6


def test_it_lists_the_runs_and_queues_a_month(cast, login, paid_run):
    client = login(cast["city_staff"])
    # when city staff open the runs, then start next month's
    page = client.get(reverse("benefits:payroll"))
    nxt = month_index(today()) + 1
    response = client.post(
        reverse("benefits:payroll_start"), {"month": page.context["form"].initial["month"]}
    )
    # then the run of this month is listed, next month is offered and queued as a job
    html = page.content.decode()
    assert f'href="{reverse("benefits:payroll_run", args=[paid_run.pk])}"' in html
    assert str(paid_run.total) in html
    assert response.status_code == 302 and response["Location"] == reverse("benefits:payroll")
    job = DBTaskResult.objects.get()
    assert job.args_kwargs["kwargs"] == {"month": nxt, "user_id": cast["city_staff"].pk}


def test_it_sends_a_done_month_to_its_run(cast, login, paid_run):
    client = login(cast["city_staff"])
    response = client.post(reverse("benefits:payroll_start"), {"month": f"{today():%Y-%m}"})
    assert response["Location"] == reverse("benefits:payroll_run", args=[paid_run.pk])
    assert not DBTaskResult.objects.exists()


def test_it_refuses_a_month_that_is_not_one(cast, login):
    client = login(cast["city_staff"])
    response = client.post(
        reverse("benefits:payroll_start"),
        {"month": "2026-13"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "YYYY-MM" in response.content.decode() and not DBTaskResult.objects.exists()


def test_it_shows_a_runs_totals_by_benefit_and_district(cast, login, paid_run):
    response = login(cast["city_staff"]).get(reverse("benefits:payroll_run", args=[paid_run.pk]))
    html = response.content.decode()
    by_kind = {r["kind"]: r["total"] for r in response.context["by_kind"]}
    by_district = {r["code"]: r["total"] for r in response.context["by_district"]}
    assert by_kind == {
        BenefitKind.EMPLOYEE_PENSION: Decimal("7500.50"),
        BenefitKind.UNEMPLOYMENT: Decimal("1800.00"),
    }
    assert by_district == {"150302": Decimal("7300.50"), "150304": Decimal("2000.00")}
    assert paid_run.total == Decimal("9300.50")
    chart = response.context["chart"]
    assert [sum(s["data"]) for s in chart["series"]] == [7500.50, 1800.0]
    assert 'id="payroll-chart-data"' in html and "payroll-chart.js" in html
    assert "<script>" not in html.replace("<script src=", "")  # no inline script (CSP)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_downloads_a_payment_file_that_balances(cast, login, paid_run, fmt):
    client = login(cast["city_staff"])
    response = client.post(
        reverse("benefits:payroll_file", args=[paid_run.pk]),
        {"reason": "十一月养老金发放银行代发", "fmt": fmt},
    )
    assert response.status_code == 200
    assert f'payroll-{today():%Y-%m}.{fmt}"' in response["Content-Disposition"]
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        lines, last = rows[1:-1], rows[-1]
        amounts = [Decimal(r[-1]) for r in lines]
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(response.content)).active
        values = list(sheet.iter_rows(min_row=2, values_only=True))
        lines, last = values[:-1], values[-1]
        amounts = [Decimal(str(r[-1])) for r in lines]
    assert len(lines) == paid_run.payments == 4
    assert sum(amounts) == paid_run.total == Decimal(str(last[-1]))
    event = AuditEvent.objects.get(event_type="export")
    assert event.reason == "十一月养老金发放银行代发" and event.details["rows"] == 4


@pytest.mark.parametrize("reason", ["", "test", "1111", "aaaa"])
def test_it_asks_for_a_real_reason_before_the_file(cast, login, paid_run, reason):
    client = login(cast["city_staff"])
    response = client.post(
        reverse("benefits:payroll_file", args=[paid_run.pk]), {"reason": reason, "fmt": "csv"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("benefits:payroll_run", args=[paid_run.pk])
    assert not AuditEvent.objects.filter(event_type="export").exists()


def test_it_answers_404_for_a_run_that_does_not_exist(cast, login):
    response = login(cast["city_staff"]).get(reverse("benefits:payroll_run", args=[987654]))
    assert response.status_code == 404


# -- 4. certification -------------------------------------------------------------------------


@pytest.fixture
def due(benefit):
    """In 清泉社区: overdue (certified 400 days ago), due in about a month, not due (certified
    100 days ago); in 巴音赛: overdue."""
    return {
        "overdue": benefit(name="周一", certified_on=today() - timedelta(days=400)),
        "soon": benefit(name="吴二", certified_on=today() - timedelta(days=335)),
        "later": benefit(name="郑三", certified_on=today() - timedelta(days=100)),
        "outside": benefit(
            grid="bayinsai1", name="冯四", certified_on=today() - timedelta(days=400)
        ),
    }


@pytest.mark.parametrize(
    "who,shown,buttons",
    [
        ("clerk", {"overdue", "soon"}, False),
        ("viewer", {"overdue", "soon"}, False),
        ("outsider", {"outside"}, False),
        ("city_staff", {"overdue", "soon", "outside"}, True),
    ],
)
def test_it_lists_who_is_due_or_overdue_in_the_area(cast, login, due, who, shown, buttons):
    response = login(cast[who]).get(reverse("benefits:certifications"))
    html = response.content.decode()
    listed = {k for k, b in due.items() if f'data-benefit="{b.pk}"' in html}
    assert listed == shown
    assert ('data-testid="certify-silent"' in html) is buttons
    assert ('data-testid="certify-visits"' in html) is buttons
    assert AuditEvent.objects.filter(actor=cast[who], object_type="certifications").count() == 1


def test_it_counts_and_filters_due_and_overdue(cast, login, due):
    client = login(cast["clerk"])
    response = client.get(reverse("benefits:certifications"))
    overdue = client.get(reverse("benefits:certifications"), {"show": "overdue"})
    soon = client.get(reverse("benefits:certifications"), {"show": "due"})
    assert response.context["counts"] == {"all": 2, "overdue": 1, "never": 0, "due": 1}
    assert [r["b"] for r in overdue.context["rows"]] == [due["overdue"]]
    assert [r["b"] for r in soon.context["rows"]] == [due["soon"]]
    assert overdue.context["rows"][0]["overdue"] and not soon.context["rows"][0]["overdue"]


def test_it_runs_the_silent_certification(cast, login, due, handled):
    # given the overdue recipient handled a matter at a window last week
    handled(due["overdue"].person, "养老保险关系转移", today() - timedelta(days=7))
    client = login(cast["city_staff"])
    # when city staff run the silent certification
    response = client.post(
        reverse("benefits:certify_silent"), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    # then that recipient is certified by data comparison, and the page says how many
    cert = Certification.objects.get()
    assert cert.person == due["overdue"].person and cert.method == "silent"
    assert "1 recipients certified" in response.content.decode()


def test_it_requests_visits_for_the_very_old(cast, login, benefit):
    from minsheng.grid.models import GridTask

    old = benefit(name="陈老", age=85, certified_on=today() - timedelta(days=400))
    benefit(name="林青", age=62, certified_on=today() - timedelta(days=400))
    client = login(cast["city_staff"])
    response = client.post(
        reverse("benefits:certify_visits"), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    task = GridTask.objects.get()
    assert task.person_id == old.person_id and task.kind == "certification"
    assert "1 door-to-door certification tasks" in response.content.decode()
