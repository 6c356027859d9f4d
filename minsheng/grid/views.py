"""Grid staffing (网格员配置): the posts of the user's area, vacancies and their covers, and
a clerk's two changes: a worker left (vacate, with the cover) and a grid's new worker."""

from __future__ import annotations

from collections import defaultdict

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minsheng.accounts.models import User
from minsheng.accounts.roles import Role
from minsheng.audit.actions import deny, record_event
from minsheng.audit.models import EventType
from minsheng.lib.masking import mask_name, mask_phone
from minsheng.residents.models import Resident
from minsheng.screening.models import TargetList

from .access import access_posts, access_task, access_tasks
from .actions import (
    dispatched_message,
    do_assign_post,
    do_cancel_task,
    do_create_task,
    do_dispatch_list,
    do_reassign_tasks,
    do_vacate_post,
    may_dispatch,
    may_manage,
    may_staff,
)
from .models import GridPost, Priority, TaskKind, TaskStatus


def _get_post_for_user(request, code: str) -> GridPost:
    """A post the user may change: 404 outside their area (or unknown), 403 for who may
    not staff grids."""
    post = (
        GridPost.objects.select_related("grid", "worker", "cover").filter(grid__code=code).first()
    )
    user = request.user
    if post is None or user.area is None or not user.area.contains(post.grid):
        deny(request, "grid_post", code, not_found=True)
    if not may_staff(user, post.grid):
        deny(request, "grid_post", code)
    return post


@login_required
def posts(request):
    qs = access_posts(request)
    only_vacant = request.GET.get("vacant") == "1"
    if only_vacant:
        qs = qs.filter(worker__isnull=True)
    rows = list(qs)
    # the workers who may cover a grid (holders of another grid of its street) and the
    # accounts that may take it (its own grid's), for the forms: one query each
    covers = defaultdict(list)
    for p in GridPost.objects.filter(
        worker__isnull=False, grid__town_code__in={r.grid.town_code for r in rows}
    ).select_related("worker", "grid"):
        covers[p.grid.town_code].append(p.worker)
    takers = defaultdict(list)
    for u in User.objects.filter(
        role=Role.GRID_WORKER, is_active=True, area__in=[r.grid_id for r in rows]
    ).order_by("username"):
        takers[u.area_id].append(u)
    items = [
        {
            "post": p,
            "phone": mask_phone(p.holder.phone) if p.holder else "",
            "may_staff": may_staff(request.user, p.grid),
            "covers": [w for w in covers[p.grid.town_code] if w.area_id != p.grid_id],
            "takers": [u for u in takers[p.grid_id] if u.pk != p.worker_id],
        }
        for p in rows
    ]
    return render(
        request,
        "grid/posts.html",
        {
            "items": items,
            "only_vacant": only_vacant,
            "vacant": sum(1 for p in rows if p.vacant),
            "uncovered": sum(1 for p in rows if p.holder is None),
        },
    )


def _done(request, code: str, action) -> None:
    try:
        action()
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("Grid %(code)s: saved.") % {"code": code})


@login_required
@require_POST
def post_vacate(request, code: str):
    post = _get_post_for_user(request, code)
    username = request.POST.get("cover", "")
    cover = (
        User.objects.filter(username=username).select_related("area").first() if username else None
    )
    if username and cover is None:
        messages.error(request, _("No such grid worker."))
    else:
        _done(
            request,
            code,
            lambda: do_vacate_post(
                post, cover=cover, reason=request.POST.get("reason", ""), acting_user=request.user
            ),
        )
    return redirect("grid:posts")


@login_required
@require_POST
def post_assign(request, code: str):
    post = _get_post_for_user(request, code)
    worker = User.objects.filter(username=request.POST.get("worker", "")).first()
    if worker is None:
        messages.error(request, _("No such grid worker."))
    else:
        _done(request, code, lambda: do_assign_post(post, worker=worker, acting_user=request.user))
    return redirect("grid:posts")


# -- tasks (clerks) --------------------------------------------------------------------------

TASK_PAGE = 50


def _task_filters(request, qs):
    today = timezone.localdate()
    f = {
        "status": request.GET.get("status", "open"),
        "kind": request.GET.get("kind", ""),
        "grid": request.GET.get("grid", "").strip(),
        "flag": request.GET.get("flag", ""),
    }
    if f["status"] in TaskStatus.values:
        qs = qs.filter(status=f["status"])
    if f["kind"] in TaskKind.values:
        qs = qs.filter(kind=f["kind"])
    if f["grid"].isdigit():
        qs = qs.filter(grid_code=f["grid"])
    if f["flag"] == "overdue":
        qs = qs.filter(status=TaskStatus.OPEN, due_date__lt=today)
    elif f["flag"] == "vacant":
        qs = qs.filter(via_cover=True)
    elif f["flag"] == "handed":
        qs = qs.filter(assignee__isnull=False)
    return qs, f


