"""Decrypting archive values for one request or export."""

from __future__ import annotations

from minsheng import keys
from minsheng.lib.crypto import CryptoError


class Plain:
    """Decrypts each distinct token once per request: the same ID number comes back from
    every source."""

    def __init__(self) -> None:
        self._seen: dict[str, str | None] = {}

    def __call__(self, token: str | None) -> str | None:
        if not token:
            return None
        if token not in self._seen:
            try:
                self._seen[token] = keys.provider().decrypt(token)
            except CryptoError:
                self._seen[token] = None
        return self._seen[token]
