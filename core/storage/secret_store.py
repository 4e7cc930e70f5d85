"""The one place secrets live: the operating system's keyring.

Windows Credential Manager holds at most 1280 characters per entry and a private key is
longer, so every value is split into chunks under one index entry (the design of
trino-python-client's keyring cache). A digest in the index detects a half-written set.

Writes are all-or-nothing: the chunks of a new value go under new entry names (a random
generation), then one write of the index switches to them, then the old chunks are deleted.
A reader sees the old value or the new one; a failed write leaves the old value intact.

Chunks hold the value base64-encoded (index v3), so no entry ever holds a line break: GNOME
Keyring keeps a keyring whose password is empty (auto-login desktops) as a plain-text file in
which it does not escape newlines, and a PEM's line breaks there make the whole keyring, every
other application's secrets with ours, unreadable at the next daemon start. Values written raw
by earlier versions (v1, v2) are still read, and rewritten encoded when they are.
Every write is read back before it counts: a keyring that accepts values and keeps nothing
(``keyring --disable`` configures such a "null" backend) is never reported as having kept one.
There is never a plaintext fallback: no backend, a locked or a refusing keyring is an error.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from core import APP_ID
from core.defaults import API_KEY_ENTRY, private_key_name
from core.errors import SecretStoreError

if TYPE_CHECKING:
    import keyring.backend

__all__ = ["API_KEY_NAME", "SecretStore", "private_key_name"]

SERVICE = APP_ID
API_KEY_NAME = API_KEY_ENTRY
#: Below Windows' 1280-character limit, with room for backends that count bytes.
CHUNK_CHARS = 1000
#: v1 (before generations): raw chunks ``NAME#i``; v2: raw chunks ``NAME#GEN.i``; v3: base64 chunks ``NAME#GEN.i``.
_INDEX = re.compile(r"^sfcw-chunks:(?:v1:(\d+):([0-9a-f]{16})|(v[23]):(\d+):([0-9a-f]{16}):([0-9a-f]{8}))$")
_READ_ATTEMPTS = 3
#: One keyring call at a time in this process. The watch reads several connectors' keys at once, and the
#: Secret Service backend opens a D-Bus connection per call: GNOME Keyring's daemon was seen to abort under
#: concurrent clients (and a restarted daemon comes back locked). Between calls other threads may still
#: interleave, which the generations below are made for.
_ONE_CALL_AT_A_TIME = threading.Lock()
_BACKEND_ATTEMPTS = 3
_INSECURE_BACKEND_MODULES = ("keyrings.alt.file", "keyrings.alt.Windows", "keyrings.alt.pyfs")

_NO_BACKEND_HINT = (
    "On Linux, install and start a Secret Service keyring (GNOME Keyring or KWallet) and log in to "
    "a desktop session; on Windows and macOS the system keyring is used. Secrets are never saved "
    "to a plain file."
)

T = TypeVar("T")


def _errors() -> Any:
    """keyring's exception module, imported on first use: the wizard's first window does not wait for it."""
    import keyring.errors

    return keyring.errors


def _digest(value: str) -> str:
    import hashlib  # OpenSSL's library: loaded on the first secret read or written, not with the first window

    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def _disabled_hint() -> str:
    """How to switch a keyring back on that was switched off with ``keyring --disable`` or the environment."""
    if "null" in os.environ.get("PYTHON_KEYRING_BACKEND", ""):
        return "PYTHON_KEYRING_BACKEND is set to the null keyring: unset it and start the app again."
    try:
        from keyring.util import platform_

        config = os.path.join(platform_.config_root(), "keyringrc.cfg")
    except Exception:  # noqa: BLE001 - the hint still says what to look for
        config = "keyringrc.cfg"
    return (
        f"The command 'keyring --disable' switches it off by writing {config}: delete that file "
        "(or its default-keyring line) and start the app again."
    )


@dataclass(frozen=True)
class _Index:
    count: int
    digest: str
    generation: str | None  # None: a v1 index, chunks without a generation
    #: The chunks are base64 of the value's UTF-8 (v3); False: the value itself, line breaks and all (v1, v2).
    encoded: bool = True

    @classmethod
    def parse(cls, head: str | None) -> "_Index | None":
        match = _INDEX.match(head or "")
        if not match:
            return None
        if match.group(1) is not None:
            return cls(int(match.group(1)), match.group(2), None, encoded=False)
        return cls(int(match.group(4)), match.group(5), match.group(6), encoded=match.group(3) == "v3")

    @classmethod
    def of(cls, value: str) -> tuple["_Index", list[str]]:
        """A new generation's index for ``value`` and its chunks (base64: no line break in any entry)."""
        import secrets

        encoded = base64.b64encode(value.encode("utf-8")).decode("ascii")
        chunks = [encoded[i : i + CHUNK_CHARS] for i in range(0, len(encoded), CHUNK_CHARS)]
        return cls(len(chunks), _digest(value), secrets.token_hex(4)), chunks

    def text(self) -> str:
        if self.generation is None:
            return f"sfcw-chunks:v1:{self.count}:{self.digest}"
        return f"sfcw-chunks:{'v3' if self.encoded else 'v2'}:{self.count}:{self.digest}:{self.generation}"

    def value(self, parts: list[str]) -> str | None:
        """The value these chunks hold, or None when they are not what this index wrote."""
        joined = "".join(parts)
        if self.encoded:
            try:
                joined = base64.b64decode(joined.encode("ascii"), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeError):
                return None
        return joined if _digest(joined) == self.digest else None

    def chunk_names(self, name: str) -> list[str]:
        if self.generation is None:
            return [f"{name}#{i}" for i in range(self.count)]
        return [f"{name}#{self.generation}.{i}" for i in range(self.count)]


