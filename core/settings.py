"""Non-secret preferences and the record of keys and connectors made on this machine.

Stored as JSON in the platform's config folder (``SFCW_HOME`` overrides it, for portable use
and tests). A secret never goes here: :meth:`Settings.save` refuses anything that looks like one.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from core import APP_ID
from core.errors import AppError
from core.keyfiles import write_file_atomic

HOME_ENV = "SFCW_HOME"
SETTINGS_FILE = "settings.json"


def config_dir() -> Path:
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override) / "config"
    return Path(platformdirs.user_config_dir(APP_ID, appauthor=False))


def log_dir() -> Path:
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override) / "logs"
    return Path(platformdirs.user_log_dir(APP_ID, appauthor=False))


def default_output_dir() -> Path:
    return Path(platformdirs.user_documents_dir()) / "Salesforce connector keys"


@dataclass
class KeyRecord:
    """A key pair made or imported here: how to find it and when its certificate expires."""

    name: str
    public_key_id: str
    fingerprint_sha256: str = ""
    not_after: str = ""  # ISO 8601 UTC
    certificate_path: str = ""
    in_keyring: bool = False


@dataclass
class ConnectorRecord:
    """A connector created or rotated from this machine."""

    id: str
    name: str
    api_url: str
    public_key_id: str = ""
    fingerprint_sha256: str = ""
    not_after: str = ""
    updated_at: str = ""


@dataclass
class Settings:
    api_url: str = ""
    username: str = ""
    consumer_key: str = ""
    output_dir: str = ""
    app_kind: str = ""  # "external" or "connected"
    login_url: str = ""
    wizard: dict[str, Any] = field(default_factory=dict)  # resumable non-secret wizard answers
    keys: list[KeyRecord] = field(default_factory=list)
    connectors: list[ConnectorRecord] = field(default_factory=list)

    # --- records ---------------------------------------------------------------------------

    def remember_key(self, record: KeyRecord) -> None:
        self.keys = [k for k in self.keys if k.public_key_id != record.public_key_id and k.name != record.name]
        self.keys.append(record)

    def key_by_public_id(self, public_key_id: str) -> KeyRecord | None:
        return next((k for k in self.keys if k.public_key_id == public_key_id), None)

    def remember_connector(self, record: ConnectorRecord) -> None:
        self.connectors = [c for c in self.connectors if c.id != record.id]
        self.connectors.append(record)

    def connector(self, connector_id: str) -> ConnectorRecord | None:
        return next((c for c in self.connectors if c.id == connector_id), None)

    def forget_connector(self, connector_id: str) -> None:
        self.connectors = [c for c in self.connectors if c.id != connector_id]

    # --- persistence -----------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | None = None) -> "Settings":
        """Read the settings; a missing or unreadable file gives defaults (the file is kept)."""
        path = path or config_dir() / SETTINGS_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        try:
            values["keys"] = [_record(KeyRecord, k) for k in values.get("keys", [])]
            values["connectors"] = [_record(ConnectorRecord, c) for c in values.get("connectors", [])]
            return cls(**values)
        except (TypeError, ValueError):
            return cls()

    def save(self, path: Path | None = None) -> Path:
        """Write atomically. Raises AppError if a value looks like a secret (a defect) or on I/O failure."""
        path = path or config_dir() / SETTINGS_FILE
        text = json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)
        if "PRIVATE KEY" in text or "unstructured-api-key:" in text:
            raise AppError("Refusing to save settings that contain a secret (this is a defect; please report it).")
        return write_file_atomic(path, text.encode("utf-8"), mode=0o600, overwrite=True)


def _record(kind: type, data: Any) -> Any:
    known = {f.name for f in dataclasses.fields(kind)}
    return kind(**{k: v for k, v in dict(data).items() if k in known})
