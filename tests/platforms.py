"""What differs between the platforms the core suite runs on: Linux, Windows, and Windows under Wine.

``python3 scripts/dev.py windows test`` runs the core suite under a Windows CPython in Wine. A test
that checks a POSIX mode checks the Windows ACL there instead (where the code sets one); a test
skips only for what Windows or Wine cannot represent, and says which.
"""

from __future__ import annotations

import shutil
import stat
import sys
from pathlib import Path

import pytest

WINDOWS = sys.platform == "win32"


def _under_wine() -> bool:
    if sys.platform != "win32":  # spelled out (not WINDOWS): type checkers read it per platform
        return False
    import ctypes

    return hasattr(ctypes.WinDLL("ntdll"), "wine_get_version")


UNDER_WINE = _under_wine()

#: POSIX ideas with no Windows counterpart (FIFOs, umask, ~user, file modes, shell scripts as programs).
posix_only = pytest.mark.skipif(WINDOWS, reason="a POSIX feature Windows does not have")

#: Tests that cross-check with the openssl program; Wine's Windows side has none (the Linux suite and the
#: frozen smoke test, which reads the Windows build's key back on the Linux side, make these checks).
needs_openssl = pytest.mark.skipif(
    UNDER_WINE and shutil.which("openssl") is None, reason="no openssl program on Wine's Windows side"
)

#: Tests that run curl and bash as a script would; Wine's Windows side has neither.
needs_curl_and_bash = pytest.mark.skipif(
    UNDER_WINE and (shutil.which("curl") is None or shutil.which("bash") is None),
    reason="no curl or bash on Wine's Windows side",
)


def assert_owner_only(path: Path, *, folder: bool = False) -> None:
    """``path`` can be used by its owner only: mode 0600 (0700 for a folder) on POSIX; on Windows the ACL
    the app gives at creation: owned by the current user, full access for that user and SYSTEM, no one else.

    Wine keeps the entries and the owner but not the DACL's protected flag nor the entries' order, so
    under Wine the flag is not asserted (the workflow's Windows runner checks it with icacls)."""
    if sys.platform == "win32":  # spelled out (not WINDOWS): type checkers read each branch for its platform
        _assert_owner_only_acl(path, folder=folder)
    else:
        expected = 0o700 if folder else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, f"{path}: {oct(stat.S_IMODE(path.stat().st_mode))}"


if sys.platform == "win32":

    def _assert_owner_only_acl(path: Path, *, folder: bool) -> None:
        from core.storage.winacl import SYSTEM, current_user_sid

        owner, protected, entries = _acl(path)
        user = current_user_sid()
        inherit = "OICI" if folder else ""
        assert owner == user, f"{path} is owned by {owner}, not {user}"
        assert sorted(entries) == sorted([f"A;{inherit};FA;;;{user}", f"A;{inherit};FA;;;{SYSTEM}"]), entries
        assert protected or UNDER_WINE, f"{path}: its ACL inherits from the folder"

    def _acl(path: Path) -> tuple[str, bool, list[str]]:
        """(owner SID, DACL protected, ACE strings) of ``path``, read back from Windows."""
        import ctypes
        import re
        from ctypes import wintypes

        advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        owner_and_dacl = 0x1 | 0x4
        size = wintypes.DWORD()
        advapi32.GetFileSecurityW(str(path), owner_and_dacl, None, 0, ctypes.byref(size))
        buffer = ctypes.create_string_buffer(size.value)
        if not advapi32.GetFileSecurityW(str(path), owner_and_dacl, buffer, size, ctypes.byref(size)):
            raise ctypes.WinError(ctypes.get_last_error())
        text = wintypes.LPWSTR()
        if not advapi32.ConvertSecurityDescriptorToStringSecurityDescriptorW(
            buffer, 1, owner_and_dacl, ctypes.byref(text), None
        ):
            raise ctypes.WinError(ctypes.get_last_error())
        try:
            sddl = str(text.value)
        finally:
            kernel32.LocalFree(text)
        owner = re.search(r"O:([^:]+?)(?=D:|$)", sddl)
        dacl = sddl.split("D:", 1)[1] if "D:" in sddl else ""
        flags = dacl.split("(", 1)[0]
        return (owner.group(1) if owner else ""), "P" in flags, re.findall(r"\(([^)]*)\)", dacl)


def write_program(folder: Path, name: str, python_source: str) -> Path:
    """A command ``name`` in ``folder`` that runs ``python_source`` with this Python: a ``#!`` script on
    POSIX; on Windows ``name.cmd`` (what npm installs for ``sf``), found through PATHEXT as the app finds it."""
    import sys

    folder.mkdir(parents=True, exist_ok=True)
    if not WINDOWS:
        program = folder / name
        program.write_text(f"#!{sys.executable}\n{python_source}")
        program.chmod(program.stat().st_mode | stat.S_IXUSR)
        return program
    script = folder / f"{name}-program.py"
    script.write_text(python_source)
    program = folder / f"{name}.cmd"
    program.write_text(f'@"{sys.executable}" "{script}" %*\r\n')
    return program


#: TLS checked by Windows' own verifier (truststore) against a loopback CA: Wine's crypt32 neither matches a
#: certificate to an IP address (CERT_E_CN_NO_MATCH) nor builds a chain with a custom root store.
windows_verifier_on_loopback = pytest.mark.skipif(
    UNDER_WINE, reason="Wine's crypt32 cannot verify a certificate for 127.0.0.1 against a custom root"
)

#: Wine's Credential Manager (advapi32's Cred* functions) dies with an access violation when several threads
#: write at once; real Windows is checked by the workflow's Windows runner.
concurrent_credentials = pytest.mark.skipif(
    UNDER_WINE, reason="Wine's Credential Manager crashes when several threads write at once"
)

#: Windows's file-sharing rules (a handle that refuses others): POSIX has none, so there is nothing to ride out.
windows_only = pytest.mark.skipif(not WINDOWS, reason="Windows's file-sharing rules, which POSIX does not have")
