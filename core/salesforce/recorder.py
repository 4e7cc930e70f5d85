"""What a field check sends and gets back, kept as shapes: no token, key, certificate or consumer key.

A :class:`Recorder` hooks into a requests session (a response hook, so every call made through
it is seen, whichever layer makes it) and keeps, per exchange: the method, the path (never the
host's query values: a SOQL query is kept with each string literal as ``'?'``), the *shape* of the
request body (keys and value types; a Metadata zip as the list of its files; a deploy's options
as they are, booleans only), the status, and Salesforce's error codes and texts (control
characters removed, cut). Values are never kept, so the secrets never get in; an error text that
echoes one is scrubbed before it is cut and again at the end: every registered secret, in its
plain, URL-encoded, JSON-escaped and HTML-escaped forms, and any signed JWT (an assertion echoed
back) become ``[removed]``, and a text that still holds a secret in another encoding is dropped.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, quote_plus, unquote_plus, urlsplit

import requests

from core.text import printable

#: The longest error text kept, per text.
MAX_TEXT = 400
REMOVED = "[removed]"
#: What replaces a whole text that still held a secret after the scrub (in a form not listed).
DROPPED = "[a text that echoed a secret was left out]"
#: A signed JWT (header.payload.signature, base64url; its header always starts '{"', i.e. eyJ).
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_SOQL_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'")
#: What a SOQL literal becomes in the report: the query's shape, not its value.
_ASKED = "'?'"


@dataclass
class Exchange:
    """One request and its answer, as shapes."""

    method: str
    path: str
    request: Any = None
    #: Where it went (scheme and host: the login host, the org's instance, its My Domain). Not compared.
    origin: str = ""
    status: int = 0
    #: Salesforce's error codes and texts (REST, OAuth, or a deploy's component failures).
    errors: list[dict[str, str]] = field(default_factory=list)
    #: For a deploy's status: its state; for anything else, the answer's top-level keys.
    answer: Any = None
    seconds: float = 0.0
    #: How many times this same exchange (method, path, status, errors) came in a row (polling).
    times: int = 1

    def same_as(self, other: Exchange) -> bool:
        return (self.method, self.origin, self.path, self.status, self.errors, self.answer) == (
            other.method,
            other.origin,
            other.path,
            other.status,
            other.errors,
            other.answer,
        )

    def to_json(self) -> dict[str, Any]:
        """As JSON, without the empty parts: an exchange Salesforce raised no error on has no "errors" (a report
        listed "errors": [] nine times over), one with no body sent has no "request"."""
        data = asdict(self)
        for key in ("errors", "request", "answer"):
            if data[key] in ([], None):
                del data[key]
        return data


def shape(value: Any, *, depth: int = 0) -> Any:
    """The shape of a JSON value: dict keys kept, strings as ``"<str>"``, booleans and numbers as their type
    name (a deploy's options are the exception: see :func:`_deploy_options`)."""
    if depth > 6:
        return "<...>"
    if isinstance(value, dict):
        return {str(k): shape(v, depth=depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0], depth=depth + 1)] if value else []
    if isinstance(value, bool):
        return "<bool>"
    if isinstance(value, int | float):
        return "<number>"
    if value is None:
        return None
    return "<str>"


def _text(value: Any) -> str:
    """A server's text, printable and whole (the recorder scrubs it, then cuts it to MAX_TEXT)."""
    return printable(str(value))


def _path(url: str) -> str:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    if "q" in query:  # SOQL: what was asked, without the values
        return f"{parts.path}?q={_SOQL_LITERAL.sub(_ASKED, query['q'][0])}"
    return parts.path + (f"?{'&'.join(sorted(query))}" if query else "")


def _multipart(body: bytes, content_type: str) -> dict[str, Any]:
    """A Metadata deploy's two parts: its options (as they are: booleans) and the zip's file list."""
    boundary = content_type.split("boundary=", 1)[-1].strip().strip('"').encode()
    parts: dict[str, Any] = {}
    for chunk in body.split(b"--" + boundary):
        head, _, data = chunk.partition(b"\r\n\r\n")
        name = re.search(rb'name="([^"]+)"', head)
        if not name:
            continue
        data = data.rstrip(b"\r\n-")
        key = name.group(1).decode("ascii", "replace")
        if b"application/zip" in head:
            try:
                parts[key] = {"zip": sorted(zipfile.ZipFile(io.BytesIO(data)).namelist())}
            except zipfile.BadZipFile:
                parts[key] = {"zip": "<not a zip>"}
        else:
            try:
                parts[key] = _deploy_options(json.loads(data))
            except ValueError:
                parts[key] = "<str>"
    return parts


def _deploy_options(value: Any) -> Any:
    """A deploy's options are settings, not data: booleans kept as they are, anything else as its shape."""
    if isinstance(value, dict):
        return {str(k): v if isinstance(v, bool) else _deploy_options(v) for k, v in value.items()}
    return shape(value)


