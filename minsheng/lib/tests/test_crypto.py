import base64
import json
import os
import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minsheng.lib.crypto import (
    AESGCMProvider,
    CryptoError,
    CryptoProvider,
    SM4GCMProvider,
    generate_key_file,
    load_key_file,
    provider_from_key_file,
)

SM4 = SM4GCMProvider(b"\x01" * 16, b"\x02" * 32)
AES = AESGCMProvider(b"\x03" * 32, b"\x04" * 32)
PROVIDERS = [SM4, AES]


def flip_payload_byte(token: str, index: int) -> str:
    header, payload = token.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raw[index] ^= 0x01
    return header + ":" + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_it_satisfies_the_provider_protocol(provider):
    assert isinstance(provider, CryptoProvider)


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_it_writes_self_describing_text_tokens(provider):
    token = provider.encrypt("150302199001011234")
    name, key_id, payload = token.split(":")
    assert (name, key_id) == (provider.name, "v1")
    assert token.isascii() and "=" not in payload
    # nonce + ciphertext + tag
    assert len(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))) == 12 + 18 + 16


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_it_uses_a_fresh_nonce_for_every_encryption(provider):
    assert provider.encrypt("张三") != provider.encrypt("张三")


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_it_encrypts_the_empty_string(provider):
    assert provider.decrypt(provider.encrypt("")) == ""


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
@given(text=st.text())
def test_it_round_trips_any_text(provider, text):
    assert provider.decrypt(provider.encrypt(text)) == text


def test_it_refuses_a_token_from_the_other_provider():
    with pytest.raises(CryptoError, match="provider 'aesgcm'"):
        SM4.decrypt(AES.encrypt("x"))
    with pytest.raises(CryptoError, match="provider 'sm4gcm'"):
        AES.decrypt(SM4.encrypt("x"))


def test_it_refuses_a_token_from_another_key_id():
    rotated = SM4GCMProvider(b"\x01" * 16, b"\x02" * 32, key_id="v2")
    with pytest.raises(CryptoError, match="key 'v2'"):
        SM4.decrypt(rotated.encrypt("x"))


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_it_refuses_a_relabelled_token(provider):
    # The header is authenticated, so rewriting the key id cannot sneak a token past.
    other = type(provider)(provider._enc_key, provider._mac_key, key_id="v2")
    token = provider.encrypt("x").replace(":v1:", ":v2:")
    with pytest.raises(CryptoError, match="failed authentication"):
        other.decrypt(token)


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
@pytest.mark.parametrize("index", [0, 12, -1])  # nonce, ciphertext, tag
def test_it_detects_tampering(provider, index):
    token = flip_payload_byte(provider.encrypt("150302199001011234"), index)
    with pytest.raises(CryptoError, match="altered or encrypted with another key"):
        provider.decrypt(token)


@pytest.mark.parametrize(
    ("wrong", "right"),
    [
        (SM4GCMProvider(b"\x09" * 16, b"\x02" * 32), SM4),
        (AESGCMProvider(b"\x09" * 32, b"\x04" * 32), AES),
    ],
)
def test_it_detects_a_wrong_key(wrong, right):
    with pytest.raises(CryptoError, match="another key"):
        wrong.decrypt(right.encrypt("x"))


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("plain text", "not an encrypted token"),
        ("sm4gcm:v1", "not an encrypted token"),
        ("sm4gcm:v1:a:b", "not an encrypted token"),
        ("sm4gcm:v1:!!!!", "not valid base64url"),
        ("sm4gcm:v1:a", "not valid base64url"),
        ("sm4gcm:v1:AAAA", "too short"),
    ],
)
def test_it_rejects_malformed_tokens(token, message):
    with pytest.raises(CryptoError, match=message):
        SM4.decrypt(token)


def test_it_rejects_a_non_string_token_or_plaintext():
    with pytest.raises(CryptoError):
        SM4.decrypt(None)
    with pytest.raises(TypeError):
        SM4.encrypt(b"bytes")
    with pytest.raises(TypeError):
        SM4.blind_index(123)


@pytest.mark.parametrize(
    ("cls", "enc_key", "mac_key", "message"),
    [
        (SM4GCMProvider, b"\x01" * 32, b"\x02" * 32, "16-byte encryption key"),
        (SM4GCMProvider, b"\x01" * 16, b"\x02" * 16, "32-byte MAC key"),
        (AESGCMProvider, b"\x01" * 16, b"\x02" * 32, "32-byte encryption key"),
        (AESGCMProvider, "0" * 32, b"\x02" * 32, "32-byte encryption key"),
    ],
)
def test_it_rejects_wrong_key_lengths(cls, enc_key, mac_key, message):
    with pytest.raises(CryptoError, match=message):
        cls(enc_key, mac_key)


@pytest.mark.parametrize("key_id", ["", "v 1", "a:b", "x" * 33, 1])
def test_it_rejects_bad_key_ids(key_id):
    with pytest.raises(CryptoError, match="key id"):
        SM4GCMProvider(b"\x01" * 16, b"\x02" * 32, key_id=key_id)


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
def test_it_never_shows_keys_in_its_repr(provider):
    assert "\\x0" not in repr(provider) and "key_id='v1'" in repr(provider)


