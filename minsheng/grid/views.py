"""Grid staffing (网格员配置): the posts of the user's area, vacancies and their covers, and
a clerk's two changes: a worker left (vacate, with the cover) and a grid's new worker."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from minsheng.accounts.models import User
from minsheng.accounts.roles import Role
from minsheng.audit.actions import deny
from minsheng.lib.masking import mask_phone

from .access import access_posts
from .actions import do_assign_post, do_vacate_post, may_staff
from .models import GridPost


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
