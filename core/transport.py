"""HTTP plumbing shared by the Salesforce and Unstructured clients.

- HTTPS only; plain http is accepted for loopback addresses (local test services).
- TLS verification always on, against the operating system's trust store (truststore), so
  corporate TLS-inspecting proxies whose root is installed on the workstation just work.
- Proxies come from the environment (HTTPS_PROXY, NO_PROXY), as requests reads them.
- Every call has an explicit (connect, read) timeout.
- No request ever follows a redirect: a redirect would carry the API key header, a private key
  in a body or a signed assertion to whatever origin the server names, past the https rule. A
  redirect is an error that names where it pointed, so the admin can put that address in the
  settings, where the URL rules apply.
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import requests.adapters
import urllib3
import urllib3.connection

from core import APP_ID, __version__
from core.defaults import HTTP_TIMEOUT
from core.errors import NetworkError, RedirectRefusedError

#: (connect, read) seconds. A hung server cannot hold a call for longer than this.
DEFAULT_TIMEOUT = HTTP_TIMEOUT

_truststore_lock = threading.Lock()
_truststore_done = False


def _use_os_trust_store() -> None:
    global _truststore_done
    with _truststore_lock:
        if _truststore_done:
            return
        try:
            import truststore

            truststore.inject_into_ssl()
        except Exception:  # noqa: BLE001 - fall back to certifi's bundle, still verified
            logging.getLogger(__name__).warning("OS trust store unavailable; using the bundled CA list")
        _truststore_done = True


def _origin(url: str) -> str:
    """``scheme://host[:port]/path`` of ``url``: no query, fragment or credentials, which may hold tokens."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a server's Location that is no URL at all
        return "(an address that is not a URL)"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{port}{parts.path}"


#: The most any answer may hold: larger bodies are refused while they arrive, never held in memory.
MAX_BODY_BYTES = 10 * 1024 * 1024

_in_flight = threading.local()  # the socket of this thread's request, for the deadline to cut


def _register_socket(connection: Any) -> None:
    holder = getattr(_in_flight, "holder", None)
    if holder is not None:
        holder["sock"] = getattr(connection, "sock", None)


class _SocketTracking:
    """Says which socket a request uses (see ``_in_flight``); mixed into urllib3's connections."""

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]  # the urllib3 connection this is mixed into
        _register_socket(self)  # a new connection: its socket exists only now

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register_socket(self)  # a reused connection
        super().request(*args, **kwargs)  # type: ignore[misc]  # the urllib3 connection this is mixed into


class _TrackedHTTPConnection(_SocketTracking, urllib3.connection.HTTPConnection):
    pass


class _TrackedHTTPSConnection(_SocketTracking, urllib3.connection.HTTPSConnection):
    pass


class _TrackedHTTPConnectionPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _TrackedHTTPSConnectionPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


class _TrackedAdapter(requests.adapters.HTTPAdapter):
    """Connections that say which socket a request uses, so that a deadline can shut it."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _TrackedHTTPConnectionPool,
            "https": _TrackedHTTPSConnectionPool,
        }

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = {"http": _TrackedHTTPConnectionPool, "https": _TrackedHTTPSConnectionPool}
        return manager


class DeadlineExceeded(requests.exceptions.Timeout):
    """The whole request (connect, headers and body) took longer than its deadline."""


class ResponseTooLarge(requests.exceptions.ContentDecodingError):
    """The answer's body was larger than :data:`MAX_BODY_BYTES`."""


