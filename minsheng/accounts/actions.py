"""Every change to an account goes through here: permission check, one transaction, one
audit event."""

from __future__ import annotations

import secrets
import string
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minsheng.accounts.models import PasswordHistory, User
from minsheng.accounts.persons import normalize_staff_no, same_natural_person
from minsheng.accounts.roles import ADMIN_ROLES, ROLE_LEVEL, Role
from minsheng.audit.actions import record_event
from minsheng.audit.models import EventType, Result
from minsheng.geo.models import Area


def generate_password(length: int = 14) -> str:
    """A random password that always satisfies the complexity rule."""
    alphabet = string.ascii_letters + string.digits + "!@#$%^&*"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
            and any(c in "!@#$%^&*" for c in candidate)
        ):
            return candidate


def record_user_event(event_type: str, user: User, *, actor: User | None, request=None, **kwargs):
    """An audit event about an account."""
    return record_event(
        event_type, actor=actor, request=request, object_type="user", object_id=user.pk, **kwargs
    )


def remember_password(user: User, previous_hash: str = "") -> None:
    """Keep the hash of the password just set, and only the last PASSWORD_HISTORY_COUNT
    (passwords.PasswordHistoryValidator refuses them). `previous_hash`, the password it
    replaced, is kept first if the history lacks it (accounts from before the history)."""
    history = PasswordHistory.objects.filter(user=user)
    if previous_hash and not history.filter(password_hash=previous_hash).exists():
        PasswordHistory.objects.create(user=user, password_hash=previous_hash)
    PasswordHistory.objects.create(user=user, password_hash=user.password)
    stale = list(
        PasswordHistory.objects.filter(user=user)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)[settings.PASSWORD_HISTORY_COUNT :]
    )
    if stale:
        PasswordHistory.objects.filter(pk__in=stale).delete()


def check_staff_no_free(staff_no: str, user: User | None = None) -> None:
    """One account per natural person: a staff number names one account only."""
    others = User.objects.filter(staff_no__iexact=normalize_staff_no(staff_no))
    if user is not None and user.pk is not None:
        others = others.exclude(pk=user.pk)
    if others.exists():
        raise ValidationError(
            _(
                "Staff number %(staff_no)s already belongs to another account; each person has one account."
            )
            % {"staff_no": normalize_staff_no(staff_no)},
            code="staff_no_taken",
        )


def check_role_assignment(user: User | None, staff_no: str, role: str, area: Area) -> None:
    """The rules of role and area that every grant obeys."""
    if role not in Role.values:
        raise ValidationError(_("Unknown role: %(role)s") % {"role": role})
    level = ROLE_LEVEL[role]
    if level is not None and area.level != level:
        raise ValidationError(
            _("The role %(role)s needs an area of level %(level)s, not %(area)s.")
            % {"role": Role(role).label, "level": level, "area": area.name}
        )
    if role in ADMIN_ROLES:
        # 三员分立: the same natural person (staff number) may not hold two different
        # administrator roles, whatever account they are on.
        # (Compared as same_natural_person does, so staff numbers written before they were
        # normalised count too; administrator accounts are few.)
        others = User.objects.filter(role__in=ADMIN_ROLES, is_active=True).exclude(role=role)
        if user is not None:
            others = others.exclude(pk=user.pk)
        probe = User(staff_no=staff_no)
        if any(same_natural_person(probe, other) for other in others):
            raise ValidationError(
                _(
                    "Staff number %(staff_no)s already holds another administrator role; the three administrator roles must be held by different people."
                )
                % {"staff_no": staff_no}
            )


def require_security_admin(acting_user: User) -> None:
    if acting_user.role != Role.SEC_ADMIN or not acting_user.is_active:
        raise PermissionDenied(
            _("Only the security administrator manages accounts and permissions.")
        )


