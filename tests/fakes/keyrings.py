"""Keyring backends for unit tests: in memory, and one with Windows Credential Manager's size limit."""

from __future__ import annotations

import keyring.backend
import keyring.errors
from jaraco.classes import properties

WINDOWS_LIMIT_CHARS = 1280


class MemoryKeyring(keyring.backend.KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:
        # Not viable for discovery: keyring must never pick a test backend on its own
        # (it would join the chain that the real-keyring test relies on).
        raise RuntimeError("test backend; install it explicitly with keyring.set_keyring()")

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring's KeyringBackend.__init__ is unannotated
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


class CredWriteError(Exception):
    """Shaped like pywintypes.error, which Windows' backend raises (not a KeyringError)."""


class WindowsSizedKeyring(MemoryKeyring):
    """Refuses values over 1280 characters exactly as Windows Credential Manager does."""

    def set_password(self, service: str, username: str, password: str) -> None:
        if len(password) > WINDOWS_LIMIT_CHARS:
            raise CredWriteError(1783, "CredWrite", "The stub received bad data.")
        super().set_password(service, username, password)


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")
