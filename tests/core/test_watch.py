"""The watch (issue 29): every connector recorded here, against the loopback org and Platform, told on change only."""

from __future__ import annotations

import datetime as dt
import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from core.crypto.keypair import KeyBundle
from core.defaults import private_key_name
from core.storage.secret_store import SecretStore
from core.storage.settings import KeyRecord, Settings
from tests.conftest import API_KEY, write_browser
from tests.core.test_cli import submit_args
from tests.core.test_cli_setup import setup_args, without_instance_url
from tests.core.test_crash_safety import APP, cli
from tests.fakes.platform import FakePlatform
from tests.fakes.salesforce_org import FakeOrg

QUERY_FAILED = (
    "TypeError: SalesforceError.__init__() missing 3 required positional arguments: 'status', 'resource_name', "
    "and 'content'"
)


class Webhook:
    """A team channel's incoming webhook on loopback: keeps every JSON body it is sent."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.bodies: list[dict[str, object]] = []
        server.expect_request("/hooks/T0/B0/secret-part").respond_with_handler(self._handle)

    def _handle(self, request: Request) -> Response:
        self.bodies.append(json.loads(request.get_data(as_text=True)))
        return Response("ok")

    @property
    def url(self) -> str:
        return self.server.url_for("/hooks/T0/B0/secret-part")


@pytest.fixture
def webhook(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Webhook:
    hook = Webhook(httpserver)
    monkeypatch.setenv("SFCW_WEBHOOK_URL", hook.url)
    return hook


def _kept_connector(
    org: FakeOrg,
    keys: tuple[Path, Path],
    platform: FakePlatform,
    monkeypatch: pytest.MonkeyPatch,
    *,
    sign_in: Path | None = None,
) -> str:
    """A connector made through the set-up, its key kept in the keyring as the wizard keeps it; its id."""
    monkeypatch.setenv("UNSTRUCTURED_API_KEY", API_KEY)
    platform.reset(api_key=API_KEY, salesforce_url=org.url)
    if sign_in is not None:  # the browser sign-in, kept for unattended rotations
        monkeypatch.setenv("BROWSER", write_browser(sign_in))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        made = cli(*without_instance_url(setup_args(org, keys)), "--redirect-port", str(port), "--remember-sign-in")
    else:
        monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
        made = cli(*setup_args(org, keys))
    assert made.code == 0, made.err
    created = cli(*submit_args(keys[0], platform, consumer_key=made.out.strip()))
    assert created.code == 0, created.err
    connector_id = created.out.strip()
    settings = Settings.load()
    record = settings.connector(connector_id)
    assert record is not None
    SecretStore().set(private_key_name("watched"), keys[0].read_text())
    settings.remember_key(KeyRecord(name="watched", public_key_id=record.public_key_id, in_keyring=True))
    settings.save()
    return connector_id


def _watch(platform: FakePlatform, org: FakeOrg, *extra: str) -> tuple[int, dict[str, Any], str]:
    """The watch's exit code, its JSON (what a script reads: any shape, checked by the asserts) and stderr."""
    run = cli("watch", "--json", "--api-url", platform.api_url, "--login-url", org.url, *extra)
    assert "Traceback" not in run.err
    return run.code, json.loads(run.out) if run.out.strip().startswith("{") else {}, run.err


def _only(result: dict[str, Any]) -> dict[str, Any]:
    connectors = result["connectors"]
    assert isinstance(connectors, list) and len(connectors) == 1
    found: dict[str, Any] = connectors[0]
    return found


