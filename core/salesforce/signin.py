"""The admin's one sign-in: OAuth 2.0 authorization code with PKCE (S256) in the system browser.

A one-shot listener on 127.0.0.1 takes the redirect (``http://localhost:PORT/OauthRedirect``),
checks ``state``, and the code is exchanged for tokens with the verifier. The default client is
the Salesforce CLI's public one (``PlatformCLI``, port 1717), which orgs allow unless API Access
Control restricts them; ``client_id``/``port`` name an org's own app instead. Tokens are
returned in memory only.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import re
import secrets
import shlex
import shutil
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from core.defaults import CONNECTOR_LOGIN_URL, HTTP_TIMEOUT, SIGN_IN_CLIENT_ID, SIGN_IN_PORT, TIMINGS
from core.errors import CancelledError, InvalidInputError, SignInError
from core.logs import register_secret
from core.salesforce.org import AdminSession
from core.text import duration, printable
from core.transport import make_session, network_error
from core.urls import SafeUrl

if TYPE_CHECKING:
    from core.storage.settings import SalesforceAppRecord

REDIRECT_PATH = "/OauthRedirect"
#: refresh_token only when the admin asks to keep one for later certificate replacements.
SCOPES = "api web"


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()
    return verifier, challenge


def redirect_uri(port: int) -> str:
    return f"http://localhost:{port}{REDIRECT_PATH}"


def authorize_url(
    *, login_url: SafeUrl, client_id: str, port: int, challenge: str, state: str, offline: bool = False
) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri(port),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": state,
        "scope": SCOPES + (" refresh_token" if offline else ""),
        "prompt": "login consent",
    }
    return f"{login_url}/services/oauth2/authorize?{urlencode(query)}"


class _Redirect:
    """What the browser brought back."""

    def __init__(self) -> None:
        self.params: dict[str, str] | None = None
        self.arrived = threading.Event()


def _handler(expected_state: str, result: _Redirect) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server protocol
            parts = urlsplit(self.path)
            if parts.path != REDIRECT_PATH:
                self.send_error(404)
                return
            # The browser's answer is data: its words reach our messages without a control character.
            params = {k: printable(v[0]) for k, v in parse_qs(parts.query).items()}
            if params.get("state") != expected_state:
                # Not our sign-in (or a forged one): ignored, the listener keeps waiting.
                self._page(400, "This sign-in answer does not belong to the wizard's request. Close this tab.")
                return
            result.params = params
            result.arrived.set()
            if "error" in params:
                self._page(200, "Salesforce did not grant access. You can close this tab and go back to the wizard.")
            else:
                self._page(200, "Signed in. You can close this tab and go back to the wizard.")

        def _page(self, status: int, text: str) -> None:
            body = f"<!doctype html><title>Salesforce Connector Wizard</title><p>{text}</p>".encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the query holds the code: never logged
            return

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a connection left open never holds the process
    # On Windows SO_REUSEADDR lets a second socket bind a port that is in use, and take its connections:
    # another program could then answer for the sign-in. There the port is taken exclusively instead.
    allow_reuse_address = sys.platform != "win32"

    def server_bind(self) -> None:
        if sys.platform == "win32":
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        super().server_bind()


class _Server6(_Server):
    address_family = socket.AF_INET6


#: Seconds a connection to the listener may stay silent: an idle or half-sent request is dropped.
CONNECTION_TIMEOUT = 5.0


class LoopbackListener:
    """Bound at construction to the port on both addresses the redirect's ``localhost`` can mean
    (127.0.0.1 and ::1), so a busy port is reported before the browser opens and no other program
    can answer for one of them. Each connection is served on its own thread with a read timeout,
    so an idle or partial connection cannot hold the real answer; :meth:`close` ends every thread."""

    def __init__(self, port: int, state: str) -> None:
        self.port = port
        self._result = _Redirect()
        handler = _handler(state, self._result)
        handler.timeout = CONNECTION_TIMEOUT
        self._servers: list[ThreadingHTTPServer] = []
        self._threads: list[threading.Thread] = []
        try:
            self._servers.append(_Server(("127.0.0.1", port), handler))
            try:
                self._servers.append(_Server6(("::1", port), handler))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise
                # No IPv6 loopback on this computer: then nothing else can listen there either.
        except OSError as exc:
            self.close()
            raise SignInError(
                f"Port {port} on this computer is in use, so the sign-in cannot receive Salesforce's answer.",
                hint="Close the program using it (often a Salesforce CLI sign-in in progress), or choose "
                "another port with an app of your own (--client-id and --redirect-port).",
            ) from exc
        self._threads = [
            threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="sign-in listener", daemon=True
            )
            for server in self._servers
        ]
        for thread in self._threads:
            thread.start()

    def wait(self, *, timeout: float, cancelled: Callable[[], bool]) -> dict[str, str]:
        """The redirect's query parameters. Raises SignInError on timeout, CancelledError if cancelled."""
        deadline = time.monotonic() + timeout
        try:
            while not self._result.arrived.wait(0.2):
                if cancelled():
                    raise CancelledError("The sign-in was cancelled.")
                if time.monotonic() >= deadline:
                    raise SignInError(
                        f"No answer from the browser within {duration(timeout)}.",
                        hint="Sign in again; if the browser showed an error, it names the cause.",
                    )
            assert self._result.params is not None
            return self._result.params
        finally:
            self.close()

    def close(self) -> None:
        """Stop listening; returns once every listening thread has ended (idempotent)."""
        for server, thread in zip(self._servers, self._threads, strict=False):
            if thread.is_alive():
                server.shutdown()
        for server in self._servers:
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=10)  # shut down: it ends within one poll interval


