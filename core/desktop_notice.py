"""One desktop notification, through desktop-notifier (the freedesktop Notifications service over D-Bus on
Linux, the Notification Center on macOS, toast notifications on Windows).

Why desktop-notifier and not Apprise: it is the desktop's own channel on all three systems with one small
pure-Python package per system (dbus-fast, rubicon-objc, winrt), asks nothing of the user, and needs no
account or URL; Apprise reaches e-mail and a hundred services, but its desktop plugins need dbus-python
and GObject (Linux) or pywin32 (Windows), and the team channels the admins use are already reached by the
watch's webhook. desktop-notifier logs a failure instead of raising it, so whether the desktop took the
notification is read back from the notifier's own list of what it dispatched.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from core import APP_NAME
from core.errors import DesktopNoticeError
from core.text import printable

#: A notification is a glance: the rest is in the watch's output and in Manage.
MAX_TEXT = 600


def _icon() -> Any:
    """The app's icon (beside the sources, or in the frozen bundle), or none: the library's own default icon
    is a file of its package that the frozen app does not carry."""
    from desktop_notifier import Icon

    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[1]))
    path = base / "resources" / "icon.png"
    return Icon(path=path) if path.is_file() else None


def show(title: str, text: str) -> None:
    """Show one notification. Raises DesktopNoticeError with a sentence when the desktop did not take it."""
    try:
        from desktop_notifier import DesktopNotifierSync
    except ImportError as exc:  # pragma: no cover - a requirement of the app
        logging.getLogger(__name__).warning("desktop-notifier could not be imported: %r", exc)
        raise DesktopNoticeError(
            f"Desktop notifications are not available in this build ({exc.name or 'a module'} is missing)."
        ) from exc

    body = printable(text, keep_newlines=True)
    if len(body) > MAX_TEXT:
        body = body[: MAX_TEXT - 1].rstrip() + "…"
    # desktop-notifier reports a failed send as a logged warning with a traceback; ours says it in a sentence.
    quiet = logging.getLogger("desktop_notifier")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        notifier = DesktopNotifierSync(app_name=APP_NAME, app_icon=_icon())
        identifier = notifier.send(title=printable(title)[:120], message=body)
        dispatched = identifier in notifier.get_current_notifications()
    except Exception as exc:  # noqa: BLE001 - each platform's backend raises its own types
        raise DesktopNoticeError(
            f"The desktop notification could not be shown ({type(exc).__name__}).",
            hint="Scheduled runs need your desktop session; the webhook (set-webhook) works without one.",
        ) from exc
    finally:
        quiet.setLevel(level)
    if not dispatched:
        raise DesktopNoticeError(
            "The desktop did not take the notification: no notification service answers in this session.",
            hint="Scheduled runs need your desktop session; the webhook (set-webhook) works without one.",
        )
