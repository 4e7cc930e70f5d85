"""Another program's handle on the settings file (an antivirus, a backup or sync tool, another run
replacing it): Windows refuses to open the file meanwhile, and that refusal is never damage.

The handles here are real: CreateFileW with no sharing, as an antivirus opens what it scans.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from core.errors import AppError
from core.storage import fileshare
from core.storage.fileshare import sharing_retry
from core.storage.settings import Settings, config_dir
from tests.platforms import windows_only

pytestmark = windows_only


class Handle:
    """A real handle on a file, opened for reading with no sharing at all, as an antivirus opens what it scans."""

    def __init__(self, path: Path) -> None:
        self.held = False
        if sys.platform != "win32":  # spelled out: the type checkers read the ctypes calls for Windows only
            raise AssertionError("Windows only")
        import ctypes
        from ctypes import wintypes

        self._kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        create = self._kernel32.CreateFileW
        create.restype = wintypes.HANDLE
        create.argtypes = [
            wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD, wintypes.LPVOID, wintypes.DWORD, wintypes.DWORD,
            wintypes.HANDLE,
        ]  # fmt: skip
        generic_read, no_sharing, open_existing = 0x80000000, 0, 3
        self._handle = create(str(path), generic_read, no_sharing, None, open_existing, 0, None)
        if self._handle in (None, wintypes.HANDLE(-1).value):
            raise ctypes.WinError(ctypes.get_last_error())
        self.held = True

    def release(self) -> None:
        if sys.platform == "win32" and self.held:
            self._kernel32.CloseHandle(self._handle)
            self.held = False


@contextmanager
def held_without_sharing(path: Path) -> Iterator[Handle]:
    handle = Handle(path)
    try:
        yield handle
    finally:
        handle.release()


def _write_settings(username: str) -> Path:
    config_dir().mkdir(parents=True, exist_ok=True)
    path = config_dir() / "settings.json"
    path.write_text(json.dumps({"schema": 2, "username": username}))
    return path


def test_a_read_refused_by_another_programs_handle_is_tried_again_until_it_is_let_go() -> None:
    """Python's open() reports the refusal through the C runtime: a PermissionError without winerror."""
    path = _write_settings("a@b.co")
    refusals: list[PermissionError] = []
    with held_without_sharing(path) as handle:

        def read_once() -> bytes:
            try:
                return path.read_bytes()
            except PermissionError as exc:
                refusals.append(exc)
                handle.release()  # the other program lets go after the first refusal
                raise

        assert json.loads(sharing_retry(read_once))["username"] == "a@b.co"
    assert len(refusals) == 1 and not handle.held


def test_settings_held_by_another_program_are_never_moved_aside_nor_written_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = _write_settings("a@b.co")
    original = path.read_bytes()
    monkeypatch.setattr(fileshare, "SHARING_RETRY_SECONDS", 0.2)  # held for good here: no need to wait 5 s
    with held_without_sharing(path):
        settings = Settings.load()
        assert "cannot be read (Permission denied)" in settings.notice and "will not save over" in settings.notice
        assert "another program holds it open" in settings.notice
        settings.username = "someone@else.co"
        with pytest.raises(AppError, match="not saved over it"):
            settings.save()
    assert not list(path.parent.glob("settings.json.damaged-*")) and path.read_bytes() == original
    again = Settings.load()  # let go: read as it was, and saving works again
    assert again.username == "a@b.co" and again.notice == ""
    again.username = "c@d.co"
    again.save()
    assert Settings.load().username == "c@d.co"
