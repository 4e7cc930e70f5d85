"""Non-secret preferences and the record of keys and connectors made on this machine.

Stored as JSON in the platform's config folder (``SFCW_HOME`` overrides it, for portable use
and tests). A secret never goes here: :meth:`Settings.save` refuses anything that looks like one.

No release may lose what an earlier or a later one saved:
- the file carries a ``schema`` number; older files are migrated step by step (``MIGRATIONS``),
  after a copy of the file is kept beside it;
- fields and records this version does not know (a newer version wrote them) are kept and
  written back unchanged;
- a record that cannot be read costs that record only: it is logged, left out of the lists the
  app uses, and written back as it was;
- a file that is not JSON at all is moved aside to a dated copy, and :attr:`Settings.notice`
  says so once, so the next save cannot silently replace it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from core import APP_ID
from core.errors import AppError

HOME_ENV = "SFCW_HOME"
SETTINGS_FILE = "settings.json"
#: The schema this version writes. 1: files before the number existed.
SCHEMA = 2

log = logging.getLogger(__name__)


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    # v2 introduced the schema number itself and the preservation rules; the fields are unchanged.
    return data


#: ``MIGRATIONS[n]`` turns a schema-n file into a schema n+1 one.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


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
    #: Fields a newer version wrote, kept as they were.
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


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
    #: Fields a newer version wrote, kept as they were.
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass
class SalesforceAppRecord:
    """An External Client App this app created in an org (for Manage, rotation and removal)."""

    app_name: str
    consumer_key: str
    instance_url: str
    org_id: str = ""
    username: str = ""
    permission_set: str = ""
    created_permission_set: bool = False
    created_at: str = ""
    #: The admin chose to keep the sign-in (a refresh token in the keyring) for later rotations.
    sign_in_kept: bool = False
    login_url: str = ""
    #: Fields a newer version wrote, kept as they were.
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


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
    salesforce_apps: list[SalesforceAppRecord] = field(default_factory=list)
    #: What this version could not use, kept to be written back unchanged (see the module's docstring).
    preserved: "_Preserved" = field(default_factory=lambda: _Preserved(), compare=False, repr=False)
    #: Something the admin should hear once about this file (e.g. it was damaged and set aside).
    notice: str = field(default="", compare=False)

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

    def remember_salesforce_app(self, record: SalesforceAppRecord) -> None:
        self.salesforce_apps = [a for a in self.salesforce_apps if a.consumer_key != record.consumer_key]
        self.salesforce_apps.append(record)

    def salesforce_app(self, consumer_key: str) -> SalesforceAppRecord | None:
        return next((a for a in self.salesforce_apps if a.consumer_key == consumer_key), None)

    # --- persistence -----------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | None = None) -> "Settings":
        """Read the settings; a missing file gives defaults. Never raises for the file's content.

        A file that is not JSON is moved aside (``settings.json.damaged-YYYYmmdd-HHMMSS``) and
        :attr:`notice` says where; an older schema is migrated after a copy is kept beside it.
        """
        path = path or config_dir() / SETTINGS_FILE
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            log.warning("The settings file %s could not be read: %s", path, exc)
            return cls(notice=f"The settings file {path} could not be read; defaults are used this time.")
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except (ValueError, RecursionError):
            aside = _set_aside(path, "damaged")
            return cls(
                notice=f"The settings file was damaged and has been kept as {aside}; the app starts with "
                "fresh settings (your keys and connectors in Salesforce and Unstructured are not affected)."
            )
        return cls._from_data(data, path)

    @classmethod
    def _from_data(cls, data: dict[str, Any], path: Path) -> "Settings":
        schema = data.get("schema", 1)
        if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
            schema = 1
        if schema < SCHEMA:
            _set_aside(path, f"schema{schema}", move=False)
            for step in range(schema, SCHEMA):
                data = MIGRATIONS[step](data)
        preserved = _Preserved(schema=max(schema, SCHEMA))
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name in ("keys", "connectors", "salesforce_apps", "preserved", "notice") or f.name not in data:
                continue
            value = data[f.name]
            expected = dict if f.name == "wizard" else str
            if isinstance(value, expected):
                values[f.name] = value
            else:
                log.warning("Settings field %s has an unexpected type; it is kept but not used", f.name)
                preserved.fields[f.name] = value
        known = {f.name for f in dataclasses.fields(cls)} | {"schema"}
        preserved.fields.update({k: v for k, v in data.items() if k not in known})
        keys, preserved.keys = _records(KeyRecord, data.get("keys"), "key")
        connectors, preserved.connectors = _records(ConnectorRecord, data.get("connectors"), "connector")
        apps, preserved.salesforce_apps = _records(SalesforceAppRecord, data.get("salesforce_apps"), "Salesforce app")
        return cls(**values, keys=keys, connectors=connectors, salesforce_apps=apps, preserved=preserved)

    def to_data(self) -> dict[str, Any]:
        """The file's content: this version's fields and records, plus everything preserved."""
        data: dict[str, Any] = dict(self.preserved.fields)
        for f in dataclasses.fields(self):
            if f.name in ("keys", "connectors", "salesforce_apps", "preserved", "notice"):
                continue
            if f.name in self.preserved.fields and getattr(self, f.name) == f.default:
                continue  # a value this version could not read, and the admin has not replaced it
            data[f.name] = getattr(self, f.name)
        data["keys"] = [_record_data(r) for r in self.keys] + self.preserved.keys
        data["connectors"] = [_record_data(r) for r in self.connectors] + self.preserved.connectors
        data["salesforce_apps"] = [_record_data(r) for r in self.salesforce_apps] + self.preserved.salesforce_apps
        data["schema"] = self.preserved.schema
        return data

    def save(self, path: Path | None = None) -> Path:
        """Write atomically. Raises AppError if a value looks like a secret (a defect) or on I/O failure."""
        path = path or config_dir() / SETTINGS_FILE
        text = json.dumps(self.to_data(), indent=2, sort_keys=True)
        if "PRIVATE KEY" in text or "unstructured-api-key:" in text:
            raise AppError("Refusing to save settings that contain a secret (this is a defect; please report it).")
        from core.keyfiles import write_file_atomic  # tempfile, secrets: loaded on the first save

        return write_file_atomic(path, text.encode("utf-8"), mode=0o600, overwrite=True)


@dataclass
class _Preserved:
    """What a file held that this version does not use, to be written back as it was."""

    schema: int = SCHEMA
    fields: dict[str, Any] = field(default_factory=dict)
    keys: list[Any] = field(default_factory=list)
    connectors: list[Any] = field(default_factory=list)
    salesforce_apps: list[Any] = field(default_factory=list)


def _set_aside(path: Path, why: str, *, move: bool = True) -> Path:
    """Keep a copy of ``path`` as ``NAME.WHY-YYYYmmdd-HHMMSS`` (moved, or copied with ``move=False``)."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.{why}-{stamp}")
    try:
        if move:
            os.replace(path, aside)
        elif not aside.exists():
            shutil.copy2(path, aside)
            os.chmod(aside, 0o600)
    except OSError as exc:
        log.warning("Could not keep a copy of %s: %s", path, exc)
    else:
        log.warning("Kept a copy of the settings file as %s (%s)", aside, why)
    return aside


