"""Staff pages of the benefit roll: the recipients (masked, by area), one benefit with its
payments, certifications and decisions, the monthly payment runs with their totals and the
bank's file, and the certification list (due and overdue).

Views stay thin: the doors are in `roll_access`, every change is an action
(`actions.roll`, `actions.deaths`, `actions.visits`), and every page that shows people is
audited as a VIEW.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from minsheng.audit.actions import deny, record_event
from minsheng.audit.models import EventType
from minsheng.geo.models import Area
from minsheng.lib.benefit_rules import certification_due, month_from_index, month_index
from minsheng.lib.masking import mask_name
from minsheng.residents.forms import RevealForm
from minsheng.ui import StyledFormMixin

from . import roll as roll_sql
from .actions import deaths as death_actions
from .actions.roll import do_certify_silently, do_export_payment_file, do_record_certification
from .actions.visits import do_request_certification_visits
from .jobs import enqueue_payroll
from .models import (
    CERTIFIED_KINDS,
    BenefitKind,
    BenefitStatus,
    Certification,
    CertificationMethod,
    DecisionKind,
    PaymentKind,
    PayrollRun,
)
from .roll_access import (
    access_benefit,
    access_payroll,
    access_payroll_run,
    access_roll,
    access_writable_benefit,
    may_run_payroll,
)

ROLL_PAGE = 50
PAYMENT_LINES = 120  # the newest lines of one benefit shown

STOP_REASONS = {
    death_actions.DEATH: gettext_lazy("Death"),
    death_actions.MANUAL: gettext_lazy("Stopped by a decision of two people"),
    roll_sql.OVERDUE: gettext_lazy("Certification overdue"),
}


def month_text(index: int | None) -> str:
    """A month index as YYYY-MM ("" for none)."""
    if index is None:
        return ""
    m = month_from_index(index)
    return f"{m.year:04d}-{m.month:02d}"


def _query_without_page(request) -> str:
    q = request.GET.copy()
    q.pop("page", None)
    return q.urlencode()


def _view_event(request, object_type: str, object_id, **details) -> None:
    record_event(
        EventType.VIEW,
        actor=request.user,
        request=request,
        object_type=object_type,
        object_id=object_id,
        details=details,
    )


# -- 1. the roll ------------------------------------------------------------------------------


def _area_choices(user) -> list[Area]:
    """The areas one level below the user's, to narrow the roll to."""
    return list(
        Area.objects.filter(parent=user.area).order_by("code").only("code", "name", "level")
    )


@login_required
def roll(request):
    qs = access_roll(request)
    user = request.user
    f = {k: request.GET.get(k, "") for k in ("kind", "status", "area")}
    if f["kind"] not in BenefitKind.values:
        f["kind"] = ""
    if f["status"] not in BenefitStatus.values:
        f["status"] = ""
    children = _area_choices(user)
    chosen = next((a for a in children if a.code == f["area"]), None)
    if chosen is None:
        f["area"] = ""
    else:
        qs = qs.filter(**{f"{chosen.level}_code": chosen.code})
    # counts by kind × status over the area (the kind and status filters aside)
    counts = defaultdict(int)
    for row in qs.values("kind", "status").annotate(n=Count("pk")).order_by():
        counts[(row["kind"], row["status"])] = row["n"]
    matrix = [
        {
            "kind": kind,
            "label": label,
            "cells": [counts[(kind, status)] for status in BenefitStatus.values],
            "total": sum(counts[(kind, status)] for status in BenefitStatus.values),
        }
        for kind, label in BenefitKind.choices
    ]
    column_totals = [sum(counts[(k, s)] for k in BenefitKind.values) for s in BenefitStatus.values]
    listed = qs
    if f["kind"]:
        listed = listed.filter(kind=f["kind"])
    if f["status"]:
        listed = listed.filter(status=f["status"])
    page = Paginator(
        listed.select_related("person").order_by("pk"),
        ROLL_PAGE,
    ).get_page(request.GET.get("page"))
    rows = [
        {
            "b": b,
            "name": mask_name(b.person.name) or "—",
            "start": month_text(b.start_month),
            "end": month_text(b.end_month),
            "reason": STOP_REASONS.get(b.stop_reason, b.stop_reason),
        }
        for b in page
    ]
    _view_event(
        request,
        "benefit_roll",
        user.area.code,
        filters=f,
        page=page.number,
        benefits=[r["b"].pk for r in rows],
    )
    context = {
        "page": page,
        "rows": rows,
        "f": f,
        "kinds": BenefitKind.choices,
        "statuses": BenefitStatus.choices,
        "areas": children,
        "matrix": matrix,
        "column_totals": column_totals,
        "grand_total": sum(column_totals),
        "query": _query_without_page(request),
        "may_run_payroll": may_run_payroll(user),
    }
    return render(request, "benefits/roll/roll.html", context)


