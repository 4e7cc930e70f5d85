"""A loopback Salesforce org for the automated set-up: sign-in, REST records, Metadata deploys.

It is also the login host (it extends :class:`FakeSalesforce`), and strict where Salesforce is:
- the admin's sign-in is the authorization code flow with PKCE S256, ``state`` passed through
  and ``redirect_uri`` matched; the token works only as a Bearer token against this org;
- SOQL on User, PermissionSet, PermissionSetAssignment, ExternalClientApplication and
  ConnectedApplication (by its name, which Setup shows; it has no API name field), records
  created and deleted with Salesforce's error shapes (``DUPLICATE_VALUE`` as a JSON list);
- a deploy's zip must list in ``package.xml`` exactly the components it holds, and every file
  must validate against the Metadata API schema from the WSDL simple-salesforce ships (element
  order included); ``ipRelaxationPolicyType`` must be one of the documented values, the
  permission set must exist, the app name and consumer key must be free; a Connected App (the
  fallback) likewise, with its own rules: ``ipRelaxation`` upper case, no consumer key in a deploy
  that updates one ("You cannot provide a Consumer Key"), and an org may refuse new ones
  (:attr:`FakeOrg.connected_apps_blocked`, as orgs do since Spring '26);
- after a deploy, the app answers the connector's JWT login only after ``propagation_delay``
  seconds, and then only for its consumer key and certificate and for users holding the
  permission set named in its policies.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import re
import secrets
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode
from xml.etree import ElementTree as ET

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.fakes.holds import Hold, Holds
from tests.fakes.salesforce import FakeApp, FakeSalesforce

NS = "{http://soap.sforce.com/2006/04/metadata}"
CLI_CLIENT_ID = "PlatformCLI"
IP_RELAXATION_VALUES = {"Enforce", "Bypass", "Bypass_2factor", "Enforce_RelaxRefresh"}
#: Metadata type -> (folder, suffix), as the Metadata API names them.
ECA_TYPES = {
    "ExternalClientApplication": ("externalClientApps", "eca"),
    "ExtlClntAppOauthSettings": ("extlClntAppOauthSettings", "ecaOauth"),
    "ExtlClntAppGlobalOauthSettings": ("extlClntAppGlobalOauthSets", "ecaGlblOauth"),
    "ExtlClntAppOauthConfigurablePolicies": ("extlClntAppOauthPolicies", "ecaOauthPlcy"),
    "ExtlClntAppConfigurablePolicies": ("extlClntAppPolicies", "ecaPlcy"),
}
#: The Connected App: one component.
CONNECTED_APP_TYPES = {"ConnectedApp": ("connectedApps", "connectedApp")}
METADATA_TYPES = {**ECA_TYPES, **CONNECTED_APP_TYPES}
#: ``ConnectedAppOauthPolicy`` values (Metadata API reference).
CONNECTED_APP_IP_RELAXATION = {"ENFORCE", "BYPASS", "BYPASS_2FACTOR", "ENFORCE_ACTIVATED_DEVICES"}
CONNECTED_APP_REFRESH_POLICIES = {"infinite", "immediately", "zero"}
#: What an org that does not allow new Connected Apps answers (the wording is an assumption: a field check
#: on such an org records the real one; the app's sentence does not depend on it word for word).
CONNECTED_APPS_BLOCKED = (
    "You can't create a connected app. To enable connected app creation, contact Salesforce Customer Support."
)


@functools.cache
def metadata_schema() -> Any:
    """The Metadata API schema (API 63.0) from simple-salesforce's WSDL, with root elements declared."""
    import simple_salesforce
    import xmlschema

    wsdl = (Path(simple_salesforce.__file__).parent / "metadata.wsdl").read_text(encoding="utf-8")
    start, end = wsdl.index("<xsd:schema"), wsdl.index("</xsd:schema>") + len("</xsd:schema>")
    text = wsdl[start:end]
    opening = text[: text.index(">") + 1]
    roots = [*METADATA_TYPES, "Package"]
    declared = "".join(f'<xsd:element name="{name}" type="tns:{name}"/>' for name in roots)
    text = text.replace(
        opening,
        '<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:tns="http://soap.sforce.com/2006/04/metadata" elementFormDefault="qualified" '
        'targetNamespace="http://soap.sforce.com/2006/04/metadata">' + declared,
        1,
    )
    return xmlschema.XMLSchema(text)


