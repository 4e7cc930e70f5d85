"""Hardening: hostile or unlucky input ends in a sentence, quickly, and nothing secret leaks."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from core.crypto.keypair import KeyBundle
from core.doctor import _mask_proxy
from core.urls import SafeUrl, is_loopback_host
from tests.core.test_cli import Run, cli
from tests.fakes.platform import FakePlatform
from tests.platforms import WINDOWS, assert_owner_only, posix_only

# --- item 3: only literal loopback counts ------------------------------------------------------------


@pytest.mark.parametrize("host", ["localhost.", "LOCALHOST.", "localhost.localdomain"])
def test_a_dns_name_that_looks_like_localhost_is_not_loopback(host: str) -> None:
    assert is_loopback_host(host) is False
    with pytest.raises(Exception, match="https"):
        SafeUrl(f"http://{host}:8080", what="API URL")


# --- item 4: a proxy password with '@' is hidden whole -------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("http://user:p@ss@word@proxy.acme.com:8080", "http://***@proxy.acme.com:8080"),
        ("http://user:secret@proxy:3128", "http://***@proxy:3128"),
        ("user:p@ss@proxy:3128", "***@proxy:3128"),
        ("http://proxy:3128", "http://proxy:3128"),
    ],
)
def test_doctor_hides_everything_before_the_last_at(value: str, shown: str) -> None:
    assert _mask_proxy(value) == shown


# --- item 9: bounded input ---------------------------------------------------------------------------------


def test_a_device_as_private_key_is_refused_at_once(tmp_path: Path) -> None:
    started = time.monotonic()
    run = cli("verify", "--username", "a@b.co", "--consumer-key", "3MVG9" + "x" * 40, "--private-key", "/dev/zero")
    assert run.code == 2 and "not a regular file" in run.err
    assert time.monotonic() - started < 5


def test_a_fifo_as_private_key_is_refused_without_blocking(tmp_path: Path) -> None:
    if sys.platform == "win32":
        pytest.skip("a POSIX feature Windows does not have (FIFOs)")
    fifo = tmp_path / "key.pem"
    os.mkfifo(fifo)
    result: list[Run] = []
    worker = threading.Thread(
        target=lambda: result.append(
            cli("verify", "--username", "a@b.co", "--consumer-key", "3MVG9" + "x" * 40, "--private-key", str(fifo))
        ),
        daemon=True,
    )
    worker.start()
    worker.join(5)
    assert result, "reading a FIFO blocked"
    assert result[0].code == 2 and "not a regular file" in result[0].err


def test_a_huge_certificate_file_is_refused_before_it_is_read(tmp_path: Path, key_bundle: KeyBundle) -> None:
    key = tmp_path / "k.pem"
    key.write_bytes(key_bundle.private_key_pem)
    big = tmp_path / "big.crt"
    with open(big, "wb") as handle:
        handle.truncate(2 * 1024**3)  # 2 GB, sparse: costs no disk
    run = cli("import-cert", "--cert", str(big), "--private-key", str(key))
    assert run.code == 2 and "too large" in run.err


@posix_only  # ~user
def test_a_path_under_an_unknown_user_is_a_sentence() -> None:
    run = cli(
        "verify", "--username", "a@b.co", "--consumer-key", "3MVG9" + "x" * 40, "--private-key", "~nosuchuser/k.pem"
    )
    assert run.code == 2 and "home folder is unknown" in run.err and "unexpected" not in run.err


@pytest.mark.parametrize("value", ["nan", "inf", "1e400", "-5", "0", "86400"])
def test_check_timeouts_must_be_finite_and_in_range(value: str) -> None:
    run = cli("check", "some-id", "--timeout", value)
    assert run.code == 2 and "between 0 and 3600" in run.err


# --- item 5: modes whatever the umask ----------------------------------------------------------------------


def test_with_umask_000_folders_are_0700_and_files_have_their_own_modes(tmp_path: Path) -> None:
    import stat
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    home, out = tmp_path / "home", tmp_path / "a" / "b" / "keys"
    env = dict(os.environ, SFCW_HOME=str(home))
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import os, sys; os.umask(0); sys.path.insert(0, {str(root)!r}); "
            f"import main; sys.exit(main.main(['keygen', '--out', {str(out)!r}]))",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr

    # On Windows the umask means nothing: the same owner-only ACLs are checked.
    for folder in (tmp_path / "a", tmp_path / "a" / "b", out, home, home / "config", home / "logs"):
        assert_owner_only(folder, folder=True)
    assert_owner_only(out / "salesforce.pem")
    assert WINDOWS or stat.S_IMODE((out / "salesforce.crt").stat().st_mode) == 0o644
    assert_owner_only(home / "config" / "settings.json")
    assert_owner_only(home / "logs" / "wizard.log")


# --- item 10: no quadratic regexes on hostile text ----------------------------------------------------------


def _alarm(seconds: int) -> Iterator[None]:
    import signal

    if sys.platform == "win32":  # no SIGALRM: 'windows test' runs pytest with --timeout, which ends a hang
        yield None
        return

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    yield None
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def deadline() -> Iterator[None]:
    """Fails the test if it runs past 5 s (quadratic scans took 10-126 s on these inputs)."""
    yield from _alarm(5)


@pytest.fixture
def network_deadline() -> Iterator[None]:
    """Fails the test if a call is held past 15 s (a dripping server held one for minutes)."""
    yield from _alarm(15)


def _response(body: str) -> requests.Response:

    response = requests.models.Response()
    response.status_code = 500
    response._content = body.encode()
    return response


def test_a_300_kb_hostile_html_error_body_is_described_quickly(deadline: object) -> None:
    from core.unstructured.client import describe_error_body

    assert describe_error_body(_response("<title>" * 43000 + ">"))
    assert describe_error_body(_response("<" * 300000 + ">"))
    assert describe_error_body(_response("<html><title>Bad gateway</title>")) == "Bad gateway"


def test_redacting_200_kb_of_eyj_is_quick_and_jwts_are_still_hidden(deadline: object) -> None:
    from core.logs import redact

    assert redact("eyJ" * 70000)
    assert redact("a eyJhbGciOi.eyJzdWIiOiJ4.c2lnbmF0dXJl b") == "a [REDACTED JWT] b"


def test_a_64_kb_damaged_pem_paste_is_parsed_quickly(deadline: object, key_bundle: KeyBundle) -> None:
    from core.crypto.keypair import parse_pem_blocks

    assert parse_pem_blocks("-----BEGIN RSA PRIVATE KEY-----" * 2100) == []
    damaged = "-----BEGIN RSA PRIVATE KEY-----\n" * 1000 + key_bundle.private_key_pem.decode()
    assert [b.label for b in parse_pem_blocks(damaged)] == ["RSA PRIVATE KEY"]


# --- item 11: every failure is a sentence ---------------------------------------------------------------


def _api(monkeypatch: pytest.MonkeyPatch, key: str = "") -> None:
    from tests.conftest import API_KEY

    monkeypatch.setenv("UNSTRUCTURED_API_KEY", key or API_KEY)


@pytest.mark.parametrize("value", [5, float("nan"), ["x"]])
def test_list_survives_odd_timestamps_from_the_api(
    platform: FakePlatform, monkeypatch: pytest.MonkeyPatch, key_bundle: KeyBundle, value: object
) -> None:
    from tests.core.test_cli import submit_args

    _api(monkeypatch)
    import tempfile

    folder = Path(tempfile.mkdtemp())
    (folder / "k.pem").write_bytes(key_bundle.private_key_pem)
    created = cli(*submit_args(folder / "k.pem", platform))
    assert created.code == 0, created.err
    platform.connectors[created.out.strip()]["updated_at"] = value
    run = cli("list", "--api-url", platform.api_url)
    assert run.code == 0 and created.out.strip() in run.out and "unexpected" not in run.err


def test_deeply_nested_json_from_the_api_is_a_sentence(platform: FakePlatform, monkeypatch: pytest.MonkeyPatch) -> None:
    _api(monkeypatch)
    platform.fail_next(200, "[" * 100000, method="GET")
    run = cli("list", "--api-url", platform.api_url)
    assert run.code == 1 and "not JSON" in run.err and "unexpected" not in run.err


def test_an_api_key_with_a_line_break_is_refused_as_input_before_any_request(
    platform: FakePlatform,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _api(monkeypatch, "test-api-key\n0123456789")
    run = cli("list", "--api-url", platform.api_url)
    assert run.code == 2 and "line breaks" in run.err and platform.requests == []


@pytest.mark.parametrize(
    ("option", "value"),
    [("--common-name", "a\x07b"), ("--email", "a\nb@c.de"), ("--organization", "caf\udce9"), ("--org-unit", "x\x1by")],
)
def test_control_characters_and_undecodable_bytes_in_the_subject_are_refused(
    tmp_path: Path, option: str, value: str
) -> None:
    run = cli("keygen", "--out", str(tmp_path / "k"), option, value)
    assert run.code == 2 and run.err.startswith("error: ") and "unexpected" not in run.err
    assert not (tmp_path / "k").exists()


@posix_only  # /dev/full
def test_a_log_that_cannot_be_written_costs_one_line_not_tracebacks(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    home = tmp_path / "home"
    (home / "logs").mkdir(parents=True)
    (home / "logs" / "wizard.log").symlink_to("/dev/full")  # every write: ENOSPC, as on a full disk
    args = ["verify", "--username", "a@b.co", "--consumer-key", "3MVG9" + "x" * 40, "--private-key", "missing.pem"]
    result = subprocess.run(  # a failing command logs its failure, and that write fails
        [sys.executable, str(root / "main.py"), *args],
        env=dict(os.environ, SFCW_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("cannot be written") == 1


# --- item 6: a deadline no server can stretch, and a cap on what it may send ------------------------------


class Drip:
    """A loopback server that answers one byte every ``pause`` seconds (headers included), or sends a huge body."""

    def __init__(self, *, pause: float = 0.2, huge: bool = False) -> None:
        import socket

        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.pause, self.huge = pause, huge
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.server.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            with conn:
                conn.recv(65536)
                try:
                    if self.huge:
                        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
                        for _ in range(400):  # 400 MB, unless the client stops reading
                            conn.sendall(b"[" + b"0," * (512 * 1024 - 1) + b"0]")
                    else:
                        for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]":
                            if self.stop.is_set():
                                return
                            conn.sendall(bytes([byte]))
                            time.sleep(self.pause)
                except OSError:
                    continue

    def close(self) -> None:
        self.stop.set()
        self.server.close()


def test_a_server_that_drips_one_byte_at_a_time_cannot_hold_a_call(network_deadline: object) -> None:
    from core.errors import NetworkError
    from core.unstructured.client import PlatformClient

    drip = Drip()
    try:
        client = PlatformClient(api_url=drip.url, api_key="k" * 20, timeout=(1.0, 1.0), sleep=lambda s: None)
        started = time.monotonic()
        with pytest.raises(NetworkError, match="in time"):
            client.list_sources()
        took = time.monotonic() - started
    finally:
        drip.close()
    # Each attempt is cut at its 2 s deadline (before, the drip held it for the ~20 s of the answer).
    assert took < 8


def test_the_jwt_login_against_a_dripping_host_ends_at_its_deadline(
    network_deadline: object, key_bundle: KeyBundle
) -> None:
    from core.errors import NetworkError
    from core.salesforce.login import verify_jwt_login

    drip = Drip()
    try:
        with pytest.raises(NetworkError, match="did not finish answering in time"):
            verify_jwt_login(
                username="a@b.co",
                consumer_key="3MVG9" + "x" * 40,
                private_key=key_bundle.key,
                login_url=SafeUrl(drip.url),
                timeout=(1.0, 1.0),
            )
    finally:
        drip.close()


def test_a_huge_answer_is_refused_while_it_arrives(network_deadline: object) -> None:
    if sys.platform == "win32":
        pytest.skip("a POSIX feature Windows does not have (resource)")
    import resource

    from core.errors import NetworkError
    from core.unstructured.client import PlatformClient

    drip = Drip(huge=True)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        client = PlatformClient(api_url=drip.url, api_key="k" * 20, timeout=(1.0, 3.0), sleep=lambda s: None)
        with pytest.raises(NetworkError, match="too large"):
            client.list_sources()
    finally:
        drip.close()
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100  # the 400 MB answer was never held (it took 867 MB before)


def test_an_answer_cut_off_in_its_headers_is_an_error_not_a_short_answer(network_deadline: object) -> None:
    """Cut mid-headers, http.client may return what it has as if complete: that must not pass as an answer."""
    from core.errors import NetworkError
    from core.unstructured.client import PlatformClient

    drip = Drip(pause=0.05)  # 76 bytes in 3.8 s: the 2.5 s deadline falls inside the headers
    try:
        client = PlatformClient(
            api_url=drip.url, api_key="k" * 20, timeout=(1.0, 1.5), budget=2.0, sleep=lambda s: None
        )
        with pytest.raises(NetworkError, match="in time"):
            client.list_sources()
    finally:
        drip.close()