def _records(kind: type, items: Any, what: str) -> tuple[list[Any], list[Any]]:
    """(records this version can use, raw items it cannot): one bad record never costs the others."""
    usable: list[Any] = []
    kept: list[Any] = []
    for item in items if isinstance(items, list) else []:
        try:
            usable.append(_record(kind, item))
        except (TypeError, ValueError) as exc:
            log.warning("A %s record in the settings cannot be read and is kept as it is: %s", what, exc)
            kept.append(item)
    return usable, kept


def _record_data(record: Any) -> dict[str, Any]:
    data = dict(getattr(record, "extra", {}))
    data.update({k: v for k, v in dataclasses.asdict(record).items() if k != "extra"})
    return data


def _record(kind: type, data: Any) -> Any:
    """A record from its JSON object; fields of a newer version go to ``extra``. Raises TypeError/ValueError."""
    if not isinstance(data, dict):
        raise TypeError("not an object")
    fields = {f.name: f for f in dataclasses.fields(kind) if f.name != "extra"}
    values = {k: v for k, v in data.items() if k in fields}
    for name, value in values.items():
        expected = bool if fields[name].type in (bool, "bool") else str
        if not isinstance(value, expected):
            raise TypeError(f"{name} is not a {expected.__name__}")
    record = kind(**values)  # a missing required field raises TypeError
    record.extra = {k: v for k, v in data.items() if k not in fields}
    return record
