"""Hardening: hostile or unlucky input ends in a sentence, quickly, and nothing secret leaks."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from core.doctor import _mask_proxy
from core.transport import is_loopback_host, require_safe_url
from tests.core.test_cli import cli

# --- item 3: only literal loopback counts ------------------------------------------------------------


@pytest.mark.parametrize("host", ["localhost.", "LOCALHOST.", "localhost.localdomain"])
def test_a_dns_name_that_looks_like_localhost_is_not_loopback(host: str) -> None:
    assert is_loopback_host(host) is False
    with pytest.raises(Exception, match="https"):
        require_safe_url(f"http://{host}:8080", what="API URL")


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
    fifo = tmp_path / "key.pem"
    os.mkfifo(fifo)
    result: list[object] = []
    worker = threading.Thread(
        target=lambda: result.append(
            cli("verify", "--username", "a@b.co", "--consumer-key", "3MVG9" + "x" * 40, "--private-key", str(fifo))
        ),
        daemon=True,
    )
    worker.start()
    worker.join(5)
    assert result, "reading a FIFO blocked"
    assert result[0].code == 2 and "not a regular file" in result[0].err  # type: ignore[attr-defined]


def test_a_huge_certificate_file_is_refused_before_it_is_read(tmp_path: Path, key_bundle) -> None:  # type: ignore[no-untyped-def]
    key = tmp_path / "k.pem"
    key.write_bytes(key_bundle.private_key_pem)
    big = tmp_path / "big.crt"
    with open(big, "wb") as handle:
        handle.truncate(2 * 1024**3)  # 2 GB, sparse: costs no disk
    run = cli("import-cert", "--cert", str(big), "--private-key", str(key))
    assert run.code == 2 and "too large" in run.err


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

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    for folder in (tmp_path / "a", tmp_path / "a" / "b", out, home, home / "config", home / "logs"):
        assert mode(folder) == 0o700, folder
    assert mode(out / "salesforce.pem") == 0o600 and mode(out / "salesforce.crt") == 0o644
    assert mode(home / "config" / "settings.json") == 0o600
    assert mode(home / "logs" / "wizard.log") == 0o600


# --- item 10: no quadratic regexes on hostile text ----------------------------------------------------------


@pytest.fixture
def deadline() -> object:
    """Fails the test if it runs past 5 s (quadratic scans took 10-126 s on these inputs)."""
    import signal

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError("took longer than 5 s: quadratic again?")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(5)
    yield None
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _response(body: str):  # type: ignore[no-untyped-def]
    import requests

    response = requests.models.Response()
    response.status_code = 500
    response._content = body.encode()
    return response


def test_a_300_kb_hostile_html_error_body_is_described_quickly(deadline: object) -> None:
    from core.unstructured import describe_error_body

    assert describe_error_body(_response("<title>" * 43000 + ">"))
    assert describe_error_body(_response("<" * 300000 + ">"))
    assert describe_error_body(_response("<html><title>Bad gateway</title>")) == "Bad gateway"


def test_redacting_200_kb_of_eyj_is_quick_and_jwts_are_still_hidden(deadline: object) -> None:
    from core.logs import redact

    assert redact("eyJ" * 70000)
    assert redact("a eyJhbGciOi.eyJzdWIiOiJ4.c2lnbmF0dXJl b") == "a [REDACTED JWT] b"


def test_a_64_kb_damaged_pem_paste_is_parsed_quickly(deadline: object, key_bundle) -> None:  # type: ignore[no-untyped-def]
    from core.keys import parse_pem_blocks

    assert parse_pem_blocks("-----BEGIN RSA PRIVATE KEY-----" * 2100) == []
    damaged = "-----BEGIN RSA PRIVATE KEY-----\n" * 1000 + key_bundle.private_key_pem.decode()
    assert [b.label for b in parse_pem_blocks(damaged)] == ["RSA PRIVATE KEY"]
