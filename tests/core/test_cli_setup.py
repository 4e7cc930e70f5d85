"""setup-salesforce: the CLI creates the app, proves the login, and the connector then works."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
from pathlib import Path

import pytest

from cli import Cli, run
from core.crypto.keypair import KeyBundle
from core.storage.settings import Settings
from tests.conftest import API_KEY, FAST, USERNAME, write_browser
from tests.core.test_cli import Run, submit_args
from tests.fakes.platform import FakePlatform
from tests.fakes.salesforce_org import FakeOrg
from tests.platforms import assert_owner_only, write_program


def cli(*argv: str, stdin: str = "") -> Run:
    out, err = io.StringIO(), io.StringIO()
    session = Cli(
        stdout=out,
        stderr=err,
        stdin=io.StringIO(stdin),
        timings=FAST._replace(login_poll_interval=0.05, login_wait=5.0),
    )
    code = run(list(argv), session=session)
    return Run(code, out.getvalue(), err.getvalue())


def setup_args(org: FakeOrg, keys: tuple[Path, Path], *extra: str) -> list[str]:
    return [
        "setup-salesforce",
        "--username", USERNAME,
        "--private-key", str(keys[0]),
        "--certificate", str(keys[1]),
        "--login-url", org.url,
        "--instance-url", org.url,
        "--yes",
        *extra,
    ]  # fmt: skip


def without_instance_url(args: list[str]) -> list[str]:
    """The same arguments for the browser (or sf) sign-in: --instance-url and its value left out."""
    at = args.index("--instance-url")
    return args[:at] + args[at + 2 :]


def test_setup_then_submit_gives_a_connector_whose_check_passes(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, platform: FakePlatform
) -> None:
    token = org.admin_token()
    monkeypatch.setenv("SF_ACCESS_TOKEN", token)
    run = cli(*setup_args(org, keys))
    assert run.code == 0, run.err
    consumer_key = run.out.strip()
    assert consumer_key.startswith("3MVG") and org.org_apps["Unstructured_Connector"].consumer_key == consumer_key
    assert "create the permission set Unstructured_Connector_Users" in run.err and "login works" in run.err
    assert token not in run.out + run.err
    record = Settings.load().salesforce_app(consumer_key)
    assert record is not None and record.username == USERNAME and token not in json.dumps(Settings.load().to_data())

    platform.reset(api_key=API_KEY, salesforce_url=org.url)
    monkeypatch.setenv("UNSTRUCTURED_API_KEY", API_KEY)
    created = cli(*submit_args(keys[0], platform, consumer_key=consumer_key))
    assert created.code == 0, created.err
    check = cli("check", created.out.strip(), "--api-url", platform.api_url)
    assert check.code == 0 and "SUCCESS" in check.out
    # The key went in as a file, not into the keyring: nothing to count with, and the check says how else.
    assert "does not keep the connector's private key" in check.err and "verify --categories" in check.err


def test_check_of_a_connector_whose_key_is_kept_here_says_what_it_reads(
    org: FakeOrg, monkeypatch: pytest.MonkeyPatch, platform: FakePlatform, tmp_path: Path
) -> None:
    assert cli("keygen", "--out", str(tmp_path), "--name", "prod", "--store").code == 0
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    setup = cli(*setup_args(org, (tmp_path / "prod.pem", tmp_path / "prod.crt")))
    assert setup.code == 0, setup.err
    platform.reset(api_key=API_KEY, salesforce_url=org.url)
    monkeypatch.setenv("UNSTRUCTURED_API_KEY", API_KEY)
    created = cli(*submit_args(Path("keyring:prod"), platform, consumer_key=setup.out.strip()))
    assert created.code == 0, created.err
    connector_id = created.out.strip()
    org.unreadable[USERNAME] = {"Campaign"}

    check = cli("check", connector_id, "--api-url", platform.api_url, "--json")
    assert check.code == 0, check.err  # the connection check passed: its verdict stands
    body = json.loads(check.out)
    assert body["check"] == "SUCCESS" and body["id"] == connector_id
    readable = {c["name"]: c["readable"] for c in body["reading"]["categories"]}
    assert readable == {"Account": True, "Campaign": False, "Case": True, "EmailMessage": True, "Lead": True}
    assert "cannot read Campaign" in check.err and f"update {connector_id} --categories" in check.err

    text = cli("check", connector_id, "--api-url", platform.api_url)
    assert text.out.startswith("SUCCESS") and "  Campaign      NOT readable." in text.out
    quiet = cli("check", connector_id, "--api-url", platform.api_url, "--no-count")
    assert quiet.out.strip() == "SUCCESS: the connector can reach Salesforce." and "read" not in quiet.err


def test_a_key_made_here_brings_its_certificate_and_a_lost_one_is_named(
    org: FakeOrg, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without --certificate the app trusts the certificate keygen wrote beside the key; once that file is gone,
    the refusal names it (it said only "Which certificate?") and nothing reaches Salesforce."""
    assert cli("keygen", "--out", str(tmp_path), "--name", "prod").code == 0
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    args = setup_args(org, (tmp_path / "prod.pem", tmp_path / "prod.crt"))
    without_certificate = args[: args.index("--certificate")] + args[args.index("--certificate") + 2 :]

    (tmp_path / "prod.crt").rename(tmp_path / "moved.crt")
    refused = cli(*without_certificate)
    assert refused.code == 2 and org.deploy_requests == []
    assert "certificate recorded with this key" in refused.err and str(tmp_path / "prod.crt") in refused.err
    assert "--certificate FILE" in refused.err

    (tmp_path / "moved.crt").rename(tmp_path / "prod.crt")
    done = cli(*without_certificate, "--json")
    assert done.code == 0, done.err
    app = next(iter(org.org_apps.values()))
    assert app.certificate_pem == (tmp_path / "prod.crt").read_text().strip()


