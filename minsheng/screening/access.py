"""The doors to screening: themes, target lists and saved snapshots are personal data, so
administrators and the supervision centre are refused (403); a theme or list that does not
exist, or a snapshot outside the user's area, is a 404. Every refusal is audited."""

from __future__ import annotations

from minsheng.audit.actions import deny

from . import catalog
from .models import TargetList


def may_screen(user, *, for_write: bool = False) -> bool:
    """Reading target lists needs personal data; saving one also needs a writing role."""
    return bool(
        user.is_authenticated
        and user.may_see_personal_data
        and not (for_write and user.is_read_only)
    )


def access_screening(
    request, object_type: str, object_id: str = "", *, for_write: bool = False
) -> None:
    if not may_screen(request.user, for_write=for_write):
        deny(request, object_type, object_id)


def access_theme(request, code: str) -> catalog.Theme:
    access_screening(request, "screening_theme", code)
    try:
        return catalog.theme(code)
    except KeyError:
        deny(request, "screening_theme", code, not_found=True)


def access_rule(
    request, theme: str, code: str, *, object_type: str = "screening_list", for_write=False
) -> tuple[catalog.Theme, catalog.RuleDef]:
    access_screening(request, object_type, code, for_write=for_write)
    try:
        t = catalog.theme(theme)
        return t, t.list(code)
    except KeyError:
        deny(request, object_type, code, not_found=True)


def access_snapshot(request, pk: int) -> TargetList:
    access_screening(request, "target_list", str(pk))
    saved = (
        TargetList.objects.visible_to(request.user)
        .select_related("area", "created_by")
        .filter(pk=pk)
        .first()
    )
    if saved is None:
        deny(request, "target_list", str(pk), not_found=True)
    return saved
