"""Every change to policy runs: propose, approve (a second person), deliver, reject.

Each action checks who may act, writes in one transaction and records one audit event.
Candidates and deliveries are written set-wise (pages of 1,000 from the engine's query, and
one INSERT … SELECT for the delivery ledger), never one resident at a time.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from minsheng.accounts.persons import same_natural_person
from minsheng.audit.actions import record_event
from minsheng.audit.models import EventType
from minsheng.pipeline.signals import grid_tasks_requested
from minsheng.screening import engine

from .. import policies as catalogue
from ..models import (
    AREA_FIELDS,
    BenefitRecord,
    DeliveryKind,
    GridTaskRequest,
    Notification,
    PolicyCandidate,
    PolicyDelivery,
    PolicyRun,
    RunStatus,
)

PAGE = 1000


class PolicyRunError(ValueError):
    """A run that is not in a state for this step."""


def _require_city_staff(user) -> None:
    if user is None or not getattr(user, "is_city_staff", False) or not user.is_active:
        raise PermissionDenied("policy runs are for city bureau staff")


def _event(run: PolicyRun, step: str, user, request, **details) -> None:
    record_event(
        EventType.CHANGE,
        actor=user,
        request=request,
        object_type="policy_run",
        object_id=run.pk,
        details={"step": step, "policy": run.policy_code, "status": run.status, **details},
    )


def _explained(rows: list[dict], p: catalogue.Policy, text: str, as_of) -> dict:
    return engine.explain_many([r["person_id"] for r in rows], text, rule=p.code, as_of=as_of)


def _person_candidates(run: PolicyRun, p: catalogue.Policy, text: str) -> int:
    """Keyset pages of 1,000 over the engine's query; each page explained in one query and
    written in one bulk insert."""
    qs = engine.matching_all(text, rule=p.code, as_of=run.as_of).order_by("person_id")
    last, total = 0, 0
    while True:
        rows = list(qs.filter(person_id__gt=last).values("person_id", *AREA_FIELDS)[:PAGE])
        if not rows:
            return total
        why = _explained(rows, p, text, run.as_of)
        PolicyCandidate.objects.bulk_create(
            [
                PolicyCandidate(
                    run=run,
                    subject_key=str(r["person_id"]),
                    person_id=r["person_id"],
                    amount=p.amount,
                    explanation=[[c, held] for c, held in why.get(r["person_id"], [])],
                    **{f: r[f] or "" for f in AREA_FIELDS},
                )
                for r in rows
            ]
        )
        total += len(rows)
        last = rows[-1]["person_id"]


def _enterprise_candidates(run: PolicyRun, p: catalogue.Policy, thresholds: dict) -> int:
    values = p.resolve(thresholds)
    found = list(catalogue.enterprises(p, thresholds, as_of=run.as_of))
    PolicyCandidate.objects.bulk_create(
        [
            PolicyCandidate(
                run=run,
                subject_key=e["employment_employer_uscc"],
                enterprise_uscc=e["employment_employer_uscc"],
                enterprise_name=e["name"] or "",
                employees=e["employees"],
                amount=catalogue.enterprise_amount(p, e["employees"], thresholds),
                explanation=[
                    [f"参保职工 {e['employees']} 人 ≥ {values['min_staff']} 人", True],
                    [f"近 {values['layoff_months']} 个月无职工登记失业", True],
                ],
            )
            for e in found
        ],
        batch_size=PAGE,
    )
    return len(found)


def do_propose_policy_run(
    policy: catalogue.Policy, *, thresholds: dict | None = None, acting_user, request=None
) -> PolicyRun:
    """Evaluate the policy now and freeze the result as a proposed run."""
    _require_city_staff(acting_user)
    values = policy.resolve(thresholds)  # PolicyError before anything is written
    as_of = engine.archive_as_of()
    text = policy.rule_text(values)
    with transaction.atomic():
        run = PolicyRun.objects.create(
            policy_code=policy.code,
            policy_name=policy.name_zh,
            rule_version=policy.version,
            rule_text=text,
            thresholds=values,
            as_of=as_of,
            period=policy.period(as_of),
            budget_line=policy.budget_line,
            proposed_by=acting_user,
        )
        if policy.level == "enterprise":
            count = _enterprise_candidates(run, policy, values)
        else:
            count = _person_candidates(run, policy, text)
        total = run.candidates.aggregate(t=Sum("amount"))["t"] or Decimal(0)
        run.candidate_count, run.budget_total = count, total
        run.save(update_fields=["candidate_count", "budget_total", "updated_at"])
        _event(
            run,
            "propose",
            acting_user,
            request,
            candidates=count,
            budget=str(total),
            thresholds=values,
        )
    return run


def _locked(run: PolicyRun) -> PolicyRun:
    return PolicyRun.objects.select_for_update().get(pk=run.pk)


def do_approve_policy_run(run: PolicyRun, *, acting_user, request=None) -> PolicyRun:
    """The second person's approval (两人原则): never the proposer."""
    _require_city_staff(acting_user)
    with transaction.atomic():
        run = _locked(run)
        # Two accounts of one natural person (one staff number) are one person here.
        if same_natural_person(run.proposed_by, acting_user):
            raise PermissionDenied("the proposer of a run cannot approve it")
        if run.status != RunStatus.PROPOSED:
            raise PolicyRunError(f"run {run.pk} is {run.status}, not proposed")
        run.status, run.approved_by, run.approved_at = (
            RunStatus.APPROVED,
            acting_user,
            timezone.now(),
        )
        run.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
        _event(run, "approve", acting_user, request)
    return run


