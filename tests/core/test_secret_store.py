from __future__ import annotations

import threading

import keyring.backends.fail
import keyring.backends.null
import pytest

from core.crypto.keypair import create_key_bundle
from core.errors import SecretStoreError
from core.storage.secret_store import SecretStore, private_key_name
from tests.conftest import REAL_KEYRING
from tests.fakes.keyrings import LockedKeyring, MemoryKeyring, WindowsSizedKeyring
from tests.platforms import concurrent_credentials


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
    chunk = next(user for (_, user) in backend.entries if user.endswith(".1"))
    del backend.entries[(store.service, chunk)]
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


# --- a keyring that keeps nothing, and writes that are all or nothing -------------------------


def test_the_null_keyring_of_keyring_disable_is_no_keyring_and_says_how_to_switch_it_back() -> None:
    store = SecretStore(keyring.backends.null.Keyring())
    with pytest.raises(SecretStoreError) as info:
        store.set("k", "v")
    assert "switched off" in str(info.value) and "keyringrc.cfg" in str(info.value)
    assert store.backend_name() == "none"


def test_the_null_keyring_from_the_environment_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    with pytest.raises(SecretStoreError, match="PYTHON_KEYRING_BACKEND"):
        SecretStore(keyring.backends.null.Keyring()).get("k")


class Forgetful(MemoryKeyring):
    """Accepts every write and keeps nothing, like the null keyring under another name."""

    def set_password(self, service: str, username: str, password: str) -> None:
        pass


def test_a_keyring_that_keeps_nothing_is_caught_by_reading_back() -> None:
    with pytest.raises(SecretStoreError, match="did not keep"):
        SecretStore(Forgetful()).set("k", "value")


