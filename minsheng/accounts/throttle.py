"""The per-address login throttle.

Per-account lockout (LOCKOUT_THRESHOLD failures within LOCKOUT_WINDOW_MINUTES, counted across
addresses) stops password guessing, but on its own it lets anyone lock an administrator out by
typing wrong passwords for that name. So each client address is throttled too, over a
sliding window of LOGIN_THROTTLE_MINUTES:

- after LOGIN_THROTTLE_ACCOUNT_FAILURES failures for one account name from one address, that
  address may not try that name again until the oldest failure leaves the window. This is
  below LOCKOUT_THRESHOLD and the window is at least the lockout window (settings.py checks
  both), so one address alone can never lock an account;
- after LOGIN_THROTTLE_FAILURES failures for any names, the address may not try at all.

Refused attempts are not checked against any password, do not count against the account, and
get the same message as a wrong password. Each attempt reserves its failure row before the
password is checked and the row is dropped again when the attempt succeeds or is refused, so
concurrent attempts from one address cannot slip past the limits together.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from minsheng.accounts.models import LoginFailure


def reserve_attempt(address: str, username: str) -> LoginFailure | None:
    """Record an attempt as a failure before its password is checked (see the module
    docstring); None without an address. Forgets failures older than the window."""
    if not address:
        return None
    now = timezone.now()
    LoginFailure.objects.filter(at__lt=now - window()).delete()
    return LoginFailure.objects.create(address=address, username=username[:150], at=now)


def release_attempt(reservation: LoginFailure | None) -> None:
    """The attempt did not fail (it succeeded, or it was refused unchecked)."""
    if reservation is not None:
        LoginFailure.objects.filter(pk=reservation.pk).delete()


def window() -> timedelta:
    return timedelta(minutes=settings.LOGIN_THROTTLE_MINUTES)


def throttled(address: str, username: str) -> str | None:
    """Why an attempt from `address` for `username` is refused ("address" or
    "address and account"), or None. The attempt's own reservation is counted, so the
    limits are reached by the attempt that would exceed them."""
    if not address:
        return None
    recent = LoginFailure.objects.filter(address=address, at__gte=timezone.now() - window())
    if recent.count() > settings.LOGIN_THROTTLE_FAILURES:
        return "address"
    if recent.filter(username=username[:150]).count() > settings.LOGIN_THROTTLE_ACCOUNT_FAILURES:
        return "address and account"
    return None
