"""The desktop's notification service, as the Desktop Notifications Specification 1.2 defines it, on the test
session's real D-Bus: org.freedesktop.Notifications at /org/freedesktop/Notifications.

What a notification daemon (GNOME Shell, KDE Plasma, dunst, xfce4-notifyd) offers the sender: Notify with its
exact signature (susssasa{sv}i → u; a call of any other shape is refused by the bus library, as by the daemons),
GetCapabilities, GetServerInformation, CloseNotification and the NotificationClosed / ActionInvoked signals.
It keeps what it was asked to show, and runs on its own thread and event loop as a daemon is its own process.
"""

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeAlias

from dbus_fast import BusType
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import DBusDict, DBusInt32, DBusSignature, DBusStr, DBusUInt32
from dbus_fast.service import ServiceInterface, dbus_method, dbus_signal

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"


@dataclass
class Shown:
    app_name: str
    summary: str
    body: str
    hints: dict[str, Any] = field(default_factory=dict)


Strings: TypeAlias = Annotated[list[str], DBusSignature("as")]


class _Interface(ServiceInterface):
    def __init__(self, shown: list[Shown]) -> None:
        super().__init__(NAME)
        self._shown = shown

    @dbus_method()
    def Notify(  # noqa: N802 - the specification's names
        self,
        app_name: DBusStr,
        replaces_id: DBusUInt32,
        app_icon: DBusStr,
        summary: DBusStr,
        body: DBusStr,
        actions: Strings,
        hints: DBusDict,
        expire: DBusInt32,
    ) -> DBusUInt32:
        self._shown.append(Shown(app_name, summary, body, {k: v.value for k, v in hints.items()}))
        return len(self._shown)

    @dbus_method()
    def GetCapabilities(self) -> Strings:  # noqa: N802
        return ["body", "actions"]

    @dbus_method()
    def GetServerInformation(self) -> Annotated[list[str], DBusSignature("ssss")]:  # noqa: N802
        return ["loopback-notifications", "tests", "1.0", "1.2"]

    @dbus_method()
    def CloseNotification(self, identifier: DBusUInt32) -> None:  # noqa: N802
        self.NotificationClosed(identifier, 3)

    @dbus_signal()
    def NotificationClosed(
        self, identifier: DBusUInt32, reason: DBusUInt32
    ) -> Annotated[list[int], DBusSignature("uu")]:  # noqa: N802
        return [identifier, reason]

    @dbus_signal()
    def ActionInvoked(self, identifier: DBusUInt32, action_key: DBusStr) -> Annotated[list[Any], DBusSignature("us")]:  # noqa: N802
        return [identifier, action_key]


class NotificationService:
    """Started on the session bus for the length of a ``with`` block; ``shown`` is what it was asked to show."""

    def __init__(self) -> None:
        self.shown: list[Shown] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="notification-service", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self._failure = exc
            self._ready.set()

    async def _serve(self) -> None:
        bus = await MessageBus(bus_type=BusType.SESSION).connect()
        bus.export(PATH, _Interface(self.shown))
        await bus.request_name(NAME)
        self._stop = asyncio.Event()
        self._ready.set()
        await self._stop.wait()
        await bus.release_name(NAME)
        bus.disconnect()

    def __enter__(self) -> "NotificationService":
        self._thread.start()
        assert self._ready.wait(30), "the notification service did not start"
        if self._failure is not None:
            raise self._failure
        return self

    def __exit__(self, *_: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