def do_reject_policy_run(
    run: PolicyRun, *, reason: str = "", acting_user, request=None
) -> PolicyRun:
    _require_city_staff(acting_user)
    with transaction.atomic():
        run = _locked(run)
        if run.status not in (RunStatus.PROPOSED, RunStatus.APPROVED):
            raise PolicyRunError(f"run {run.pk} is {run.status}; it can no longer be rejected")
        run.status, run.rejected_by, run.rejected_at = (
            RunStatus.REJECTED,
            acting_user,
            timezone.now(),
        )
        run.reject_reason = reason[:500]
        run.save(
            update_fields=["status", "rejected_by", "rejected_at", "reject_reason", "updated_at"]
        )
        _event(run, "reject", acting_user, request, reason=reason[:200])
    return run


def _insert_deliveries(run: PolicyRun, kind: str, now) -> int:
    """One INSERT … SELECT: every candidate of the run whose (policy, subject, period) is
    not yet in the ledger. ON CONFLICT covers a concurrent run of the same policy."""
    d, c = PolicyDelivery._meta.db_table, PolicyCandidate._meta.db_table
    areas = ", ".join(AREA_FIELDS)
    c_areas = ", ".join(f"c.{f}" for f in AREA_FIELDS)
    sql = (
        f"INSERT INTO {d} (policy_code, subject_key, period, run_id, candidate_id, person_id, "
        f"kind, amount, created_at, {areas}) "
        f"SELECT %s, c.subject_key, %s, c.run_id, c.id, c.person_id, %s, c.amount, %s, {c_areas} "
        f"FROM {c} c WHERE c.run_id = %s AND NOT EXISTS (SELECT 1 FROM {d} x "
        f"WHERE x.policy_code = %s AND x.subject_key = c.subject_key AND x.period = %s) "
        f"ON CONFLICT DO NOTHING"
    )
    stamp = connection.ops.adapt_datetimefield_value(now)
    params = [run.policy_code, run.period, kind, stamp, run.pk, run.policy_code, run.period]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def _outputs(run: PolicyRun, p: catalogue.Policy, now) -> None:
    """The benefit records, notifications or grid-task requests of the run's deliveries
    that do not have theirs yet (the one-to-one link makes this safe to repeat)."""
    missing = {
        "benefit_record": "benefit_record__isnull",
        "notify": "notification__isnull",
        "grid_task": "grid_task__isnull",
    }[p.delivery]
    qs = (
        PolicyDelivery.objects.filter(run=run, **{missing: True})
        .select_related("candidate")
        .order_by("pk")
    )
    last = 0
    while page := list(qs.filter(pk__gt=last)[:PAGE]):
        last = page[-1].pk
        common = [
            (d, {"run": run, "policy_code": run.policy_code, "delivery": d, "created_at": now})
            for d in page
        ]
        areas = [{f: getattr(d, f) for f in AREA_FIELDS} for d in page]
        if p.delivery == "benefit_record":
            BenefitRecord.objects.bulk_create(
                BenefitRecord(
                    person_id=d.person_id,
                    kind=p.benefit_kind,
                    amount=d.amount,
                    period=run.period,
                    budget_line=run.budget_line,
                    **kw,
                    **a,
                )
                for (d, kw), a in zip(common, areas, strict=True)
            )
        elif p.delivery == "grid_task":
            GridTaskRequest.objects.bulk_create(
                GridTaskRequest(
                    person_id=d.person_id,
                    kind=p.task_kind or p.code,
                    reason=p.name_zh,
                    **kw,
                    **a,
                )
                for (d, kw), a in zip(common, areas, strict=True)
            )
        else:
            Notification.objects.bulk_create(
                Notification(
                    person_id=d.person_id,
                    enterprise_uscc=d.candidate.enterprise_uscc,
                    channel=p.channel,
                    template=p.template,
                    payload={
                        "policy": p.name_zh,
                        "amount": str(d.amount),
                        "name": d.candidate.enterprise_name,
                        "employees": d.candidate.employees,
                        "period": run.period,
                    },
                    **kw,
                    **a,
                )
                for (d, kw), a in zip(common, areas, strict=True)
            )


