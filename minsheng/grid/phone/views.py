"""The 网格通 phone pages (H5 in the grid app's web view, 375 px first): the worker's task
list, a task with its resident card and form, and the service worker that keeps the list
readable offline.

A result is sent with an idempotency key the phone made when the form was first opened
(kept with its draft), so a submit retried on a bad connection finds its first result
instead of making a second. The phone's script posts with `Accept: application/json` and
gets JSON; without the script the same URL takes a plain form post and redirects.
"""

from __future__ import annotations

import hashlib
import json
import uuid

from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from minsheng.audit.actions import deny, record_event
from minsheng.audit.models import EventType

from ..actions import AlreadyDone, do_submit_result
from ..forms import FORMS
from ..models import GridTask, TaskResult
from .access import STATUSES, access_task, held_tasks, resident_card

# What the service worker keeps for offline use besides the list page itself.
OFFLINE_ASSETS = (
    "vendor/bootstrap/bootstrap.min.css",
    "grid/phone.css",
    "grid/phone.js",
    "grid/task-form.js",
)


@login_required
@require_GET
def task_list(request):
    """My tasks: tabs by status (open, overdue, done), open ones by due date then priority;
    the reminder of what is due within two days."""
    status = request.GET.get("status", "open")
    if status not in STATUSES:
        status = "open"
    tasks = held_tasks(request, status)
    record_event(
        EventType.VIEW,
        actor=request.user,
        request=request,
        object_type="grid_task_list",
        object_id=status,
        details={"shown": len(tasks["rows"]), "total": tasks["total"]},
    )
    return render(
        request,
        "grid/phone/tasks.html",
        {
            **tasks,
            "status": status,
            "tabs": [
                ("open", _("To do"), tasks["counts"]["open"]),
                ("overdue", _("Overdue"), tasks["counts"]["overdue"]),
                ("done", _("Completed"), tasks["counts"]["done"]),
            ],
            "fetched_at": timezone.localtime(),
        },
    )


def _styled(form: forms.Form) -> forms.Form:
    """Phone widgets: the toolkit's classes, a date picker for dates, the camera for the
    photo, a text area for notes (last: what the task asks comes first)."""
    form.order_fields([name for name in form.fields if name != "note"])
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple):
            widget.attrs["class"] = "form-check-input"
        elif isinstance(widget, forms.Select):
            widget.attrs["class"] = "form-select"
        elif isinstance(widget, forms.FileInput):
            widget.attrs.update({"class": "form-control", "accept": "image/jpeg,image/png"})
            if name == "photo":
                widget.attrs["capture"] = "environment"
        elif isinstance(widget, forms.DateInput):
            widget.input_type, widget.format = "date", "%Y-%m-%d"
            widget.attrs.update({"class": "form-control", "max": timezone.localdate().isoformat()})
        elif name == "note":
            field.widget = forms.Textarea(
                attrs={"class": "form-control", "rows": 2, "maxlength": field.max_length}
            )
        else:
            widget.attrs["class"] = "form-control"
    return form


def _task_page(request, task: GridTask, form=None, *, error: str = "", status: int = 200):
    """The task's page; it shows the resident card, so each showing is an audited view."""
    record_event(
        EventType.VIEW,
        actor=request.user,
        request=request,
        object_type="resident",
        object_id=task.person_id,
        details={"task": task.pk, "kind": task.kind, "via": "grid_phone"},
    )
    result = getattr(task, "result", None) if not task.is_open else None
    if form is None and task.is_open:
        form = FORMS[task.kind]()
    return render(
        request,
        "grid/phone/task.html",
        {
            "task": task,
            "card": resident_card(task),
            "form": _styled(form) if form is not None else None,
            "result": result,
            "error": error,
            # the server's key when the phone's script cannot make one (no script)
            "key": uuid.uuid4(),
            "today": timezone.localdate(),
            "multipart": form is not None and form.is_multipart(),
        },
        status=status,
    )


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _refused(request, task: GridTask, message: str, *, status: int):
    if _wants_json(request):
        return JsonResponse({"ok": False, "message": message}, status=status)
    return _task_page(request, task, error=message, status=status)


def _confirmed(request, task: GridTask, result: TaskResult, *, created: bool):
    """The same confirmation for the first submit and for any retry with its key."""
    url = reverse("grid:phone_task", kwargs={"pk": task.pk})
    if _wants_json(request):
        return JsonResponse(
            {
                "ok": True,
                "created": created,
                "key": str(result.key),
                "submitted_at": timezone.localtime(result.submitted_at).isoformat(),
                "url": url,
                "message": _("Sent: the result is recorded."),
            }
        )
    return redirect(url)


def _submit(request, task: GridTask):
    try:
        key = uuid.UUID(request.POST.get("key", ""))
    except ValueError:
        return _refused(
            request,
            task,
            _("This submission has no valid key: reopen the task and send it again."),
            status=400,
        )
    # a retry of a submission the server has already recorded: its confirmation, whatever
    # the retry's body holds (a photo lost on the way does not matter any more)
    first = TaskResult.objects.filter(key=key, task=task).first()
    if first is not None:
        return _confirmed(request, task, first, created=False)
    done_message = _("This task already has a result: it cannot be submitted again.")
    if not task.is_open:
        return _refused(request, task, done_message, status=409)
    form = FORMS[task.kind](request.POST, request.FILES)
    if not form.is_valid():
        if _wants_json(request):
            return JsonResponse(
                {
                    "ok": False,
                    "message": _("Correct the items marked below."),
                    "errors": {
                        field: [str(m) for m in messages] for field, messages in form.errors.items()
                    },
                },
                status=400,
            )
        return _task_page(request, task, form)
    try:
        result, created = do_submit_result(task, key=key, form=form, acting_user=request.user)
    except AlreadyDone:
        return _refused(request, task, done_message, status=409)
    except PermissionDenied:  # handed to someone else since the page was opened
        deny(request, "grid_task", task.pk, details={"action": "submit"})
    except ValidationError as exc:  # the key is another task's
        return _refused(request, task, "；".join(exc.messages), status=400)
    return _confirmed(request, task, result, created=created)


@login_required
@require_http_methods(["GET", "POST"])
def task_detail(request, pk: int):
    """A task: the resident card (only what the task needs, masked), its form, or its
    confirmation once done. Viewing the card is an audited view of the resident."""
    task = access_task(request, pk)
    if request.method == "POST":
        return _submit(request, task)
    return _task_page(request, task)


def _asset_version(paths) -> str:
    """A digest of the cached files, so a changed script installs a new service worker."""
    digest = hashlib.sha256()
    for path in paths:
        found = finders.find(path)
        if found:
            with open(found, "rb") as fh:
                digest.update(fh.read())
        digest.update(path.encode())
    return digest.hexdigest()[:12]


@require_GET
def service_worker(request):
    """The service worker of the phone pages, served under /grid/m/ so that its scope is
    the phone pages. It holds no personal data (it caches, on the phone, the pages the
    worker opened), so it is served to anyone: a browser checking for an update must not
    be sent to the login page."""
    assets = [static(p) for p in OFFLINE_ASSETS]
    offline = render_to_string("grid/phone/offline.html")
    config = {
        "version": _asset_version(OFFLINE_ASSETS)
        + hashlib.sha256(offline.encode()).hexdigest()[:6],
        "list": reverse("grid:phone_tasks"),
        "assets": assets,
        "offline": offline,
        "login": reverse("accounts:login"),
    }
    body = render_to_string("grid/phone/sw.js", {"config": json.dumps(config)})
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("grid:phone_tasks")
    return response
