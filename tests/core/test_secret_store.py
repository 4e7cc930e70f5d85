from __future__ import annotations

import keyring.backends.fail
import pytest

from core.errors import SecretStoreError
from core.keys import create_key_bundle
from core.secret_store import SecretStore, private_key_name
from tests.conftest import REAL_KEYRING
from tests.fakes.keyrings import LockedKeyring, MemoryKeyring, WindowsSizedKeyring


@pytest.fixture(scope="module")
def pem_4096() -> str:
    return create_key_bundle(bits=4096).private_key_pem.decode()


def test_a_4096_bit_key_round_trips_through_the_windows_size_limit(pem_4096: str) -> None:
    backend = WindowsSizedKeyring()
    store = SecretStore(backend)
    assert len(pem_4096) > 3000
    store.set(private_key_name("prod"), pem_4096)
    assert store.get(private_key_name("prod")) == pem_4096
    assert all(len(v) <= 1280 for v in backend.entries.values())


def test_the_windows_limit_is_real_for_unchunked_values(pem_4096: str) -> None:
    with pytest.raises(Exception, match="stub received bad data"):
        WindowsSizedKeyring().set_password("s", "u", pem_4096)


def test_shorter_value_replaces_longer_and_leaves_no_stale_chunks(pem_4096: str) -> None:
    backend = MemoryKeyring()
    store = SecretStore(backend)
    store.set("k", pem_4096)
    store.set("k", "short-value")
    assert store.get("k") == "short-value"
    assert len(backend.entries) == 2  # index + one chunk


def test_delete_removes_every_chunk(pem_4096: str) -> None:
    backend = MemoryKeyring()
    store = SecretStore(backend)
    store.set("k", pem_4096)
    assert store.delete("k") is True
    assert backend.entries == {} and store.get("k") is None
    assert store.delete("k") is False


def test_a_missing_chunk_is_detected_not_returned_truncated(pem_4096: str) -> None:
    backend = MemoryKeyring()
    store = SecretStore(backend)
    store.set("k", pem_4096)
    del backend.entries[(store.service, "k#1")]
    with pytest.raises(SecretStoreError, match="incomplete"):
        store.get("k")


def test_values_stored_by_other_tools_are_read_as_they_are() -> None:
    backend = MemoryKeyring()
    backend.set_password("salesforce-connector-wizard", "unstructured-api-key", "plain")
    assert SecretStore(backend).get("unstructured-api-key") == "plain"


def test_no_backend_is_a_clear_error_never_a_plaintext_fallback() -> None:
    store = SecretStore(keyring.backends.fail.Keyring())
    with pytest.raises(SecretStoreError) as info:
        store.set("k", "v")
    assert "No system keyring" in str(info.value) and "GNOME Keyring" in str(info.value)
    assert store.backend_name() == "none"


def test_locked_keyring_says_unlock() -> None:
    with pytest.raises(SecretStoreError, match="locked"):
        SecretStore(LockedKeyring()).get("k")


def test_plaintext_backends_are_refused() -> None:
    class PlaintextKeyring(MemoryKeyring):
        pass

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    with pytest.raises(SecretStoreError, match="plain file"):
        SecretStore(PlaintextKeyring()).set("k", "v")


def test_backend_errors_never_echo_the_secret() -> None:
    class Refusing(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise RuntimeError(1783, "CredWrite", "The stub received bad data.")

    with pytest.raises(SecretStoreError) as info:
        SecretStore(Refusing()).set("k", "super-secret-value")
    assert "super-secret-value" not in str(info.value) and "stub received bad data" in str(info.value)


def test_real_system_keyring_round_trips_a_private_key(pem_4096: str) -> None:
    """Against the machine's real keyring: GNOME Keyring under the README's test command."""
    store = SecretStore(REAL_KEYRING, service="salesforce-connector-wizard-tests")
    assert store.backend_name() not in ("none", "fail"), (
        "no real keyring is running; run the suite with the README's test command"
    )
    store.set("pytest-key", pem_4096)
    try:
        assert store.get("pytest-key") == pem_4096
    finally:
        store.delete("pytest-key")
    assert store.get("pytest-key") is None
    store.check()
