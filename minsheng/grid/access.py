"""The doors to grid staffing: clerks of an area see and change its grids' posts; city staff
and read-only users of an area see them; grid workers, the supervision centre (its pages
show no names) and the administrators do not. A post outside the user's area is a 404.
Every refusal is audited."""

from __future__ import annotations

from minsheng.accounts.roles import CITY_STAFF, Role
from minsheng.audit.actions import deny

from .models import GridPost

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
