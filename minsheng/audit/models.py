"""The audit trail: one row per event, chained by SM3 hash so that any edit or deletion
is detectable (`minsheng audit_verify`)."""

from __future__ import annotations

import json

from cryptography.hazmat.primitives import hashes
from django.db import models
from django.utils.translation import gettext_lazy as _

from minsheng.accounts.roles import Role

GENESIS_HASH = "0" * 64


class EventType(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOCKOUT = "lockout", _("Account locked")
    LOGOUT = "logout", _("Logout")
    IDLE_LOGOUT = "idle_logout", _("Logout after idle time")
    PASSWORD_CHANGE = "password_change", _("Password change")
    SECOND_FACTOR = "second_factor", _("Second factor verified")
    SECOND_FACTOR_ENROLLED = "second_factor_enrolled", _("Second factor enrolled")
    SECOND_FACTOR_RESET = "second_factor_reset", _("Second factor reset")
    USER_CREATE = "user_create", _("Account created")
    PERMISSION_CHANGE = "permission_change", _("Permission change")
    ACCOUNT_UNLOCK = "account_unlock", _("Account unlocked")
    ACCOUNT_DISABLE = "account_disable", _("Account disabled")
    VIEW = "view", _("View")
    CHANGE = "change", _("Change")
    EXPORT = "export", _("Export")
    DENIED = "denied", _("Access denied")
    AUDIT_VIEW = "audit_view", _("Audit trail viewed")
    AUDIT_EXPORT = "audit_export", _("Audit trail exported")
    IMPORT = "import", _("Import")
    SYSTEM = "system", _("System job")


class Result(models.TextChoices):
    SUCCESS = "success", _("Success")
    FAILURE = "failure", _("Failure")
    DENIED = "denied", _("Denied")


class AuditEventQuerySet(models.QuerySet):
    def visible_to(self, user) -> AuditEventQuerySet:
        # Only the audit administrator reads the trail (三员分立).
        if (
            user is not None
            and user.is_authenticated
            and user.is_active
            and user.role == "audit_admin"
        ):
            return self.all()
        return self.none()


class AuditEvent(models.Model):
    seq = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField(db_index=True)
    # Actor fields are copied, not only linked: the trail must stay readable and its hashes
    # stable whatever later happens to the account.
    actor = models.ForeignKey(
        "accounts.User", models.SET_NULL, null=True, blank=True, db_constraint=False
    )
    actor_username = models.CharField(max_length=150, blank=True, db_index=True)
    actor_role = models.CharField(max_length=20, blank=True)
    actor_area = models.CharField(max_length=15, blank=True)
    event_type = models.CharField(max_length=30, choices=EventType.choices, db_index=True)
    object_type = models.CharField(max_length=50, blank=True, db_index=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    client_address = models.CharField(max_length=45, blank=True)
    result = models.CharField(max_length=10, choices=Result.choices, default=Result.SUCCESS)
    reason = models.CharField(max_length=500, blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("audit event")

    def __str__(self) -> str:
        return f"#{self.seq} {self.event_type} {self.actor_username}"

    @property
    def actor_role_label(self) -> str:
        return Role(self.actor_role).label if self.actor_role in Role.values else self.actor_role

    def canonical(self) -> bytes:
        """The bytes the hash covers: every field but the hash itself, in a fixed order."""
        payload = {
            "seq": self.seq,
            "created_at": self.created_at.isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_username": self.actor_username,
            "actor_role": self.actor_role,
            "actor_area": self.actor_area,
            "event_type": self.event_type,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "client_address": self.client_address,
            "result": self.result,
            "reason": self.reason,
            "details": self.details,
            "prev_hash": self.prev_hash,
        }
        return json.dumps(
            payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")
        ).encode()

    def compute_hash(self) -> str:
        digest = hashes.Hash(hashes.SM3())
        digest.update(self.canonical())
        return digest.finalize().hex()


class ChainHead(models.Model):
    """A single row naming the newest event. Writers lock it, which serialises the chain,
    and it reveals a deleted tail that the events alone could not."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"head #{self.seq}"
