"""The admin's Salesforce org over REST: API versions, SOQL, records, and Metadata API deploys.

Used with the admin's own access token (see :mod:`core.salesforce.signin`), which is held in
memory only, sent only to the org's instance URL (https, no redirects: :mod:`core.transport`)
and never logged or put in a message. Salesforce's error bodies (a JSON list of
``{message, errorCode, fields}``) become :class:`OrgApiError` sentences.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from core.defaults import TIMINGS, Timings
from core.errors import AppError, CancelledError, DeployStatusUnknown, NetworkError, OrgApiError
from core.logs import register_secret
from core.text import server_text
from core.transport import make_session, network_error
from core.urls import SafeUrl

#: Seconds before the first look at a deploy's status; each later look waits twice as long, up to the poll interval.
FIRST_DEPLOY_POLL = 0.25
#: Statuses of a failed status read that are worth reading again (a status read is a GET: safe to repeat).
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: Failed status reads in a row before the deploy's outcome is called unknown (within the deploy timeout).
STATUS_READ_ATTEMPTS = 6
_API_VERSION = re.compile(r"[0-9]{1,3}\.[0-9]{1,2}")
#: Pages of one SOQL query followed at most (2,000 records each: far more than any query of this app needs).
MAX_QUERY_PAGES = 200


@dataclass(frozen=True)
class AdminSession:
    """Who is signed in to which org. The tokens never appear in repr, logs or messages."""

    instance_url: SafeUrl
    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    #: Where the admin signed in (None when the session came from a token or the Salesforce CLI).
    login_url: SafeUrl | None = None
    username: str = ""
    org_id: str = ""


@dataclass(frozen=True)
class ComponentFailure:
    component_type: str
    full_name: str
    problem: str
    problem_type: str


@dataclass(frozen=True)
class DeployOutcome:
    id: str
    status: str
    success: bool
    error_message: str
    failures: tuple[ComponentFailure, ...]


def soql_string(value: str) -> str:
    """``value`` as a SOQL string literal: quoted, with backslashes and quotes escaped."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    return f"'{escaped}'"


def soql_select(fields: str, sobject: str, **equal: str) -> str:
    """``SELECT fields FROM sobject WHERE a = 'x' AND ...``, every value an escaped literal.

    Field and object names are this module's callers' constants, never user input.
    """
    where = " AND ".join(f"{name} = {soql_string(value)}" for name, value in equal.items())
    return f"SELECT {fields} FROM {sobject}" + (f" WHERE {where}" if where else "")  # noqa: S608 - values escaped above


