from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from core.crypto.keypair import KeyBundle
from core.defaults import CONNECTOR_LOGIN_URL
from core.errors import InvalidInputError, KeyMaterialError, NetworkError, SalesforceLoginError
from core.salesforce.login import (
    LoginCause,
    LoginResult,
    approval_url,
    audience_for,
    build_assertion,
    explain_login_error,
    verify_jwt_login,
)
from core.urls import SafeUrl
from core.validation import validate_config
from tests.conftest import CONSUMER_KEY, USERNAME
from tests.fakes.salesforce import FakeSalesforce


def verify(salesforce: FakeSalesforce, bundle: KeyBundle, **overrides: Any) -> LoginResult:
    args: dict[str, Any] = dict(
        username=USERNAME,
        consumer_key=CONSUMER_KEY,
        private_key=bundle.key,
        login_url=salesforce.url,
        timeout=(2.0, 2.0),
    )
    args.update(overrides)
    return verify_jwt_login(**args)


def test_approval_url_is_exactly_the_documented_one() -> None:
    assert approval_url("3MVG9abc") == (
        "https://login.salesforce.com/services/oauth2/authorize?response_type=code&client_id=3MVG9abc"
        "&redirect_uri=https%3A%2F%2Flocalhost"
    )


def test_approval_url_with_custom_callback_and_host_is_percent_encoded() -> None:
    url = approval_url(
        "3MVG9a.b_c",
        callback_url="https://example.com/cb?x=1&y=2",
        login_url=SafeUrl("https://acme.my.salesforce.com/"),
    )
    parts = urlsplit(url)
    assert parts.netloc == "acme.my.salesforce.com" and parts.path == "/services/oauth2/authorize"
    assert parse_qs(parts.query) == {
        "response_type": ["code"],
        "client_id": ["3MVG9a.b_c"],
        "redirect_uri": ["https://example.com/cb?x=1&y=2"],
    }
    assert "%26y%3D2" in url


@pytest.mark.parametrize("login", ["http://login.salesforce.com", "ftp://x", "login.salesforce.com"])
def test_a_login_url_that_is_not_https_never_becomes_one_the_login_functions_take(login: str) -> None:
    # approval_url, verify_jwt_login and the sign-in take a SafeUrl: the only way to one is through this check.
    with pytest.raises(InvalidInputError, match="login URL"):
        SafeUrl(login, what="login URL")


def test_assertion_has_the_connectors_claims(key_bundle: KeyBundle) -> None:
    now = time.time()
    token = build_assertion(
        username=USERNAME,
        consumer_key=CONSUMER_KEY,
        private_key=key_bundle.key,
        audience=CONNECTOR_LOGIN_URL,
        now=now,
    )
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "typ": "JWT"}
    public = x509.load_pem_x509_certificate(key_bundle.cert_pem or b"").public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    claims = jwt.decode(token, public, algorithms=["RS256"], audience=CONNECTOR_LOGIN_URL)
    assert claims["iss"] == CONSUMER_KEY and claims["sub"] == USERNAME
    assert claims["exp"] == int(now) + 180


@pytest.mark.parametrize(
    ("url", "aud"),
    [
        ("https://login.salesforce.com", "https://login.salesforce.com"),
        ("https://acme.my.salesforce.com", "https://login.salesforce.com"),
        ("https://test.salesforce.com", "https://test.salesforce.com"),
        ("https://acme--dev.sandbox.my.salesforce.com", "https://test.salesforce.com"),
    ],
)
def test_audience_follows_the_login_host(url: str, aud: str) -> None:
    assert audience_for(url) == aud


def test_successful_login_reports_user_and_org(salesforce: FakeSalesforce, key_bundle: KeyBundle) -> None:
    result = verify(salesforce, key_bundle)
    assert result.username == USERNAME and result.display_name == "Ada Admin"
    assert result.org_id == salesforce.org_id and result.user_id.startswith("005")
    assert result.instance_url == salesforce.url
    sent = salesforce.token_requests[-1]
    assert set(sent) == {"grant_type", "assertion"}
    claims = jwt.decode(str(sent["assertion"]), options={"verify_signature": False})
    assert claims["aud"] == "https://login.salesforce.com"  # the connector's audience, even on loopback


def test_login_works_with_a_pasted_pkcs8_key(salesforce: FakeSalesforce, key_bundle: KeyBundle) -> None:
    from cryptography.hazmat.primitives import serialization

    from core.crypto.keypair import load_private_key

    pkcs8 = load_private_key(key_bundle.private_key_pem).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert verify(salesforce, key_bundle, private_key=pkcs8.decode().replace("\n", "\r\n")).org_id


