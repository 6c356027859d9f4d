import csv
from datetime import datetime, time

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minsheng.audit.access import access_audit_trail
from minsheng.audit.actions import record_event
from minsheng.audit.models import AuditEvent, EventType, Result
from minsheng.lib.spreadsheet import safe_row
from minsheng.ui import StyledFormMixin


class EventFilterForm(StyledFormMixin, forms.Form):
    actor = forms.CharField(label=_("Actor"), required=False)
    event_type = forms.ChoiceField(
        label=_("Event type"), required=False, choices=[("", "—"), *EventType.choices]
    )
    result = forms.ChoiceField(
        label=_("Result"), required=False, choices=[("", "—"), *Result.choices]
    )
    object_type = forms.CharField(label=_("Object type"), required=False)
    object_id = forms.CharField(label=_("Object id"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def filter(self, qs):
        data = self.cleaned_data
        if data.get("actor"):
            qs = qs.filter(actor_username=data["actor"])
        for field in ("event_type", "result", "object_type", "object_id"):
            if data.get(field):
                qs = qs.filter(**{field: data[field]})
        tz = timezone.get_current_timezone()
        if data.get("date_from"):
            qs = qs.filter(created_at__gte=datetime.combine(data["date_from"], time.min, tz))
        if data.get("date_to"):
            qs = qs.filter(created_at__lte=datetime.combine(data["date_to"], time.max, tz))
        return qs


def filtered_events(request):
    access_audit_trail(request)
    form = EventFilterForm(request.GET or None)
    qs = AuditEvent.objects.visible_to(request.user)
    if form.is_valid():
        qs = form.filter(qs)
    filters = {k: str(v) for k, v in (form.cleaned_data.items() if form.is_valid() else []) if v}
    return form, qs, filters


@login_required
def event_list(request):
    form, qs, filters = filtered_events(request)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    record_event(
        EventType.AUDIT_VIEW,
        actor=request.user,
        request=request,
        object_type="audit_trail",
        details={"filters": filters, "page": page.number},
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "audit/event_list.html", {"form": form, "page": page, "query": query.urlencode()}
    )


@login_required
def event_export(request):
    form, qs, filters = filtered_events(request)
    record_event(
        EventType.AUDIT_EXPORT,
        actor=request.user,
        request=request,
        object_type="audit_trail",
        details={"filters": filters, "rows": qs.count()},
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-events.csv"'
    response.write("\ufeff")  # so Excel on the bureau's PCs opens it as UTF-8
    writer = csv.writer(response)
    writer.writerow(
        [
            "seq",
            "time",
            "actor",
            "role",
            "area",
            "event",
            "object_type",
            "object_id",
            "client",
            "result",
            "reason",
            "hash",
        ]
    )
    # Usernames tried at a failed login, reasons and object ids are whatever was typed:
    # safe_row keeps a value like =HYPERLINK(…) a text cell in Excel (formula injection).
    for e in qs.order_by("seq").iterator(chunk_size=2000):
        writer.writerow(
            safe_row(
                [
                    e.seq,
                    timezone.localtime(e.created_at).isoformat(),
                    e.actor_username,
                    e.actor_role,
                    e.actor_area,
                    e.event_type,
                    e.object_type,
                    e.object_id,
                    e.client_address,
                    e.result,
                    e.reason,
                    e.hash,
                ]
            )
        )
    return response
