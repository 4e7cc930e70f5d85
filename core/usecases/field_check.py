"""The field check: prove, on a real org, every assumption the automated set-up makes.

On any org an admin can use (a Developer Edition org is enough), :func:`run_field_check` signs
in, then, with a throw-away app name and a throw-away key, runs exactly what the set-up and the
rotation run: the check-only deploy, the real deploy, the connector's JWT login at
login.salesforce.com and at the org's My Domain host (with the minutes until each first works),
a certificate replacement (the new key in, the old key out), and the removal; and it cleans up
after itself when a step fails. Every change is written to the journal before it is made, as the
set-up's are, so even a crash leaves nothing unknown.

The :class:`FieldReport` says, per step, what was sent and what came back as shapes
(:mod:`core.salesforce.recorder`: no token, key, certificate body or consumer key), plus the
facts it settles (:data:`FACTS`) and the set-up's own overhead on that org. It is written as
JSON and as a readable summary, for the admin to keep or send to support; :func:`differences`
compares two reports, so a report from a real org can become a test against the loopback org.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from core import __version__
from core.crypto.keypair import KeyBundle, create_key_bundle
from core.defaults import CONNECTOR_LOGIN_URL
from core.errors import AppError, CancelledError, FileRefusedError, InvalidInputError
from core.kinds import AppType
from core.salesforce.login import verify_jwt_login
from core.salesforce.metadata import FIELD_CHECK_PREFIX, app_kind, validate_app_type
from core.salesforce.org import OrgClient
from core.salesforce.recorder import Exchange, Recorder
from core.steps.journal import Journal
from core.steps.org_state import undo_setup
from core.steps.progress import Notice, Record, Runtime
from core.storage.settings import SalesforceAppRecord
from core.text import duration, printable
from core.transport import make_session
from core.urls import SafeUrl
from core.usecases.admin import SignIn, admin_session
from core.usecases.app_removal import AppRemoved, remove_app
from core.usecases.rotation import replace_certificate
from core.usecases.salesforce_app import apply_setup, my_domain_of, plan_setup
from core.validation import validate_username

#: Every throw-away app's name starts so (and a permission set ``{name}_Users`` goes with it).
APP_PREFIX = FIELD_CHECK_PREFIX

#: The facts a field check settles, in the words the README lists them.
FACTS = {
    "check_only_deploy": "A check-only deploy of the whole app (consumer key and certificate included) is accepted.",
    "deploy": "The real deploy creates the app, with the consumer key chosen here, pre-authorised through a "
    "permission set named by its API name.",
    "login_salesforce_com_minutes": "Minutes until the connector's JWT login works at login.salesforce.com.",
    "my_domain_minutes": "Minutes until the same login works at the org's My Domain host.",
    "certificate_replacement": "Redeploying the app's certificate (same consumer key) is accepted.",
    "new_key_minutes": "Minutes until the new key logs in after a certificate replacement.",
    "old_key_refused": "The old key is refused once the new certificate is in place.",
    "removal": "Removing the app by its header alone (warnings ignored) removes it.",
    "overhead_seconds": "The set-up's own time on this org, signed in to app created (no propagation wait).",
}

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
#: The two login steps' names, by host.
LOGIN_STEPS = {"login": "connector login at the login host", "my_domain": "connector login at My Domain"}


@dataclass(frozen=True)
class FieldCheckRequest:
    """Whose login is proved (a user of the org, e.g. the admin), the kind of app, and the hosts."""

    username: str
    app_type: AppType = AppType.ECA
    #: The connector's login host (the check also tries the org's My Domain host).
    login_url: SafeUrl = CONNECTOR_LOGIN_URL
    bits: int = 2048

    def validated(self) -> FieldCheckRequest:
        return FieldCheckRequest(
            username=validate_username(self.username),
            app_type=validate_app_type(self.app_type),
            login_url=self.login_url,
            bits=self.bits,
        )


@dataclass
class CheckStep:
    """One step: its verdict, a sentence, how long it took, and what went over the wire."""

    name: str
    outcome: str
    said: str = ""
    seconds: float = 0.0
    exchanges: list[Exchange] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "outcome": self.outcome,
            "said": self.said,
            "seconds": round(self.seconds, 2),
            "exchanges": [e.to_json() for e in self.exchanges],
        }


@dataclass
class FieldReport:
    """What a field check found. Holds no secret: values are never recorded, and :func:`run_field_check`
    scrubs its steps and facts of every secret it used before handing it out."""

    started_at: str
    login_url: str
    app_type: str
    app_name: str = ""
    org_host: str = ""
    my_domain_url: str = ""
    api_version: str = ""
    steps: list[CheckStep] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    tool: str = f"salesforce-connector-wizard {__version__}"

    @property
    def passed(self) -> bool:
        return all(step.outcome != FAILED for step in self.steps)

    def to_json(self) -> dict[str, Any]:
        return {
            "report": "field-check",
            "version": 1,
            "tool": self.tool,
            "started_at": self.started_at,
            "login_url": self.login_url,
            "my_domain_url": self.my_domain_url,
            "org_host": self.org_host,
            "api_version": self.api_version,
            "app_type": self.app_type,
            "app_name": self.app_name,
            "passed": self.passed,
            "facts": self.facts,
            "steps": [s.to_json() for s in self.steps],
        }

    def summary(self) -> str:
        """The report in plain words, one line per step and per fact."""
        lines = [
            f"Field check of {self.org_host or 'the org'} ({app_kind(self.app_type)} {self.app_name or '-'}, "
            f"API {self.api_version or '?'}), started {self.started_at[:16].replace('T', ' ')} UTC: "
            + ("every step passed." if self.passed else "a step FAILED.")
        ]
        for step in self.steps:
            lines.append(f"  [{step.outcome:>7}] {step.name} ({step.seconds:.1f} s): {step.said}")
        lines.append("Facts:")
        for key, words in FACTS.items():
            value = self.facts.get(key)
            shown = "not reached" if value is None else ("yes" if value else "no") if isinstance(value, bool) else value
            lines.append(f"  {words} -> {shown}")
        return "\n".join(printable(line) for line in lines)

    def write(self, path: Path) -> tuple[Path, Path]:
        """The JSON at ``path`` and the summary beside it (``.txt``), each written whole or not at all."""
        from core.storage.keyfiles import write_file_atomic

        text = json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"
        path, summary = report_paths(path)
        write_file_atomic(path, text.encode("utf-8"), mode=0o600, overwrite=True)
        write_file_atomic(summary, (self.summary() + "\n").encode("utf-8"), mode=0o600, overwrite=True)
        return path, summary


def throw_away_name() -> str:
    return APP_PREFIX + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(6))


def report_paths(path: Path) -> tuple[Path, Path]:
    """(the report's JSON, its summary beside it as .txt) for ``path``, which must end in .json (the summary
    must never be the JSON itself). Raises InvalidInputError."""
    path = Path(path).expanduser()
    if path.suffix.lower() != ".json":
        raise InvalidInputError(
            f"The report's file name must end in .json ({path.name} does not): its summary goes beside it as .txt.",
            field="report",
        )
    return path, path.with_suffix(".txt")


def check_report_path(path: Path) -> tuple[Path, Path]:
    """Before a check creates anything: the report can be written at ``path`` and replaces nothing there.

    Raises:
        InvalidInputError: not a .json name.
        FileRefusedError: the folder is missing or not writable, or either file exists already.
    """
    import tempfile

    json_path, summary = report_paths(path)
    folder = json_path.parent
    if not folder.is_dir():
        raise FileRefusedError(f"The folder {folder} for the report does not exist. Nothing was created.")
    for existing in (json_path, summary):
        if existing.exists() or existing.is_symlink():
            raise FileRefusedError(
                f"{existing} exists already; the report would replace it. Nothing was created.",
                hint="Give --report a new file name (the summary goes beside it with .txt).",
            )
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".sfcw-report-check-"):
            pass
    except OSError as exc:
        raise FileRefusedError(
            f"The report cannot be written in {folder} ({exc.strerror or type(exc).__name__}). Nothing was created.",
            hint="Choose a folder you can write to.",
        ) from exc
    return json_path, summary


def default_report_path(folder: Path, started_at: str) -> Path:
    stamp = started_at[:19].replace(":", "").replace("-", "").replace("T", "-")
    return folder / f"field-check-{stamp}.json"


class _Steps:
    """Runs the steps, timing each and taking its exchanges from the recorder."""

    def __init__(self, report: FieldReport, recorder: Recorder, run: Runtime) -> None:
        self.report, self.recorder, self.run = report, recorder, run

    def add(self, name: str, outcome: str, said: str, started: float) -> CheckStep:
        step = CheckStep(
            name=name,
            outcome=outcome,
            said=said,
            seconds=time.monotonic() - started,
            exchanges=self.recorder.take(),
        )
        self.report.steps.append(step)
        self.run.progress(Notice(f"Field check: {name}: {outcome}. {said}".strip()))
        return step


def _minutes(seconds: float) -> float:
    return round(seconds / 60, 1)


def _wait_for_logins(
    hosts: dict[str, SafeUrl],
    *,
    username: str,
    consumer_key: str,
    private_key: RSAPrivateKey,
    session: Any,
    run: Runtime,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[dict[str, float], dict[str, str]]:
    """Try the connector's login at each host until each works or the wait is over.

    Returns (host name -> seconds until it first worked, host name -> the last refusal)."""
    timings = run.timings
    started = time.monotonic()
    works: dict[str, float] = {}
    last: dict[str, str] = {}
    while True:
        for name, url in hosts.items():
            if name in works:
                continue
            refusal = _login_refusal(username, consumer_key, private_key, url, session, run)
            if refusal:
                last[name] = refusal
            else:
                works[name] = time.monotonic() - started
        elapsed = time.monotonic() - started
        if len(works) == len(hosts) or elapsed + timings.login_poll_interval > timings.login_wait:
            return works, last
        waited = 0.0
        while waited < timings.login_poll_interval:
            run.cancel.check("Stopped the field check while waiting for Salesforce (it cleans up now).")
            step = min(1.0, timings.login_poll_interval - waited)
            sleep(step)
            waited += step


def run_field_check(
    request: FieldCheckRequest,
    sign_in: SignIn,
    *,
    journal: Journal | None = None,
    run: Runtime | None = None,
    make_key: Callable[[int], KeyBundle] = lambda bits: create_key_bundle(bits=bits),
) -> FieldReport:
    """The whole field check; never raises for what Salesforce answers (the report says it).

    ``Record`` events say what to record (the throw-away app while it exists, then its removal), as the set-up's do.

    The steps run in order, each a method of :class:`_FieldCheck` that says whether the next one can follow;
    whatever ends the check (a refusal, a stop, an error), what it created is removed last.
    A stop (``run.cancel``) ends the check as a failed step: during the sign-in nothing was created;
    later, what was created is removed first.

    Raises:
        InvalidInputError: the request cannot work (before anything is sent).
    """
    check = _FieldCheck(request.validated(), run or Runtime(), journal=journal)
    if not check.sign_in(sign_in):
        return check.report
    check.make_keys(make_key)
    try:
        for step in (check.check_only_deploy, check.deploy, check.logins, check.certificate_replacement):
            if not step():
                return check.report
        check.removal()
        return check.report
    except CancelledError as exc:
        check.steps.add("stopped", FAILED, exc.message, check.began)
        return check.report
    finally:
        check.clean_up()


class _FieldCheck:
    """One field check's state, shared by its steps: the report, what was made, and what the steps learnt."""

    def __init__(self, request: FieldCheckRequest, run: Runtime, *, journal: Journal | None) -> None:
        self.request, self.run, self.journal = request, run, journal
        started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self.report = FieldReport(started_at=started_at, login_url=request.login_url, app_type=request.app_type)
        self.recorder = Recorder()
        self.steps = _Steps(self.report, self.recorder, run)
        self.http = self.recorder.attach(make_session())
        #: When the step now running began (a stop is timed from it).
        self.began = time.monotonic()
        self.created: list[tuple[str, str]] = []
        self.removed = False
        self.consumer_key = ""
        self.name = ""

    # --- the steps, in order; each returns whether the next can follow ---------------------------------------

    def sign_in(self, sign_in: SignIn) -> bool:
        self.began = time.monotonic()
        try:
            admin = admin_session(sign_in, run=self.run)
        except AppError as exc:
            self.steps.add("sign in", FAILED, exc.message, self.began)
            return False
        self.recorder.secret(admin.access_token, admin.refresh_token)
        self.admin = admin
        self.org = OrgClient(admin, session=self.http, timings=self.run.timings)
        self.report.org_host = self.org.host
        self.my_domain = my_domain_of(admin, self.request.login_url)
        self.report.my_domain_url = self.my_domain or ""
        self.steps.add("sign in", PASSED, f"Signed in to the org at {self.org.host}.", self.began)
        return True

    def make_keys(self, make_key: Callable[[int], KeyBundle]) -> None:
        """The throw-away key the app trusts first, the one its certificate is replaced with, and the app's name."""
        self.key, self.new_key = make_key(self.request.bits), make_key(self.request.bits)
        for bundle in (self.key, self.new_key):
            self.recorder.secret(bundle.private_key_pem, bundle.cert_pem)
        assert self.key.cert_pem is not None and self.new_key.cert_pem is not None
        self.name = self.report.app_name = throw_away_name()

    def check_only_deploy(self) -> bool:
        """plan_setup: versions, the user, the name free, then a checkOnly deploy."""
        report = self.report
        self.began = self.overhead_started = time.monotonic()
        assert self.key.cert_pem is not None
        try:
            self.plan = plan_setup(
                self.org,
                username=self.request.username,
                certificate_pem=self.key.cert_pem.decode("ascii"),
                contact_email=self.request.username,
                app_name=self.name,
                app_type=self.request.app_type,
            )
        except AppError as exc:
            report.facts["check_only_deploy"] = f"refused: {exc.message}"
            self.steps.add("check-only deploy", FAILED, exc.message, self.began)
            return False
        self.consumer_key = self.plan.spec.consumer_key
        self.recorder.secret(self.consumer_key)
        report.api_version = self.plan.api_version
        report.facts["check_only_deploy"] = "accepted"
        said = f"Salesforce would accept the {self.plan.spec.kind} {self.name}."
        self.steps.add("check-only deploy", PASSED, said, self.began)
        return True

    def deploy(self) -> bool:
        """The real deploy: permission set, assignment, app (the journal first, as the set-up)."""
        report = self.report
        self.began = time.monotonic()
        try:
            self.result = apply_setup(
                self.org,
                self.plan,
                org_id=self.admin.org_id,
                journal=self.journal,
                progress=self.run.progress,
                keep_entry=True,
            )
        except AppError as exc:
            self.created = list(getattr(exc, "created", []))
            report.facts["deploy"] = f"refused: {exc.message}"
            self.steps.add("deploy", FAILED, exc.message, self.began)
            return False
        self.created = list(self.result.created)
        self.run.progress(Record(self.result))
        report.facts["overhead_seconds"] = round(time.monotonic() - self.overhead_started, 2)
        report.facts["deploy"] = "accepted"
        self.steps.add("deploy", PASSED, f"Created {', '.join(kind for kind, _ in self.created)}.", self.began)
        return True

    def logins(self) -> bool:
        """The connector's login at login.salesforce.com and at My Domain; goes on where one works."""
        request, report, run = self.request, self.report, self.run
        self.hosts = {"login": request.login_url, **({"my_domain": self.my_domain} if self.my_domain else {})}
        self.began = began = time.monotonic()
        works, last = _wait_for_logins(
            self.hosts,
            username=request.username,
            consumer_key=self.result.consumer_key,
            private_key=self.key.key,
            session=self.http,
            run=run,
        )
        exchanges = self.recorder.take()
        for host, label, fact in (
            ("login", request.login_url, "login_salesforce_com_minutes"),
            ("my_domain", self.my_domain, "my_domain_minutes"),
        ):
            if host not in self.hosts:
                report.steps.append(
                    CheckStep(LOGIN_STEPS[host], SKIPPED, "The org's instance is the login host itself.")
                )
                continue
            if host in works:
                report.facts[fact] = _minutes(works[host])
                said = f"The connector's login works at {label} after {duration(works[host])}."
            else:
                said = f"{label} still refused after {duration(run.timings.login_wait)}: {last.get(host, '')}"
            report.steps.append(
                CheckStep(
                    LOGIN_STEPS[host],
                    PASSED if host in works else FAILED,
                    said,
                    works.get(host, time.monotonic() - began),
                    [e for e in exchanges if e.origin == _origin(self.hosts[host])],
                )
            )
            run.progress(Notice(f"Field check: {said}"))
        # Nothing logs in: the replacement could prove nothing; the clean-up follows.
        self.proof_host = "login" if "login" in works else next(iter(works), "")
        return bool(self.proof_host)

    def certificate_replacement(self) -> bool:
        """The new key in, the old one out: the new key's login works, and the old key's is refused."""
        request, report, result = self.request, self.report, self.result
        self.began = time.monotonic()
        self.record = SalesforceAppRecord(
            app_name=self.name,
            consumer_key=result.consumer_key,
            instance_url=self.org.instance_url,
            username=request.username,
            permission_set=result.permission_set,
            created_permission_set=True,
            app_type=request.app_type,
            ip_relaxation="enforce",
            contact_email=request.username,
        )
        assert self.new_key.cert_pem is not None
        try:
            replace_certificate(
                self.org,
                app_name=self.name,
                consumer_key=result.consumer_key,
                certificate_pem=self.new_key.cert_pem.decode("ascii"),
                app=self.record,
            )
        except AppError as exc:
            report.facts["certificate_replacement"] = f"refused: {exc.message}"
            self.steps.add("certificate replacement", FAILED, exc.message, self.began)
            return False
        report.facts["certificate_replacement"] = "accepted"
        self.steps.add("certificate replacement", PASSED, "Salesforce took the new certificate.", self.began)
        proof = self.proof_host
        self.began = time.monotonic()
        works, last = _wait_for_logins(
            {proof: self.hosts[proof]},
            username=request.username,
            consumer_key=result.consumer_key,
            private_key=self.new_key.key,
            session=self.http,
            run=self.run,
        )
        if proof in works:
            report.facts["new_key_minutes"] = _minutes(works[proof])
            self.steps.add("new key logs in", PASSED, f"After {duration(works[proof])}.", self.began)
        else:
            self.steps.add("new key logs in", FAILED, last.get(proof, ""), self.began)
        self.began = time.monotonic()
        old_refused = bool(
            _login_refusal(request.username, result.consumer_key, self.key.key, self.hosts[proof], self.http, self.run)
        )
        report.facts["old_key_refused"] = old_refused
        self.steps.add(
            "old key refused",
            PASSED if old_refused else FAILED,
            "Salesforce refuses the old key." if old_refused else "The old key still logs in.",
            self.began,
        )
        return True

    def removal(self) -> bool:
        """The removal, as Manage and remove-salesforce-app make it."""
        report = self.report
        self.began = time.monotonic()
        try:
            gone = remove_app(self.org, self.record)
        except AppError as exc:
            report.facts["removal"] = f"failed: {exc.message}"
            self.steps.add("removal", FAILED, exc.message, self.began)
            return False
        self.run.progress(Record(gone))
        self.removed = not gone.left
        report.facts["removal"] = "removed" if self.removed else "left: " + "; ".join(gone.left)
        self.steps.add(
            "removal",
            PASSED if self.removed else FAILED,
            f"Removed the {self.plan.spec.kind}, its permission set and the assignment."
            if self.removed
            else report.facts["removal"],
            self.began,
        )
        if self.removed:
            self.created = []
        return self.removed

    def clean_up(self) -> None:
        """Whatever ended the check: what it created is removed (the step says what was left, if anything; the
        journal names the check's set-up until nothing of it is left in the org), and the report holds no secret."""
        journal = self.journal
        if self.removed or not self.created:
            if journal is not None and self.removed:
                journal.finish_app(self.name)
        else:
            began = time.monotonic()
            left = undo_setup(self.org, self.created, api_version=self.report.api_version or self.org.api_version)
            if not left:
                if journal is not None:
                    journal.finish_app(self.name)
                self.run.progress(Record(AppRemoved(consumer_key=self.consumer_key, left=[])))
                self.steps.add("clean-up", PASSED, "Removed what the check had created.", began)
            else:
                self.steps.add("clean-up", FAILED, "Still in the org: " + "; ".join(left), began)
        self.report.steps = [_scrubbed(step, self.recorder) for step in self.report.steps]
        self.report.facts = self.recorder.scrub(self.report.facts)


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _login_refusal(
    username: str, consumer_key: str, private_key: RSAPrivateKey, url: SafeUrl, http: Any, run: Runtime
) -> str:
    """Salesforce's refusal of the connector's login at ``url`` in a sentence; empty when it works."""
    try:
        verify_jwt_login(
            username=username,
            consumer_key=consumer_key,
            private_key=private_key,
            login_url=url,
            session=http,
            timeout=run.timings.http_timeout,
        )
    except AppError as exc:
        return exc.message or "refused"
    return ""