@pytest.mark.parametrize(
    ("setup", "error", "words", "fix_words", "cause"),
    [
        (
            lambda sf: sf.apps.clear(),
            "invalid_client_id",
            "client identifier invalid",
            "wait a few minutes",
            LoginCause.UNKNOWN_CLIENT,
        ),
        (
            lambda sf: next(iter(sf.apps.values())).approved.clear(),
            "invalid_grant",
            "hasn't approved",
            "approval URL",
            LoginCause.NOT_APPROVED,
        ),
        (
            lambda sf: setattr(next(iter(sf.apps.values())), "policy", "admin"),
            "invalid_app_access",
            "admin approved",
            "permission set",
            LoginCause.NOT_ADMIN_APPROVED,
        ),
        (
            lambda sf: setattr(sf, "audience", "https://test.salesforce.com"),
            "invalid_grant",
            "audience is invalid",
            "sandbox cannot be used",
            LoginCause.WRONG_AUDIENCE,
        ),
        (
            lambda sf: sf.users.__setitem__(USERNAME, dict(sf.users[USERNAME], active=False)),
            "inactive_user",
            "inactive",
            "activate",
            LoginCause.INACTIVE_USER,
        ),
    ],
)
def test_salesforce_refusals_carry_its_words_the_fix_and_the_cause(
    salesforce: FakeSalesforce,
    key_bundle: KeyBundle,
    setup: Callable[[FakeSalesforce], None],
    error: str,
    words: str,
    fix_words: str,
    cause: LoginCause,
) -> None:
    setup(salesforce)
    with pytest.raises(SalesforceLoginError) as info:
        verify(salesforce, key_bundle)
    assert info.value.error == error and words in info.value.description
    assert fix_words in info.value.fix
    assert words in str(info.value) and fix_words in str(info.value)
    assert info.value.cause == cause.value


def test_only_the_propagation_answers_may_clear_by_waiting() -> None:
    waiting = {c for c in LoginCause if c.may_clear_by_waiting}
    assert waiting == {LoginCause.NOT_APPROVED, LoginCause.UNKNOWN_CLIENT, LoginCause.APP_NOT_INSTALLED}


@pytest.mark.parametrize(
    "body",
    [
        {"access_token": None, "instance_url": "https://x.my.salesforce.com"},
        {"access_token": "", "instance_url": "https://x.my.salesforce.com"},
        {"access_token": "t", "instance_url": 5},
        {"access_token": "t", "id": ["not", "a", "string"]},
        "[" * 50000,
    ],
)
def test_a_token_answer_without_a_usable_token_proves_nothing(
    salesforce: FakeSalesforce, key_bundle: KeyBundle, body: object
) -> None:
    salesforce.fail_next(200, body)
    with pytest.raises(SalesforceLoginError, match="did not return a token"):
        verify(salesforce, key_bundle)


def test_wrong_certificate_is_invalid_assertion(salesforce: FakeSalesforce, other_bundle: KeyBundle) -> None:
    with pytest.raises(SalesforceLoginError) as info:
        verify(salesforce, other_bundle)
    assert info.value.description == "invalid assertion" and "fingerprint" in info.value.fix


def test_unknown_user_is_reported(salesforce: FakeSalesforce, key_bundle: KeyBundle) -> None:
    with pytest.raises(SalesforceLoginError, match="hasn't approved"):
        verify(salesforce, key_bundle, username="nobody@example.com")


def test_external_client_app_wrong_audience(salesforce: FakeSalesforce, key_bundle: KeyBundle) -> None:
    next(iter(salesforce.apps.values())).external = True
    salesforce.audience = "https://test.salesforce.com"
    with pytest.raises(SalesforceLoginError) as info:
        verify(salesforce, key_bundle)
    assert info.value.error == "app_not_found" and "External Client App" in info.value.fix


@pytest.mark.parametrize(
    ("error", "description", "words"),
    [
        ("invalid_grant", "expired authorization code", "clock"),
        ("invalid_grant", "IP restricted or invalid login hours", "Relax IP restrictions"),
        (
            "invalid_request",
            "refresh_token scope is required and the connected app should be installed and preauthorized",
            "refresh_token, offline_access",
        ),
        ("unsupported_grant_type", "grant type not supported", "defect"),
        ("inactive_org", "org is inactive", "support"),
        ("rate_limit_exceeded", "too many", "wait"),
        ("something_new", "never seen", "Check the username"),
    ],
)
def test_every_documented_error_has_advice(
    salesforce: FakeSalesforce, key_bundle: KeyBundle, error: str, description: str, words: str
) -> None:
    assert words in explain_login_error(error, description)
    salesforce.fail_next(400, {"error": error, "error_description": description})
    with pytest.raises(SalesforceLoginError) as info:
        verify(salesforce, key_bundle)
    assert info.value.description == description and words in info.value.fix


