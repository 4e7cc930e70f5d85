"""scripts/windows.py, the Windows build under Wine: what it hands to Windows programs (the whole build and its
smoke test run in CI through `python3 scripts/dev.py windows`)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import windows  # noqa: E402 - scripts/ is not a package


def test_linux_paths_become_wine_drive_paths() -> None:
    assert windows.windows_path(Path("/work/main/build.spec")) == "Z:\\work\\main\\build.spec"


def test_the_windows_side_installs_the_same_pins_as_linux(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(windows, "WINE_DIR", tmp_path)
    lines = [line for line in windows.windows_requirements().read_text().splitlines() if "==" in line]
    pins = dict(line.split("==", 1) for line in lines)
    dev = dict(
        line.split("==", 1)
        for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    for name in windows.WINDOWS_DEV:
        assert pins[name] == dev[name], name  # every tool the Windows side needs, at the Linux pin
    assert "PySide6-Essentials" in pins and "ruff" not in pins and "mypy" not in pins


def test_linux_only_settings_never_reach_windows_programs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("PIP_CERT", str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.setenv("PIP_FIND_LINKS", "/opt/wheels")
    monkeypatch.setenv("DISPLAY", ":0")
    env = windows.wine_env()
    assert "REQUESTS_CA_BUNDLE" not in env and "PIP_FIND_LINKS" not in env and "DISPLAY" not in env
    assert env["PIP_CERT"] == windows.windows_path(bundle)  # the same CA, where Windows pip can open it
    assert env["WINEDEBUG"] == "-all" and env["WINEPREFIX"] == str(windows.PREFIX)
    assert windows.wine_env(display=":7")["DISPLAY"] == ":7"


def test_the_icu_stand_in_exports_every_function_qt_imports_and_defines_each() -> None:
    source = (windows.STANDINS_SOURCE / "icuuc.c").read_text()
    exported = [line.strip() for line in (windows.STANDINS_SOURCE / "icuuc.def").read_text().splitlines()[2:]]
    assert len(exported) == 20  # Qt6Core 6.11's import table from icuuc.dll
    for name in exported:
        assert re.search(rf"\b{name}\(", source), name
    assert "ProcessPrng" in (windows.STANDINS_SOURCE / "bcryptprimitives.def").read_text()


def test_the_pinned_downloads_are_named_by_their_sha256() -> None:
    for name, version, digest in (windows.EMBED, windows.PIP):
        assert re.fullmatch(r"[0-9a-f]{64}", digest) and version, name
