"""The Debian package, round trip: build it, install it with apt-get, use it from the installed paths, remove it.

Needs the frozen app in dist/ (python3 scripts/dev.py build; .ci/run builds it first) and is
built here from it with scripts/package_deb.py, as the release does. Installing needs root (CI
and the workflow's Linux job) or passwordless sudo.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from core import APP_ID, __version__
from scripts import package_deb
from tests.xserver import wait_for_window, xvfb

ROOT = Path(__file__).resolve().parents[2]
FROZEN = ROOT / "dist" / APP_ID

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("dpkg-deb") is None,
    reason="the .deb is built and installed on Debian and Ubuntu; the other systems' jobs build their own installers",
)


def as_root() -> list[str]:
    if sys.platform == "win32" or os.geteuid() == 0:  # (the .deb tests run on Debian and Ubuntu only)
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        return ["sudo", "-n"]
    pytest.skip("installing a package needs root or passwordless sudo (CI and the release job have it)")


@pytest.fixture(scope="module")
def deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (FROZEN / "sfcw").exists():
        subprocess.run([sys.executable, str(ROOT / "scripts" / "dev.py"), "build"], check=True, cwd=ROOT)
    return package_deb.build(FROZEN, tmp_path_factory.mktemp("deb"))


def field(deb: Path, name: str) -> str:
    return subprocess.run(
        ["dpkg-deb", "--field", str(deb), name], capture_output=True, text=True, check=True
    ).stdout.strip()


def contents(deb: Path) -> dict[str, str]:
    """Path -> the `ls -l` mode string, for every entry of the package."""
    listing = subprocess.run(["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True, check=True).stdout
    entries = {}
    for line in listing.splitlines():
        parts = line.split(maxsplit=5)
        entries[parts[5].split(" -> ")[0].removeprefix(".").rstrip("/") or "/"] = parts[0]
    return entries


def test_the_package_says_what_it_is_and_needs_only_system_libraries_it_does_not_bundle(deb: Path) -> None:
    assert deb.name == f"{APP_ID}_{__version__}_{package_deb.architecture()}.deb"
    assert field(deb, "Package") == APP_ID
    assert field(deb, "Version") == __version__  # the version's one place: core/__init__.py
    depends = [d.split()[0] for d in field(deb, "Depends").split(", ")]
    # What Qt's xcb platform loads from the system, and glibc with the build machine's version floor.
    for needed in ("libc6", "libxcb1", "libgl1", "libegl1"):
        assert needed in depends
    assert "(>= 2." in field(deb, "Depends").split("libc6", 1)[1].split(",")[0]
    # The bundled copies (Qt, libX11, the xcb helpers, OpenSSL, ICU) are not asked of the system.
    for bundled in ("libqt6core6", "libx11-6", "libxcb-cursor0", "libssl3", "libicu72", "libxkbcommon0"):
        assert bundled not in depends
    assert int(field(deb, "Installed-Size")) > 50_000  # KiB


def test_the_package_puts_the_app_under_opt_and_only_links_and_desktop_files_elsewhere(deb: Path) -> None:
    entries = contents(deb)
    outside = {p for p in entries if not p.startswith(f"/opt/{APP_ID}") and not entries[p].startswith("d")}
    assert outside == {
        f"/usr/bin/{APP_ID}",
        "/usr/bin/sfcw",
        f"/usr/share/applications/{APP_ID}.desktop",
        f"/usr/share/icons/hicolor/256x256/apps/{APP_ID}.png",
        f"/usr/share/doc/{APP_ID}/copyright",
    }
    assert entries["/usr/bin/sfcw"].startswith("l") and entries[f"/usr/bin/{APP_ID}"].startswith("l")
    assert entries[f"/opt/{APP_ID}/sfcw"] == "-rwxr-xr-x"
    assert entries[f"/usr/share/applications/{APP_ID}.desktop"] == "-rw-r--r--"
    assert not any(mode.startswith("d") and mode != "drwxr-xr-x" for mode in entries.values())
    assert not any(
        "w" in mode[5:] for mode in entries.values() if not mode.startswith("l")
    )  # nothing group/world-writable


def test_apt_installs_it_it_runs_from_the_installed_paths_and_removal_leaves_nothing(deb: Path, tmp_path: Path) -> None:
    root = as_root()
    if subprocess.run(["dpkg", "-s", APP_ID], capture_output=True).returncode == 0:
        pytest.fail(f"{APP_ID} is already installed on this machine; this test would replace and remove it.")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    installed = subprocess.run(
        [*root, "apt-get", "install", "-y", "-q", "--no-install-recommends", str(deb)],
        capture_output=True,
        text=True,
        env=env,
    )
    try:
        assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]
        home = dict(os.environ, SFCW_HOME=str(tmp_path / "home"))

        version = subprocess.run(["/usr/bin/sfcw", "--version"], capture_output=True, text=True, env=home, timeout=60)
        assert version.returncode == 0 and __version__ in version.stdout, version.stderr

        made = subprocess.run(
            ["/usr/bin/sfcw", "keygen", "--out", str(tmp_path / "keys"), "--name", "installed"],
            capture_output=True,
            text=True,
            env=home,
            timeout=120,
        )
        assert made.returncode == 0, made.stdout + made.stderr
        key = tmp_path / "keys" / "installed.pem"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        checked = subprocess.run(
            ["openssl", "rsa", "-in", str(key), "-check", "-noout"], capture_output=True, text=True
        )
        assert checked.returncode == 0 and "RSA key ok" in checked.stdout

        validated = subprocess.run(
            ["desktop-file-validate", f"/usr/share/applications/{APP_ID}.desktop"], capture_output=True, text=True
        )
        assert validated.returncode == 0 and validated.stdout == "", validated.stdout + validated.stderr
        assert Path(f"/usr/share/icons/hicolor/256x256/apps/{APP_ID}.png").exists()

        # The wizard, started as the desktop file starts it (by name, from the PATH), on a real X server.
        with xvfb(1280, 720) as display:
            wizard = subprocess.Popen(
                [APP_ID],
                env=dict(home, DISPLAY=display, QT_QPA_PLATFORM="xcb", PATH="/usr/bin:/bin"),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            try:
                shown = wait_for_window(display, "Salesforce Connector Wizard", timeout=60)
                running = wizard.poll() is None
            finally:
                wizard.terminate()
                output = wizard.communicate(timeout=30)[0].decode(errors="replace")
        assert shown and running, output[-2000:]
    finally:
        removed = subprocess.run(
            [*root, "apt-get", "purge", "-y", "-q", APP_ID], capture_output=True, text=True, env=env
        )
    assert removed.returncode == 0, removed.stderr[-2000:]
    assert subprocess.run(["dpkg", "-s", APP_ID], capture_output=True).returncode != 0
    shared = {
        "/",
        "/opt",
        "/usr",
        "/usr/bin",
        "/usr/share",
        "/usr/share/applications",
        "/usr/share/doc",
        "/usr/share/icons",
        "/usr/share/icons/hicolor",
        "/usr/share/icons/hicolor/256x256",
        "/usr/share/icons/hicolor/256x256/apps",
    }
    listed = contents(deb)
    left = [p for p in listed if p not in shared and os.path.lexists(p)]
    assert listed and left == []
    assert not Path(f"/opt/{APP_ID}").exists()