def do_create_user(
    *,
    username: str,
    staff_no: str,
    role: str,
    area: Area,
    display_name: str = "",
    phone: str = "",
    password: str | None = None,
    must_change_password: bool = True,
    acting_user: User | None,
    request=None,
) -> tuple[User, str]:
    """Create an account; returns it with its initial password (shown once). `acting_user`
    None means the system itself (the demo-account command)."""
    if acting_user is not None:
        require_security_admin(acting_user)
    staff_no = normalize_staff_no(staff_no)
    if not staff_no:
        raise ValidationError(_("Enter the staff number."), code="staff_no_missing")
    check_staff_no_free(staff_no)
    check_role_assignment(None, staff_no, role, area)
    password = password or generate_password()
    with transaction.atomic():
        user = User(
            username=username,
            staff_no=staff_no,
            role=role,
            area=area,
            display_name=display_name,
            phone=phone,
            must_change_password=must_change_password,
            password_changed_at=timezone.now(),
        )
        validate_password(password, user)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        remember_password(user)
        record_user_event(
            EventType.USER_CREATE,
            user,
            actor=acting_user,
            request=request,
            details={"username": username, "role": role, "area": area.code, "staff_no": staff_no},
        )
    return user, password


def do_change_user_permissions(
    user: User, *, role: str, area: Area, acting_user: User, reason: str, request=None
) -> User:
    require_security_admin(acting_user)
    if user.pk == acting_user.pk:
        raise PermissionDenied(_("Nobody may change their own role or area."))
    if not reason.strip():
        raise ValidationError(_("State the reason for the permission change."))
    check_role_assignment(user, user.staff_no, role, area)
    with transaction.atomic():
        before = {"role": user.role, "area": user.area.code if user.area else ""}
        user.role, user.area = role, area
        user.save(update_fields=["role", "area", "updated_at"])
        record_user_event(
            EventType.PERMISSION_CHANGE,
            user,
            actor=acting_user,
            request=request,
            reason=reason,
            details={
                "username": user.username,
                "before": before,
                "after": {"role": role, "area": area.code},
            },
        )
    return user


def do_set_user_active(
    user: User, *, active: bool, acting_user: User, reason: str, request=None
) -> User:
    require_security_admin(acting_user)
    if user.pk == acting_user.pk:
        raise PermissionDenied(_("Nobody may disable their own account."))
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active", "updated_at"])
        record_event(
            EventType.ACCOUNT_DISABLE if not active else EventType.PERMISSION_CHANGE,
            actor=acting_user,
            request=request,
            object_type="user",
            object_id=user.pk,
            reason=reason,
            details={"username": user.username, "is_active": active},
        )
    return user


def do_unlock_user(user: User, *, acting_user: User, request=None) -> User:
    require_security_admin(acting_user)
    with transaction.atomic():
        user.failed_login_count, user.failed_login_window_start, user.locked_until = 0, None, None
        user.save(
            update_fields=[
                "failed_login_count",
                "failed_login_window_start",
                "locked_until",
                "updated_at",
            ]
        )
        record_user_event(
            EventType.ACCOUNT_UNLOCK,
            user,
            actor=acting_user,
            request=request,
            details={"username": user.username},
        )
    return user


def do_reset_password(user: User, *, acting_user: User, request=None) -> str:
    """A new random password that must be changed at the next login."""
    require_security_admin(acting_user)
    password = generate_password()
    with transaction.atomic():
        previous = user.password
        user.save(update_fields=user.set_new_password(password, must_change=True))
        remember_password(user, previous)
        record_user_event(
            EventType.PASSWORD_CHANGE,
            user,
            actor=acting_user,
            request=request,
            reason="reset by security administrator",
            details={"username": user.username},
        )
    return password


def do_change_password(
    user: User, *, old_password: str, new_password: str, acting_user: User, request=None
) -> None:
    if acting_user.pk != user.pk:
        raise PermissionDenied(_("Only the account holder changes their own password."))
    if not user.check_password(old_password):
        raise ValidationError(_("The current password is wrong."), code="wrong_password")
    if old_password == new_password:
        raise ValidationError(
            _("The new password must differ from the current one."), code="same_password"
        )
    validate_password(new_password, user)
    with transaction.atomic():
        previous = user.password
        user.save(update_fields=user.set_new_password(new_password, must_change=False))
        remember_password(user, previous)
        record_user_event(
            EventType.PASSWORD_CHANGE,
            user,
            actor=acting_user,
            request=request,
        )


