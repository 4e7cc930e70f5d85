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
- a file whose content is damaged (not UTF-8, not JSON) is moved aside to a dated copy, and
  :attr:`Settings.notice` says so once, so the next save cannot silently replace it; one that
  cannot even be moved aside is never written over: every save refuses, saying why, until it can
  be read;
- a file the system refuses to read (EIO, EACCES; on Windows another program's handle: an
  antivirus, a backup or sync tool, another run of this app replacing it) says nothing about its
  content: it is never moved aside, and every save refuses until it can be read again. Only what
  is still wrong once the lock below is held counts: a run of this app replacing the file, or
  setting a damaged one aside, is over by then.

Several processes share the file (the wizard and the CLI may run at once, and so may two CLI
runs): :meth:`Settings.save` holds a lock file beside it, reads what is on disk now and merges,
so a save never writes back a stale copy over what another process recorded meanwhile. Only what
this process changed since it loaded (or last saved) wins; records merge one by one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from core import APP_ID
from core.errors import AppError
from core.kinds import AppType, RunKind, RunStep
from core.storage.fileshare import read_bytes_shared, sharing_retry
from core.urls import SafeUrl

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


def recorded_host(login_url: str, app_name: str) -> SafeUrl | None:
    """A login host read from the settings file, checked as it is read; None when none is recorded.

    Raises:
        InvalidInputError: the file holds an address that breaks the rules (edited by hand).
    """
    return SafeUrl(login_url, what=f"login URL recorded for {app_name}") if login_url else None


@dataclass
class SalesforceAppRecord:
    """An app (External Client App or Connected App) this app created in an org (for Manage, rotation and removal)."""

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
    #: An External Client App or a Connected App.
    app_type: AppType = AppType.ECA
    #: What a Connected App's certificate replacement deploys again (it is one component): its IP
    #: relaxation ("enforce" or "relax") and contact e-mail as created. Empty for an app made elsewhere.
    ip_relaxation: str = ""
    contact_email: str = ""
    #: Recorded before the wait for the connector's first login, which has not succeeded yet: a set-up run
    #: again finishes that wait instead of refusing its own app.
    login_pending: bool = False
    #: Fields a newer version wrote, kept as they were.
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.app_type = AppType(self.app_type)  # a kind this version does not know: the record is kept as it was

    def login_host(self) -> SafeUrl | None:
        """``login_url`` as a checked address (see :func:`recorded_host`)."""
        return recorded_host(self.login_url, self.app_name)


@dataclass
class JournalEntry:
    """A change to an org that a run of this app has started and not finished (the journal of intent).

    Written, with the file saved, *before* each change the run makes in the org, and removed in
    the same save that records the finished result. An entry still here on the next start is a
    run that was killed or failed half-way: it says what exists in the org because of it.
    """

    id: str
    #: Creating an app, or replacing its certificate and the connector's key.
    kind: RunKind
    #: The step the run was about to make, or made last: see core.steps.journal.STEP_WORDS.
    step: RunStep
    started_at: str
    instance_url: str = ""
    org_id: str = ""
    app_name: str = ""
    #: Which kind of app ``app_name`` is.
    app_type: AppType = AppType.ECA
    consumer_key: str = ""
    username: str = ""
    login_url: str = ""
    permission_set: str = ""
    #: Ids of what this run created (empty: not created, or not by this run).
    permission_set_id: str = ""
    assignment_id: str = ""
    #: Rotation: the connector, the new key (keyring:NAME or a file), its certificate, the old one.
    connector_id: str = ""
    new_key: str = ""
    new_certificate_sha256: str = ""
    old_certificate_path: str = ""
    #: The process that wrote it (a live run is not "unfinished"), and when that process started: after a
    #: reboot, or once the number is reused, another process with the same pid is not the run.
    pid: str = ""
    pid_started: str = ""
    #: Fields a newer version wrote, kept as they were.
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Typed once, here: a kind or step this version does not know raises ValueError, and the settings keep
        # the whole entry as it was (written back unchanged) rather than guess what the run did.
        self.kind, self.step, self.app_type = RunKind(self.kind), RunStep(self.step), AppType(self.app_type)

    def login_host(self) -> SafeUrl | None:
        """``login_url`` as a checked address (see :func:`recorded_host`)."""
        return recorded_host(self.login_url, self.app_name)