def test_a_healthy_connector_is_ok_and_a_failed_run_is_failing_then_recovers_told_only_on_change(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, webhook: Webhook
) -> None:
    connector_id = _kept_connector(org, keys, platform, monkeypatch)
    code, result, err = _watch(platform, org, "--notify")
    assert code == 0, err
    first = _only(result)
    assert first["id"] == connector_id and first["status"] == "ok" and first["findings"] == []
    assert first["changed"] is False and result["notified"] is False and webhook.bodies == []  # nothing to tell

    workflow = platform.add_workflow("Nightly CRM", connector_id)
    platform.add_job(workflow, "COMPLETED", created_at="2026-12-05T02:00:00+00:00")
    platform.add_job(workflow, "FAILED", message=QUERY_FAILED, created_at="2026-12-06T02:00:00+00:00")
    code, result, err = _watch(platform, org, "--notify")
    assert code == 1
    failing = _only(result)
    assert failing["status"] == "failing" and failing["changed"] is True and result["notified"] is True
    [finding] = failing["findings"]
    assert finding["kind"] == "run" and "Nightly CRM" in finding["message"]
    assert "one of its categories cannot be read" in finding["message"] and "verify --categories" in finding["message"]
    [told] = webhook.bodies
    assert "is FAILING" in str(told["text"]) and "Nightly CRM" in str(told["text"])

    code, result, err = _watch(platform, org, "--notify")  # the same: nothing new to tell
    assert code == 1 and _only(result)["changed"] is False and len(webhook.bodies) == 1

    platform.add_job(workflow, "COMPLETED", created_at="2026-12-07T02:00:00+00:00")  # the next night worked
    code, result, err = _watch(platform, org, "--notify")
    assert code == 0 and _only(result)["status"] == "ok" and _only(result)["changed"] is True
    assert len(webhook.bodies) == 2 and "is OK again" in str(webhook.bodies[1]["text"])
    for body in webhook.bodies:  # never a secret in a notification
        text = json.dumps(body)
        assert "PRIVATE KEY" not in text and API_KEY not in text and "secret-part" not in text


def test_expiry_login_and_a_gone_connector_are_findings(
    org: FakeOrg,
    keys: tuple[Path, Path],
    platform: FakePlatform,
    monkeypatch: pytest.MonkeyPatch,
    other_bundle: KeyBundle,
) -> None:
    connector_id = _kept_connector(org, keys, platform, monkeypatch)
    settings = Settings.load()
    record = settings.connector(connector_id)
    assert record is not None
    record.not_after = (dt.datetime.now(dt.UTC) + dt.timedelta(days=10)).isoformat()
    settings.save()
    code, result, _ = _watch(platform, org)
    [finding] = _only(result)["findings"]
    assert code == 0 and finding["kind"] == "expiry" and finding["severity"] == "warning"
    assert "ends in 9 day(s)" in finding["message"] or "ends in 10 day(s)" in finding["message"]

    org.org_apps[APP].certificate_pem = (
        other_bundle.cert_pem or b""
    ).decode()  # someone replaced the app's certificate
    code, result, _ = _watch(platform, org)
    kinds = {f["kind"]: f for f in _only(result)["findings"]}
    assert code == 1 and kinds["login"]["severity"] == "failing" and "refused" in kinds["login"]["message"]

    del platform.connectors[connector_id]  # deleted in Unstructured
    code, result, _ = _watch(platform, org)
    kinds = {f["kind"]: f for f in _only(result)["findings"]}
    assert code == 1 and "gone from Unstructured" in kinds["connector"]["message"]


