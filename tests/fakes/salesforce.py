"""A Salesforce login host: token endpoint (JWT bearer), userinfo and the approval page."""

from __future__ import annotations

import json
import re
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from core.urls import SafeUrl

PRODUCTION_AUDIENCE = "https://login.salesforce.com"


@dataclass
class FakeApp:
    consumer_key: str
    certificate_pem: bytes
    policy: str = "self"  # "self": users approve in the browser; "admin": pre-authorised profiles
    approved: set[str] = field(default_factory=set)  # self-approved users
    assigned: set[str] = field(default_factory=set)  # admin-approved users (profile/permission set)
    external: bool = False  # an External Client App


@dataclass
class Scripted:
    status: int
    body: str
    content_type: str = "application/json"
    delay: float = 0.0
    headers: dict[str, str] | None = None


class FakeSalesforce:
    """Behaves like login.salesforce.com for one org. Use :attr:`url` as the login URL."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.server = HTTPServer(host="127.0.0.1", threaded=True, ssl_context=ssl_context)
        self.scheme = "https" if ssl_context else "http"
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget every app, user and scripted answer (servers are reused across tests)."""
        self.org_id = "00D5g000004XyZaEAK"
        self.apps: dict[str, FakeApp] = {}
        #: Consumer keys of External Client Apps this host answers "not installed" for (users' reports).
        self.not_installed: set[str] = set()
        self.users: dict[str, dict[str, object]] = {}
        self.browser_user: str | None = None  # who is "logged in" in the browser for approvals
        self.audience = PRODUCTION_AUDIENCE
        self.delay = 0.0
        self.scripted: list[Scripted] = []
        self.token_requests: list[dict[str, object]] = []
        self._tokens: dict[str, str] = {}
        self.api_versions = ["55.0", "56.0", "57.0", "58.0", "59.0", "60.0", "61.0", "62.0", "63.0"]
        # What the connector's user reads (its JWT token, through the instance URL).
        self.records = {"Account": 1234, "Campaign": 0, "Case": 57, "EmailMessage": 311, "Lead": 80}
        #: Objects this org does not have (not enabled): INVALID_TYPE for every user.
        self.disabled_objects: set[str] = set()
        #: username -> objects its profile and permission sets give no Read on: also INVALID_TYPE, as Salesforce
        #: answers both the same way.
        self.unreadable: dict[str, set[str]] = {}
        #: Users without "View Setup and Configuration": the limits resource refuses them.
        self.limits_hidden_from: set[str] = set()
        #: The org's daily API requests: the most, and how many the rolling 24 hours have used. Every REST
        #: call but ``limits`` counts; at the most, calls answer 403 REQUEST_LIMIT_EXCEEDED.
        self.api_max = 15000
        self.api_used = 0
        #: Salesforce sends ``Sforce-Limit-Info: api-usage=USED/MAX`` with every REST answer; a proxy may strip it.
        self.usage_header = True

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> "FakeSalesforce":
        self.server.expect_request(re.compile(".*")).respond_with_handler(self._handle)
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()

    @property
    def url(self) -> SafeUrl:
        return SafeUrl(f"{self.scheme}://127.0.0.1:{self.server.port}")

    # --- set-up ----------------------------------------------------------------------------

    def add_user(self, username: str, *, active: bool = True, name: str = "Ada Admin") -> None:
        self.users[username] = {"active": active, "id": "005" + secrets.token_hex(6).upper()[:12] + "AAA", "name": name}

    def register_app(self, consumer_key: str, certificate_pem: bytes, **options: object) -> FakeApp:
        app = FakeApp(consumer_key=consumer_key, certificate_pem=certificate_pem, **options)  # type: ignore[arg-type]  # tests pass FakeApp's own keyword fields
        self.apps[consumer_key] = app
        return app

    def fail_next(
        self,
        status: int,
        body: object,
        *,
        content_type: str = "application/json",
        delay: float = 0.0,
        headers: dict[str, str] | None = None,
    ) -> None:
        text = body if isinstance(body, str) else json.dumps(body)
        self.scripted.append(Scripted(status, text, content_type, delay, headers))

    # --- handling ----------------------------------------------------------------------------

    def _handle(self, request: Request) -> Response:
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            scripted = self.scripted.pop(0) if self.scripted else None
        if scripted:
            time.sleep(scripted.delay)
            return Response(
                scripted.body, status=scripted.status, content_type=scripted.content_type, headers=scripted.headers
            )
        if request.path == "/services/oauth2/token" and request.method == "POST":
            return self._token(request)
        if request.path == "/services/oauth2/userinfo" and request.method == "GET":
            return self._userinfo(request)
        if request.path == "/services/oauth2/authorize" and request.method == "GET":
            return self._authorize(request)
        if request.path.startswith("/services/data"):
            return self._rest(request)
        if request.method == "HEAD":
            return Response("", status=200)
        return Response("<html><body>Not found</body></html>", status=404, content_type="text/html")

    # --- the REST API, as the connector's user (its JWT login's token) reaches it ---------------------

    @staticmethod
    def _sf_error(status: int, code: str, message: str, fields: list[str] | None = None) -> Response:
        body = [{"message": message, "errorCode": code, "fields": fields or []}]
        return Response(json.dumps(body), status=status, content_type="application/json")

    @staticmethod
    def _ok(body: Any, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")

    def _counted(self, request: Request) -> str | Response:
        """The path after ``/services/data/vNN.N``, counted against the daily allowance; or the refusal."""
        match = re.match(r"^/services/data/v(\d+\.\d)(/.*)$", request.path)
        if not match or match.group(1) not in self.api_versions:
            return self._sf_error(404, "NOT_FOUND", "The requested resource does not exist")
        rest = match.group(2)
        if rest in ("/limits", "/limits/") and request.method == "GET":
            return rest  # does not count against the allowance
        if self.api_used >= self.api_max:
            return self._sf_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        self.api_used += 1
        return rest

    def _rest(self, request: Request) -> Response:
        if request.path in ("/services/data", "/services/data/") and request.method == "GET":
            return self._ok([{"version": v, "url": f"/services/data/v{v}"} for v in self.api_versions])
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        username = self._tokens.get(token)
        if username is None:
            return self._sf_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        rest = self._counted(request)
        if isinstance(rest, Response):
            return rest
        if rest in ("/limits", "/limits/"):
            return self._limits(username)
        return self._as_connector(username, request, rest)

    def _usage_header(self) -> dict[str, str]:
        return {"Sforce-Limit-Info": f"api-usage={self.api_used}/{self.api_max}"} if self.usage_header else {}

    def _limits(self, username: str) -> Response:
        if username in self.limits_hidden_from:
            return self._sf_error(403, "INSUFFICIENT_ACCESS", "You don't have access to this resource.")
        body = {
            "DailyApiRequests": {"Max": self.api_max, "Remaining": max(0, self.api_max - self.api_used)},
            "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000},
        }
        return Response(json.dumps(body), status=200, content_type="application/json", headers=self._usage_header())

    def _as_connector(self, username: str, request: Request, rest: str) -> Response:
        """What the connector's user may do here: count the categories (anything else is refused)."""
        soql = request.args.get("q", "") if rest == "/query/" and request.method == "GET" else ""
        count = re.fullmatch(r"SELECT COUNT\(\) FROM (\w+)", soql, flags=re.IGNORECASE)
        if count is None:
            return self._sf_error(403, "INSUFFICIENT_ACCESS", "insufficient access rights on cross-reference id")
        name = count.group(1)
        if name not in self.records or name in self.disabled_objects or name in self.unreadable.get(username, set()):
            # Salesforce echoes the query, a caret under the object and where it stopped.
            column = soql.upper().index(" FROM ") + 7
            message = (
                f"\n{soql}\n{' ' * (column - 1)}^\nERROR at Row:1:Column:{column}\nsObject type '{name}' is not "
                "supported. If you are attempting to use a custom object, be sure to append the '__c' after the "
                "entity name. Please reference your WSDL or the describe call for the appropriate names."
            )
            answer = self._sf_error(400, "INVALID_TYPE", message)
        else:
            answer = self._ok({"totalSize": self.records[name], "done": True, "records": []})
        answer.headers.update(self._usage_header())
        return answer

    @staticmethod
    def _error(error: str, description: str, status: int = 400) -> Response:
        return Response(
            json.dumps({"error": error, "error_description": description}),
            status=status,
            content_type="application/json",
        )

    def _token(self, request: Request) -> Response:
        if request.mimetype != "application/x-www-form-urlencoded":
            return self._error("unsupported_grant_type", "grant type not supported")
        form = parse_qs(request.get_data(as_text=True))
        self.token_requests.append({k: v[0] for k, v in form.items()})
        if set(form) != {"grant_type", "assertion"} or form["grant_type"] != [
            "urn:ietf:params:oauth:grant-type:jwt-bearer"
        ]:
            return self._error("unsupported_grant_type", "grant type not supported")
        assertion = form["assertion"][0]
        try:
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            return self._error("invalid_grant", "invalid assertion")
        if str(claims.get("iss", "")) in self.not_installed:
            return self._error("app_not_found", "External client app is not installed in this org")
        app = self.apps.get(str(claims.get("iss", "")))
        if app is None:
            return self._error("invalid_client_id", "client identifier invalid")
        public_key = x509.load_pem_x509_certificate(app.certificate_pem).public_key()
        if header.get("alg") != "RS256" or not isinstance(public_key, rsa.RSAPublicKey):
            return self._error("invalid_grant", "invalid assertion")
        try:
            jwt.decode(
                assertion,
                public_key,
                algorithms=["RS256"],
                options={"verify_aud": False, "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError:
            return self._error("invalid_grant", "invalid assertion")
        if claims.get("aud") != self.audience:
            if app.external:
                return self._error("app_not_found", "External client app is not installed in this org")
            return self._error("invalid_grant", "audience is invalid")
        exp = claims.get("exp")
        if isinstance(exp, str) and exp.isdigit():
            exp = int(exp)  # Salesforce takes a numeric string, which is what simple_salesforce sends
        if not isinstance(exp, int) or exp < time.time():
            return self._error("invalid_grant", "expired authorization code")
        username = str(claims.get("sub", ""))
        user = self.users.get(username)
        if user is None:
            return self._error("invalid_grant", "user hasn't approved this consumer")
        if not user["active"]:
            return self._error("inactive_user", "user is inactive")
        if app.policy == "admin":
            if username not in app.assigned:
                return self._error("invalid_app_access", "user is not admin approved to access this app")
        elif username not in app.approved:
            return self._error("invalid_grant", "user hasn't approved this consumer")
        token = secrets.token_urlsafe(24)
        self._tokens[token] = username
        body = {
            "access_token": token,
            "scope": "api",
            "instance_url": self.url,
            "id": f"{self.url}/id/{self.org_id}/{user['id']}",
            "token_type": "Bearer",
        }
        return Response(json.dumps(body), status=200, content_type="application/json")

    def _userinfo(self, request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        username = self._tokens.get(auth.removeprefix("Bearer ").strip())
        if username is None:
            return Response(
                json.dumps([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]),
                status=401,
                content_type="application/json",
            )
        user = self.users[username]
        body = {
            "preferred_username": username,
            "name": user["name"],
            "user_id": user["id"],
            "organization_id": self.org_id,
            "email": username,
        }
        return Response(json.dumps(body), status=200, content_type="application/json")

    def _authorize(self, request: Request) -> Response:
        """The approval page: the browser's logged-in user allows the app, then Salesforce redirects."""
        client_id = request.args.get("client_id", "")
        redirect_uri = request.args.get("redirect_uri", "")
        app = self.apps.get(client_id)
        if request.args.get("response_type") != "code" or app is None:
            return Response("<html><body>error=invalid_client_id</body></html>", status=400, content_type="text/html")
        if self.browser_user:
            app.approved.add(self.browser_user)
        location = f"{redirect_uri}/?{urlencode({'code': secrets.token_urlsafe(8)})}"
        return Response("", status=302, headers={"Location": location})
