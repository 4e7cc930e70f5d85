"""Files other processes replace while we read them, and replacements while others read: Windows's sharing rules.

A POSIX rename replaces a file that others have open; Windows refuses it for as long as any
handle opened without FILE_SHARE_DELETE is open (Python's ``open()`` is one), and refuses to open
a file while it is being replaced. Both are brief (another run of this app reading the settings,
an antivirus scanning what was just written), so they are ridden out here. Cheap to import: the
settings load it before the first window.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

#: ERROR_ACCESS_DENIED (5) and ERROR_SHARING_VIOLATION (32) from another handle are retried this long.
SHARING_RETRY_SECONDS = 5.0
#: ``open()`` goes through the C runtime, which keeps only errno (EACCES): its PermissionError has no
#: ``winerror`` (None), on Windows as under Wine. ``os.replace`` and ``os.unlink`` carry 5 or 32.
_SHARING_ERRORS = (None, 5, 32)


def sharing_retry(action: Callable[[], T]) -> T:
    """``action()``, retried on Windows while another process's open handle refuses it (see above)."""
    if sys.platform != "win32":
        return action()
    deadline = time.monotonic() + SHARING_RETRY_SECONDS
    delay = 0.005
    while True:
        try:
            return action()
        except PermissionError as exc:
            if getattr(exc, "winerror", None) not in _SHARING_ERRORS or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def read_bytes_shared(path: Path) -> bytes:
    """The bytes of a file other processes replace atomically (the settings), riding out Windows's sharing refusals."""
    return sharing_retry(lambda: Path(path).read_bytes())
