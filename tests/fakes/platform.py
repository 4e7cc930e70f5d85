"""The Unstructured Platform API's source connector endpoints, checked against the published spec."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from cryptography.hazmat.primitives import serialization
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from core.urls import SafeUrl
from tests.fakes.holds import Holds
from tests.fakes.loopback import routed_session

SPEC_PATH = Path(__file__).resolve().parents[2] / "tests" / "data" / "unstructured-platform-openapi.json"
CATEGORIES = {"Account", "Campaign", "Case", "EmailMessage", "Lead"}
_SOURCE = re.compile(r"^/api/v1/sources/([^/]+)$")
_JOB_DETAILS = re.compile(r"^/api/v1/jobs/([^/]+)/details$")
_CHECK = re.compile(r"^/api/v1/sources/([^/]+)/connection-check$")


def load_spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return spec


@dataclass
class Scripted:
    status: int
    body: str
    content_type: str
    delay: float
    method: str | None
    headers: dict[str, str]


class FakePlatform:
    """Source connectors for one account. The connection check logs in to :attr:`salesforce` like the connector."""

    def __init__(self, *, api_key: str = "test-api-key-0123456789", salesforce_url: str | None = None) -> None:
        self.server = HTTPServer(host="127.0.0.1", threaded=True)
        self.spec = load_spec()
        self._lock = threading.Lock()
        self._in_flight = 0
        self._idle = threading.Condition()
        self.reset(api_key=api_key, salesforce_url=salesforce_url)

    def reset(self, *, api_key: str = "test-api-key-0123456789", salesforce_url: str | None = None) -> None:
        """Forget every connector and scripted answer (servers are reused across tests)."""
        self.api_keys = {api_key}
        self.salesforce_url = salesforce_url  # where the "connector" logs in during a check
        self.connectors: dict[str, dict[str, Any]] = {}
        self.checks: dict[str, dict[str, Any]] = {}
        #: Workflows (WorkflowInformation) and their jobs (JobInformation, plus "details": JobDetails), as the
        #: published spec shapes them; add them with add_workflow and add_job.
        self.workflows: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.scheduled_polls = 1  # GETs answering SCHEDULED before the verdict
        self.delay = 0.0
        self.scripted: list[Scripted] = []
        self.requests: list[tuple[str, str, Any]] = []  # (method, path, json body or None)
        self.spec_violations: list[str] = []
        previous: Holds | None = getattr(self, "holds", None)
        if previous is not None:
            previous.release_all()
        #: Requests held until a test lets them go (``holds.add("PUT", "/sources/")``).
        self.holds: Holds = Holds()

    def start(self) -> "FakePlatform":
        self.server.expect_request(re.compile(".*")).respond_with_handler(self._handle)
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()

    @property
    def url(self) -> SafeUrl:
        return SafeUrl(f"http://127.0.0.1:{self.server.port}")

    @property
    def api_url(self) -> SafeUrl:
        return SafeUrl(f"{self.url}/api/v1")

    def fail_next(
        self,
        status: int,
        body: object = "",
        *,
        content_type: str = "application/json",
        delay: float = 0.0,
        method: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next request (optionally of ``method``) with this instead of the real thing."""
        text = body if isinstance(body, str) else json.dumps(body)
        self.scripted.append(Scripted(status, text, content_type, delay, method, headers or {}))

    def requests_of(self, method: str, path_prefix: str = "/api/v1/sources") -> list[tuple[str, str, Any]]:
        return [r for r in self.requests if r[0] == method and r[1].startswith(path_prefix)]

    # --- validation against the spec ---------------------------------------------------------

    def _validate(self, body: Any, schema_name: str) -> list[dict[str, Any]]:
        root = dict(self.spec)
        root["$ref"] = f"#/components/schemas/{schema_name}"
        validator = jsonschema.Draft202012Validator(root)
        errors = []
        for error in validator.iter_errors(body):
            errors.append(
                {"loc": ["body", *[str(p) for p in error.absolute_path]], "msg": error.message, "type": error.validator}
            )
        return errors

    @staticmethod
    def _json(body: Any, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")

    def _unprocessable(self, errors: list[dict[str, Any]]) -> Response:
        return self._json({"detail": errors}, 422)

    # --- handling ----------------------------------------------------------------------------

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no request is being answered (e.g. a deliberately slow one has finished)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def _handle(self, request: Request) -> Response:
        with self._idle:
            self._in_flight += 1
        try:
            answer = self.holds.around(request, lambda: self._answer(request))
            assert isinstance(answer, Response)
            return answer
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def _answer(self, request: Request) -> Response:
        body = None
        if request.data:
            try:
                body = json.loads(request.get_data(as_text=True))
            except ValueError:
                body = "<not json>"
        self.requests.append((request.method, request.path, body))
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            scripted = next((s for s in self.scripted if s.method in (None, request.method)), None)
            if scripted:
                self.scripted.remove(scripted)
        if scripted:
            time.sleep(scripted.delay)
            return Response(
                scripted.body, status=scripted.status, content_type=scripted.content_type, headers=scripted.headers
            )
        key = request.headers.get("unstructured-api-key")
        if not key:
            return self._json({"detail": "API key is missing, please provide an API key in the header."}, 401)
        if key not in self.api_keys:
            return self._json({"detail": "API key is invalid"}, 401)
        path = request.path
        if path == "/api/v1/sources/" and request.method == "GET":
            return self._list(request)
        if path == "/api/v1/sources/" and request.method == "POST":
            return self._create(body)
        if path == "/api/v1/workflows/" and request.method == "GET":
            return self._list_workflows(request)
        if path == "/api/v1/jobs/" and request.method == "GET":
            return self._list_jobs(request)
        match = _JOB_DETAILS.match(path)
        if match and request.method == "GET":
            job = self.jobs.get(match.group(1))
            return self._json(job["details"]) if job else self._json({"detail": "Job not found"}, 404)
        match = _CHECK.match(path)
        if match:
            return self._check(request.method, match.group(1))
        match = _SOURCE.match(path)
        if match:
            return self._one(request.method, match.group(1), body)
        return self._json({"detail": "Not Found"}, 404)

    # --- workflows and jobs (the connector's runs) ------------------------------------------------

    def add_workflow(self, name: str, source_id: str) -> str:
        """A workflow that reads ``source_id``; its id."""
        workflow_id = str(uuid.uuid4())
        workflow = {
            "id": workflow_id,
            "name": name,
            "sources": [source_id],
            "destinations": [str(uuid.uuid4())],
            "workflow_type": "advanced",
            "workflow_nodes": [],
            "schedule": None,
            "status": "active",
            "created_at": "2026-11-01T00:00:00+00:00",
            "updated_at": None,
        }
        assert not self._validate(workflow, "WorkflowInformation"), "the fake's own workflow breaks the spec"
        self.workflows[workflow_id] = workflow
        return workflow_id

    def add_job(self, workflow_id: str, status: str, *, message: str | None = None, created_at: str = "") -> str:
        """A job of the workflow, ``status`` as JobStatus; its details say ``message`` (the job's error text)."""
        job_id = str(uuid.uuid4())
        workflow = self.workflows[workflow_id]
        job = {
            "id": job_id,
            "workflow_id": workflow_id,
            "workflow_name": workflow["name"],
            "status": status,
            "created_at": created_at or f"2026-12-0{1 + len(self.jobs) % 9}T02:00:00+00:00",
            "runtime": None,
            "job_type": "ephemeral",
        }
        processing = {"COMPLETED": "SUCCESS", "FAILED": "FAILED"}.get(status, status)
        details: dict[str, Any] = {"id": job_id, "processing_status": processing, "node_stats": [], "message": message}
        assert not self._validate(job, "JobInformation"), "the fake's own job breaks the spec"
        assert not self._validate(details, "JobDetails"), "the fake's own job details break the spec"
        self.jobs[job_id] = {**job, "details": details}
        return job_id

    def _list_workflows(self, request: Request) -> Response:
        """Paged as the spec says: ``page`` from 1, ``page_size`` 20 unless asked (an integer, or 422)."""
        source = request.args.get("source_id")
        paging: dict[str, int] = {}
        for name, default in (("page", 1), ("page_size", 20)):
            text = request.args.get(name)
            try:
                paging[name] = default if text is None else int(text)
            except ValueError:
                return self._unprocessable(
                    [{"loc": ["query", name], "msg": "Input should be a valid integer", "type": "int_parsing"}]
                )
        items = [w for w in self.workflows.values() if source is None or source in w["sources"]]
        first = (paging["page"] - 1) * paging["page_size"]
        return self._json(items[first : first + paging["page_size"]])

    def _list_jobs(self, request: Request) -> Response:
        workflow = request.args.get("workflow_id")
        status = request.args.get("status")
        allowed = self.spec["components"]["schemas"]["JobStatus"]["enum"]
        if status is not None and status not in allowed:
            return self._unprocessable(
                [{"loc": ["query", "status"], "msg": "Input should be a valid enum member", "type": "enum"}]
            )
        items = [
            {k: v for k, v in j.items() if k != "details"}
            for j in self.jobs.values()
            if (workflow is None or j["workflow_id"] == workflow) and (status is None or j["status"] == status)
        ]
        return self._json(items)

    def _list(self, request: Request) -> Response:
        source_type = request.args.get("source_type")
        allowed = self.spec["components"]["schemas"]["SourceConnectorType"]["enum"]
        if source_type is not None and source_type not in allowed:
            return self._unprocessable(
                [{"loc": ["query", "source_type"], "msg": "Input should be a valid enum member", "type": "enum"}]
            )
        items = [c for c in self.connectors.values() if source_type in (None, c["type"])]
        return self._json([self._public(c) for c in items])

    def _salesforce_errors(self, config: Any) -> list[dict[str, Any]]:
        return [
            dict(e, loc=["body", "config", *e["loc"][1:]])
            for e in self._validate(config, "SalesforceSourceConnectorConfigInput")
        ]

    def _create(self, body: Any) -> Response:
        errors = self._validate(body, "CreateSourceConnector")
        if not errors and body.get("type") == "salesforce":
            errors = self._salesforce_errors(body.get("config"))
        if errors:
            self.spec_violations.append(json.dumps(errors))
            return self._unprocessable(errors)
        if any(c["name"] == body["name"] for c in self.connectors.values()):
            return self._json({"detail": f"Source connector with name {body['name']} already exists"}, 409)
        now = dt.datetime.now(dt.UTC).isoformat()
        connector = {
            "id": str(uuid.uuid4()),
            "name": body["name"],
            "type": body["type"],
            "config": body["config"],
            "created_at": now,
            "updated_at": None,
        }
        self.connectors[connector["id"]] = connector
        return self._json(self._public(connector))

    def _one(self, method: str, source_id: str, body: Any) -> Response:
        connector = self.connectors.get(source_id)
        if connector is None:
            return self._json({"detail": f"Source connector with id {source_id} not found"}, 404)
        if method == "GET":
            return self._json(self._public(connector))
        if method == "DELETE":
            del self.connectors[source_id]
            return self._json({"detail": f"Source connector with id {source_id} successfully deleted"})
        if method == "PUT":
            errors = self._validate(body, "UpdateSourceConnector")
            if not errors and connector["type"] == "salesforce":
                errors = self._salesforce_errors(body.get("config"))
            if errors:
                self.spec_violations.append(json.dumps(errors))
                return self._unprocessable(errors)
            connector["config"] = body["config"]
            connector["updated_at"] = dt.datetime.now(dt.UTC).isoformat()
            return self._json(self._public(connector))
        return self._json({"detail": "Method Not Allowed"}, 405)

    @staticmethod
    def _public(connector: dict[str, Any]) -> dict[str, Any]:
        # Like the real service, never hand the private key back.
        config = dict(connector["config"])
        if "private_key" in config:
            config["private_key"] = "**********"
        return dict(connector, config=config)

    # --- connection check --------------------------------------------------------------------

    def _check(self, method: str, source_id: str) -> Response:
        connector = self.connectors.get(source_id)
        if connector is None:
            return self._json({"detail": f"Source connector with id {source_id} not found"}, 404)
        now = dt.datetime.now(dt.UTC).isoformat()
        if method == "POST":
            started: dict[str, Any] = {
                "id": str(uuid.uuid4()),
                "status": "SCHEDULED",
                "reason": None,
                "created_at": now,
                "reported_at": None,
                "_polls": 0,
            }
            self.checks[source_id] = started
            return self._json(self._check_public(started), 202)
        check = self.checks.get(source_id)
        if check is None:
            return self._json({"detail": "No connection check found for this connector"}, 404)
        if check["status"] == "SCHEDULED":
            check["_polls"] += 1
            if check["_polls"] > self.scheduled_polls:
                reason = self._run_connector_login(connector["config"])
                check.update(status="FAILURE" if reason else "SUCCESS", reason=reason, reported_at=now)
        return self._json(self._check_public(check))

    @staticmethod
    def _check_public(check: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in check.items() if not k.startswith("_")}

    def _run_connector_login(self, config: dict[str, Any]) -> str | None:
        """What unstructured-ingest does: load the key as given, check categories, log in with JWT."""
        bad = [c for c in config.get("categories", []) if c not in CATEGORIES]
        if bad:
            return f"invalid categories: {bad}"
        try:
            serialization.load_pem_private_key(config["private_key"].encode(), password=None)
        except (ValueError, TypeError) as exc:
            return f"failed to load private key: {exc}"
        if self.salesforce_url is None:
            return None
        # The connector's own login: simple_salesforce, sent to login.salesforce.com, which the
        # loopback Salesforce stands in for.
        from simple_salesforce.exceptions import SalesforceAuthenticationFailed
        from simple_salesforce.login import SalesforceLogin

        try:
            with warnings.catch_warnings():  # its 'browse to the approval URL' hint goes to the worker's log
                warnings.simplefilter("ignore", UserWarning)
                SalesforceLogin(
                    username=config["username"],
                    consumer_key=config["consumer_key"],
                    privatekey=config["private_key"],
                    domain="login",
                    session=routed_session("login.salesforce.com", self.salesforce_url),
                )
        except SalesforceAuthenticationFailed as exc:
            # As current unstructured-ingest reports it: the error code, without Salesforce's description.
            return f"SalesforceAuthenticationFailed(code={exc.code})"
        return None
