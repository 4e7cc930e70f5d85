"""What the pages share beyond Qt's fields: key material, results, the secret store, settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from core.defaults import CONNECTOR_LOGIN_URL, HTTP_TIMEOUT
from core.errors import SecretStoreError

if TYPE_CHECKING:  # the first window must not wait for cryptography, requests and keyring
    from core.keys import KeyBundle
    from core.salesforce.login import LoginResult
    from core.secret_store import SecretStore
    from core.settings import Settings
    from core.unstructured.client import ConnectionCheck, SourceConnector


@dataclass
class WizardContext:
    store: SecretStore
    settings: Settings
    settings_path: Path | None = None
    bundle: KeyBundle | None = None
    key_name: str = ""
    cert_path: Path | None = None
    #: Set when the admin chose to go on without a keyring: secrets live only in memory.
    session_only: bool = False
    session_secrets: dict[str, str] = field(default_factory=dict)
    login: LoginResult | None = None
    #: The host the Verify step logs in to: the connector's, unless the admin diagnoses another one.
    login_url: str = CONNECTOR_LOGIN_URL
    #: The categories chosen on the Unstructured page (pages share data here, never by calling each other).
    categories: list[str] = field(default_factory=list)
    connector: SourceConnector | None = None
    check: ConnectionCheck | None = None
    #: The key an earlier session made that could not be read back (gone from the keyring): said on Welcome and Key.
    lost_key: str = ""
    #: (connect, read) seconds for every HTTP call the pages make.
    http_timeout: tuple[float, float] = HTTP_TIMEOUT
    #: Seconds to wait for a connection check's verdict, and between polls.
    check_timeout: float = 120.0
    check_poll_interval: float = 2.0
    #: The admin's sign-in: the loopback port of its redirect (the Salesforce CLI client's 1717).
    sign_in_port: int = 1717
    #: Polling the connector's login after the app was created: interval and limit in seconds.
    login_poll_interval: float = 25.0
    login_wait: float = 15 * 60.0

    def save_secret(self, name: str, value: str) -> None:
        """Keep a secret in the keyring, or in memory only if the admin accepted that.

        Raises SecretStoreError when the keyring fails and the admin has not chosen session-only.
        """
        if self.session_only:
            self.session_secrets[name] = value
            return
        self.store.set(name, value)

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
        try:
            self.settings.save(self.settings_path)
        except Exception:  # noqa: BLE001 - preferences are a convenience; never block the admin on them
            import logging

            logging.getLogger(__name__).warning("Could not save the settings", exc_info=True)
