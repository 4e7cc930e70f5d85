"""Smoke-test the frozen build: --version, keygen (0600 key), doctor --offline with the real keyring, GUI start,
and the release files beside it (SHA256SUMS, the SBOM).

    python3 scripts/dev.py smoke      (after python3 scripts/dev.py build)

Prints one line per check and exits non-zero if any fails.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import APP_ID, __version__  # noqa: E402 - after the path set-up
from scripts.checksums import sha256  # noqa: E402
from scripts.sbom import shipped_pins  # noqa: E402


def frozen_dir() -> Path:
    if sys.platform == "darwin":
        return ROOT / "dist" / "Salesforce Connector Wizard.app" / "Contents" / "MacOS"
    return ROOT / "dist" / APP_ID


def exe(name: str) -> Path:
    return frozen_dir() / (f"{name}.exe" if os.name == "nt" else name)


def main() -> int:
    version = __version__
    home = Path(tempfile.mkdtemp(prefix="sfcw-smoke-"))
    env = dict(os.environ, SFCW_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    failures = 0
    passes = 0

    def check(name: str, ok: bool, detail: str = "") -> None:
        nonlocal failures, passes
        failures += not ok
        passes += ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}{'' if ok else ': ' + detail[-1500:]}", flush=True)

    bundled = next(
        (p for p in (frozen_dir() / "_internal", frozen_dir().parent / "Resources") if p.exists()), frozen_dir()
    )
    for resource in ("icon.png", "THIRD_PARTY_LICENSES.txt"):
        check(f"bundled resource {resource}", (bundled / "resources" / resource).exists(), str(bundled))
    cli = exe("sfcw")
    gui = exe(APP_ID)
    check("frozen executables exist", cli.exists() and gui.exists(), f"{cli} / {gui}")
    if failures:
        return 1
    run = subprocess.run([str(cli), "--version"], capture_output=True, text=True, env=env, timeout=60)
    check("--version", run.returncode == 0 and version in run.stdout, run.stdout + run.stderr)
    run = subprocess.run([str(gui), "--version"], capture_output=True, text=True, env=env, timeout=60)
    check("GUI executable serves the CLI", run.returncode == 0 and version in run.stdout, run.stdout + run.stderr)
    out = home / "keys"
    run = subprocess.run([str(cli), "keygen", "--out", str(out)], capture_output=True, text=True, env=env, timeout=60)
    key = out / "salesforce.pem"
    ok = run.returncode == 0 and key.exists() and (os.name == "nt" or stat.S_IMODE(key.stat().st_mode) == 0o600)
    check("keygen writes an owner-only key", ok, run.stdout + run.stderr)
    if ok:
        verify = subprocess.run(["openssl", "rsa", "-check", "-noout", "-in", str(key)], capture_output=True, text=True)
        check("openssl accepts the key", "RSA key ok" in verify.stdout, verify.stdout + verify.stderr)
    run = subprocess.run([str(cli), "doctor", "--offline"], capture_output=True, text=True, env=env, timeout=60)
    keyring_line = next((line for line in run.stdout.splitlines() if " Keyring " in f" {line} "), "")
    expected = {"linux": "SecretService", "darwin": "Keyring", "win32": "WinVault"}.get(sys.platform, "")
    check(
        f"doctor --offline names a real keyring ({keyring_line.split('Keyring', 1)[-1].strip()})",
        keyring_line.startswith("ok") and expected in keyring_line and "round-trip OK" in keyring_line,
        run.stdout + run.stderr,
    )

    log = home / "logs" / "wizard.log"
    process = subprocess.Popen([str(gui)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    shown = False
    while time.monotonic() < deadline and process.poll() is None:
        if log.exists() and "Wizard shown" in log.read_text(errors="replace"):
            shown = True
            break
        time.sleep(0.1)
    time.sleep(0.5)
    alive = process.poll() is None
    process.terminate()
    try:
        output = process.communicate(timeout=10)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        output = process.communicate()[0]
    check("GUI opens the wizard and keeps running", shown and alive, output or "no output")

    # The files IT asks for beside the installers (python3 scripts/dev.py build writes them).
    dist = ROOT / "dist"
    sums = dist / "SHA256SUMS"
    listed = [line.split(" *", 1) for line in sums.read_text().splitlines()] if sums.exists() else []
    wrong = [name for digest, name in listed if not (dist / name).exists() or sha256(dist / name) != digest]
    check(f"SHA256SUMS matches the {len(listed)} release files", bool(listed) and not wrong, f"{sums}: {wrong}")
    sbom = next(dist.glob("*.cdx.json"), None)
    names = {c["name"].lower().replace("_", "-") for c in json.loads(sbom.read_text())["components"]} if sbom else set()
    pinned = {name.lower().replace("_", "-") for name in shipped_pins()}
    check("the SBOM lists every shipped requirement", bool(names) and pinned <= names, f"missing: {pinned - names}")
    print(f"smoke: {passes} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
