"""The watch: one look at every connector this computer recorded, so that nothing breaks unnoticed.

Per connector: the certificate's days left (expiry), the connector's own JWT login with the key kept
here (login), what it can read (category) and the org's allowance (allowance), whether Unstructured
still has it as it was (connector), and the latest job of each workflow that reads it (run). A
connector's status is its worst finding. Each watch is kept (:class:`WatchHistory`, beside the
settings, no secret in it), so ``changed`` says what differs from the last one: notifications go
out only then.

Unattended: a watch never opens a browser and never asks. Rotation (``rotate_within``) uses a kept
Salesforce sign-in only; without one it is a warning that says how to keep one.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from core.crypto.expiry import days_until
from core.defaults import CONNECTOR_LOGIN_URL, TIMINGS, Timings
from core.errors import (
    AppError,
    InvalidInputError,
    KeyMaterialError,
    NetworkError,
    PlatformApiError,
    SalesforceLoginError,
)
from core.storage.fileshare import read_bytes_shared
from core.storage.settings import ConnectorRecord, SalesforceAppRecord, Settings, config_dir
from core.text import server_text
from core.unstructured.client import PlatformClient, SourceConnector
from core.unstructured.inventory import explain_check_failure
from core.urls import SafeUrl

TEST_NOTIFICATION = "Test notification from the Salesforce Connector Wizard's watch: notifications reach this channel."

#: The file beside the settings that keeps the last watches (never a secret).
HISTORY_FILE = "watch.json"
#: How many watches the history keeps.
HISTORY_KEEP = 30
#: Connectors looked at once (each is a few requests to Salesforce and Unstructured, mostly waiting).
POOL = 8


class Severity(StrEnum):
    WARNING = "warning"
    FAILING = "failing"


class Kind(StrEnum):
    EXPIRY = "expiry"
    LOGIN = "login"
    CATEGORY = "category"
    CONNECTOR = "connector"
    RUN = "run"
    ALLOWANCE = "allowance"
    ROTATION = "rotation"


class Status(StrEnum):
    OK = "ok"
    WARNING = "warning"
    FAILING = "failing"


@dataclass(frozen=True)
class Finding:
    kind: Kind
    severity: Severity
    message: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind.value, "severity": self.severity.value, "message": self.message}


@dataclass(frozen=True)
class ConnectorWatch:
    """What one watch found for one connector."""

    id: str
    name: str
    findings: tuple[Finding, ...] = ()
    #: What is worth knowing and is no finding (e.g. this computer does not keep the key, so no login was tried).
    notes: tuple[str, ...] = ()
    changed: bool = False
    #: What the connector looked like in Unstructured (to tell a change next time); never a secret.
    consumer_key: str = ""
    username: str = ""

    @property
    def status(self) -> Status:
        severities = {f.severity for f in self.findings}
        if Severity.FAILING in severities:
            return Status.FAILING
        return Status.WARNING if severities else Status.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status.value,
            "findings": [f.to_json() for f in self.findings],
            "notes": list(self.notes),
            "changed": self.changed,
        }


@dataclass(frozen=True)
class WatchResult:
    checked_at: str
    connectors: tuple[ConnectorWatch, ...]
    rotated: tuple[str, ...] = ()
    notified: bool = False

    @property
    def failing(self) -> bool:
        return any(c.status is Status.FAILING for c in self.connectors)

    @property
    def changed(self) -> tuple[ConnectorWatch, ...]:
        return tuple(c for c in self.connectors if c.changed)

    def to_json(self) -> dict[str, Any]:
        return {
            "checked_at": self.checked_at,
            "connectors": [c.to_json() for c in self.connectors],
            "rotated": list(self.rotated),
            "notified": self.notified,
        }


@dataclass(frozen=True)
class WatchRequest:
    """What to watch for: warn ``within_days`` before expiry; rotate ``rotate_within_days`` before (None: never)."""

    within_days: int = 30
    rotate_within_days: int | None = None
    #: Where the connector's login is tried when its app's own host is not recorded here.
    login_url: SafeUrl = CONNECTOR_LOGIN_URL
    #: Count what each category holds as the connector's user (a few requests per category).
    count: bool = True

    def validated(self) -> WatchRequest:
        """Raises InvalidInputError before any request."""
        if not 0 <= self.within_days <= 3650:
            raise InvalidInputError("--within must be from 0 to 3650 days.", field="within")
        if self.rotate_within_days is not None and not 1 <= self.rotate_within_days <= 365:
            raise InvalidInputError("--rotate-within must be from 1 to 365 days.", field="rotate_within")
        return self


# --- the history: what the last watches found ---------------------------------------------------------


@dataclass
class WatchHistory:
    """The last watches (newest last), each ``{"checked_at", "connectors": {id: {...}}}``; kept beside the settings."""

    watches: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def path(cls) -> Path:
        return config_dir() / HISTORY_FILE

    @classmethod
    def load(cls, path: Path | None = None) -> WatchHistory:
        """The history; empty when there is none or it cannot be read (then the next watch notifies all that is not ok)."""
        try:  # read_bytes_shared: while a watch replaces it, Windows refuses to open it
            data = json.loads(read_bytes_shared(path or cls.path()).decode("utf-8"))
        except (OSError, ValueError, RecursionError):
            return cls()
        watches = data.get("watches") if isinstance(data, dict) else None
        return cls([w for w in watches if isinstance(w, dict)] if isinstance(watches, list) else [])

    def last(self, connector_id: str) -> dict[str, Any] | None:
        """What the last watch that saw this connector found, leaving out a watch whose due notification could not
        go out (so the next one tells that change: a notification is never lost)."""
        for watch in reversed(self.watches):
            if watch.get("unsent"):
                continue
            seen = watch.get("connectors")
            if isinstance(seen, dict) and isinstance(seen.get(connector_id), dict):
                found: dict[str, Any] = seen[connector_id]
                return found
        return None

    def last_checked(self) -> str:
        return str(self.watches[-1].get("checked_at", "")) if self.watches else ""

    def add(self, result: WatchResult, *, unsent: bool = False) -> None:
        """Keep ``result``; ``unsent``: it had changes to tell and the notification could not go out."""
        self.watches.append(
            {
                "checked_at": result.checked_at,
                **({"unsent": True} if unsent else {}),
                "connectors": {
                    c.id: {
                        "name": c.name,
                        "status": c.status.value,
                        "findings": [f.to_json() for f in c.findings],
                        "consumer_key": c.consumer_key,
                        "username": c.username,
                    }
                    for c in result.connectors
                },
                "rotated": list(result.rotated),
            }
        )
        del self.watches[:-HISTORY_KEEP]

    def save(self, path: Path | None = None) -> None:
        """Written whole, owner-only, under the settings' lock (two watches at once keep both). Raises AppError."""
        from core.storage.keyfiles import write_file_atomic
        from core.storage.settings import settings_lock

        target = path or self.path()
        with settings_lock(target):
            on_disk = WatchHistory.load(target)
            mine = {w.get("checked_at") for w in self.watches}
            merged = [w for w in on_disk.watches if w.get("checked_at") not in mine] + self.watches
            merged.sort(key=lambda w: str(w.get("checked_at", "")))
            text = json.dumps({"watches": merged[-HISTORY_KEEP:]}, indent=1, sort_keys=True)
            write_file_atomic(target, text.encode("utf-8"), mode=0o600, overwrite=True)


