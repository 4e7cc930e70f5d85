"""The field check end to end against the loopback org: every step, the clean-up, a report with no
secret in it, and saved reports replayed (a real org's report becomes a test of the loopback org)."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from core.crypto.keypair import KeyBundle, create_key_bundle
from core.kinds import AppType, RunKind, RunStep
from core.steps.journal import Journal
from core.steps.progress import Record, Runtime
from core.storage.settings import Settings
from core.usecases.admin import SignIn, SignInWay
from core.usecases.field_check import (
    APP_PREFIX,
    FieldCheckRequest,
    FieldReport,
    differences,
    load_report,
    run_field_check,
)
from tests.conftest import FAST, USERNAME
from tests.fakes.salesforce_org import FakeOrg

SAVED = Path(__file__).parent.parent / "data" / "field-checks"


class Run:
    """One field check against the loopback org, keeping every secret it used for the search."""

    def __init__(self, org: FakeOrg, *, app_type: AppType = AppType.ECA, wait: float = 5.0) -> None:
        self.org = org
        self.keys: list[KeyBundle] = []
        self.records: list[Any] = []
        self.token = org.admin_token()
        self.journal = Journal()

        def make_key(bits: int) -> KeyBundle:
            self.keys.append(create_key_bundle(bits=bits))
            return self.keys[-1]

        def progress(event: object) -> None:
            if isinstance(event, Record):
                self.records.append(event.change)
                Settings.update(event.change.apply)

        self.report: FieldReport = run_field_check(
            FieldCheckRequest(username=USERNAME, app_type=app_type, login_url=org.url),
            # The admin's session is with the org's My Domain host; the connector's login host is the org's own URL.
            SignIn(way=SignInWay.TOKEN, instance_url=org.my_domain_url, access_token=self.token),
            journal=self.journal,
            run=Runtime(progress=progress, timings=FAST._replace(login_poll_interval=0.05, login_wait=wait)),
            make_key=make_key,
        )

    def secrets(self) -> list[str]:
        """Every secret the run used: the admin's token, the consumer key, both keys and certificates (every
        line of their bodies), the JWT assertions and the access tokens Salesforce gave the connector."""
        found: list[str] = [self.token, *self.org._tokens]
        found += [str(r["assertion"]) for r in self.org.token_requests if "assertion" in r]
        for request in self.org.deploy_requests:
            archive = zipfile.ZipFile(io.BytesIO(request["zip"]))
            for name in archive.namelist():
                found += re.findall(r"<consumerKey>([^<]+)<", archive.read(name).decode())
        for bundle in self.keys:
            for pem in (bundle.private_key_pem, bundle.cert_pem or b""):
                found += [line for line in pem.decode().splitlines() if line and not line.startswith("-----")]
                found.append(base64.b64encode(pem).decode())
        return [s for s in found if len(s) >= 8]


def test_every_step_passes_on_an_org_that_behaves_and_nothing_is_left(org: FakeOrg, tmp_path: Path) -> None:
    run = Run(org)
    report = run.report
    assert [(s.name, s.outcome) for s in report.steps] == [
        ("sign in", "passed"),
        ("check-only deploy", "passed"),
        ("deploy", "passed"),
        ("connector login at the login host", "passed"),
        ("connector login at My Domain", "passed"),
        ("certificate replacement", "passed"),
        ("new key logs in", "passed"),
        ("old key refused", "passed"),
        ("removal", "passed"),
    ], report.summary()
    assert report.passed and report.app_name.startswith(APP_PREFIX)
    facts = report.facts
    assert facts["check_only_deploy"] == "accepted" and facts["deploy"] == "accepted"
    assert facts["login_salesforce_com_minutes"] == 0.0 and facts["my_domain_minutes"] == 0.0
    assert facts["old_key_refused"] is True and facts["removal"] == "removed"
    assert 0 < facts["overhead_seconds"] < 60
    # Nothing left: not in the org, not in the records, not in the journal.
    assert org.org_apps == {} and org.permission_sets == {} and org.assignments == []
    settings = Settings.load()
    assert settings.salesforce_apps == [] and settings.journal == []

    # The deploy's shape: a multipart with its options (booleans) and the zip's file list.
    deploy = next(s for s in report.steps if s.name == "deploy")
    posted = next(e for e in deploy.exchanges if e.method == "POST" and e.path.endswith("deployRequest"))
    assert posted.request["json"]["deployOptions"]["checkOnly"] is False
    assert f"externalClientApps/{report.app_name}.eca" in posted.request["file"]["zip"]
    soql = next(s for s in report.steps if s.name == "check-only deploy").exchanges
    assert any("FROM User WHERE Username = '?'" in e.path for e in soql)  # what was asked, not the values

    json_path, summary_path = report.write(tmp_path / "report.json")
    text = json_path.read_text() + summary_path.read_text()
    assert "every step passed" in summary_path.read_text()
    assert '"errors": []' not in json_path.read_text()  # an exchange without an error says nothing of errors
    assert any(e.get("errors") for step in json.loads(json_path.read_text())["steps"] for e in step["exchanges"])
    for secret in run.secrets():
        assert secret not in text, f"a secret ({secret[:6]}...) is in the report"


def test_a_login_host_that_keeps_saying_not_installed_is_reported_with_my_domain_working(org: FakeOrg) -> None:
    org.my_domain_only = True
    report = Run(org, wait=0.3).report
    outcomes = {s.name: s.outcome for s in report.steps}
    assert (
        outcomes["connector login at the login host"] == "failed"
        and outcomes["connector login at My Domain"] == "passed"
    )
    login = next(s for s in report.steps if s.name == "connector login at the login host")
    assert "External client app is not installed" in login.said
    assert any(e.errors and e.errors[0]["code"] == "app_not_found" for e in login.exchanges)
    assert "login_salesforce_com_minutes" not in report.facts and report.facts["my_domain_minutes"] == 0.0
    # The rotation is proved through the host that works; everything is removed in the end.
    assert outcomes["new key logs in"] == "passed" and outcomes["removal"] == "passed" and not report.passed
    assert org.org_apps == {} and org.permission_sets == {}


def test_a_failed_deploy_is_cleaned_up_and_said(org: FakeOrg, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail_the_real_deploy() -> None:
        org.deploy_failures = [
            {"componentType": "ExternalClientApplication", "fullName": "x", "problem": "boom", "problemType": "Error"}
        ]

    # The check-only deploy passes; the real one fails after the permission set was made.
    original = org._check_package

    def check(data: bytes) -> list[dict[str, str]]:
        if org.permission_sets:
            fail_the_real_deploy()
        return original(data)

    monkeypatch.setattr(org, "_check_package", check)
    report = Run(org).report
    assert [(s.name, s.outcome) for s in report.steps][-2:] == [("deploy", "failed"), ("clean-up", "passed")]
    assert "boom" in next(s for s in report.steps if s.name == "deploy").said
    assert org.permission_sets == {} and org.assignments == [] and Settings.load().journal == []


def test_a_connected_app_field_check_and_an_org_that_blocks_them(org: FakeOrg) -> None:
    report = Run(org, app_type=AppType.CONNECTED_APP).report
    assert report.passed, report.summary()
    assert org.connected_apps == {}
    org.connected_apps_blocked = True
    blocked = Run(org, app_type=AppType.CONNECTED_APP).report
    step = next(s for s in blocked.steps if s.name == "check-only deploy")
    assert step.outcome == "failed" and "does not allow new Connected Apps" in step.said
    assert org.permission_sets == {} and org.connected_apps == {}


def test_the_command_line_runs_it_and_writes_the_report(
    org: FakeOrg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.core.test_cli_setup import cli

    token = org.admin_token()
    monkeypatch.setenv("SF_ACCESS_TOKEN", token)
    report = tmp_path / "out" / "check.json"
    (tmp_path / "out").mkdir()
    run = cli(
        "field-check",
        "--username", USERNAME,
        "--login-url", org.url,
        "--instance-url", org.my_domain_url,
        "--report", str(report),
        "--yes",
    )  # fmt: skip
    assert run.code == 0, run.err
    assert "every step passed" in run.out and "Minutes until the connector's JWT login works" in run.out
    assert f"Report: {report}" in run.err and "holds no token" in run.err
    saved = load_report(report)
    assert saved["passed"] is True and report.with_suffix(".txt").read_text().startswith("Field check of")
    assert token not in run.out + run.err + report.read_text()
    assert org.org_apps == {} and Settings.load().salesforce_apps == []

    org.connected_apps_blocked = True
    blocked = cli(
        "field-check",
        "--username", USERNAME,
        "--app-type", "connected-app",
        "--login-url", org.url,
        "--instance-url", org.url,
        "--report", str(tmp_path / "blocked.json"),
        "--json",
        "--yes",
    )  # fmt: skip
    assert blocked.code == 1
    body = json.loads(blocked.out)
    assert body["passed"] is False and "does not allow new Connected Apps" in body["facts"]["check_only_deploy"]


# --- replaying saved reports ------------------------------------------------------------------------------


def fake_org_like(org: FakeOrg, saved: dict[str, Any]) -> None:
    """Set the loopback org to behave as the org the report was made on did (what the report shows of it)."""
    outcomes = {s["name"]: s["outcome"] for s in saved["steps"]}
    org.my_domain_only = (
        outcomes.get("connector login at the login host") == "failed"
        and outcomes.get("connector login at My Domain") == "passed"
    )
    check: dict[str, Any] = next((s for s in saved["steps"] if s["name"] == "check-only deploy"), {})
    org.connected_apps_blocked = "does not allow new Connected Apps" in check.get("said", "")


@pytest.mark.parametrize("saved_path", sorted(SAVED.glob("*.json")), ids=lambda p: p.stem)
def test_a_saved_report_replays_against_the_loopback_org(org: FakeOrg, saved_path: Path) -> None:
    saved = load_report(saved_path)
    fake_org_like(org, saved)
    report = Run(org, app_type=AppType(saved["app_type"]), wait=0.3).report
    assert differences(saved, report.to_json()) == []


def test_saved_reports_exist_and_a_difference_is_found(org: FakeOrg) -> None:
    paths = sorted(SAVED.glob("*.json"))
    assert len(paths) >= 2
    saved = load_report(paths[0])
    changed = json.loads(json.dumps(saved))
    changed["steps"][2]["exchanges"][0]["status"] = 500
    found = differences(saved, changed)
    assert found and "deploy, exchange 1" in found[0]


def write_saved_reports() -> None:
    """Write the loopback org's reports into tests/data/field-checks (``python -m tests.core.test_field_check``).

    A report from a real org goes in the same folder: the replay test then holds the loopback org to it."""
    import tempfile

    os.environ["SFCW_HOME"] = tempfile.mkdtemp()
    SAVED.mkdir(parents=True, exist_ok=True)
    org = FakeOrg().start()
    try:
        for name, knobs in (("loopback-eca", {}), ("loopback-eca-my-domain-only", {"my_domain_only": True})):
            org.reset()
            org.deploy_polls = 0
            org.add_user(USERNAME)
            org.add_user(org.admin_user)
            for key, value in knobs.items():
                setattr(org, key, value)
            path, _ = Run(org, wait=0.3).report.write(SAVED / f"{name}.json")
            print(path)
    finally:
        org.stop()


if __name__ == "__main__":
    write_saved_reports()


def test_a_field_check_killed_half_way_is_named_as_one(org: FakeOrg) -> None:
    from core.steps.journal import describe
    from core.storage.settings import JournalEntry

    entry = JournalEntry(
        id="x",
        kind=RunKind.SETUP,
        step=RunStep.APP,
        started_at="2026-11-30T08:00:00+00:00",
        app_name=APP_PREFIX + "ABC123",
    )
    assert f"set-up of the field check's throw-away External Client App {APP_PREFIX}ABC123" in describe(entry)


def test_the_outline_folds_repeats_wherever_they_come_so_timing_never_fails_a_replay() -> None:
    from core.usecases.field_check import differences

    def report(codes: list[tuple[int, str]]) -> dict[str, object]:
        exchanges = [
            {
                "method": "POST",
                "path": "/services/oauth2/token",
                "status": status,
                "errors": [{"code": code}] if code else [],
            }
            for status, code in codes
        ]
        return {"steps": [{"name": "connector login at the login host", "outcome": "passed", "exchanges": exchanges}]}

    quiet = report([(400, "invalid_client_id"), (200, "")])
    busy = report([(400, "invalid_client_id"), (400, "invalid_grant"), (400, "invalid_client_id"), (200, "")])
    slower = report([(400, "invalid_client_id"), (400, "invalid_grant"), (200, "")])
    assert differences(slower, busy) == []  # before: "3 exchanges != 4" on a machine under load
    assert differences(quiet, slower) != []  # a refusal that never came before is still a difference