class SecretStore:
    """Get, set and delete named secrets in one keyring service, chunked to fit any backend."""

    def __init__(
        self,
        backend: keyring.backend.KeyringBackend | None = None,
        *,
        service: str = SERVICE,
        never_prompt: bool = False,
    ) -> None:
        self._backend = backend
        self.service = service
        #: An unattended run (the scheduled watch): a locked keyring is refused with a sentence instead of
        #: being unlocked, which would show the desktop's unlock prompt and wait for someone to answer it.
        self.never_prompt = never_prompt

    @property
    def backend(self) -> keyring.backend.KeyringBackend:
        if self._backend is None:
            import keyring

            backend = keyring.get_keyring()
        else:
            backend = self._backend
        module = type(backend).__module__
        if module.startswith("keyring.backends.null"):
            raise SecretStoreError(
                "The keyring is switched off on this computer: it accepts secrets and keeps none.",
                hint=_disabled_hint(),
            )
        if module.startswith("keyring.backends.fail") or (
            module.startswith("keyring.backends.chainer") and not getattr(backend, "backends", [])
        ):
            raise SecretStoreError("No system keyring is available on this computer.", hint=_NO_BACKEND_HINT)
        if module.startswith(_INSECURE_BACKEND_MODULES):
            raise SecretStoreError(
                f"The configured keyring ({type(backend).__name__}) keeps secrets in a plain file.",
                hint="Configure a system keyring instead (unset PYTHON_KEYRING_BACKEND or edit keyringrc.cfg).",
            )
        return backend

    def backend_name(self) -> str:
        """Class name of the backend in use, e.g. ``SecretService`` or ``WinVaultKeyring``."""
        try:
            backend = self.backend
        except SecretStoreError:
            return "none"
        name = type(backend).__name__
        module = type(backend).__module__.rsplit(".", 1)[-1]
        return module if name == "Keyring" else name

    def _call(self, action: str, func: Callable[..., T], *args: Any) -> T:
        """One backend call with its failure as a sentence. Every call made here is idempotent, so a
        backend's own error (not locked, not missing) is tried again briefly: Secret Service answers
        "Item does not exist" when another writer replaces an entry between its search and its use."""
        errors = _errors()
        with _ONE_CALL_AT_A_TIME:
            prompts = self.never_prompt and would_prompt(self.backend)
        if prompts:
            raise SecretStoreError(
                f"The keyring is locked, so the secret could not be {action}: an unattended run never unlocks it "
                "(that would show an unlock prompt and wait for an answer).",
                hint="Unlock the keyring (log in to the desktop, or unlock it in your keyring app); the next run "
                "reads it. On a desktop that locks the keyring with the screen, schedule runs while you are logged in.",
            )
        for attempt in range(_BACKEND_ATTEMPTS):
            try:
                with _ONE_CALL_AT_A_TIME:
                    return func(*args)
            except (errors.NoKeyringError, errors.KeyringLocked) as exc:
                raise _as_store_error(exc, action) from exc  # waiting will not unlock it: no retry, no second prompt
            except Exception as exc:  # noqa: BLE001 - backends raise their own types (pywintypes.error on Windows)
                if attempt + 1 == _BACKEND_ATTEMPTS:
                    raise _as_store_error(exc, action) from exc
                time.sleep(0.02 * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def set(self, name: str, value: str) -> None:
        """Store ``value`` under ``name``, replacing any earlier value, and read it back.

        All or nothing: on any failure the earlier value (if any) is still there.

        Raises:
            SecretStoreError: no usable keyring, it refused, or it did not keep what was written.
        """
        if not value:
            raise ValueError("refusing to store an empty secret")
        old_head = self._call("read", self.backend.get_password, self.service, name)
        self._write(name, value, old_head)

    def _write(self, name: str, value: str, old_head: str | None, *, only_over_old: bool = False) -> bool:
        """Write ``value`` in a new generation and switch the index from ``old_head`` to it.

        ``only_over_old``: switch only if the index is still ``old_head`` just before (a rewrite in
        the new form must never replace what another writer stored meanwhile); False if it was not.
        """
        backend = self.backend
        old = _Index.parse(old_head)
        new, chunks = _Index.of(value)
        written: list[str] = []
        try:
            for entry, chunk in zip(new.chunk_names(name), chunks, strict=True):
                self._call("saved", backend.set_password, self.service, entry, chunk)
                written.append(entry)
            if only_over_old and self._call("read", backend.get_password, self.service, name) != old_head:
                for entry in written:
                    self._delete_quietly(entry)
                return False
            # The switch: one write. Before it readers get the old value, after it the new one.
            self._call("saved", backend.set_password, self.service, name, new.text())
            self._read_back(name, new, value)
        except SecretStoreError:
            self._undo(name, written, new_head=new.text(), old_head=old_head)
            raise
        if old is not None:
            for entry in old.chunk_names(name):
                self._delete_quietly(entry)
        return True

    def _read_back(self, name: str, new: _Index, value: str) -> None:
        """Raise unless the keyring returns ``value`` (or a concurrent writer's newer value)."""
        head = self._call("read", self.backend.get_password, self.service, name)
        if head != new.text() and _Index.parse(head) is not None:
            return  # another writer switched after us: last writer wins, both values were kept
        if head == new.text() and self._chunks(name, new) == value:
            return
        raise SecretStoreError(
            "The keyring did not keep the secret: reading it back returned "
            + ("nothing." if head is None else "something else."),
            hint="Check the keyring application (it may be switched off or full), then try again.",
        )

    def _undo(self, name: str, written: list[str], *, new_head: str, old_head: str | None) -> None:
        """Best effort after a failed write: point the index back at the old value, drop the new chunks."""
        try:
            with _ONE_CALL_AT_A_TIME:
                head = self.backend.get_password(self.service, name)
            if head == new_head:
                if old_head is None:
                    self._delete_quietly(name)
                else:
                    with _ONE_CALL_AT_A_TIME:
                        self.backend.set_password(self.service, name, old_head)
        except Exception:  # noqa: BLE001 - the original failure is the one to report
            logging.getLogger(__name__).warning("Could not restore the keyring index of %s", name)
        for entry in written:
            self._delete_quietly(entry)

    def get(self, name: str) -> str | None:
        """The stored value, or None if there is none. Raises SecretStoreError."""
        backend = self.backend
        head = self._call("read", backend.get_password, self.service, name)
        for _attempt in range(_READ_ATTEMPTS):
            if head is None:
                return None
            index = _Index.parse(head)
            if index is None:
                unchunked = str(head)  # a value stored unchunked (by another tool, or by hand)
                if "\n" in unchunked or "\r" in unchunked:
                    self._rewrite_encoded(name, head, unchunked)
                return unchunked
            value = self._chunks(name, index)
            if value is not None:
                if not index.encoded:
                    self._rewrite_encoded(name, head, value)
                return value
            # A writer may have switched and deleted these chunks meanwhile: follow the new index.
            again = self._call("read", backend.get_password, self.service, name)
            if again == head:
                break
            head = again
        raise SecretStoreError(
            f"The keyring entry '{name}' is incomplete or damaged.",
            hint="Store it again (for a private key: import or generate it again).",
        )

    def _rewrite_encoded(self, name: str, head: str, value: str) -> None:
        """Store a value read in a raw form again, encoded (see the module's docstring); never fails the read."""
        try:
            if self._write(name, value, head, only_over_old=True):
                logging.getLogger(__name__).info("Rewrote the keyring entry %s without line breaks", name)
        except SecretStoreError as exc:
            logging.getLogger(__name__).warning("Could not rewrite the keyring entry %s: %s", name, exc)

    def _chunks(self, name: str, index: _Index) -> str | None:
        """The value the index names, or None if a chunk is missing or the digest does not match."""
        parts = []
        for entry in index.chunk_names(name):
            try:
                chunk = self._call("read", self.backend.get_password, self.service, entry)
            except SecretStoreError:
                # Secret Service raises "Item does not exist" for a chunk deleted between its search
                # and its read: a writer moved on. Any other failure (locked, refused) is reported.
                if self._call("read", self.backend.get_password, self.service, name) != index.text():
                    return None
                raise
            if chunk is None:
                return None
            parts.append(chunk)
        return index.value(parts)

    def delete(self, name: str) -> bool:
        """Remove ``name`` and its chunks; True if something was there."""
        index = _Index.parse(self._call("read", self.backend.get_password, self.service, name))
        existed = self._delete_entry(name)
        for entry in index.chunk_names(name) if index else []:
            self._delete_entry(entry)
        return existed

    def check(self) -> None:
        """Round-trip a test value that needs chunking. Raises SecretStoreError if it fails."""
        probe = "probe-" + "x" * (CHUNK_CHARS + 10)
        self.set("self-test", probe)
        try:
            if self.get("self-test") != probe:
                raise SecretStoreError("The keyring returned a different value than was stored.")
        finally:
            self.delete("self-test")

    def _delete_quietly(self, entry: str) -> None:
        try:
            self._delete_entry(entry)
        except Exception:  # noqa: BLE001 - a leftover chunk costs space, never a value
            logging.getLogger(__name__).info("A stale keyring chunk could not be removed")

    def _delete_entry(self, entry: str) -> bool:
        errors = _errors()
        try:
            with _ONE_CALL_AT_A_TIME:
                self.backend.delete_password(self.service, entry)
            return True
        except errors.PasswordDeleteError:
            return False
        except errors.KeyringError as exc:
            raise _as_store_error(exc, "deleted") from exc


def would_prompt(backend: keyring.backend.KeyringBackend) -> bool:
    """Whether using ``backend`` now would ask the user to unlock it, found out without unlocking anything.

    Only the Secret Service (GNOME Keyring, KWallet's bridge, KeePassXC) prompts from a library call: keyring
    unlocks a locked collection by showing the desktop's prompt and waiting. Its collection is asked for its
    Locked property directly; a missing collection counts too (creating one prompts for a password).
    Windows' Credential Manager never prompts; macOS's Keychain is unlocked with the login session."""
    if not type(backend).__module__.startswith("keyring.backends.SecretService"):
        return False
    try:
        import secretstorage
        from secretstorage.exceptions import SecretStorageException
    except ImportError:  # pragma: no cover - the backend itself needs it
        return False
    try:
        connection = secretstorage.dbus_init()
    except SecretStorageException:
        return False  # no bus: the backend's own call fails with its own sentence, and prompts nothing
    try:
        path = getattr(backend, "preferred_collection", None) or secretstorage.collection.DEFAULT_COLLECTION
        return bool(secretstorage.Collection(connection, path).is_locked())
    except SecretStorageException:
        return True
    finally:
        connection.close()


def _as_store_error(exc: BaseException, action: str) -> SecretStoreError:
    """A backend's failure as a sentence; backend messages describe the failure, never the value."""
    errors = _errors()
    if isinstance(exc, errors.NoKeyringError):
        return SecretStoreError("No system keyring is available on this computer.", hint=_NO_BACKEND_HINT)
    if isinstance(exc, errors.KeyringLocked):
        return SecretStoreError(
            f"The keyring is locked, so the secret could not be {action}.",
            hint="Unlock your keyring (log in to the desktop session or unlock it in your keyring app) and try again.",
        )
    if isinstance(exc, errors.InitError):
        return SecretStoreError("The keyring could not be opened.", hint=_NO_BACKEND_HINT)
    detail = str(exc.args[-1]) if exc.args else type(exc).__name__  # e.g. 'The stub received bad data.'
    return SecretStoreError(
        f"The keyring refused: the secret could not be {action} ({detail[:120]}).",
        hint="Check that the keyring is unlocked and allows this application, then try again.",
    )