# --- one connector ----------------------------------------------------------------------------------------


class _Once:
    """Each key's value made once, whichever thread asks first; the others wait for it (errors too)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._made: dict[Any, Any] = {}

    def get(self, key: Any, make: Callable[[], Any]) -> Any:
        with self._lock:
            slot = self._made.get(key)
            if slot is None:
                slot = self._made[key] = [threading.Lock(), None, None]
        with slot[0]:
            if slot[1] is None and slot[2] is None:
                try:
                    slot[1] = make()
                except Exception as exc:  # noqa: BLE001 - handed to every caller as it is
                    slot[2] = exc
        if slot[2] is not None:
            raise slot[2]
        return slot[1]


@dataclass(frozen=True)
class _Inputs:
    """What a watch of one connector needs besides the services (all read before the pool starts)."""

    record: ConnectorRecord
    apps: tuple[SalesforceAppRecord, ...]
    key: Callable[[], str | None]
    previous: dict[str, Any] | None
    #: Surveys already made in this watch: connectors with the same user, app, key, host and categories
    #: read the same, so one login and one count serve them all.
    surveys: _Once = field(default_factory=lambda: _Once())
    #: The account's Salesforce connectors, listed once for the whole watch (None: ask for this one alone).
    listed: dict[str, SourceConnector] | None = None

    def app(self, consumer_key: str) -> SalesforceAppRecord | None:
        """The app this computer set up that the connector logs in through (by its consumer key)."""
        return next((a for a in self.apps if consumer_key and a.consumer_key == consumer_key), None)


def _expiry(record: ConnectorRecord, request: WatchRequest, now: dt.datetime) -> list[Finding]:
    days = days_until(record.not_after or None, now=now)
    if days is None:
        return []
    if days < 0:
        return [
            Finding(
                Kind.EXPIRY,
                Severity.FAILING,
                f"The certificate expired {-days} day(s) ago: Salesforce "
                "refuses the connector's login. Rotate the key.",
            )
        ]
    if days <= request.within_days:
        return [
            Finding(
                Kind.EXPIRY,
                Severity.WARNING,
                f"The certificate ends in {days} day(s). Rotate the key "
                "before then (rotate --auto, or Manage's Rotate automatically).",
            )
        ]
    return []


def _connector_findings(connector: SourceConnector, previous: dict[str, Any] | None) -> list[Finding]:
    consumer_key = str(connector.config.get("consumer_key") or "")
    username = str(connector.config.get("username") or "")
    if previous is None:
        return []
    before = (str(previous.get("consumer_key") or ""), str(previous.get("username") or ""))
    if before != ("", "") and before != (consumer_key, username):
        what = [
            name
            for name, old, new in (("consumer key", before[0], consumer_key), ("username", before[1], username))
            if old and old != new
        ]
        return [
            Finding(
                Kind.CONNECTOR,
                Severity.FAILING,
                f"The connector's {' and '.join(what) or 'settings'} changed in Unstructured since the last watch. "
                "If nobody here meant it, check the connector (update it, or Check connection).",
            )
        ]
    return []


def _salesforce_findings(
    connector: SourceConnector, inputs: _Inputs, request: WatchRequest, timings: Timings
) -> tuple[list[Finding], list[str]]:
    from core.crypto.keypair import load_private_key
    from core.usecases.reading import survey_reading

    try:
        key = inputs.key()
    except AppError as exc:  # a keyring that is locked (an unattended run never unlocks it) or refuses
        return [
            Finding(Kind.LOGIN, Severity.WARNING, f"Its login was not tried: the private key could not be read. {exc}")
        ], []
    if not key:
        return [], ["This computer does not keep the connector's private key, so its login was not tried here."]
    categories = connector.config.get("categories")
    app = inputs.app(str(connector.config.get("consumer_key") or ""))
    try:
        login_url = (app.login_host() if app else None) or request.login_url
    except InvalidInputError as exc:  # the settings file holds a host edited by hand
        return [Finding(Kind.LOGIN, Severity.WARNING, f"Its login was not tried: {exc.message}")], []
    try:
        loaded = inputs.surveys.get(("key", key), lambda: load_private_key(key))  # once per key, not per login
        if request.count:
            username = str(connector.config.get("username") or "")
            consumer_key = str(connector.config.get("consumer_key") or "")
            chosen = tuple(categories) if isinstance(categories, list) and categories else None
            survey = inputs.surveys.get(
                (username, consumer_key, key, login_url, chosen),
                lambda: survey_reading(
                    username=username,
                    consumer_key=consumer_key,
                    private_key=loaded,
                    categories=chosen,
                    login_url=login_url,
                    timings=timings,
                    shared=inputs.surveys.get,  # counted once per org, user and categories
                ),
            )
        else:
            from core.salesforce.login import verify_jwt_login

            verify_jwt_login(
                username=str(connector.config.get("username") or ""),
                consumer_key=str(connector.config.get("consumer_key") or ""),
                private_key=loaded,
                login_url=login_url,
                timeout=timings.http_timeout,
            )
            return [], []
    except SalesforceLoginError as exc:
        return [Finding(Kind.LOGIN, Severity.FAILING, f"{exc.message} {exc.fix}".strip())], []
    except NetworkError as exc:
        return [Finding(Kind.LOGIN, Severity.WARNING, f"Salesforce could not be asked: {exc.message}")], []
    except KeyMaterialError as exc:  # the key kept here is damaged (it was checked when it was kept)
        said = f"Its login was not tried: the private key kept here cannot be used ({exc.message.rstrip('.')})."
        return [Finding(Kind.LOGIN, Severity.WARNING, said)], []
    except InvalidInputError as exc:  # e.g. a category this version does not know
        return [Finding(Kind.CATEGORY, Severity.WARNING, exc.message)], []
    findings = [
        Finding(
            Kind.CATEGORY,
            Severity.FAILING,
            f"{reading.name} cannot be read as the connector's user: {reading.said}",
        )
        for reading in survey.unreadable
    ]
    findings += [Finding(Kind.ALLOWANCE, Severity.WARNING, warning) for warning in survey.warnings]
    return findings, []


def _run_findings(client: PlatformClient, connector_id: str) -> list[Finding]:
    findings = []
    for workflow in client.workflows_of(connector_id):
        job = client.latest_job(workflow.id)
        if job is not None and job.status == "FAILED":
            findings.append(
                Finding(
                    Kind.RUN,
                    Severity.FAILING,
                    f"The latest run of the workflow {workflow.name} ({job.created_at[:16].replace('T', ' ')}) "
                    f"failed: {explain_check_failure(job.message or 'no message')}",
                )
            )
    return findings


def watch_one(
    client: PlatformClient, inputs: _Inputs, request: WatchRequest, *, timings: Timings, now: dt.datetime
) -> ConnectorWatch:
    """One connector's findings; never raises for what the services answer (each answer is a finding)."""
    record = inputs.record
    findings = _expiry(record, request, now)
    notes: list[str] = []
    try:
        connector = inputs.listed.get(record.id) if inputs.listed is not None else client.get_source(record.id)
        if connector is None:
            raise PlatformApiError("not in the account's list of connectors", status=404)
    except PlatformApiError as exc:
        if exc.status == 404:
            findings.append(
                Finding(Kind.CONNECTOR, Severity.FAILING, "The connector is gone from Unstructured (deleted there?).")
            )
        else:
            findings.append(
                Finding(Kind.CONNECTOR, Severity.WARNING, f"Unstructured could not be asked: {exc.message}")
            )
        return ConnectorWatch(record.id, record.name, tuple(findings))
    except AppError as exc:
        findings.append(Finding(Kind.CONNECTOR, Severity.WARNING, f"Unstructured could not be asked: {exc.message}"))
        return ConnectorWatch(record.id, record.name, tuple(findings))
    findings += _connector_findings(connector, inputs.previous)
    salesforce, said = _salesforce_findings(connector, inputs, request, timings)
    findings += salesforce
    notes += said
    try:
        findings += _run_findings(client, record.id)
    except AppError as exc:
        notes.append(f"Its workflows' runs could not be read: {exc.message}")
    return ConnectorWatch(
        id=record.id,
        name=server_text(connector.name, 200) or record.name,
        findings=tuple(findings),
        notes=tuple(notes),
        consumer_key=str(connector.config.get("consumer_key") or ""),
        username=str(connector.config.get("username") or ""),
    )