# -- 2. one benefit ---------------------------------------------------------------------------


class ReasonForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


class CertifyForm(StyledFormMixin, forms.Form):
    on = forms.DateField(
        label=gettext_lazy("Certified on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. seen at the window")}),
    )


@login_required
def benefit(request, pk: int):
    b = access_benefit(request, pk)
    user = request.user
    payments = list(b.payments.order_by("-first_month", "-pk")[:PAYMENT_LINES])
    lines = [
        {
            "p": p,
            "first": month_text(p.first_month),
            "last": month_text(p.last_month),
        }
        for p in payments
    ]
    paid = b.payments.aggregate(
        n=Count("pk"),
        total=Sum("amount"),
        back_pay=Sum("amount", filter=Q(kind=PaymentKind.BACK_PAY)),
    )
    certifications = list(
        Certification.objects.filter(person_id=b.person_id)
        .select_related("recorded_by")
        .order_by("-certified_on", "-pk")[:20]
    )
    decisions = list(
        b.decisions.select_related("proposed_by", "approved_by").order_by("-proposed_at", "-pk")
    )
    pending = {d.kind for d in decisions if d.status == d.Status.PROPOSED}
    may_propose = death_actions.may_propose(user, b)
    certified = b.kind in CERTIFIED_KINDS
    due = certification_due(b.certified_on) if certified and b.certified_on else None
    today = timezone.localdate()
    _view_event(request, "benefit", b.pk, person=b.person_id)
    context = {
        "b": b,
        "name": mask_name(b.person.name) or "—",
        "start": month_text(b.start_month),
        "end": month_text(b.end_month),
        "paid_through": month_text(b.paid_through),
        "suspended_from": month_text(b.suspended_from),
        "stopped_from": month_text(b.stopped_from),
        "reason": STOP_REASONS.get(b.stop_reason, b.stop_reason),
        "lines": lines,
        "paid": paid,
        "more_lines": paid["n"] > len(lines),
        "certifications": certifications,
        "decisions": decisions,
        "due": due,
        "overdue": due is not None and today > due,
        "may_stop": may_propose
        and b.status in (BenefitStatus.PAYING, BenefitStatus.SUSPENDED)
        and DecisionKind.STOP not in pending,
        "may_resume": may_propose
        and b.status == BenefitStatus.STOPPED
        and b.stop_reason != death_actions.DEATH
        and DecisionKind.RESUME not in pending,
        "pending": pending,
        "may_certify": certified and not user.is_read_only and b.status != BenefitStatus.STOPPED,
        "reason_form": ReasonForm(),
        "certify_form": CertifyForm(initial={"on": today}),
    }
    return render(request, "benefits/roll/benefit.html", context)


def _propose(request, pk: int, kind: str):
    b = access_writable_benefit(request, pk, f"benefit_{kind}")
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for this decision."))
        return redirect("benefits:benefit", pk=pk)
    do = death_actions.do_propose_stop if kind == "stop" else death_actions.do_propose_resume
    try:
        do(b, reason=form.cleaned_data["reason"], acting_user=request.user)
    except PermissionDenied:
        deny(request, f"benefit_{kind}", pk)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("Proposed; another member of city staff must approve it."))
    return redirect("benefits:benefit", pk=pk)