def test_json_output_names_what_was_created(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    run = cli(*setup_args(org, keys, "--json", "--app-name", "Sf_Json", "--ip-relaxation", "relax"))
    assert run.code == 0, run.err
    body = json.loads(run.out)
    assert body["app_name"] == "Sf_Json" and body["org_id"] == "" and body["login_verified"] is True
    assert [c["type"] for c in body["created"]] == [
        "PermissionSet",
        "PermissionSetAssignment",
        "ExternalClientApplication",
    ]
    assert org.org_apps["Sf_Json"].ip_relaxation == "Bypass"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--app-name", "bad name"], "cannot be used as a Salesforce app name"),
        (["--username", "not-a-user"], "username"),
        (["--redirect-port", "80"], "1024"),
    ],
)
def test_bad_input_exits_2_before_any_request(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, args: list[str], words: str
) -> None:
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    base = setup_args(org, keys)
    if "--redirect-port" in args:  # only the browser sign-in uses the port
        base = without_instance_url(base)
    run = cli(*base, *args)
    assert run.code == 2 and words in run.err
    assert org.deploy_requests == [] and org.permission_sets == {}


@pytest.mark.parametrize(
    "args",
    [
        ["rotate", "c-1", "--auto", "--out", "new", "--yes", "--app-name", "bad name"],
        ["remove-salesforce-app", "--yes", "--app-name", "bad name"],
        ["field-check", "--username", "not-a-user"],
    ],
    ids=["rotate", "remove-salesforce-app", "field-check"],
)
def test_a_bad_name_is_refused_while_the_command_line_is_read(platform: FakePlatform, args: list[str]) -> None:
    # Before the keyring, the Platform or Salesforce is asked anything (rotate read the API key first).
    run = cli(*args)
    assert run.code == 2 and run.out == ""
    assert "argument --" in run.err and ("app name" in run.err or "username" in run.err)
    assert platform.requests == []


