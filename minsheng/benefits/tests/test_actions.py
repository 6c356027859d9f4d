"""Proposing, approving (two people), rejecting and delivering policy runs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from minsheng.audit.models import AuditEvent
from minsheng.benefits import actions
from minsheng.benefits import policies as catalogue
from minsheng.benefits.models import (
    BenefitRecord,
    GridTaskRequest,
    Notification,
    PolicyDelivery,
    PolicyRun,
    RunStatus,
)
from minsheng.benefits.timeline import events_for

DAIJIAO = "resident_pension_daijiao"


def approved_run(code: str, proposer, approver, **thresholds) -> PolicyRun:
    run = actions.do_propose_policy_run(
        catalogue.policy(code), thresholds=thresholds, acting_user=proposer
    )
    return actions.do_approve_policy_run(run, acting_user=approver)


def events(step: str) -> int:
    return AuditEvent.objects.filter(object_type="policy_run", details__step=step).count()


def test_it_proposes_a_run_with_candidates_explanations_and_budget(cast, resident):
    # given two 低保 residents of working age and one too old
    a = resident(age=30, assistance_dibao=True, assistance_status="1")
    b = resident(age=45, disability_severe=True)
    resident(age=70, assistance_dibao=True, assistance_status="1")
    # when city staff propose the 代缴 run
    run = actions.do_propose_policy_run(
        catalogue.policy(DAIJIAO), thresholds={}, acting_user=cast["city_staff"]
    )
    # then the run holds the two, at 100 元 each, with why each qualified
    assert run.status == RunStatus.PROPOSED
    assert run.candidate_count == 2 and run.budget_total == Decimal("200.00")
    assert run.period == "2026" and run.thresholds == {"min_age": 16, "max_age": 59}
    cands = {c.person_id: c for c in run.candidates.all()}
    assert set(cands) == {a.pk, b.pk}
    assert ["age between 16 and 59", True] in cands[a.pk].explanation
    assert cands[a.pk].community_code == "150302001001"
    # and one audit event records it
    assert events("propose") == 1


@pytest.mark.parametrize("who", ["clerk", "outsider", "grid_worker", "supervision", "sys_admin"])
def test_it_refuses_a_proposal_from_anyone_but_city_staff(cast, resident, who):
    # given a candidate
    resident(age=30, assistance_dibao=True, assistance_status="1")
    # when / then anyone but city staff is refused and nothing is written
    with pytest.raises(PermissionDenied):
        actions.do_propose_policy_run(catalogue.policy(DAIJIAO), acting_user=cast[who])
    assert not PolicyRun.objects.exists()


def test_it_does_not_let_the_proposer_approve(cast, resident):
    # given a run proposed by city staff
    resident(age=30, assistance_dibao=True, assistance_status="1")
    run = actions.do_propose_policy_run(catalogue.policy(DAIJIAO), acting_user=cast["city_staff"])
    # when the proposer tries to approve it
    with pytest.raises(PermissionDenied):
        actions.do_approve_policy_run(run, acting_user=cast["city_staff"])
    # then it stays proposed, and no approval event exists
    run.refresh_from_db()
    assert run.status == RunStatus.PROPOSED and run.approved_by is None
    assert events("approve") == 0


def test_it_refuses_self_approval_in_the_database_too(cast, resident):
    # given a proposed run
    run = actions.do_propose_policy_run(catalogue.policy(DAIJIAO), acting_user=cast["city_staff"])
    # when code bypassing the action sets the proposer as approver
    # then the database's check constraint refuses it
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyRun.objects.filter(pk=run.pk).update(approved_by=cast["city_staff"])


def test_it_refuses_an_approval_by_someone_outside_the_city_bureau(cast, resident):
    run = actions.do_propose_policy_run(catalogue.policy(DAIJIAO), acting_user=cast["city_staff"])
    with pytest.raises(PermissionDenied):
        actions.do_approve_policy_run(run, acting_user=cast["street_clerk"])


def test_it_delivers_benefit_records_once_however_often_it_is_asked(cast, second_staff, resident):
    # given an approved 代缴 run for two residents
    a = resident(age=30, assistance_dibao=True, assistance_status="1")
    resident(age=40, assistance_tekun=True)
    run = approved_run(DAIJIAO, cast["city_staff"], second_staff)
    # when it is delivered, and delivered again
    run = actions.do_deliver_policy_run(run, acting_user=second_staff)
    again = actions.do_deliver_policy_run(run, acting_user=cast["city_staff"])
    # then each resident has one delivery and one 100 元 benefit record
    assert run.status == again.status == RunStatus.DELIVERED
    assert again.delivered_count == 2 and again.skipped_count == 0
    assert PolicyDelivery.objects.count() == 2
    records = BenefitRecord.objects.filter(person=a)
    assert [(r.kind, r.amount, r.period) for r in records] == [
        ("城乡居民养老保险代缴", Decimal("100.00"), "2026")
    ]
    assert BenefitRecord.objects.count() == 2
    assert events("deliver") == 2


def test_it_delivers_only_new_subjects_in_a_second_run(cast, second_staff, resident):
    # given a delivered 代缴 run for one resident
    first = resident(age=30, assistance_dibao=True, assistance_status="1")
    run1 = approved_run(DAIJIAO, cast["city_staff"], second_staff)
    actions.do_deliver_policy_run(run1, acting_user=second_staff)
    # when a new resident qualifies and a second run is proposed, approved and delivered
    newcomer = resident(age=31, assistance_dibao=True, assistance_status="1")
    run2 = approved_run(DAIJIAO, second_staff, cast["city_staff"])
    run2 = actions.do_deliver_policy_run(run2, acting_user=cast["city_staff"])
    # then the second run found both, delivered only the newcomer, and skipped the first
    assert run2.candidate_count == 2
    assert run2.delivered_count == 1 and run2.skipped_count == 1
    assert list(PolicyDelivery.objects.filter(run=run2).values_list("person_id", flat=True)) == [
        newcomer.pk
    ]
    assert BenefitRecord.objects.filter(person=first).count() == 1


def test_it_does_not_deliver_a_run_that_is_not_approved(cast, second_staff, resident):
    # given a proposed run and a rejected one
    resident(age=30, assistance_dibao=True, assistance_status="1")
    proposed = actions.do_propose_policy_run(
        catalogue.policy(DAIJIAO), acting_user=cast["city_staff"]
    )
    rejected = actions.do_reject_policy_run(
        actions.do_propose_policy_run(catalogue.policy(DAIJIAO), acting_user=cast["city_staff"]),
        reason="预算不足",
        acting_user=second_staff,
    )
    # when / then neither can be delivered and nothing is delivered
    for run in (proposed, rejected):
        with pytest.raises(actions.PolicyRunError):
            actions.do_deliver_policy_run(run, acting_user=second_staff)
    assert rejected.status == RunStatus.REJECTED and rejected.reject_reason == "预算不足"
    assert not PolicyDelivery.objects.exists()
    # and a rejected run cannot be approved any more
    with pytest.raises(actions.PolicyRunError):
        actions.do_approve_policy_run(rejected, acting_user=second_staff)


def test_it_sends_grid_task_requests_for_door_to_door_certification(cast, second_staff, resident):
    # given a pensioner aged 85 whose certification is due
    from datetime import date

    old = resident(
        age=85,
        benefits_pension_type="1",
        benefits_pension_payment_status="1",
        benefits_last_certification_date=date(2025, 3, 1),
    )
    run = approved_run("certification_door_to_door", cast["city_staff"], second_staff)
    # when the run is delivered
    actions.do_deliver_policy_run(run, acting_user=second_staff)
    # then a grid-task request goes to the resident's grid, with no money involved
    task = GridTaskRequest.objects.get()
    assert (task.person_id, task.kind, task.grid_code) == (
        old.pk,
        "certification",
        "150302001001001",
    )
    assert not BenefitRecord.objects.exists()


def test_it_notifies_the_enterprises_of_the_job_retention_refund(cast, second_staff, resident):
    # given an employer with five insured employees
    for _ in range(5):
        resident(
            age=35,
            employment_employer_uscc="91150302MA0000001A",
            employment_employer="乌海市稳岗有限公司",
            employment_status="1",
            insurance_unemployment_insurance_status="1",
        )
    # when the refund run is approved and delivered twice
    run = approved_run("job_retention_refund", cast["city_staff"], second_staff)
    actions.do_deliver_policy_run(run, acting_user=second_staff)
    actions.do_deliver_policy_run(run, acting_user=second_staff)
    # then one SMS waits in the outbox for the enterprise, with the amount
    note = Notification.objects.get()
    assert note.enterprise_uscc == "91150302MA0000001A" and note.person_id is None
    assert note.status == "pending" and note.channel == "sms"
    assert note.payload["amount"] == "12000.00" and note.payload["employees"] == 5
    assert run.candidates.get().explanation[0] == ["参保职工 5 人 ≥ 5 人", True]


def test_it_lists_a_persons_deliveries_on_their_timeline(cast, second_staff, resident):
    # given a delivered 代缴 run for a resident
    a = resident(age=30, assistance_dibao=True, assistance_status="1")
    run = approved_run(DAIJIAO, cast["city_staff"], second_staff)
    actions.do_deliver_policy_run(run, acting_user=second_staff)
    # when the portrait asks for the person's events
    found = events_for(a.pk)
    # then the delivery and the benefit record are there, in Chinese
    assert {e["kind"] for e in found} == {"policy_delivery", "benefit_record"}
    assert all(set(e) == {"date", "kind", "title", "detail"} for e in found)
    assert any(e["title"] == "城乡居民养老保险代缴 100.00元" for e in found)
    assert events_for(a.pk + 1000) == []


def test_it_scopes_benefit_records_to_the_users_area(cast, second_staff, resident):
    # given delivered 代缴 records for a resident of 清泉社区 and one of 巴音赛
    here = resident("qingquan1", age=30, assistance_dibao=True, assistance_status="1")
    there = resident("bayinsai1", age=30, assistance_dibao=True, assistance_status="1")
    run = approved_run(DAIJIAO, cast["city_staff"], second_staff)
    actions.do_deliver_policy_run(run, acting_user=second_staff)

    # when each user asks for the records they may see
    def seen(who):
        return set(BenefitRecord.objects.visible_to(cast[who]).values_list("person_id", flat=True))

    # then the clerk sees their community, the outsider theirs, administrators nothing
    assert seen("clerk") == {here.pk}
    assert seen("outsider") == {there.pk}
    assert seen("city_staff") == {here.pk, there.pk}
    assert seen("sys_admin") == set() and seen("supervision") == set()
    assert set(
        PolicyDelivery.objects.visible_to(cast["clerk"]).values_list("person_id", flat=True)
    ) == {here.pk}