def _same_api(recorded: str, base_url: str) -> bool:
    from core.unstructured.client import normalise_api_url

    try:
        return normalise_api_url(recorded) == base_url
    except AppError:
        return False


def _changed(watch: ConnectorWatch, previous: dict[str, Any] | None) -> bool:
    """Changed since the last watch: its status differs (the first watch: anything that is not ok)."""
    if previous is None:
        return watch.status is not Status.OK
    return str(previous.get("status")) != watch.status.value


# --- the whole watch -----------------------------------------------------------------------------------------


def watch(
    client: PlatformClient,
    request: WatchRequest,
    *,
    settings: Settings,
    history: WatchHistory,
    read_secret: Callable[[str], str | None],
    rotate: Callable[[ConnectorRecord, SalesforceAppRecord], str] | None = None,
    timings: Timings = TIMINGS,
    now: dt.datetime | None = None,
) -> WatchResult:
    """Watch every connector recorded here for ``client``'s API URL, concurrently (``POOL`` at once).

    ``rotate(record, app)`` (given when the admin opted in to unattended rotation) rotates one connector
    with the kept sign-in and returns a sentence of what it did; it raises AppError when it could not.
    """
    from core.usecases.connectors import stored_key_of

    now = now or dt.datetime.now(dt.UTC)
    records = [c for c in settings.connectors if not c.api_url or _same_api(c.api_url, client.base_url)]

    surveys = _Once()
    try:  # one request for the whole watch instead of one per connector
        listed: dict[str, SourceConnector] | None = {c.id: c for c in client.list_sources()} if records else None
    except AppError:
        listed = None  # each connector asks for itself, and says what went wrong

    def inputs_of(record: ConnectorRecord) -> _Inputs:
        return _Inputs(
            record=record,
            apps=tuple(settings.salesforce_apps),
            key=lambda: stored_key_of(settings, record.id, read_secret),
            previous=history.last(record.id),
            surveys=surveys,
            listed=listed,
        )

    prepared = [inputs_of(record) for record in records]
    with ThreadPoolExecutor(max_workers=max(1, min(POOL, len(prepared)))) as pool:
        watched = list(pool.map(lambda i: watch_one(client, i, request, timings=timings, now=now), prepared))
    rotated: list[str] = []
    if request.rotate_within_days is not None:
        for index, (inputs, found) in enumerate(zip(prepared, watched, strict=True)):
            days = days_until(inputs.record.not_after or None, now=now)
            if days is None or days > request.rotate_within_days:
                continue
            outcome = _rotate_unattended(inputs.record, inputs.app(found.consumer_key), rotate)
            if isinstance(outcome, Finding):
                watched[index] = replace(found, findings=(*found.findings, outcome))
                continue
            rotated.append(inputs.record.id)
            again = replace(inputs, record=settings.connector(inputs.record.id) or inputs.record)
            after = watch_one(client, again, replace(request, rotate_within_days=None), timings=timings, now=now)
            watched[index] = replace(after, notes=(*after.notes, outcome))
    final = tuple(replace(w, changed=_changed(w, i.previous)) for w, i in zip(watched, prepared, strict=True))
    return WatchResult(
        checked_at=now.isoformat(timespec="seconds"),
        connectors=final,
        rotated=tuple(rotated),
    )


