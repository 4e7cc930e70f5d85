"""dev.py checks the build's and the tests' system libraries, not only its tools."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import dev  # noqa: E402 - the script, as the README runs it


def test_a_missing_qt_library_package_is_found_before_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dev, "LINUX_TEST_PACKAGES", [*dev.LINUX_TEST_PACKAGES, "libsfcw-not-a-package0"])
    assert dev.missing_libraries() == ["libsfcw-not-a-package0"]  # everything else is installed here


def test_without_root_the_one_apt_get_line_is_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dev, "LINUX_TEST_PACKAGES", [*dev.LINUX_TEST_PACKAGES, "libsfcw-not-a-package0"])
    monkeypatch.setattr(dev.os, "geteuid", lambda: 1000)  # not root: nothing is installed, the line is printed
    with pytest.raises(SystemExit) as info:
        dev.ensure_linux_packages()
    message = str(info.value)
    assert message.startswith("This needs libsfcw-not-a-package0.")
    assert "sudo apt-get install -y -q" in message and "libxcb-keysyms1 " in message
