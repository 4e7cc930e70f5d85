"""The CLI in-process (real core, real loopback services) and as a real subprocess."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest

from cli import Cli, run
from core.crypto.keypair import KeyBundle, fingerprint_sha256, load_certificate
from core.storage.secret_store import API_KEY_NAME, SecretStore
from core.storage.settings import Settings
from tests.conftest import API_KEY, CONSUMER_KEY, FAST, USERNAME
from tests.fakes.keyrings import MemoryKeyring
from tests.fakes.platform import FakePlatform
from tests.fakes.salesforce import FakeSalesforce
from tests.platforms import WINDOWS, assert_owner_only, needs_openssl, posix_only

ROOT = Path(__file__).resolve().parents[2]


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


def submit_args(
    key_file: Path, platform: FakePlatform, name: str = "sf", consumer_key: str = CONSUMER_KEY
) -> list[str]:
    return [
        "submit",
        "--name",
        name,
        "--username",
        USERNAME,
        "--consumer-key",
        consumer_key,
        "--private-key",
        str(key_file),
        "--api-url",
        platform.api_url,
    ]


def verify_args(key: Path | str, salesforce: FakeSalesforce) -> list[str]:
    return [
        "verify",
        "--username",
        USERNAME,
        "--consumer-key",
        CONSUMER_KEY,
        "--private-key",
        str(key),
        "--login-url",
        salesforce.url,
    ]


def cli(*argv: str, stdin: str = "", store: SecretStore | None = None) -> Run:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), session=Cli(store=store, stdout=out, stderr=err, stdin=io.StringIO(stdin), timings=FAST))
    return Run(code, out.getvalue(), err.getvalue())


@pytest.fixture
def key_file(tmp_path: Path, key_bundle: KeyBundle) -> Path:
    path = tmp_path / "salesforce.pem"
    path.write_bytes(key_bundle.private_key_pem)
    return path


@pytest.fixture
def api_key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNSTRUCTURED_API_KEY", API_KEY)


# --- keygen ----------------------------------------------------------------------------------


def test_keygen_writes_files_and_prints_fingerprint(tmp_path: Path) -> None:
    run = cli("keygen", "--out", str(tmp_path), "--csr")
    assert run.code == 0, run.err
    assert_owner_only(tmp_path / "salesforce.pem")
    cert = load_certificate((tmp_path / "salesforce.crt").read_bytes())
    assert fingerprint_sha256(cert) in run.out and "Expires:" in run.out
    assert (tmp_path / "salesforce.csr").read_bytes().startswith(b"-----BEGIN CERTIFICATE REQUEST-----")
    assert "PRIVATE KEY" not in run.out + run.err
    record = Settings.load().keys[0]
    assert record.fingerprint_sha256 == fingerprint_sha256(cert) and record.not_after


def test_keygen_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    assert cli("keygen", "--out", str(tmp_path)).code == 0
    before = (tmp_path / "salesforce.pem").read_bytes()
    run = cli("keygen", "--out", str(tmp_path))
    assert run.code == 2 and "already exist" in run.err and "--force" in run.err
    assert (tmp_path / "salesforce.pem").read_bytes() == before
    assert cli("keygen", "--out", str(tmp_path), "--force").code == 0
    assert (tmp_path / "salesforce.pem").read_bytes() != before


def test_keygen_store_puts_the_key_in_the_keyring(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    run = cli("keygen", "--out", str(tmp_path), "--name", "prod", "--store", "--bits", "3072")
    assert run.code == 0 and "keyring:prod" in run.out
    assert SecretStore().get("private-key:prod") == (tmp_path / "prod.pem").read_text()


def test_keygen_store_with_a_switched_off_keyring_stores_nothing_and_says_so(tmp_path: Path) -> None:
    import keyring.backends.null

    run = cli("keygen", "--out", str(tmp_path), "--store", store=SecretStore(keyring.backends.null.Keyring()))
    assert run.code == 1 and "switched off" in run.err and "without --store" in run.err
    assert "stored as" not in run.out and not list(tmp_path.iterdir())


def test_set_api_key_with_a_switched_off_keyring_does_not_claim_to_have_stored_it() -> None:
    import keyring.backends.null

    run = cli("set-api-key", stdin="key-123\n", store=SecretStore(keyring.backends.null.Keyring()))
    assert run.code == 1 and "Stored" not in run.out and "switched off" in run.err


@pytest.mark.skipif(WINDOWS, reason="a symbolic link needs a privilege Windows gives only admins or Developer Mode")
def test_a_failed_keygen_store_leaves_no_orphan_key_in_the_keyring(tmp_path: Path) -> None:
    (tmp_path / "salesforce.crt").symlink_to(tmp_path / "nowhere" / "salesforce.crt")  # dangling: the write fails
    run = cli("keygen", "--out", str(tmp_path), "--store")
    assert run.code != 0
    assert SecretStore().get("private-key:salesforce") is None
    (tmp_path / "salesforce.crt").unlink()
    assert cli("keygen", "--out", str(tmp_path), "--store").code == 0  # the retry is not blocked


@pytest.mark.parametrize("args", [["--bits", "1024"], ["--days", "0"], ["--country", "Germany"]])
def test_keygen_bad_options_exit_2(tmp_path: Path, args: list[str]) -> None:
    run = cli("keygen", "--out", str(tmp_path), *args)
    assert run.code == 2 and run.err.startswith("error:")
    assert not (tmp_path / "salesforce.pem").exists()


# --- approval URL, verify ----------------------------------------------------------------------


def test_approval_url_prints_the_url_and_what_to_expect() -> None:
    run = cli("approval-url", "--consumer-key", CONSUMER_KEY)
    assert run.code == 0
    assert run.out.strip() == (
        "https://login.salesforce.com/services/oauth2/authorize?response_type=code"
        f"&client_id={CONSUMER_KEY}&redirect_uri=https%3A%2F%2Flocalhost"
    )
    assert "does not load" in run.err


def test_verify_success(salesforce: FakeSalesforce, key_file: Path) -> None:
    run = cli(*verify_args(key_file, salesforce))
    assert run.code == 0, run.err
    assert USERNAME in run.out and salesforce.org_id in run.out
    assert "always logs in through https://login.salesforce.com" in run.err


def test_verify_not_approved_prints_the_fix_and_the_approval_url(salesforce: FakeSalesforce, key_file: Path) -> None:
    next(iter(salesforce.apps.values())).approved.clear()
    run = cli(*verify_args(key_file, salesforce))
    assert run.code == 1
    assert "user hasn't approved this consumer" in run.err and "Approval URL:" in run.err
    assert "Traceback" not in run.err


def test_verify_with_a_key_from_the_keyring(salesforce: FakeSalesforce, key_bundle: KeyBundle) -> None:
    SecretStore().set("private-key:prod", key_bundle.private_key_pem.decode())
    run = cli(
        "verify",
        "--username",
        USERNAME,
        "--consumer-key",
        CONSUMER_KEY,
        "--private-key",
        "keyring:prod",
        "--login-url",
        salesforce.url,
    )
    assert run.code == 0, run.err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--username", "nope"], "not a Salesforce username"),
        (["--private-key", "/no/such/file.pem"], "does not exist"),
        (["--private-key", "keyring:missing"], "No private key named 'missing'"),
    ],
)
def test_verify_bad_input_exits_2_without_network(
    salesforce: FakeSalesforce, key_file: Path, args: list[str], words: str
) -> None:
    base = {"--username": USERNAME, "--consumer-key": CONSUMER_KEY, "--private-key": str(key_file)}
    base.update(dict(zip(args[::2], args[1::2])))
    run = cli("verify", *[x for kv in base.items() for x in kv], "--login-url", salesforce.url)
    assert run.code == 2 and words in run.err
    assert salesforce.token_requests == []


# --- submit and the lifecycle ----------------------------------------------------------------------


def test_submit_prints_the_id_and_records_the_connector(
    platform: FakePlatform, key_file: Path, api_key_env: None, tmp_path: Path
) -> None:
    assert cli("keygen", "--out", str(tmp_path / "keys")).code == 0
    key = tmp_path / "keys" / "salesforce.pem"
    run = cli(
        "submit",
        "--name",
        "sf-prod",
        "--username",
        USERNAME,
        "--consumer-key",
        CONSUMER_KEY,
        "--private-key",
        str(key),
        "--categories",
        "Account,Case",
        "--api-url",
        platform.api_url,
    )
    assert run.code == 0, run.err
    connector_id = run.out.strip()
    assert connector_id in platform.connectors
    assert platform.connectors[connector_id]["config"]["categories"] == ["Account", "Case"]
    record = Settings.load().connector(connector_id)
    assert record is not None and record.fingerprint_sha256 == Settings.load().keys[0].fingerprint_sha256


def test_submit_json_is_one_redacted_object(platform: FakePlatform, key_file: Path, api_key_env: None) -> None:
    run = cli(
        *submit_args(key_file, platform),
        "--json",
    )
    data = json.loads(run.out)
    assert data["name"] == "sf" and data["config"]["private_key"] == "<redacted>"
    assert "PRIVATE KEY" not in run.out


def test_submit_uses_the_api_key_from_the_keyring(platform: FakePlatform, key_file: Path) -> None:
    assert cli("set-api-key", stdin=API_KEY + "\n").code == 0
    assert SecretStore().get(API_KEY_NAME) == API_KEY
    run = cli(
        *submit_args(key_file, platform),
    )
    assert run.code == 0, run.err


def test_submit_without_api_key_exits_2_before_network(platform: FakePlatform, key_file: Path) -> None:
    run = cli(
        *submit_args(key_file, platform),
    )
    assert run.code == 2 and "UNSTRUCTURED_API_KEY" in run.err and platform.requests == []


def test_submit_refused_key_exits_1(platform: FakePlatform, key_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNSTRUCTURED_API_KEY", "bad-key-value")
    run = cli(
        *submit_args(key_file, platform),
    )
    assert run.code == 1 and "refused the API key" in run.err and "bad-key-value" not in run.err


def test_no_option_takes_the_api_key_on_the_command_line() -> None:
    run = cli(
        "submit", "--api-key", "x", "--name", "a", "--username", "a@b.c", "--consumer-key", "k", "--private-key", "f"
    )
    assert run.code == 2 and "unrecognized arguments: --api-key" in run.err


def test_list_check_update_delete(
    platform: FakePlatform, key_file: Path, api_key_env: None, other_bundle: KeyBundle, tmp_path: Path
) -> None:
    created = cli(*submit_args(key_file, platform)).out.strip()
    listed = json.loads(cli("list", "--api-url", platform.api_url, "--json").out)
    assert [c["id"] for c in listed] == [created]
    check = cli("check", created, "--api-url", platform.api_url, "--timeout", "30")
    assert check.code == 0 and "SUCCESS" in check.out
    # the service returns the key redacted: an update without a key must refuse, not send garbage
    assert cli("update", created, "--categories", "Lead", "--api-url", platform.api_url).code == 2
    new_key = tmp_path / "new.pem"
    new_key.write_bytes(other_bundle.private_key_pem)
    run = cli("update", created, "--private-key", str(new_key), "--categories", "Lead", "--api-url", platform.api_url)
    assert run.code == 0, run.err
    sent = platform.requests_of("PUT")[-1][2]["config"]
    assert sent["username"] == USERNAME and sent["categories"] == ["Lead"]
    assert sent["private_key"] == other_bundle.private_key_pem.decode()
    failed = cli("check", created, "--api-url", platform.api_url, "--timeout", "30")
    assert failed.code == 1 and "invalid_grant" in failed.out  # Salesforce has the old certificate
    assert "run Verify login" in failed.out  # the check gives only the code: where to get the words
    assert cli("delete", created, "--api-url", platform.api_url).code == 2  # no tty, no --yes
    assert cli("delete", created, "--api-url", platform.api_url, "--yes").code == 0
    missing = cli("check", created, "--api-url", platform.api_url)
    assert missing.code == 1 and "No source connector with id" in missing.err


# --- as a real process -------------------------------------------------------------------------


def run_process(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_version_and_no_qt_import_on_the_cli_path() -> None:
    main_py = str(ROOT / "main.py")
    probe = (
        "import runpy, sys; sys.argv=['main.py','--version']\n"
        f"try:\n runpy.run_path({main_py!r}, run_name='__main__')\n"
        "except SystemExit: pass\n"
        "print('QT', any(m.startswith('PySide6') for m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert "Salesforce Connector Wizard" in result.stdout and "QT False" in result.stdout


def test_process_exit_codes_and_no_tracebacks(tmp_path: Path) -> None:
    usage = run_process("keygen")
    assert usage.returncode == 2 and "--out" in usage.stderr and "Traceback" not in usage.stderr
    ok = run_process("keygen", "--out", str(tmp_path))
    assert ok.returncode == 0 and "SHA-256" in ok.stdout
    refused = run_process(
        "submit",
        "--name",
        "n",
        "--username",
        USERNAME,
        "--consumer-key",
        CONSUMER_KEY,
        "--private-key",
        str(tmp_path / "salesforce.pem"),
        "--api-url",
        "http://example.com",
    )
    assert refused.returncode == 2 and "https" in refused.stderr and "Traceback" not in refused.stderr


def test_doctor_offline_names_the_keyring_backend() -> None:
    result = run_process("doctor", "--offline")
    assert "Keyring" in result.stdout and "Config folder" in result.stdout and "OpenSSL" in result.stdout
    assert "Traceback" not in result.stderr


def test_doctor_online_reports_clock_and_reachability(salesforce: FakeSalesforce, platform: FakePlatform) -> None:
    from core import doctor

    findings = {f.label: f for f in doctor.online_findings(api_url=platform.api_url, login_url=salesforce.url)}
    assert findings["Clock offset"].ok and "s against" in findings["Clock offset"].value
    assert findings["Unstructured API"].ok and "HTTP 401" in findings["Unstructured API"].value


def test_keygen_store_never_replaces_a_key_in_the_keyring(tmp_path: Path) -> None:
    assert cli("keygen", "--out", str(tmp_path / "a"), "--name", "prod", "--store").code == 0
    before = SecretStore().get("private-key:prod")
    run = cli("keygen", "--out", str(tmp_path / "b"), "--name", "prod", "--store")
    assert run.code == 2 and "already in the keyring" in run.err
    assert SecretStore().get("private-key:prod") == before
    assert not (tmp_path / "b" / "prod.pem").exists()


@pytest.mark.parametrize(
    ("blocked", "words"),
    [
        ("gui", "This is the command-line program"),
        ("PySide6", "The wizard cannot start here"),
    ],
)
def test_no_arguments_without_the_wizard_explains_instead_of_a_traceback(blocked: str, words: str) -> None:
    main_py = str(ROOT / "main.py")
    probe = (
        f"import sys; sys.modules[{blocked!r}] = None; sys.argv = [{main_py!r}]\n"
        f"import runpy\nrunpy.run_path({main_py!r}, run_name='__main__')"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr


@needs_openssl
def test_csr_then_import_of_the_issued_certificate(
    tmp_path: Path, key_bundle: KeyBundle, other_bundle: KeyBundle
) -> None:
    assert cli("keygen", "--out", str(tmp_path), "--name", "corp", "--csr", "--store").code == 0
    # the CA signs the CSR: openssl stands in for the corporate CA
    ca_key, ca_cert, issued = tmp_path / "ca.key", tmp_path / "ca.crt", tmp_path / "issued.crt"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(ca_key),
            "-out",
            str(ca_cert),
            "-days",
            "30",
            "-subj",
            "/CN=Corp CA",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            "openssl",
            "x509",
            "-req",
            "-in",
            str(tmp_path / "corp.csr"),
            "-CA",
            str(ca_cert),
            "-CAkey",
            str(ca_key),
            "-CAcreateserial",
            "-out",
            str(issued),
            "-days",
            "200",
        ],
        check=True,
        capture_output=True,
    )
    run = cli(
        "import-cert",
        "--cert",
        str(issued),
        "--private-key",
        "keyring:corp",
        "--out",
        str(tmp_path / "out"),
        "--name",
        "corp",
    )
    assert run.code == 0, run.err
    assert (tmp_path / "out" / "corp.crt").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    record = next(k for k in Settings.load().keys if k.name == "corp")
    assert record.certificate_path.endswith("corp.crt") and record.fingerprint_sha256 in run.out
    wrong = cli("import-cert", "--cert", str(ca_cert), "--private-key", "keyring:corp")
    assert wrong.code == 2 and "do not belong together" in wrong.err


def test_an_encrypted_key_without_a_terminal_explains_how_to_decrypt(
    tmp_path: Path, key_bundle: KeyBundle, salesforce: FakeSalesforce
) -> None:
    from cryptography.hazmat.primitives import serialization

    from core.crypto.keypair import load_private_key

    encrypted = tmp_path / "enc.pem"
    encrypted.write_bytes(
        load_private_key(key_bundle.private_key_pem).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
        )
    )
    run = cli(
        "verify",
        "--username",
        USERNAME,
        "--consumer-key",
        CONSUMER_KEY,
        "--private-key",
        str(encrypted),
        "--login-url",
        salesforce.url,
    )
    assert run.code == 2 and "passphrase" in run.err and "openssl pkey" in run.err
    assert salesforce.token_requests == []


@posix_only  # a pseudo-terminal; Windows's console is another program's business
def test_an_encrypted_key_asks_for_its_passphrase_on_a_terminal_again_when_wrong_and_never_shows_it(
    tmp_path: Path, key_bundle: KeyBundle, salesforce: FakeSalesforce
) -> None:
    if sys.platform == "win32":  # posix_only already; spelled out, so the type checkers read pty for POSIX alone
        raise AssertionError("a POSIX terminal")
    import pty
    import select

    from cryptography.hazmat.primitives import serialization

    encrypted = tmp_path / "enc.pem"
    encrypted.write_bytes(
        key_bundle.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"right horse"),
        )
    )
    argv = [sys.executable, str(ROOT / "main.py"), "verify", "--username", USERNAME, "--consumer-key", CONSUMER_KEY]
    argv += ["--private-key", str(encrypted), "--login-url", salesforce.url]
    terminal, its_end = pty.openpty()  # the CLI's stdin, stdout and stderr, as a terminal's are
    program = subprocess.Popen(argv, stdin=its_end, stdout=its_end, stderr=its_end, start_new_session=True)
    os.close(its_end)
    shown = b""

    def read_on(until: bytes | None, after: int = 0) -> int:
        """Read what the terminal shows until ``until`` appears after ``after`` (None: until the program ends)."""
        nonlocal shown
        while until is None or shown.find(until, after) < 0:
            ready, _, _ = select.select([terminal], [], [], 60)
            try:
                chunk = os.read(terminal, 4096) if ready else b""
            except OSError:  # EIO: the program has ended
                chunk = b""
            if not chunk:
                assert until is None, f"waited for {until!r}; the terminal shows {shown!r}"
                return len(shown)
            shown += chunk
        return shown.find(until, after) + len(until)

    try:
        at = read_on(b"Passphrase for the private key: ")
        os.write(terminal, b"wrong horse\n")
        at = read_on(b"The passphrase is wrong; try again.", at)
        at = read_on(b"Passphrase for the private key: ", at)
        os.write(terminal, b"right horse\n")
        read_on(None)
    finally:
        code = program.wait(60)
        os.close(terminal)
    assert code == 0, shown
    assert b"The JWT login works: " + USERNAME.encode() in shown
    assert b"horse" not in shown  # typed, never echoed
    assert len(salesforce.token_requests) == 1


def test_a_defect_is_reported_in_one_line_and_logged_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, key_bundle: KeyBundle
) -> None:
    from core.salesforce import login as salesforce
    from core.storage.settings import log_dir

    def broken(*args: object, **kwargs: object) -> NoReturn:
        raise ZeroDivisionError(key_bundle.private_key_pem.decode())

    monkeypatch.setattr(salesforce, "approval_url", broken)  # stands in for a bug anywhere in a command
    run = cli("approval-url", "--consumer-key", CONSUMER_KEY)
    assert run.code == 1 and "ZeroDivisionError" in run.err and "wizard.log" in run.err
    assert "Traceback" not in run.err and "PRIVATE KEY" not in run.err
    logged = (log_dir() / "wizard.log").read_text()
    assert "Traceback" in logged and "BEGIN RSA PRIVATE KEY" not in logged


def test_submit_refuses_a_name_already_in_the_account_before_creating(
    platform: FakePlatform, key_file: Path, api_key_env: None
) -> None:
    assert cli(*submit_args(key_file, platform)).code == 0
    run = cli(*submit_args(key_file, platform))
    assert run.code == 2 and "already exists in this account" in run.err
    assert len([r for r in platform.requests if r[:2] == ("POST", "/api/v1/sources/")]) == 1