@login_required
@require_POST
def benefit_stop(request, pk: int):
    return _propose(request, pk, "stop")


@login_required
@require_POST
def benefit_resume(request, pk: int):
    return _propose(request, pk, "resume")


@login_required
@require_POST
def certify(request, pk: int):
    b = access_writable_benefit(request, pk, "certification")
    form = CertifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date of the certification."))
        return redirect("benefits:benefit", pk=pk)
    note = form.cleaned_data["note"].strip()
    try:
        do_record_certification(
            b.person,
            method=CertificationMethod.WINDOW,
            on=form.cleaned_data["on"],
            evidence={"note": note} if note else {},
            acting_user=request.user,
            request=request,
        )
    except PermissionDenied:
        deny(request, "certification", pk)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("The certification has been recorded."))
    return redirect("benefits:benefit", pk=pk)


# -- 3. the payment runs ----------------------------------------------------------------------

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthForm(StyledFormMixin, forms.Form):
    month = forms.CharField(
        label=gettext_lazy("Month"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}"}),
    )

    def clean_month(self) -> int:
        match = MONTH.match(self.cleaned_data["month"].strip())
        if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
            raise forms.ValidationError(_("Give the month as YYYY-MM."))
        return int(match[1]) * 12 + int(match[2]) - 1


class PaymentFileForm(RevealForm):
    """The bank's file holds full ID numbers and accounts: a stated reason (查询事由), checked
    as a reveal's is (`lib.reasons`)."""

    reason = forms.CharField(
        label=gettext_lazy("Reason for the export"),
        min_length=4,
        max_length=200,
        widget=forms.TextInput(
            attrs={"placeholder": gettext_lazy("e.g. pension payment of November for the bank")}
        ),
    )
    fmt = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[("csv", "CSV"), ("xlsx", "XLSX")],
        initial="xlsx",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )


@login_required
def payroll(request):
    access_payroll(request)
    runs = list(PayrollRun.objects.order_by("-month")[:36])
    rows = [{"run": r, "month": month_text(r.month)} for r in runs]
    upcoming = runs[0].month + 1 if runs else month_index(timezone.localdate())
    context = {"rows": rows, "form": MonthForm(initial={"month": month_text(upcoming)})}
    return render(request, "benefits/roll/payroll.html", context)


@login_required
@require_POST
def payroll_start(request):
    access_payroll(request, "payroll_run", "start")
    form = MonthForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(form.errors.get("month", [])))
        return redirect("benefits:payroll")
    month = form.cleaned_data["month"]
    done = PayrollRun.objects.filter(month=month, status=PayrollRun.Status.DONE).first()
    if done is not None:
        messages.info(request, _("The payment run of this month is done; nobody is paid twice."))
        return redirect("benefits:payroll_run", pk=done.pk)
    enqueue_payroll(month, request.user.pk)
    messages.success(
        request,
        _("The payment run of %(month)s has been queued; it appears here when it is done.")
        % {"month": month_text(month)},
    )
    return redirect("benefits:payroll")


def _run_totals(run: PayrollRun) -> dict:
    labels = dict(BenefitKind.choices)
    by_kind: dict[str, dict] = {}
    by_district: dict[str, dict] = {}
    cross: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for t in run.totals:
        amount = Decimal(t["total"])
        for key, into in ((t["kind"], by_kind), (t["district_code"], by_district)):
            row = into.setdefault(key, {"payments": 0, "total": Decimal(0)})
            row["payments"] += t["payments"]
            row["total"] += amount
        cross[(t["district_code"], t["kind"])] += amount
    names = dict(Area.objects.filter(code__in=list(by_district)).values_list("code", "name"))
    kinds = [k for k in BenefitKind.values if k in by_kind]
    districts = sorted(by_district)
    return {
        "by_kind": [{"kind": k, "label": labels[k], **by_kind[k]} for k in kinds],
        "by_district": [
            {"code": d, "name": names.get(d) or d or "—", **by_district[d]} for d in districts
        ],
        "chart": {
            "districts": [names.get(d) or d or "—" for d in districts],
            "series": [
                {"name": str(labels[k]), "data": [float(cross[(d, k)]) for d in districts]}
                for k in kinds
            ],
            "labels": {"title": _("Paid by district and benefit"), "yuan": _("yuan")},
        },
    }


