"""等保三级 password complexity: at least 8 characters of at least 3 of 4 classes."""

import string

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def character_classes(password: str) -> int:
    return sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(c in string.punctuation or not c.isalnum() for c in password),
        ]
    )


class ComplexityValidator:
    def validate(self, password: str, user=None) -> None:
        if character_classes(password) < 3:
            raise ValidationError(
                _(
                    "The password must mix at least three of: lower-case letters, upper-case letters, digits and symbols."
                ),
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return _(
            "Use at least three of: lower-case letters, upper-case letters, digits and symbols."
        )


class PasswordHistoryValidator:
    """No reuse of any of the user's last `count` passwords (the current one included)."""

    def __init__(self, count: int | None = None):
        from django.conf import settings

        self.count = count if count is not None else settings.PASSWORD_HISTORY_COUNT

    def validate(self, password: str, user=None) -> None:
        if user is None or getattr(user, "pk", None) is None or self.count <= 0:
            return
        from django.contrib.auth.hashers import check_password

        from minsheng.accounts.models import PasswordHistory

        hashes = list(
            PasswordHistory.objects.filter(user=user)
            .order_by("-created_at", "-pk")
            .values_list("password_hash", flat=True)[: self.count]
        )
        # Accounts from before the history (or given a password outside the actions) still
        # have their current password checked.
        if user.password and user.password not in hashes:
            hashes = [user.password, *hashes][: self.count]
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(
                _("The new password must differ from your last %(count)d passwords.")
                % {"count": self.count},
                code="password_reused",
            )

    def get_help_text(self) -> str:
        return _("It must differ from your last %(count)d passwords.") % {"count": self.count}
