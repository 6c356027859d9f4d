"""The one door to a single area: fetched within the user's scope, refusals audited."""

from __future__ import annotations

from minsheng.audit.actions import deny

from .models import Area


def access_area(request, code: str) -> Area:
    """The area if the user may see it; otherwise 404, with the refusal audited."""
    area = (
        Area.objects.visible_to(request.user)
        .select_related("parent__parent__parent__parent")
        .filter(code=code)
        .first()
    )
    if area is None:
        deny(request, "area", code, not_found=True)
    return area