@login_required
def payroll_run(request, pk: int):
    run = access_payroll_run(request, pk)
    totals = _run_totals(run)
    context = {
        "run": run,
        "month": month_text(run.month),
        **totals,
        "file_form": PaymentFileForm(),
    }
    return render(request, "benefits/roll/payroll_run.html", context)


@login_required
@require_POST
def payroll_file(request, pk: int):
    run = access_payroll_run(request, pk, "payment_file")
    form = PaymentFileForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("benefits:payroll_run", pk=pk)
    fmt = form.cleaned_data["fmt"]
    try:
        data = do_export_payment_file(
            run, fmt, acting_user=request.user, reason=form.cleaned_data["reason"], request=request
        )
    except PermissionDenied:
        deny(request, "payment_file", pk)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("benefits:payroll_run", pk=pk)
    content_type = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="payroll-{month_text(run.month)}.{fmt}"'
    )
    return response


# -- 4. survival certification ----------------------------------------------------------------


@login_required
def certifications(request):
    qs = access_roll(request, "certifications")
    user = request.user
    today = timezone.localdate()
    through = roll_sql.certified_through(today)
    # the latest certification date overdue today (due before today)
    overdue_until = roll_sql.certified_through(today - timedelta(days=1), within_days=0)
    due = qs.filter(
        Q(certified_on__isnull=True) | Q(certified_on__lte=through),
        kind__in=CERTIFIED_KINDS,
        status__in=[BenefitStatus.PAYING, BenefitStatus.SUSPENDED],
    )
    counts = due.aggregate(
        all=Count("pk"),
        overdue=Count("pk", filter=Q(certified_on__lte=overdue_until)),
        never=Count("pk", filter=Q(certified_on__isnull=True)),
    )
    counts["due"] = counts["all"] - counts["overdue"] - counts["never"]
    show = request.GET.get("show", "")
    if show == "overdue":
        due = due.filter(certified_on__lte=overdue_until)
    elif show == "due":
        due = due.filter(certified_on__gt=overdue_until)
    else:
        show = ""
    page = Paginator(
        due.select_related("person").order_by("certified_on", "pk"), ROLL_PAGE
    ).get_page(request.GET.get("page"))
    rows = []
    for b in page:
        when = certification_due(b.certified_on) if b.certified_on else None
        rows.append(
            {
                "b": b,
                "name": mask_name(b.person.name) or "—",
                "due": when,
                "overdue": when is not None and today > when,
                "days": (when - today).days if when is not None else None,
            }
        )
    _view_event(
        request,
        "certifications",
        user.area.code,
        show=show,
        page=page.number,
        benefits=[r["b"].pk for r in rows],
    )
    context = {
        "page": page,
        "rows": rows,
        "counts": counts,
        "show": show,
        "today": today,
        "within": roll_sql.DUE_WITHIN_DAYS,
        "query": _query_without_page(request),
        "may_run_payroll": may_run_payroll(user),
    }
    return render(request, "benefits/roll/certifications.html", context)


@login_required
@require_POST
def certify_silent(request):
    access_payroll(request, "certification", "silent")
    counts = do_certify_silently(on=timezone.localdate(), acting_user=request.user, request=request)
    messages.success(
        request,
        _(
            "%(certified)d recipients certified by data comparison; %(resumed)d benefits "
            "resumed with %(back_pay)d months of back pay."
        )
        % counts,
    )
    return redirect("benefits:certifications")


@login_required
@require_POST
def certify_visits(request):
    access_payroll(request, "certification", "visits")
    try:
        counts = do_request_certification_visits(
            timezone.localdate(), acting_user=request.user, request=request
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(
            request,
            _(
                "%(created)d door-to-door certification tasks sent to the grid workers; "
                "%(already_open)d were open already."
            )
            % {"created": counts.get("created", 0), "already_open": counts.get("already_open", 0)},
        )
    return redirect("benefits:certifications")