def _token_request(
    base: str, form: dict[str, str], session: requests.Session | None, timeout: tuple[float, float]
) -> tuple[int, dict[str, Any] | None]:
    """POST to the token endpoint; (status, JSON body or None). Raises NetworkError."""
    http = session or make_session()
    try:
        response = http.post(f"{base}/services/oauth2/token", data=form, timeout=timeout)
    except requests.RequestException as exc:
        raise network_error(exc, what=f"Salesforce ({urlsplit(base).hostname})") from exc
    try:
        body = response.json()
    except (ValueError, RecursionError):
        body = None
    return response.status_code, body if isinstance(body, dict) else None


def exchange_code(
    *,
    login_url: SafeUrl,
    client_id: str,
    port: int,
    code: str,
    verifier: str,
    session: requests.Session | None = None,
    timeout: tuple[float, float] = HTTP_TIMEOUT,
) -> AdminSession:
    """Trade the authorization code for the admin's tokens. Raises SignInError or NetworkError."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": client_id,
        "redirect_uri": redirect_uri(port),
        "code_verifier": verifier,
    }
    status, body = _token_request(login_url, form, session, timeout)
    if status != 200 or body is None:
        error = str(body.get("error", "")) if body else f"HTTP {status}"
        description = str(body.get("error_description", "")) if body else ""
        raise SignInError(
            f"Salesforce did not complete the sign-in ({error}{': ' + description if description else ''}).",
            hint="Sign in again. If your org restricts which apps may connect (API Access Control), use an "
            "app of your own with --client-id.",
        )
    token, instance, identity = body.get("access_token"), body.get("instance_url"), body.get("id")
    if not isinstance(token, str) or not token or not isinstance(instance, str) or not instance:
        raise SignInError("Salesforce's answer to the sign-in held no session.", hint="Sign in again.")
    register_secret(token)
    refresh = body.get("refresh_token") if isinstance(body.get("refresh_token"), str) else None
    if refresh:
        register_secret(refresh)
    org_id = ""
    if isinstance(identity, str):
        try:
            parts = [p for p in urlsplit(identity).path.split("/") if p]
        except ValueError:  # the server's text, not an identity URL
            parts = []
        org_id = parts[-2] if len(parts) >= 3 and parts[-3] == "id" else ""
    return AdminSession(
        instance_url=SafeUrl(instance, what="instance URL"),
        access_token=token,
        refresh_token=refresh,
        login_url=login_url,
        org_id=org_id,
    )


def sign_in(
    *,
    open_browser: Callable[[str], bool],
    login_url: SafeUrl = CONNECTOR_LOGIN_URL,
    client_id: str = SIGN_IN_CLIENT_ID,
    port: int = SIGN_IN_PORT,
    offline: bool = False,
    timeout: float = TIMINGS.sign_in_timeout,
    cancelled: Callable[[], bool] = lambda: False,
    on_url: Callable[[str], None] | None = None,
    session: requests.Session | None = None,
) -> AdminSession:
    """Open the browser at Salesforce's sign-in and wait (up to ``timeout``) for the admin's answer.

    Raises:
        InvalidInputError: a bad port or login URL (before anything opens).
        SignInError: the port is busy, the admin denied access, nothing arrived in time, or the
            token exchange failed.
        CancelledError: ``cancelled()`` became true.
    """
    if not 1024 <= port <= 65535:
        raise InvalidInputError("The redirect port must be between 1024 and 65535.", field="redirect_port")
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(24)
    url = authorize_url(
        login_url=login_url, client_id=client_id, port=port, challenge=challenge, state=state, offline=offline
    )
    listener = LoopbackListener(port, state)
    if on_url is not None:
        on_url(url)
    if not open_browser(url):
        listener.close()
        raise SignInError(
            "No browser could be opened on this computer.",
            hint="Sign in on a computer with a browser, or use --instance-url with SF_ACCESS_TOKEN.",
        )
    params = listener.wait(timeout=timeout, cancelled=cancelled)
    if "error" in params:
        raise sign_in_refusal(params.get("error", ""), params.get("error_description", ""))
    code = params.get("code", "")
    if not code:
        raise SignInError("Salesforce's answer held no authorization code.", hint="Sign in again.")
    return exchange_code(
        login_url=login_url, client_id=client_id, port=port, code=code, verifier=verifier, session=session
    )


#: Why orgs refuse the Salesforce CLI's client, and the way out: (words in the error or its description, sentence).
_OTHER_APP = (
    "or sign in with an app of your org's own (Advanced options \u2192 Sign in with, or the command line's "
    "--client-id), or with a Salesforce CLI login or an access token."
)
_REFUSALS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (
        ("oauth_app_blocked", "blocked"),
        "Your org blocks the Salesforce CLI's app, which the sign-in uses.",
        "In Setup \u2192 Connected Apps OAuth Usage, find Salesforce CLI and choose Unblock; " + _OTHER_APP,
    ),
    (
        ("must be installed", "not installed", "uninstalled"),
        "The Salesforce CLI's app is not installed in your org. Since September 2025 an uninstalled app may only be "
        "used by users with the permission Approve Uninstalled Connected Apps, which the System Administrator "
        "profile has and custom profiles do not.",
        "Install it (Setup \u2192 Connected Apps OAuth Usage \u2192 Salesforce CLI \u2192 Install), sign in as a "
        "System Administrator, " + _OTHER_APP,
    ),
    (
        ("invalid_app_access", "not admin approved"),
        "Your org lets only approved users use the Salesforce CLI's app (API Access Control, or admin-approved "
        "users only); since December 2025 Use Any API Client no longer lets users approve it themselves.",
        "Have an administrator allow Salesforce CLI for your profile or permission set (Setup \u2192 Connected "
        "Apps OAuth Usage \u2192 Salesforce CLI), sign in as a System Administrator, " + _OTHER_APP,
    ),
)


def sign_in_refusal(error: str, description: str) -> SignInError:
    """Salesforce's refusal of the admin's sign-in as a sentence with the way out (its words are kept)."""
    if error == "access_denied" and "blocked" not in description.lower():
        return SignInError("You did not allow access in the browser.", hint="Sign in again and choose Allow.")
    words = f"{error}: {description}" if description else error
    said = f"{error} {description}".lower()
    for markers, sentence, way_out in _REFUSALS:
        if any(marker in said for marker in markers):
            return SignInError(f"{sentence} (Salesforce said: {words}.)", hint=way_out)
    return SignInError(
        f"Salesforce refused the sign-in ({words}).",
        hint="If your org restricts connected apps (API Access Control), " + _OTHER_APP,
    )


def session_from_token(*, instance_url: str, access_token: str) -> AdminSession:
    """A session from an instance URL and an access token the admin already has (SF_ACCESS_TOKEN).

    Raises:
        InvalidInputError: no token, or an unsafe instance URL.
    """
    token = (access_token or "").strip()
    if not token:
        raise InvalidInputError(
            "No Salesforce access token is set.",
            field="access_token",
            hint="Set SF_ACCESS_TOKEN (for example from 'sf org display --verbose'); it is never taken as an argument.",
        )
    if not (token.isascii() and token.isprintable()) or any(c.isspace() for c in token):
        raise InvalidInputError(  # never the token itself in the message
            "SF_ACCESS_TOKEN holds characters an access token never has (a line break, a space, or a letter "
            "outside ASCII): it was not sent.",
            field="access_token",
            hint="Copy it again from 'sf org display --verbose' (the Access Token line only) and set it again.",
        )
    register_secret(token)
    return AdminSession(instance_url=SafeUrl(instance_url, what="instance URL"), access_token=token)


#: What a Salesforce CLI alias or username may hold: also what keeps a ``.cmd`` shim on Windows, run
#: through cmd.exe, from reading any of it as a command.
_SF_ALIAS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,254}$")
#: CLIs from plugin-org 5.11.1 on print this in place of the token in ``org display --verbose``.
_REDACTED = "[REDACTED]"


def _sf_json(exe: str, arguments: list[str], timeout: float) -> tuple[int, dict[str, Any]]:
    """Run ``sf ARGUMENTS`` (never through a shell) and read its JSON answer: (exit code, answer)."""
    import json
    import subprocess

    try:
        done = subprocess.run([exe, *arguments], capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SignInError(f"The Salesforce CLI did not answer ({type(exc).__name__}).") from exc
    try:  # bytes: output in another encoding (a Windows code page) is no answer, not an unexpected error
        answer = json.loads(done.stdout.decode("utf-8") or "{}")
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        answer = {}
    return done.returncode, answer if isinstance(answer, dict) else {}


def session_from_sf_cli(target_org: str, *, sf: str | None = None, timeout: float = 60.0) -> AdminSession:
    """Reuse a Salesforce CLI login: the org from ``sf org display --target-org ALIAS --verbose --json``,
    its access token from there on older CLIs, else from ``sf org auth show-access-token``.

    Current CLIs print ``[REDACTED] Use 'sf org auth show-access-token' to view`` in place of the
    token; that text is never taken for a token. The token is read from the command's output (never
    shown); only the alias is on its command line.

    Raises:
        InvalidInputError: no alias, an alias no CLI would accept, or ``sf`` is not installed.
        SignInError: ``sf`` does not know the org or its answer holds no session.
    """
    alias = (target_org or "").strip()
    if not alias:
        raise InvalidInputError("Name the org by its Salesforce CLI alias or username.", field="sf_org")
    if not _SF_ALIAS.match(alias):
        raise InvalidInputError(
            f"'{printable(alias)}' is not a Salesforce CLI alias or username.",
            field="sf_org",
            hint="Aliases and usernames hold letters, digits and . _ @ + - only ('sf alias list' shows yours).",
        )
    exe = sf or shutil.which("sf")
    if not exe:
        raise InvalidInputError(
            "The Salesforce CLI (sf) is not installed on this computer.",
            field="sf_org",
            hint="Sign in through the browser instead (leave out --sf-org).",
        )
    code, answer = _sf_json(exe, ["org", "display", "--target-org", alias, "--verbose", "--json"], timeout)
    result = answer.get("result")
    if code != 0 or not isinstance(result, dict):
        words = printable(str(answer.get("message", "")))
        raise SignInError(
            f"The Salesforce CLI has no usable login for '{alias}'{': ' + words[:200] if words else ''}.",
            hint=f"Run 'sf org login web --alias {shlex.quote(alias)}' first, or sign in through the browser.",
        )
    token, instance = result.get("accessToken"), result.get("instanceUrl")
    if not isinstance(token, str) or not token.strip() or token.startswith(_REDACTED):
        # From plugin-org 5.11.1 the token is shown only through its own command.
        code, shown = _sf_json(exe, ["org", "auth", "show-access-token", "--target-org", alias, "--json"], timeout)
        shown_result = shown.get("result")
        token = shown_result.get("accessToken") if code == 0 and isinstance(shown_result, dict) else None
    if not isinstance(token, str) or not token.strip() or token.startswith(_REDACTED) or not isinstance(instance, str):
        raise SignInError(
            f"The Salesforce CLI did not give an access token for '{alias}'.",
            hint="Update the Salesforce CLI (sf update), or sign in through the browser instead.",
        )
    register_secret(token)
    return AdminSession(
        instance_url=SafeUrl(instance, what="instance URL"),
        access_token=token,
        username=str(result.get("username") or ""),
        org_id=str(result.get("id") or ""),
    )


def refresh_entry(org_id: str) -> str:
    """The keyring entry of an org's kept sign-in (a refresh token)."""
    return f"salesforce-refresh:{org_id}"