def _scrubbed(step: CheckStep, recorder: Recorder) -> CheckStep:
    data = recorder.scrub(step.to_json())
    step.said = data["said"]
    step.exchanges = [Exchange(**{k: v for k, v in e.items()}) for e in data["exchanges"]]
    return step


# --- comparing reports (a real org's report as a test of the loopback org) -------------------------------

_ID = re.compile(r"\b[0-9][0-9A-Za-z]{2}[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?\b")
_VERSION = re.compile(r"/v\d+\.\d+/")
_APP = re.compile(APP_PREFIX + r"[A-Z0-9]{6}")


def _normal(text: str) -> str:
    return _ID.sub("{id}", _VERSION.sub("/vNN.0/", _APP.sub("{app}", text)))


def outline(report: dict[str, Any]) -> list[tuple[str, str, list[tuple[str, str, int, tuple[str, ...]]]]]:
    """Per step: name, outcome, and its distinct exchanges as (method, path, status, error codes) in the order
    first seen, ids and names normalised: how often, and in which interleaving, Salesforce said "in progress"
    or "not yet" is timing, not behaviour (a busy machine polled a third time, and the replay failed)."""
    steps = []
    for step in report.get("steps", []):
        calls: list[tuple[str, str, int, tuple[str, ...]]] = []
        for e in step.get("exchanges", []):
            call = (
                str(e.get("method")),
                _normal(str(e.get("path"))),
                int(e.get("status") or 0),
                tuple(sorted(str(err.get("code", "")) for err in e.get("errors") or [])),
            )
            if call not in calls:  # repeats folded wherever they come: polls interleave with timing
                calls.append(call)
        steps.append((str(step.get("name")), str(step.get("outcome")), calls))
    return steps


def differences(saved: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Where ``new`` behaved otherwise than ``saved``: each step's verdict and its exchanges, in order."""
    found = []
    a, b = outline(saved), outline(new)
    if [s[0] for s in a] != [s[0] for s in b]:
        found.append(f"steps differ: {[s[0] for s in a]} != {[s[0] for s in b]}")
    for (name, outcome, calls), (_, other_outcome, other_calls) in zip(a, b, strict=False):
        if outcome != other_outcome:
            found.append(f"{name}: {outcome} != {other_outcome}")
        for index, (x, y) in enumerate(zip(calls, other_calls, strict=False)):
            if x != y:
                found.append(f"{name}, exchange {index + 1}: {x} != {y}")
                break
        if len(calls) != len(other_calls):
            found.append(f"{name}: {len(calls)} exchanges != {len(other_calls)}")
    return found


def load_report(path: Path) -> dict[str, Any]:
    """A saved report's JSON. Raises InvalidInputError when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"{path} is not a field check report ({exc}).") from exc
    if not isinstance(data, dict) or data.get("report") != "field-check":
        raise InvalidInputError(f"{path} is not a field check report.")
    return data
