"""City staff pages for 免申即享: the policy catalogue, a policy with its what-if form and
its runs, a run's candidates (masked) with the two-person approval, rejection and delivery.

Views stay thin: changes go through `actions.py`; everyone but city staff is refused with a
DENIED audit event, and every page that shows candidates is audited as a view.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minsheng.audit.actions import deny, record_event
from minsheng.audit.models import EventType
from minsheng.lib.masking import mask_name
from minsheng.residents.models import Resident
from minsheng.ui import StyledFormMixin

from . import actions
from . import policies as catalogue
from .access import access_policies, access_policy, access_run
from .models import PolicyRun, RunStatus

CANDIDATE_PAGE = 50


def threshold_form(p: catalogue.Policy, data=None):
    """A form with one number field per threshold, its default as the initial value."""
    fields = {}
    for name, default in p.thresholds.items():
        field_class = forms.IntegerField if isinstance(default, int) else forms.DecimalField
        fields[name] = field_class(
            label=p.threshold_labels.get(name, name), initial=default, min_value=0, required=False
        )
    form_class = type("ThresholdForm", (StyledFormMixin, forms.Form), fields)
    return form_class(data)


def _thresholds(form) -> dict:
    return {k: v for k, v in form.cleaned_data.items() if v is not None}


@login_required
def policy_list(request):
    access_policies(request)
    runs = {}
    for run in PolicyRun.objects.order_by("policy_code", "-id"):
        runs.setdefault(run.policy_code, run)
    rows = [{"policy": p, "last_run": runs.get(p.code)} for p in catalogue.policies()]
    return render(request, "benefits/policy_list.html", {"rows": rows})


@login_required
def policy_detail(request, code: str):
    """The policy, its runs, and the what-if: other thresholds → count and cost before and
    after, computed in the database and never saved."""
    p = access_policy(request, code)
    baseline = catalogue.evaluate(p)
    form = threshold_form(p, request.GET if "what_if" in request.GET else None)
    what_if = None
    if form.is_bound and form.is_valid():
        try:
            after = catalogue.evaluate(p, _thresholds(form))
        except catalogue.PolicyError as err:
            form.add_error(None, str(err))
        else:
            what_if = {
                "after": after,
                "count_delta": after["count"] - baseline["count"],
                "cost_delta": after["cost"] - baseline["cost"],
                "thresholds": p.resolve(_thresholds(form)),
            }
    context = {
        "policy": p,
        "description": p.description(what_if["thresholds"] if what_if else None),
        "baseline": baseline,
        "form": form,
        "what_if": what_if,
        "runs": PolicyRun.objects.filter(policy_code=p.code).select_related("proposed_by")[:20],
    }
    return render(request, "benefits/policy_detail.html", context)


@login_required
@require_POST
def run_propose(request, code: str):
    p = access_policy(request, code)
    form = threshold_form(p, request.POST)
    if not form.is_valid():
        messages.error(request, _("The thresholds are not valid numbers."))
        return redirect("benefits:policy_detail", code=code)
    try:
        run = actions.do_propose_policy_run(
            p, thresholds=_thresholds(form), acting_user=request.user, request=request
        )
    except catalogue.PolicyError as err:
        messages.error(request, str(err))
        return redirect("benefits:policy_detail", code=code)
    messages.success(request, _("Run proposed; another member of staff must approve it."))
    return redirect("benefits:run_detail", pk=run.pk)


def _candidate_rows(page) -> list[dict]:
    person_ids = [c.person_id for c in page if c.person_id]
    names = dict(
        Resident.objects.filter(person_id__in=person_ids).values_list("person_id", "identity_name")
    )
    rows = []
    for c in page:
        if c.person_id:
            label = mask_name(names.get(c.person_id)) or "—"
        else:
            label = c.enterprise_name or c.enterprise_uscc
        rows.append({"candidate": c, "label": label})
    return rows


@login_required
def run_detail(request, pk: int):
    run = access_run(request, pk)
    candidates = run.candidates.order_by("pk")
    page = Paginator(candidates, CANDIDATE_PAGE).get_page(request.GET.get("page"))
    rows = _candidate_rows(page.object_list)
    if rows:
        record_event(
            EventType.VIEW,
            actor=request.user,
            request=request,
            object_type="policy_run",
            object_id=run.pk,
            details={"page": page.number, "subjects": [r["candidate"].subject_key for r in rows]},
        )
    try:
        p = catalogue.policy(run.policy_code)
    except KeyError:
        p = None
    context = {
        "run": run,
        "policy": p,
        "page": page,
        "rows": rows,
        "may_approve": run.status == RunStatus.PROPOSED and run.proposed_by_id != request.user.pk,
        "may_reject": run.status in (RunStatus.PROPOSED, RunStatus.APPROVED),
        "may_deliver": run.status == RunStatus.APPROVED,
    }
    return render(request, "benefits/run_detail.html", context)


class RejectForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, required=False)


def _step(request, pk: int, step: str):
    run = access_run(request, pk)
    try:
        if step == "approve":
            actions.do_approve_policy_run(run, acting_user=request.user, request=request)
            messages.success(request, _("Run approved."))
        elif step == "reject":
            form = RejectForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            actions.do_reject_policy_run(
                run, reason=reason, acting_user=request.user, request=request
            )
            messages.success(request, _("Run rejected."))
        else:
            run = actions.do_deliver_policy_run(run, acting_user=request.user, request=request)
            messages.success(
                request,
                _("Delivered to %(n)d subjects; %(skipped)d had already received it.")
                % {"n": run.delivered_count, "skipped": run.skipped_count},
            )
    except PermissionDenied:
        deny(request, "policy_run", pk)
    except actions.PolicyRunError:
        messages.error(request, _("This run is not in a state for that step."))
    return redirect("benefits:run_detail", pk=pk)


@login_required
@require_POST
def run_approve(request, pk: int):
    return _step(request, pk, "approve")


@login_required
@require_POST
def run_reject(request, pk: int):
    return _step(request, pk, "reject")


@login_required
@require_POST
def run_deliver(request, pk: int):
    return _step(request, pk, "deliver")