def test_it_computes_known_hmac_values():
    # Independent references: stdlib HMAC-SHA256, and SM3's 32-byte output length.
    import hashlib
    import hmac

    assert AES.blind_index("abc") == hmac.new(b"\x04" * 32, b"abc", hashlib.sha256).hexdigest()
    assert len(SM4.blind_index("abc")) == 64


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda p: p.name)
@given(value=st.text())
def test_it_computes_a_deterministic_blind_index(provider, value):
    assert provider.blind_index(value) == provider.blind_index(value)
    assert len(provider.blind_index(value)) == 64
    int(provider.blind_index(value), 16)


@given(value=st.text(), other=st.text())
def test_it_gives_different_values_different_blind_indexes(value, other):
    if value != other:
        assert SM4.blind_index(value) != SM4.blind_index(other)


@given(value=st.text())
def test_it_gives_different_blind_indexes_under_different_keys(value):
    other_sm4 = SM4GCMProvider(b"\x01" * 16, b"\x05" * 32)
    other_aes = AESGCMProvider(b"\x03" * 32, b"\x05" * 32)
    assert SM4.blind_index(value) != other_sm4.blind_index(value)
    assert AES.blind_index(value) != other_aes.blind_index(value)
    assert SM4.blind_index(value) != AES.blind_index(value)


# key files


@pytest.mark.parametrize(("provider", "enc_len"), [("sm4gcm", 16), ("aesgcm", 32)])
def test_it_generates_a_private_key_file_that_loads_back(tmp_path, provider, enc_len):
    path = generate_key_file(tmp_path / "keys.json", provider=provider)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    keys = load_key_file(path)
    assert keys["provider"] == provider
    assert keys["key_id"] == "v1"
    assert len(keys["enc_key"]) == enc_len and len(keys["mac_key"]) == 32
    crypto = provider_from_key_file(path)
    assert crypto.name == provider
    assert crypto.decrypt(crypto.encrypt("民生")) == "民生"
    assert provider_from_key_file(path).blind_index("a") == crypto.blind_index("a")


def test_it_generates_different_keys_each_time(tmp_path):
    a = load_key_file(generate_key_file(tmp_path / "a.json"))
    b = load_key_file(generate_key_file(tmp_path / "b.json"))
    assert a["enc_key"] != b["enc_key"] and a["mac_key"] != b["mac_key"]


def test_it_keeps_a_private_mode_under_a_strict_umask(tmp_path):
    old = os.umask(0o777)
    try:
        path = generate_key_file(tmp_path / "keys.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_it_refuses_to_overwrite_a_key_file(tmp_path):
    path = generate_key_file(tmp_path / "keys.json")
    before = path.read_bytes()
    with pytest.raises(CryptoError, match="already exists"):
        generate_key_file(path)
    assert path.read_bytes() == before


def test_it_refuses_to_generate_for_an_unknown_provider_or_key_id(tmp_path):
    with pytest.raises(CryptoError, match="unknown provider"):
        generate_key_file(tmp_path / "k.json", provider="des")
    with pytest.raises(CryptoError, match="key id"):
        generate_key_file(tmp_path / "k.json", key_id="bad id")
    assert not (tmp_path / "k.json").exists()


def test_it_reports_an_uncreatable_key_file(tmp_path):
    with pytest.raises(CryptoError, match="cannot create"):
        generate_key_file(tmp_path / "missing-dir" / "k.json")


def test_it_keeps_the_key_id_from_the_key_file(tmp_path):
    path = generate_key_file(tmp_path / "keys.json", key_id="2025a")
    crypto = provider_from_key_file(path)
    assert crypto.encrypt("x").startswith("sm4gcm:2025a:")


def test_it_reports_a_missing_key_file(tmp_path):
    with pytest.raises(CryptoError, match="does not exist"):
        load_key_file(tmp_path / "nope.json")


def write(tmp_path, content) -> str:
    path = tmp_path / "keys.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


GOOD = {"provider": "sm4gcm", "enc_key": "01" * 16, "mac_key": "02" * 32}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "unreadable"),
        ([1, 2], "JSON object"),
        ({**GOOD, "provider": "des"}, "unknown provider"),
        ({k: v for k, v in GOOD.items() if k != "provider"}, "unknown provider"),
        ({k: v for k, v in GOOD.items() if k != "mac_key"}, "no 'mac_key'"),
        ({**GOOD, "enc_key": "zz" * 16}, "not a hex string"),
        ({**GOOD, "enc_key": 5}, "not a hex string"),
        ({**GOOD, "enc_key": "01" * 32}, "16-byte encryption key"),
        ({**GOOD, "provider": "aesgcm"}, "32-byte encryption key"),
        ({**GOOD, "mac_key": "02" * 16}, "32-byte MAC key"),
        ({**GOOD, "key_id": "a b"}, "key id"),
    ],
)
def test_it_reports_bad_key_files(tmp_path, content, message):
    with pytest.raises(CryptoError, match=message):
        load_key_file(write(tmp_path, content))


def test_it_reports_a_key_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "keys.json"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(CryptoError, match="unreadable"):
        load_key_file(path)


def test_it_loads_a_hand_written_key_file(tmp_path):
    crypto = provider_from_key_file(write(tmp_path, GOOD))
    assert crypto.decrypt(SM4.encrypt("x")) == "x"
    assert crypto.blind_index("x") == SM4.blind_index("x")