def _rotate_unattended(
    record: ConnectorRecord,
    app: SalesforceAppRecord | None,
    rotate: Callable[[ConnectorRecord, SalesforceAppRecord], str] | None,
) -> Finding | str:
    """Rotate one connector whose certificate is due, or the finding that says why not."""
    if rotate is None:
        return Finding(Kind.ROTATION, Severity.WARNING, "Its certificate is due; unattended rotation is off.")
    if app is None:
        return Finding(
            Kind.ROTATION,
            Severity.WARNING,
            "Its certificate is due, but this computer did not set up its Salesforce app, so it cannot rotate "
            "it unattended: rotate it by hand.",
        )
    if not app.sign_in_kept:
        return Finding(
            Kind.ROTATION,
            Severity.WARNING,
            "Its certificate is due, but rotating it needs a Salesforce sign-in and none is kept here (an "
            "unattended run never opens a browser). Keep one: setup-salesforce --remember-sign-in, or rotate it "
            "once from Manage with the sign-in kept.",
        )
    try:
        return rotate(record, app)
    except AppError as exc:
        return Finding(Kind.ROTATION, Severity.FAILING, f"The unattended rotation did not finish: {exc}")


def notification_text(result: WatchResult) -> str:
    """The words of a notification: what changed, one line per connector (no secret: names, ids and findings)."""
    lines = []
    for c in result.changed:
        worst = next((f.message for f in c.findings if f.severity is Severity.FAILING), "")
        worst = worst or next((f.message for f in c.findings), "")
        state = {Status.OK: "is OK again", Status.WARNING: "needs attention", Status.FAILING: "is FAILING"}[c.status]
        lines.append(f"Salesforce connector {c.name} ({c.id}) {state}" + (f": {worst}" if worst else "."))
    return "\n".join(lines)


