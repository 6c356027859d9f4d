from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minsheng.accounts.roles import (
    ADMIN_ROLES,
    CITY_STAFF,
    NO_PERSONAL_DATA,
    READ_ONLY,
    ROLE_LEVEL,
    Role,
)
from minsheng.geo.models import Area


class UserQuerySet(models.QuerySet):
    def visible_to(self, user) -> UserQuerySet:
        """Accounts a user may list: the security administrator sees all; a clerk sees the
        accounts in their area (to dispatch work to grid workers); nobody else any."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.role == Role.SEC_ADMIN:
            return self.all()
        if user.role in NO_PERSONAL_DATA or user.area is None or user.role == Role.GRID_WORKER:
            return self.filter(pk=user.pk)
        qs = self.exclude(role__in=ADMIN_ROLES)
        if user.area.level == "city":
            return qs
        return qs.filter(**{f"area__{user.area.level}_code": user.area.code})


class MinshengUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    area = models.ForeignKey(
        Area, models.PROTECT, null=True, related_name="users", verbose_name=_("area")
    )
    # 工号: identifies the natural person behind accounts, so 三员分立 can be enforced across
    # accounts, not only within one.
    staff_no = models.CharField(_("staff number"), max_length=20, db_index=True)
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    must_change_password = models.BooleanField(default=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    failed_login_count = models.PositiveSmallIntegerField(default=0)
    # When the failures counted in failed_login_count began: they lock the account only
    # within LOCKOUT_WINDOW_MINUTES of it (see actions.do_record_login_failure).
    failed_login_window_start = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MinshengUserManager()

    class Meta:
        verbose_name = _("user")
        constraints = [
            # The admin site's superuser bypasses every rule; nobody gets it.
            models.CheckConstraint(condition=models.Q(is_superuser=False), name="no_superusers"),
            # One account per natural person: two accounts with one staff number would let
            # one person pass the two-person rule or hold two administrator roles.
            models.UniqueConstraint(
                fields=["staff_no"],
                condition=~models.Q(staff_no=""),
                name="staff_no_unique",
                violation_error_message=_("This staff number already belongs to another account."),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_admin_role(self) -> bool:
        return self.role in ADMIN_ROLES

    @property
    def may_see_personal_data(self) -> bool:
        return self.role not in NO_PERSONAL_DATA

    @property
    def may_reveal_personal_data(self) -> bool:
        """May ask to see a sensitive value in full (with a stated reason, audited): the
        business staff of the city bureau and the area clerks who handle cases; never
        read-only users, grid workers (they work from masked task lists), administrators
        or the supervision centre."""
        return self.is_active and (
            self.role in CITY_STAFF
            or self.role in (Role.DISTRICT_CLERK, Role.STREET_CLERK, Role.COMMUNITY_CLERK)
        )

    @property
    def is_read_only(self) -> bool:
        return self.role in READ_ONLY

    @property
    def is_city_staff(self) -> bool:
        return self.role in CITY_STAFF

    def is_locked(self, now=None) -> bool:
        now = now or timezone.now()
        return self.locked_until is not None and self.locked_until > now

    def password_expired(self, now=None) -> bool:
        if self.password_changed_at is None:
            return True
        now = now or timezone.now()
        return now - self.password_changed_at > timedelta(days=settings.PASSWORD_MAX_AGE_DAYS)

    def needs_password_change(self) -> bool:
        return self.must_change_password or self.password_expired()

    def set_new_password(self, password: str, *, must_change: bool) -> list[str]:
        """Set a password and restart its expiry clock; returns the fields to save."""
        self.set_password(password)
        self.must_change_password = must_change
        self.password_changed_at = timezone.now()
        return ["password", "must_change_password", "password_changed_at", "updated_at"]

    def role_fits_area(self, role: str | None = None, area: Area | None = None) -> bool:
        role = role or self.role
        area = area or self.area
        level = ROLE_LEVEL.get(role)
        return area is not None and (level is None or area.level == level)


class PasswordHistory(models.Model):
    """The hashes of a user's recent passwords, so that none of the last
    PASSWORD_HISTORY_COUNT is chosen again (passwords.PasswordHistoryValidator)."""

    user = models.ForeignKey(User, models.CASCADE, related_name="password_history")
    password_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="password_history_recent")]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.created_at:%Y-%m-%d %H:%M}"


class LoginFailure(models.Model):
    """One failed login from one client address, with the account name tried: the
    per-address throttle counts these over a sliding window (throttle.py). Rows older than
    the window are pruned."""

    address = models.CharField(max_length=45)
    username = models.CharField(max_length=150, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["address", "at"], name="login_failure_address")]

    def __str__(self) -> str:
        return f"{self.address}@{self.at:%Y-%m-%d %H:%M:%S}"
