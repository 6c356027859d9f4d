"""Staff pages for death handling (issue 14 point 3): the death cases with their signals, a
case with what stopping the person's benefits would mean, the decisions awaiting a second
person, and the recoveries with their receipts.

Views stay thin: every change goes through `actions/deaths.py`, and who may propose or
approve is what its `may_propose` / `may_approve` say (asked before a form is read, so a
read-only user's POST is a 403 whatever it carries). Every page that shows persons is
audited as a view; every refusal as a denial (`death_access.py`).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minsheng.accounts.persons import same_natural_person
from minsheng.audit.actions import deny, record_event
from minsheng.audit.models import EventType
from minsheng.lib import benefit_rules as rules
from minsheng.lib.masking import mask_name
from minsheng.ui import StyledFormMixin

from . import deaths as stages
from .actions import deaths as actions
from .death_access import access_case, access_decision, access_recovery, cases, decisions
from .death_access import recoveries as visible_recoveries
from .models import (
    Benefit,
    BenefitStatus,
    DeathCaseStatus,
    DeathSignal,
    Decision,
    RecoveryStatus,
)

PAGE = 50
OPEN_FIRST = [DeathCaseStatus.OPEN, DeathCaseStatus.PROPOSED, DeathCaseStatus.CONFIRMED]
OPEN_RECOVERIES_FIRST = [RecoveryStatus.OPEN, RecoveryStatus.INSTALMENTS]
SOURCE_LABELS = dict(DeathSignal.Source.choices)


def month_label(index: int | None) -> str:
    """A month index (`benefit_rules.month_index`) as YYYY-MM; "" for none."""
    if index is None:
        return ""
    return rules.month_from_index(index).strftime("%Y-%m")


def _ranked(qs, statuses):
    """`qs` with the rows of `statuses` first, in that order, then the others."""
    rank = Case(
        *[When(status=s, then=Value(i)) for i, s in enumerate(statuses)],
        default=Value(len(statuses)),
        output_field=IntegerField(),
    )
    return qs.annotate(rank=rank)


def _query_without_page(request) -> str:
    q = request.GET.copy()
    q.pop("page", None)
    return q.urlencode()


def _errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _act(request, object_type: str, pk, step, back):
    """Run the action `step`; a refusal by the action (one person proposing and approving)
    is a 403 with its audit event, a state error a message on the page."""
    try:
        step()
    except PermissionDenied:
        deny(request, object_type, pk)
    except actions.DeathCaseError as err:
        messages.error(request, " ".join(err.messages))
        return redirect(back)
    return None


# -- forms --------------------------------------------------------------------------------------


class ProposeDeathForm(StyledFormMixin, forms.Form):
    death_date = forms.DateField(
        label=gettext_lazy("Date of death"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    check_note = forms.CharField(
        label=gettext_lazy("Documented check"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Whom you asked or what you saw, and when. Needed unless two independent "
            "sources report the death."
        ),
    )


class ReasonForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class ContactForm(StyledFormMixin, forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Whom you contacted and what was agreed"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class InstalmentsForm(StyledFormMixin, forms.Form):
    count = forms.IntegerField(label=gettext_lazy("Number of instalments"), min_value=2)


class ReceiptForm(StyledFormMixin, forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("Amount received (yuan)"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
    )
    received_on = forms.DateField(
        label=gettext_lazy("Received on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


# -- death cases --------------------------------------------------------------------------------


@login_required
def death_list(request):
    """The death cases of the user's area, open ones first, with their signals' sources,
    the (reported) date of death and the benefits they touch."""
    qs = cases(request)
    status = request.GET.get("status", "")
    if status in DeathCaseStatus.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    qs = _ranked(qs, OPEN_FIRST).select_related("person").order_by("rank", "-opened_at", "-pk")
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    page_cases = list(page.object_list)
    signals = defaultdict(list)
    for case_id, source, died in DeathSignal.objects.filter(
        case_id__in=[c.pk for c in page_cases]
    ).values_list("case_id", "source", "death_date"):
        signals[case_id].append((source, died))
    benefits = defaultdict(list)
    for b in (
        Benefit.objects.filter(person_id__in={c.person_id for c in page_cases})
        .order_by("kind", "pk")
        .only("person_id", "kind", "status", "monthly_amount", "stopped_from")
    ):
        benefits[b.person_id].append(b)
    rows = []
    for c in page_cases:
        sources = sorted({s for s, _d in signals[c.pk]})
        reported = min((d for _s, d in signals[c.pk] if d is not None), default=None)
        rows.append(
            {
                "case": c,
                "name": mask_name(c.person.name) or "—",
                "sources": [(s, SOURCE_LABELS.get(s, s)) for s in sources],
                "death_date": c.death_date or reported,
                "reported": c.death_date is None and reported is not None,
                "benefits": benefits[c.person_id],
            }
        )
    record_event(
        EventType.VIEW,
        actor=request.user,
        request=request,
        object_type="death_cases",
        object_id=request.user.area.code,
        details={"status": status, "page": page.number, "cases": [c.pk for c in page_cases]},
    )
    return render(
        request,
        "benefits/deaths/list.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "statuses": DeathCaseStatus.choices,
            "may_collect": actions.may_approve(request.user),
            "query": _query_without_page(request),
        },
    )


@login_required
@require_POST
def death_collect(request):
    cases(request)  # 403 for who may not see death handling
    if not actions.may_approve(request.user):
        deny(request, "death_signals", "collect")
    counts = actions.do_collect_death_signals(acting_user=request.user)
    messages.success(
        request,
        _("%(signals)d new death signals; %(cases)d new cases opened.")
        % {"signals": counts["signals"], "cases": counts["cases_opened"]},
    )
    return redirect("benefits:deaths")


def _preview_date(case, signals):
    """The date of death the overpayment preview uses: the case's, else the earliest
    reported by a signal."""
    if case.death_date is not None:
        return case.death_date
    return min((s.death_date for s in signals if s.death_date is not None), default=None)


def _benefit_rows(request, case, died) -> tuple[list[dict], dict]:
    """The person's benefits, each with what a stop from the month after `died` means: the
    months and amount paid after the month of death (the SQL the approval uses)."""
    benefits = list(
        Benefit.objects.visible_to(request.user)
        .filter(person_id=case.person_id)
        .order_by("kind", "reference", "pk")
    )
    over, stop_from = {}, None
    if died is not None:
        stop_from = rules.month_index(rules.first_unpaid_month(died))
        over = {
            o.benefit_id: o
            for o in stages.overpaid_by_benefit(case.person_id, rules.month_index(died))
        }
    rows = []
    for b in benefits:
        o = over.get(b.pk)
        rows.append(
            {
                "benefit": b,
                "start": month_label(b.start_month),
                "paid_through": month_label(b.paid_through),
                "stopped_from": month_label(b.stopped_from),
                "months": o.months if o else 0,
                "overpaid": rules.money(o.amount) if o else Decimal("0.00"),
                "live": b.status in (BenefitStatus.PAYING, BenefitStatus.SUSPENDED),
            }
        )
    total = {
        "stop_from": month_label(stop_from),
        "months": sum(r["months"] for r in rows),
        "overpaid": sum((r["overpaid"] for r in rows), Decimal("0.00")),
    }
    return rows, total


@login_required
def death_case(request, pk: int):
    case = access_case(request, pk)
    user = request.user
    signals = list(case.signals.order_by("received_at", "pk"))
    died = _preview_date(case, signals)
    closed = case.status in (DeathCaseStatus.DISMISSED, DeathCaseStatus.REVERTED)
    benefit_rows, total = _benefit_rows(request, case, None if closed else died)
    case_recoveries = list(case.recoveries.select_related("benefit").order_by("pk"))
    pending = list(
        Decision.objects.filter(case=case, status=Decision.Status.PROPOSED).select_related(
            "proposed_by"
        )
    )
    may_propose = actions.may_propose(user, case)
    live = case.status in (DeathCaseStatus.OPEN, DeathCaseStatus.PROPOSED)
    is_proposer = same_natural_person(case.proposed_by, user)
    record_event(
        EventType.VIEW,
        actor=user,
        request=request,
        object_type="death_case",
        object_id=case.pk,
        details={"person": case.person_id},
    )
    propose_form = ProposeDeathForm(initial={"death_date": died})
    return render(
        request,
        "benefits/deaths/case.html",
        {
            "case": case,
            "name": mask_name(case.person.name) or "—",
            "signals": [(s, SOURCE_LABELS.get(s.source, s.source)) for s in signals],
            "died": died,
            "closed": closed,
            "benefit_rows": benefit_rows,
            "total": total,
            "recoveries": case_recoveries,
            "pending": pending,
            "survivors": case.survivors or {},
            "is_proposer": is_proposer,
            "may_propose": may_propose and case.status == DeathCaseStatus.OPEN,
            "may_approve": case.status == DeathCaseStatus.PROPOSED
            and actions.may_approve(user)
            and not is_proposer,
            "may_dismiss": may_propose and live,
            "may_revert": may_propose and case.status == DeathCaseStatus.CONFIRMED and not pending,
            "propose_form": propose_form,
            "reason_form": ReasonForm(),
        },
    )


def _case_for_proposer(request, pk: int):
    case = access_case(request, pk)
    if not actions.may_propose(request.user, case):
        deny(request, "death_case", pk)
    return case


@login_required
@require_POST
def death_propose(request, pk: int):
    case = _case_for_proposer(request, pk)
    back = redirect("benefits:death_case", pk=pk)
    form = ProposeDeathForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return back
    refused = _act(
        request,
        "death_case",
        pk,
        lambda: actions.do_propose_death(
            case,
            death_date=form.cleaned_data["death_date"],
            check_note=form.cleaned_data["check_note"],
            acting_user=request.user,
        ),
        back.url,
    )
    if refused is None:
        messages.success(request, _("Death confirmed; another member of staff must approve it."))
    return back


@login_required
@require_POST
def death_approve(request, pk: int):
    case = access_case(request, pk)
    if not actions.may_approve(request.user):
        deny(request, "death_case", pk)
    back = redirect("benefits:death_case", pk=pk)
    refused = _act(
        request,
        "death_case",
        pk,
        lambda: actions.do_approve_death(case, acting_user=request.user),
        back.url,
    )
    if refused is None:
        messages.success(
            request,
            _("Approved: the benefits are stopped and a recovery is opened for what was overpaid."),
        )
    return back


@login_required
@require_POST
def death_dismiss(request, pk: int):
    case = _case_for_proposer(request, pk)
    back = redirect("benefits:death_case", pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the report is wrong."))
        return back
    refused = _act(
        request,
        "death_case",
        pk,
        lambda: actions.do_dismiss_death(
            case, reason=form.cleaned_data["reason"], acting_user=request.user
        ),
        back.url,
    )
    if refused is None:
        messages.success(request, _("The report is dismissed."))
    return back


@login_required
@require_POST
def death_revert(request, pk: int):
    case = _case_for_proposer(request, pk)
    back = redirect("benefits:death_case", pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for this decision."))
        return back
    refused = _act(
        request,
        "death_case",
        pk,
        lambda: actions.do_propose_revert(
            case, reason=form.cleaned_data["reason"], acting_user=request.user
        ),
        back.url,
    )
    if refused is None:
        messages.success(request, _("Revert proposed; another member of staff must approve it."))
    return back


# -- decisions ----------------------------------------------------------------------------------


def _subject(d: Decision) -> dict:
    """What a decision is about, for the list: the person (masked), a label and a link."""
    if d.case_id is not None:
        return {"person": d.case.person, "case": d.case, "benefit": None, "recovery": None}
    if d.recovery_id is not None:
        r = d.recovery
        return {"person": r.person, "case": None, "benefit": r.benefit, "recovery": r}
    return {"person": d.benefit.person, "case": None, "benefit": d.benefit, "recovery": None}


@login_required
def decision_list(request):
    user = request.user
    qs = (
        decisions(request)
        .filter(status=Decision.Status.PROPOSED)
        .select_related(
            "proposed_by",
            "benefit__person",
            "case__person",
            "recovery__person",
            "recovery__benefit",
        )
        .order_by("proposed_at", "pk")
    )
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    approver = actions.may_approve(user)
    rows = []
    for d in page.object_list:
        subject = _subject(d)
        rows.append(
            {
                "decision": d,
                **subject,
                "name": mask_name(subject["person"].name) or "—",
                "may_decide": approver and not same_natural_person(d.proposed_by, user),
                "is_proposer": same_natural_person(d.proposed_by, user),
            }
        )
    record_event(
        EventType.VIEW,
        actor=user,
        request=request,
        object_type="decisions",
        object_id=user.area.code,
        details={"page": page.number, "decisions": [r["decision"].pk for r in rows]},
    )
    return render(
        request,
        "benefits/deaths/decisions.html",
        {"page": page, "rows": rows, "may_approve": approver},
    )


def _decision_for_approver(request, pk: int) -> Decision:
    decision = access_decision(request, pk)
    if not actions.may_approve(request.user):
        deny(request, "decision", pk)
    return decision


@login_required
@require_POST
def decision_approve(request, pk: int):
    decision = _decision_for_approver(request, pk)
    refused = _act(
        request,
        "decision",
        pk,
        lambda: actions.do_approve_decision(decision, acting_user=request.user),
        "benefits:decisions",
    )
    if refused is None:
        messages.success(request, _("Decision approved and carried out."))
    return redirect("benefits:decisions")


@login_required
@require_POST
def decision_reject(request, pk: int):
    decision = _decision_for_approver(request, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for rejecting it."))
        return redirect("benefits:decisions")
    refused = _act(
        request,
        "decision",
        pk,
        lambda: actions.do_reject_decision(
            decision, reason=form.cleaned_data["reason"], acting_user=request.user
        ),
        "benefits:decisions",
    )
    if refused is None:
        messages.success(request, _("Decision rejected; nothing was changed."))
    return redirect("benefits:decisions")


# -- recoveries ---------------------------------------------------------------------------------


@login_required
def recovery_list(request):
    qs = visible_recoveries(request)
    status = request.GET.get("status", "")
    if status in RecoveryStatus.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    qs = _ranked(qs, OPEN_RECOVERIES_FIRST).select_related("person", "benefit")
    page = Paginator(qs.order_by("rank", "-opened_at", "-pk"), PAGE).get_page(
        request.GET.get("page")
    )
    rows = [
        {
            "recovery": r,
            "name": mask_name(r.person.name) or "—",
            "outstanding": r.amount_due - r.amount_returned,
        }
        for r in page.object_list
    ]
    record_event(
        EventType.VIEW,
        actor=request.user,
        request=request,
        object_type="recoveries",
        object_id=request.user.area.code,
        details={"status": status, "page": page.number, "recoveries": [r.pk for r in page]},
    )
    return render(
        request,
        "benefits/deaths/recoveries.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "statuses": RecoveryStatus.choices,
            "query": _query_without_page(request),
        },
    )


@login_required
def recovery_detail(request, pk: int):
    recovery = access_recovery(request, pk)
    receipts = list(recovery.receipts.select_related("recorded_by").order_by("received_on", "pk"))
    pending = list(
        Decision.objects.filter(recovery=recovery, status=Decision.Status.PROPOSED).select_related(
            "proposed_by"
        )
    )
    is_open = recovery.status in actions.OPEN_RECOVERIES
    may = actions.may_propose(request.user, recovery) and is_open
    record_event(
        EventType.VIEW,
        actor=request.user,
        request=request,
        object_type="recovery",
        object_id=recovery.pk,
        details={"person": recovery.person_id},
    )
    return render(
        request,
        "benefits/deaths/recovery.html",
        {
            "recovery": recovery,
            "name": mask_name(recovery.person.name) or "—",
            "outstanding": recovery.amount_due - recovery.amount_returned,
            "receipts": receipts,
            "pending": pending,
            "may_record": may,
            "may_write_off": may and not pending,
            "contact_form": ContactForm(initial={"note": recovery.contact_note}),
            "instalments_form": InstalmentsForm(initial={"count": recovery.instalments}),
            "receipt_form": ReceiptForm(initial={"received_on": timezone.localdate()}),
            "reason_form": ReasonForm(),
        },
    )


def _recovery_step(request, pk: int, form_class, step, done: str):
    recovery = access_recovery(request, pk)
    if not actions.may_propose(request.user, recovery):
        deny(request, "recovery", pk)
    back = redirect("benefits:recovery", pk=pk)
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return back
    refused = _act(request, "recovery", pk, lambda: step(recovery, form.cleaned_data), back.url)
    if refused is None:
        messages.success(request, done)
    return back


@login_required
@require_POST
def recovery_contact(request, pk: int):
    return _recovery_step(
        request,
        pk,
        ContactForm,
        lambda r, data: actions.do_record_family_contact(
            r, note=data["note"], acting_user=request.user
        ),
        _("The contact with the family is recorded."),
    )


@login_required
@require_POST
def recovery_instalments(request, pk: int):
    return _recovery_step(
        request,
        pk,
        InstalmentsForm,
        lambda r, data: actions.do_agree_instalments(
            r, count=data["count"], acting_user=request.user
        ),
        _("The instalments are recorded."),
    )


@login_required
@require_POST
def recovery_receipt(request, pk: int):
    return _recovery_step(
        request,
        pk,
        ReceiptForm,
        lambda r, data: actions.do_record_receipt(
            r, amount=data["amount"], received_on=data["received_on"], acting_user=request.user
        ),
        _("The money received is recorded."),
    )


@login_required
@require_POST
def recovery_write_off(request, pk: int):
    return _recovery_step(
        request,
        pk,
        ReasonForm,
        lambda r, data: actions.do_propose_write_off(
            r, reason=data["reason"], acting_user=request.user
        ),
        _("Write-off proposed; another member of staff must approve it."),
    )
