"""The one place secrets live: the operating system's keyring.

Windows Credential Manager holds at most 1280 characters per entry and a private key is
longer, so every value is split into chunks under one index entry (the design of
trino-python-client's keyring cache). A digest in the index detects a half-written set.
There is never a plaintext fallback: no backend, a locked or a refusing keyring is an error.
"""

from __future__ import annotations

import hashlib
import re

import keyring
import keyring.backend
import keyring.errors

from core import APP_ID
from core.defaults import API_KEY_ENTRY, private_key_name
from core.errors import SecretStoreError

__all__ = ["API_KEY_NAME", "SecretStore", "private_key_name"]

SERVICE = APP_ID
API_KEY_NAME = API_KEY_ENTRY
#: Below Windows' 1280-character limit, with room for backends that count bytes.
CHUNK_CHARS = 1000
_INDEX = re.compile(r"^sfcw-chunks:v1:(\d+):([0-9a-f]{16})$")
_INSECURE_BACKEND_MODULES = ("keyrings.alt.file", "keyrings.alt.Windows", "keyrings.alt.pyfs")

_NO_BACKEND_HINT = (
    "On Linux, install and start a Secret Service keyring (GNOME Keyring or KWallet) and log in to "
    "a desktop session; on Windows and macOS the system keyring is used. Secrets are never saved "
    "to a plain file."
)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


class SecretStore:
    """Get, set and delete named secrets in one keyring service, chunked to fit any backend."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None, *, service: str = SERVICE) -> None:
        self._backend = backend
        self.service = service

    @property
    def backend(self) -> keyring.backend.KeyringBackend:
        backend = self._backend or keyring.get_keyring()
        module = type(backend).__module__
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

    def _call(self, action: str, func, *args):  # type: ignore[no-untyped-def]
        try:
            return func(*args)
        except keyring.errors.NoKeyringError as exc:
            raise SecretStoreError("No system keyring is available on this computer.", hint=_NO_BACKEND_HINT) from exc
        except keyring.errors.KeyringLocked as exc:
            raise SecretStoreError(
                f"The keyring is locked, so the secret could not be {action}.",
                hint="Unlock your keyring (log in to the desktop session or unlock it in your keyring app) and try again.",
            ) from exc
        except keyring.errors.InitError as exc:
            raise SecretStoreError("The keyring could not be opened.", hint=_NO_BACKEND_HINT) from exc
        except Exception as exc:  # noqa: BLE001 - backends raise their own types (pywintypes.error on Windows)
            # Backend messages describe the failure, never the value (e.g. 'The stub received bad data.').
            detail = str(exc.args[-1]) if exc.args else type(exc).__name__
            raise SecretStoreError(
                f"The keyring refused: the secret could not be {action} ({detail[:120]}).",
                hint="Check that the keyring is unlocked and allows this application, then try again.",
            ) from exc

    def set(self, name: str, value: str) -> None:
        """Store ``value`` under ``name``, replacing any earlier value. Raises SecretStoreError."""
        if not value:
            raise ValueError("refusing to store an empty secret")
        backend = self.backend
        old_count = self._chunk_count(name)
        chunks = [value[i : i + CHUNK_CHARS] for i in range(0, len(value), CHUNK_CHARS)]
        for index, chunk in enumerate(chunks):
            self._call("saved", backend.set_password, self.service, f"{name}#{index}", chunk)
        # The index goes last: a reader never sees a new index with old chunks.
        self._call("saved", backend.set_password, self.service, name, f"sfcw-chunks:v1:{len(chunks)}:{_digest(value)}")
        for index in range(len(chunks), old_count):
            self._delete_entry(f"{name}#{index}")

    def get(self, name: str) -> str | None:
        """The stored value, or None if there is none. Raises SecretStoreError."""
        backend = self.backend
        head = self._call("read", backend.get_password, self.service, name)
        if head is None:
            return None
        match = _INDEX.match(head)
        if not match:
            return str(head)  # a value stored by another tool, unchunked
        parts = []
        for index in range(int(match.group(1))):
            chunk = self._call("read", backend.get_password, self.service, f"{name}#{index}")
            if chunk is None:
                break
            parts.append(chunk)
        value = "".join(parts)
        if _digest(value) != match.group(2):
            raise SecretStoreError(
                f"The keyring entry '{name}' is incomplete or damaged.",
                hint="Store it again (for a private key: import or generate it again).",
            )
        return value

    def delete(self, name: str) -> bool:
        """Remove ``name`` and its chunks; True if something was there."""
        count = self._chunk_count(name)
        existed = self._delete_entry(name)
        for index in range(count):
            self._delete_entry(f"{name}#{index}")
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

    def _chunk_count(self, name: str) -> int:
        head = self._call("read", self.backend.get_password, self.service, name)
        match = _INDEX.match(head or "")
        return int(match.group(1)) if match else 0

    def _delete_entry(self, entry: str) -> bool:
        try:
            self.backend.delete_password(self.service, entry)
            return True
        except keyring.errors.PasswordDeleteError:
            return False
        except keyring.errors.KeyringError as exc:
            self._call("deleted", _raise, exc)
            return False


def _raise(exc: Exception) -> None:
    raise exc
