"""Many values encrypted and blind-indexed by several processes (minsheng.lib.cryptopool,
used by sources.protect): the same output as one process, and only with this process's
keys. Also the pools' processes (minsheng.lib.workers)."""

from __future__ import annotations

import sys

import pytest

from minsheng.lib import cryptopool, workers
from minsheng.lib.crypto import generate_key_file, provider_from_key_file

VALUES = [f"15030219900307{i:04d}" for i in range(4000)]


@pytest.fixture
def key_file(tmp_path):
    return generate_key_file(tmp_path / "a.key")


@pytest.fixture
def parallel(monkeypatch):
    monkeypatch.setattr(cryptopool, "PARALLEL_MIN", {"token": 1000, "hash": 1000})
    monkeypatch.setattr(cryptopool, "cpu_count", lambda: 2)


def test_it_hashes_as_one_process_does(key_file, parallel):
    provider = provider_from_key_file(key_file)
    got = cryptopool.compute("hash", VALUES, provider, key_file=key_file, workers=2)
    assert got == [provider.blind_index(v) for v in VALUES]


def test_it_encrypts_every_value_with_a_nonce_of_its_own(key_file, parallel):
    provider = provider_from_key_file(key_file)
    got = cryptopool.compute("token", VALUES, provider, key_file=key_file, workers=2)
    assert [provider.decrypt(t) for t in got] == VALUES
    assert len(set(got)) == len(VALUES)


def test_it_does_the_work_itself_when_a_process_has_another_key(key_file, tmp_path, parallel):
    # given a provider whose keys are not those of the key file the processes read
    other = provider_from_key_file(generate_key_file(tmp_path / "b.key"))
    # then what the processes made is not taken
    hashes = cryptopool.compute("hash", VALUES, other, key_file=key_file, workers=2)
    tokens = cryptopool.compute("token", VALUES, other, key_file=key_file, workers=2)
    assert hashes == [other.blind_index(v) for v in VALUES]
    assert [other.decrypt(t) for t in tokens] == VALUES


def test_it_works_alone_on_few_values(key_file, monkeypatch):
    monkeypatch.setattr(cryptopool, "pool", None)  # no process may be started
    provider = provider_from_key_file(key_file)
    got = cryptopool.compute("hash", VALUES[:10], provider, key_file=key_file, workers=2)
    assert got == [provider.blind_index(v) for v in VALUES[:10]]


def _main_script() -> str | None:
    """The file of the main module (the parent's script, had it been run again)."""
    return getattr(sys.modules["__main__"], "__file__", None)


def test_a_pool_process_does_not_run_the_main_script_again():
    with workers.pool(1) as ex:
        assert ex.submit(_main_script).result() is None
