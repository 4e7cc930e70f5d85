"""HTTP plumbing shared by the Salesforce and Unstructured clients.

- HTTPS only; plain http is accepted for loopback addresses (local test services).
- TLS verification always on, against the operating system's trust store (truststore), so
  corporate TLS-inspecting proxies whose root is installed on the workstation just work.
- Proxies come from the environment (HTTPS_PROXY, NO_PROXY), as requests reads them.
- Every call has an explicit (connect, read) timeout.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from urllib.parse import urlsplit

import requests

from core import APP_ID, __version__
from core.errors import InvalidInputError, NetworkError

#: (connect, read) seconds. A hung server cannot hold a call for longer than this.
DEFAULT_TIMEOUT = (5.0, 20.0)

_truststore_lock = threading.Lock()
_truststore_done = False


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in ("localhost", "localhost."):
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


def make_session() -> requests.Session:
    """A requests session that verifies TLS against the OS trust store and honours proxies."""
    _use_os_trust_store()
    session = requests.Session()
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
