"""A Salesforce login host: token endpoint (JWT bearer), userinfo and the approval page."""

from __future__ import annotations

import json
import re
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

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
        self.users: dict[str, dict[str, object]] = {}
        self.browser_user: str | None = None  # who is "logged in" in the browser for approvals
        self.audience = PRODUCTION_AUDIENCE
        self.delay = 0.0
        self.scripted: list[Scripted] = []
        self.token_requests: list[dict[str, object]] = []
        self._tokens: dict[str, str] = {}

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
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.port}"

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
        if request.method == "HEAD":
            return Response("", status=200)
        return Response("<html><body>Not found</body></html>", status=404, content_type="text/html")

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
