"""A run killed at any step, or failing to keep what it made, leaves nothing the app does not know.

The kill tests start the real CLI as a process, let the loopback org hold one request until the
process is killed (kill -9), then let the org finish that request, as Salesforce would finish a
deploy whose client vanished. What the next run sees is what an admin would.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cli import Cli, run
from core.storage.secret_store import SecretStore
from core.storage.settings import Settings, config_dir
from tests.conftest import FAST
from tests.core.test_cli import Run
from tests.core.test_cli_setup import setup_args
from tests.fakes.holds import Hold
from tests.fakes.keyrings import MemoryKeyring
from tests.fakes.platform import FakePlatform
from tests.fakes.salesforce_org import FakeOrg
from tests.platforms import posix_only

ROOT = Path(__file__).resolve().parents[2]
APP = "Unstructured_Connector"


def cli(*argv: str, store: SecretStore | None = None) -> Run:
    out, err = io.StringIO(), io.StringIO()
    timings = FAST._replace(login_poll_interval=0.05, login_wait=5.0)
    code = run(list(argv), session=Cli(store=store, stdout=out, stderr=err, stdin=io.StringIO(""), timings=timings))
    return Run(code, out.getvalue(), err.getvalue())


def start_cli(*argv: str) -> subprocess.Popen[str]:
    """The real command line in its own process (the test's environment: SFCW_HOME, SF_ACCESS_TOKEN)."""
    return subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), *argv],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring"),
    )


def kill_at(process: subprocess.Popen[str], held: Hold) -> None:
    """Kill -9 the process (TerminateProcess on Windows) while the org holds its request; then the org carries
    the request out."""
    try:
        assert held.arrived.wait(30), process.communicate(timeout=5)
    finally:
        process.kill()  # SIGKILL on POSIX: no handler, no finally, no atexit runs
        process.communicate(timeout=30)
        held.release.set()
    assert held.done.wait(30)


# --- 1 and 6: killed during the deploy, or after the permission set ---------------------------------