@login_required
def tasks(request):
    qs, f = _task_filters(request, access_tasks(request))
    page = Paginator(
        qs.select_related("person", "assignee").order_by("due_date", "priority", "pk"), TASK_PAGE
    ).get_page(request.GET.get("page"))
    today = timezone.localdate()
    posts = {
        p.grid.code: p
        for p in GridPost.objects.filter(grid__code__in={t.grid_code for t in page}).select_related(
            "grid", "worker", "cover"
        )
    }
    rows = [
        {
            "task": t,
            "name": mask_name(t.person.name),
            "grid": posts[t.grid_code].grid.name if t.grid_code in posts else t.grid_code,
            "holder": t.assignee or (posts[t.grid_code].holder if t.grid_code in posts else None),
            "overdue": t.overdue_on(today),
            "may_manage": may_manage(request.user, t),
        }
        for t in page
    ]
    # workers a clerk may hand tasks to: the grid workers of their street(s)
    user = request.user
    workers = []
    if may_dispatch(user) and user.area.level in ("street", "community"):
        workers = list(
            User.objects.filter(
                role=Role.GRID_WORKER, is_active=True, area__town_code=user.area.town_code
            )
            .select_related("area")
            .order_by("area__code")
        )
    record_event(
        EventType.VIEW,
        actor=user,
        request=request,
        object_type="grid_tasks",
        object_id=user.area.code,
        details={"filters": f, "page": page.number, "rows": len(rows)},
    )
    return render(
        request,
        "grid/tasks.html",
        {
            "page": page,
            "rows": rows,
            "f": f,
            "kinds": TaskKind.choices,
            "statuses": TaskStatus.choices,
            "workers": workers,
            "may_dispatch": may_dispatch(user),
            "query": _without_page(request),
        },
    )


def _without_page(request) -> str:
    q = request.GET.copy()
    q.pop("page", None)
    return q.urlencode()


@login_required
@require_POST
def tasks_reassign(request):
    ids = [int(x) for x in request.POST.getlist("task") if x.isdigit()][:TASK_PAGE]
    chosen = list(access_tasks(request).filter(pk__in=ids))
    if len(chosen) != len(set(ids)):
        deny(request, "grid_task", ",".join(map(str, ids)), not_found=True)
    username = request.POST.get("worker", "")
    worker = (
        User.objects.filter(username=username).select_related("area").first() if username else None
    )
    if username and worker is None:
        messages.error(request, _("No such grid worker."))
    elif not chosen:
        messages.error(request, _("Choose the tasks to hand over."))
    else:
        try:
            n = do_reassign_tasks(chosen, worker=worker, acting_user=request.user)
        except PermissionDenied:
            deny(request, "grid_tasks", "reassign")
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, _("%(n)s tasks handed over.") % {"n": n})
    return redirect(f"{reverse('grid:tasks')}?{request.POST.get('back', '')}")


@login_required
@require_POST
def task_cancel(request, pk: int):
    task = access_task(request, pk)
    try:
        do_cancel_task(task, reason=request.POST.get("reason", ""), acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("The task has been cancelled."))
    return redirect("grid:tasks")


class DispatchForm(forms.Form):
    kind = forms.ChoiceField(label=_("Task type"), choices=TaskKind.choices)
    due_date = forms.DateField(
        label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )


def _require_dispatcher(request) -> None:
    if not may_dispatch(request.user):
        deny(request, "grid_dispatch")


def _dispatch_page(request, *, title, subject, count, dispatch):
    kind = request.GET.get("kind")
    form = DispatchForm(
        request.POST or None, initial={"kind": kind} if kind in TaskKind.values else {}
    )
    if request.method == "POST" and form.is_valid():
        try:
            done = dispatch(form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, dispatched_message(done))
            return redirect(f"{reverse('grid:tasks')}?kind={form.cleaned_data['kind']}")
    return render(
        request,
        "grid/dispatch.html",
        {"form": form, "title": title, "subject": subject, "count": count},
    )


@login_required
def dispatch_list(request, pk: int):
    _require_dispatcher(request)
    saved = TargetList.objects.visible_to(request.user).filter(pk=pk).first()
    if saved is None:
        deny(request, "target_list", pk, not_found=True)
    return _dispatch_page(
        request,
        title=_("Dispatch grid tasks for a saved list"),
        subject=saved.name,
        count=saved.size,
        dispatch=lambda d: do_dispatch_list(
            saved,
            kind=d["kind"],
            due=d["due_date"],
            priority=d["priority"],
            acting_user=request.user,
        ),
    )


def _about(request) -> str:
    """The task's reason: what to check (a conflicting item, from the conflicts list) and who
    sent it."""
    who = _("Sent by %(user)s") % {"user": request.user.display_name or request.user.username}
    about = request.GET.get("about", "").strip()[:100]
    return f"{_('Check: %(item)s') % {'item': about}}；{who}" if about else who


@login_required
def dispatch_person(request, person_id: int):
    _require_dispatcher(request)
    resident = Resident.objects.visible_to(request.user).filter(pk=person_id).first()
    if resident is None:
        deny(request, "resident", person_id, not_found=True)
    return _dispatch_page(
        request,
        title=_("Dispatch a grid task"),
        subject=mask_name(resident.identity_name) or str(person_id),
        count=1,
        dispatch=lambda d: do_create_task(
            person_id,
            kind=d["kind"],
            reason=_about(request),
            due=d["due_date"],
            priority=d["priority"],
            acting_user=request.user,
        ),
    )
