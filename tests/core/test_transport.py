"""TLS is always verified (the OS store plus what the admin's company installs), proxies come from the environment."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.crypto.keypair import KeyBundle
from core.errors import InvalidInputError, NetworkError
from core.salesforce.login import LoginResult, verify_jwt_login
from core.transport import make_session
from core.urls import SafeUrl, is_loopback_host
from tests.conftest import CONSUMER_KEY, USERNAME
from tests.fakes.salesforce import FakeSalesforce
from tests.fakes.tls import LoopbackTls, make_loopback_tls
from tests.platforms import windows_verifier_on_loopback


@pytest.fixture(scope="module")
def tls() -> LoopbackTls:
    return make_loopback_tls()


@pytest.fixture
def https_salesforce(tls: LoopbackTls, tmp_path: Path, key_bundle: KeyBundle) -> Iterator[FakeSalesforce]:
    fake = FakeSalesforce(ssl_context=tls.server_context(tmp_path)).start()
    fake.add_user(USERNAME)
    fake.register_app(CONSUMER_KEY, key_bundle.cert_pem or b"", approved={USERNAME})
    yield fake
    fake.stop()


def login(url: str, bundle: KeyBundle) -> LoginResult:
    return verify_jwt_login(
        username=USERNAME,
        consumer_key=CONSUMER_KEY,
        private_key=bundle.key,
        login_url=SafeUrl(url),
        timeout=(2.0, 3.0),
    )


@windows_verifier_on_loopback
def test_an_untrusted_certificate_is_refused_with_advice(
    https_salesforce: FakeSalesforce, key_bundle: KeyBundle
) -> None:
    assert https_salesforce.url.startswith("https://")
    with pytest.raises(NetworkError, match="could not be verified") as info:
        login(https_salesforce.url, key_bundle)
    assert "trust store" in str(info.value)
    assert https_salesforce.token_requests == []


@windows_verifier_on_loopback
def test_a_company_ca_given_to_the_app_is_trusted(
    https_salesforce: FakeSalesforce,
    key_bundle: KeyBundle,
    tls: LoopbackTls,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bundle = tmp_path / "corporate-ca.pem"
    bundle.write_bytes(tls.ca_pem)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    assert login(https_salesforce.url, key_bundle).org_id == https_salesforce.org_id


def test_sessions_use_the_operating_systems_trust_store() -> None:
    import truststore

    make_session()
    assert ssl.SSLContext is truststore.SSLContext  # every TLS context verifies against the OS store


def test_a_proxy_from_the_environment_is_used_and_its_failure_is_named(
    key_bundle: KeyBundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    with pytest.raises(NetworkError, match="proxy"):
        login("https://login.salesforce.com", key_bundle)  # goes only as far as the (closed) loopback proxy


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.5.5.5", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("10.0.0.1", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5/api",
        "http://localhost.evil.com",
        "https://user:pw@host.com",
        "file:///etc/passwd",
        "javascript:alert(1)",
    ],
)
def test_unsafe_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidInputError):
        SafeUrl(url, what="URL")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("acme.my.salesforce.com", "https://acme.my.salesforce.com"),
        (" acme.my.salesforce.com/ ", "https://acme.my.salesforce.com"),
        ("test.salesforce.com:443", "https://test.salesforce.com:443"),
        ("https://acme.my.salesforce.com", "https://acme.my.salesforce.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ],
)
def test_a_bare_host_typed_into_a_login_host_field_means_https(typed: str, meant: str) -> None:
    assert SafeUrl.typed(typed, what="login host") == meant


@pytest.mark.parametrize("typed", ["http://login.example.com", "http:/x", "ftp://x", "user:pw@host.com", "a b"])
def test_what_is_typed_is_still_held_to_the_rules(typed: str) -> None:
    with pytest.raises(InvalidInputError, match="login host"):
        SafeUrl.typed(typed, what="login host")