class NoRedirectSession(requests.Session):
    """A session that never follows a redirect, whatever the caller asks for.

    ``send`` is where requests decides to follow; forcing ``allow_redirects=False`` there covers
    ``request``, ``get``, ``post`` and any later helper. A redirect answer is closed unread and
    raised as :class:`RedirectRefusedError`: nothing was sent to the other address. A caller that
    says ``allow_redirects=False`` itself (``head`` does by default) gets the 3xx answer to read.
    """

    max_redirects = 0
    max_body_bytes = MAX_BODY_BYTES

    def __init__(self) -> None:
        super().__init__()
        for prefix in ("https://", "http://"):
            self.mount(prefix, _TrackedAdapter())

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        wants_follow = kwargs.get("allow_redirects", True)
        kwargs["allow_redirects"] = False
        response = self._send_within_deadline(request, kwargs)
        if response.is_redirect and wants_follow:
            source = _origin(str(request.url or ""))
            target = _origin(urljoin(str(request.url or ""), response.headers.get("Location", "")))
            status = response.status_code
            response.close()
            raise RedirectRefusedError(
                f"{source} answered with a redirect (HTTP {status}) to {target}; "
                "the app does not follow redirects, so nothing was sent there.",
                hint="If that address is the right one, enter it in the settings instead (for example as the "
                "API URL); otherwise check the address and any proxy in between.",
                location=target,
            )
        return response

    def _send_within_deadline(self, request: requests.PreparedRequest, kwargs: dict[str, Any]) -> requests.Response:
        """``send``, cut off when connect + headers + body take longer than connect + read timeout together.

        A socket timeout applies to each read, so a server sending one byte a second could hold a
        call for ever; here a timer shuts the request's socket at the deadline, which ends any read.
        """
        timeout = kwargs.get("timeout")
        if isinstance(timeout, tuple):
            deadline = float(timeout[0] or 0) + float(timeout[1] or 0)
        elif isinstance(timeout, (int, float)):
            deadline = 2 * float(timeout)
        else:
            deadline = sum(HTTP_TIMEOUT)
        holder: dict[str, Any] = {"sock": None, "expired": False}

        def expire() -> None:
            holder["expired"] = True
            sock = holder["sock"]
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        timer = threading.Timer(deadline, expire)
        timer.daemon = True
        _in_flight.holder = holder
        wanted_stream = kwargs.get("stream", False)
        kwargs["stream"] = True
        timer.start()
        try:
            response = super().send(request, **kwargs)
            if not wanted_stream:
                response._content = self._read_capped(response)
                response._content_consumed = True
            if holder["expired"]:  # cut mid-answer: what arrived may look complete, but is not
                response.close()
                raise DeadlineExceeded(f"no complete answer within {deadline:.0f} s")
            return response
        except requests.RequestException as exc:
            if holder["expired"]:
                raise DeadlineExceeded(f"no complete answer within {deadline:.0f} s") from exc
            raise
        finally:
            timer.cancel()
            _in_flight.holder = None

    def _read_capped(self, response: requests.Response) -> bytes:
        chunks, size = [], 0
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > self.max_body_bytes:
                response.close()
                raise ResponseTooLarge(f"the answer is larger than {self.max_body_bytes // (1024 * 1024)} MB")
            chunks.append(chunk)
        return b"".join(chunks)


def make_session() -> requests.Session:
    """A requests session that verifies TLS against the OS trust store, honours proxies and never redirects."""
    _use_os_trust_store()
    session = NoRedirectSession()
    session.headers["User-Agent"] = f"{APP_ID}/{__version__}"
    session.verify = True
    session.trust_env = True
    return session


def network_error(exc: requests.RequestException, *, what: str) -> NetworkError:
    """Turn a requests failure into a sentence: timeout, TLS, proxy, or unreachable."""
    if isinstance(exc, requests.exceptions.SSLError):
        return NetworkError(
            f"The secure connection to {what} could not be verified.",
            hint="If your company inspects TLS traffic, its root certificate must be installed in "
            "the operating system's trust store.",
        )
    if isinstance(exc, requests.exceptions.ProxyError):
        return NetworkError(
            f"The proxy refused or failed the connection to {what}.",
            hint="Check HTTPS_PROXY / NO_PROXY and the proxy's credentials.",
        )
    if isinstance(exc, DeadlineExceeded):
        return NetworkError(
            f"{what} did not finish answering in time ({exc}).",
            hint="The server is answering too slowly; try again later, or check the proxy.",
        )
    if isinstance(exc, ResponseTooLarge):
        return NetworkError(
            f"{what} sent an answer too large to be what was asked for ({exc}).",
            hint="Check the address: something other than the expected service may be answering.",
        )
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return NetworkError(
            f"{what} did not accept a connection in time.",
            hint="Check your network or proxy settings and try again.",
        )
    if isinstance(exc, requests.exceptions.Timeout):
        return NetworkError(f"{what} did not answer in time.", hint="Try again in a moment.")
    return NetworkError(
        f"Could not reach {what}.",
        hint="Check your network connection, proxy settings (HTTPS_PROXY) and the address.",
    )