class FailingOnWrite(MemoryKeyring):
    """Refuses every write from the Nth on (a keyring that has become full)."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_at: int | None = None
        self.writes = 0

    def set_password(self, service: str, username: str, password: str) -> None:
        self.writes += 1
        if self.fail_at is not None and self.writes >= self.fail_at:
            raise RuntimeError("The keyring is full.")
        super().set_password(service, username, password)


@pytest.mark.parametrize("fail_at", [1, 3, 4, 5])  # chunks 1..4 of a 4096-bit key, then the index
def test_a_failed_replace_keeps_the_earlier_value_and_leaves_nothing_new(pem_4096: str, fail_at: int) -> None:
    backend = FailingOnWrite()
    store = SecretStore(backend)
    store.set("k", pem_4096)
    before = dict(backend.entries)
    backend.writes, backend.fail_at = 0, fail_at
    with pytest.raises(SecretStoreError, match="full"):
        store.set("k", pem_4096[::-1])
    assert store.get("k") == pem_4096
    assert backend.entries == before


def test_a_failed_index_write_keeps_the_stored_api_key() -> None:
    backend = FailingOnWrite()
    store = SecretStore(backend)
    store.set("unstructured-api-key", "old-key")
    backend.writes, backend.fail_at = 0, 2  # one chunk, then the index
    with pytest.raises(SecretStoreError):
        store.set("unstructured-api-key", "new-key")
    assert store.get("unstructured-api-key") == "old-key"


def test_values_written_before_generations_are_read_and_replaced_cleanly() -> None:
    backend = MemoryKeyring()
    value = "x" * 1500
    backend.set_password(
        "svc", "k", "sfcw-chunks:v1:2:" + __import__("hashlib").sha256(value.encode()).hexdigest()[:16]
    )
    backend.set_password("svc", "k#0", value[:1000])
    backend.set_password("svc", "k#1", value[1000:])
    store = SecretStore(backend, service="svc")
    assert store.get("k") == value
    store.set("k", "new")
    assert store.get("k") == "new" and len(backend.entries) == 2


def _hammer(store: SecretStore, values: list[str], rounds: int) -> list[str]:
    """Two writers and a reader at once; returns what went wrong (must be nothing)."""
    problems: list[str] = []
    stop = threading.Event()

    def write(value: str) -> None:
        for _ in range(rounds):
            try:
                store.set("k", value)
            except SecretStoreError as exc:
                problems.append(f"writer: {exc}")

    def read() -> None:
        while not stop.is_set():
            try:
                if store.get("k") not in values:
                    problems.append("reader saw a value nobody wrote")
            except SecretStoreError as exc:
                problems.append(f"reader: {exc}")

    store.set("k", values[0])
    reader = threading.Thread(target=read)
    writers = [threading.Thread(target=write, args=(v,)) for v in values]
    reader.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    reader.join()
    if store.get("k") not in values:
        problems.append("the final value is damaged")
    return problems


def test_concurrent_writers_and_a_reader_never_see_damage(pem_4096: str) -> None:
    assert _hammer(SecretStore(MemoryKeyring()), [pem_4096, pem_4096[::-1]], rounds=50) == []


def test_threads_reading_secrets_at_once_reach_the_keyring_one_call_at_a_time() -> None:
    """The watch reads several connectors' keys at once; GNOME Keyring's daemon was seen to abort under
    concurrent clients. Whoever is in a call first waits for a second caller to arrive: one never does."""

    class Watching(MemoryKeyring):
        def __init__(self) -> None:
            super().__init__()
            self.inside = 0
            self.overlapped = False
            self.second_arrived = threading.Event()

        def get_password(self, service: str, username: str) -> str | None:
            self.inside += 1
            if self.inside > 1:
                self.overlapped = True
                self.second_arrived.set()
            else:
                self.second_arrived.wait(0.2)  # long enough for another thread to come in, were it let in
            self.inside -= 1
            return super().get_password(service, username)

    backend = Watching()
    store = SecretStore(backend)
    store.set("key", "value")
    start = threading.Barrier(4)
    read: list[str | None] = []

    def reader() -> None:
        start.wait()
        read.append(store.get("key"))

    readers = [threading.Thread(target=reader) for _ in range(4)]
    for t in readers:
        t.start()
    for t in readers:
        t.join()
    assert read == ["value"] * 4 and not backend.overlapped


@concurrent_credentials
def test_concurrent_writers_on_the_real_keyring_never_damage_an_entry(pem_4096: str) -> None:
    """15 pairs of writers replacing one entry at once (the measure of the hardening issue): 0 damaged."""
    store = SecretStore(REAL_KEYRING, service="salesforce-connector-wizard-tests")
    assert store.backend_name() not in ("none", "fail"), (
        "no real keyring is running; run the suite with the README's test command"
    )
    values = [pem_4096, pem_4096[::-1]]
    damaged = 0
    try:
        for _pair in range(15):
            store.set("pair", values[0])
            start = threading.Barrier(2)

            def write(value: str, start: threading.Barrier = start) -> None:
                start.wait()
                store.set("pair", value)

            writers = [threading.Thread(target=write, args=(v,)) for v in values]
            for t in writers:
                t.start()
            for t in writers:
                t.join()
            try:
                damaged += store.get("pair") not in values
            except SecretStoreError:
                damaged += 1
    finally:
        store.delete("pair")
    assert damaged == 0


def test_a_locked_keyring_is_asked_once_not_again_to_translate_its_error() -> None:
    """Each attempt on a locked keyring may show an unlock prompt: it is made once."""

    class CountingLocked(LockedKeyring):
        calls = 0

        def get_password(self, service: str, username: str) -> str | None:
            CountingLocked.calls += 1
            return super().get_password(service, username)

    with pytest.raises(SecretStoreError, match="locked"):
        SecretStore(CountingLocked()).get("k")
    assert CountingLocked.calls == 1


def test_no_entry_holds_a_line_break_and_raw_entries_are_rewritten_when_read(pem_4096: str) -> None:
    """Line breaks in an entry destroy an empty-password GNOME keyring (see test_keyring_plaintext)."""
    backend = MemoryKeyring()
    store = SecretStore(backend, service="svc")
    store.set("new", pem_4096)
    backend.set_password("svc", "raw", "line one\r\nline two")  # unchunked, by hand or another tool
    value = "a\n" * 800
    backend.set_password(
        "svc", "old", "sfcw-chunks:v1:2:" + __import__("hashlib").sha256(value.encode()).hexdigest()[:16]
    )
    backend.set_password("svc", "old#0", value[:1000])
    backend.set_password("svc", "old#1", value[1000:])
    assert store.get("raw") == "line one\r\nline two" and store.get("old") == value
    assert not [v for v in backend.entries.values() if "\n" in v or "\r" in v]
    assert store.get("raw") == "line one\r\nline two" and store.get("old") == value and store.get("new") == pem_4096


def test_rewriting_a_raw_entry_never_replaces_what_another_writer_stored_meanwhile() -> None:
    backend = MemoryKeyring()
    store = SecretStore(backend, service="svc")
    backend.set_password("svc", "k", "old\nvalue")
    assert store._write("k", "old\nvalue", "something else", only_over_old=True) is False
    assert backend.get_password("svc", "k") == "old\nvalue" and len(backend.entries) == 1
