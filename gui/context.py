"""What the pages share beyond Qt's fields: key material, results, the secret store, settings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from core.defaults import SIGN_IN_PORT, TIMINGS, Timings
from core.errors import AppError, SecretStoreError
from gui.draft import WizardDraft

if TYPE_CHECKING:  # the first window must not wait for cryptography, requests and keyring
    from core.crypto.keypair import KeyBundle
    from core.salesforce.login import LoginResult
    from core.storage.secret_store import SecretStore
    from core.storage.settings import Settings
    from core.unstructured.client import ConnectionCheck, SourceConnector
    from core.usecases.reading import ReadingSurvey


T = TypeVar("T")


class _OnFirstUse(Generic[T]):
    """A field made by ``make(context)`` where it is first read, unless one was given (or set) before.

    The first window waits for neither the settings file (platformdirs, json, the records) nor the
    keyring's library: the app leaves both out, and Welcome reads them once the window is up.
    """

    def __init__(self, make: Callable[[WizardContext], T]) -> None:
        self._make = make
        self._slot = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = f"_{name}"

    @overload
    def __get__(self, context: None, owner: Any) -> None: ...
    @overload
    def __get__(self, context: WizardContext, owner: Any) -> T: ...
    def __get__(self, context: WizardContext | None, owner: Any) -> T | None:
        if context is None:
            return None  # the dataclass's default: nothing given, made on first use
        value: T | None = context.__dict__.get(self._slot)
        if value is None:
            value = context.__dict__[self._slot] = self._make(context)
        return value

    def __set__(self, context: WizardContext, value: T | None) -> None:
        context.__dict__[self._slot] = value


def _open_store(context: WizardContext) -> SecretStore:
    from core.storage.secret_store import SecretStore

    return SecretStore()


def _load_settings(context: WizardContext) -> Settings:
    from core.storage.settings import Settings

    return Settings.load(context.settings_path)


@dataclass
class WizardContext:
    #: The system keyring (made on first use when not given).
    store: _OnFirstUse[SecretStore] = _OnFirstUse(_open_store)
    #: This computer's records (loaded from ``settings_path`` on first use when not given).
    settings: _OnFirstUse[Settings] = _OnFirstUse(_load_settings)
    settings_path: Path | None = None
    bundle: KeyBundle | None = None
    key_name: str = ""
    cert_path: Path | None = None
    #: Set when the admin chose to go on without a keyring: secrets live only in memory.
    session_only: bool = False
    session_secrets: dict[str, str] = field(default_factory=dict)
    login: LoginResult | None = None
    #: What the connector's user can read, per category, and the org's API allowance (the Unstructured step).
    reading: ReadingSurvey | None = None
    #: What the admin entered on the pages (pages share data here, never by calling each other).
    draft: WizardDraft = field(default_factory=WizardDraft)
    connector: SourceConnector | None = None
    check: ConnectionCheck | None = None
    #: The key an earlier session made that could not be read back (gone from the keyring): said on Welcome and Key.
    lost_key: str = ""
    #: How long every call may take and how often the pages poll (tests and the demo pass faster ones).
    timings: Timings = TIMINGS
    #: The admin's sign-in: the loopback port of its redirect (the Salesforce CLI client's 1717).
    sign_in_port: int = SIGN_IN_PORT
    #: Told, in a sentence, when the settings could not be saved (each window shows it over itself).
    save_failed: Callable[[str], None] | None = None
    #: Why the last save failed ('' once a save has worked): closing the wizard says what would be lost.
    unsaved: str = ""

    def settings_loaded(self) -> bool:
        """Whether the settings have been read (or given): before, nothing can have changed them."""
        return self.__dict__.get("_settings") is not None

    def save_secret(self, name: str, value: str) -> None:
        """Keep a secret in the keyring, or in memory only if the admin accepted that.

        Raises SecretStoreError when the keyring fails and the admin has not chosen session-only.
        """
        if self.session_only:
            self.session_secrets[name] = value
            return
        self.store.set(name, value)

    @property
    def secrets(self) -> ContextSecrets:
        """The keyring as use cases take it (``get``/``set``/``delete``), kept in memory when session-only."""
        return ContextSecrets(self)

    def keyring_works(self) -> bool:
        """Whether a usable keyring backend is configured (no call to it is made)."""
        try:
            _ = self.store.backend
        except SecretStoreError:
            return False
        return True

    def read_secret(self, name: str) -> str | None:
        if name in self.session_secrets:
            return self.session_secrets[name]
        if self.session_only:
            return None
        try:
            return self.store.get(name)
        except SecretStoreError:
            return None

    def save_settings(self) -> None:
        """Save the settings; a failure never stops the admin, but is said (``save_failed``), not only logged.

        What was not saved stays in memory and goes with the next save that works (a save writes
        everything this copy changed since the last one that did).
        """
        try:
            self.settings.save(self.settings_path)
        except Exception as exc:  # noqa: BLE001 - the records are this computer's memo: never block the admin on them
            logging.getLogger(__name__).warning("Could not save the settings", exc_info=True)
            self.unsaved = exc.message if isinstance(exc, AppError) else "an unexpected error (see the log)"
            if self.save_failed is not None:
                self.save_failed(self.unsaved)
        else:
            self.unsaved = ""


class ContextSecrets:
    """:class:`core.usecases.keys.Secrets` over the context: the keyring, or memory when session-only."""

    def __init__(self, context: WizardContext) -> None:
        self._context = context

    def get(self, name: str) -> str | None:
        return self._context.read_secret(name)

    def set(self, name: str, value: str) -> None:
        self._context.save_secret(name, value)

    def delete(self, name: str) -> None:
        if self._context.session_secrets.pop(name, None) is None and not self._context.session_only:
            self._context.store.delete(name)
