"""The door to user administration: the security administrator alone manages accounts
(三员分立); every refusal is audited."""

from __future__ import annotations

from minsheng.audit.actions import deny

from .models import User
from .roles import Role


def may_administer_users(user) -> bool:
    return bool(user.is_authenticated and user.role == Role.SEC_ADMIN)


def access_user_admin(request, object_id: object = "") -> None:
    if not may_administer_users(request.user):
        deny(request, "user", object_id)


def access_user(request, pk: int, *, for_write: bool = False) -> User:
    """An account the security administrator may manage; 404 (audited) for an unknown one."""
    access_user_admin(request, pk)
    user = User.objects.visible_to(request.user).select_related("area").filter(pk=pk).first()
    if user is None:
        deny(request, "user", pk, not_found=True)
    return user
