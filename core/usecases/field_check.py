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
from core.transport import make_session, require_safe_url
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
    login_url: str = CONNECTOR_LOGIN_URL
    bits: int = 2048

    def validated(self) -> FieldCheckRequest:
        return FieldCheckRequest(
            username=validate_username(self.username),
            app_type=validate_app_type(self.app_type),
            login_url=require_safe_url(self.login_url, what="login host"),
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
    hosts: dict[str, str],
    *,
    username: str,
    consumer_key: str,
    private_key: bytes,
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

    A stop (``run.cancel``) ends the check as a failed step: during the sign-in nothing was created;
    later, what was created is removed first.

    Raises:
        InvalidInputError: the request cannot work (before anything is sent).
    """
    run = run or Runtime()
    request = request.validated()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    report = FieldReport(started_at=started_at, login_url=request.login_url, app_type=request.app_type)
    recorder = Recorder()
    steps = _Steps(report, recorder, run)
    http = recorder.attach(make_session())

    began = time.monotonic()
    try:
        admin = admin_session(sign_in, run=run)
    except AppError as exc:
        steps.add("sign in", FAILED, exc.message, began)
        return report
    recorder.secret(admin.access_token, admin.refresh_token)
    org = OrgClient(admin, session=http, timings=run.timings)
    report.org_host = org.host
    my_domain = my_domain_of(admin, request.login_url)
    report.my_domain_url = my_domain
    steps.add("sign in", PASSED, f"Signed in to the org at {org.host}.", began)

    key, new_key = make_key(request.bits), make_key(request.bits)
    for bundle in (key, new_key):
        recorder.secret(bundle.private_key_pem, bundle.cert_pem)
    assert key.cert_pem is not None and new_key.cert_pem is not None
    name = throw_away_name()
    report.app_name = name
    created: list[tuple[str, str]] = []
    removed = False
    consumer_key = ""
    began = overhead_started = time.monotonic()
    try:
        # 1. The check-only deploy (plan_setup: versions, the user, the name free, then checkOnly).
        try:
            plan = plan_setup(
                org,
                username=request.username,
                certificate_pem=key.cert_pem.decode("ascii"),
                contact_email=request.username,
                app_name=name,
                app_type=request.app_type,
            )
        except AppError as exc:
            report.facts["check_only_deploy"] = f"refused: {exc.message}"
            steps.add("check-only deploy", FAILED, exc.message, began)
            return report
        consumer_key = plan.spec.consumer_key
        recorder.secret(consumer_key)
        report.api_version = plan.api_version
        report.facts["check_only_deploy"] = "accepted"
        steps.add("check-only deploy", PASSED, f"Salesforce would accept the {plan.spec.kind} {name}.", began)

        # 2. The real deploy: permission set, assignment, app (journal first, as the set-up).
        began = time.monotonic()
        try:
            result = apply_setup(
                org, plan, org_id=admin.org_id, journal=journal, progress=run.progress, keep_entry=True
            )
        except AppError as exc:
            created = list(getattr(exc, "created", []))
            report.facts["deploy"] = f"refused: {exc.message}"
            steps.add("deploy", FAILED, exc.message, began)
            return report
        created = list(result.created)
        run.progress(Record(result))
        report.facts["overhead_seconds"] = round(time.monotonic() - overhead_started, 2)
        report.facts["deploy"] = "accepted"
        steps.add("deploy", PASSED, f"Created {', '.join(kind for kind, _ in created)}.", began)

        # 3. The connector's login at login.salesforce.com and at My Domain.
        hosts = {"login": request.login_url, **({"my_domain": my_domain} if my_domain else {})}
        began = time.monotonic()
        works, last = _wait_for_logins(
            hosts,
            username=request.username,
            consumer_key=result.consumer_key,
            private_key=key.private_key_pem,
            session=http,
            run=run,
        )
        exchanges = recorder.take()
        for host, label, fact in (
            ("login", request.login_url, "login_salesforce_com_minutes"),
            ("my_domain", my_domain, "my_domain_minutes"),
        ):
            if host not in hosts:
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
                    [e for e in exchanges if e.origin == _origin(hosts[host])],
                )
            )
            run.progress(Notice(f"Field check: {said}"))
        proof_host = "login" if "login" in works else next(iter(works), "")
        if not proof_host:
            return report  # nothing logs in: the replacement could prove nothing; the clean-up follows

        # 4. A certificate replacement: the new key in, the old one out.
        began = time.monotonic()
        record = SalesforceAppRecord(
            app_name=name,
            consumer_key=result.consumer_key,
            instance_url=org.instance_url,
            username=request.username,
            permission_set=result.permission_set,
            created_permission_set=True,
            app_type=request.app_type,
            ip_relaxation="enforce",
            contact_email=request.username,
        )
        try:
            replace_certificate(
                org,
                app_name=name,
                consumer_key=result.consumer_key,
                certificate_pem=new_key.cert_pem.decode("ascii"),
                app=record,
            )
        except AppError as exc:
            report.facts["certificate_replacement"] = f"refused: {exc.message}"
            steps.add("certificate replacement", FAILED, exc.message, began)
            return report
        report.facts["certificate_replacement"] = "accepted"
        steps.add("certificate replacement", PASSED, "Salesforce took the new certificate.", began)
        began = time.monotonic()
        works, last = _wait_for_logins(
            {proof_host: hosts[proof_host]},
            username=request.username,
            consumer_key=result.consumer_key,
            private_key=new_key.private_key_pem,
            session=http,
            run=run,
        )
        if proof_host in works:
            report.facts["new_key_minutes"] = _minutes(works[proof_host])
            steps.add("new key logs in", PASSED, f"After {duration(works[proof_host])}.", began)
        else:
            steps.add("new key logs in", FAILED, last.get(proof_host, ""), began)
        began = time.monotonic()
        old_refused = bool(
            _login_refusal(request.username, result.consumer_key, key.private_key_pem, hosts[proof_host], http, run)
        )
        report.facts["old_key_refused"] = old_refused
        steps.add(
            "old key refused",
            PASSED if old_refused else FAILED,
            "Salesforce refuses the old key." if old_refused else "The old key still logs in.",
            began,
        )

        # 5. The removal, as Manage and remove-salesforce-app make it.
        began = time.monotonic()
        try:
            gone = remove_app(org, record)
        except AppError as exc:
            report.facts["removal"] = f"failed: {exc.message}"
            steps.add("removal", FAILED, exc.message, began)
            return report
        run.progress(Record(gone))
        removed = not gone.left
        report.facts["removal"] = "removed" if removed else "left: " + "; ".join(gone.left)
        steps.add(
            "removal",
            PASSED if removed else FAILED,
            f"Removed the {plan.spec.kind}, its permission set and the assignment."
            if removed
            else report.facts["removal"],
            began,
        )
        if removed:
            created = []
        return report
    except CancelledError as exc:
        steps.add("stopped", FAILED, exc.message, began)
        return report
    finally:
        _clean_up(
            org, created, consumer_key, removed=removed, report=report, steps=steps, journal=journal, run=run, name=name
        )
        report.steps = [_scrubbed(step, recorder) for step in report.steps]
        report.facts = recorder.scrub(report.facts)


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _login_refusal(username: str, consumer_key: str, private_key: bytes, url: str, http: Any, run: Runtime) -> str:
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


def _clean_up(
    org: OrgClient,
    created: list[tuple[str, str]],
    consumer_key: str,
    *,
    removed: bool,
    report: FieldReport,
    steps: _Steps,
    journal: Journal | None,
    run: Runtime,
    name: str,
) -> None:
    """Remove what a failed or stopped check created; the step says what was left, if anything.

    The journal names the check's set-up until nothing of it is left in the org."""
    if removed or not created:
        if journal is not None and removed:
            journal.finish_app(name)
        return
    began = time.monotonic()
    left = undo_setup(org, created, api_version=report.api_version or org.api_version)
    if not left:
        if journal is not None:
            journal.finish_app(name)
        run.progress(Record(AppRemoved(consumer_key=consumer_key, left=[])))
        steps.add("clean-up", PASSED, "Removed what the check had created.", began)
    else:
        steps.add("clean-up", FAILED, "Still in the org: " + "; ".join(left), began)


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
