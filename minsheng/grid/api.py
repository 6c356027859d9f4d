"""The grid API (网格通 app, native): the phone pages' operations as JSON, for a worker's
device. Mounted at /api/grid/; its OpenAPI document is /api/grid/openapi.json and its docs
page /api/grid/docs (Swagger UI from the site's own static files).

A call carries `Authorization: Bearer <token>`, a device token the worker or a clerk of
their area issued (/grid/devices/); the call is the token's worker's. A revoked or unknown
token, or one whose account is no longer an active grid worker, is a 401 (audited). Scope
and audit are the phone pages' (`phone/access.py`): the worker's tasks are those they hold,
another grid's task is a 404 (audited), a resident is read only through a task and only
the items its kind needs, masked as a grid worker reads them, and reading a task's card is
an audited view of the resident.

A result is posted with an `Idempotency-Key` header (a UUID the app makes once per
result, kept with its draft): the same key again answers the first result (200, `replayed`
true) whatever the body holds now, so a retry on a bad connection never makes a second
one; a new result is a 201. A key already used for another task, and a task that already
has a result, are 409; a body the kind's form refuses is a 422 with the form's errors.
"""

import base64
import binascii
import json
import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Header, NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import DocsBase
from ninja.renderers import JSONRenderer
from ninja.responses import Status
from ninja.security import HttpBearer

from minsheng.accounts.roles import Role
from minsheng.audit.actions import deny, record_event
from minsheng.audit.models import EventType, Result
from minsheng.geo.models import Area
from minsheng.lib.masking import mask_name
from minsheng.residents.models import Resident

from .actions import AlreadyDone, do_submit_result, token_hash
from .forms import FORMS, MAX_IMAGE_BYTES
from .models import DeviceToken, GridPost, GridTask, TaskKind, TaskResult, TaskStatus
from .phone.access import access_task, resident_card

