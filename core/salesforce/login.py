"""Salesforce: the approval URL and the JWT bearer login the connector itself makes.

unstructured-ingest logs in through simple_salesforce with no domain, so the connector always
POSTs to https://login.salesforce.com/services/oauth2/token with aud=https://login.salesforce.com.
:func:`verify_jwt_login` sends exactly that request; another login host is for diagnosis only.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from core.defaults import CONNECTOR_LOGIN_URL, DEFAULT_CALLBACK_URL, SANDBOX_LOGIN_URL
from core.errors import InvalidInputError, RedirectRefusedError, SalesforceLoginError
from core.logs import register_secret
from core.text import printable
from core.transport import DEFAULT_TIMEOUT, make_session, network_error
from core.urls import SafeUrl

JWT_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: Salesforce accepts exp at most 3 minutes ahead; simple_salesforce uses exactly 3.
JWT_LIFETIME_SECONDS = 180

_PROPAGATION = (
    "If you created or changed the app a moment ago, wait a few minutes and try again: an External Client App's changes usually "
    "apply at once, sometimes after minutes; a Connected App's can take up to 10 minutes."
)


class LoginCause(enum.Enum):
    """Why Salesforce refused a JWT login, decided once here from its ``error`` code (and, where
    Salesforce uses one code for several causes, its description). Callers route on this, never
    on the words."""

    NOT_APPROVED = "not_approved"
    NOT_ADMIN_APPROVED = "not_admin_approved"
    UNKNOWN_CLIENT = "unknown_client"
    WRONG_CERTIFICATE = "wrong_certificate"
    WRONG_AUDIENCE = "wrong_audience"
    CLOCK = "clock"
    IP_RESTRICTED = "ip_restricted"
    LOGIN_HOURS = "login_hours"
    USER = "user"
    APP_NOT_INSTALLED = "app_not_installed"
    SCOPE_MISSING = "scope_missing"
    DEFECT = "defect"
    INACTIVE_USER = "inactive_user"
    INACTIVE_ORG = "inactive_org"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    UNEXPECTED = "unexpected"

    @property
    def may_clear_by_waiting(self) -> bool:
        """Answers an app created or changed minutes ago gives until Salesforce has applied it."""
        return self in (LoginCause.NOT_APPROVED, LoginCause.UNKNOWN_CLIENT, LoginCause.APP_NOT_INSTALLED)


# (error, words in error_description, cause, what the admin should do). First match wins.
_FIXES: list[tuple[str, str, LoginCause, str]] = [
    (
        "invalid_grant",
        "hasn't approved",
        LoginCause.NOT_APPROVED,
        "Open the approval URL in a browser, logged in as this Salesforce user, and allow access; or set the app's Permitted Users to 'Admin approved users are pre-authorized' and assign the user's profile or permission set. Also check that the username is exactly right.",
    ),
    (
        "invalid_app_access",
        "",
        LoginCause.NOT_ADMIN_APPROVED,
        "Assign this user's profile or a permission set to the app (app policies), because the app only admits admin-approved users.",
    ),
    (
        "invalid_client_id",
        "",
        LoginCause.UNKNOWN_CLIENT,
        "Copy the consumer key again from the app (Manage Consumer Details / Consumer Key and Secret) and check that the app is in this user's org. "
        + _PROPAGATION,
    ),
    (
        "invalid_grant",
        "invalid assertion",
        LoginCause.WRONG_CERTIFICATE,
        "The key does not match the certificate uploaded to the app. Upload the certificate made from this key (compare the SHA-256 fingerprints) and try again.",
    ),
    (
        "invalid_grant",
        "audience",
        LoginCause.WRONG_AUDIENCE,
        "The connector only logs in to production orgs through login.salesforce.com; a sandbox cannot be used. Use a production org's user.",
    ),
    (
        "invalid_grant",
        "expired",
        LoginCause.CLOCK,
        "This computer's clock is wrong. Set the date, time and time zone correctly (enable automatic time) and try again.",
    ),
    (
        "invalid_grant",
        "ip restricted",
        LoginCause.IP_RESTRICTED,
        "Set the app's IP Relaxation to 'Relax IP restrictions', or allow this network's IP range and the login hours in the user's profile.",
    ),
    (
        "invalid_grant",
        "login hours",
        LoginCause.LOGIN_HOURS,
        "Set the app's IP Relaxation to 'Relax IP restrictions', or allow the login hours in the user's profile.",
    ),
    (
        "invalid_grant",
        "user",
        LoginCause.USER,
        "Check that the username is exact (it looks like an e-mail address but is the Salesforce username) and that the user is active.",
    ),
    (
        "app_not_found",
        "",
        LoginCause.APP_NOT_INSTALLED,
        "Check that the External Client App is in this user's org, that its OAuth policy is 'Admin approved users are pre-authorized' with the user's profile or permission set selected. "
        + _PROPAGATION,
    ),
    (
        "invalid_request",
        "refresh_token",
        LoginCause.SCOPE_MISSING,
        "Add the 'Perform requests at any time (refresh_token, offline_access)' scope to the app, then approve it again.",
    ),
    (
        "unsupported_grant_type",
        "",
        LoginCause.DEFECT,
        "This is a defect in this tool; please report it with the log file.",
    ),
    (
        "inactive_user",
        "",
        LoginCause.INACTIVE_USER,
        "The Salesforce user is inactive; activate it or use another user.",
    ),
    (
        "inactive_org",
        "",
        LoginCause.INACTIVE_ORG,
        "The Salesforce org is inactive or locked; contact Salesforce support.",
    ),
    (
        "rate_limit_exceeded",
        "",
        LoginCause.RATE_LIMITED,
        "Too many logins in a short time; wait a few minutes and try again.",
    ),
]


def classify_login_error(error: str, description: str) -> tuple[LoginCause, str]:
    """The cause of a Salesforce token endpoint error and what the admin should do (never empty)."""
    err = (error or "").strip().lower()
    desc = (description or "").strip().lower()
    for code, words, cause, fix in _FIXES:
        if err == code and words in desc:
            return cause, fix
    return (
        LoginCause.UNEXPECTED,
        "Check the username, the consumer key and the certificate uploaded to the app, then try again.",
    )


def explain_login_error(error: str, description: str) -> str:
    """What the admin should do about a Salesforce token endpoint error (never empty)."""
    return classify_login_error(error, description)[1]


def audience_for(login_url: str) -> str:
    """The ``aud`` claim Salesforce expects for a login host (sandbox hosts use test)."""
    host = (urlsplit(login_url).hostname or "").lower()
    if host == "test.salesforce.com" or host.endswith(".sandbox.my.salesforce.com"):
        return SANDBOX_LOGIN_URL
    return CONNECTOR_LOGIN_URL


def approval_url(
    consumer_key: str,
    *,
    callback_url: str = DEFAULT_CALLBACK_URL,
    login_url: SafeUrl = CONNECTOR_LOGIN_URL,
) -> str:
    """The one-time approval URL: opening it as the user records the approval the JWT flow needs.

    Raises:
        InvalidInputError: an empty consumer key or an unsafe login/callback URL.
    """
    key = consumer_key.strip()
    if not key:
        raise InvalidInputError("The consumer key is empty.", field="consumer_key")
    callback = (callback_url or DEFAULT_CALLBACK_URL).strip()
    try:
        usable = urlsplit(callback).scheme in ("https", "http") and bool(urlsplit(callback).hostname)
    except ValueError:
        usable = False
    if not usable:
        raise InvalidInputError(f"The callback URL '{callback}' is not a web address.", field="callback_url")
    query = urlencode({"response_type": "code", "client_id": key, "redirect_uri": callback}, quote_via=quote)
    return f"{login_url}/services/oauth2/authorize?{query}"


def build_assertion(
    *,
    username: str,
    consumer_key: str,
    private_key: rsa.RSAPrivateKey,
    audience: str,
    now: float | None = None,
) -> str:
    """Sign the JWT the connector sends: RS256, iss=consumer key, sub=username, aud, exp=now+3min.

    ``private_key`` loaded once where it came in (loading checks the key, which costs tens of milliseconds)."""
    issued = time.time() if now is None else now
    claims = {
        "iss": consumer_key,
        "sub": username,
        "aud": audience,
        "exp": int(issued) + JWT_LIFETIME_SECONDS,
    }
    return jwt.encode(claims, private_key, algorithm="RS256")


@dataclass(frozen=True)
class LoginResult:
    """Proof that the JWT login works: who logged in, to which org."""

    username: str
    display_name: str
    user_id: str
    org_id: str
    instance_url: str
    login_url: SafeUrl

    def __post_init__(self) -> None:
        for name in ("username", "display_name", "user_id", "org_id", "instance_url"):
            object.__setattr__(self, name, printable(getattr(self, name)))  # Salesforce's words, shown as data

    def to_json(self) -> dict[str, str]:
        """Who logged in, to which org: what ``verify --json`` prints as ``login``."""
        return {"username": self.username, "org_id": self.org_id, "instance_url": self.instance_url}


def _token_error(response: requests.Response) -> SalesforceLoginError:
    try:
        body = response.json()
    except (ValueError, RecursionError):
        body = None
    if isinstance(body, dict) and "error" in body:
        error = str(body.get("error", ""))
        description = str(body.get("error_description", ""))
        cause, fix = classify_login_error(error, description)
        return SalesforceLoginError(
            error=error, description=description, fix=fix, status=response.status_code, cause=cause.value
        )
    if response.status_code >= 500:
        return SalesforceLoginError(
            error=f"HTTP {response.status_code}",
            description="Salesforce had a server error",
            fix="This is on Salesforce's side; try again in a few minutes (status.salesforce.com shows incidents).",
            status=response.status_code,
            cause=LoginCause.SERVER_ERROR.value,
        )
    return SalesforceLoginError(
        error=f"HTTP {response.status_code}",
        description="unexpected answer from the login host",
        fix="Check the login URL; a proxy or captive portal may be answering instead of Salesforce.",
        status=response.status_code,
    )


def _ids_from_identity_url(identity: str) -> tuple[str, str]:
    try:
        parts = [p for p in urlsplit(identity).path.split("/") if p]
    except ValueError:  # the server's text: "https://[::1" is no identity URL
        return "", ""
    if len(parts) >= 3 and parts[-3] == "id":
        return parts[-2], parts[-1]
    return "", ""


@dataclass(frozen=True)
class ConnectorSession:
    """The connector's own login, kept for reading as its user (what the connector will read).

    The access token never appears in repr, logs or messages; nothing keeps it beyond the check."""

    result: LoginResult
    access_token: str = field(repr=False)


def verify_jwt_login(
    *,
    username: str,
    consumer_key: str,
    private_key: rsa.RSAPrivateKey,
    login_url: SafeUrl = CONNECTOR_LOGIN_URL,
    session: requests.Session | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> LoginResult:
    """Make the connector's JWT bearer login, then read the user's identity.

    Args:
        private_key: the key, loaded (:func:`core.crypto.keypair.load_private_key`): a PEM would be loaded, and
            its primes checked, again at every login.
        login_url: the connector always uses login.salesforce.com; others are for diagnosis.

    Raises:
        KeyMaterialError: the key cannot be used (before any network call).
        SalesforceLoginError: Salesforce refused; carries its words and the fix.
        NetworkError: unreachable, timed out, or TLS failed.
    """
    return connector_login(
        username=username,
        consumer_key=consumer_key,
        private_key=private_key,
        login_url=login_url,
        session=session,
        timeout=timeout,
    ).result


def connector_login(
    *,
    username: str,
    consumer_key: str,
    private_key: rsa.RSAPrivateKey,
    login_url: SafeUrl = CONNECTOR_LOGIN_URL,
    session: requests.Session | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
) -> ConnectorSession:
    """:func:`verify_jwt_login`, keeping the access token to read as the connector's user."""
    assertion = build_assertion(
        username=username.strip(),
        consumer_key=consumer_key.strip(),
        private_key=private_key,
        audience=audience_for(login_url),
    )
    http = session or make_session()
    token_url = f"{login_url}/services/oauth2/token"
    try:
        response = http.post(token_url, data={"grant_type": JWT_GRANT_TYPE, "assertion": assertion}, timeout=timeout)
    except requests.RequestException as exc:
        raise network_error(exc, what=f"Salesforce ({urlsplit(login_url).hostname})") from exc
    if response.status_code != 200:
        raise _token_error(response)
    try:
        token = response.json()
        access_token = token["access_token"]
        instance_url = token.get("instance_url") or ""
        identity = token.get("id") or ""
        # {"access_token": null} or numbers where strings belong prove nothing.
        if not isinstance(access_token, str) or not access_token.strip():
            raise TypeError("no access token")
        if not isinstance(instance_url, str) or not isinstance(identity, str):
            raise TypeError("instance_url or id is not a string")
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise SalesforceLoginError(
            error="unexpected answer",
            description="the login host did not return a token",
            fix="Check the login URL; a proxy may be answering instead of Salesforce.",
            status=response.status_code,
        ) from exc
    register_secret(access_token)
    org_id, user_id = _ids_from_identity_url(identity)
    result = LoginResult(
        username=username.strip(),
        display_name="",
        user_id=user_id,
        org_id=org_id,
        instance_url=instance_url,
        login_url=login_url,
    )
    if not instance_url:
        return ConnectorSession(result, access_token)
    try:
        info_url = f"{SafeUrl(instance_url, what='instance URL')}/services/oauth2/userinfo"
        # The identity is a bonus on top of the proof: it gets a short timeout of its own.
        short = (min(timeout[0], 5.0), min(timeout[1], 5.0))
        info = http.get(info_url, headers={"Authorization": f"Bearer {access_token}"}, timeout=short)
        data = info.json() if info.status_code == 200 else {}
    except (requests.RequestException, ValueError, RecursionError, InvalidInputError, RedirectRefusedError):
        return ConnectorSession(result, access_token)  # the login itself worked; the identity is a bonus
    if not isinstance(data, dict):
        return ConnectorSession(result, access_token)
    identified = LoginResult(
        username=str(data.get("preferred_username") or result.username),
        display_name=str(data.get("name") or ""),
        user_id=str(data.get("user_id") or user_id),
        org_id=str(data.get("organization_id") or org_id),
        instance_url=instance_url,
        login_url=login_url,
    )
    return ConnectorSession(identified, access_token)