def notification_body(result: WatchResult) -> dict[str, Any]:
    """The webhook's JSON: ``text`` (what Slack, Teams workflows, Mattermost and Google Chat read) and the connectors."""
    return {"text": notification_text(result), "connectors": [c.to_json() for c in result.changed]}


def send_webhook(
    url: str, result: WatchResult, *, text: str | None = None, timeout: tuple[float, float] = (5.0, 10.0)
) -> None:
    """POST the notification to ``url`` through the project's transport (no redirects, verified TLS).

    Raises NetworkError (a sentence that never holds the URL: it carries its own secret)."""
    import requests

    from core.transport import make_session
    from core.urls import SafeUrl

    target = SafeUrl(url, what="webhook URL", secret=True)
    try:
        body = notification_body(result) if text is None else {"text": text, "connectors": []}
        response = make_session().post(target, json=body, timeout=timeout)
    except requests.RequestException as exc:
        raise NetworkError("The webhook could not be reached.", hint="Check the webhook URL and the network.") from exc
    if not 200 <= response.status_code < 300:
        raise NetworkError(
            f"The webhook answered HTTP {response.status_code}.",
            hint="Check that the webhook still exists (a team channel's incoming webhook can be removed).",
        )


def send_test_webhook(url: str) -> None:
    """The test message to ``url`` (Schedule checks' button, ``watch --test-notification``). Raises as send_webhook."""
    send_webhook(url, WatchResult(checked_at="test", connectors=()), text=TEST_NOTIFICATION)


def show_test_notice() -> None:
    """The test message on this desktop. Raises DesktopNoticeError when the desktop did not take it."""
    from core import desktop_notice

    desktop_notice.show("Test notification", TEST_NOTIFICATION)


__all__ = [
    "ConnectorWatch",
    "Finding",
    "Kind",
    "Severity",
    "Status",
    "WatchHistory",
    "WatchRequest",
    "WatchResult",
    "notification_body",
    "notification_text",
    "send_test_webhook",
    "send_webhook",
    "show_test_notice",
    "watch",
]
