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

import ipaddress
import logging
import threading
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from core import APP_ID, __version__
from core.defaults import HTTP_TIMEOUT
from core.errors import InvalidInputError, NetworkError, RedirectRefusedError

#: (connect, read) seconds. A hung server cannot hold a call for longer than this.
DEFAULT_TIMEOUT = HTTP_TIMEOUT

_truststore_lock = threading.Lock()
_truststore_done = False


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":  # not "localhost.": with the dot it is a DNS name like any other
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def require_safe_url(url: str, *, what: str) -> str:
    """Return ``url`` without trailing slash if it is HTTPS, or http on a loopback address.

    Raises:
        InvalidInputError: anything else (plain http elsewhere, no host, other schemes).
    """
    text = (url or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidInputError(
            f"The {what} '{text}' is not a web address.",
            hint="It should look like https://example.com.",
        )
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise InvalidInputError(
            f"The {what} must use https:// ({text} does not).",
            hint="Plain http is only allowed for local test services on this machine.",
        )
    if parts.username or parts.password:
        raise InvalidInputError(f"The {what} must not contain a user name or password.")
    return text.rstrip("/")


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
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


class NoRedirectSession(requests.Session):
    """A session that never follows a redirect, whatever the caller asks for.

    ``send`` is where requests decides to follow; forcing ``allow_redirects=False`` there covers
    ``request``, ``get``, ``post`` and any later helper. A redirect answer is closed unread and
    raised as :class:`RedirectRefusedError`: nothing was sent to the other address. A caller that
    says ``allow_redirects=False`` itself (``head`` does by default) gets the 3xx answer to read.
    """

    max_redirects = 0

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        wants_follow = kwargs.get("allow_redirects", True)
        kwargs["allow_redirects"] = False
        response = super().send(request, **kwargs)
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
