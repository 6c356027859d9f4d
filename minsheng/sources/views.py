"""Staff pages of the import pipeline: upload with live progress, data quality per source,
batch detail and report (with how the file was read, its warnings and the department's
unmapped columns and labels to map), the departments' saved mappings, and the clerical
review queue of uncertain links and the unresolved records (待核实) per community.

Views stay thin: imports and review decisions go through `actions.py`; these functions
check who may look, mask what they show and audit every view of personal data.
"""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, F, Min, Value, When, Window
from django.db.models.functions import RowNumber
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from minsheng.audit.actions import deny, record_event
from minsheng.audit.models import EventType
from minsheng.catalogue import registry
from minsheng.keys import provider
from minsheng.lib import idcard
from minsheng.lib.masking import mask_address, mask_id, mask_name
from minsheng.ui import StyledFormMixin

from . import progress
from . import report as rpt
from .access import (
    access_batch,
    access_code_mapping,
    access_column_mapping,
    access_imports,
    access_mappings,
    access_review,
    access_review_queue,
    access_unresolved,
    access_unresolved_list,
    may_decide_review,
    may_edit_mappings,
    may_resolve_unresolved,
)
from .actions import (
    do_decide_review,
    do_delete_code_mapping,
    do_delete_column_mapping,
    do_resolve_unresolved,
    do_save_code_mapping,
    do_save_column_mapping,
    reapply_problem,
)
from .mappings import code_choices, source_columns
from .models import (
    Batch,
    CodeMapping,
    ColumnMapping,
    LinkReview,
    Person,
    QuarantinedRow,
    ReviewStatus,
    RowWarning,
    UnresolvedRecord,
    UnresolvedStatus,
    fact_model,
)
from .signals import reapply_requested, upload_received

LATEST_BATCHES = 5  # per source on the data-quality page
QUARANTINE_PAGE = 50
WARNING_PAGE = 50
REVIEW_PAGE = 50
# What offices save: the reader decides the format by content, the suffix only keeps out
# files that are plainly no table (a .docx, a .pdf).
UPLOAD_SUFFIXES = (".csv", ".xlsx", ".xls", ".et", ".txt", ".tsv")


SEX_LABELS = {"1": gettext_lazy("Male"), "2": gettext_lazy("Female")}


# -- upload ----------------------------------------------------------------------------


class UploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Department export"),
        help_text=gettext_lazy("A CSV or XLSX file as the department delivered it."),
    )
    source = forms.ChoiceField(
        label=gettext_lazy("Source"),
        required=False,
        help_text=gettext_lazy("Leave on automatic to recognise it by file name and headers."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", _("Detect automatically"))] + [
            (s.name, registry.label(s.name)) for s in registry.sources()
        ]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in UPLOAD_SUFFIXES:
            raise forms.ValidationError(
                _(
                    "Only Excel/WPS workbooks (.xlsx, .xls, .et) and CSV or text files can be imported."
                )
            )
        return upload


def _save_upload(upload, token: str) -> Path:
    """Store the upload in a folder of its own: the folder makes it unique, and the file
    keeps its original (sanitised) name because the source is recognised by that name."""
    folder = Path(settings.VAR_DIR) / "uploads" / token
    folder.mkdir(parents=True, exist_ok=True)
    try:
        name = get_valid_filename(Path(upload.name).name)
    except Exception:  # SuspiciousFileOperation for names like ".."
        name = ""
    if not name or name.startswith("."):
        name = f"upload{Path(upload.name).suffix.lower()}"
    path = folder / name
    with path.open("wb") as f:
        for chunk in upload.chunks():
            f.write(chunk)
    return path


@login_required
def upload(request):
    access_imports(request, "import_upload")
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        token = progress.new_token()
        path = _save_upload(form.cleaned_data["file"], token)
        source = form.cleaned_data["source"] or None
        progress.start(token, user_id=request.user.pk, file_name=path.name, source=source or "")
        upload_received.send(
            sender=UploadForm,
            token=token,
            path=path,
            source=source,
            user_id=request.user.pk,
            language=translation.get_language(),
        )
        return redirect("sources:upload_progress", token=token)
    return render(request, "sources/upload.html", {"form": form})


POLLED = frozenset({progress.QUEUED, progress.RUNNING, progress.INTERRUPTED})


def _job(job_id: str) -> DBTaskResult | None:
    if not job_id:
        return None
    try:
        return (
            DBTaskResult.objects.only("status", "worker_ids", "return_value")
            .filter(pk=job_id)
            .first()
        )
    except ValidationError:  # not a job id
        return None


def _job_status(state: dict) -> None:
    """The status shown: the import job's state in the job table (queued, running, done,
    failed), running split by whether its worker is alive; the progress file adds the
    stage, the batch and the error the job wrote for the clerk."""
    job = _job(state.get("job_id") or "")
    if job is None:
        # Not queued yet (the request is committing), or the job row was pruned after it
        # ended (the file then says how); a job that vanished before it ended is lost.
        if state.get("job_id") and state.get("status") not in (progress.DONE, progress.FAILED):
            state["status"] = progress.FAILED
            state["error"] = _("The import job was lost. Upload the file again.")
        state["retry"] = False
        return
    state["retry"] = bool(job.worker_ids)  # READY again after an interrupted attempt
    if job.status == TaskResultStatus.READY:
        state["status"] = progress.QUEUED
    elif job.status == TaskResultStatus.RUNNING:
        alive = progress.worker_alive(job.worker_ids[-1] if job.worker_ids else "")
        state["status"] = progress.RUNNING if alive else progress.INTERRUPTED
    elif job.status == TaskResultStatus.SUCCESSFUL:
        state["status"] = progress.DONE
        state["batch_id"] = state.get("batch_id") or job.return_value
    else:
        state["status"] = progress.FAILED
        if not state.get("error"):
            # The job reported nothing: its worker was killed while running it, on the
            # job's last allowed attempt (`minsheng worker` requeues earlier ones).
            state["error"] = _(
                "The import was interrupted: the background worker stopped while running "
                "it, and nothing of it was kept. Upload the file again."
            )


def _progress_state(request, token: str) -> dict:
    access_imports(request, "import_progress", token)
    state = progress.read(token) if progress.valid_token(token) else None
    # Another user's upload is not theirs to watch: it names a file and its batch.
    if state is None or state.get("user_id") != request.user.pk:
        deny(request, "import_progress", token, not_found=True)
    _job_status(state)
    fraction = {progress.DONE: 1.0, progress.QUEUED: 0.0}.get(
        state["status"], float(state.get("fraction") or 0)
    )
    state["percent"] = round(100 * fraction)
    state["token"] = token
    state["polling"] = state["status"] in POLLED
    batch = None
    if state.get("batch_id"):
        batch = Batch.objects.filter(pk=state["batch_id"]).first()
    return {"state": state, "batch": batch}


@login_required
def upload_progress(request, token: str):
    return render(request, "sources/upload_progress.html", _progress_state(request, token))


@login_required
def upload_progress_fragment(request, token: str):
    return render(request, "sources/_progress.html", _progress_state(request, token))


# -- data quality ----------------------------------------------------------------------


def _decorate(batch: Batch) -> Batch:
    batch.reason_rows = rpt.reason_rows(batch)
    batch.method_rows = rpt.link_method_rows(batch)
    batch.conflict_rows = rpt.conflict_rows(batch)
    batch.conflict_total = sum(r["rows"] for r in batch.conflict_rows)
    return batch


@login_required
def quality(request):
    """Per source its latest batches: one query for the batches, one for open reviews, one
    for the unresolved records per community (how many, since when)."""
    access_imports(request, "import_quality")
    latest = (
        Batch.objects.defer(
            "warnings", "error", "sha256", "columns", "file_warnings", "other_sheets", "stored_path"
        )
        .annotate(rank=Window(RowNumber(), partition_by=[F("source")], order_by=F("id").desc()))
        .filter(rank__lte=LATEST_BATCHES)
        .order_by("source", "-id")
    )
    by_source: dict[str, list[Batch]] = {}
    for b in latest:
        by_source.setdefault(b.source, []).append(_decorate(b))
    pending = dict(
        LinkReview.objects.filter(status=ReviewStatus.PENDING)
        .values_list("source")
        .annotate(n=Count("id"))
        .order_by()
    )
    rows = [
        {
            "name": s.name,
            "label": registry.label(s.name),
            "department": s.department,
            "batches": by_source.get(s.name, []),
            "pending_reviews": pending.get(s.name, 0),
        }
        for s in registry.sources()
    ]
    latest_batches = [b for r in rows for b in r["batches"][:1]]
    now = timezone.now()
    unresolved = [
        a | {"days": (now - a["since"]).days}
        for a in UnresolvedRecord.objects.filter(status=UnresolvedStatus.PENDING)
        .values("area_id", "area__name", "area__level")
        .annotate(n=Count("id"), since=Min("created_at"))
        .order_by("-n", "area__name")
    ]
    totals = {
        "sources": sum(1 for r in rows if r["batches"]),
        "read": sum(b.rows_read for b in latest_batches),
        "quarantined": sum(b.rows_quarantined for b in latest_batches),
        "pending_reviews": sum(pending.values()),
        "unresolved": sum(a["n"] for a in unresolved),
    }
    context = {
        "sources": rows,
        "unresolved": unresolved,
        "totals": totals,
        "latest": LATEST_BATCHES,
        "legend": rpt.link_method_rows(Batch(link_methods={})),
    }
    return render(request, "sources/quality.html", context)


IGNORE = "-"  # the column choice "ignore this column" (an empty choice would be no choice)


class ColumnMappingForm(StyledFormMixin, forms.Form):
    header = forms.CharField(max_length=255, widget=forms.HiddenInput)
    column = forms.ChoiceField(label=gettext_lazy("Maps to"))

    def __init__(self, src: registry.Source, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["column"].choices = [("", _("Choose a column")), (IGNORE, _("Ignore"))] + [
            (name, label) for name, label in source_columns(src)
        ]


class CodeMappingForm(StyledFormMixin, forms.Form):
    column = forms.CharField(max_length=64, widget=forms.HiddenInput)
    label = forms.CharField(max_length=255, widget=forms.HiddenInput, strip=False)
    code = forms.ChoiceField(label=gettext_lazy("Code"))

    def __init__(self, src: registry.Source, column: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        try:
            choices = code_choices(src.column(column))
        except KeyError:
            choices = []
        self.fields["code"].choices = [("", _("Choose a code"))] + [
            (code, f"{code} {label}") for code, label in choices
        ]


def _pages(request, batch: Batch) -> tuple:
    """The page of quarantined rows (`page`) and of warnings (`wpage`), each paged alone."""
    quarantined = Paginator(
        QuarantinedRow.objects.filter(batch=batch).order_by("row"), QUARANTINE_PAGE
    ).get_page(request.GET.get("page"))
    warnings = Paginator(
        RowWarning.objects.filter(batch=batch).order_by("row", "id"), WARNING_PAGE
    ).get_page(request.GET.get("wpage"))
    return quarantined, warnings


@login_required
def batch_detail(request, pk: int):
    batch = _decorate(access_batch(request, pk))
    src = rpt.source_of(batch)
    page, wpage = _pages(request, batch)
    shown = rpt.shown_rows(batch, page.object_list)
    warned = rpt.shown_warnings(batch, wpage.object_list)
    columns = rpt.column_rows(batch)
    codes = rpt.unmapped_code_rows(batch)
    may_edit = may_edit_mappings(request.user) and src is not None
    unmapped = _unmapped_columns(batch, src, columns, with_forms=may_edit)
    if may_edit:
        _add_code_forms(src, codes)
    # The masked raw values (and the masked samples) are personal data all the same.
    record_event(
        EventType.VIEW,
        actor=request.user,
        request=request,
        object_type="batch",
        object_id=batch.pk,
        details={
            "page": page.number,
            "quarantined_rows": [r.row for r in shown],
            "warning_page": wpage.number,
            "warning_rows": [r.row for r in warned],
            "unmapped_columns": [c.get("letter") for c in unmapped],
        },
    )
    context = {
        "batch": batch,
        "department": src.department if src is not None else batch.source,
        "page": page,
        "rows": shown,
        "page_query": urlencode({"wpage": wpage.number}),
        "wpage": wpage,
        "warning_rows": warned,
        "wpage_query": urlencode({"page": page.number}),
        "columns": columns,
        "file_warnings": rpt.file_warning_rows(batch),
        "unmapped": unmapped,
        "codes": codes,
        "may_edit": may_edit,
        "reapply_problem": reapply_problem(batch),
        "timings": list((batch.timings or {}).items()),
        "timing_total": round(sum((batch.timings or {}).values()), 3),
        "warnings": rpt.warning_count_rows(batch),
        "pending_reviews": LinkReview.objects.filter(
            batch=batch, status=ReviewStatus.PENDING
        ).count(),
    }
    return render(request, "sources/batch_detail.html", context)


def _unmapped_columns(
    batch: Batch, src: registry.Source | None, columns: list[dict], *, with_forms: bool
) -> list[dict]:
    """The file's columns no declared column claims, each with the mapping saved for its
    header since (one query) and, for who may edit, a form to map it."""
    saved = dict(ColumnMapping.objects.filter(source=batch.source).values_list("header", "column"))
    out = []
    for c in columns:
        if not c["unmapped"]:
            continue
        name = registry.normalise_header(c.get("header") or "")[0]
        chosen = saved.get(name)
        c["saved"] = None if chosen is None else (rpt.column_label(src, chosen) if chosen else "")
        if with_forms and name:
            c["form"] = ColumnMappingForm(
                src,
                initial={
                    "header": c["header"],
                    "column": "" if chosen is None else chosen or IGNORE,
                },
                auto_id=f"col-{c.get('letter', '')}-%s",  # one form per column: ids apart
            )
        out.append(c)
    return out


def _add_code_forms(src: registry.Source, codes: list[dict]) -> None:
    """A form per unmapped label (`report.unmapped_code_rows`), its saved code chosen."""
    for i, column in enumerate(codes):
        for j, label in enumerate(column["labels"]):
            label["form"] = CodeMappingForm(
                src,
                column["column"],
                initial={
                    "column": column["column"],
                    "label": label["label"],
                    "code": label["saved"] or "",
                },
                auto_id=f"code-{i}-{j}-%s",
            )


def _back_to(batch: Batch, anchor: str):
    return redirect(reverse("sources:batch_detail", args=[batch.pk]) + f"#{anchor}")


@login_required
@require_POST
def batch_column_mapping(request, pk: int):
    """Save, for the batch's source, what one of its file's headers maps to."""
    batch = access_batch(request, pk, object_type="column_mapping", for_write=True)
    src = rpt.source_of(batch)
    if src is None:
        deny(request, "column_mapping", pk, not_found=True)
    form = ColumnMappingForm(src, request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what the column maps to."))
        return _back_to(batch, "unmapped-columns")
    column = form.cleaned_data["column"]
    try:
        mapping = do_save_column_mapping(
            src,
            form.cleaned_data["header"],
            None if column == IGNORE else column,
            acting_user=request.user,
        )
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _(
                "Saved: %(header)s in %(department)s's files maps to %(column)s. Re-apply the "
                "mappings to use it in this batch."
            )
            % {
                "header": form.cleaned_data["header"],
                "department": src.department,
                "column": rpt.column_label(src, mapping.column) if mapping.column else _("nothing"),
            },
        )
    return _back_to(batch, "unmapped-columns")


@login_required
@require_POST
def batch_code_mapping(request, pk: int):
    """Save, for the batch's source, which code a label of one of its code columns means."""
    batch = access_batch(request, pk, object_type="code_mapping", for_write=True)
    src = rpt.source_of(batch)
    if src is None:
        deny(request, "code_mapping", pk, not_found=True)
    form = CodeMappingForm(src, request.POST.get("column", ""), request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a code of the column."))
        return _back_to(batch, "unmapped-codes")
    try:
        do_save_code_mapping(
            src,
            form.cleaned_data["column"],
            form.cleaned_data["label"],
            form.cleaned_data["code"],
            acting_user=request.user,
        )
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _(
                "Saved: %(label)s in %(department)s's files means code %(code)s. Re-apply the "
                "mappings to use it in this batch."
            )
            % {
                "label": form.cleaned_data["label"].strip(),
                "department": src.department,
                "code": form.cleaned_data["code"],
            },
        )
    return _back_to(batch, "unmapped-codes")


@login_required
@require_POST
def batch_reapply(request, pk: int):
    """Queue the re-application of the source's current mappings to the batch and show its
    progress (the page of an upload's import)."""
    batch = access_batch(request, pk, object_type="batch_reapply", for_write=True)
    problem = reapply_problem(batch)
    if problem:
        messages.error(request, problem)
        return _back_to(batch, "reapply")
    token = progress.new_token()
    progress.start(token, user_id=request.user.pk, file_name=batch.file_name, source=batch.source)
    reapply_requested.send(
        sender=Batch,
        token=token,
        batch_id=batch.pk,
        user_id=request.user.pk,
        language=translation.get_language(),
    )
    return redirect("sources:upload_progress", token=token)


# -- the departments' mappings ---------------------------------------------------------


@login_required
def mapping_list(request):
    """Every saved mapping, per source: two queries, however many there are."""
    access_mappings(request)
    by_source: dict[str, dict] = {}

    def entry(name: str) -> dict:
        if name not in by_source:
            src = rpt.source_named(name)
            by_source[name] = {
                "name": name,
                "label": src.label if src is not None else name,
                "department": src.department if src is not None else "",
                "columns": [],
                "codes": [],
            }
        return by_source[name]

    for m in ColumnMapping.objects.select_related("created_by").order_by("source", "header"):
        src = rpt.source_named(m.source)
        m.column_label = rpt.column_label(src, m.column) if m.column else ""
        entry(m.source)["columns"].append(m)
    for m in CodeMapping.objects.select_related("created_by").order_by("source", "column", "label"):
        src = rpt.source_named(m.source)
        m.column_label = rpt.column_label(src, m.column)
        m.code_label = rpt.code_label(src, m.column, m.code)
        entry(m.source)["codes"].append(m)
    order = {s.name: i for i, s in enumerate(registry.sources())}
    sources = sorted(
        by_source.values(), key=lambda e: (order.get(e["name"], len(order)), e["name"])
    )
    context = {"sources": sources, "may_edit": may_edit_mappings(request.user)}
    return render(request, "sources/mapping_list.html", context)


@login_required
@require_POST
def column_mapping_delete(request, pk: int):
    mapping = access_column_mapping(request, pk)
    do_delete_column_mapping(mapping, acting_user=request.user)
    messages.success(request, _("The column mapping has been deleted."))
    return redirect("sources:mapping_list")


@login_required
@require_POST
def code_mapping_delete(request, pk: int):
    mapping = access_code_mapping(request, pk)
    do_delete_code_mapping(mapping, acting_user=request.user)
    messages.success(request, _("The code mapping has been deleted."))
    return redirect("sources:mapping_list")


@login_required
def batch_report(request, pk: int):
    batch = access_batch(request, pk, object_type="batch_report")
    content = rpt.build_report(batch, request.user)
    record_event(
        EventType.EXPORT,
        actor=request.user,
        request=request,
        object_type="batch_report",
        object_id=batch.pk,
        details={"file": batch.file_name, "quarantined_rows": batch.rows_quarantined},
    )
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}-report.xlsx"'
    return response


# -- review queue ----------------------------------------------------------------------


def _sex(value) -> str:
    return str(SEX_LABELS.get(value or "", value or ""))


def _source_side(review: LinkReview, fact, *, with_id: bool = False) -> dict:
    src = registry.source(review.source)
    name = getattr(fact, src.name_column, None) if fact and src.name_column else None
    address = getattr(fact, "address", None)
    side = {
        "name": mask_name(name) or "",
        "sex": _sex(getattr(fact, "sex", None)),
        "birth_date": getattr(fact, "birth_date", None),
        "address": mask_address(address) or "",
        # Clear values only to compare the two sides; never put into a template.
        "clear": {"name": name, "address": address},
    }
    if with_id and fact is not None and src.id_column:
        token = getattr(fact, f"{src.id_column}_enc", None)
        clear = provider().decrypt(token) if token else None
        side["id_number"] = mask_id(clear) or ""
        side["clear"]["id_number"] = clear
    return side


def _candidate_side(person, *, with_id: bool = False) -> dict:
    if person is None:
        return {}
    side = {
        "name": mask_name(person.name) or "",
        "sex": _sex(person.sex),
        "birth_date": person.birth_date,
        "address": mask_address(person.address) or "",
        "clear": {"name": person.name, "address": person.address},
    }
    if with_id:
        clear = provider().decrypt(person.id_enc) if person.id_enc else None
        side["id_number"] = mask_id(clear) or ""
        side["clear"]["id_number"] = clear
    return side


class DecisionForm(forms.Form):
    # Classes set here: StyledFormMixin cannot style a Textarea (it has no input_type).
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        widget=forms.Select(attrs={"class": "form-select"}),
        choices=[
            ("confirm", gettext_lazy("Confirm: same person")),
            ("reject", gettext_lazy("Reject: different person")),
        ],
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        help_text=gettext_lazy("Required: what the decision rests on."),
    )


@login_required
def review_list(request):
    access_review_queue(request)
    status = request.GET.get("status", ReviewStatus.PENDING)
    if status not in ReviewStatus.values:
        status = ReviewStatus.PENDING
    qs = (
        LinkReview.objects.visible_to(request.user)
        .filter(status=status)
        .select_related("candidate")
        .order_by("id")
    )
    page = Paginator(qs, REVIEW_PAGE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    # One query per source on the page, never one per item.
    wanted: dict[str, list[int]] = {}
    for item in items:
        wanted.setdefault(item.source, []).append(item.fact_id)
    facts = {
        (source, f.pk): f
        for source, ids in wanted.items()
        for f in fact_model(source).objects.filter(pk__in=ids)
    }
    rows = [
        {
            "review": item,
            "source_label": registry.label(item.source),
            "row": _source_side(item, facts.get((item.source, item.fact_id))),
            "candidate": _candidate_side(item.candidate),
        }
        for item in items
    ]
    if items:
        record_event(
            EventType.VIEW,
            actor=request.user,
            request=request,
            object_type="link_review_list",
            object_id=f"{status}:{page.number}",
            details={"ids": [i.pk for i in items]},
        )
    context = {
        "page": page,
        "rows": rows,
        "status": status,
        "statuses": ReviewStatus.choices,
        "query": f"status={status}",
    }
    return render(request, "sources/review_list.html", context)


@login_required
def review_detail(request, pk: int):
    review = access_review(request, pk, for_write=request.method == "POST")
    may_decide = may_decide_review(request.user, review)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            do_decide_review(
                review,
                confirm=form.cleaned_data["decision"] == "confirm",
                reason=form.cleaned_data["reason"],
                acting_user=request.user,
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The decision has been recorded."))
            return redirect("sources:review_list")
    fact = fact_model(review.source).objects.filter(pk=review.fact_id).first()
    record_event(
        EventType.VIEW,
        actor=request.user,
        request=request,
        object_type="link_review",
        object_id=review.pk,
        details={"source": review.source, "row": review.row, "candidate": review.candidate_id},
    )
    row = _source_side(review, fact, with_id=True)
    candidate = _candidate_side(review.candidate, with_id=True)
    labels = [
        ("name", _("Name")),
        ("id_number", _("ID number")),
        ("sex", _("Sex")),
        ("birth_date", _("Birth date")),
        ("address", _("Address")),
    ]
    comparison = []
    for key, label in labels:
        a = row.get("clear", {}).get(key, row.get(key))
        b = candidate.get("clear", {}).get(key, candidate.get(key))
        comparison.append(
            {
                "label": label,
                "row": row.get(key) or "",
                "candidate": candidate.get(key) or "",
                "differs": bool(a and b and a != b),
            }
        )
    context = {
        "review": review,
        "source_label": registry.label(review.source),
        "comparison": comparison,
        "form": form,
        "may_decide": may_decide,
    }
    return render(request, "sources/review_detail.html", context)


# -- unresolved records (待核实) ----------------------------------------------------------

UNRESOLVED_PAGE = 50
CANDIDATES = 10  # persons of the same name offered on a record's page


@login_required
def unresolved_list(request):
    """Per community: how many records wait and since when; then the records of the chosen
    community (or all of the user's area), oldest first."""
    access_unresolved_list(request)
    status = request.GET.get("status", UnresolvedStatus.PENDING)
    if status not in UnresolvedStatus.values:
        status = UnresolvedStatus.PENDING
    scoped = UnresolvedRecord.objects.visible_to(request.user).filter(status=status)
    by_area = list(
        scoped.values("area_id", "area__name", "area__level")
        .annotate(n=Count("id"), since=Min("created_at"))
        .order_by("-n", "area__name")
    )
    today = timezone.now()
    for row in by_area:
        row["days"] = (today - row["since"]).days
    area = request.GET.get("area", "")
    qs = scoped.select_related("area", "batch").order_by("id")
    if area == "none":
        qs = qs.filter(area__isnull=True)
    elif area.isdigit():
        qs = qs.filter(area_id=int(area))
    page = Paginator(qs, UNRESOLVED_PAGE).get_page(request.GET.get("page"))
    items = list(page.object_list)
    wanted: dict[str, list[int]] = {}
    for item in items:
        wanted.setdefault(item.source, []).append(item.rows[0][1] if item.rows else 0)
    facts = {
        (source, f.pk): f
        for source, ids in wanted.items()
        for f in fact_model(source).objects.filter(pk__in=ids)
    }
    rows = [
        {
            "record": item,
            "source_label": registry.label(item.source),
            "row": _unresolved_side(item, facts.get((item.source, item.rows[0][1])))
            if item.rows
            else {},
        }
        for item in items
    ]
    if items:
        record_event(
            EventType.VIEW,
            actor=request.user,
            request=request,
            object_type="unresolved_list",
            object_id=f"{status}:{area}:{page.number}",
            details={"ids": [i.pk for i in items]},
        )
    context = {
        "page": page,
        "rows": rows,
        "by_area": by_area,
        "area": area,
        "status": status,
        "statuses": UnresolvedStatus.choices,
        "query": urlencode({"status": status, "area": area}),
    }
    return render(request, "sources/unresolved_list.html", context)


def _unresolved_side(record: UnresolvedRecord, fact) -> dict:
    src = registry.source(record.source)
    name = getattr(fact, src.name_column, None) if fact and src.name_column else None
    address = getattr(fact, "address", None) or getattr(fact, "hukou_address", None)
    return {
        "name": mask_name(name) or "",
        "sex": _sex(getattr(fact, "sex", None)),
        "birth_date": getattr(fact, "birth_date", None),
        "address": mask_address(address) or "",
        "clear_name": name,
    }


class ResolveForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        widget=forms.Select(attrs={"class": "form-select"}),
        choices=[
            ("match", gettext_lazy("These rows are this person's")),
            ("new", gettext_lazy("A resident the archive does not know: a new person")),
        ],
    )
    person = forms.ChoiceField(
        label=gettext_lazy("Person"),
        required=False,
        # plain radios: Bootstrap's form-check-input floats out of a bare RadioSelect
        widget=forms.RadioSelect(attrs={"class": "me-1"}),
    )
    id_number = forms.CharField(
        label=gettext_lazy("Or the person's ID number"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
        help_text=gettext_lazy("As checked with the resident or the household register."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        help_text=gettext_lazy("Required: what the decision rests on."),
    )

    def __init__(self, *args, candidates=(), user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["person"].choices = [(str(c["pk"]), c["label"]) for c in candidates]

    def clean(self):
        data = super().clean()
        if data.get("decision") != "match":
            data["chosen"] = None
            return data
        visible = Person.objects.visible_to(self.user)
        if data.get("id_number"):
            try:
                number = idcard.normalize(data["id_number"])
            except idcard.InvalidIdNumber:
                raise ValidationError(_("This is not a valid ID number.")) from None
            chosen = visible.filter(id_hash=provider().blind_index(number)).first()
        elif data.get("person"):
            chosen = visible.filter(pk=int(data["person"])).first()
        else:
            raise ValidationError(_("Choose the person, or give their ID number."))
        if chosen is None:
            raise ValidationError(_("No person with this ID number in your area."))
        data["chosen"] = chosen
        return data


def _candidates(user, name: str | None, born=None, sex: str | None = None) -> list[dict]:
    """Persons of the user's area with the same name as the record's rows, those of its
    birth date and sex first: the evidence a clerk compares (masked), at most CANDIDATES."""
    if not name:
        return []
    found = (
        Person.objects.visible_to(user)
        .filter(name=name)
        .annotate(
            same_birth=Case(When(birth_date=born, then=0), default=1) if born else Value(1),
            same_sex=Case(When(sex=sex, then=0), default=1) if sex else Value(1),
        )
        .order_by("same_birth", "same_sex", "id")[:CANDIDATES]
    )
    return [
        {
            "pk": p.pk,
            "label": " · ".join(
                str(v)
                for v in (
                    mask_name(p.name),
                    _sex(p.sex),
                    p.birth_date.isoformat() if p.birth_date else "",
                    mask_address(p.address) or "",
                    mask_id(provider().decrypt(p.id_enc)) if p.id_enc else "",
                )
                if v
            ),
        }
        for p in found
    ]


@login_required
def unresolved_detail(request, pk: int):
    record = access_unresolved(request, pk, for_write=request.method == "POST")
    may_resolve = may_resolve_unresolved(request.user, record)
    model = fact_model(record.source)
    facts = list(model.objects.filter(pk__in=[fid for _row, fid in record.rows]).order_by("row"))
    sides = [(f.row, _unresolved_side(record, f)) for f in facts]
    name = next((side["clear_name"] for _row, side in sides if side["clear_name"]), None)
    born = next((f.birth_date for f in facts if getattr(f, "birth_date", None)), None)
    sex = next((f.sex for f in facts if getattr(f, "sex", None)), None)
    candidates = _candidates(request.user, name, born, sex) if may_resolve else []
    form = ResolveForm(request.POST or None, candidates=candidates, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            do_resolve_unresolved(
                record,
                person=form.cleaned_data["chosen"],
                reason=form.cleaned_data["reason"],
                acting_user=request.user,
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The decision has been recorded."))
            return redirect("sources:unresolved_list")
    record_event(
        EventType.VIEW,
        actor=request.user,
        request=request,
        object_type="unresolved_record",
        object_id=record.pk,
        details={"source": record.source, "rows": [row for row, _fid in record.rows]},
    )
    context = {
        "record": record,
        "source_label": registry.label(record.source),
        "rows": [{"row": row, **side} for row, side in sides],
        "candidates": candidates,
        "form": form,
        "may_resolve": may_resolve,
    }
    return render(request, "sources/unresolved_detail.html", context)