def kill_set_up_at(at: str, org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """A setup-salesforce process killed while the org holds its deploy, or its permission set assignment."""
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    held = (
        org.hold("POST", "/metadata/deployRequest", check_only=False)
        if at == "deploy"
        else org.hold("POST", "/sobjects/PermissionSetAssignment")
    )
    kill_at(start_cli(*setup_args(org, keys)), held)


@pytest.mark.parametrize("at", ["deploy", "assignment"])
def test_a_set_up_killed_half_way_is_known_and_can_be_removed(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, at: str
) -> None:
    kill_set_up_at(at, org, keys, monkeypatch)
    assert org.permission_sets  # what the killed run made is in the org
    assert (APP in org.org_apps) == (at == "deploy")

    # The journal, written before each step, names all of it.
    [entry] = Settings.load().journal
    assert entry.app_name == APP and entry.step == ("app" if at == "deploy" else "assignment")
    assert entry.permission_set_id == org.permission_sets[f"{APP}_Users"]["Id"]
    if at == "deploy":
        assert entry.consumer_key == org.org_apps[APP].consumer_key
        assert entry.assignment_id == org.assignments[0]["Id"]

    # The next run says so, with the way out; removal takes what that run made, and only that.
    listed = cli("remove-salesforce-app", "--app-name", APP, "--instance-url", org.url, "--yes")
    assert listed.code == 0, listed.err
    assert "stopped while" in listed.err and f"Removed what the unfinished set-up of {APP} had created" in listed.out
    assert org.org_apps == {} and org.permission_sets == {} and org.assignments == []
    assert Settings.load().journal == []


@pytest.mark.parametrize("at", ["deploy", "assignment"])
def test_a_set_up_killed_half_way_is_finished_by_running_it_again(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, at: str
) -> None:
    kill_set_up_at(at, org, keys, monkeypatch)

    again = cli(*setup_args(org, keys))
    assert again.code == 0, again.err
    assert "stopped while" in again.err and "finish the set-up started" in again.err
    consumer_key = again.out.strip()
    assert org.org_apps[APP].consumer_key == consumer_key  # the app the killed run announced
    [app] = Settings.load().salesforce_apps
    # Item 6: the permission set the killed run created counts as created here, and goes with the app.
    assert app.consumer_key == consumer_key and app.created_permission_set
    assert Settings.load().journal == []
    removed = cli("remove-salesforce-app", "--instance-url", org.url, "--login-url", org.url, "--yes")
    assert removed.code == 0, removed.err
    assert org.org_apps == {} and org.permission_sets == {} and org.assignments == []


# --- 2: the keyring refuses to keep the sign-in after the app was created ----------------------------


def test_a_keyring_that_refuses_the_sign_in_after_the_app_exists_loses_no_record(
    org: FakeOrg, keys: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    from tests.conftest import write_browser

    class RefusesRefreshTokens(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            if "salesforce-refresh" in username or "salesforce-refresh" in password:
                raise OSError("the keyring is full")
            super().set_password(service, username, password)

    monkeypatch.setenv("BROWSER", write_browser(tmp_path))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = setup_args(org, keys)
    del args[args.index("--instance-url") : args.index("--instance-url") + 2]  # the browser sign-in
    run = cli(*args, "--redirect-port", str(port), "--remember-sign-in", store=SecretStore(RefusesRefreshTokens()))
    assert run.code == 0, run.err
    assert "could not be kept" in run.err and run.out.strip().startswith("3MVG")
    [app] = Settings.load().salesforce_apps
    assert app.app_name == APP and not app.sign_in_kept and Settings.load().journal == []


# --- 3: the disk is full when the finished set-up is recorded ----------------------------------------


@posix_only  # prlimit
def test_a_full_disk_at_the_end_leaves_the_app_known_once_space_is_back(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    held = org.hold("POST", "/metadata/deployRequest", check_only=False)
    process = start_cli(*setup_args(org, keys))
    assert held.arrived.wait(30)
    # From here on, no file of that process may grow past 0 bytes: a write fails as on a full disk.
    subprocess.run(["prlimit", f"--pid={process.pid}", "--fsize=0:0"], check=True)
    held.release.set()
    out, err = process.communicate(timeout=60)
    assert APP in org.org_apps
    assert "could not record it" in err, err
    assert "Traceback" not in err

    # Space is back: the app is known (its journal entry), and the set-up run again records it.
    [entry] = Settings.load().journal
    assert entry.consumer_key == org.org_apps[APP].consumer_key
    again = cli(*setup_args(org, keys))
    assert again.code == 0, again.err
    [app] = Settings.load().salesforce_apps
    assert app.consumer_key == org.org_apps[APP].consumer_key and Settings.load().journal == []


# --- 4: two runs at once -------------------------------------------------------------------------------


def test_a_save_keeps_what_another_process_recorded_meanwhile(tmp_path: Path) -> None:
    from core.storage.settings import ConnectorRecord, SalesforceAppRecord

    mine = Settings.load()  # loaded before the other process writes
    code = (
        "from core.storage.settings import Settings, SalesforceAppRecord\n"
        "Settings.update(lambda s: s.remember_salesforce_app(SalesforceAppRecord("
        "app_name='Second_App', consumer_key='3MVGsecond', instance_url='https://x')))\n"
        "Settings.update(lambda s: setattr(s, 'api_url', 'https://theirs.example'))\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
    mine.remember_connector(ConnectorRecord(id="c1", name="prod", api_url="https://api"))
    mine.username = "mine@example.com"
    mine.save()
    again = Settings.load()
    assert [a.app_name for a in again.salesforce_apps] == ["Second_App"]  # theirs, kept
    assert [c.id for c in again.connectors] == ["c1"] and again.username == "mine@example.com"  # mine
    assert again.api_url == "https://theirs.example"  # a field only they changed
    assert mine.salesforce_apps == again.salesforce_apps  # and this copy now holds the merge

    # What this process removes is removed, even though the file changed meanwhile.
    mine.salesforce_apps = []
    Settings.update(lambda s: s.remember_salesforce_app(SalesforceAppRecord("Third", "3MVGthird", "https://y")))
    mine.save()
    assert [a.app_name for a in Settings.load().salesforce_apps] == ["Third"]


def test_many_processes_saving_at_once_lose_nothing() -> None:
    writer = (
        "import sys\n"
        "from core.storage.settings import Settings, ConnectorRecord\n"
        "for i in range(20):\n"
        "    Settings.update(lambda s: s.remember_connector(ConnectorRecord(id=f'{sys.argv[1]}-{i}', name='n', api_url='u')))\n"
    )
    writers = [
        subprocess.Popen([sys.executable, "-c", writer, str(n)], cwd=ROOT, stdin=subprocess.DEVNULL) for n in range(4)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0, 0]
    assert len(Settings.load().connectors) == 80


def test_a_save_rides_out_another_process_reading_the_file() -> None:
    """On Windows a file open elsewhere cannot be replaced (Access denied) until it is closed."""
    from core.storage.settings import ConnectorRecord

    Settings.update(lambda s: s.remember_connector(ConnectorRecord(id="c0", name="n", api_url="u")))
    path = config_dir() / "settings.json"
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; f = open(sys.argv[1]); print('open', flush=True); time.sleep(0.5)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout is not None and reader.stdout.readline().strip() == "open"
    Settings.update(lambda s: s.remember_connector(ConnectorRecord(id="c1", name="n", api_url="u")))
    assert reader.wait(timeout=30) == 0
    assert [c.id for c in Settings.load().connectors] == ["c0", "c1"]


# --- 4 (as it happened), 5 and 7: rotations ------------------------------------------------------------


def _connector(org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch) -> str:
    from tests.core.test_cli_setup import _connector_through_setup

    return _connector_through_setup(org, keys, platform, monkeypatch)


def test_a_rotation_and_a_set_up_at_once_both_stay_recorded(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Item 4 as reproduced: rotate --auto started before a set-up of a second app, finishing after it."""
    from tests.core.test_cli_setup import rotate_args

    connector_id = _connector(org, keys, platform, monkeypatch)
    held = org.hold("POST", "/metadata/deployRequest", check_only=False)
    rotation = start_cli(*rotate_args(org, platform, connector_id, tmp_path / "new"))
    assert held.arrived.wait(30)
    second = cli(*setup_args(org, keys, "--app-name", "Second_App"))
    assert second.code == 0, second.err
    held.release.set()
    out, err = rotation.communicate(timeout=120)
    assert rotation.returncode == 0, err
    names = {a.app_name for a in Settings.load().salesforce_apps}
    assert names == {APP, "Second_App"}  # before: the rotation wrote back its stale copy without Second_App


def test_two_rotations_of_one_connector_at_once_the_second_changes_nothing(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.core.test_cli_setup import rotate_args

    connector_id = _connector(org, keys, platform, monkeypatch)
    held = org.hold("POST", "/metadata/deployRequest", check_only=False)
    first = start_cli(*rotate_args(org, platform, connector_id, tmp_path / "first"))
    assert held.arrived.wait(30)
    deploys = len(org.deploy_requests)
    second = cli(*rotate_args(org, platform, connector_id, tmp_path / "second"))
    assert second.code == 2 and "already running" in second.err and "Nothing was changed" in second.err
    assert len(org.deploy_requests) == deploys and not (tmp_path / "second").exists()
    held.release.set()
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    live = (tmp_path / "first" / "salesforce-rotated.pem").read_text()
    assert platform.connectors[connector_id]["config"]["private_key"] == live  # one live key, everywhere
    assert org.org_apps[APP].certificate_pem == (tmp_path / "first" / "salesforce-rotated.crt").read_text().strip()


def test_a_rotation_killed_during_the_connector_update_is_finished_with_the_key_salesforce_takes(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from core.crypto.keypair import load_private_key, public_key_id
    from tests.core.test_cli_setup import rotate_args

    connector_id = _connector(org, keys, platform, monkeypatch)
    held = platform.holds.add("PUT", f"/sources/{connector_id}")
    kill_at(start_cli(*rotate_args(org, platform, connector_id, tmp_path / "new")), held)
    new_key = (tmp_path / "new" / "salesforce-rotated.pem").read_text()
    assert platform.connectors[connector_id]["config"]["private_key"] == new_key  # the update went through
    [entry] = Settings.load().journal
    assert entry.kind == "rotation" and entry.step == "connector" and entry.new_key.endswith("salesforce-rotated.pem")

    listed = cli("list", "--api-url", platform.api_url)
    assert "stopped while switching the connector to the new key" in listed.err

    finished = cli(*rotate_args(org, platform, connector_id, tmp_path / "again"))
    assert finished.code == 0, finished.err
    assert "connection check SUCCESS" in finished.out
    assert not (tmp_path / "again").exists()  # no third key: the live one was settled by Salesforce
    record = Settings.load().connector(connector_id)
    assert record is not None and record.public_key_id == public_key_id(load_private_key(new_key))
    assert Settings.load().journal == []


# --- adopt or remove what is already there ------------------------------------------------------------


def test_an_app_made_elsewhere_is_adopted_by_a_rotation_that_names_it(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.core.test_cli_setup import rotate_args

    connector_id = _connector(org, keys, platform, monkeypatch)
    Settings.update(lambda s: setattr(s, "salesforce_apps", []))  # as if another computer had made the app
    named = cli(*rotate_args(org, platform, connector_id, tmp_path / "one"), "--app-name", APP)
    assert named.code == 0, named.err
    [app] = Settings.load().salesforce_apps
    assert app.app_name == APP and not app.created_permission_set and app.instance_url == org.url
    again = cli(*rotate_args(org, platform, connector_id, tmp_path / "two"))  # no --app-name needed now
    assert again.code == 0, again.err


def test_an_app_this_computer_has_no_record_of_is_removed_by_name_and_its_permission_set_left(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    assert cli(*setup_args(org, keys)).code == 0
    Settings.update(lambda s: setattr(s, "salesforce_apps", []))
    run = cli("remove-salesforce-app", "--app-name", APP, "--instance-url", org.url, "--yes")
    assert run.code == 0, run.err
    assert org.org_apps == {} and f"{APP}_Users" in org.permission_sets
    removal = org.deploy_requests[-1]
    assert removal["options"]["ignoreWarnings"] is True
    missing = cli("remove-salesforce-app", "--app-name", APP, "--instance-url", org.url, "--yes")
    assert missing.code == 2 and "no External Client App named" in missing.err


def test_the_loopback_org_fails_a_removal_that_lists_the_parts_and_does_not_ignore_warnings(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As Salesforce does: deleting the header deletes the parts, so the parts listed beside it are 'not found'."""
    from core.salesforce.metadata import COMPONENTS, _zip, package_xml
    from core.salesforce.org import AdminSession, OrgClient

    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    assert cli(*setup_args(org, keys)).code == 0
    client = OrgClient(AdminSession(instance_url=org.url, access_token=org.admin_token()), timings=FAST)
    every_part = {kind: [f"{APP}{suffix}"] for kind, _, _, suffix in COMPONENTS}
    package = _zip(
        {
            "package.xml": package_xml({}, api_version="63.0"),
            "destructiveChanges.xml": package_xml(every_part, api_version="63.0"),
        }
    )
    outcome = client.deploy(package)
    assert not outcome.success
    assert {f.component_type for f in outcome.failures} == {kind for kind, _, _, _ in COMPONENTS[1:]}
    assert all(f.problem.startswith("No ") and f.problem.endswith(" found") for f in outcome.failures)
    assert APP in org.org_apps  # rolled back
