"""The staff pages of death handling: the death cases, one case with its overpayment
preview and the maker-checker forms, the decisions awaiting a second person, and the
recoveries. Each page for the fixed cast; each POST does its action and refuses the viewer
and the outsider; a repeated approval changes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from minsheng.audit.models import AuditEvent
from minsheng.benefits import deaths as stages
from minsheng.benefits.actions import deaths as actions
from minsheng.benefits.models import (
    Benefit,
    BenefitStatus,
    DeathCase,
    DeathCaseStatus,
    DeathSignal,
    Decision,
    DecisionKind,
    Payment,
    Recovery,
    RecoveryReceipt,
    RecoveryStatus,
)
from minsheng.benefits.tests.roll_world import m, on_roll, signal_case
from minsheng.lib import benefit_rules as rules

pytestmark = pytest.mark.django_db

DIED = date(2026, 3, 31)  # the last day of a month: the stop is from April
REFUSED = ["grid_worker", "supervision", "sys_admin", "sec_admin", "audit_admin"]
READERS = ["clerk", "street_clerk", "viewer", "city_staff"]


@pytest.fixture
def world(cast, resident):
    """A pensioner of 清泉社区 paid 3,000 a month through 2026-10 (opening line to 2026-06,
    then four runs) with an open case from 公安; and one of 巴音赛 with an open case."""
    inside = resident("qingquan1", name="张老汉", age=82)
    pension = on_roll(
        inside, opening_through=m(2026, 6), regular=tuple(m(2026, k) for k in (7, 8, 9, 10))
    )
    case = signal_case(inside, DeathSignal.Source.GONGAN)
    DeathSignal.objects.filter(case=case).update(death_date=DIED)
    outside = resident("bayinsai1", name="李外人", age=85)
    on_roll(outside, opening_through=m(2026, 10))
    outside_case = signal_case(outside, DeathSignal.Source.HEALTH)
    return {"person": inside, "pension": pension, "case": case, "outside_case": outside_case}


def proposed(world, cast):
    return actions.do_propose_death(
        world["case"], death_date=DIED, check_note="问过村委会", acting_user=cast["clerk"]
    )


def confirmed(world, cast):
    proposed(world, cast)
    return actions.do_approve_death(world["case"], acting_user=cast["city_staff"])


def denied(user) -> int:
    return AuditEvent.objects.filter(actor=user, event_type="denied").count()


# -- the list -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", READERS)
def test_it_lists_the_area_cases_to_its_readers(cast, login, world, who):
    client = login(cast[who])
    response = client.get(reverse("benefits:deaths"))
    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("benefits:death_case", args=[world["case"].pk]) in html
    assert "张**" in html and "张老汉" not in html
    assert 'data-source="gongan_death"' in html
    assert "2026-03-31" in html
    shown_outside = reverse("benefits:death_case", args=[world["outside_case"].pk]) in html
    assert shown_outside is (who == "city_staff")


def test_it_shows_the_outsider_only_their_own_area(cast, login, world):
    html = login(cast["outsider"]).get(reverse("benefits:deaths")).content.decode()
    assert reverse("benefits:death_case", args=[world["case"].pk]) not in html
    assert reverse("benefits:death_case", args=[world["outside_case"].pk]) in html


@pytest.mark.parametrize("who", REFUSED)
def test_it_refuses_every_page_to_who_may_not_see_deaths(cast, login, world, who):
    client = login(cast[who])
    urls = [
        reverse("benefits:deaths"),
        reverse("benefits:death_case", args=[world["case"].pk]),
        reverse("benefits:decisions"),
        reverse("benefits:recoveries"),
    ]
    assert [client.get(u).status_code for u in urls] == [403] * 4
    assert denied(cast[who]) == 4


def test_it_shows_open_cases_first_and_filters_by_status(cast, login, world, resident):
    other = resident("qingquan2", name="王已核", age=90)
    on_roll(other, opening_through=m(2026, 10))
    dismissed = signal_case(other)
    actions.do_dismiss_death(dismissed, reason="本人在世", acting_user=cast["clerk"])
    proposed(world, cast)
    client = login(cast["city_staff"])
    order = [c.pk for c in client.get(reverse("benefits:deaths")).context["page"]]
    assert order.index(world["outside_case"].pk) < order.index(world["case"].pk)
    assert order[-1] == dismissed.pk
    only = client.get(reverse("benefits:deaths"), {"status": "dismissed"}).context["page"]
    assert [c.pk for c in only] == [dismissed.pk]


def test_it_audits_one_view_with_a_fixed_number_of_queries(cast, login, world, resident):
    client = login(cast["city_staff"])
    url = reverse("benefits:deaths")
    client.get(url)  # the session and the user, cached from here on
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(4):
        person = resident("qingquan2", name=f"赵{n}", age=80)
        on_roll(person, opening_through=m(2026, 10))
        signal_case(person, DeathSignal.Source.GONGAN, DeathSignal.Source.GRID)
    before = AuditEvent.objects.filter(event_type="view", object_type="death_cases").count()
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["rows"]) == 6
    assert len(many) == len(few) <= 14
    after = AuditEvent.objects.filter(event_type="view", object_type="death_cases").count()
    assert after == before + 1


# -- one case -----------------------------------------------------------------------------------


def test_it_shows_what_a_stop_from_the_month_after_death_would_mean(cast, login, world):
    # given the open case, the reported date of death 2026-03-31
    response = login(cast["clerk"]).get(reverse("benefits:death_case", args=[world["case"].pk]))
    assert response.status_code == 200
    # then April to October, seven months of 3,000, were paid after the death
    (row,) = response.context["benefit_rows"]
    assert (row["months"], row["overpaid"]) == (7, Decimal("21000.00"))
    # the same figure as the pure rule over the payment lines
    lines = [
        (rules.month_from_index(k), p.monthly_amount)
        for p in Payment.objects.filter(benefit=world["pension"])
        for k in range(p.first_month, p.last_month + 1)
    ]
    assert rules.overpaid(lines, DIED) == row["overpaid"]
    html = response.content.decode()
    assert response.context["total"]["stop_from"] == "2026-04"
    assert 'data-testid="overpaid-total">21000.00<' in html
    assert 'data-source="gongan_death"' in html
    assert 'data-testid="propose-form"' in html and 'data-testid="approve"' not in html
    assert AuditEvent.objects.filter(
        event_type="view", object_type="death_case", object_id=str(world["case"].pk)
    ).exists()


def test_it_hides_another_areas_case_from_the_outsider(cast, login, world):
    client = login(cast["outsider"])
    assert client.get(reverse("benefits:death_case", args=[world["case"].pk])).status_code == 404
    assert AuditEvent.objects.filter(
        actor=cast["outsider"], event_type="denied", object_type="death_case"
    ).exists()


def test_it_shows_the_viewer_no_forms(cast, login, world):
    html = login(cast["viewer"]).get(reverse("benefits:death_case", args=[world["case"].pk]))
    html = html.content.decode()
    assert "<form" in html  # the logout and language forms only
    for testid in ("propose-form", "dismiss-form", "approve", "revert-form"):
        assert f'data-testid="{testid}"' not in html


def test_it_proposes_the_death_with_a_documented_check(cast, login, world):
    client = login(cast["clerk"])
    url = reverse("benefits:death_case", args=[world["case"].pk])
    response = client.post(
        reverse("benefits:death_propose", args=[world["case"].pk]),
        {"death_date": "2026-03-31", "check_note": "问过村委会，见到火化证明"},
    )
    assert response.status_code == 302 and response["Location"] == url
    case = DeathCase.objects.get(pk=world["case"].pk)
    assert (case.status, case.death_date, case.proposed_by) == (
        DeathCaseStatus.PROPOSED,
        DIED,
        cast["clerk"],
    )
    # the proposer is told another person must approve, and has no approve button
    html = client.get(url).content.decode()
    assert 'data-testid="wait-other"' in html and 'data-testid="approve"' not in html
    assert Benefit.objects.get(pk=world["pension"].pk).status == BenefitStatus.PAYING


def test_it_refuses_a_single_source_without_a_check_note(cast, login, world):
    client = login(cast["clerk"])
    client.post(
        reverse("benefits:death_propose", args=[world["case"].pk]), {"death_date": "2026-03-31"}
    )
    assert DeathCase.objects.get(pk=world["case"].pk).status == DeathCaseStatus.OPEN
    html = client.get(reverse("benefits:death_case", args=[world["case"].pk])).content.decode()
    assert "请填写核实情况" in html  # the refusal, in the page's language


def test_it_approves_by_a_second_person_once(cast, login, world):
    proposed(world, cast)
    client = login(cast["city_staff"])
    page = client.get(reverse("benefits:death_case", args=[world["case"].pk])).content.decode()
    assert 'data-testid="approve"' in page and "clerk" in page  # who proposed
    url = reverse("benefits:death_approve", args=[world["case"].pk])
    assert client.post(url).status_code == 302
    # then the pension stops from April and 21,000 is to be recovered
    pension = Benefit.objects.get(pk=world["pension"].pk)
    assert (pension.status, pension.stopped_from) == (BenefitStatus.STOPPED, m(2026, 4))
    (recovery,) = Recovery.objects.filter(case=world["case"])
    assert recovery.amount_due == Decimal("21000.00")
    # and a second POST of the same approval changes nothing
    assert client.post(url).status_code == 302
    assert Recovery.objects.filter(case=world["case"]).count() == 1
    approvals = AuditEvent.objects.filter(
        object_type="death_case", object_id=str(world["case"].pk), details__step="approve"
    )
    assert approvals.count() == 1
    html = client.get(reverse("benefits:death_case", args=[world["case"].pk])).content.decode()
    assert 'data-testid="amount-due">21000.00<' in html
    assert "2026-04" in html


def test_it_refuses_the_proposer_as_approver(cast, login, world):
    actions.do_propose_death(
        world["case"], death_date=DIED, check_note="核实", acting_user=cast["city_staff"]
    )
    client = login(cast["city_staff"])
    page = client.get(reverse("benefits:death_case", args=[world["case"].pk])).content.decode()
    assert 'data-testid="approve"' not in page and 'data-testid="wait-other"' in page
    response = client.post(reverse("benefits:death_approve", args=[world["case"].pk]))
    assert response.status_code == 403
    assert DeathCase.objects.get(pk=world["case"].pk).status == DeathCaseStatus.PROPOSED


def test_it_refuses_approval_by_a_clerk(cast, login, world):
    proposed(world, cast)
    client = login(cast["street_clerk"])
    page = client.get(reverse("benefits:death_case", args=[world["case"].pk])).content.decode()
    assert 'data-testid="wait-city"' in page
    assert (
        client.post(reverse("benefits:death_approve", args=[world["case"].pk])).status_code == 403
    )
    assert DeathCase.objects.get(pk=world["case"].pk).status == DeathCaseStatus.PROPOSED


def test_it_dismisses_a_wrong_report_with_a_reason(cast, login, world):
    client = login(cast["clerk"])
    url = reverse("benefits:death_dismiss", args=[world["case"].pk])
    client.post(url, {"reason": ""})
    assert DeathCase.objects.get(pk=world["case"].pk).status == DeathCaseStatus.OPEN
    client.post(url, {"reason": "本人到社区办理业务"})
    case = DeathCase.objects.get(pk=world["case"].pk)
    assert (case.status, case.closed_reason) == (DeathCaseStatus.DISMISSED, "本人到社区办理业务")
    # and the page no longer speaks of stopping anything
    page = client.get(reverse("benefits:death_case", args=[case.pk]))
    assert 'data-testid="closed"' in page.content.decode()
    assert page.context["total"]["overpaid"] == 0 and not page.context["total"]["stop_from"]


def test_it_proposes_the_revert_of_a_confirmed_death(cast, login, world):
    confirmed(world, cast)
    client = login(cast["clerk"])
    client.post(reverse("benefits:death_revert", args=[world["case"].pk]), {"reason": "误报"})
    (decision,) = Decision.objects.filter(case=world["case"])
    assert (decision.kind, decision.proposed_by) == (DecisionKind.REVERT, cast["clerk"])
    page = client.get(reverse("benefits:death_case", args=[world["case"].pk])).content.decode()
    assert 'data-testid="pending-revert"' in page and 'data-testid="revert-form"' not in page


CASE_POSTS = [
    ("benefits:death_propose", {"death_date": "2026-03-31", "check_note": "核实"}),
    ("benefits:death_dismiss", {"reason": "在世"}),
    ("benefits:death_approve", {}),
    ("benefits:death_revert", {"reason": "误报"}),
]


@pytest.mark.parametrize("name,data", CASE_POSTS)
@pytest.mark.parametrize("who,status", [("viewer", 403), ("outsider", 404), ("grid_worker", 403)])
def test_it_refuses_case_posts(cast, login, world, name, data, who, status):
    if name == "benefits:death_approve":
        proposed(world, cast)
    if name == "benefits:death_revert":
        confirmed(world, cast)
    before = DeathCase.objects.get(pk=world["case"].pk).status
    response = login(cast[who]).post(reverse(name, args=[world["case"].pk]), data)
    assert response.status_code == status
    assert DeathCase.objects.get(pk=world["case"].pk).status == before
    assert not Decision.objects.exists()
    assert denied(cast[who]) == 1


def test_it_collects_death_signals_for_city_staff_only(cast, login, world):
    assert login(cast["clerk"]).post(reverse("benefits:death_collect")).status_code == 403
    response = login(cast["city_staff"]).post(reverse("benefits:death_collect"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("benefits:deaths")
    assert AuditEvent.objects.filter(object_type="death_signals", object_id="collect").exists()
    assert reverse("benefits:death_collect") in response.content.decode()
    clerk_page = login(cast["clerk"]).get(reverse("benefits:deaths")).content.decode()
    assert reverse("benefits:death_collect") not in clerk_page


# -- decisions ----------------------------------------------------------------------------------


@pytest.fixture
def revert(world, cast):
    confirmed(world, cast)
    return actions.do_propose_revert(world["case"], reason="误报", acting_user=cast["clerk"])


@pytest.mark.parametrize("who", READERS)
def test_it_lists_the_decisions_to_the_area_readers(cast, login, revert, who):
    html = login(cast[who]).get(reverse("benefits:decisions")).content.decode()
    assert f'data-decision="{revert.pk}"' in html
    assert (f'data-testid="approve-{revert.pk}"' in html) is (who == "city_staff")


def test_it_shows_the_outsider_no_decision_of_another_area(cast, login, revert):
    client = login(cast["outsider"])
    assert (
        f'data-decision="{revert.pk}"'
        not in client.get(reverse("benefits:decisions")).content.decode()
    )
    assert client.post(reverse("benefits:decision_approve", args=[revert.pk])).status_code == 404
    assert Decision.objects.get(pk=revert.pk).status == Decision.Status.PROPOSED


def test_it_shows_no_approve_button_on_ones_own_proposal(cast, login, world, second_staff):
    stop = actions.do_propose_stop(world["pension"], reason="移居国外", acting_user=second_staff)
    html = login(second_staff).get(reverse("benefits:decisions")).content.decode()
    assert f'data-testid="approve-{stop.pk}"' not in html
    assert f'data-testid="own-{stop.pk}"' in html


def test_it_approves_a_decision_once(cast, login, world, revert):
    client = login(cast["city_staff"])
    url = reverse("benefits:decision_approve", args=[revert.pk])
    assert client.post(url).status_code == 302
    assert DeathCase.objects.get(pk=world["case"].pk).status == DeathCaseStatus.REVERTED
    assert Benefit.objects.get(pk=world["pension"].pk).status == BenefitStatus.PAYING
    backpay = Payment.objects.filter(benefit=world["pension"], kind="back_pay").count()
    assert client.post(url).status_code == 302
    assert Payment.objects.filter(benefit=world["pension"], kind="back_pay").count() == backpay
    assert AuditEvent.objects.filter(object_type="decision", details__step="approve").count() == 1


def test_it_rejects_a_decision_with_a_reason(cast, login, world, revert):
    client = login(cast["city_staff"])
    url = reverse("benefits:decision_reject", args=[revert.pk])
    client.post(url, {"reason": ""})
    assert Decision.objects.get(pk=revert.pk).status == Decision.Status.PROPOSED
    client.post(url, {"reason": "火化证明属实"})
    assert Decision.objects.get(pk=revert.pk).status == Decision.Status.REJECTED
    assert DeathCase.objects.get(pk=world["case"].pk).status == DeathCaseStatus.CONFIRMED


@pytest.mark.parametrize("name", ["benefits:decision_approve", "benefits:decision_reject"])
@pytest.mark.parametrize("who", ["viewer", "clerk"])
def test_it_refuses_decisions_to_who_may_not_approve(cast, login, revert, name, who):
    response = login(cast[who]).post(reverse(name, args=[revert.pk]), {"reason": "x"})
    assert response.status_code == 403
    assert Decision.objects.get(pk=revert.pk).status == Decision.Status.PROPOSED


# -- recoveries ---------------------------------------------------------------------------------


@pytest.fixture
def recovery(world, cast):
    confirmed(world, cast)
    return Recovery.objects.get(case=world["case"])


@pytest.mark.parametrize("who", READERS)
def test_it_lists_and_shows_the_recoveries(cast, login, recovery, who):
    client = login(cast[who])
    html = client.get(reverse("benefits:recoveries")).content.decode()
    assert reverse("benefits:recovery", args=[recovery.pk]) in html
    page = client.get(reverse("benefits:recovery", args=[recovery.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="amount-due">21000.00<' in html
    assert ('data-testid="receipt-form"' in html) is (who != "viewer")


def test_it_hides_the_recoveries_from_the_outsider(cast, login, recovery):
    client = login(cast["outsider"])
    html = client.get(reverse("benefits:recoveries")).content.decode()
    assert reverse("benefits:recovery", args=[recovery.pk]) not in html
    assert client.get(reverse("benefits:recovery", args=[recovery.pk])).status_code == 404


def test_it_records_contact_instalments_and_money(cast, login, recovery):
    client = login(cast["clerk"])
    pk = recovery.pk
    client.post(reverse("benefits:recovery_contact", args=[pk]), {"note": "联系其子，同意退还"})
    client.post(reverse("benefits:recovery_instalments", args=[pk]), {"count": "3"})
    client.post(
        reverse("benefits:recovery_receipt", args=[pk]),
        {"amount": "7000.00", "received_on": "2026-11-25"},
    )
    recovery.refresh_from_db()
    assert recovery.contact_note == "联系其子，同意退还"
    assert (recovery.instalments, recovery.status) == (3, RecoveryStatus.INSTALMENTS)
    assert recovery.amount_returned == Decimal("7000.00")
    # more than is due is refused with a message, nothing recorded
    response = client.post(
        reverse("benefits:recovery_receipt", args=[pk]),
        {"amount": "15000.00", "received_on": "2026-11-25"},
        follow=True,
    )
    assert "14000.00" in response.content.decode()
    assert RecoveryReceipt.objects.filter(recovery=recovery).count() == 1


def test_it_proposes_a_write_off_for_a_second_person(cast, login, recovery, second_staff):
    login(cast["clerk"]).post(
        reverse("benefits:recovery_write_off", args=[recovery.pk]), {"reason": "无遗产可追"}
    )
    (decision,) = Decision.objects.filter(recovery=recovery)
    client = login(second_staff)
    client.post(reverse("benefits:decision_approve", args=[decision.pk]))
    recovery.refresh_from_db()
    assert recovery.status == RecoveryStatus.WRITTEN_OFF


RECOVERY_POSTS = [
    ("benefits:recovery_contact", {"note": "联系"}),
    ("benefits:recovery_instalments", {"count": "3"}),
    ("benefits:recovery_receipt", {"amount": "100", "received_on": "2026-11-25"}),
    ("benefits:recovery_write_off", {"reason": "无力偿还"}),
]


@pytest.mark.parametrize("name,data", RECOVERY_POSTS)
@pytest.mark.parametrize("who,status", [("viewer", 403), ("outsider", 404), ("sys_admin", 403)])
def test_it_refuses_recovery_posts(cast, login, recovery, name, data, who, status):
    response = login(cast[who]).post(reverse(name, args=[recovery.pk]), data)
    assert response.status_code == status
    recovery.refresh_from_db()
    assert (recovery.contact_note, recovery.instalments, recovery.amount_returned) == (
        "",
        None,
        Decimal("0.00"),
    )
    assert not Decision.objects.filter(recovery=recovery).exists()


def test_the_preview_agrees_with_the_recovery_opened(cast, login, world):
    # the page's preview and the approval's recovery come from the same SQL
    preview = stages.overpaid_by_benefit(world["person"].pk, rules.month_index(DIED))
    confirmed(world, cast)
    (recovery,) = Recovery.objects.filter(case=world["case"])
    assert [(o.months, o.amount) for o in preview] == [(recovery.months, recovery.amount_due)]