@dataclass
class ResumeState:
    """Where the create flow was and the non-secret answers Resume restores (the file's ``wizard`` object).

    Read once, typed: a value of the wrong type, or a key of a newer version, goes to ``extra`` and is written
    back as it was (never a guess, never lost)."""

    #: The step (a gui.page_ids.PageId value) the admin was on.
    page: int | None = None
    key_name: str = ""
    connector_name: str = ""
    #: The categories chosen on the Unstructured step; None: not chosen yet (an empty list is a choice).
    categories: list[str] | None = None
    #: How the Salesforce app is set up: "auto" (the wizard creates it) or "manual" (the checklist).
    app_setup: str = ""
    #: The checklist's ticks per kind of app, and the certificate (SHA-256) they were ticked for.
    ticks: dict[str, list[bool]] = field(default_factory=dict)
    ticks_for: str = ""
    #: The app the automated set-up made, before the connector's login was proved, and the certificate it trusts.
    app_consumer_key: str = ""
    app_certificate: str = ""
    #: The proof that Salesforce accepts the connector's login (a LoginResult's fields and the consumer key).
    proved_login: dict[str, Any] | None = None
    #: The connector the flow made (id and name): the flow is finished.
    created: dict[str, str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ResumeState:
        kinds = {"page": int, "categories": list, "ticks": dict, "proved_login": dict, "created": dict}
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        for key, value in data.items():
            expected = kinds.get(key, str)
            fits = isinstance(value, expected) and not isinstance(value, bool)
            if key == "categories" and fits:
                fits = all(isinstance(c, str) for c in value)
            if key == "ticks" and fits:
                fits = all(isinstance(t, list) and all(isinstance(b, bool) for b in t) for t in value.values())
            if key in names and fits:
                values[key] = value
            elif value is not None:
                extra[key] = value
        return cls(**values, extra=extra)

    def to_data(self) -> dict[str, Any]:
        data = dict(self.extra)
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name != "extra" and value not in (None, "", {}) and not (f.name != "categories" and value == []):
                data[f.name] = value
        return data

    def any_ticked(self) -> bool:
        return any(any(ticks) for ticks in self.ticks.values())


#: The record lists, and what identifies a record in each (a save merges them record by record).
RECORD_KEYS = {"keys": "name", "connectors": "id", "salesforce_apps": "consumer_key", "journal": "id"}
#: How long a save waits for another process's save to finish.
LOCK_TIMEOUT = 15.0


@dataclass
class Settings:
    api_url: str = ""
    username: str = ""
    consumer_key: str = ""
    output_dir: str = ""
    app_kind: str = ""  # "external" or "connected"
    login_url: str = ""
    wizard: ResumeState = field(default_factory=ResumeState)  # what Resume restores (no secret)
    keys: list[KeyRecord] = field(default_factory=list)
    connectors: list[ConnectorRecord] = field(default_factory=list)
    salesforce_apps: list[SalesforceAppRecord] = field(default_factory=list)
    #: Changes to orgs that runs started and have not finished (see JournalEntry).
    journal: list[JournalEntry] = field(default_factory=list)
    #: What this version could not use, kept to be written back unchanged (see the module's docstring).
    preserved: "_Preserved" = field(default_factory=lambda: _Preserved(), compare=False, repr=False)
    #: Something the admin should hear once about this file (e.g. it was damaged and set aside).
    notice: str = field(default="", compare=False)
    #: The file's content when this object was loaded or last saved: what a save merges against.
    base: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: Why the file on disk must not be written over, and what the admin can do; None when it may be.
    unsaveable: Guard | None = field(default=None, compare=False, repr=False)

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
        :attr:`notice` says where; an older schema is migrated after a copy is kept beside it. A
        file the system will not let us read is left where it is, and no save writes over it.
        """
        path = path or config_dir() / SETTINGS_FILE
        try:
            return cls._from_file(path, patient=False)
        except _Unreadable:
            pass  # decided under the lock: another run may be replacing it, or setting it aside, right now
        try:
            with settings_lock(path):
                return cls._load_holding_lock(path)
        except AppError as exc:  # the lock itself: held too long by another run, or it cannot be made
            return cls._guarded(exc.message.rstrip("."), "Wait for the other run to finish")

    @classmethod
    def _from_file(cls, path: Path, *, patient: bool) -> Settings:
        """The file's settings, defaults when it is missing. Raises _Damaged or _Refused.

        ``patient``: a refusal is ridden out (Windows's sharing rules) and logged. Without the lock a refusal is
        left to the read that holds it, which waits for a run of this app replacing the file anyway (both
        riding it out made a file another program holds cost twice the wait before the app said so)."""
        try:
            data = _read(path, patient=patient)
        except FileNotFoundError:
            return cls.defaults()
        return cls._from_data(data, path)

    @classmethod
    def _load_holding_lock(cls, path: Path) -> Settings:
        """:meth:`load`'s answer once no other run of this app can be writing the file."""
        try:
            return cls._from_file(path, patient=True)
        except _Damaged as exc:
            return cls._damaged(path, exc.why)
        except _Refused as exc:
            if path.is_dir():  # not a file this app wrote: never moved, never replaced
                return cls._guarded(f"In place of the settings file {path} there is a folder", "Move that folder away")
            return cls._guarded(
                f"The settings file {path} cannot be read ({exc.why})",
                "If another program holds it open (an antivirus, a backup or a sync tool), wait for it; otherwise "
                "fix the file's permissions or the disk",
            )

    @classmethod
    def _guarded(cls, reason: str, remedy: str = "Fix the file's permissions or the disk, or move it away") -> Settings:
        """Fresh settings that say ``reason`` once; every save refuses while the file on disk stays so."""
        fresh = cls.defaults(
            notice=f"{reason}. The app starts with fresh settings and will not save over that file; {_UNAFFECTED}. "
            f"{remedy}, then start the app again."
        )
        fresh.unsaveable = Guard(reason, remedy)
        return fresh

    @classmethod
    def _damaged(cls, path: Path, why: str) -> Settings:
        """Defaults, with the damaged file moved aside; or, where it cannot be moved, a guard."""
        try:
            aside = _set_aside(path, "damaged")
        except FileNotFoundError:  # moved or removed by another program meanwhile (runs of this app hold the lock)
            return cls.defaults(
                notice=f"The settings file could not be read ({why}) and is no longer at {path}; the app starts "
                f"with fresh settings ({_UNAFFECTED})."
            )
        except OSError as exc:
            return cls._guarded(
                f"The settings file {path} cannot be read ({why}) and could not be moved aside ({_os_words(exc)})"
            )
        return cls.defaults(
            notice=f"The settings file could not be read ({why}) and has been kept as {aside}; the app starts "
            f"with fresh settings ({_UNAFFECTED})."
        )

    @classmethod
    def defaults(cls, notice: str = "") -> Settings:
        """Settings as a missing file gives them; a save merges only what is changed from these."""
        fresh = cls(notice=notice)
        fresh.base = fresh.snapshot()
        return fresh

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
            if f.name in _NOT_FIELDS or f.name not in data:
                continue
            value = data[f.name]
            expected = dict if f.name == "wizard" else str
            if isinstance(value, expected):
                values[f.name] = ResumeState.from_data(value) if isinstance(value, dict) else value
            else:
                log.warning("Settings field %s has an unexpected type; it is kept but not used", f.name)
                preserved.fields[f.name] = value
        known = {f.name for f in dataclasses.fields(cls)} | {"schema"}
        preserved.fields.update({k: v for k, v in data.items() if k not in known})
        keys, preserved.keys = _records(KeyRecord, data.get("keys"), "key")
        connectors, preserved.connectors = _records(ConnectorRecord, data.get("connectors"), "connector")
        apps, preserved.salesforce_apps = _records(SalesforceAppRecord, data.get("salesforce_apps"), "Salesforce app")
        journal, preserved.journal = _records(JournalEntry, data.get("journal"), "journal")
        loaded = cls(
            **values, keys=keys, connectors=connectors, salesforce_apps=apps, journal=journal, preserved=preserved
        )
        loaded.base = loaded.snapshot()
        return loaded

    def changed(self) -> bool:
        """Whether this copy holds anything its last load or save did not (a save would write it)."""
        return self.snapshot() != self.base

    def snapshot(self) -> dict[str, Any]:
        """A deep copy of :meth:`to_data`: pages change the ``wizard`` dict in place, and the base must not follow."""
        data: dict[str, Any] = json.loads(json.dumps(self.to_data()))
        return data

    def to_data(self) -> dict[str, Any]:
        """The file's content: this version's fields and records, plus everything preserved."""
        data: dict[str, Any] = dict(self.preserved.fields)
        for f in dataclasses.fields(self):
            if f.name in _NOT_FIELDS:
                continue
            value = getattr(self, f.name)
            if f.name in self.preserved.fields and value in (f.default, ResumeState()):
                continue  # a value this version could not read, and the admin has not replaced it
            data[f.name] = value.to_data() if isinstance(value, ResumeState) else value
        data["keys"] = [_record_data(r) for r in self.keys] + self.preserved.keys
        data["connectors"] = [_record_data(r) for r in self.connectors] + self.preserved.connectors
        data["salesforce_apps"] = [_record_data(r) for r in self.salesforce_apps] + self.preserved.salesforce_apps
        data["journal"] = [_record_data(r) for r in self.journal] + self.preserved.journal
        data["schema"] = self.preserved.schema
        return data

    def save(self, path: Path | None = None) -> Path:
        """Merge this process's changes into the file as it is now, and write it atomically.

        Under a lock file shared with every other process of this app: the file is read again, and
        what this object changed since it was loaded (or last saved) is laid over it, field by
        field and record by record; what others changed meanwhile is kept. This object then holds
        the merged result.

        A file on disk that cannot be read is moved aside first, never written over; where it
        cannot be moved either, the save refuses.

        Raises:
            AppError: a value looks like a secret (a defect), another process holds the lock for
                longer than LOCK_TIMEOUT seconds, the file on disk can be neither read nor moved
                aside, or the file cannot be written.
        """
        path = path or config_dir() / SETTINGS_FILE
        with settings_lock(path):
            on_disk = Settings._load_holding_lock(path)
            if on_disk.unsaveable:
                raise AppError(
                    f"{on_disk.unsaveable.reason}, so the settings were not saved over it.",
                    hint=f"{on_disk.unsaveable.remedy}, then try again. Nothing in Salesforce or Unstructured is affected.",
                )
            merged = merge_data(self.base, self.to_data(), {} if on_disk.notice else on_disk.to_data())
            text = json.dumps(merged, indent=2, sort_keys=True)
            if "PRIVATE KEY" in text or "unstructured-api-key:" in text:
                raise AppError("Refusing to save settings that contain a secret (this is a defect; please report it).")
            from core.storage.keyfiles import write_file_atomic  # tempfile, secrets: loaded on the first save

            write_file_atomic(path, text.encode("utf-8"), mode=0o600, overwrite=True)
        fresh = Settings._from_data(merged, path)
        for f in dataclasses.fields(self):
            if f.name not in ("notice", "unsaveable"):
                setattr(self, f.name, getattr(fresh, f.name))
        self.unsaveable = None
        return path

    @classmethod
    def update(cls, change: Callable[[Settings], None], path: Path | None = None) -> Settings:
        """Load, ``change``, save: one read-modify-write that other processes cannot interleave with."""
        settings = cls.load(path)
        change(settings)
        settings.save(path)
        return settings


def settings_lock(path: Path) -> Any:
    """The lock every process of this app takes around a read-modify-write of ``path``.

    Raises AppError (when entered) if another process holds it for longer than LOCK_TIMEOUT seconds.
    """
    import filelock  # only when saving: the first window and --version do not pay for it

    from core.storage.keyfiles import ensure_private_dir

    ensure_private_dir(path.parent)  # owner-only, as every folder the app makes
    lock = filelock.FileLock(str(path.with_name(path.name + ".lock")), timeout=LOCK_TIMEOUT, mode=0o600)

    class _Held:
        def __enter__(self) -> None:
            try:
                lock.acquire()
            except filelock.Timeout as exc:  # an OSError too: caught first
                raise AppError(
                    f"The settings file {path} is being written by another run of this app for more than "
                    f"{LOCK_TIMEOUT:.0f} seconds.",
                    hint="Wait for it to finish, then try again.",
                ) from exc
            except OSError as exc:
                raise AppError(
                    f"The settings file {path} cannot be locked for writing: {exc.strerror or exc}."
                ) from exc

        def __exit__(self, *exc: object) -> None:
            lock.release()

    return _Held()


def _identity(item: Any, key: str) -> str:
    if isinstance(item, dict) and isinstance(item.get(key), str):
        return f"{key}={item[key]}"
    return "raw=" + json.dumps(item, sort_keys=True)  # a record this version cannot read: itself


def merge_data(base: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """A three-way merge of the settings' data: what ``mine`` changed since ``base`` laid over ``theirs``.

    Top-level values are taken whole (mine where I changed it); record lists merge record by
    record, by their identity (RECORD_KEYS): a record I added, changed or removed is added,
    replaced or removed; every other record is as ``theirs`` has it.
    """
    merged = dict(theirs)
    for name, value in mine.items():
        if name in RECORD_KEYS:
            continue
        if name not in base or base[name] != value:
            merged[name] = value
    for name in set(base) - set(mine) - set(RECORD_KEYS):
        merged.pop(name, None)
    for name, key in RECORD_KEYS.items():
        before = {_identity(i, key): i for i in base.get(name) or []}
        now = {_identity(i, key): i for i in mine.get(name) or []}
        result = {_identity(i, key): i for i in theirs.get(name) or []}
        for ident in before.keys() - now.keys():
            result.pop(ident, None)  # I removed it
        for ident, item in now.items():
            if before.get(ident) != item:
                result[ident] = item  # I added or changed it
        merged[name] = list(result.values())
    merged["schema"] = max(int(mine.get("schema", SCHEMA)), int(theirs.get("schema", SCHEMA) or SCHEMA))
    return merged


@dataclass
class _Preserved:
    """What a file held that this version does not use, to be written back as it was."""

    schema: int = SCHEMA
    fields: dict[str, Any] = field(default_factory=dict)
    keys: list[Any] = field(default_factory=list)
    connectors: list[Any] = field(default_factory=list)
    salesforce_apps: list[Any] = field(default_factory=list)
    journal: list[Any] = field(default_factory=list)


#: Said with every notice about the settings file: it is this computer's memo, not the connectors themselves.
_UNAFFECTED = "your keys and connectors in Salesforce and Unstructured are not affected"

_NOT_FIELDS = ("keys", "connectors", "salesforce_apps", "journal", "preserved", "notice", "base", "unsaveable")


@dataclass(frozen=True)
class Guard:
    """Why the settings file on disk must not be written over, and what the admin can do about it."""

    reason: str
    remedy: str


class _Unreadable(Exception):
    """The settings file exists and its content cannot be had: ``why`` in words."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class _Damaged(_Unreadable):
    """Its bytes were read and are not settings (not UTF-8, not JSON, not an object)."""


class _Refused(_Unreadable):
    """The system would not let us read it (EIO, EACCES, a folder, another program's handle): the content is unknown."""


def _os_words(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _read(path: Path, *, patient: bool) -> dict[str, Any]:
    """The file's JSON object. Raises FileNotFoundError, _Refused or _Damaged with the reason in words."""
    try:
        raw = read_bytes_shared(path) if patient else path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:  # EIO, EACCES, a folder in its place
        if patient:
            log.warning("The settings file %s could not be read: %s", path, exc)
        raise _Refused(_os_words(exc)) from exc
    try:
        text = raw.decode("utf-8-sig")  # an editor's byte-order mark is no damage
    except UnicodeDecodeError as exc:
        raise _Damaged(f"it is not UTF-8 text: byte {exc.start} is damaged") from exc
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _Damaged("it is damaged: not JSON") from exc
    if not isinstance(data, dict):
        raise _Damaged("it is damaged: not a JSON object")
    return data


def _set_aside(path: Path, why: str, *, move: bool = True) -> Path:
    """Keep a copy of ``path`` as ``NAME.WHY-YYYYmmdd-HHMMSS[-N]`` (moved, or copied with ``move=False``).

    A move that fails raises OSError (the caller must not write over the file); a copy that
    fails is logged (the file itself stays).
    """
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.{why}-{stamp}")
    if move:
        for n in range(2, 100):  # two damaged files within a second: never one over the other
            if not os.path.lexists(aside):
                break
            aside = path.with_name(f"{path.name}.{why}-{stamp}-{n}")
        sharing_retry(lambda: os.replace(path, aside))
        log.warning("Moved the unreadable settings file aside as %s", aside)
        return aside
    try:
        if not aside.exists():
            from core.storage.keyfiles import write_file_atomic

            # Owner-only from creation, on Windows too (an explicit ACL, as for the settings file itself).
            write_file_atomic(aside, read_bytes_shared(path), mode=0o600)
    except (OSError, AppError) as exc:
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
