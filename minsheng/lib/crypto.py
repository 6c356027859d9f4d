"""Encryption of sensitive columns at rest, plus a blind index for equality lookups.

A provider encrypts text into a self-describing token `<provider>:<key_id>:<base64url>`
(payload = 12-byte random nonce + ciphertext + 16-byte GCM tag) that fits a text column.
The header is bound to the ciphertext as GCM associated data, so a token cannot be
relabelled to pass as another provider's or key's. The key id lets a later rotation
wrapper pick the right key per token.

The blind index is a hex HMAC of the value under a separate key: equal inputs give equal
indexes, so `WHERE id_number_bidx = %s` works without decrypting. Callers normalise the
value first (e.g. idcard.normalize), or equal people get unequal indexes.

Keys never live in the database: they come from a JSON key file, see `load_key_file`.
Random 96-bit nonces are safe for well over a billion encryptions per key, far beyond
what one city's archive writes between rotations.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "AESGCMProvider",
    "CryptoError",
    "CryptoProvider",
    "SM4GCMProvider",
    "generate_key_file",
    "load_key_file",
    "provider_from_key_file",
]

NONCE_BYTES = 12
TAG_BYTES = 16
MAC_KEY_BYTES = 32
DEFAULT_KEY_ID = "v1"
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


class CryptoError(Exception):
    """Any failure to load keys or to encrypt or decrypt; the message says which."""


@runtime_checkable
class CryptoProvider(Protocol):
    name: str

    def encrypt(self, plaintext: str) -> str: ...

    def decrypt(self, token: str) -> str: ...

    def blind_index(self, value: str) -> str: ...


class _GCMProvider:
    """Token handling and key checks shared by the concrete providers."""

    name: str
    enc_key_bytes: int
    _hash: type[hashes.HashAlgorithm]

    def __init__(self, enc_key: bytes, mac_key: bytes, key_id: str = DEFAULT_KEY_ID) -> None:
        if not isinstance(enc_key, bytes) or len(enc_key) != self.enc_key_bytes:
            raise CryptoError(f"{self.name} needs a {self.enc_key_bytes}-byte encryption key")
        if not isinstance(mac_key, bytes) or len(mac_key) != MAC_KEY_BYTES:
            raise CryptoError(f"{self.name} needs a {MAC_KEY_BYTES}-byte MAC key")
        if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
            raise CryptoError(f"key id {key_id!r} must be 1-32 letters, digits, '_' or '-'")
        self._enc_key = enc_key
        self._mac_key = mac_key
        self.key_id = key_id
        self._header = f"{self.name}:{key_id}"
        # keyed once: each blind index continues a copy (an import hashes millions of values)
        self._mac = hmac.HMAC(mac_key, self._hash())

    def __repr__(self) -> str:  # never show key material in logs or tracebacks
        return f"{type(self).__name__}(key_id={self.key_id!r})"

    def encrypt(self, plaintext: str) -> str:
        if not isinstance(plaintext, str):
            raise TypeError(f"encrypt() takes str, not {type(plaintext).__name__}")
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._seal(nonce, plaintext.encode("utf-8"), self._header.encode("ascii"))
        payload = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
        return f"{self._header}:{payload}"

    def decrypt(self, token: str) -> str:
        if not isinstance(token, str) or token.count(":") != 2:
            raise CryptoError("not an encrypted token (expected provider:key_id:payload)")
        provider, key_id, payload = token.split(":")
        if provider != self.name:
            raise CryptoError(
                f"token was encrypted by provider {provider!r}; this is {self.name!r}"
            )
        if key_id != self.key_id:
            raise CryptoError(f"token was encrypted with key {key_id!r}; this is {self.key_id!r}")
        try:
            padded = payload + "=" * (-len(payload) % 4)
            raw = base64.b64decode(padded, altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            raise CryptoError("token payload is not valid base64url") from None
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise CryptoError("token payload is too short to be a ciphertext")
        try:
            plain = self._open(raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._header.encode())
        except InvalidTag:
            raise CryptoError(
                "token failed authentication: it was altered or encrypted with another key"
            ) from None
        return plain.decode("utf-8")

    def blind_index(self, value: str) -> str:
        if not isinstance(value, str):
            raise TypeError(f"blind_index() takes str, not {type(value).__name__}")
        mac = self._mac.copy()
        mac.update(value.encode("utf-8"))
        return mac.finalize().hex()

    def _seal(self, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        raise NotImplementedError

    def _open(self, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        raise NotImplementedError


class SM4GCMProvider(_GCMProvider):
    """SM4-GCM with an HMAC-SM3 blind index: the choice for 商用密码应用安全性评估 (密评)."""

    name = "sm4gcm"
    enc_key_bytes = 16
    _hash = hashes.SM3

    def _seal(self, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        encryptor = Cipher(algorithms.SM4(self._enc_key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(aad)
        return encryptor.update(data) + encryptor.finalize() + encryptor.tag

    def _open(self, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        ciphertext, tag = sealed[:-TAG_BYTES], sealed[-TAG_BYTES:]
        decryptor = Cipher(algorithms.SM4(self._enc_key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(aad)
        return decryptor.update(ciphertext) + decryptor.finalize()


class AESGCMProvider(_GCMProvider):
    """AES-256-GCM with an HMAC-SHA256 blind index, for deployments without a 密评 duty."""

    name = "aesgcm"
    enc_key_bytes = 32
    _hash = hashes.SHA256

    def _seal(self, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        return AESGCM(self._enc_key).encrypt(nonce, data, aad)

    def _open(self, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        return AESGCM(self._enc_key).decrypt(nonce, sealed, aad)


PROVIDERS: dict[str, type[_GCMProvider]] = {
    SM4GCMProvider.name: SM4GCMProvider,
    AESGCMProvider.name: AESGCMProvider,
}


def load_key_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read `{"provider", "enc_key" (hex), "mac_key" (hex)[, "key_id"]}` from a JSON file.

    Returns the provider name, key id and the keys as bytes, with lengths checked.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CryptoError(f"key file {os.fspath(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CryptoError(f"key file {os.fspath(path)!r} is unreadable: {exc}") from None
    if not isinstance(data, dict):
        raise CryptoError(f"key file {os.fspath(path)!r} must hold a JSON object")
    provider = data.get("provider")
    if provider not in PROVIDERS:
        raise CryptoError(
            f"key file names unknown provider {provider!r}; use one of {sorted(PROVIDERS)}"
        )
    keys: dict[str, bytes] = {}
    for field in ("enc_key", "mac_key"):
        try:
            keys[field] = bytes.fromhex(data[field])
        except KeyError:
            raise CryptoError(f"key file has no {field!r}") from None
        except (TypeError, ValueError):
            raise CryptoError(f"key file's {field!r} is not a hex string") from None
    result = {"provider": provider, "key_id": data.get("key_id", DEFAULT_KEY_ID), **keys}
    # Let the provider check key lengths and key id, so the rules live in one place.
    PROVIDERS[provider](result["enc_key"], result["mac_key"], result["key_id"])
    return result


def generate_key_file(
    path: str | os.PathLike[str], provider: str = "sm4gcm", key_id: str = DEFAULT_KEY_ID
) -> Path:
    """Write a new key file with random keys, readable by its owner only (mode 0600).

    Refuses to overwrite: replacing a key file makes every stored token undecryptable.
    """
    if provider not in PROVIDERS:
        raise CryptoError(f"unknown provider {provider!r}; use one of {sorted(PROVIDERS)}")
    cls = PROVIDERS[provider]
    enc_key, mac_key = os.urandom(cls.enc_key_bytes), os.urandom(MAC_KEY_BYTES)
    cls(enc_key, mac_key, key_id)  # validates key_id before anything touches the disk
    content = {
        "provider": provider,
        "key_id": key_id,
        "enc_key": enc_key.hex(),
        "mac_key": mac_key.hex(),
    }
    target = Path(path)
    try:
        # O_EXCL makes "refuse to overwrite" atomic; the mode applies from creation on.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise CryptoError(f"key file {os.fspath(path)!r} already exists; not overwriting") from None
    except OSError as exc:
        raise CryptoError(f"cannot create key file {os.fspath(path)!r}: {exc}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        os.fchmod(f.fileno(), 0o600)  # a strict umask must not lock the owner out either
        json.dump(content, f, indent=2)
        f.write("\n")
    return target


def provider_from_key_file(path: str | os.PathLike[str]) -> CryptoProvider:
    keys = load_key_file(path)
    return PROVIDERS[keys["provider"]](keys["enc_key"], keys["mac_key"], keys["key_id"])