def error_of(response: requests.Response) -> tuple[str, str]:
    """(errorCode, message) from any of Salesforce's error shapes."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return "", server_text(response.text, 300) or f"HTTP {response.status_code}"
    items = body if isinstance(body, list) else [body]
    codes, messages = [], []
    for item in items:
        if isinstance(item, dict):
            codes.append(server_text(item.get("errorCode") or item.get("error") or "", 100))
            messages.append(server_text(item.get("message") or item.get("error_description") or "", 300))
    return (codes[0] if codes else ""), ("; ".join(m for m in messages if m)[:300] or f"HTTP {response.status_code}")


def _page_records(data: Any) -> list[dict[str, Any]]:
    """The records of one query page; anything that is not a list of objects counts as none."""
    records = data.get("records") if isinstance(data, dict) else None
    return [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []


def json_of(response: requests.Response, host: str) -> Any:
    """The answer's JSON body; a sentence when something else (a proxy, a sign-in page) answered.

    Raises OrgApiError."""
    try:
        return response.json()
    except (ValueError, RecursionError) as exc:
        raise OrgApiError(
            f"Salesforce ({host}) answered with something that is not JSON.",
            status=response.status_code,
            hint="Check the instance URL; a proxy or sign-in page may be answering instead.",
        ) from exc


class OrgClient:
    """REST calls into one org as the signed-in admin."""

    def __init__(
        self,
        admin: AdminSession,
        *,
        api_version: str = "60.0",
        session: requests.Session | None = None,
        timings: Timings = TIMINGS,
        timeout: tuple[float, float] | None = None,
    ) -> None:
        """``timings`` gives the HTTP timeout (``timeout`` overrides it) and how deploys are polled."""
        self.instance_url = admin.instance_url
        self.host = urlsplit(self.instance_url).hostname or self.instance_url
        self._token = admin.access_token
        register_secret(admin.access_token)
        if admin.refresh_token:
            register_secret(admin.refresh_token)
        self.api_version = api_version
        self._session = session or make_session()
        self._timings = timings
        self._timeout = timeout or timings.http_timeout

    # --- plumbing ------------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        headers.update(kwargs.pop("headers", {}))
        try:
            return self._session.request(
                method, f"{self.instance_url}{path}", headers=headers, timeout=self._timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise network_error(exc, what=f"Salesforce ({self.host})") from exc

    def _json(self, response: requests.Response, *, ok: tuple[int, ...] = (200,)) -> Any:
        if response.status_code in ok:
            if response.status_code == 204 or not response.content:
                return None
            return json_of(response, self.host)
        code, message = error_of(response)
        if response.status_code == 401:
            raise OrgApiError(
                f"Salesforce refused the sign-in ({code or 'HTTP 401'}: {message}).",
                status=401,
                code=code,
                hint="The session has expired or was revoked: sign in to Salesforce again.",
            )
        if response.status_code == 403:
            raise OrgApiError(
                f"Salesforce refused this for the signed-in user ({code or 'HTTP 403'}: {message}).",
                status=403,
                code=code,
                hint="Sign in as a System Administrator (or a user with Customize Application, Modify "
                "Metadata and Manage Users).",
            )
        raise OrgApiError(
            f"Salesforce answered HTTP {response.status_code} ({code + ': ' if code else ''}{message}).",
            status=response.status_code,
            code=code,
        )

    def _data(self, path: str) -> str:
        return f"/services/data/v{self.api_version}{path}"

    # --- REST ----------------------------------------------------------------------------------

    def api_versions(self) -> list[str]:
        """The org's REST API versions, oldest first (e.g. ``["59.0", "60.0", "63.0"]``)."""
        data = self._json(self._request("GET", "/services/data/"))
        if not isinstance(data, list):
            raise OrgApiError("Salesforce listed its API versions in an unexpected shape.", status=200)
        versions = [str(item.get("version")) for item in data if isinstance(item, dict) and item.get("version")]
        # Only versions Salesforce could name ("60.0"): anything else ("abc", "1e999") is left out.
        return sorted((v for v in versions if _API_VERSION.fullmatch(v)), key=lambda v: tuple(map(int, v.split("."))))

    def query(self, soql: str) -> list[dict[str, Any]]:
        """Every record a SOQL query returns, following ``nextRecordsUrl`` for at most MAX_QUERY_PAGES pages.

        The next page is only ever a path on this org (the admin's token goes nowhere else): a
        ``nextRecordsUrl`` that names another host, port or scheme, or is not a REST path, is refused.

        Raises OrgApiError (with NetworkError as every request)."""
        data = self._json(self._request("GET", self._data("/query/"), params={"q": soql}))
        records = _page_records(data)
        pages = 1
        while isinstance(data, dict) and data.get("nextRecordsUrl"):
            if pages >= MAX_QUERY_PAGES:
                raise OrgApiError(
                    f"Salesforce ({self.host}) kept answering with more pages after {MAX_QUERY_PAGES}; the query "
                    "was stopped there.",
                    status=200,
                    hint="Try again later; if it persists, the org's answers are not what Salesforce sends.",
                )
            data = self._json(self._request("GET", self._next_page(data["nextRecordsUrl"])))
            records += _page_records(data)
            pages += 1
        if soql.startswith("SELECT Id") and not all(isinstance(r.get("Id"), str) and r["Id"] for r in records):
            raise OrgApiError(
                f"Salesforce ({self.host}) answered a query with a record that has no Id.",
                status=200,
                hint="Try again; if it persists, check that the instance URL is your org's own address.",
            )
        return records

    def _next_page(self, link: object) -> str:
        """``nextRecordsUrl`` as a path on this org; OrgApiError for anything else."""
        text = link if isinstance(link, str) else ""
        try:
            parts = urlsplit(text)
        except ValueError:  # "//[::1": not a path
            parts = urlsplit("unparsable://")
        if (
            parts.scheme
            or parts.netloc
            or not text.startswith("/services/data/")
            or any(c in text for c in "@\\")
            or any(ord(c) < 0x21 or ord(c) == 0x7F for c in text)
        ):
            raise OrgApiError(
                f"Salesforce ({self.host}) pointed the next page of a query somewhere other than this org's REST "
                "API; it was not followed (the sign-in is sent only to the org itself).",
                status=200,
                hint="Check that the instance URL is your org's own address, not a proxy or another service.",
            )
        return text

    def create(self, sobject: str, fields: dict[str, Any]) -> str:
        """Insert one record; its id."""
        data = self._json(self._request("POST", self._data(f"/sobjects/{sobject}/"), json=fields), ok=(200, 201))
        if not isinstance(data, dict) or not data.get("id"):
            raise OrgApiError(f"Salesforce did not return the id of the new {sobject}.", status=201)
        return str(data["id"])

    def delete(self, sobject: str, record_id: str) -> None:
        self._json(self._request("DELETE", self._data(f"/sobjects/{sobject}/{quote(record_id)}")), ok=(204, 200))

    # --- Metadata API deploys ------------------------------------------------------------------

    def start_deploy(self, package: bytes, *, check_only: bool = False, ignore_warnings: bool = False) -> str:
        """Send a deploy (``checkOnly`` validates without changing the org); its id.

        ``ignore_warnings`` only for removals: a warning otherwise fails the deploy and rolls it back."""
        options = {
            "deployOptions": {
                "singlePackage": True,
                "rollbackOnError": True,
                "checkOnly": check_only,
                "ignoreWarnings": ignore_warnings,
            }
        }
        files = {
            "json": (None, json.dumps(options), "application/json"),
            "file": ("package.zip", package, "application/zip"),
        }
        data = self._json(self._request("POST", self._data("/metadata/deployRequest"), files=files), ok=(200, 201))
        if not isinstance(data, dict) or not data.get("id"):
            raise OrgApiError("Salesforce did not return the id of the deploy.", status=201)
        return str(data["id"])

    def deploy_outcome(self, deploy_id: str) -> DeployOutcome | None:
        """The deploy's result once it is done, or None while it runs."""
        data = self._json(
            self._request(
                "GET", self._data(f"/metadata/deployRequest/{quote(deploy_id)}"), params={"includeDetails": "true"}
            )
        )
        result = data.get("deployResult") if isinstance(data, dict) else None
        if not isinstance(result, dict):
            raise OrgApiError("Salesforce answered the deploy status in an unexpected shape.", status=200)
        if not result.get("done"):
            return None
        details = result.get("details") or {}
        raw = details.get("componentFailures") or [] if isinstance(details, dict) else []
        failures = tuple(
            ComponentFailure(
                component_type=str(item.get("componentType", "")),
                full_name=str(item.get("fullName", "")),
                problem=str(item.get("problem", "")),
                problem_type=str(item.get("problemType", "")),
            )
            for item in (raw if isinstance(raw, list) else [raw])
            if isinstance(item, dict)
        )
        return DeployOutcome(
            id=deploy_id,
            status=str(result.get("status", "")),
            success=bool(result.get("success")),
            error_message=str(result.get("errorMessage") or ""),
            failures=failures,
        )

    def deploy(
        self,
        package: bytes,
        *,
        check_only: bool = False,
        ignore_warnings: bool = False,
        cancel: Callable[[], bool] = lambda: False,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> DeployOutcome:
        """Deploy and poll to the end (the client's ``timings``: ``deploy_timeout``, ``deploy_poll_interval``).

        Once Salesforce has accepted the deploy, a status read that fails is never taken for a
        refusal: one that may pass again (a time-out, HTTP 5xx or 429) is read again, and when the
        outcome still cannot be had, DeployStatusUnknown says so.

        Raises:
            OrgApiError, NetworkError: the deploy was not accepted (nothing changed).
            DeployStatusUnknown: accepted, then its outcome could not be read (also after the timeout).
            CancelledError: cancelled while it ran (Salesforce may still finish it).
        """
        timeout, poll_interval = self._timings.deploy_timeout, self._timings.deploy_poll_interval
        deploy_id = self.start_deploy(package, check_only=check_only, ignore_warnings=ignore_warnings)
        deadline = clock() + timeout
        # A small deploy is done within a second or two: ask soon, then less and less often (up to the
        # poll interval), so a quick deploy is not kept waiting a whole interval and a slow one is not hammered.
        interval = min(FIRST_DEPLOY_POLL, poll_interval)
        failures = 0
        while True:
            try:
                outcome = self.deploy_outcome(deploy_id)
            except AppError as exc:
                failures += 1
                transient = isinstance(exc, NetworkError) or (
                    isinstance(exc, OrgApiError) and exc.status in TRANSIENT_STATUSES
                )
                if not transient or failures >= STATUS_READ_ATTEMPTS or clock() >= deadline:
                    raise self._unknown(deploy_id, f"reading its status failed: {exc.message.rstrip('.')}") from exc
                sleep(min(interval * 2**failures, poll_interval, max(deadline - clock(), 0.0)))
                continue
            failures = 0
            if outcome is not None:
                return outcome
            if cancel():
                raise CancelledError(
                    f"Stopped waiting for the deploy {deploy_id}; Salesforce may still finish it.",
                    hint="Look under Setup > Deployment Status before trying again.",
                )
            if clock() >= deadline:
                raise self._unknown(deploy_id, f"it did not finish within {timeout:.0f} seconds")
            sleep(interval)
            interval = min(interval * 2, poll_interval)

    def _unknown(self, deploy_id: str, why: str) -> DeployStatusUnknown:
        return DeployStatusUnknown(
            f"Salesforce ({self.host}) accepted the deploy {deploy_id}, but {why}; it may have been applied.",
            deploy_id=deploy_id,
            hint=f"Setup > Deployment Status shows the deploy {deploy_id} and whether it succeeded.",
        )
