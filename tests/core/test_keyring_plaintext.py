"""A GNOME Keyring with an empty password, for real: its file survives the next login with every secret in it.

gnome-keyring keeps a keyring whose password is empty (auto-login desktops make one) as a plain-text
file and does not escape line breaks in it; a PEM stored with its line breaks makes the daemon
reject the whole file at its next start ("keyring was in an invalid or unrecognized format") and
start an empty keyring: our key and every other application's secrets are gone.

Each "login" below is a D-Bus session of its own with a gnome-keyring-daemon of its own, over one
keyrings folder: the second daemon reads the file the first one wrote, as after a restart.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.crypto.keypair import create_key_bundle

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("gnome-keyring-daemon") is None,
    reason="GNOME Keyring runs on Linux (the README's test command installs it)",
)

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "salesforce-connector-wizard"
NEIGHBOUR = ("another-application", "its-user", "a neighbour's secret")

#: One login: a fresh bus, the daemon on it (unlocked: the keyring's password is empty), our Python, the daemon stopped.
_SESSION = textwrap.dedent(
    """
    gnome-keyring-daemon --foreground --components=secrets </dev/null >"$LOG" 2>&1 &
    daemon=$!
    for i in $(seq 100); do
      dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true' && break
      sleep 0.1
    done
    "$PYTHON" -c "$CODE"; status=$?
    kill $daemon; wait $daemon
    exit $status
    """
)

_PRELUDE = textwrap.dedent(
    f"""
    import json, sys
    import keyring.backends.SecretService as ss
    from core.storage.secret_store import SecretStore
    backend = ss.Keyring()
    store = SecretStore(backend, service={SERVICE!r})
    """
)


def _login(home: Path, code: str, name: str, *, damaged_before: bool = False) -> str:
    """Run ``code`` (after _PRELUDE) in a login of its own over ``home``'s keyrings; its standard output."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DBUS_", "GNOME_KEYRING", "XDG_"))}
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_RUNTIME_DIR=str(home / "run"),
        PYTHON=sys.executable,
        PYTHONPATH=str(ROOT),
        CODE=_PRELUDE + textwrap.dedent(code),
        LOG=str(home / f"daemon-{name}.log"),
    )
    done = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", _SESSION],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    daemon_log = (home / f"daemon-{name}.log").read_text(errors="replace")
    assert done.returncode == 0, f"{done.stderr}\n--- daemon:\n{daemon_log}"
    assert damaged_before or "invalid or unrecognized format" not in daemon_log, daemon_log
    return done.stdout


@pytest.fixture
def empty_password_home(tmp_path: Path) -> Path:
    """A home whose login keyring has an empty password, as gnome-keyring writes one: a plain-text file."""
    keyrings = tmp_path / "data" / "keyrings"
    keyrings.mkdir(parents=True)
    (tmp_path / "run").mkdir(mode=0o700)
    (keyrings / "login.keyring").write_text(
        "[keyring]\ndisplay-name=Login\nctime=1700000000\nmtime=1700000000\nlock-on-idle=false\nlock-after=false\n"
    )
    (keyrings / "default").write_text("login")
    return tmp_path


def test_every_secret_survives_the_next_login_of_an_empty_password_keyring(empty_password_home: Path) -> None:
    pem = create_key_bundle(bits=4096).private_key_pem.decode()
    secrets = {"private-key:prod": pem, "unstructured-api-key": "api-key-0123456789"}
    _login(
        empty_password_home,
        f"""
        for name, value in {secrets!r}.items():
            store.set(name, value)
        backend.set_password(*{NEIGHBOUR!r})
        """,
        "first",
    )
    stored = (empty_password_home / "data" / "keyrings" / "login.keyring").read_text()
    assert "PRIVATE KEY" not in stored and "[keyring]" in stored  # plain text indeed, and the PEM encoded
    out = _login(
        empty_password_home,
        f"""
        print(json.dumps({{name: store.get(name) for name in {list(secrets)!r}}}))
        print(json.dumps(backend.get_password(*{NEIGHBOUR[:2]!r})))
        """,
        "second",
    )
    ours, neighbour = out.splitlines()
    assert json.loads(ours) == secrets
    assert json.loads(neighbour) == NEIGHBOUR[2]


def test_a_key_an_earlier_version_stored_with_line_breaks_is_rewritten_when_read(empty_password_home: Path) -> None:
    """An entry in the raw form of earlier versions (v2: the PEM's text in chunks) is read, then stored encoded."""
    pem = create_key_bundle(bits=2048).private_key_pem.decode()
    digest = hashlib.sha256(pem.encode()).hexdigest()[:16]
    chunks = [pem[i : i + 1000] for i in range(0, len(pem), 1000)]
    out = _login(
        empty_password_home,
        f"""
        chunks = {chunks!r}
        for i, chunk in enumerate(chunks):
            backend.set_password({SERVICE!r}, "private-key:old#0badc0de." + str(i), chunk)
        backend.set_password({SERVICE!r}, "private-key:old", "sfcw-chunks:v2:%d:{digest}:0badc0de" % len(chunks))
        backend.set_password(*{NEIGHBOUR!r})
        print(json.dumps(store.get("private-key:old")))
        """,
        "first",
        damaged_before=True,
    )
    assert json.loads(out) == pem
    stored = (empty_password_home / "data" / "keyrings" / "login.keyring").read_text()
    assert "PRIVATE KEY" not in stored and "0badc0de" not in stored  # the raw chunks were replaced and removed
    out = _login(
        empty_password_home,
        f"""
        print(json.dumps(store.get("private-key:old")))
        print(json.dumps(backend.get_password(*{NEIGHBOUR[:2]!r})))
        """,
        "second",
    )
    ours, neighbour = out.splitlines()
    assert json.loads(ours) == pem and json.loads(neighbour) == NEIGHBOUR[2]