def do_record_login(user: User, *, request=None) -> None:
    with transaction.atomic():
        if user.failed_login_count or user.failed_login_window_start or user.locked_until:
            user.failed_login_count, user.failed_login_window_start = 0, None
            user.locked_until = None
            user.save(
                update_fields=["failed_login_count", "failed_login_window_start", "locked_until"]
            )
        record_user_event(
            EventType.LOGIN,
            user,
            actor=user,
            request=request,
        )


def do_refuse_throttled_login(username: str, *, address: str, request=None, scope: str) -> None:
    """Audit an attempt refused unchecked because its address failed too often (throttle.py);
    it does not count against the account."""
    record_event(
        EventType.LOGIN_FAILED,
        request=request,
        username=username[:150],
        result=Result.DENIED,
        reason="address throttled",
        details={"throttle_address": address, "scope": scope},
    )


def do_record_login_failure(username: str, user: User | None, *, request=None, reason: str) -> None:
    """Count a failed attempt; LOCKOUT_THRESHOLD (5) failures in a row within
    LOCKOUT_WINDOW_MINUTES of the first lock the account for LOCKOUT_MINUTES (30). The
    window is what lets the per-address throttle guarantee that one address alone cannot
    lock an account (throttle.py)."""
    with transaction.atomic():
        if user is None:
            record_event(
                EventType.LOGIN_FAILED,
                request=request,
                username=username[:150],
                result=Result.FAILURE,
                reason=reason,
            )
            return
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.is_locked():
            record_user_event(
                EventType.LOGIN_FAILED,
                user,
                actor=user,
                request=request,
                result=Result.DENIED,
                reason=reason,
            )
            return
        now = timezone.now()
        window = timedelta(minutes=settings.LOCKOUT_WINDOW_MINUTES)
        start = user.failed_login_window_start
        if not user.failed_login_count or start is None or now - start >= window:
            user.failed_login_count, user.failed_login_window_start = 0, now
        user.failed_login_count += 1
        record_user_event(
            EventType.LOGIN_FAILED,
            user,
            actor=user,
            request=request,
            result=Result.FAILURE,
            reason=reason,
            details={"failed_login_count": user.failed_login_count},
        )
        if user.failed_login_count >= settings.LOCKOUT_THRESHOLD:
            user.locked_until = now + timedelta(minutes=settings.LOCKOUT_MINUTES)
            user.failed_login_count, user.failed_login_window_start = 0, None
            record_user_event(
                EventType.LOCKOUT,
                user,
                actor=user,
                request=request,
                result=Result.DENIED,
                details={"locked_until": user.locked_until.isoformat()},
            )
        user.save(update_fields=["failed_login_count", "failed_login_window_start", "locked_until"])


def do_record_logout(user: User, *, request=None, idle: bool = False) -> None:
    record_event(
        EventType.IDLE_LOGOUT if idle else EventType.LOGOUT,
        actor=user,
        request=request,
        object_type="user",
        object_id=user.pk,
    )


def totp_device_for(user: User):
    """The user's authenticator: the confirmed one, else a pending enrolment (created)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, confirmed=False, defaults={"name": "Minsheng TOTP"}
        )
    return device


def do_verify_second_factor(user: User, token: str, *, request) -> bool:
    """Check a TOTP code; on success the session counts as verified (and a pending
    enrolment becomes the user's authenticator)."""
    import django_otp

    device = totp_device_for(user)
    with transaction.atomic():
        ok = device.verify_token(token.strip())
        if not ok:
            record_user_event(
                EventType.LOGIN_FAILED,
                user,
                actor=user,
                request=request,
                result=Result.FAILURE,
                reason="wrong second factor",
            )
            return False
        if not device.confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            record_user_event(
                EventType.SECOND_FACTOR_ENROLLED,
                user,
                actor=user,
                request=request,
            )
        django_otp.login(request, device)
        record_user_event(
            EventType.SECOND_FACTOR,
            user,
            actor=user,
            request=request,
        )
    return True


def do_reset_second_factor(user: User, *, acting_user: User, reason: str, request=None) -> None:
    """For a lost phone: the holder enrols a new authenticator at the next login."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    require_security_admin(acting_user)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        record_user_event(
            EventType.SECOND_FACTOR_RESET,
            user,
            actor=acting_user,
            request=request,
            reason=reason,
            details={"username": user.username},
        )
