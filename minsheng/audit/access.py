"""The door to the audit trail: the audit administrator alone reads and exports it (三员分立)."""

from __future__ import annotations

from minsheng.accounts.roles import Role

from .actions import deny


def may_read_audit_trail(user) -> bool:
    return bool(user.is_authenticated and user.role == Role.AUDIT_ADMIN)


def access_audit_trail(request) -> None:
    if not may_read_audit_trail(request.user):
        deny(request, "audit_trail")
