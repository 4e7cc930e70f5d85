"""Smoke-test the frozen build: --version, keygen (0600 key), doctor --offline with the real keyring, GUI start,
and the release files beside it (SHA256SUMS, the SBOM).

    python3 scripts/dev.py smoke            (after python3 scripts/dev.py build)
    python3 scripts/dev.py windows smoke    the Windows build under Wine (--wine DIR): the same checks as far as
                                            Wine allows, each one it cannot make skipped with the reason, and
                                            the wizard's window under Xvfb through Wine's X11 driver

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


class Target:
    """How the frozen programs are started: directly, or through Wine (Windows paths, stdin and stdout as
    Python under Wine needs them: /dev/null and a pipe, never a closed handle or a file)."""

    def __init__(self, folder: Path, *, wine: bool) -> None:
        self.folder = folder
        self.wine = wine
        self.windows = wine or os.name == "nt"

    def exe(self, name: str) -> Path:
        return self.folder / (f"{name}.exe" if self.windows else name)

    def path(self, path: Path) -> str:
        return "Z:" + str(path.resolve()).replace("/", "\\") if self.wine else str(path)

    def command(self, program: Path, *args: str) -> list[str]:
        return ["wine", self.path(program), *args] if self.wine else [str(program), *args]

    def run(self, program: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(program, *args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            env=env,
            timeout=120,
        )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    target = Target(Path(argv[1]), wine=True) if argv[:1] == ["--wine"] else Target(frozen_dir(), wine=False)
    version = __version__
    home = Path(tempfile.mkdtemp(prefix="sfcw-smoke-"))
    env = dict(os.environ, SFCW_HOME=target.path(home), QT_QPA_PLATFORM="offscreen")
    failures = 0
    passes = 0
    skips = 0

    def check(name: str, ok: bool, detail: str = "") -> None:
        nonlocal failures, passes
        failures += not ok
        passes += ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}{'' if ok else ': ' + detail[-1500:]}", flush=True)

    def skip(name: str, reason: str) -> None:
        nonlocal skips
        skips += 1
        print(f"skip {name}: {reason}", flush=True)

    bundled = next(
        (p for p in (target.folder / "_internal", target.folder.parent / "Resources") if p.exists()), target.folder
    )
    for resource in ("icon.png", "THIRD_PARTY_LICENSES.txt"):
        check(f"bundled resource {resource}", (bundled / "resources" / resource).exists(), str(bundled))
    cli = target.exe("sfcw")
    gui = target.exe(APP_ID)
    check("frozen executables exist", cli.exists() and gui.exists(), f"{cli} / {gui}")
    if failures:
        return 1
    if target.wine:
        standins = [p.name for p in target.folder.rglob("*.dll") if p.stem.lower() in ("bcryptprimitives", "icuuc")]
        check("no Wine stand-in DLL is shipped", not standins, str(standins))
    run = target.run(cli, "--version", env=env)
    check("--version", run.returncode == 0 and version in run.stdout, run.stdout)
    run = target.run(gui, "--version", env=env)
    check("GUI executable serves the CLI", run.returncode == 0 and version in run.stdout, run.stdout)
    out = home / "keys"
    run = target.run(cli, "keygen", "--out", target.path(out), env=env)
    key = out / "salesforce.pem"
    ok = run.returncode == 0 and key.exists() and (target.windows or stat.S_IMODE(key.stat().st_mode) == 0o600)
    check("keygen writes the key" + ("" if target.windows else " owner-only"), ok, run.stdout)
    if target.wine:
        skip(
            "the key's owner-only ACL",
            "Wine keeps the ACL's entries but not its protected flag, and has one user; checked on the workflow's "
            "Windows runner (scripts/check_windows_acl.py)",
        )
    if ok:
        verify = subprocess.run(["openssl", "rsa", "-check", "-noout", "-in", str(key)], capture_output=True, text=True)
        check("openssl accepts the key", "RSA key ok" in verify.stdout, verify.stdout + verify.stderr)
    run = target.run(cli, "doctor", "--offline", env=env)
    keyring_line = next((line for line in run.stdout.splitlines() if " Keyring " in f" {line} "), "")
    platform = "win32" if target.windows else sys.platform
    expected = {"linux": "SecretService", "darwin": "Keyring", "win32": "WinVault"}.get(platform, "")
    check(
        f"doctor --offline names a real keyring ({keyring_line.split('Keyring', 1)[-1].strip()})",
        keyring_line.startswith("ok") and expected in keyring_line and "round-trip OK" in keyring_line,
        run.stdout,
    )
    # The desktop notification library and its backend are in the build: shown, or a sentence saying why not
    # (no notification service in this session; Wine has no toast notifications), never "not in this build".
    run = target.run(cli, "watch", "--test-notification", "--desktop", env=env)
    check(
        "watch --test-notification --desktop: desktop-notifier is bundled",
        run.returncode in (0, 1)
        and not any(word in run.stdout for word in ("not available in this build", "Traceback", "unexpected")),
        run.stdout,
    )

    log = home / "logs" / "wizard.log"
    process = subprocess.Popen(
        target.command(gui),
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    shown = False
    while time.monotonic() < deadline and process.poll() is None:
        if log.exists() and "Wizard shown" in log.read_text(errors="replace"):
            shown = True
            break
        time.sleep(0.1)
    time.sleep(0.5)
    alive = process.poll() is None
    output = stop(process)
    check("GUI opens the wizard and keeps running", shown and alive, output or "no output")
    if target.wine:
        check(*window_under_wine(target, env))
        skip(
            "the release files (SHA256SUMS, SBOM)",
            "the MSI is built, signed and named in SHA256SUMS and the SBOM by 'windows installer' (msi_roundtrip.py)",
        )
        print(f"smoke: {passes} passed, {failures} failed, {skips} skipped")
        return 1 if failures else 0

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


def stop(process: subprocess.Popen[str]) -> str:
    """End a program started for a look (terminate, then kill); what it printed."""
    process.terminate()
    try:
        return process.communicate(timeout=10)[0] or ""
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()[0] or ""


def window_under_wine(target: Target, env: dict[str, str]) -> tuple[str, bool, str]:
    """The wizard's .exe showing its window on a real X server through Wine's X11 driver (found with xwininfo),
    and a screenshot of it in build/wine/."""
    from tests.xserver import xvfb

    title = "Salesforce Connector Wizard"
    shot = ROOT / "build" / "wine" / "wizard-under-wine.png"
    windowed = {k: v for k, v in env.items() if k != "QT_QPA_PLATFORM"}  # Qt's own Windows platform
    with xvfb(1280, 800) as display:
        windowed["DISPLAY"] = display
        process = subprocess.Popen(
            target.command(target.exe(APP_ID)),
            env=windowed,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        found = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None and not found:
            tree = subprocess.run(
                ["xwininfo", "-root", "-tree", "-display", display], capture_output=True, text=True
            ).stdout
            found = next((line.strip() for line in tree.splitlines() if f'"{title}"' in line), "")
            time.sleep(0.5)
        if found:
            time.sleep(2)  # let it paint
            grab = (
                "import sys; from PySide6.QtGui import QGuiApplication; app = QGuiApplication([]); "
                "sys.exit(0 if app.primaryScreen().grabWindow(0).save(sys.argv[1]) else 1)"
            )
            shot.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [sys.executable, "-c", grab, str(shot)],
                env=dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb"),
                timeout=60,
                check=False,
            )
        output = stop(process)
        subprocess.run(["wineserver", "-k"], env=env, check=False)
    detail = f"window {found}; screenshot {shot.relative_to(ROOT)}" if found else output or "no window, no output"
    return f"the wizard's window shows under Xvfb through Wine ({detail})", bool(found) and shot.exists(), detail


if __name__ == "__main__":
    sys.exit(main())