@dataclass
class OrgApp:
    name: str
    consumer_key: str
    certificate_pem: str
    permission_set: str
    ip_relaxation: str
    ready_at: float
    id: str = field(default_factory=lambda: "0xI" + secrets.token_hex(6).upper())
    #: A Connected App: its name as Setup shows it (ConnectedApplication.Name), and whether it admits
    #: only admin-approved (pre-authorised) users.
    label: str = ""
    admin_approved: bool = True


class FakeOrg(FakeSalesforce):
    """One org, reachable as its own login host and instance (use :attr:`url` for both), and as
    its My Domain host (:attr:`my_domain_url`, a second server over the same org)."""

    def start(self) -> "FakeOrg":
        super().start()
        self.my_domain = HTTPServer(host="127.0.0.1", threaded=True)
        self.my_domain.expect_request(re.compile(".*")).respond_with_handler(
            lambda request: self._handle(request, via_my_domain=True)
        )
        self.my_domain.start()
        return self

    def stop(self) -> None:
        super().stop()
        self.my_domain.clear()
        if self.my_domain.is_running():
            self.my_domain.stop()

    @property
    def my_domain_url(self) -> str:
        return f"http://127.0.0.1:{self.my_domain.port}"

    def reset(self) -> None:
        super().reset()
        self.admin_user = "admin@example.com"
        self.admin_can_deploy = True
        self.permission_sets: dict[str, dict[str, str]] = {}  # Name -> {Id, Label}
        self.assignments: list[dict[str, str]] = []  # {Id, AssigneeId, PermissionSetId}
        self.org_apps: dict[str, OrgApp] = {}  # External Client Apps, by name
        self.connected_apps: dict[str, OrgApp] = {}  # Connected Apps, by API name
        #: The org refuses to create Connected Apps (Spring '26 and later, unless Support allows it).
        self.connected_apps_blocked = False
        #: The org refuses a consumer key even in the deploy that creates a Connected App (open: CumulusCI#2943).
        self.consumer_key_refused_on_create = False
        self.propagation_delay = 0.0
        self.never_propagates = False
        self.my_domain_only = False  # login.salesforce.com says "not installed"; My Domain works
        self.deploy_failures: list[dict[str, str]] = []  # scripted componentFailures for the next deploy
        self.deploy_polls = 1  # status reads answering InProgress before the result
        #: What every query answers as its ``nextRecordsUrl`` (a hostile or broken org); "" for none.
        self.next_records_url = ""
        #: HTTP statuses the next status reads of real (not check-only) deploys answer with, one each; the
        #: deploy goes on regardless.
        self.status_read_errors: list[int] = []
        #: The next real deploy is applied only after this many status reads (a slow org; 0: at once).
        self.apply_after_polls = 0
        self.deploys: dict[str, dict[str, Any]] = {}
        self.deploy_requests: list[dict[str, Any]] = []
        self.admin_tokens: dict[str, str] = {}
        self.refresh_tokens: dict[str, str] = {}
        self._codes: dict[str, dict[str, str]] = {}
        self.sign_in_denied = False
        #: (error, error_description) the sign-in answers with, as orgs refuse the Salesforce CLI's app.
        self.sign_in_refusal: tuple[str, str] | None = None
        #: An org without External Client Apps: SOQL on ExternalClientApplication answers INVALID_TYPE.
        self.eca_unavailable = False
        previous: Holds | None = getattr(self, "holds", None)
        if previous is not None:
            previous.release_all()
        #: Requests held until a test lets them go (``holds.add("PUT", "/sources/")``).
        self.holds: Holds = Holds()

    def hold(self, method: str, path_part: str, *, check_only: bool | None = None) -> Hold:
        """Hold the next request whose method and path match until released (a kill test kills the
        client while it waits; the request's effect happens only after release, as with a server
        that has not answered yet). ``check_only`` tells a real deploy from a check-only one."""

        def deploy_kind(request: Request) -> bool:
            if check_only is None:
                return True
            part = request.form.get("json") or request.form.get("entity_content") or "{}"
            return bool(json.loads(part).get("deployOptions", {}).get("checkOnly")) == check_only

        return self.holds.add(method, path_part, deploy_kind)

    # --- set-up ----------------------------------------------------------------------------------

    def admin_token(self) -> str:
        """An access token for :attr:`admin_user`, as SF_ACCESS_TOKEN would hold."""
        token = "00D!" + secrets.token_urlsafe(24)
        self.admin_tokens[token] = self.admin_user
        return token

    def user_id(self, username: str) -> str:
        return str(self.users[username]["id"])

    # --- routing ---------------------------------------------------------------------------------

    def _handle(self, request: Request, *, via_my_domain: bool = False) -> Response:
        answer = self.holds.around(request, lambda: self._answer(request, via_my_domain=via_my_domain))
        assert isinstance(answer, Response)
        return answer

    def _answer(self, request: Request, *, via_my_domain: bool) -> Response:
        path = request.path
        if path.startswith("/services/data"):
            return self._rest(request)
        if path == "/services/oauth2/authorize" and request.args.get("code_challenge"):
            return self._sign_in(request)
        if path == "/services/oauth2/token" and request.method == "POST":
            form = parse_qs(request.get_data(as_text=True))
            if form.get("grant_type") == ["authorization_code"]:
                return self._code_exchange(form)
            if form.get("grant_type") == ["refresh_token"]:
                return self._refresh(form)
            self._publish_ready_apps(for_login_host=not via_my_domain)
        return super()._handle(request)

    # --- the admin's sign-in ------------------------------------------------------------------------

    def _sign_in(self, request: Request) -> Response:
        args = request.args
        redirect = args.get("redirect_uri", "")
        if args.get("client_id") != CLI_CLIENT_ID or not redirect.startswith("http://localhost:"):
            return Response("<html>error=redirect_uri_mismatch</html>", status=400, content_type="text/html")
        if args.get("code_challenge_method") != "S256" or args.get("response_type") != "code":
            return Response("<html>error=invalid_request</html>", status=400, content_type="text/html")
        state = args.get("state", "")
        if self.sign_in_denied or self.sign_in_refusal:
            error, description = self.sign_in_refusal or ("access_denied", "end-user denied authorization")
            query = urlencode({"error": error, "error_description": description, "state": state})
            return Response("", status=302, headers={"Location": f"{redirect}?{query}"})
        code = secrets.token_urlsafe(16)
        self._codes[code] = {
            "challenge": args["code_challenge"],
            "redirect_uri": redirect,
            "client_id": CLI_CLIENT_ID,
            "offline": str("refresh_token" in args.get("scope", "").split()),
        }
        return Response("", status=302, headers={"Location": f"{redirect}?{urlencode({'code': code, 'state': state})}"})

    def _code_exchange(self, form: dict[str, list[str]]) -> Response:
        fields = {k: v[0] for k, v in form.items()}
        grant = self._codes.pop(fields.get("code", ""), None)
        if grant is None:
            return self._error("invalid_grant", "authentication failure")
        if fields.get("client_id") != grant["client_id"] or fields.get("redirect_uri") != grant["redirect_uri"]:
            return self._error("invalid_grant", "redirect_uri mismatch")
        verifier = fields.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if challenge != grant["challenge"]:
            return self._error("invalid_grant", "invalid code verifier")
        token = self.admin_token()
        body = {
            "access_token": token,
            "instance_url": self.url,
            "id": f"{self.url}/id/{self.org_id}/005000000000001AAA",
            "token_type": "Bearer",
            "scope": "api web",
        }
        if grant["offline"] == "True":  # a refresh token only when the scope asked for one
            refresh = "5Aep" + secrets.token_urlsafe(32)
            self.refresh_tokens[refresh] = self.admin_user
            body["refresh_token"] = refresh
        return Response(json.dumps(body), status=200, content_type="application/json")

    def _refresh(self, form: dict[str, list[str]]) -> Response:
        fields = {k: v[0] for k, v in form.items()}
        if fields.get("client_id") != CLI_CLIENT_ID or fields.get("refresh_token") not in self.refresh_tokens:
            return self._error("invalid_grant", "expired access/refresh token")
        body = {"access_token": self.admin_token(), "instance_url": self.url, "token_type": "Bearer"}
        return Response(json.dumps(body), status=200, content_type="application/json")

    # --- REST ----------------------------------------------------------------------------------------

    def _rest(self, request: Request) -> Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if token not in self.admin_tokens or request.path in ("/services/data", "/services/data/"):
            return super()._rest(request)  # the versions (anyone), the connector's user, or nobody
        rest = self._counted(request)
        if isinstance(rest, Response):
            return rest
        if rest == "/query/" and request.method == "GET":
            answer = self._query(request.args.get("q", ""))
            if self.next_records_url and answer.status_code == 200:
                body = json.loads(answer.get_data())
                return self._ok({**body, "done": False, "nextRecordsUrl": self.next_records_url})
            return answer
        if rest.startswith("/query/01g") and request.method == "GET":  # a next page: an endless org has another
            return self._ok({"totalSize": 10**9, "done": False, "records": [], "nextRecordsUrl": request.path})
        sobject = re.match(r"^/sobjects/(\w+)/(\w+)?$", rest)
        if sobject and request.method == "POST" and not sobject.group(2):
            return self._insert(sobject.group(1), request.get_json(silent=True) or {})
        if sobject and request.method == "DELETE" and sobject.group(2):
            return self._remove(sobject.group(1), sobject.group(2))
        if rest == "/metadata/deployRequest" and request.method == "POST":
            return self._deploy(request)
        status = re.match(r"^/metadata/deployRequest/(\w+)$", rest)
        if status and request.method == "GET":
            return self._deploy_status(status.group(1))
        return self._sf_error(404, "NOT_FOUND", "The requested resource does not exist")

    _LITERAL = r"'((?:[^'\\]|\\.)*)'"

    @staticmethod
    def _unquote(literal: str) -> str:
        return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), literal)

    def _query(self, soql: str) -> Response:
        lit = self._LITERAL
        if m := re.fullmatch(rf"SELECT Id, Username, IsActive FROM User WHERE Username = {lit}", soql):
            name = self._unquote(m.group(1))
            user = self.users.get(name)
            records = [] if user is None else [{"Id": user["id"], "Username": name, "IsActive": user["active"]}]
            return self._ok({"totalSize": len(records), "done": True, "records": records})
        if m := re.fullmatch(rf"SELECT Id, Name FROM PermissionSet WHERE Name = {lit}", soql):
            name = self._unquote(m.group(1))
            found = self.permission_sets.get(name)
            records = [] if found is None else [{"Id": found["Id"], "Name": name}]
            return self._ok({"totalSize": len(records), "done": True, "records": records})
        if m := re.fullmatch(
            rf"SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = {lit} AND PermissionSetId = {lit}", soql
        ):
            records = [
                {"Id": a["Id"]}
                for a in self.assignments
                if a["AssigneeId"] == m.group(1) and a["PermissionSetId"] == m.group(2)
            ]
            return self._ok({"totalSize": len(records), "done": True, "records": records})
        if self.eca_unavailable and "FROM ExternalClientApplication" in soql:
            return self._sf_error(
                400,
                "INVALID_TYPE",
                "sObject type 'ExternalClientApplication' is not supported. If you are attempting to use a custom "
                "object, be sure to append the '__c' after the entity name.",
            )
        if m := re.fullmatch(rf"SELECT Id, Name FROM ConnectedApplication WHERE Name = {lit}", soql):
            name = self._unquote(m.group(1))
            records = [{"Id": a.id, "Name": a.label} for a in self.connected_apps.values() if a.label == name]
            return self._ok({"totalSize": len(records), "done": True, "records": records})
        if m := re.fullmatch(
            rf"SELECT Id, DeveloperName FROM ExternalClientApplication WHERE DeveloperName = {lit}", soql
        ):
            app = self.org_apps.get(self._unquote(m.group(1)))
            records = [] if app is None else [{"Id": app.id, "DeveloperName": app.name}]
            return self._ok({"totalSize": len(records), "done": True, "records": records})
        return self._sf_error(400, "MALFORMED_QUERY", f"unexpected query: {soql[:80]}")

    def _insert(self, sobject: str, fields: dict[str, Any]) -> Response:
        if sobject == "PermissionSet":
            name = str(fields.get("Name", ""))
            if not name or not fields.get("Label"):
                return self._sf_error(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [Name, Label]")
            if name in self.permission_sets:
                return self._sf_error(
                    400, "DUPLICATE_VALUE", f"duplicate value found: Name duplicates {name}", ["Name"]
                )
            record_id = "0PS" + secrets.token_hex(6).upper()
            self.permission_sets[name] = {"Id": record_id, "Label": str(fields["Label"])}
            return self._ok({"id": record_id, "success": True, "errors": []}, 201)
        if sobject == "PermissionSetAssignment":
            assignee, permission_set = str(fields.get("AssigneeId", "")), str(fields.get("PermissionSetId", ""))
            if assignee not in {str(u["id"]) for u in self.users.values()}:
                return self._sf_error(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["AssigneeId"])
            if permission_set not in {p["Id"] for p in self.permission_sets.values()}:
                return self._sf_error(
                    400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["PermissionSetId"]
                )
            if any(a["AssigneeId"] == assignee and a["PermissionSetId"] == permission_set for a in self.assignments):
                return self._sf_error(400, "DUPLICATE_VALUE", "duplicate value found: Assignee", ["AssigneeId"])
            record_id = "0Pa" + secrets.token_hex(6).upper()
            self.assignments.append({"Id": record_id, "AssigneeId": assignee, "PermissionSetId": permission_set})
            return self._ok({"id": record_id, "success": True, "errors": []}, 201)
        return self._sf_error(404, "NOT_FOUND", f"sObject type '{sobject}' is not supported")

    def _remove(self, sobject: str, record_id: str) -> Response:
        if sobject == "PermissionSetAssignment":
            before = len(self.assignments)
            self.assignments = [a for a in self.assignments if a["Id"] != record_id]
            if len(self.assignments) < before:
                return Response("", status=204)
        if sobject == "PermissionSet":
            name = next((n for n, p in self.permission_sets.items() if p["Id"] == record_id), None)
            if name is not None:
                if any(a["PermissionSetId"] == record_id for a in self.assignments):
                    return self._sf_error(400, "DELETE_FAILED", "permission set is assigned to users")
                del self.permission_sets[name]
                return Response("", status=204)
        return self._sf_error(404, "ENTITY_IS_DELETED", "entity is deleted")

    # --- deploys ---------------------------------------------------------------------------------------

    def _deploy(self, request: Request) -> Response:
        if not self.admin_can_deploy:
            return self._sf_error(403, "INSUFFICIENT_ACCESS", "insufficient access rights on cross-reference id")
        part = request.form.get("json") or request.form.get("entity_content")
        upload = request.files.get("file")
        if part is None or upload is None or upload.mimetype != "application/zip":
            return self._sf_error(400, "INVALID_MULTIPART_REQUEST", "expected a json part and a zip file part")
        options = json.loads(part).get("deployOptions", {})
        data = upload.read()
        self.deploy_requests.append({"options": options, "zip": data})
        failures = self._check_package(data)
        deploy_id = "0Af" + secrets.token_hex(6).upper()
        check_only = bool(options.get("checkOnly"))
        if not failures and self.deploy_failures:
            failures, self.deploy_failures = list(self.deploy_failures), []
        if not failures and not options.get("ignoreWarnings"):
            failures = self._destructive_warnings(data)  # a warning fails a deploy that does not ignore them
        pending = None
        if not failures and not check_only:
            apply_after = self.apply_after_polls
            if apply_after:
                pending, self.apply_after_polls = data, 0
            else:
                self._apply_package(data)
        self.deploys[deploy_id] = {"failures": failures, "polls": 0, "checkOnly": check_only}
        if pending is not None:
            self.deploys[deploy_id].update(pending=pending, apply_after=apply_after)
        return self._ok(
            {"id": deploy_id, "deployOptions": options, "deployResult": {"done": False, "status": "Pending"}}, 201
        )

    def _deploy_status(self, deploy_id: str) -> Response:
        deploy = self.deploys.get(deploy_id)
        if deploy is None:
            return self._sf_error(404, "NOT_FOUND", "The requested resource does not exist")
        deploy["polls"] += 1
        pending = deploy.get("pending")
        if pending is not None and deploy["polls"] > deploy["apply_after"]:
            deploy["pending"] = None
            self._apply_package(pending)
        if self.status_read_errors and not deploy["checkOnly"]:
            status = self.status_read_errors.pop(0)
            return self._sf_error(
                status, "UNKNOWN_EXCEPTION", "An unexpected error occurred. Please include this ErrorId"
            )
        done = deploy["polls"] > self.deploy_polls
        failures = deploy["failures"]
        result: dict[str, Any] = {
            "id": deploy_id,
            "checkOnly": deploy["checkOnly"],
            "done": done,
            "status": ("Failed" if failures else "Succeeded") if done else "InProgress",
            "success": done and not failures,
            "numberComponentErrors": len(failures),
            "details": {"componentFailures": failures},
        }
        return self._ok({"id": deploy_id, "deployResult": result})

    def _check_package(self, data: bytes) -> list[dict[str, str]]:
        """The componentFailures Salesforce would report for this zip (empty when it deploys)."""
        schema = metadata_schema()

        def failure(kind: str, name: str, problem: str) -> dict[str, str]:
            return {"componentType": kind, "fullName": name, "problem": problem, "problemType": "Error"}

        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            files = {n: archive.read(n) for n in archive.namelist()}
        except zipfile.BadZipFile:
            return [failure("", "package.xml", "The file is not a valid zip file")]
        if "package.xml" not in files:
            return [failure("", "package.xml", "No package.xml found")]
        problems = []
        for path, content in files.items():
            if path.endswith(".xml") or "/" in path:
                if not schema.is_valid(content.decode("utf-8")):
                    reason = str(next(iter(schema.iter_errors(content.decode("utf-8")))).reason)
                    problems.append(failure("", path, f"Error parsing file: {reason}"))
        if problems:
            return problems
        listed = self._members(files["package.xml"])
        destructive = self._members(files["destructiveChanges.xml"]) if "destructiveChanges.xml" in files else {}
        present: set[tuple[str, str]] = set()
        for path in files:
            if "/" not in path:
                continue
            folder, file_name = path.split("/", 1)
            stem, _, suffix = file_name.rpartition(".")
            kind = next((k for k, (f, s) in METADATA_TYPES.items() if f == folder and s == suffix), None)
            if kind is None:
                problems.append(failure("", path, "Unknown type name or file suffix"))
                continue
            present.add((kind, stem))
        if present != listed:
            missing = sorted(listed - present)
            extra = sorted(present - listed)
            if missing:
                problems.append(
                    failure(
                        missing[0][0],
                        missing[0][1],
                        "An object was named in package.xml, but was not found in zipped directory",
                    )
                )
            if extra:
                problems.append(failure(extra[0][0], extra[0][1], "The file was not listed in package.xml"))
            return problems
        for kind, name in sorted(destructive):
            if kind == "ConnectedApp":
                if name not in self.connected_apps:
                    problems.append(failure(kind, name, f"No {kind} named: {name} found"))
                continue
            app_name = name.rsplit("_", 1)[0] if kind != "ExternalClientApplication" else name
            if app_name not in self.org_apps:
                problems.append(failure(kind, name, f"No {kind} named: {name} found"))
        problems += self._check_components(files)
        return problems

    def _members(self, xml: bytes) -> set[tuple[str, str]]:
        root = ET.fromstring(xml)
        members = set()
        for types in root.iter(f"{NS}types"):
            kind = types.findtext(f"{NS}name") or ""
            for member in types.iter(f"{NS}members"):
                members.add((kind, member.text or ""))
        return members

    def _fields(self, files: dict[str, bytes], kind: str) -> dict[str, str] | None:
        folder, suffix = METADATA_TYPES[kind]
        for path, content in files.items():
            if path.startswith(folder + "/") and path.endswith("." + suffix):
                root = ET.fromstring(content)
                return {child.tag.removeprefix(NS): child.text or "" for child in root}
        return None

    def _connected_app(self, files: dict[str, bytes]) -> tuple[str, ET.Element] | None:
        folder, suffix = CONNECTED_APP_TYPES["ConnectedApp"]
        for path, content in files.items():
            if path.startswith(folder + "/") and path.endswith("." + suffix):
                return path.split("/", 1)[1].rsplit(".", 1)[0], ET.fromstring(content)
        return None

    def _consumer_key_owner(self, key: str) -> OrgApp | None:
        return next(
            (a for a in [*self.org_apps.values(), *self.connected_apps.values()] if a.consumer_key == key), None
        )

    def _check_connected_app(self, name: str, root: ET.Element) -> list[dict[str, str]]:
        def problem(text: str) -> dict[str, str]:
            return {"componentType": "ConnectedApp", "fullName": name, "problem": text, "problemType": "Error"}

        existing = self.connected_apps.get(name)
        key = root.findtext(f"{NS}oauthConfig/{NS}consumerKey")
        problems = []
        if existing is None and self.connected_apps_blocked:
            return [problem(CONNECTED_APPS_BLOCKED)]
        if key is not None and (existing is not None or self.consumer_key_refused_on_create):
            problems.append(problem("You cannot provide a Consumer Key"))  # an update keeps its key
        if existing is None and key is not None and self._consumer_key_owner(key) is not None:
            problems.append(problem("The consumer key is already taken."))
        if (root.findtext(f"{NS}oauthPolicy/{NS}ipRelaxation") or "") not in CONNECTED_APP_IP_RELAXATION:
            problems.append(problem("Invalid ipRelaxation."))
        if (root.findtext(f"{NS}oauthPolicy/{NS}refreshTokenPolicy") or "") not in CONNECTED_APP_REFRESH_POLICIES:
            problems.append(problem("Invalid refreshTokenPolicy."))
        for element in root.iter(f"{NS}permissionSetName"):
            if (element.text or "").strip() not in self.permission_sets:
                problems.append(problem(f"We couldn't find permission set {(element.text or '').strip()}."))
        return problems

    def _check_components(self, files: dict[str, bytes]) -> list[dict[str, str]]:
        connected = self._connected_app(files)
        if connected is not None:
            return self._check_connected_app(*connected)
        problems = []
        app = self._fields(files, "ExternalClientApplication")
        glbl = self._fields(files, "ExtlClntAppGlobalOauthSettings")
        policy = self._fields(files, "ExtlClntAppOauthConfigurablePolicies")
        names = {f.get("externalClientApplication") for f in (glbl, policy) if f is not None}
        if app is not None:
            name = next(
                (p.rsplit("/", 1)[1].rsplit(".", 1)[0] for p in files if p.startswith("externalClientApps/")), ""
            )
            if name in self.org_apps:
                problems.append(
                    {
                        "componentType": "ExternalClientApplication",
                        "fullName": name,
                        "problem": f"An External Client App with the name {name} already exists.",
                        "problemType": "Error",
                    }
                )
        if glbl is not None:
            key = glbl.get("consumerKey", "")
            owner = self._consumer_key_owner(key)
            if owner is not None and owner.name != glbl.get("externalClientApplication"):
                problems.append(
                    {
                        "componentType": "ExtlClntAppGlobalOauthSettings",
                        "fullName": "",
                        "problem": "The consumer key is already taken.",
                        "problemType": "Error",
                    }
                )
            if app is None and glbl.get("externalClientApplication") not in self.org_apps:
                problems.append(
                    {
                        "componentType": "ExtlClntAppGlobalOauthSettings",
                        "fullName": "",
                        "problem": "The External Client App doesn't exist.",
                        "problemType": "Error",
                    }
                )
        if policy is not None:
            if policy.get("ipRelaxationPolicyType") not in IP_RELAXATION_VALUES:
                problems.append(
                    {
                        "componentType": "ExtlClntAppOauthConfigurablePolicies",
                        "fullName": "",
                        "problem": "Invalid ipRelaxationPolicyType.",
                        "problemType": "Error",
                    }
                )
            if "commaSeparatedPermissionSet" in policy and not policy["commaSeparatedPermissionSet"].strip():
                problems.append(  # an empty element: refused (it would name a permission set "")
                    {
                        "componentType": "ExtlClntAppOauthConfigurablePolicies",
                        "fullName": "",
                        "problem": "We couldn't find permission set .",
                        "problemType": "Error",
                    }
                )
            for name in filter(None, (policy.get("commaSeparatedPermissionSet") or "").split(",")):
                if name.strip() not in self.permission_sets:
                    problems.append(
                        {
                            "componentType": "ExtlClntAppOauthConfigurablePolicies",
                            "fullName": "",
                            "problem": f"We couldn't find permission set {name.strip()}.",
                            "problemType": "Error",
                        }
                    )
        if len(names) > 1:
            problems.append(
                {
                    "componentType": "",
                    "fullName": "",
                    "problem": "Components name different apps.",
                    "problemType": "Error",
                }
            )
        return problems

    def _destructive_warnings(self, data: bytes) -> list[dict[str, str]]:
        """What Salesforce warns about in a removal: members it cannot find. Deleting an app's header
        deletes its parts, so any part listed beside it is "not found" by the time it is reached."""
        files = {n: zipfile.ZipFile(io.BytesIO(data)).read(n) for n in zipfile.ZipFile(io.BytesIO(data)).namelist()}
        if "destructiveChanges.xml" not in files:
            return []
        members = self._members(files["destructiveChanges.xml"])
        deleted = {name for kind, name in members if kind == "ExternalClientApplication"}
        return [
            {
                "componentType": kind,
                "fullName": name,
                "problem": f"No {kind} named: {name} found",
                "problemType": "Warning",
            }
            for kind, name in members
            if (kind == "ExternalClientApplication" and name not in self.org_apps)
            or (kind != "ExternalClientApplication" and any(name.startswith(app) for app in deleted))
        ]

    def _apply_package(self, data: bytes) -> None:
        archive = zipfile.ZipFile(io.BytesIO(data))
        files = {n: archive.read(n) for n in archive.namelist()}
        if "destructiveChanges.xml" in files:
            for kind, name in self._members(files["destructiveChanges.xml"]):
                if kind in ("ExternalClientApplication", "ConnectedApp"):
                    apps = self.org_apps if kind == "ExternalClientApplication" else self.connected_apps
                    app = apps.pop(name, None)
                    if app is not None:
                        self.apps.pop(app.consumer_key, None)
            return
        ready = time.monotonic() + self.propagation_delay
        connected = self._connected_app(files)
        if connected is not None:
            self._apply_connected_app(*connected, ready=ready)
            return
        glbl = self._fields(files, "ExtlClntAppGlobalOauthSettings") or {}
        policy = self._fields(files, "ExtlClntAppOauthConfigurablePolicies")
        name = glbl.get("externalClientApplication", "")
        existing = self.org_apps.get(name)
        if existing is not None:  # a certificate replacement: the old key stops at once
            existing.certificate_pem = glbl.get("certificate", existing.certificate_pem)
            self.apps.pop(existing.consumer_key, None)
            existing.ready_at = ready
            return
        assert policy is not None
        self.org_apps[name] = OrgApp(
            name=name,
            consumer_key=glbl.get("consumerKey", ""),
            certificate_pem=glbl.get("certificate", ""),
            permission_set=policy.get("commaSeparatedPermissionSet", ""),
            ip_relaxation=policy.get("ipRelaxationPolicyType", ""),
            ready_at=ready,
        )

    def _apply_connected_app(self, name: str, root: ET.Element, *, ready: float) -> None:
        certificate = root.findtext(f"{NS}oauthConfig/{NS}certificate") or ""
        permission_sets = ",".join(e.text or "" for e in root.iter(f"{NS}permissionSetName"))
        approved = (root.findtext(f"{NS}oauthConfig/{NS}isAdminApproved") or "") == "true"
        ip = root.findtext(f"{NS}oauthPolicy/{NS}ipRelaxation") or ""
        existing = self.connected_apps.get(name)
        if existing is not None:  # an update: a new certificate stops the old key at once
            self.apps.pop(existing.consumer_key, None)
            existing.certificate_pem, existing.permission_set = certificate, permission_sets
            existing.admin_approved, existing.ip_relaxation, existing.ready_at = approved, ip, ready
            return
        self.connected_apps[name] = OrgApp(
            name=name,
            # Salesforce makes one when the deploy names none
            consumer_key=root.findtext(f"{NS}oauthConfig/{NS}consumerKey") or "3MVG" + secrets.token_urlsafe(60),
            certificate_pem=certificate,
            permission_set=permission_sets,
            ip_relaxation=ip,
            ready_at=ready,
            id="0H4" + secrets.token_hex(6).upper(),
            label=root.findtext(f"{NS}label") or name,
            admin_approved=approved,
        )

    # --- the connector's login against what was deployed ----------------------------------------------

    def _publish_ready_apps(self, *, for_login_host: bool) -> None:
        """Apps whose propagation is over answer the JWT login (with their users, as of now)."""
        with self._lock:
            for app in [*self.org_apps.values(), *self.connected_apps.values()]:
                external = app.name in self.org_apps and self.org_apps[app.name] is app
                # "My Domain only" is what users report of External Client Apps; Connected Apps serve both hosts.
                self.not_installed.discard(app.consumer_key)
                if self.my_domain_only and for_login_host and external:
                    # As users report: "External client app is not installed in this org" at login.salesforce.com.
                    self.apps.pop(app.consumer_key, None)
                    self.not_installed.add(app.consumer_key)
                    continue
                if self.never_propagates or time.monotonic() < app.ready_at:
                    self.apps.pop(app.consumer_key, None)
                    continue
                ids = {p["Id"] for n, p in self.permission_sets.items() if n in app.permission_set.split(",") and n}
                holders = {a["AssigneeId"] for a in self.assignments if a["PermissionSetId"] in ids}
                usernames = {name for name, user in self.users.items() if str(user["id"]) in holders}
                self.apps[app.consumer_key] = FakeApp(
                    consumer_key=app.consumer_key,
                    certificate_pem=app.certificate_pem.encode(),
                    policy="admin" if app.admin_approved else "self",
                    assigned=usernames,
                    external=external,
                )
