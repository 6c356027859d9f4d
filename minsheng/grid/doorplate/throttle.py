"""The rate limit of the doorplate page: at most DOORPLATE_RATE_LIMIT requests a client may
make in DOORPLATE_RATE_WINDOW seconds (fixed windows), counted before the token is looked
up, so a known and an unknown token cost a scanner the same and nobody walks the token space.

A client is its address (`client_address`: behind TRUSTED_PROXIES reverse proxies, the
entry the outermost one added); a signed-in user is counted per account instead, so the
workers of a station behind one office address do not throttle each other.

The counters live in Django's cache. The default (local memory) counts per server
process; with several processes set CACHES to a shared cache (e.g. Redis or Memcached) so
the limit holds across them. Losing the counters (a restart) only forgives the current
window.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

from minsheng.audit.actions import client_address

DEFAULT_LIMIT = 30
DEFAULT_WINDOW = 60  # seconds


def limits() -> tuple[int, int]:
    return (
        int(getattr(settings, "DOORPLATE_RATE_LIMIT", DEFAULT_LIMIT)),
        int(getattr(settings, "DOORPLATE_RATE_WINDOW", DEFAULT_WINDOW)),
    )


def client_key(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"addr:{client_address(request) or '-'}"


def allow(request) -> tuple[bool, int]:
    """Count this request; whether it is within the limit, and the seconds until the
    window ends (for Retry-After)."""
    limit, window = limits()
    now = time.time()
    slot = int(now // window)
    key = f"doorplate:{client_key(request)}:{slot}"
    # add is atomic where the backend's is (local memory, Redis, Memcached): the first
    # request of a window creates the counter, every request increments it
    cache.add(key, 0, timeout=window * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window * 2)
        count = 1
    return count <= limit, max(1, int((slot + 1) * window - now) + 1)