def _request_grid_tasks(run: PolicyRun, acting_user) -> None:
    """Hand the run's pending grid-task requests to the grid app (a signal: the apps sit
    side by side); what it did is kept on each request's status."""
    pending = GridTaskRequest.objects.filter(run=run, status="pending")
    responses = grid_tasks_requested.send(
        sender=GridTaskRequest, requests=pending, acting_user=acting_user
    )
    if responses:
        pending.update(status="sent")


def do_deliver_policy_run(run: PolicyRun, *, acting_user, request=None) -> PolicyRun:
    """Deliver an approved run. Idempotent: subjects already in the ledger for this policy
    and period (from this run or an earlier one) are skipped, so calling it again delivers
    nothing twice."""
    _require_city_staff(acting_user)
    try:
        p = catalogue.policy(run.policy_code)
    except KeyError:
        raise PolicyRunError(f"policy {run.policy_code} is no longer in the catalogue") from None
    with transaction.atomic():
        run = _locked(run)
        if run.status not in (RunStatus.APPROVED, RunStatus.DELIVERED):
            raise PolicyRunError(f"run {run.pk} is {run.status}, not approved")
        now = timezone.now()
        added = _insert_deliveries(run, DeliveryKind(p.delivery), now)
        _outputs(run, p, now)
        if p.delivery == "grid_task":
            _request_grid_tasks(run, acting_user)
        delivered = PolicyDelivery.objects.filter(run=run).count()
        run.status, run.delivered_count = RunStatus.DELIVERED, delivered
        run.skipped_count = run.candidate_count - delivered
        run.delivered_at = run.delivered_at or now
        run.save(
            update_fields=[
                "status",
                "delivered_count",
                "skipped_count",
                "delivered_at",
                "updated_at",
            ]
        )
        _event(run, "deliver", acting_user, request, added=added, delivered=delivered)
    return run
