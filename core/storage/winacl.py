"""Owner-only files and folders on Windows: an explicit, protected DACL given at creation.

POSIX modes mean nothing to Windows. A key file created normally in a shared or redirected folder
inherits that folder's ACL and is readable by whoever can read the folder. Here a file or folder
is created with a security descriptor that

- names the current user as owner (an elevated admin's files would otherwise be owned by the
  Administrators group),
- is protected (``P``): nothing is inherited from the parent folder,
- grants full access to the current user and to SYSTEM (which backup and the OS itself need) and
  to nobody else; folders pass the same two entries on to what is created inside them.

It is given to ``CreateFileW`` / ``CreateDirectoryW`` themselves, so there is no moment in which
the file exists with a wider ACL. Elsewhere the POSIX modes (0600 / 0700) apply; see keyfiles.py.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

#: A string SID such as S-1-5-21-1004336348-1177238915-682003330-1001.
_SID = re.compile(r"S-1-\d+(-\d+)+")
#: SYSTEM, as SDDL names it.
SYSTEM = "SY"
#: FILE_ALL_ACCESS.
FULL_ACCESS = "FA"
#: Object inherit + container inherit: files and subfolders created inside get the same entries.
INHERIT_TO_CHILDREN = "OICI"


def owner_only_sddl(user_sid: str, *, folder: bool) -> str:
    """The security descriptor (SDDL) for a file or folder only ``user_sid`` and SYSTEM can use.

    Raises:
        ValueError: ``user_sid`` is not a string SID (it is put into the descriptor verbatim).
    """
    if not _SID.fullmatch(user_sid):
        raise ValueError("not a security identifier (S-1-...)")
    flags = INHERIT_TO_CHILDREN if folder else ""
    aces = "".join(f"(A;{flags};{FULL_ACCESS};;;{trustee})" for trustee in (user_sid, SYSTEM))
    return f"O:{user_sid}D:P{aces}"


if sys.platform == "win32":
    import ctypes
    import msvcrt
    import os
    from ctypes import wintypes

    _advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
    _kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)

    class _SecurityAttributes(ctypes.Structure):
        _fields_ = [
            ("nLength", wintypes.DWORD),
            ("lpSecurityDescriptor", ctypes.c_void_p),
            ("bInheritHandle", wintypes.BOOL),
        ]

    _TOKEN_QUERY = 0x0008
    _TOKEN_USER = 1
    _SDDL_REVISION_1 = 1
    _GENERIC_READ_WRITE = 0x80000000 | 0x40000000
    _CREATE_NEW = 1
    _FILE_ATTRIBUTE_NORMAL = 0x80
    _ERROR_FILE_EXISTS = 80
    _ERROR_ALREADY_EXISTS = 183
    _INVALID_HANDLE = ctypes.c_void_p(-1).value

    _kernel32.GetCurrentProcess.restype = wintypes.HANDLE
    _kernel32.CreateFileW.restype = wintypes.HANDLE
    _kernel32.CreateFileW.argtypes = [
        wintypes.LPCWSTR,
        wintypes.DWORD,
        wintypes.DWORD,
        ctypes.c_void_p,
        wintypes.DWORD,
        wintypes.DWORD,
        wintypes.HANDLE,
    ]
    _kernel32.CreateDirectoryW.argtypes = [wintypes.LPCWSTR, ctypes.c_void_p]
    _kernel32.LocalFree.argtypes = [ctypes.c_void_p]
    _kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
    _advapi32.OpenProcessToken.argtypes = [wintypes.HANDLE, wintypes.DWORD, ctypes.POINTER(wintypes.HANDLE)]
    _advapi32.GetTokenInformation.argtypes = [
        wintypes.HANDLE,
        ctypes.c_int,
        ctypes.c_void_p,
        wintypes.DWORD,
        ctypes.POINTER(wintypes.DWORD),
    ]
    _advapi32.ConvertSidToStringSidW.argtypes = [ctypes.c_void_p, ctypes.POINTER(wintypes.LPWSTR)]
    _advapi32.ConvertStringSecurityDescriptorToSecurityDescriptorW.argtypes = [
        wintypes.LPCWSTR,
        wintypes.DWORD,
        ctypes.POINTER(ctypes.c_void_p),
        ctypes.c_void_p,
    ]

    def _check(ok: object) -> None:
        if not ok:
            raise ctypes.WinError(ctypes.get_last_error())

    def current_user_sid() -> str:
        """The string SID of the user this process runs as."""
        token = wintypes.HANDLE()
        _check(_advapi32.OpenProcessToken(_kernel32.GetCurrentProcess(), _TOKEN_QUERY, ctypes.byref(token)))
        try:
            size = wintypes.DWORD()
            _advapi32.GetTokenInformation(token, _TOKEN_USER, None, 0, ctypes.byref(size))
            buffer = ctypes.create_string_buffer(size.value)
            _check(_advapi32.GetTokenInformation(token, _TOKEN_USER, buffer, size, ctypes.byref(size)))
            sid = ctypes.cast(buffer, ctypes.POINTER(ctypes.c_void_p))[0]  # TOKEN_USER.User.Sid
            text = wintypes.LPWSTR()
            _check(_advapi32.ConvertSidToStringSidW(sid, ctypes.byref(text)))
            try:
                return str(text.value)
            finally:
                _kernel32.LocalFree(text)
        finally:
            _kernel32.CloseHandle(token)

    class _OwnerOnly:
        """SECURITY_ATTRIBUTES for an owner-only object, freed on exit."""

        def __init__(self, *, folder: bool) -> None:
            self.descriptor = ctypes.c_void_p()
            self.folder = folder

        def __enter__(self) -> _SecurityAttributes:
            sddl = owner_only_sddl(current_user_sid(), folder=self.folder)
            _check(
                _advapi32.ConvertStringSecurityDescriptorToSecurityDescriptorW(
                    sddl, _SDDL_REVISION_1, ctypes.byref(self.descriptor), None
                )
            )
            return _SecurityAttributes(ctypes.sizeof(_SecurityAttributes), self.descriptor, False)

        def __exit__(self, *exc: object) -> None:
            _kernel32.LocalFree(self.descriptor)

    def create_private_file(path: Path) -> int:
        """Create ``path`` (it must not exist) owner-only and return a writable file descriptor.

        Raises:
            FileExistsError: ``path`` exists.
            OSError: any other refusal, with Windows' own message.
        """
        with _OwnerOnly(folder=False) as attributes:
            handle = _kernel32.CreateFileW(
                str(path),
                _GENERIC_READ_WRITE,
                0,
                ctypes.byref(attributes),
                _CREATE_NEW,
                _FILE_ATTRIBUTE_NORMAL,
                None,
            )
        if handle is None or handle == _INVALID_HANDLE:
            error = ctypes.get_last_error()
            if error == _ERROR_FILE_EXISTS:
                raise FileExistsError(error, "already exists", str(path))
            raise ctypes.WinError(error)
        return msvcrt.open_osfhandle(handle, os.O_BINARY)

    def make_private_dir(path: Path) -> None:
        """Create the folder ``path`` (its parent must exist) owner-only; what is made inside inherits that.

        Raises:
            FileExistsError: ``path`` exists.
            OSError: any other refusal.
        """
        with _OwnerOnly(folder=True) as attributes:
            ok = _kernel32.CreateDirectoryW(str(path), ctypes.byref(attributes))
        if not ok:
            error = ctypes.get_last_error()
            if error == _ERROR_ALREADY_EXISTS:
                raise FileExistsError(error, "already exists", str(path))
            raise ctypes.WinError(error)