def test_without_yes_and_without_a_terminal_nothing_is_asked_or_sent(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    run = cli(*[a for a in setup_args(org, keys) if a != "--yes"])
    assert run.code == 2 and "--yes" in run.err and org.deploy_requests == []


def test_no_access_token_in_the_environment_is_a_clear_error(org: FakeOrg, keys: tuple[Path, Path]) -> None:
    run = cli(*setup_args(org, keys))
    assert run.code == 2 and "SF_ACCESS_TOKEN" in run.err


def test_a_failure_after_creating_the_permission_set_is_undone_with_yes(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    original = org._check_package
    calls = {"n": 0}

    def fail_the_real_deploy(data: bytes) -> list[dict[str, str]]:
        calls["n"] += 1
        if calls["n"] == 2:  # the check-only deploy passes, the real one fails
            return [
                {
                    "componentType": "ExternalClientApplication",
                    "fullName": "Unstructured_Connector",
                    "problem": "Unknown error",
                    "problemType": "Error",
                }
            ]
        return original(data)

    monkeypatch.setattr(org, "_check_package", fail_the_real_deploy)
    run = cli(*setup_args(org, keys))
    assert (
        run.code == 1
        and "Creating the External Client App failed" in run.err
        and "Removed what this run created" in run.err
    )
    assert org.permission_sets == {} and org.assignments == [] and org.org_apps == {}
    assert Settings.load().salesforce_apps == []


def test_an_existing_app_is_refused_and_rotation_offered(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    assert cli(*setup_args(org, keys)).code == 0
    again = cli(*setup_args(org, keys))
    assert again.code == 2 and "already exists" in again.err and "rotate" in again.err


def test_a_salesforce_cli_login_is_reused_without_showing_its_token(
    org: FakeOrg, keys: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = org.admin_token()
    answer = {
        "status": 0,
        "result": {"accessToken": token, "instanceUrl": org.url, "username": "admin@example.com", "id": org.org_id},
    }
    sf = write_program(
        tmp_path / "bin",
        "sf",
        "import json, sys\n"
        "assert sys.argv[1:] == ['org', 'display', '--target-org', 'prod', '--verbose', '--json']\n"
        f"print(json.dumps({answer!r}))\n",
    )
    monkeypatch.setenv("PATH", f"{sf.parent}{os.pathsep}{os.environ['PATH']}")
    run = cli(*without_instance_url(setup_args(org, keys)), "--sf-org", "prod", "--json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["org_id"] == org.org_id and token not in run.out + run.err


def test_the_browser_sign_in_path(
    org: FakeOrg, keys: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BROWSER is a program that does what the admin's browser does: follow Salesforce's redirect."""
    import socket

    monkeypatch.setenv("BROWSER", write_browser(tmp_path))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = cli(*without_instance_url(setup_args(org, keys)), "--redirect-port", str(port))
    assert run.code == 0, run.err
    assert "Opening Salesforce's sign-in" in run.err and run.out.strip().startswith("3MVG")


# --- rotate --auto ------------------------------------------------------------------------------------


def _connector_through_setup(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch
) -> str:
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    monkeypatch.setenv("UNSTRUCTURED_API_KEY", API_KEY)
    platform.reset(api_key=API_KEY, salesforce_url=org.url)
    consumer_key = cli(*setup_args(org, keys)).out.strip()
    created = cli(*submit_args(keys[0], platform, consumer_key=consumer_key))
    assert created.code == 0, created.err
    return created.out.strip()


def forget_the_app_records() -> None:
    """As on a computer that did not make the app (or lost its records)."""
    settings = Settings.load()
    settings.salesforce_apps = []
    settings.save()


def rotate_args(org: FakeOrg, platform: FakePlatform, connector_id: str, out: Path) -> list[str]:
    return [
        "rotate",
        connector_id,
        "--auto",
        "--out",
        str(out),
        "--api-url",
        platform.api_url,
        "--login-url",
        org.url,
        "--instance-url",
        org.url,
        "--yes",
    ]


def test_rotate_auto_replaces_the_certificate_and_the_connector_key_with_no_clicks(
    org: FakeOrg,
    keys: tuple[Path, Path],
    platform: FakePlatform,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    key_bundle: KeyBundle,
) -> None:
    connector_id = _connector_through_setup(org, keys, platform, monkeypatch)
    listed = cli("list", "--api-url", platform.api_url)
    assert "[app made here: rotate --auto]" in listed.out

    run = cli(*rotate_args(org, platform, connector_id, tmp_path / "new"))
    assert run.code == 0, run.err
    assert f"Rotated {connector_id}" in run.out and "connection check SUCCESS" in run.out
    # Then, with the new key, what the connector reads now: per category, and the first run's cost.
    assert "What the connector's user can read:" in run.out
    for name in ("Account", "Campaign", "Case", "EmailMessage", "Lead"):
        assert re.search(rf"^  {name} +readable, [\d,]+ records?$", run.out, re.MULTILINE), run.out
    assert "The first full run reads" in run.out
    new_key = (tmp_path / "new" / "salesforce-rotated.pem").read_text()
    assert_owner_only(tmp_path / "new" / "salesforce-rotated.pem")
    assert platform.connectors[connector_id]["config"]["private_key"] == new_key
    app = org.org_apps["Unstructured_Connector"]
    assert app.certificate_pem == (tmp_path / "new" / "salesforce-rotated.crt").read_text().strip()
    # The old key no longer logs in; the connector's own check passed with the new one.
    old = cli(
        "verify",
        "--username",
        USERNAME,
        "--consumer-key",
        app.consumer_key,
        "--private-key",
        str(keys[0]),
        "--login-url",
        org.url,
    )
    assert old.code == 1 and "invalid assertion" in old.err


def test_a_rotation_checks_its_new_key_once(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Loading an RSA key checks its primes: ~50 ms for 2048 bits and ~250 ms for 4096 on a slow machine. The
    rotation made its new key, then loaded it from PEM six more times (the pair's check, the update's check, the
    config, the record, and the count afterwards read it back from the file and loaded it twice): once now."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

    connector_id = _connector_through_setup(org, keys, platform, monkeypatch)
    load = serialization.load_pem_private_key
    checked: list[bytes] = []

    def spy(
        data: bytes, password: bytes | None, backend: object = None, *, unsafe_skip_rsa_key_validation: bool = False
    ) -> PrivateKeyTypes:
        if not unsafe_skip_rsa_key_validation:
            checked.append(bytes(data))
        return load(data, password, unsafe_skip_rsa_key_validation=unsafe_skip_rsa_key_validation)

    monkeypatch.setattr(serialization, "load_pem_private_key", spy)
    run = cli(*rotate_args(org, platform, connector_id, tmp_path / "new"))
    assert run.code == 0, run.err
    assert "What the connector's user can read:" in run.out  # the count afterwards ran, with the new key
    assert len(checked) == 1, len(checked)


def test_rotate_auto_that_cannot_finish_says_how_to_finish_or_go_back(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    connector_id = _connector_through_setup(org, keys, platform, monkeypatch)
    org.never_propagates = True
    run = cli(*rotate_args(org, platform, connector_id, tmp_path / "new"))
    assert run.code == 1
    assert "stopped after the certificate was replaced" in run.err
    assert f"update {connector_id} --private-key {tmp_path / 'new' / 'salesforce-rotated.pem'}" in run.err
    assert "put the old certificate" in run.err


def test_finishing_a_stopped_rotation_at_once_waits_for_salesforce_to_take_the_new_certificate(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Desktop round 3, item 7: Finish it pressed right after a stop met "not yet" (Salesforce still applying the
    certificate) and failed at its one try; it waits as the rotation would, then switches the connector."""
    import time

    connector_id = _connector_through_setup(org, keys, platform, monkeypatch)
    org.never_propagates = True
    stopped = cli(*rotate_args(org, platform, connector_id, tmp_path / "new"))
    assert stopped.code == 1 and "stopped after the certificate was replaced" in stopped.err
    [entry] = Settings.load().journal
    assert entry.step == "certificate"
    org.never_propagates = False
    for app in org.org_apps.values():  # Salesforce takes the new certificate a few seconds from now
        app.ready_at = time.monotonic() + 3
    finished = cli(
        *rotate_args(org, platform, connector_id, tmp_path / "again"), "--wait-minutes", "2", "--poll-seconds", "1"
    )
    assert finished.code == 0, finished.err
    assert "invalid_client_id" in finished.err  # it was told "not yet", and waited instead of giving up
    assert not (tmp_path / "again").exists()  # no third key: the stopped run's new key is the live one
    new_key = (tmp_path / "new" / "salesforce-rotated.pem").read_text()
    assert platform.connectors[connector_id]["config"]["private_key"] == new_key
    assert Settings.load().journal == []


def test_rotate_auto_of_a_connector_whose_app_was_not_made_here_asks_for_the_app(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    connector_id = _connector_through_setup(org, keys, platform, monkeypatch)
    forget_the_app_records()
    run = cli(*rotate_args(org, platform, connector_id, tmp_path / "new"))
    assert run.code == 2 and "--app-name" in run.err
    assert not (tmp_path / "new").exists()  # nothing generated, nothing deployed


# --- keeping the sign-in for later rotations, and forgetting it --------------------------------------


def test_a_kept_sign_in_lets_rotate_auto_run_without_the_browser_until_forgotten(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    from core.storage.secret_store import SecretStore

    monkeypatch.setenv("BROWSER", write_browser(tmp_path))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = cli(*without_instance_url(setup_args(org, keys)), "--redirect-port", str(port), "--remember-sign-in")
    assert run.code == 0, run.err
    assert "Kept the Salesforce sign-in in your keyring" in run.err
    kept = SecretStore().get(f"salesforce-refresh:{org.org_id}")
    assert kept in org.refresh_tokens and kept not in run.out + run.err
    assert kept not in json.dumps(Settings.load().to_data())

    monkeypatch.setenv("UNSTRUCTURED_API_KEY", API_KEY)
    platform.reset(api_key=API_KEY, salesforce_url=org.url)
    created = cli(*submit_args(keys[0], platform, consumer_key=run.out.strip()))
    monkeypatch.setenv("BROWSER", "false")  # from here on, a browser sign-in would fail
    rotated = cli(
        "rotate",
        created.out.strip(),
        "--auto",
        "--out",
        str(tmp_path / "new"),
        "--api-url",
        platform.api_url,
        "--login-url",
        org.url,
        "--yes",
    )
    assert rotated.code == 0, rotated.err
    assert "Using the kept Salesforce sign-in" in rotated.err

    forget = cli("forget-org")
    assert forget.code == 0 and org.org_id in forget.out
    assert SecretStore().get(f"salesforce-refresh:{org.org_id}") is None
    assert not any(a.sign_in_kept for a in Settings.load().salesforce_apps)
    assert "No kept Salesforce sign-in" in cli("forget-org").out


def test_remember_sign_in_with_a_token_from_the_environment_is_refused(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    run = cli(*setup_args(org, keys), "--remember-sign-in")
    assert run.code == 2 and "none to keep" in run.err and org.deploy_requests == []


def test_an_app_made_here_can_be_removed_with_what_this_computer_created(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    assert cli(*setup_args(org, keys)).code == 0
    assert org.org_apps and org.permission_sets and org.assignments
    run = cli("remove-salesforce-app", "--instance-url", org.url, "--login-url", org.url, "--yes")
    assert run.code == 0, run.err
    assert "Removed Unstructured_Connector and Unstructured_Connector_Users" in run.out
    assert org.org_apps == {} and org.permission_sets == {} and org.assignments == []
    assert Settings.load().salesforce_apps == []
    again = cli("remove-salesforce-app", "--instance-url", org.url, "--yes")
    assert again.code == 2 and "Apps this computer created: none" in again.err


def test_a_permission_set_that_existed_before_is_left_alone_on_removal(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.salesforce.org import AdminSession, OrgClient

    token = org.admin_token()
    OrgClient(AdminSession(instance_url=org.url, access_token=token)).create(
        "PermissionSet", {"Name": "Unstructured_Connector_Users", "Label": "theirs"}
    )
    monkeypatch.setenv("SF_ACCESS_TOKEN", token)
    assert cli(*setup_args(org, keys)).code == 0
    run = cli("remove-salesforce-app", "--instance-url", org.url, "--login-url", org.url, "--yes")
    assert run.code == 0 and org.org_apps == {}
    assert "Unstructured_Connector_Users" in org.permission_sets  # not ours to delete


def _sf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, program: str) -> None:
    sf = write_program(tmp_path / "bin", "sf", f"import json, sys\n{program}")
    monkeypatch.setenv("PATH", f"{sf.parent}{os.pathsep}{os.environ['PATH']}")


def test_a_current_salesforce_cli_that_redacts_the_token_in_org_display_still_signs_in(
    org: FakeOrg, keys: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """plugin-org 7 prints "[REDACTED] Use 'sf org auth show-access-token' to view": the app took that for a token."""
    token = org.admin_token()
    display = {
        "status": 0,
        "result": {
            "accessToken": "[REDACTED] Use 'sf org auth show-access-token' to view",
            "instanceUrl": org.url,
            "username": "admin@example.com",
            "id": org.org_id,
        },
    }
    shown = {"status": 0, "result": {"accessToken": token}}
    _sf(
        tmp_path,
        monkeypatch,
        "if sys.argv[1:] == ['org', 'display', '--target-org', 'prod', '--verbose', '--json']:\n"
        f"    print(json.dumps({display!r}))\n"
        "elif sys.argv[1:] == ['org', 'auth', 'show-access-token', '--target-org', 'prod', '--json']:\n"
        f"    print(json.dumps({shown!r}))\n"
        "else:\n    sys.exit(2)\n",
    )
    run = cli(*without_instance_url(setup_args(org, keys)), "--sf-org", "prod", "--json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["org_id"] == org.org_id and token not in run.out + run.err


def test_a_redacted_token_and_no_way_to_show_it_is_a_sentence_not_a_401(
    org: FakeOrg, keys: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    display = {"status": 0, "result": {"accessToken": "[REDACTED]", "instanceUrl": org.url}}
    _sf(tmp_path, monkeypatch, f"print(json.dumps({display!r})) if sys.argv[2] == 'display' else sys.exit(1)\n")
    run = cli(*without_instance_url(setup_args(org, keys)), "--sf-org", "prod")
    assert run.code == 1 and "did not give an access token" in run.err and "sf update" in run.err
    assert org.deploy_requests == []


@pytest.mark.parametrize("alias", ["$(touch /tmp/pwned)", "prod & calc", "x;y", "a b", "%PATH%"])
def test_an_alias_no_cli_would_accept_is_refused_before_sf_runs(
    org: FakeOrg, keys: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, alias: str
) -> None:
    _sf(tmp_path, monkeypatch, "open(sys.argv[0] + '.ran', 'w').close()\n")
    run = cli(*without_instance_url(setup_args(org, keys)), "--sf-org", alias)
    assert run.code == 2 and "is not a Salesforce CLI alias" in run.err
    assert not (tmp_path / "bin" / "sf.ran").exists()


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--wait-minutes", "0", "more than 0"),
        ("--poll-seconds", "0.5", "between 1 and 3600"),
        ("--wait-minutes", "nan", "more than 0"),
    ],
)
def test_the_wait_options_are_checked_before_anything_is_sent(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, option: str, value: str, words: str
) -> None:
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    run = cli(*setup_args(org, keys), option, value)
    assert run.code == 2 and words in run.err and org.deploy_requests == []


def test_the_wait_options_set_how_long_and_how_often(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    org.never_propagates = True
    run = cli(*setup_args(org, keys), "--wait-minutes", "0.05", "--poll-seconds", "1")  # 3 seconds
    assert run.code == 1 and "after 3 seconds" in run.err
    assert 2 <= run.err.count(" s: invalid_client_id") <= 4  # one try a second


# --- the Connected App fallback ------------------------------------------------------------------------


def test_a_connected_app_is_set_up_rotated_and_removed_from_the_command_line(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    org.my_domain_only = True  # the External Client App would not serve login.salesforce.com here
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    monkeypatch.setenv("UNSTRUCTURED_API_KEY", API_KEY)
    platform.reset(api_key=API_KEY, salesforce_url=org.url)
    made = cli(*setup_args(org, keys, "--app-type", "connected-app", "--json"))
    assert made.code == 0, made.err
    body = json.loads(made.out)
    assert body["app_type"] == "connected-app" and body["login_verified"] is True
    assert [c["type"] for c in body["created"]] == ["PermissionSet", "PermissionSetAssignment", "ConnectedApp"]
    assert "create the Connected App Unstructured_Connector" in made.err and org.org_apps == {}
    consumer_key = body["consumer_key"]

    created = cli(*submit_args(keys[0], platform, consumer_key=consumer_key))
    assert created.code == 0, created.err
    connector_id = created.out.strip()
    rotated = cli(*rotate_args(org, platform, connector_id, tmp_path / "new"))
    assert rotated.code == 0, rotated.err
    assert "certificate of the Connected App Unstructured_Connector" in rotated.err
    app = org.connected_apps["Unstructured_Connector"]
    assert app.certificate_pem == (tmp_path / "new" / "salesforce-rotated.crt").read_text().strip()
    assert app.consumer_key == consumer_key and app.permission_set == "Unstructured_Connector_Users"

    removed = cli("remove-salesforce-app", "--instance-url", org.url, "--login-url", org.url, "--yes")
    assert removed.code == 0, removed.err
    assert "deletes the Connected App Unstructured_Connector" in removed.err
    assert org.connected_apps == {} and org.permission_sets == {} and Settings.load().salesforce_apps == []


def test_an_external_client_app_serving_only_my_domain_is_followed_by_the_connected_app_the_cli_offers(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fallback the wizard offers, on the command line too: said with the command to run, which takes the
    _CA name because the External Client App of that name was set up here and keeps it."""
    org.my_domain_only = True
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    args = setup_args(org, keys)
    args[args.index("--instance-url") + 1] = org.my_domain_url  # the admin's session is on the org's My Domain
    run = cli(*args)
    assert run.code == 1 and "Traceback" not in run.err
    assert "A Connected App serves login.salesforce.com where an External Client App does not" in run.err
    assert "it is named Unstructured_Connector_CA" in run.err
    command = shlex.split(run.err.split("\n  setup-salesforce ", 1)[1].splitlines()[0])
    assert command[command.index("--app-type") + 1] == "connected-app" and "--yes" not in command
    assert set(org.org_apps) == {"Unstructured_Connector"}

    made = cli("setup-salesforce", *command, "--instance-url", org.my_domain_url, "--yes", "--json")
    assert made.code == 0, made.err
    body = json.loads(made.out)
    assert (body["app_name"], body["app_type"], body["login_verified"]) == (
        "Unstructured_Connector_CA",
        "connected-app",
        True,
    )
    assert "keeps its name: the Connected App is named Unstructured_Connector_CA" in made.err
    assert set(org.org_apps) == {"Unstructured_Connector"} and set(org.connected_apps) == {"Unstructured_Connector_CA"}


def test_an_org_that_blocks_new_connected_apps_is_a_sentence_on_the_command_line(
    org: FakeOrg, keys: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    org.connected_apps_blocked = True
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    run = cli(*setup_args(org, keys, "--app-type", "connected-app"))
    assert run.code == 1
    assert "does not allow new Connected Apps" in run.err and "Salesforce Support" in run.err
    assert "Traceback" not in run.err and org.permission_sets == {} and Settings.load().journal == []


def test_rotate_auto_refuses_a_connected_app_made_elsewhere_before_making_a_key(
    org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    connector_id = _connector_through_setup(org, keys, platform, monkeypatch)
    forget_the_app_records()
    args = rotate_args(org, platform, connector_id, tmp_path / "new")
    run = cli(*args, "--app-name", "Their_App", "--app-type", "connected-app")
    assert run.code == 2 and "was not created by this wizard" in run.err
    assert not (tmp_path / "new").exists()
