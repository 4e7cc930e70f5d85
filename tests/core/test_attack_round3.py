"""Attack round 3 (issue 26): what Salesforce took stays known, whatever its status reads answer.

Each test fails without its fix; the loopback org answers as a real one does (HTTP 500 with
Salesforce's error body, a deploy applied after some status reads).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from core.errors import DeployStatusUnknown
from core.kinds import RunKind, RunStep
from core.salesforce.org import STATUS_READ_ATTEMPTS, OrgClient
from core.storage.settings import Settings
from tests.core.test_cli_setup import rotate_args, setup_args
from tests.core.test_crash_safety import APP, _connector, cli
from tests.fakes.platform import FakePlatform
from tests.fakes.salesforce_org import FakeOrg

# --- 1. a status read that fails after Salesforce accepted a deploy is not a refusal ----------------


def test_failed_status_reads_are_read_again_and_the_outcome_is_had(client: OrgClient, org: FakeOrg) -> None:
    from core.salesforce.metadata import removal_package

    org.status_read_errors = [500, 503]
    outcome = client.deploy(removal_package("Nothing_Here", api_version="60.0"), ignore_warnings=True)
    assert org.status_read_errors == [] and outcome.status == "Failed"  # the org's own answer, not a 500
    assert "No ExternalClientApplication named: Nothing_Here" in outcome.failures[0].problem


def test_status_reads_that_keep_failing_make_the_outcome_unknown_never_a_refusal(
    client: OrgClient, org: FakeOrg
) -> None:
    from core.salesforce.metadata import removal_package

    org.status_read_errors = [500] * STATUS_READ_ATTEMPTS
    with pytest.raises(DeployStatusUnknown) as info:
        client.deploy(removal_package("Nothing_Here", api_version="60.0"), ignore_warnings=True)
    assert info.value.deploy_id in info.value.message and "may have been applied" in info.value.message
    assert "Deployment Status" in info.value.hint


def test_a_set_up_whose_app_status_cannot_be_read_finds_the_app_and_records_it(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    org.status_read_errors = [500] * STATUS_READ_ATTEMPTS
    run = cli(*setup_args(org, keys))
    assert run.code == 0, run.err  # before: "Removed what this run created", the app left in the org unrecorded
    [app] = Settings.load().salesforce_apps
    assert app.app_name == APP and app.consumer_key == org.org_apps[APP].consumer_key == run.out.strip()
    assert app.created_permission_set and Settings.load().journal == []


def test_a_set_up_whose_app_is_not_there_yet_removes_nothing_and_keeps_its_journal(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    org.status_read_errors = [500] * STATUS_READ_ATTEMPTS
    org.apply_after_polls = STATUS_READ_ATTEMPTS + 1  # Salesforce applies it a little later
    run = cli(*setup_args(org, keys))
    assert run.code != 0
    assert "may have been applied" in run.err and "Nothing was removed" in run.err and "Removed" not in run.out
    assert "Run the same set-up again" in run.err
    assert org.permission_sets and org.assignments  # nothing undone
    [entry] = Settings.load().journal
    assert entry.step == "app" and entry.app_name == APP

    # Salesforce finishes the deploy; the same set-up run again finds the app and records it.
    [pending] = [d for d in org.deploys.values() if d.get("pending")]
    org._apply_package(pending.pop("pending"))
    assert APP in org.org_apps
    again = cli(*setup_args(org, keys))
    assert again.code == 0, again.err
    [app] = Settings.load().salesforce_apps
    assert app.consumer_key == org.org_apps[APP].consumer_key and app.created_permission_set
    assert Settings.load().journal == []


def test_a_rotation_whose_certificate_status_cannot_be_read_keeps_its_journal_entry(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    connector_id = _connector(org, keys, platform, monkeypatch)
    org.status_read_errors = [500] * STATUS_READ_ATTEMPTS
    run = cli(*rotate_args(org, platform, connector_id, tmp_path / "new"))
    assert run.code != 0
    assert "whether it was applied is not known" in run.err, run.err
    # The org trusts the new certificate (the deploy went through); before, the entry was dropped as "refused".
    new_cert = (tmp_path / "new" / "salesforce-rotated.crt").read_text().strip()
    assert org.org_apps[APP].certificate_pem == new_cert
    [entry] = Settings.load().journal
    assert entry.kind == "rotation" and entry.step == "certificate" and entry.connector_id == connector_id

    finished = cli(*rotate_args(org, platform, connector_id, tmp_path / "again"))
    assert finished.code == 0, finished.err
    live = (tmp_path / "new" / "salesforce-rotated.pem").read_text()
    assert platform.connectors[connector_id]["config"]["private_key"] == live
    assert Settings.load().journal == []


# --- 8. nextRecordsUrl is only ever a path on the org, and pages are bounded ----------------------------


@pytest.mark.parametrize(
    "link",
    [
        "0/services/data/v60.0/query/01gX-2000",  # appended as text: http://127.0.0.1:PORT0/... another port
        "@127.0.0.1:1/services/data/v60.0/query/01gX-2000",  # appended as text: another host
        "http://127.0.0.1:1/services/data/v60.0/query/01gX-2000",
        "//127.0.0.1:1/services/data/v60.0/query/01gX-2000",
        "/services/data/v60.0/query/01gX-2000\r\nX-Injected: 1",
    ],
)
def test_a_next_page_that_points_elsewhere_is_not_followed_with_the_token(
    client: OrgClient, org: FakeOrg, link: str
) -> None:
    from core.errors import OrgApiError
    from core.steps.org_state import app_exists

    org.next_records_url = link
    with pytest.raises(OrgApiError, match="somewhere other than this org's REST API"):
        app_exists(client, "Any_App")


def test_an_org_that_answers_with_pages_for_ever_is_stopped(client: OrgClient, org: FakeOrg) -> None:
    from core.errors import OrgApiError
    from core.salesforce.org import MAX_QUERY_PAGES

    org.next_records_url = "/services/data/v60.0/query/01gENDLESS-2000"
    with pytest.raises(OrgApiError, match=f"more pages after {MAX_QUERY_PAGES}"):
        client.query("SELECT Id, DeveloperName FROM ExternalClientApplication WHERE DeveloperName = 'X'")


def test_records_that_are_not_a_list_are_no_records(
    client: OrgClient, org: FakeOrg, monkeypatch: pytest.MonkeyPatch
) -> None:
    from werkzeug import Response

    monkeypatch.setattr(
        org, "_query", lambda soql: Response('{"done": true, "records": 5}', content_type="application/json")
    )
    assert client.query("SELECT Id FROM User") == []


# --- 3. killed right after the permission set (or its assignment) was created ----------------------------


@pytest.mark.parametrize("at", ["PermissionSet", "PermissionSetAssignment"])
def test_what_a_run_killed_right_after_creating_it_made_is_recorded_and_removed_with_the_app(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, at: str
) -> None:
    from tests.core.test_crash_safety import kill_at, start_cli

    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    kill_at(start_cli(*setup_args(org, keys)), org.hold("POST", f"/sobjects/{at}/"))
    assert org.permission_sets and (bool(org.assignments) == (at == "PermissionSetAssignment"))

    again = cli(*setup_args(org, keys))
    assert again.code == 0, again.err
    [app] = Settings.load().salesforce_apps
    assert app.created_permission_set  # before: False, so removal left the set and its assignment behind
    removed = cli("remove-salesforce-app", "--instance-url", org.url, "--login-url", org.url, "--yes")
    assert removed.code == 0, removed.err
    assert org.org_apps == {} and org.permission_sets == {} and org.assignments == []


# --- 4. a journal entry whose pid belongs to another process now (after a reboot) ---------------------


def test_an_entry_whose_pid_is_another_process_now_is_named_as_unfinished() -> None:
    import subprocess
    import sys

    from core.steps.journal import Journal, new_entry, process_started

    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert process_started(other.pid)  # Linux and Windows say when a process started
        entry = new_entry(
            RunKind.SETUP, RunStep.APP, app_name="Unstructured_Connector", instance_url="https://x.my.salesforce.com"
        )
        reused = replace(entry, id="reused", pid=str(other.pid))  # written by an earlier process with that number
        live = replace(entry, id="live", pid=str(other.pid), pid_started=process_started(other.pid))
        Settings.update(lambda s: setattr(s, "journal", [reused, live]))
        assert [e.id for e in Journal().unfinished()] == ["reused"]  # before: neither (the pid is alive)
    finally:
        other.kill()
        other.wait()
    assert sorted(e.id for e in Journal().unfinished()) == ["live", "reused"]


# --- 5. set-up run again after a kill during the login wait ------------------------------------------------


def test_a_set_up_killed_while_waiting_for_the_login_finishes_the_wait_when_run_again(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from tests.core.test_crash_safety import start_cli

    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    org.never_propagates = True  # the connector's login keeps being refused: the run waits
    process = start_cli(*setup_args(org, keys))
    try:
        deadline = time.monotonic() + 60
        while not (APP in org.org_apps and Settings.load().salesforce_apps) and time.monotonic() < deadline:
            # the first save that records the app already says its login is pending: no later one is waited for
            time.sleep(0.05)
        assert Settings.load().salesforce_apps, "the set-up never reached the login wait"
        assert Settings.load().salesforce_apps[0].login_pending  # from the very save that recorded it
    finally:
        process.kill()
        process.communicate(timeout=30)
    deploys = len(org.deploy_requests)
    consumer_key = org.org_apps[APP].consumer_key

    org.never_propagates = False
    again = cli(*setup_args(org, keys))
    assert again.code == 0, again.err  # before: "already exists ... rotate"
    assert again.out.strip() == consumer_key and f"consumer key {consumer_key}" in again.err
    assert "create nothing, wait for the connector's login again" in again.err
    assert "The connector's login works." in again.err
    assert len(org.deploy_requests) == deploys  # nothing made twice
    [app] = Settings.load().salesforce_apps
    assert app.consumer_key == consumer_key and app.created_permission_set


# --- 6. a field check killed after its throw-away app exists ------------------------------------------------


def test_a_field_check_killed_after_its_app_exists_is_named_on_the_next_start_and_removable(
    org: FakeOrg, platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from core.salesforce.metadata import FIELD_CHECK_PREFIX
    from tests.conftest import USERNAME
    from tests.core.test_crash_safety import kill_at, start_cli

    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    held = org.hold("POST", "/services/oauth2/token")  # the connector's first login, after the deploy
    args = ["--username", USERNAME, "--login-url", org.url, "--instance-url", org.url]
    kill_at(start_cli("field-check", *args, "--report", str(tmp_path / "r.json"), "--yes"), held)
    [name] = [n for n in org.org_apps if n.startswith(FIELD_CHECK_PREFIX)]
    [entry] = Settings.load().journal  # before: none, the app named nowhere but in the org
    assert entry.app_name == name

    listed = cli("list", "--api-url", platform.api_url)
    assert f"field check's throw-away External Client App {name}" in listed.err, listed.err
    assert f"To remove it: remove-salesforce-app --app-name {name}" in listed.err
    removed = cli("remove-salesforce-app", "--app-name", name, "--instance-url", org.url, "--yes")
    assert removed.code == 0, removed.err
    assert org.org_apps == {} and org.permission_sets == {} and Settings.load().journal == []


def test_a_field_check_that_ends_leaves_no_journal_entry(
    org: FakeOrg, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.conftest import USERNAME

    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    args = ["--username", USERNAME, "--login-url", org.url, "--instance-url", org.url]
    run = cli("field-check", *args, "--report", str(tmp_path / "r.json"), "--yes")
    assert run.code == 0, run.err
    assert org.org_apps == {} and Settings.load().journal == [] and Settings.load().salesforce_apps == []


# --- 9. the field check's report never holds a signed JWT or an encoded secret -------------------------------


def test_a_refusal_that_echoes_the_assertion_or_the_encoded_token_leaves_neither_in_the_report(
    httpserver: HTTPServer,
) -> None:
    import json
    import re
    from urllib.parse import quote, quote_plus

    import requests

    from core.salesforce.recorder import Recorder

    token = "00D5g000004SAMPLE!AQ4AQJ+rf/2kzq=Ow.Rw_Tok3n"
    assertion = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIzTVZHOSIsInN1YiI6ImEifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    echoes = [
        f"bad assertion {assertion}",
        f"session {quote(token, safe='')} expired",
        f"session {quote_plus(token)} expired",
        "session " + re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), quote(token, safe="")) + " expired",
        "token " + json.dumps(token)[1:-1].replace("/", "\\/"),
        f"&lt;{token.replace('&', '&amp;')}&gt;",
        "x" * 390 + token,  # a secret across the 400-character cut
    ]
    recorder = Recorder()
    recorder.secret(token)
    session = recorder.attach(requests.Session())
    for i, text in enumerate(echoes):
        httpserver.expect_ordered_request(f"/services/oauth2/token/{i}").respond_with_json(
            {"error": "invalid_grant", "error_description": text}, status=400
        )
        session.post(httpserver.url_for(f"/services/oauth2/token/{i}"), data={"assertion": assertion})
    report = json.dumps(recorder.scrub([e.to_json() for e in recorder.take()]))
    for leaked in (assertion, assertion[:40], token, quote(token, safe=""), quote_plus(token), token[:20]):
        assert leaked not in report, leaked
    assert "invalid_grant" in report and "[removed]" in report


# --- 7. connectors that share one app; one connector rotated from two settings folders ------------------------


def test_rotating_a_connector_whose_app_another_connector_uses_is_refused_naming_it(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.core.test_cli import submit_args

    first = _connector(org, keys, platform, monkeypatch)
    consumer_key = platform.connectors[first]["config"]["consumer_key"]
    second = cli(*submit_args(keys[0], platform, name="second", consumer_key=consumer_key))
    assert second.code == 0, second.err
    certificate, deploys = org.org_apps[APP].certificate_pem, len(org.deploy_requests)

    run = cli(*rotate_args(org, platform, first, tmp_path / "new"))
    assert run.code == 2 and f"is also the app of second ({second.out.strip()})" in run.err, run.err
    assert "Nothing was changed" in run.err and "an app of its own" in run.err
    assert org.org_apps[APP].certificate_pem == certificate and len(org.deploy_requests) == deploys
    assert not (tmp_path / "new").exists()  # before: the certificate replaced, the second connector broken


def test_one_connector_rotated_from_two_settings_folders_at_once_the_second_changes_nothing(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import os

    from tests.core.test_crash_safety import start_cli

    connector_id = _connector(org, keys, platform, monkeypatch)
    held = org.hold("POST", "/metadata/deployRequest", check_only=False)
    first = start_cli(*rotate_args(org, platform, connector_id, tmp_path / "first"))
    try:
        assert held.arrived.wait(30)
        deploys = len(org.deploy_requests)
        monkeypatch.setenv("SFCW_HOME", str(tmp_path / "portable"))  # another copy of the app, its own settings
        second = cli(*rotate_args(org, platform, connector_id, tmp_path / "second"), "--app-name", APP)
        assert second.code == 2 and "already running" in second.err, second.err
        assert len(org.deploy_requests) == deploys and not (tmp_path / "second").exists()
    finally:
        held.release.set()
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert os.environ["SFCW_HOME"].endswith("portable")


# --- bad input and hostile answers: a sentence, never "unexpected error" ------------------------------------

BAD_OPTIONS = [
    ("verify", "--login-url", "https://[::1"),
    ("list", "--api-url", "https://[::1"),
    ("list", "--api-url", "https://host:99999"),
    ("setup-salesforce", "--login-url", "ftp://x"),
    ("setup-salesforce", "--instance-url", ""),
    ("setup-salesforce", "--sf-org", ""),
    ("setup-salesforce", "--instance-url", "http://evil.example.com"),
]


@pytest.mark.parametrize(("command", "option", "value"), BAD_OPTIONS)
def test_a_bad_option_is_refused_before_anything_is_announced_or_sent(
    keys: tuple[Path, Path], command: str, option: str, value: str
) -> None:
    from tests.conftest import CONSUMER_KEY, USERNAME

    needs = {
        "verify": ["--username", USERNAME, "--consumer-key", CONSUMER_KEY, "--private-key", str(keys[0])],
        "setup-salesforce": ["--username", USERNAME, "--certificate", str(keys[1]), "--yes"],
        "list": [],
    }[command]
    run = cli(command, *needs, option, value)
    assert run.code == 2, run.err
    assert f"argument {option}:" in run.err and "unexpected" not in run.err
    assert "Signing in" not in run.err and "Checking" not in run.err  # before: announced, or a browser sign-in
    assert not Settings.load().journal


@pytest.mark.parametrize("token", ["00Dxx!AQ4AQ.token\r\nX-Injected: 1", "00Dxx!AQ4AQ.t\u00f6ken\u03a9"])
def test_an_access_token_no_token_can_be_is_refused_unsent_and_unshown(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    monkeypatch.setenv("SF_ACCESS_TOKEN", token)
    requests_before = len(org.deploy_requests)
    run = cli(*setup_args(org, keys))
    assert run.code == 2 and "SF_ACCESS_TOKEN holds characters an access token never has" in run.err
    assert "AQ4AQ" not in run.err + run.out and len(org.deploy_requests) == requests_before


@pytest.mark.parametrize("email", ["not an email", "adm\u00efn@example.com", "a@@b"])
def test_keygen_refuses_an_email_a_certificate_cannot_hold(tmp_path: Path, email: str) -> None:
    run = cli("keygen", "--out", str(tmp_path / "k"), "--email", email)
    assert run.code == 2 and "is not an e-mail address a certificate can hold" in run.err
    assert not (tmp_path / "k").exists()


def test_sf_output_that_is_not_utf8_is_a_sentence(
    keys: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from tests.platforms import write_program

    bin_dir = tmp_path / "bin"
    write_program(bin_dir, "sf", 'import sys\nsys.stdout.buffer.write(b\'{"status": 0, "result": "\\xff\\xfe"}\')\n')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    from tests.conftest import USERNAME

    run = cli("setup-salesforce", "--username", USERNAME, "--certificate", str(keys[1]), "--sf-org", "prod", "--yes")
    assert run.code != 0 and "error:" in run.err and "unexpected" not in run.err, run.err


def test_a_legacy_code_page_on_stdout_prints_names_it_cannot_hold_as_escapes(
    keys: tuple[Path, Path], platform: FakePlatform
) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import API_KEY, CONSUMER_KEY
    from tests.core.test_cli import submit_args
    from tests.core.test_crash_safety import ROOT

    os.environ["UNSTRUCTURED_API_KEY"] = API_KEY
    try:
        assert cli(*submit_args(keys[0], platform, name="Πελάτες 客户", consumer_key=CONSUMER_KEY)).code == 0
        done = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "list", "--api-url", platform.api_url],
            capture_output=True,
            env=dict(os.environ, PYTHONIOENCODING="cp1252", PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring"),
            timeout=60,
        )
    finally:
        del os.environ["UNSTRUCTURED_API_KEY"]
    assert done.returncode == 0, done.stderr.decode("cp1252", "replace")
    assert b"\\u03a0\\u03b5" in done.stdout  # before: UnicodeEncodeError, "something unexpected went wrong"


def test_hostile_org_answers_are_sentences(httpserver: HTTPServer) -> None:
    from core.errors import AppError
    from core.salesforce.connector_reader import ConnectorReader, first_run_calls
    from core.salesforce.org import AdminSession, OrgClient
    from core.urls import SafeUrl

    org = OrgClient(AdminSession(instance_url=SafeUrl(httpserver.url_for("")), access_token="00Dtoken"))
    httpserver.expect_request("/services/data/").respond_with_json([{"version": "abc"}, {"version": "1e999"}])
    assert org.api_versions() == []
    httpserver.expect_request("/services/data/v60.0/query/").respond_with_json(
        {"done": True, "records": [{"Name": "x"}]}
    )
    with pytest.raises(AppError, match="a record that has no Id"):
        org.query("SELECT Id, Name FROM PermissionSet WHERE Name = 'x'")
    httpserver.clear()

    reader = ConnectorReader(SafeUrl(httpserver.url_for("")), "00Dtoken")
    httpserver.expect_request("/services/data/v57.0/query/").respond_with_data(
        '{"totalSize": 1' + "0" * 400 + ', "done": true, "records": []}', content_type="application/json"
    )
    with pytest.raises(AppError, match="unexpected shape"):
        reader.count("Account")
    httpserver.clear()
    httpserver.expect_request("/services/data/v57.0/limits/").respond_with_data(
        '{"DailyApiRequests": {"Max": 1' + "0" * 400 + ', "Remaining": 5}}',
        content_type="application/json",
        headers={"Sforce-Limit-Info": "api-usage=\u00b2/5000"},
    )
    allowance, why = reader.allowance()
    assert allowance is None and "without the daily API requests" in why
    from core.salesforce.connector_reader import CategoryReading

    assert first_run_calls([CategoryReading("Account", True, 10**15)]) > 10**15  # whole numbers, no OverflowError


def test_hostile_platform_answers_are_sentences(httpserver: HTTPServer) -> None:
    from core.errors import AppError
    from core.unstructured.client import PlatformClient

    client = PlatformClient(api_url=httpserver.url_for("/api/v1"), api_key="k" * 20, sleep=lambda s: None)
    source = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    httpserver.expect_request(f"/api/v1/sources/{source}").respond_with_json(
        {"detail": [{"loc": 5, "msg": "bad"}]}, status=422
    )
    with pytest.raises(AppError, match="5: bad"):
        client.get_source(source)
    httpserver.clear()
    httpserver.expect_request(f"/api/v1/sources/{source}").respond_with_data(
        "[" * 100000 + "]" * 100000, status=500, content_type="application/json"
    )
    with pytest.raises(AppError) as info:
        client.get_source(source)
    assert "unexpected" not in info.value.message.lower() or "HTTP" in info.value.message
    httpserver.clear()
    forged = "bad\nSUCCESS: all good" + "x" * 3_000_000
    httpserver.expect_request(f"/api/v1/sources/{source}/connection-check").respond_with_json(
        {"id": "c", "status": "FAILURE", "reason": {"nested": [forged]}, "created_at": "now"}
    )
    check = client.get_connection_check(source)
    assert check.reason is not None and "\n" not in check.reason and len(check.reason) <= 1000


# --- small: the field check's report path is checked first and replaces nothing ---------------------------------


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("x.txt", "must end in .json"),
        ("missing/r.json", "does not exist"),
        ("notes.json", "notes.txt exists already"),  # an unrelated notes.txt beside it
        ("old.json", "old.json exists already"),
    ],
)
def test_a_report_path_that_cannot_be_used_is_refused_before_the_org_is_touched(
    org: FakeOrg, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, words: str
) -> None:
    from tests.conftest import USERNAME

    (tmp_path / "notes.txt").write_text("my notes")
    (tmp_path / "old.json").write_text("{}")
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    args = ["--username", USERNAME, "--login-url", org.url, "--instance-url", org.url, "--yes"]
    run = cli("field-check", *args, "--report", str(tmp_path / name))
    assert run.code == 2 and words in run.err and "unexpected" not in run.err, run.err
    assert org.deploy_requests == [] and org.permission_sets == {}  # before: created, then the report failed
    assert (tmp_path / "notes.txt").read_text() == "my notes" and (tmp_path / "old.json").read_text() == "{}"


def test_a_stopped_rotation_says_where_its_new_key_is_in_words_not_the_command_lines_syntax() -> None:
    """Desktop round 3, cosmetic: Manage's notice said "The new key is keyring:salesforce-rotated-2"."""
    from core.kinds import RunKind, RunStep
    from core.steps.journal import describe, new_entry

    kept = new_entry(RunKind.ROTATION, RunStep.CONNECTOR, connector_id="c1", new_key="keyring:salesforce-rotated-2")
    assert "The new key is in your keyring as \u201csalesforce-rotated-2\u201d." in describe(kept)
    assert "keyring:" not in describe(kept)
    filed = new_entry(RunKind.ROTATION, RunStep.CERTIFICATE, connector_id="c1", new_key="/keys/salesforce-rotated.pem")
    assert "The new key is in the file /keys/salesforce-rotated.pem." in describe(filed)