def refresh_session(
    *,
    login_url: SafeUrl,
    client_id: str,
    refresh_token: str,
    session: requests.Session | None = None,
    timeout: tuple[float, float] = HTTP_TIMEOUT,
) -> AdminSession:
    """A new access token from a kept refresh token, without the browser.

    Raises:
        SignInError: Salesforce refused (revoked, expired, or the app's policy changed): sign in again.
    """
    register_secret(refresh_token)
    form = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": refresh_token}
    status, body = _token_request(login_url, form, session, timeout)
    token = body.get("access_token") if body else None
    instance = body.get("instance_url") if body else None
    if status != 200 or not isinstance(token, str) or not token or not isinstance(instance, str):
        error = str(body.get("error", "")) if body else f"HTTP {status}"
        raise SignInError(
            f"The kept Salesforce sign-in no longer works ({error or 'no session'}).",
            hint="Sign in again (and keep the sign-in again if you want), or run forget-org to remove it.",
        )
    register_secret(token)
    return AdminSession(
        instance_url=SafeUrl(instance, what="instance URL"),
        access_token=token,
        refresh_token=refresh_token,
        login_url=login_url,
    )


def kept_session(
    app: SalesforceAppRecord,
    *,
    read_secret: Callable[[str], str | None],
    login_url: SafeUrl = CONNECTOR_LOGIN_URL,
    client_id: str = SIGN_IN_CLIENT_ID,
    timeout: tuple[float, float] = HTTP_TIMEOUT,
) -> AdminSession | None:
    """A session from the sign-in kept for the app's org, or None when none was kept.

    Raises:
        SignInError: a sign-in was kept but Salesforce refused it (revoked or expired): sign in again.
    """
    refresh = read_secret(refresh_entry(app.org_id)) if app.sign_in_kept else None
    if not refresh:
        return None
    return refresh_session(
        login_url=app.login_host() or login_url, client_id=client_id, refresh_token=refresh, timeout=timeout
    )