def test_server_error_with_html_body(salesforce: FakeSalesforce, key_bundle: KeyBundle) -> None:
    salesforce.fail_next(503, "<html><body>Service Unavailable</body></html>", content_type="text/html")
    with pytest.raises(SalesforceLoginError) as info:
        verify(salesforce, key_bundle)
    assert "HTTP 503" in str(info.value) and "try again" in info.value.fix


def test_non_json_success_body(salesforce: FakeSalesforce, key_bundle: KeyBundle) -> None:
    salesforce.fail_next(200, "<html>captive portal</html>", content_type="text/html")
    with pytest.raises(SalesforceLoginError, match="proxy"):
        verify(salesforce, key_bundle)


def test_slow_login_host_times_out(salesforce: FakeSalesforce, key_bundle: KeyBundle) -> None:
    salesforce.fail_next(200, "{}", delay=3)
    started = time.monotonic()
    with pytest.raises(NetworkError, match="did not answer in time"):
        verify(salesforce, key_bundle, timeout=(1.0, 0.5))
    assert time.monotonic() - started < 3


def test_unreachable_host(key_bundle: KeyBundle) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(NetworkError, match="Could not reach"):
        verify_jwt_login(
            username=USERNAME,
            consumer_key=CONSUMER_KEY,
            private_key=key_bundle.key,
            login_url=SafeUrl(f"http://127.0.0.1:{port}"),
        )


def test_bad_key_fails_before_any_request(salesforce: FakeSalesforce) -> None:
    # The login takes a loaded key: a bad one is refused where it is read, before any request can be made.
    with pytest.raises(KeyMaterialError):
        validate_config(username=USERNAME, consumer_key=CONSUMER_KEY, private_key="nonsense")
    assert salesforce.token_requests == []


def test_plain_http_to_a_remote_host_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="must use https"):
        SafeUrl("http://login.salesforce.com", what="login URL")
    assert SafeUrl("http://127.0.0.1:8080/", what="login URL") == "http://127.0.0.1:8080"  # loopback: the fakes


def test_approval_page_records_approval_then_login_works(salesforce: FakeSalesforce, key_bundle: KeyBundle) -> None:
    next(iter(salesforce.apps.values())).approved.clear()
    salesforce.browser_user = USERNAME
    response = requests.get(approval_url(CONSUMER_KEY, login_url=salesforce.url), allow_redirects=False, timeout=5)
    assert response.status_code == 302 and response.headers["Location"].startswith("https://localhost/?code=")
    assert verify(salesforce, key_bundle).username == USERNAME


# --- the fake accepts exactly the connector's own login ---------------------------------------------


def test_the_connectors_own_login_library_logs_in_to_the_fake(
    salesforce: FakeSalesforce, key_bundle: KeyBundle
) -> None:
    """simple_salesforce sends exp as a string; Salesforce accepts it, so must the fake."""
    from simple_salesforce.login import SalesforceLogin

    from tests.fakes.loopback import routed_session

    session_id, instance = SalesforceLogin(
        username=USERNAME,
        consumer_key=CONSUMER_KEY,
        privatekey=key_bundle.private_key_pem.decode(),
        domain="login",
        session=routed_session("login.salesforce.com", salesforce.url),
    )
    assert session_id and instance == salesforce.url.removeprefix("http://")  # the instance_url it answered
    sent = jwt.decode(str(salesforce.token_requests[-1]["assertion"]), options={"verify_signature": False})
    assert isinstance(sent["exp"], str) and sent["aud"] == "https://login.salesforce.com"


def test_the_connectors_own_login_library_is_refused_like_by_salesforce(
    salesforce: FakeSalesforce, other_bundle: KeyBundle
) -> None:
    from simple_salesforce.exceptions import SalesforceAuthenticationFailed
    from simple_salesforce.login import SalesforceLogin

    from tests.fakes.loopback import routed_session

    with pytest.raises(SalesforceAuthenticationFailed, match="invalid assertion"):
        SalesforceLogin(
            username=USERNAME,
            consumer_key=CONSUMER_KEY,
            privatekey=other_bundle.private_key_pem.decode(),
            domain="login",
            session=routed_session("login.salesforce.com", salesforce.url),
        )
