"""Environment diagnosis: versions, keyring, paths, proxies, clock and reachability."""

from __future__ import annotations

import email.utils
import os
import platform
import ssl
import sys
import time
from dataclasses import dataclass
from importlib import metadata

import requests

from core import APP_NAME, __version__
from core.defaults import CONNECTOR_LOGIN_URL
from core.errors import AppError
from core.storage.secret_store import SecretStore
from core.storage.settings import config_dir, log_dir
from core.transport import make_session, network_error
from core.unstructured.client import API_PREFIX, normalise_api_url
from core.urls import SafeUrl

#: JWT exp is now + 3 minutes: beyond this offset Salesforce may reject the login.
CLOCK_WARN_SECONDS = 60
_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy")


@dataclass(frozen=True)
class Finding:
    label: str
    value: str
    ok: bool = True


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cryptography_openssl() -> str:
    """The OpenSSL that cryptography links (it ships its own), which makes the keys."""
    from cryptography.hazmat.backends.openssl import backend

    return str(backend.openssl_version_text())


def offline_findings(store: SecretStore) -> list[Finding]:
    """Everything that needs no network. Never imports Qt (reads the package metadata)."""
    import cryptography

    findings = [
        Finding("App", f"{APP_NAME} {__version__}"),
        Finding("Python", f"{platform.python_version()} ({sys.executable})"),
        Finding("Platform", platform.platform()),
        Finding(
            "Qt (PySide6)",
            _version("PySide6-Essentials")
            if _version("PySide6-Essentials") != "not installed"
            else _version("PySide6"),
        ),
        Finding("cryptography", cryptography.__version__),
        Finding("OpenSSL (keys)", _cryptography_openssl()),
        Finding("OpenSSL (TLS)", ssl.OPENSSL_VERSION),
        Finding("requests", _version("requests")),
    ]
    backend = store.backend_name()
    try:
        store.check()
        findings.append(Finding("Keyring", f"{backend} (round-trip OK)"))
    except AppError as exc:
        findings.append(Finding("Keyring", f"{backend}: {exc}", ok=False))
    findings.append(Finding("Config folder", str(config_dir())))
    findings.append(Finding("Log folder", str(log_dir())))
    proxies = [f"{name}={_mask_proxy(os.environ[name])}" for name in _PROXY_VARS if os.environ.get(name)]
    findings.append(Finding("Proxy", ", ".join(proxies) if proxies else "none set (direct connection)"))
    return findings


def _mask_proxy(value: str) -> str:
    # Proxy URLs may carry user:password@, and the password may itself contain '@': everything
    # between the scheme and the *last* '@' is hidden.
    if "@" in value:
        before, _, host = value.rpartition("@")
        scheme = before.split("//", 1)[0] + "//" if "//" in before else ""
        return f"{scheme}***@{host}"
    return value


def clock_offset(url: str, session: requests.Session, *, timeout: float = 10.0) -> float:
    """Seconds this computer's clock is ahead (+) or behind (-) the server's Date header.

    Raises NetworkError if the server cannot be reached or sends no Date.
    """
    before = time.time()
    try:
        response = session.head(url, timeout=(5.0, timeout), allow_redirects=False)
    except requests.RequestException as exc:
        raise network_error(exc, what=url) from exc
    after = time.time()
    header = response.headers.get("Date")
    parsed = email.utils.parsedate_to_datetime(header) if header else None
    if parsed is None:
        raise AppError(f"{url} sent no Date header.")
    return (before + after) / 2 - parsed.timestamp()


def online_findings(
    *, api_url: str, login_url: SafeUrl = CONNECTOR_LOGIN_URL, session: requests.Session | None = None
) -> list[Finding]:
    """Clock offset and reachability of Salesforce's login host and the Unstructured API."""
    http = session or make_session()
    findings = []
    try:
        offset = clock_offset(login_url, http)
        ok = abs(offset) <= CLOCK_WARN_SECONDS
        note = "" if ok else " - fix the clock: Salesforce rejects logins whose time is off"
        findings.append(Finding("Clock offset", f"{offset:+.1f} s against {login_url}{note}", ok=ok))
        findings.append(Finding("Salesforce login", f"{login_url} reachable"))
    except AppError as exc:
        findings.append(Finding("Salesforce login", str(exc), ok=False))
    try:
        base = normalise_api_url(api_url)
        response = http.get(f"{base}{API_PREFIX}/sources/", timeout=(5.0, 15.0))
        # Without a key the API answers 401: that still proves it is reachable.
        reachable = response.status_code in (200, 401, 403, 422)
        findings.append(Finding("Unstructured API", f"{base} answered HTTP {response.status_code}", ok=reachable))
    except requests.RequestException as exc:
        findings.append(Finding("Unstructured API", str(network_error(exc, what=api_url)), ok=False))
    except AppError as exc:
        findings.append(Finding("Unstructured API", str(exc), ok=False))
    return findings
