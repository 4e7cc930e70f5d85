"""Client for the Unstructured Platform API's source connector endpoints (spec 3.0.2).

Writes (create, update, delete, starting a check) are sent once: a create that may have
reached the server is never resent, since names are unique and a second one would fail or
duplicate. Reads are retried a few times with bounded backoff, honouring Retry-After.
"""

from __future__ import annotations

import html
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import requests
import urllib3

from core.defaults import API_KEY_ENV, API_URL_ENV, DEFAULT_API_URL
from core.errors import (
    ApiKeyRefusedError,
    CancelledError,
    ConnectorNotFoundError,
    InvalidInputError,
    NetworkError,
    PlatformApiError,
    RequestMayHaveReachedServerError,
)
from core.kinds import CheckStatus
from core.logs import redact, register_secret
from core.text import printable, server_text
from core.transport import DEFAULT_TIMEOUT, make_session, network_error
from core.urls import SafeUrl
from core.validation import SalesforceConfig, validate_connector_name

API_PREFIX = "/api/v1"
SOURCE_TYPE = "salesforce"

READ_ATTEMPTS = 3
RETRY_AFTER_CAP = 10.0
#: Seconds one call may take, retries included: a hung or flapping server cannot hold the app longer.
CALL_BUDGET = 30.0
_MIN_ATTEMPT = 1.0
_RETRY_STATUSES = {429, 500, 502, 503, 504}


def default_api_url() -> str:
    return os.environ.get(API_URL_ENV, "").strip() or DEFAULT_API_URL


def normalise_api_url(url: str) -> SafeUrl:
    """Accept ``https://host``, ``https://host/``, ``https://host/api/v1`` or ``.../api/v1/`` (or the host alone,
    meaning https); return the bare host URL.

    Raises:
        InvalidInputError: not https (except loopback) or not a URL.
    """
    text = (url or "").strip().rstrip("/")
    if text.endswith(API_PREFIX):
        text = text[: -len(API_PREFIX)]
    return SafeUrl.typed(text, what="Unstructured API URL")


