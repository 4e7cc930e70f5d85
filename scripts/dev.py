#!/usr/bin/env python3
"""One-command set-up for people working from source (Windows, macOS, Linux).

    python3 scripts/dev.py run [ARGS...]     the wizard (no ARGS) or the CLI (e.g. ARGS = keygen --out keys)
    python3 scripts/dev.py test [PYTEST...]  lint, type check and the whole test suite, with a real keyring
    python3 scripts/dev.py bench             the benchmark figures
    python3 scripts/dev.py screenshots       render every wizard page to docs/screenshots/
    python3 scripts/dev.py demo              the wizard against loopback stand-ins for Salesforce and Unstructured
    python3 scripts/dev.py build             the packaged app (PyInstaller, build.spec) and the release files in
                                             dist/: archive, .deb (Linux), CycloneDX SBOM, SHA256SUMS
    python3 scripts/dev.py smoke             smoke-test the packaged app (after build)
    python3 scripts/dev.py windows [...]     the Windows app built and run under Wine (Debian): build, frozen
                                             smoke test with the wizard's window, core tests under Windows
                                             Python; 'windows run -- PROGRAM ARGS' runs a command there

Creates .venv beside the project and installs the pinned requirements the first time (and
again whenever a requirements file changes). On Linux, `test` runs inside a private D-Bus
session with a throwaway, unlocked GNOME Keyring, so the real Secret Service backend is used;
as root on Debian/Ubuntu it installs the system packages it needs with apt-get.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
STAMP = VENV / ".requirements.sha256"
LINUX_TEST_PACKAGES = [
    "gnome-keyring",
    "jq",
    "curl",
    "dbus",
    "dbus-x11",
    "openssl",
    # The watch's schedule: systemd checks its timer (systemd-analyze), cron takes it where no user systemd runs
    "systemd",
    "cron",
    # The .deb round trip (tests/packaging) and the looks under a real X server
    "dpkg-dev",
    "desktop-file-utils",
    "xvfb",
    "x11-utils",
    # Qt's offscreen and xcb platforms
    "libegl1",
    "libgl1",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libfontconfig1",
    "libdbus-1-3",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-keysyms1",
    "libxcb-shape0",
    "libxcb-xinerama0",
    "libxcb-randr0",
    "libxcb-render-util0",
    "libxcb-image0",
]


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(requirements: str) -> Path:
    """Create .venv and install ``requirements`` unless already installed at this content."""
    req = ROOT / requirements
    digest = hashlib.sha256()
    for name in ("requirements.txt", requirements):
        digest.update((ROOT / name).read_bytes())
    wanted = f"{requirements}:{digest.hexdigest()}"
    python = venv_python()
    if not python.exists():
        print(f"Creating {VENV} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    installed = STAMP.read_text().split() if STAMP.exists() else []
    if wanted not in installed:
        print(f"Installing {requirements} into {VENV} (first run takes a few minutes) ...", file=sys.stderr)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(req)], check=True
        )
        keep = [line for line in installed if not line.startswith(f"{requirements}:")]
        STAMP.write_text("\n".join([*keep, wanted]) + "\n")
    return python


def missing_libraries() -> list[str]:
    """The Debian packages of Qt's system libraries (LINUX_TEST_PACKAGES' lib*) that are not installed.

    Their absence does not show in any tool: the build fails deep inside dpkg-shlibdeps, and the
    wizard does not start under xcb."""
    if not shutil.which("dpkg-query"):
        return []
    wanted = [p for p in LINUX_TEST_PACKAGES if p.startswith("lib")]
    found = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\n", *wanted], capture_output=True, text=True
    )
    installed = {line.split()[0] for line in found.stdout.splitlines() if line.endswith(" installed")}
    return [p for p in wanted if p not in installed]


def ensure_linux_packages() -> None:
    missing = [
        tool
        for tool in (
            "dbus-run-session",
            "gnome-keyring-daemon",
            "openssl",
            "jq",
            "curl",
            "dpkg-shlibdeps",
            "desktop-file-validate",
            "Xvfb",
            "xwininfo",
            "systemd-analyze",
            "crontab",
        )
        if not shutil.which(tool)
    ]
    if not sys.platform.startswith("linux"):
        return
    missing += missing_libraries()
    if not missing:
        return
    command = ["apt-get", "install", "-y", "-q", *LINUX_TEST_PACKAGES]
    if shutil.which("apt-get") and os.geteuid() == 0:
        print(f"Installing {', '.join(missing)} and Qt's libraries with apt-get ...", file=sys.stderr)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
        return
    sys.exit(
        f"This needs {', '.join(missing)}. On Debian/Ubuntu run:\n  sudo {' '.join(command)}\n"
        "then run this command again."
    )


def with_real_keyring(command: list[str]) -> list[str]:
    """On Linux, wrap ``command`` in a private D-Bus session with an unlocked throwaway GNOME Keyring.

    The daemon is started by D-Bus activation through a service file of our own, which feeds it
    the throwaway password: if it ever exits (it does, now and then, under the concurrent-writer
    tests), the next call starts it again already unlocked. Debian's own service file starts it
    locked, and a locked daemon asks for an unlock prompt that nobody can answer here.
    """
    if not sys.platform.startswith("linux"):
        return command
    home = Path(tempfile.mkdtemp(prefix="sfcw-keyring-"))
    services = home / ".local" / "share" / "dbus-1" / "services"
    services.mkdir(parents=True)
    start = home / "start-keyring"
    start.write_text(
        "#!/bin/sh\n"
        f'export HOME="{home}" XDG_DATA_HOME="{home}/.local/share"\n'
        "printf throwaway | exec gnome-keyring-daemon --foreground --unlock --components=secrets\n"
    )
    start.chmod(0o700)
    (services / "org.freedesktop.secrets.service").write_text(
        f"[D-BUS Service]\nName=org.freedesktop.secrets\nExec={start}\n"
    )
    script = (
        # The first call starts the daemon; it makes its login collection once unlocked: wait for it,
        # or the first keyring call may race it.
        "for i in $(seq 100); do dbus-send --session --print-reply --dest=org.freedesktop.secrets "
        "/org/freedesktop/secrets/collection/login org.freedesktop.DBus.Properties.Get "
        "string:org.freedesktop.Secret.Collection string:Locked 2>/dev/null | grep -q 'boolean false' && break; "
        "sleep 0.1; done; "
        'exec "$@"'
    )
    # HOME and XDG_DATA_HOME before dbus-run-session: its bus reads the service folders from them.
    environment = [f"HOME={home}", f"XDG_DATA_HOME={home}/.local/share"]
    return ["env", *environment, "dbus-run-session", "--", "sh", "-c", script, "sh", *command]


def run(args: list[str]) -> int:
    python = ensure_venv("requirements.txt")
    return subprocess.call([str(python), str(ROOT / "main.py"), *args])


#: What mypy --strict checks, on Linux, Windows and macOS alike.
TYPED = ("core", "cli", "gui", "scripts", "main.py", "tests", "benchmarks")


def test(args: list[str]) -> int:
    ensure_linux_packages()
    python = ensure_venv("requirements-dev.txt")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHON_KEYRING_BACKEND", None)
    bin_dir = python.parent  # the venv's scripts (bin/ or Scripts/)
    steps = [
        ("ruff", [str(python), "-m", "ruff", "check", "."]),
        ("ruff format", [str(python), "-m", "ruff", "format", "--check", "."]),
        # Strict on the tests and benchmarks too: a test that passes a str where a SafeUrl or a RunKind belongs
        # tests nothing the app can be given.
        ("mypy", [str(python), "-m", "mypy", *TYPED]),
        # The code that only runs on Windows (core/storage/winacl.py's ctypes calls) or macOS, against those
        # platforms' stubs; each with its own cache, or the runs would invalidate each other's.
        *(
            (
                f"mypy ({name})",
                [
                    str(python),
                    "-m",
                    "mypy",
                    "--platform",
                    platform,
                    "--cache-dir",
                    f".mypy_cache/{platform}",
                    *TYPED,
                ],
            )
            for name, platform in (("Windows", "win32"), ("macOS", "darwin"))
        ),
        # The CI and release workflows: schema, then zizmor's security audit (offline; any finding fails).
        (
            "workflows (schema)",
            [
                str(bin_dir / "check-jsonschema"),
                "--builtin-schema",
                "vendor.github-workflows",
                *map(str, sorted((ROOT / ".github" / "workflows").glob("*.yml"))),
            ],
        ),
        (
            "workflows (zizmor)",
            [
                str(bin_dir / "zizmor"),
                "--offline",
                "--persona=pedantic",
                "--quiet",
                str(ROOT / ".github" / "workflows"),
            ],
        ),
        ("pytest", with_real_keyring([str(python), "-m", "pytest", *args])),
    ]
    if sys.platform.startswith("linux") and not args:
        # The GUI tests again as a user sees the app: a real X server (Xvfb, Qt's xcb platform), at
        # 1280x720 and at 200 % on 1920x1080 (960x540 logical pixels). The layout probe and the
        # screenshots start their own display and platform, so they run once, above.
        desktop = [str(python), "-m", "pytest", "-q", "tests/gui", "-k", "not every_page and not screenshot"]
        steps += [
            (f"pytest (xcb, {name})", [str(python), "-m", "tests.xserver", size, scale, *desktop])
            for name, size, scale in (("1280x720", "1280x720", "1"), ("200 % on 1920x1080", "1920x1080", "2"))
        ]
        # A crash at start is the worst a desktop app can do: 30 real starts, every page built, the real keyring.
        starts = [str(python), "-m", "tests.xserver", "1280x720", "1", str(python), "-m", "tests.start_loop", "30"]
        steps.append(("start-up loop (30 starts, xcb, real keyring)", with_real_keyring(starts)))
    for name, command in steps:
        print(f"== {name}", file=sys.stderr, flush=True)
        code = subprocess.call(command, cwd=ROOT, env=env)
        if code != 0:
            print(f"== {name} failed (exit {code})", file=sys.stderr)
            return code
    return 0


def bench(args: list[str]) -> int:
    python = ensure_venv("requirements-dev.txt")
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    return subprocess.call([str(python), str(ROOT / "benchmarks" / "bench.py"), *args], cwd=ROOT, env=env)


def screenshots(args: list[str]) -> int:
    python = ensure_venv("requirements-dev.txt")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.call([str(python), str(ROOT / "scripts" / "screenshots.py"), *args], cwd=ROOT, env=env)


def demo(args: list[str]) -> int:
    python = ensure_venv("requirements-dev.txt")  # the stand-in services come with the test tools
    return subprocess.call([str(python), str(ROOT / "scripts" / "demo.py"), *args], cwd=ROOT)


def build(args: list[str]) -> int:
    ensure_linux_packages()  # dpkg-shlibdeps, and the Qt libraries the bundle links to
    python = ensure_venv("requirements-dev.txt")
    code = subprocess.call(
        [
            str(python),
            "-m",
            "PyInstaller",
            str(ROOT / "build.spec"),
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            str(ROOT / "dist"),
            "--workpath",
            str(ROOT / "build" / "pyinstaller"),
        ],
        cwd=ROOT,
    )
    if code != 0:
        return code
    # The release files: the archive, the .deb on Linux, the SBOM, then SHA256SUMS over all of them.
    steps = ["archive.py", *(["package_deb.py"] if sys.platform.startswith("linux") else []), "sbom.py", "checksums.py"]
    for script in steps:
        code = subprocess.call([str(python), str(ROOT / "scripts" / script)], cwd=ROOT)
        if code != 0:
            return code
    return 0


def smoke(args: list[str]) -> int:
    python = ensure_venv("requirements-dev.txt")
    return subprocess.call(with_real_keyring([str(python), str(ROOT / "scripts" / "smoke_frozen.py")]), cwd=ROOT)


def windows(args: list[str]) -> int:
    """The Windows build under Wine (scripts/windows.py): on Linux only, needs no .venv of its own."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import windows as wine_build

    if not args or args[0] in ("smoke",):
        ensure_venv("requirements-dev.txt")  # the smoke test's screenshot uses the Linux side's Qt
        if not args:
            ensure_linux_packages()
    code: int = wine_build.main(args, linux_python=str(venv_python()))
    return code


def main(argv: list[str]) -> int:
    commands = {
        "windows": windows,
        "run": run,
        "test": test,
        "bench": bench,
        "screenshots": screenshots,
        "build": build,
        "demo": demo,
        "smoke": smoke,
    }
    if not argv or argv[0] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
