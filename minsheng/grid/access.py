"""The doors to grid staffing: clerks of an area see and change its grids' posts; city staff
and read-only users of an area see them; grid workers, the supervision centre (its pages
show no names) and the administrators do not. A post outside the user's area is a 404.
Every refusal is audited."""

from __future__ import annotations

from minsheng.accounts.roles import CITY_STAFF, Role
from minsheng.audit.actions import deny

from .actions import may_manage
from .models import GridPost, GridTask

READERS = CITY_STAFF | {
    Role.DISTRICT_CLERK,
    Role.STREET_CLERK,
    Role.COMMUNITY_CLERK,
    Role.VIEWER,
}


def access_posts(request):
    """The posts of the grids in the user's area (403 for who may not see staffing)."""
    user = request.user
    if user.role not in READERS or user.area is None:
        deny(request, "grid_posts")
    posts = GridPost.objects.select_related("grid", "worker", "cover", "cover__area")
    if user.area.level != "city":
        posts = posts.filter(**{f"grid__{user.area.level}_code": user.area.code})
    return posts.order_by("grid__code")


def access_tasks(request):
    """The grid tasks of the user's area, for clerks, city staff and read-only users (a
    grid worker's own are on the phone pages): 403 for anyone else, audited."""
    user = request.user
    if user.role not in READERS or user.area is None:
        deny(request, "grid_tasks")
    return GridTask.objects.visible_to(user)


def access_task(request, pk: int) -> GridTask:
    """One task the user may manage: 404 outside their area, 403 for a reader or a role
    that does not dispatch."""
    task = access_tasks(request).filter(pk=pk).first()
    if task is None:
        deny(request, "grid_task", pk, not_found=True)
    if not may_manage(request.user, task):
        deny(request, "grid_task", pk)
    return task