def _text(value: Any) -> str | None:
    """A timestamp field as text; anything else (a number, NaN, a list) counts as absent."""
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class SourceConnector:
    id: str
    name: str
    type: str
    config: dict[str, Any]
    created_at: str
    updated_at: str | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> "SourceConnector":
        try:
            return cls(
                id=str(data["id"]),
                name=str(data["name"]),
                type=str(data.get("type", "")),
                config=dict(data.get("config") or {}),
                created_at=_text(data.get("created_at")) or "",
                updated_at=_text(data.get("updated_at")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PlatformApiError("The Unstructured API answered with an unexpected shape.") from exc

    def __post_init__(self) -> None:
        for name in ("id", "name", "type", "created_at"):
            object.__setattr__(self, name, printable(getattr(self, name)))  # the service's words, shown as data
        if self.updated_at is not None:
            object.__setattr__(self, "updated_at", printable(self.updated_at))

    def redacted(self) -> dict[str, Any]:
        config = dict(self.config)
        if "private_key" in config:
            config["private_key"] = "<redacted>"
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "config": config,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class ConnectionCheck:
    id: str
    status: str  # SCHEDULED, SUCCESS or FAILURE
    reason: str | None
    created_at: str
    reported_at: str | None

    @property
    def passed(self) -> bool:
        return self.status == CheckStatus.SUCCESS

    @property
    def finished(self) -> bool:
        return self.status in (CheckStatus.SUCCESS, CheckStatus.FAILURE)

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", printable(self.status))
        if self.reason is not None:  # the service's words: one line (no forged output lines), cut
            object.__setattr__(self, "reason", server_text(self.reason, 1000))


def _html_title(text: str) -> str:
    """The first <title>, found with two linear scans (a regex per '<title>' was quadratic)."""
    lowered = text.lower()
    start = lowered.find("<title>")
    if start < 0:
        return ""
    end = lowered.find("</title>", start + 7)
    return text[start + 7 : end] if end >= 0 else ""


def describe_error_body(response: requests.Response) -> str:
    """One sentence from any error body shape: JSON detail list or string, errors list, text, HTML."""
    text = response.text or ""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        body = None
    message = ""
    if isinstance(body, dict):
        detail = body.get("detail")
        errors = body.get("errors")
        if isinstance(detail, list):
            parts = []
            for item in detail:
                if isinstance(item, dict):
                    loc = item.get("loc")
                    loc = ".".join(
                        str(p) for p in (loc if isinstance(loc, list) else [loc] if loc else []) if p != "body"
                    )
                    msg = str(item.get("msg", "invalid"))
                    parts.append(f"{loc}: {msg}" if loc else msg)
                else:
                    parts.append(str(item))
            message = "; ".join(parts)
        elif detail is not None:
            message = str(detail)
        elif isinstance(errors, list):
            parts = []
            for item in errors:
                if isinstance(item, dict):
                    fld, msg = item.get("field"), item.get("message", "invalid")
                    parts.append(f"{fld}: {msg}" if fld else str(msg))
                else:
                    parts.append(str(item))
            message = "; ".join(parts)
        elif "message" in body:
            message = str(body["message"])
    if not message:
        if "<" in text and ">" in text:
            text = _html_title(text) or re.sub(r"<[^>]++>", " ", text)
            text = html.unescape(text)
        message = " ".join(text.split())
    message = redact(message)
    if len(message) > 300:
        message = message[:297] + "..."
    return message or f"HTTP {response.status_code} with an empty body"


def create_source_body(
    *, name: str, config: SalesforceConfig, private_key_placeholder: str | None = None
) -> dict[str, Any]:
    """The body of ``POST /sources/``: what the client sends and what the wizard's review shows.

    With ``private_key_placeholder`` the key is replaced by those words (for display only).

    Raises:
        InvalidInputError: the name is not one the API accepts.
    """
    fields = config.to_api()
    if private_key_placeholder is not None:
        fields["private_key"] = private_key_placeholder
    return {"name": validate_connector_name(name), "type": SOURCE_TYPE, "config": fields}


def error_fields(response: requests.Response) -> tuple[str, ...]:
    """The request fields an error body names: every part of each ``detail[].loc`` (FastAPI's
    422 shape) and each ``errors[].field``; empty when the body names none."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return ()
    if not isinstance(body, dict):
        return ()
    names: list[str] = []
    detail, errors = body.get("detail"), body.get("errors")
    for item in detail if isinstance(detail, list) else []:
        loc = item.get("loc") if isinstance(item, dict) else None
        names += [str(part) for part in loc if part != "body"] if isinstance(loc, list) else []
    for item in errors if isinstance(errors, list) else []:
        if isinstance(item, dict) and isinstance(item.get("field"), str):
            names += item["field"].split(".")
    return tuple(dict.fromkeys(names))


#: Workflows asked for per page, and the most pages read (a list that never ends is an error, not a hang).
WORKFLOW_PAGE_SIZE = 100
WORKFLOW_PAGES = 50


class PlatformClient:
    """The source connector endpoints of the Unstructured Platform API."""

    def __init__(
        self,
        *,
        api_url: str,
        api_key: str,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        budget: float = CALL_BUDGET,
    ) -> None:
        """Raises InvalidInputError for an unsafe URL or an empty API key."""
        self.base_url = normalise_api_url(api_url)
        if not api_key or not api_key.strip():
            raise InvalidInputError(
                "No Unstructured API key is set.",
                field="api_key",
                hint=f"Set {API_KEY_ENV} or store the key in the keyring (set-api-key).",
            )
        self._api_key = api_key.strip()
        if re.search(r"[\x00-\x20\x7f]", self._api_key) or not self._api_key.isascii():
            # A key pasted with a line break inside would be refused by HTTP itself, and look like a network error.
            raise InvalidInputError(
                "The Unstructured API key contains spaces, line breaks or other characters no API key has.",
                field="api_key",
                hint="Copy the key again from API Keys in the Unstructured UI.",
            )
        register_secret(self._api_key)  # whichever front end typed or found it, logs never show it
        self._session = session or make_session()
        self._timeout = timeout
        self._sleep = sleep
        self._budget = budget

    def _url(self, path: str) -> str:
        return f"{self.base_url}{API_PREFIX}{path}"

    def _request(self, method: str, path: str, *, json: Any = None, params: Any = None) -> requests.Response:
        idempotent_read = method == "GET"
        attempts = READ_ATTEMPTS if idempotent_read else 1
        headers = {"unstructured-api-key": self._api_key, "Accept": "application/json"}
        deadline = time.monotonic() + self._budget

        def worth_retrying(delay: float) -> bool:
            return time.monotonic() + delay + _MIN_ATTEMPT < deadline

        for attempt in range(1, attempts + 1):
            remaining = max(deadline - time.monotonic(), _MIN_ATTEMPT)
            # The transport cuts a request at connect + read timeout: together they fit what is left.
            connect = min(self._timeout[0], remaining / 2)
            timeout = (connect, max(min(self._timeout[1], remaining - connect), _MIN_ATTEMPT / 2))
            try:
                response = self._session.request(
                    method, self._url(path), headers=headers, json=json, params=params, timeout=timeout
                )
            except requests.RequestException as exc:
                delay = 0.5 * 2 ** (attempt - 1)
                if idempotent_read and attempt < attempts and worth_retrying(delay):
                    self._sleep(delay)
                    continue
                if not idempotent_read and _may_have_been_sent(exc):
                    raise RequestMayHaveReachedServerError(
                        "The Unstructured API did not answer, but the request may have reached it.",
                        hint="It was not sent again. Check the connector list before trying again, "
                        "so that nothing is created or changed twice.",
                    ) from exc
                raise network_error(exc, what="the Unstructured API") from exc
            if idempotent_read and response.status_code in _RETRY_STATUSES and attempt < attempts:
                delay = self._retry_delay(response, attempt)
                if worth_retrying(delay):
                    self._sleep(delay)
                    continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _retry_delay(response: requests.Response, attempt: int) -> float:
        value = str(response.headers.get("Retry-After", ""))
        try:
            return max(0.0, min(float(value), RETRY_AFTER_CAP))
        except ValueError:
            return min(0.5 * 2.0 ** (attempt - 1), RETRY_AFTER_CAP)

    def _check(self, response: requests.Response, *, source_id: str | None = None, ok: tuple[int, ...] = (200,)) -> Any:
        status = response.status_code
        if status in ok:
            try:
                return response.json()
            except (ValueError, RecursionError) as exc:
                raise PlatformApiError(
                    "The Unstructured API answered with something that is not JSON.",
                    status=status,
                    hint="Check the API URL: a proxy or web page may be answering instead.",
                ) from exc
        words = describe_error_body(response)
        if status == 401:
            raise ApiKeyRefusedError(
                f"The Unstructured API refused the API key ({words}).",
                status=status,
                hint=f"Check {API_KEY_ENV} or store a valid key (set-api-key); keys are under API Keys in the Unstructured UI.",
            )
        if status == 403:
            raise PlatformApiError(
                f"The Unstructured API refused this operation ({words}).",
                status=status,
                hint="Your API key or plan may not allow it.",
            )
        if status == 404 and source_id is not None:
            raise ConnectorNotFoundError(
                f"No source connector with id {source_id} was found.",
                status=status,
                hint="List the connectors to see their ids.",
            )
        if status == 404:
            raise PlatformApiError(
                f"The Unstructured API does not know this address ({words}).",
                status=status,
                hint="Check the API URL; it should be like https://platform.unstructuredapp.io/api/v1.",
            )
        if status in (409,):
            raise PlatformApiError(
                f"The Unstructured API reported a conflict ({words}).",
                status=status,
                hint="A connector with this name may already exist; choose another name.",
                fields=("name",),
            )
        if status in (412, 422, 400):
            raise PlatformApiError(
                f"The Unstructured API rejected the request ({words}).", status=status, fields=error_fields(response)
            )
        if status == 429:
            raise PlatformApiError(
                "The Unstructured API is rate limiting requests.", status=status, hint="Wait a minute and try again."
            )
        if status >= 500:
            raise PlatformApiError(
                f"The Unstructured API failed with a server error (HTTP {status}: {words}).",
                status=status,
                hint="Try again later; if it persists, contact Unstructured support.",
            )
        raise PlatformApiError(f"The Unstructured API answered HTTP {status} ({words}).", status=status)

    # --- endpoints -------------------------------------------------------------------------

    def create_source(self, *, name: str, config: SalesforceConfig) -> SourceConnector:
        """POST /sources/ once. Raises PlatformApiError, ApiKeyRefusedError, NetworkError."""
        body = create_source_body(name=name, config=config)
        return SourceConnector.from_api(self._check(self._request("POST", "/sources/", json=body)))

    def list_sources(self) -> list[SourceConnector]:
        data = self._check(self._request("GET", "/sources/", params={"source_type": SOURCE_TYPE}))
        if not isinstance(data, list):
            raise PlatformApiError("The Unstructured API answered the list with an unexpected shape.")
        return [SourceConnector.from_api(item) for item in data]

    def get_source(self, source_id: str) -> SourceConnector:
        response = self._request("GET", f"/sources/{_id(source_id)}")
        return SourceConnector.from_api(self._check(response, source_id=source_id))

    def update_source(self, source_id: str, *, config: SalesforceConfig) -> SourceConnector:
        """PUT the full config (the API replaces every setting)."""
        response = self._request("PUT", f"/sources/{_id(source_id)}", json={"config": config.to_api()})
        return SourceConnector.from_api(self._check(response, source_id=source_id))

    def delete_source(self, source_id: str) -> None:
        self._check(self._request("DELETE", f"/sources/{_id(source_id)}"), source_id=source_id)

    # --- the connector's runs: workflows that read it, and their jobs --------------------------------

    def workflows_of(self, source_id: str) -> list[Workflow]:
        """GET /workflows/?source_id=: the workflows that read the connector, every page of them (the list is paged,
        20 to a page unless asked: a connector read by more workflows had the rest missed)."""
        found: list[Workflow] = []
        for page in range(1, WORKFLOW_PAGES + 1):
            params = {"source_id": _id(source_id), "page": page, "page_size": WORKFLOW_PAGE_SIZE}
            data = self._check(self._request("GET", "/workflows/", params=params))
            if not isinstance(data, list):
                raise PlatformApiError("The Unstructured API answered the workflow list with an unexpected shape.")
            found += [w for w in (_workflow(item) for item in data) if w is not None]
            if len(data) < WORKFLOW_PAGE_SIZE:
                return found
        raise PlatformApiError(
            f"The Unstructured API keeps answering with more workflows after {WORKFLOW_PAGES * WORKFLOW_PAGE_SIZE}."
        )

    def latest_job(self, workflow_id: str) -> Job | None:
        """The workflow's newest job (GET /jobs/?workflow_id=), with its details' message when it failed."""
        data = self._check(self._request("GET", "/jobs/", params={"workflow_id": _id(workflow_id)}))
        if not isinstance(data, list):
            raise PlatformApiError("The Unstructured API answered the job list with an unexpected shape.")
        jobs = sorted((j for j in (_job(item) for item in data) if j is not None), key=lambda j: j.created_at)
        if not jobs:
            return None
        job = jobs[-1]
        if job.status == "FAILED":
            details = self._check(self._request("GET", f"/jobs/{_id(job.id)}/details"))
            message = details.get("message") if isinstance(details, dict) else None
            job = replace(job, message=server_text(message, 1000) if message else "")
        return job

    def start_connection_check(self, source_id: str) -> ConnectionCheck:
        response = self._request("POST", f"/sources/{_id(source_id)}/connection-check")
        return _check_from_api(self._check(response, source_id=source_id, ok=(200, 202)))

    def get_connection_check(self, source_id: str) -> ConnectionCheck:
        response = self._request("GET", f"/sources/{_id(source_id)}/connection-check")
        return _check_from_api(self._check(response, source_id=source_id))

    def run_connection_check(
        self,
        source_id: str,
        *,
        timeout: float = 120.0,
        poll_interval: float = 2.0,
        on_status: Callable[[ConnectionCheck], None] | None = None,
        cancel: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> ConnectionCheck:
        """Start a connection check and poll until SUCCESS or FAILURE.

        Returns the final check (its ``status`` says which). Raises NetworkError when no
        verdict came within ``timeout`` seconds, CancelledError if ``cancel`` is set.
        """
        check = self.start_connection_check(source_id)
        deadline = clock() + timeout
        while True:
            if on_status:
                on_status(check)
            if check.finished:
                return check
            if cancel is not None and cancel.is_set():
                raise CancelledError("The connection check was cancelled (it may still finish on the server).")
            if clock() >= deadline:
                raise NetworkError(
                    f"The connection check gave no verdict within {timeout:.0f} seconds.",
                    hint="It may still be running; check again later.",
                )
            if cancel is not None:
                if cancel.wait(poll_interval):
                    continue
            else:
                self._sleep(poll_interval)
            check = self.get_connection_check(source_id)


def _may_have_been_sent(exc: requests.RequestException) -> bool:
    """False only when the connection itself failed, so the server cannot have seen the request."""
    if isinstance(
        exc, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError, requests.exceptions.ProxyError)
    ):
        return False
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return not isinstance(reason, urllib3.exceptions.NewConnectionError)
    return True


def _id(source_id: str) -> str:
    value = (source_id or "").strip()
    if not value or not re.fullmatch(r"[A-Za-z0-9-]{1,64}", value):
        raise InvalidInputError(
            f"'{source_id}' is not a connector id.",
            field="id",
            hint="Connector ids look like 3fa85f64-5717-4562-b3fc-2c963f66afa6.",
        )
    return quote(value)


@dataclass(frozen=True)
class Workflow:
    """A workflow that reads a connector: its id and name (the service's words, printable)."""

    id: str
    name: str


@dataclass(frozen=True)
class Job:
    """One run of a workflow: its status (SCHEDULED, IN_PROGRESS, COMPLETED, STOPPED, FAILED), when it was created,
    and, for a failed one, the message of its details."""

    id: str
    workflow_id: str
    workflow_name: str
    status: str
    created_at: str
    message: str = ""


def _workflow(item: Any) -> Workflow | None:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return None
    return Workflow(id=server_text(item["id"], 64), name=server_text(item.get("name") or "", 200))


def _job(item: Any) -> Job | None:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(item.get("status"), str):
        return None
    return Job(
        id=server_text(item["id"], 64),
        workflow_id=server_text(item.get("workflow_id") or "", 64),
        workflow_name=server_text(item.get("workflow_name") or "", 200),
        status=server_text(item["status"], 32).upper(),
        created_at=server_text(item.get("created_at") or "", 40),
    )


def _check_from_api(data: Any) -> ConnectionCheck:
    if not isinstance(data, dict) or "status" not in data:
        raise PlatformApiError("The Unstructured API answered the connection check with an unexpected shape.")
    return ConnectionCheck(
        id=str(data.get("id", "")),
        status=str(data["status"]).upper(),
        reason=None if data.get("reason") is None else server_text(data.get("reason"), 1000),
        created_at=str(data.get("created_at", "")),
        reported_at=_text(data.get("reported_at")),
    )
