"""The city staff pages: policy list, what-if, proposal, run detail, approval by a second
person, delivery; everyone else refused and audited."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from minsheng.audit.models import AuditEvent
from minsheng.benefits.models import BenefitRecord, PolicyRun, RunStatus

DAIJIAO = "resident_pension_daijiao"


@pytest.fixture
def candidates(resident):
    return [
        resident(age=16, name="赵一", assistance_dibao=True, assistance_status="1"),
        resident(age=59, name="钱二", assistance_tekun=True),
        resident(age=62, name="孙三", assistance_dibao=True, assistance_status="1"),
    ]


def test_it_lists_the_policies_for_city_staff(cast, login):
    # given city staff
    client = login(cast["city_staff"])
    # when they open 免申即享
    response = client.get(reverse("benefits:policy_list"))
    # then every policy is listed, and the menu leads there
    assert response.status_code == 200
    html = response.content.decode()
    for code in (DAIJIAO, "graduate_job_subsidy", "job_retention_refund"):
        assert f'data-testid="policy-{code}"' in html
    assert reverse("benefits:policy_list") in [url for _, url in response.context["nav"]]


@pytest.mark.parametrize(
    "who", ["clerk", "outsider", "grid_worker", "viewer", "supervision", "sys_admin"]
)
def test_it_refuses_everyone_but_city_staff(cast, login, who):
    # given a user who is not city staff
    client = login(cast[who])
    # when they open the policy pages
    urls = [
        reverse("benefits:policy_list"),
        reverse("benefits:policy_detail", args=[DAIJIAO]),
    ]
    statuses = [client.get(url).status_code for url in urls]
    posted = client.post(reverse("benefits:run_propose", args=[DAIJIAO])).status_code
    # then each is refused and the refusal is audited
    assert statuses == [403, 403] and posted == 403
    assert AuditEvent.objects.filter(actor=cast[who], event_type="denied").count() == 3
    assert not PolicyRun.objects.exists()


@pytest.mark.parametrize("who,shown", [("city_staff", True), ("clerk", False), ("viewer", False)])
def test_it_shows_the_menu_entry_to_city_staff_only(cast, rf, who, shown):
    from minsheng.accounts.context_processors import navigation

    request = rf.get("/")
    request.user = cast[who]
    urls = [url for _, url in navigation(request)["nav"]]
    assert (reverse("benefits:policy_list") in urls) is shown


def test_it_shows_what_if_count_and_cost_without_saving(cast, login, candidates):
    # given city staff on the 代缴 policy with three 低保/特困 residents, one aged 62
    client = login(cast["city_staff"])
    url = reverse("benefits:policy_detail", args=[DAIJIAO])
    # when they try an upper age of 64
    response = client.get(url, {"what_if": "1", "min_age": 16, "max_age": 64})
    # then the page shows 2 now and 3 under the new threshold, at 100 元 each
    assert response.context["baseline"]["count"] == 2
    what_if = response.context["what_if"]
    assert what_if["after"]["count"] == 3 and str(what_if["after"]["cost"]) == "300.00"
    assert what_if["count_delta"] == 1 and str(what_if["cost_delta"]) == "100.00"
    assert 'data-testid="what-if-count">3<' in response.content.decode()
    # and nothing was saved
    assert not PolicyRun.objects.exists()


def test_it_runs_the_two_person_approval_through_the_pages(
    cast, second_staff, login, client, candidates
):
    # given city staff who propose a run with a higher age limit
    login(cast["city_staff"])
    response = client.post(
        reverse("benefits:run_propose", args=[DAIJIAO]), {"min_age": 16, "max_age": 64}
    )
    run = PolicyRun.objects.get()
    assert response.url == reverse("benefits:run_detail", args=[run.pk])
    assert run.candidate_count == 3 and run.thresholds["max_age"] == 64
    # when the proposer looks at it, they see masked names and no approve button,
    detail = client.get(reverse("benefits:run_detail", args=[run.pk]))
    html = detail.content.decode()
    assert "赵*" in html and "赵一" not in html
    assert 'data-testid="approve"' not in html
    # and approving it themselves is refused
    assert client.post(reverse("benefits:run_approve", args=[run.pk])).status_code == 403
    run.refresh_from_db()
    assert run.status == RunStatus.PROPOSED
    # when a second member of staff approves and delivers
    login(second_staff)
    client.post(reverse("benefits:run_approve", args=[run.pk]))
    client.post(reverse("benefits:run_deliver", args=[run.pk]))
    # then the run is delivered with three benefit records
    run.refresh_from_db()
    assert run.status == RunStatus.DELIVERED and run.approved_by == second_staff
    assert BenefitRecord.objects.count() == 3
    # and the page view of the candidates was audited
    assert AuditEvent.objects.filter(object_type="policy_run", event_type="view").exists()


def test_it_rejects_a_run_from_the_page(cast, second_staff, login, client, candidates):
    login(cast["city_staff"])
    client.post(reverse("benefits:run_propose", args=[DAIJIAO]))
    run = PolicyRun.objects.get()
    login(second_staff)
    client.post(reverse("benefits:run_reject", args=[run.pk]), {"reason": "规则待核"})
    run.refresh_from_db()
    assert run.status == RunStatus.REJECTED and run.reject_reason == "规则待核"


def test_it_answers_404_for_an_unknown_policy_or_run(cast, login):
    client = login(cast["city_staff"])
    assert client.get(reverse("benefits:policy_detail", args=["nope"])).status_code == 404
    assert client.get(reverse("benefits:run_detail", args=[999])).status_code == 404


def test_it_shows_a_run_page_in_the_same_number_of_queries_for_more_candidates(
    cast, login, resident
):
    # given two runs, one with one candidate and one with twenty
    from minsheng.benefits import actions
    from minsheng.benefits import policies as catalogue

    p = catalogue.policy(DAIJIAO)
    resident(age=30, assistance_dibao=True, assistance_status="1")
    small = actions.do_propose_policy_run(p, acting_user=cast["city_staff"])
    for _ in range(19):
        resident(age=30, assistance_dibao=True, assistance_status="1")
    large = actions.do_propose_policy_run(p, acting_user=cast["city_staff"])
    client = login(cast["city_staff"])
    client.get(reverse("benefits:run_detail", args=[small.pk]))  # warm the session
    # when each run page is shown
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("benefits:run_detail", args=[small.pk]))
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("benefits:run_detail", args=[large.pk]))
    # then the number of queries does not grow with the candidates
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize(
    "code",
    [
        "graduate_job_subsidy",
        "resident_pension_daijiao",
        "certification_door_to_door",
        "job_retention_refund",
    ],
)
def test_it_renders_every_policy_with_its_what_if_form(cast, login, code):
    # given city staff
    client = login(cast["city_staff"])
    url = reverse("benefits:policy_detail", args=[code])
    # when they open the policy and compute its what-if with the defaults
    from minsheng.benefits import policies as catalogue

    defaults = {k: v for k, v in catalogue.policy(code).thresholds.items()}
    response = client.get(url, {"what_if": "1", **defaults})
    # then the page shows no change against the current figures
    assert response.status_code == 200
    assert response.context["what_if"]["count_delta"] == 0
    assert 'data-testid="rule"' in response.content.decode()