def test_a_login_host_edited_by_hand_in_the_settings_is_a_finding_and_rotate_refuses_it_in_words(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The settings file is the admin's to edit: a recorded login host is checked where it is read, as any other.
    connector_id = _kept_connector(org, keys, platform, monkeypatch)
    settings = Settings.load()
    [app] = settings.salesforce_apps
    app.login_url = "http://login.example.com"
    settings.save()
    code, result, _ = _watch(platform, org)
    [finding] = _only(result)["findings"]
    assert finding["kind"] == "login" and finding["severity"] == "warning"
    assert "login URL recorded for" in finding["message"] and "must use https://" in finding["message"]

    rotated = cli(
        "rotate", connector_id, "--auto", "--out", str(tmp_path / "new"), "--api-url", platform.api_url, "--yes"
    )
    assert rotated.code != 0 and "Traceback" not in rotated.err
    assert "login URL recorded for" in rotated.err and "must use https://" in rotated.err
    assert Settings.load().journal == []  # refused before anything happened in the org


def test_a_damaged_key_in_the_keyring_is_a_finding_not_a_failed_watch(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The key is loaded once per connector before its login; one that no longer loads is said for that connector.
    _kept_connector(org, keys, platform, monkeypatch)
    SecretStore().set(
        private_key_name("watched"), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"
    )
    code, result, _ = _watch(platform, org)
    [finding] = _only(result)["findings"]
    assert finding["kind"] == "login" and finding["severity"] == "warning"
    assert "private key kept here cannot be used" in finding["message"] and "damaged" in finding["message"]


def test_a_due_certificate_without_a_kept_sign_in_is_a_warning_and_no_browser_opens(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    connector_id = _kept_connector(org, keys, platform, monkeypatch)
    settings = Settings.load()
    record = settings.connector(connector_id)
    assert record is not None
    record.not_after = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat()
    settings.save()
    opened = tmp_path / "browser-opened"
    monkeypatch.setenv("BROWSER", f"touch {opened} %s")
    code, result, err = _watch(platform, org, "--rotate-within", "7")
    kinds = {f["kind"]: f for f in _only(result)["findings"]}
    assert kinds["rotation"]["severity"] == "warning" and "never opens a browser" in kinds["rotation"]["message"]
    assert result["rotated"] == [] and not opened.exists() and code == 0


def test_a_due_certificate_with_a_kept_sign_in_is_rotated_unattended_and_checked_again(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    connector_id = _kept_connector(org, keys, platform, monkeypatch, sign_in=tmp_path)
    old_certificate = org.org_apps[APP].certificate_pem
    settings = Settings.load()
    record = settings.connector(connector_id)
    assert record is not None
    record.not_after = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat()
    settings.save()
    monkeypatch.setenv("BROWSER", "false")  # from here on, a browser sign-in would fail
    code, result, err = _watch(platform, org, "--rotate-within", "7")
    assert code == 0, err
    assert result["rotated"] == [connector_id]
    after = _only(result)
    assert after["status"] == "ok" and any("Rotated unattended" in n for n in after["notes"])
    assert org.org_apps[APP].certificate_pem != old_certificate
    new_record = Settings.load().connector(connector_id)
    assert new_record is not None and new_record.public_key_id != record.public_key_id
    assert platform.connectors[connector_id]["config"]["private_key"] != keys[0].read_text()
    assert Settings.load().journal == []


def test_bad_input_is_refused_before_any_request(platform: FakePlatform, org: FakeOrg) -> None:
    for extra in (["--within", "-1"], ["--rotate-within", "0"], ["--within", "soon"]):
        run = cli("watch", "--api-url", platform.api_url, *extra)
        assert run.code == 2, run.err
    assert platform.requests == []


def test_a_webhook_is_kept_in_the_keyring_never_in_argv_and_tested(
    webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from cli import Cli, run

    monkeypatch.delenv("SFCW_WEBHOOK_URL")
    out, err = io.StringIO(), io.StringIO()
    code = run(["set-webhook"], session=Cli(stdout=out, stderr=err, stdin=io.StringIO(webhook.url + "\n")))
    assert code == 0 and "secret-part" not in out.getvalue() + err.getvalue()
    sent = cli("watch", "--test-notification")
    assert sent.code == 0, sent.err
    [body] = webhook.bodies
    assert "Test notification" in str(body["text"])
    assert "secret-part" not in json.dumps(Settings.load().to_data())


@pytest.mark.parametrize(
    "url", ["http://hooks.example.com/services/T0/B0/secret-part", "hooks.example.com/services/T0/B0/secret-part"]
)
def test_a_webhook_url_that_is_refused_is_never_quoted_back(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    # Typed hidden, it carries its own secret: the refusal is printed and logged without it.
    import io

    from cli import Cli, run
    from core.storage.settings import log_dir

    out, err = io.StringIO(), io.StringIO()
    code = run(["set-webhook"], session=Cli(stdout=out, stderr=err, stdin=io.StringIO(url + "\n")))
    said = out.getvalue() + err.getvalue()
    assert code == 2 and "webhook URL" in said and "secret-part" not in said
    log = log_dir() / "wizard.log"
    assert "set-webhook failed" in log.read_text() and "secret-part" not in log.read_text()
    assert "secret-part" not in capsys.readouterr().err


class Keyring:
    """The test session's real GNOME Keyring: locked on demand (as after a keyring time-out or with the screen),
    and unlocked as a new login does: its daemon stopped, D-Bus starts it again unlocked (scripts/dev.py)."""

    def __init__(self) -> None:
        import secretstorage

        self.connection = secretstorage.dbus_init()

    def is_locked(self) -> bool:
        import secretstorage

        try:
            return bool(secretstorage.Collection(self.connection).is_locked())
        except secretstorage.exceptions.SecretStorageException:
            return True

    def lock(self) -> None:
        import secretstorage

        secretstorage.Collection(self.connection).lock()
        assert self.is_locked()

    def log_in_again(self) -> None:
        import os
        import signal
        import time

        from jeepney import DBus, new_method_call

        ask = new_method_call(DBus(), "GetConnectionUnixProcessID", "s", ("org.freedesktop.secrets",))
        os.kill(int(self.connection.send_and_get_reply(ask).body[0]), signal.SIGTERM)
        for _ in range(600):  # until the daemon D-Bus starts again answers, unlocked (a wait, not a timing assert)
            time.sleep(0.1)
            if not self.is_locked():
                return
        raise AssertionError("the keyring daemon did not come back unlocked")


@pytest.fixture
def keyring_session(monkeypatch: pytest.MonkeyPatch) -> Iterator[Keyring]:
    """The real keyring instead of the tests' in-memory one: only the Secret Service prompts to unlock."""
    import keyring

    from tests.conftest import REAL_KEYRING

    if not type(REAL_KEYRING).__module__.startswith("keyring.backends.SecretService"):
        pytest.skip("only the Secret Service (Linux) unlocks with a prompt; Windows' Credential Manager never does")
    keyring.set_keyring(REAL_KEYRING)  # the in-memory keyring is put back by conftest's fixture
    session = Keyring()
    try:
        yield session
    finally:
        if session.is_locked():  # never leave the rest of the suite a locked keyring
            session.log_in_again()
        session.connection.close()
        from core.defaults import WEBHOOK_ENTRY

        for name in (WEBHOOK_ENTRY, private_key_name("watched")):  # what the test kept there
            SecretStore(REAL_KEYRING).delete(name)


def test_an_unattended_watch_never_unlocks_a_locked_keyring_and_tells_the_change_once_it_can(
    org: FakeOrg,
    keys: tuple[Path, Path],
    platform: FakePlatform,
    monkeypatch: pytest.MonkeyPatch,
    httpserver: HTTPServer,
    keyring_session: Keyring,
) -> None:
    from core.defaults import WEBHOOK_ENTRY

    hook = Webhook(httpserver)
    monkeypatch.delenv("SFCW_WEBHOOK_URL", raising=False)
    connector_id = _kept_connector(org, keys, platform, monkeypatch)
    SecretStore().set(WEBHOOK_ENTRY, hook.url)  # as set-webhook keeps it
    workflow = platform.add_workflow("Nightly CRM", connector_id)
    platform.add_job(workflow, "FAILED", message=QUERY_FAILED, created_at="2026-12-06T02:00:00+00:00")

    keyring_session.lock()
    code, result, err = _watch(platform, org, "--notify", "--unattended")
    assert keyring_session.is_locked()  # nothing unlocked it, and no prompt was shown or waited for
    found = _only(result)
    kinds = {f["kind"]: f for f in found["findings"]}
    assert code == 1 and kinds["run"]["severity"] == "failing"  # the rest of the watch still ran
    assert kinds["login"]["severity"] == "warning" and "keyring is locked" in kinds["login"]["message"]
    assert "never unlocks it" in kinds["login"]["message"]
    assert found["changed"] is True and result["notified"] is False and hook.bodies == []
    assert "the webhook could not be read" in err and "the next watch tells these changes again" in err

    keyring_session.log_in_again()
    code, result, err = _watch(platform, org, "--notify", "--unattended")
    found = _only(result)
    assert code == 1 and {f["kind"] for f in found["findings"]} == {"run"}  # the login is tried again, and passes
    assert found["changed"] is True and result["notified"] is True  # the change the locked watch could not tell
    [told] = hook.bodies
    assert "is FAILING" in str(told["text"]) and "Nightly CRM" in str(told["text"])
    code, result, err = _watch(platform, org, "--notify", "--unattended")
    assert _only(result)["changed"] is False and len(hook.bodies) == 1  # told once


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the freedesktop Notifications service is Linux's")
def test_desktop_notifications_show_a_change_once_and_a_desktop_without_the_service_is_told_later(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fakes.notifications import NotificationService

    connector_id = _kept_connector(org, keys, platform, monkeypatch)
    with NotificationService() as desktop:
        run = cli("watch", "--test-notification", "--desktop")
        assert run.code == 0 and "Showed a test notification on this desktop" in run.out, run.err
        [test] = desktop.shown
        assert test.app_name == "Salesforce Connector Wizard" and "notifications reach this channel" in test.body

        code, result, err = _watch(platform, org, "--desktop", "--unattended")
        assert code == 0 and result["notified"] is False and len(desktop.shown) == 1  # all ok: nothing to show

    workflow = platform.add_workflow("Nightly CRM", connector_id)
    platform.add_job(workflow, "FAILED", message=QUERY_FAILED, created_at="2026-12-06T02:00:00+00:00")
    # No notification service in this session (a run outside the desktop session): said, and kept for later.
    code, result, err = _watch(platform, org, "--desktop", "--unattended")
    assert code == 1 and result["notified"] is False
    assert "no notification service answers in this session" in err and "tells these changes again" in err

    with NotificationService() as desktop:
        code, result, err = _watch(platform, org, "--desktop", "--unattended")
        assert code == 1 and result["notified"] is True
        [shown] = desktop.shown
        assert shown.summary == "Salesforce connectors changed"
        assert "is FAILING" in shown.body and "Nightly CRM" in shown.body and "PRIVATE KEY" not in shown.body
        code, result, err = _watch(platform, org, "--desktop", "--unattended")  # the same: nothing new
        assert result["notified"] is False and len(desktop.shown) == 1


def test_a_connector_read_by_more_workflows_than_one_page_has_every_run_looked_at(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workflow list is paged (20 to a page unless asked); the watch read the first page only."""
    from core.unstructured.client import WORKFLOW_PAGE_SIZE

    connector_id = _kept_connector(org, keys, platform, monkeypatch)
    count = 2 * WORKFLOW_PAGE_SIZE + 5  # three pages
    for number in range(count):
        workflow = platform.add_workflow(f"Workflow {number:03d}", connector_id)
        failed = number == count - 2
        platform.add_job(workflow, "FAILED" if failed else "COMPLETED", message=QUERY_FAILED if failed else None)
    code, result, _ = _watch(platform, org)
    [finding] = _only(result)["findings"]
    assert code == 1 and finding["kind"] == "run" and f"Workflow {count - 2:03d}" in finding["message"]
    pages = [p for m, p, _ in platform.requests if m == "GET" and "/workflows" in p]
    assert len(pages) == 3, pages