PAGE_SIZE = 50
LAST_USED_EVERY_S = 60  # last_used_at is written at most once a minute per device
# two images of at most 2 MB as base64 (4/3) and the form's text
MAX_BODY_BYTES = 2 * (MAX_IMAGE_BYTES * 4 // 3 + 4) + 64 * 1024


# -- authentication -------------------------------------------------------------------------


def _refuse_token(request, reason: str, device: DeviceToken | None = None) -> None:
    """A token that does not let the call in, in the audit trail as a failed sign-in."""
    record_event(
        EventType.LOGIN_FAILED,
        request=request,
        object_type="device_token",
        object_id=device.pk if device is not None else "",
        result=Result.DENIED,
        username=device.user.username if device is not None else "",
        details={"reason": reason, "channel": "grid_api"},
    )


class DeviceBearer(HttpBearer):
    """`Authorization: Bearer <token>`: an active device token of an active grid worker.
    The call runs as that worker (`request.user`); `request.auth` is the device."""

    def authenticate(self, request, token: str) -> DeviceToken | None:
        token = token.strip()
        if not token or len(token) > 200:
            return None
        device = (
            DeviceToken.objects.select_related("user", "user__area")
            .filter(key_hash=token_hash(token))
            .first()
        )
        if device is None:
            _refuse_token(request, "unknown")
            return None
        user = device.user
        if device.revoked_at is not None:
            _refuse_token(request, "revoked", device)
            return None
        if not user.is_active or user.role != Role.GRID_WORKER or user.area is None:
            _refuse_token(request, "not_an_active_grid_worker", device)
            return None
        now = timezone.now()
        if (
            device.last_used_at is None
            or (now - device.last_used_at).total_seconds() >= LAST_USED_EVERY_S
        ):
            DeviceToken.objects.filter(pk=device.pk).update(last_used_at=now)
            device.last_used_at = now
        request.user = user
        return device


# -- the docs page --------------------------------------------------------------------------


class OfflineSwagger(DocsBase):
    """Swagger UI from the site's static files (vendor/swagger-ui), under the site's
    Content-Security-Policy: no CDN, no inline script, no online validator."""

    def render_page(self, request, api, **kwargs):
        settings = {
            "url": self.get_openapi_url(api, kwargs),
            "layout": "BaseLayout",
            "deepLinking": True,
            "validatorUrl": None,
        }
        return render(request, "grid/api/docs.html", {"api": api, "swagger_settings": settings})


class ReadableJSON(JSONRenderer):
    """UTF-8 JSON with the Chinese as it is, not as \\u escapes."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="网格通 API",
    version="1",
    description=(
        "网格员手机应用（网格通）调用的接口：我的任务、任务详情与居民卡片（按任务所需、脱敏）、"
        "提交任务结果（须带 Idempotency-Key）。每次调用带 `Authorization: Bearer <设备令牌>`，"
        "令牌由网格员本人或所在区域的经办人员在“设备令牌”页面签发，可随时吊销。"
    ),
    urls_namespace="grid-api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    docs=OfflineSwagger(),
    auth=DeviceBearer(),
    renderer=ReadableJSON(),
)


# -- errors as JSON -------------------------------------------------------------------------


class Problem(Schema):
    detail: str
    errors: dict[str, list[str]] | None = None


def _problem(request, status: int, detail: str, errors: dict | None = None):
    body = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    return api.create_response(request, body, status=status)


@api.exception_handler(AuthenticationError)
def _unauthorized(request, exc):
    response = _problem(request, 401, _("A valid device token is required."))
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _problem(request, 404, _("Not found."))


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return _problem(request, 403, _("You may not do this."))


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc):
    """A parameter of the wrong shape: the same body as a form's errors, in the user's
    language (Django's own messages)."""
    errors: dict[str, list[str]] = {}
    for e in exc.errors:
        loc = [str(p) for p in e.get("loc", ())]
        name = loc[-1] if loc else "__all__"
        message = (
            _("This field is required.")
            if e.get("type") == "missing"
            else _("Enter a valid value.")
        )
        errors.setdefault(name, []).append(message)
    return _problem(request, 422, _("The request is invalid."), errors)


# -- schemas --------------------------------------------------------------------------------


class Grid(Schema):
    code: str
    name: str
    covered: bool  # vacant, held as its cover


class Me(Schema):
    username: str
    name: str
    device: str
    grids: list[Grid]


class TaskOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str
    priority: int
    due_date: date
    overdue: bool
    via_cover: bool
    grid: str
    grid_name: str
    resident: str  # the resident's name, masked
    reason: str
    created_at: datetime
    closed_at: datetime | None


class TaskPage(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    items: list[TaskOut]


class CardLine(Schema):
    code: str
    label: str
    value: str | None


class SubmittedResult(Schema):
    key: uuid.UUID
    submitted_at: datetime


class TaskDetail(TaskOut):
    card: list[CardLine]
    result: SubmittedResult | None


class ResultOut(Schema):
    task: int
    key: uuid.UUID
    submitted_at: datetime
    status: str
    replayed: bool


def _task_out(task: GridTask, *, name: str | None, grid_name: str, today: date) -> dict:
    return {
        "id": task.pk,
        "kind": task.kind,
        "kind_label": str(TaskKind(task.kind).label),
        "status": task.status,
        "priority": task.priority,
        "due_date": task.due_date,
        "overdue": task.overdue_on(today),
        "via_cover": task.via_cover,
        "grid": task.grid_code,
        "grid_name": grid_name,
        "resident": mask_name(name) or "—",
        "reason": task.reason,
        "created_at": task.created_at,
        "closed_at": task.closed_at,
    }


# -- the result's body: the kind's form, as JSON ----------------------------------------------


def _field_schema(field: forms.Field) -> dict:
    out: dict = {"title": field.label}
    if isinstance(field, forms.FileField):
        out.update(
            type="string",
            contentEncoding="base64",
            description=gettext_lazy("A JPEG or PNG of at most 2 MB, base64-encoded."),
        )
    elif isinstance(field, forms.MultipleChoiceField | forms.ChoiceField):
        choices = [(v, label) for v, label in field.choices if v != ""]
        values = {"type": "string", "enum": [v for v, _label in choices]}
        labels = format_lazy("; ".join(["{}={}"] * len(choices)), *(x for c in choices for x in c))
        if isinstance(field, forms.MultipleChoiceField):
            out.update(type="array", items=values, description=labels)
        else:
            out.update(values, description=labels)
    elif isinstance(field, forms.DateField):
        out.update(type="string", format="date")
    else:
        out["type"] = "string"
        if getattr(field, "max_length", None):
            out["maxLength"] = field.max_length
    return out


def form_schema(kind: str) -> dict:
    """The JSON body of a result of this kind, from its form (for the OpenAPI document;
    the form itself validates)."""
    form = FORMS[kind]
    return {
        "title": kind,
        "description": TaskKind(kind).label,
        "type": "object",
        "properties": {name: _field_schema(f) for name, f in form.base_fields.items()},
        "required": [name for name, f in form.base_fields.items() if f.required],
        "additionalProperties": False,
    }


def _image(value: str) -> bytes | None:
    """base64 (or a data: URL of it) → bytes; None when it is not base64."""
    if value.startswith("data:") and "," in value:
        value = value.split(",", 1)[1]
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def bound_form(kind: str, body: dict):
    """The kind's form bound to a JSON body (images as base64), and the errors of what the
    form cannot take at all (an unknown field, an image that is not base64)."""
    form_class = FORMS[kind]
    data, files, errors = {}, {}, {}
    for name, value in body.items():
        field = form_class.base_fields.get(name)
        if field is None:
            errors[name] = [_("This field is not part of the form.")]
        elif value is None or value == "" or value == []:
            continue
        elif isinstance(field, forms.FileField):
            raw = _image(value) if isinstance(value, str) else None
            if raw is None:
                errors[name] = [_("The image is not valid base64.")]
            else:
                files[name] = SimpleUploadedFile(f"{name}.img", raw)
        elif isinstance(field, forms.MultipleChoiceField):
            items = value if isinstance(value, list) else [value]
            data[name] = [str(v) for v in items]
        elif isinstance(value, bool):
            data[name] = "1" if value else "0"  # the forms' yes/no choices
        elif isinstance(value, dict | list):
            errors[name] = [_("Enter a valid value.")]
        else:
            data[name] = str(value)
    return form_class(data, files), errors


def _form_errors(form) -> dict[str, list[str]]:
    return {field: [str(m) for m in messages] for field, messages in form.errors.items()}


# -- operations -----------------------------------------------------------------------------


@api.get("/me", response={200: Me, 401: Problem}, url_name="me", summary="我（令牌所属网格员）")
def me(request):
    """The token's grid worker and the grids they hold (their own and those they cover)."""
    user = request.user
    posts = GridPost.objects.held_by(user).select_related("grid").order_by("grid__code")
    return {
        "username": user.username,
        "name": user.display_name or user.username,
        "device": request.auth.name,
        "grids": [
            {"code": p.grid.code, "name": p.grid.name, "covered": p.worker_id != user.pk}
            for p in posts
        ],
    }


@api.get(
    "/tasks",
    response={200: TaskPage, 401: Problem, 422: Problem},
    url_name="tasks",
    summary="我的任务",
)
def list_tasks(
    request,
    status: Literal["open", "overdue", "done"] = "open",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
):
    """The worker's tasks (those they hold: their grid's, the vacant grids' they cover and
    those handed to them), as the phone's tabs: open by due date then priority, overdue
    (open, past due), done (latest first). 50 a page."""
    today = timezone.localdate()
    held = GridTask.objects.held_by(request.user)
    if status == "done":
        rows = held.filter(status=TaskStatus.DONE).order_by("-closed_at", "-id")
    elif status == "overdue":
        rows = held.filter(status=TaskStatus.OPEN, due_date__lt=today)
    else:
        rows = held.filter(status=TaskStatus.OPEN)
    if status != "done":
        rows = rows.order_by("due_date", "priority", "id")
    count = rows.count()
    start = (page - 1) * PAGE_SIZE
    names = Resident.objects.filter(person_id=OuterRef("person_id")).values("identity_name")
    tasks = list(rows.annotate(resident_name=Subquery(names[:1]))[start : start + PAGE_SIZE])
    grids = dict(
        Area.objects.filter(code__in={t.grid_code for t in tasks}).values_list("code", "name")
    )
    record_event(
        EventType.VIEW,
        actor=request.user,
        request=request,
        object_type="grid_task_list",
        object_id=status,
        details={"shown": len(tasks), "total": count, "page": page, "via": "grid_api"},
    )
    return {
        "count": count,
        "page": page,
        "pages": max(1, -(-count // PAGE_SIZE)),
        "page_size": PAGE_SIZE,
        "items": [
            _task_out(
                t,
                name=t.resident_name,
                grid_name=grids.get(t.grid_code, t.grid_code),
                today=today,
            )
            for t in tasks
        ],
    }


@api.get(
    "/tasks/{task_id}",
    response={200: TaskDetail, 401: Problem, 404: Problem},
    url_name="task",
    summary="任务详情与居民卡片",
)
def get_task(request, task_id: int):
    """One task the worker holds, with its resident card: name, sex, age and address and
    the items the task's kind needs, masked as a grid worker reads them. An audited view
    of the resident. Another grid's task, or none, is a 404."""
    task = access_task(request, task_id)
    record_event(
        EventType.VIEW,
        actor=request.user,
        request=request,
        object_type="resident",
        object_id=task.person_id,
        details={"task": task.pk, "kind": task.kind, "via": "grid_api"},
    )
    name = (
        Resident.objects.filter(person_id=task.person_id)
        .values_list("identity_name", flat=True)
        .first()
    )
    grid_name = (
        Area.objects.filter(code=task.grid_code).values_list("name", flat=True).first()
        or task.grid_code
    )
    result = getattr(task, "result", None)
    return {
        **_task_out(task, name=name, grid_name=grid_name, today=timezone.localdate()),
        "card": [
            {"code": line.code, "label": line.label, "value": line.value}
            for line in resident_card(task)
        ],
        "result": (
            {"key": result.key, "submitted_at": result.submitted_at} if result is not None else None
        ),
    }


def _result_out(result: TaskResult, *, replayed: bool) -> dict:
    return {
        "task": result.task_id,
        "key": result.key,
        "submitted_at": result.submitted_at,
        "status": TaskStatus.DONE,
        "replayed": replayed,
    }


@api.post(
    "/tasks/{task_id}/result",
    response={
        200: ResultOut,
        201: ResultOut,
        401: Problem,
        403: Problem,
        404: Problem,
        409: Problem,
        413: Problem,
        422: Problem,
    },
    url_name="task_result",
    summary="提交任务结果",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": gettext_lazy(
                "The fields of the task kind's form; images (the certification's photo and "
                "signature) as base64."
            ),
            "content": {
                "application/json": {"schema": {"oneOf": [form_schema(k) for k in TaskKind]}}
            },
        }
    },
)
def submit_result(
    request,
    task_id: int,
    idempotency_key: Annotated[
        uuid.UUID,
        Header(
            alias="Idempotency-Key",
            description="A UUID the app makes once per result and sends again with every retry.",
        ),
    ],
):
    """The result of a task the worker holds: its kind's form as JSON. The same
    Idempotency-Key again answers the first result (200, replayed) whatever the body says;
    a new result is a 201. 409: the key was used for another task, or the task has its
    result already (or was cancelled). 422: the form's errors, by field."""
    task = access_task(request, task_id)
    first = TaskResult.objects.filter(key=idempotency_key).first()
    if first is not None:
        if first.task_id != task.pk:
            return Status(409, {"detail": _("This submission key belongs to another task.")})
        return Status(200, _result_out(first, replayed=True))
    if not task.is_open:
        return Status(
            409, {"detail": _("This task already has a result: it cannot be submitted again.")}
        )
    # read here, not through request.body, whose limit (DATA_UPLOAD_MAX_MEMORY_SIZE) is
    # for form posts: a certification carries two images as base64
    raw = request.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        return Status(413, {"detail": _("The request is too large.")})
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        return Status(422, {"detail": _("The body must be a JSON object."), "errors": {}})
    form, errors = bound_form(task.kind, body)
    if not form.is_valid() or errors:
        return Status(
            422,
            {
                "detail": _("Correct the items marked below."),
                "errors": {**_form_errors(form), **errors},
            },
        )
    try:
        result, created = do_submit_result(
            task, key=idempotency_key, form=form, acting_user=request.user
        )
    except AlreadyDone:
        return Status(
            409, {"detail": _("This task already has a result: it cannot be submitted again.")}
        )
    except PermissionDenied:  # handed to someone else meanwhile
        deny(request, "grid_task", task.pk, details={"action": "submit", "via": "grid_api"})
    except (ValidationError, IntegrityError):
        # a concurrent submission with this key got there first: its task decides
        first = TaskResult.objects.filter(key=idempotency_key).first()
        if first is None:
            raise
        if first.task_id != task.pk:
            return Status(409, {"detail": _("This submission key belongs to another task.")})
        return Status(200, _result_out(first, replayed=True))
    return Status(201 if created else 200, _result_out(result, replayed=not created))
