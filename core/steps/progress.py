"""How a long use case talks to its front end while it runs: typed events out, a cancel token in.

The Salesforce set-up and the automatic rotation take minutes (a browser sign-in, deploys,
Salesforce applying a new app). They report what they do through one ``Progress`` callback that
both front ends consume (the CLI prints a line on stderr, the wizard ticks its steps), and stop
at the next safe point once their :class:`CancelToken` is set. A use case calls the callback on
its own thread: the wizard's handler passes the event to the GUI thread, the CLI's prints it.

:class:`Record` is the one event a front end must act on: something now exists that the app must
know about (an app created in the org, a new key), whatever happens next.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Protocol

from core.defaults import TIMINGS, Timings
from core.errors import CancelledError

if TYPE_CHECKING:
    from core.storage.settings import Settings


class SettingsChange(Protocol):
    """A result that knows what to record; applied on the front end's main thread."""

    def apply(self, settings: Settings) -> None: ...


class Step(Enum):
    """The steps of the set-up and of the rotation, in the words both front ends show."""

    SIGN_IN = "Signing in to Salesforce"
    CHECK_ORG = "Checking the org"
    PERMISSION_SET = "Creating the permission set"
    ASSIGNMENT = "Assigning it to the connector's user"
    APP = "Creating the External Client App"
    LOGIN = "Waiting until Salesforce accepts the connector's login"
    NEW_KEY = "Making the new key"
    CERTIFICATE = "Putting the new certificate on the Salesforce app"
    CONNECTOR = "Updating the connector"
    CHECK = "Checking the connection"


@dataclass(frozen=True)
class StepStarted:
    step: Step


@dataclass(frozen=True)
class OpenSignInPage:
    """The admin signs in here, in the browser: the front end opens it (and the CLI prints it too)."""

    url: str


@dataclass(frozen=True)
class Notice:
    """Something worth saying that changes nothing (a kept sign-in used or refused, a warning)."""

    text: str


@dataclass(frozen=True)
class LoginAttempt:
    """One poll of the connector's login: seconds since the first, and Salesforce's answer."""

    elapsed: float
    answer: str


@dataclass(frozen=True)
class Waiting:
    """Still waiting between two polls (every second): for a counter that ticks; the CLI prints only attempts."""

    elapsed: float
    answer: str


@dataclass(frozen=True)
class Record:
    """Record this now, before the next step: it exists (in the org, in the keyring, on disk)."""

    change: SettingsChange


Event = StepStarted | OpenSignInPage | Notice | LoginAttempt | Waiting | Record
Progress = Callable[[Event], None]


def ignore(event: Event) -> None:
    """A progress callback for callers that show nothing."""


class CancelToken:
    """Set by the front end (the wizard's Stop, Ctrl+C), read by the use case at its safe points."""

    def __init__(self, event: threading.Event | None = None) -> None:
        self._event = event if event is not None else threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self, message: str = "Stopped.") -> None:
        """Raise CancelledError if the front end asked to stop."""
        if self._event.is_set():
            raise CancelledError(message)


def _no_browser(url: str) -> bool:
    return True


@dataclass(frozen=True)
class Runtime:
    """What a long use case gets from the front end that runs it, handed down whole.

    ``progress`` is where it reports; ``cancel``, when to stop; ``timings``, how long to wait and
    how often to ask; ``open_browser`` opens the admin's sign-in page on the use case's own
    thread where a front end can (the CLI; a False from it ends the sign-in with a sentence). The
    wizard opens that page itself on its ``OpenSignInPage`` event, so it keeps the default.
    """

    progress: Progress = ignore
    cancel: CancelToken = field(default_factory=CancelToken)
    timings: Timings = TIMINGS
    open_browser: Callable[[str], bool] = _no_browser