def _request_shape(request: requests.PreparedRequest) -> Any:
    body = request.body
    if not body:
        return None
    content_type = str(request.headers.get("Content-Type", ""))
    raw = body if isinstance(body, bytes) else str(body).encode("utf-8", "replace")
    if content_type.startswith("multipart/form-data"):
        return _multipart(raw, content_type)
    if content_type.startswith("application/x-www-form-urlencoded"):
        return {k: "<str>" for k in parse_qs(raw.decode("ascii", "replace"))}
    try:
        return shape(json.loads(raw))
    except ValueError:
        return "<bytes>"


def _errors_and_answer(response: requests.Response) -> tuple[list[dict[str, str]], Any]:
    try:
        body = response.json()
    except (ValueError, RecursionError):
        text = " ".join(response.text.split())
        return ([{"text": _text(text)}] if response.status_code >= 400 and text else []), None
    if isinstance(body, list):
        errors = [
            {"code": _text(item.get("errorCode", "")), "text": _text(item.get("message", ""))}
            for item in body
            if isinstance(item, dict)
        ]
        return errors, None if errors else shape(body)
    if not isinstance(body, dict):
        return [], shape(body)
    if "error" in body:  # OAuth
        return [{"code": _text(body.get("error", "")), "text": _text(body.get("error_description", ""))}], None
    result = body.get("deployResult")
    if isinstance(result, dict):
        details = result.get("details") or {}
        failures = details.get("componentFailures") or [] if isinstance(details, dict) else []
        failures = failures if isinstance(failures, list) else [failures]
        errors = [
            {
                "code": _text(f.get("problemType", "")),
                "component": _text(f"{f.get('componentType', '')} {f.get('fullName', '')}".strip()),
                "text": _text(f.get("problem", "")),
            }
            for f in failures
            if isinstance(f, dict)
        ]
        if result.get("errorMessage"):
            errors.append({"code": _text(result.get("errorStatusCode", "")), "text": _text(result["errorMessage"])})
        state = {k: result.get(k) for k in ("done", "success", "status", "checkOnly") if k in result}
        return errors, state
    return [], sorted(body)


class Recorder:
    """Records the exchanges of every request made through the sessions it is :meth:`attach`\\ ed to."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self._secrets: set[str] = set()

    def attach(self, session: requests.Session) -> requests.Session:
        session.hooks.setdefault("response", []).append(self._on_response)
        return session

    def secret(self, *values: str | bytes | None) -> None:
        """Values that must never appear in the report (removed from any text that echoes them)."""
        for value in values:
            text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
            for piece in (text or "").splitlines() if text and "-----BEGIN" in text else [text or ""]:
                if len(piece.strip()) >= 8 and not piece.startswith("-----"):
                    self._secrets.add(piece.strip())

    def _on_response(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        request = response.request
        errors, answer = _errors_and_answer(response)
        url = urlsplit(str(request.url))
        exchange = Exchange(
            method=str(request.method),
            path=_path(str(request.url)),
            origin=f"{url.scheme}://{url.netloc}",
            request=_request_shape(request),
            status=response.status_code,
            errors=errors,
            answer=answer,
            seconds=round(response.elapsed.total_seconds(), 3),
        )
        exchange.errors = [{k: self.scrub(v)[:MAX_TEXT] for k, v in e.items()} for e in exchange.errors]
        if self.exchanges and self.exchanges[-1].same_as(exchange):
            self.exchanges[-1].times += 1
        else:
            self.exchanges.append(exchange)
        return response

    def take(self) -> list[Exchange]:
        """The exchanges since the last take."""
        taken, self.exchanges = self.exchanges, []
        return taken

    def scrub(self, value: Any) -> Any:
        """``value`` (the report's JSON) with every registered secret replaced."""
        if isinstance(value, dict):
            return {k: self.scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        if isinstance(value, str):
            return self._scrub_text(value)
        return value

    def _scrub_text(self, text: str) -> str:
        text = _JWT.sub(REMOVED, text)
        for secret in sorted(self._secrets, key=len, reverse=True):
            for form in _encodings(secret):
                text = text.replace(form, REMOVED)
        unescaped = html.unescape(text).replace("\\/", "/")
        decoded = {text, unquote_plus(text), unescaped, unquote_plus(unescaped)}
        if any(secret in form for secret in self._secrets for form in decoded) or any(
            _JWT.search(form) for form in decoded
        ):
            return DROPPED
        return text


def _encodings(secret: str) -> list[str]:
    """The forms a server may echo ``secret`` in: as it is, URL-encoded, JSON-escaped, HTML-escaped."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1], html.escape(secret)}
    forms |= {quote(secret), json.dumps(secret)[1:-1].replace("/", "\\/")}
    return sorted(forms, key=len, reverse=True)
