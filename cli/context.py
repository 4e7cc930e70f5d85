"""One CLI run: its streams, its store and settings, and the few things every command shares
(saying, confirming, ``--json``, the private key, the Platform client, recording results, and
printing a long use case's progress)."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import shlex
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from core.defaults import CONNECTOR_LOGIN_URL, TIMINGS, Timings
from core.errors import AppError, InvalidInputError
from core.kinds import RunKind
from core.text import printable

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

    from core.steps.journal import Journal
    from core.steps.progress import Event, Runtime, SettingsChange
    from core.storage.secret_store import SecretStore
    from core.storage.settings import Settings
    from core.unstructured.client import PlatformClient

log = logging.getLogger(__name__)


def _lossless(stream: TextIO) -> TextIO:
    """``stream`` writing what its encoding cannot hold as \\uNNNN escapes instead of failing (a redirected
    ``sfcw list > out.txt`` on Windows is in the legacy code page, cp1252, and a connector may be named in Greek)."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(errors="backslashreplace")
        except (ValueError, OSError):  # a stream that cannot change now: written as it is
            pass
    return stream


#: How each step of a long use case is said on stderr.
_STEP_LINE = "  ... {0}"


class Cli:
    """One CLI run. ``store``, the streams and ``timings`` are injectable so tests use real ones of their choosing."""

    def __init__(
        self,
        *,
        store: SecretStore | None = None,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        stdin: TextIO | None = None,
        timings: Timings = TIMINGS,
    ) -> None:
        self._store = store
        self._settings: Settings | None = None
        self.timings = timings
        self.out = stdout or _lossless(sys.stdout)
        self.err = stderr or _lossless(sys.stderr)
        self.stdin = stdin or sys.stdin

    @property
    def store(self) -> SecretStore:
        if self._store is None:
            from core.storage.secret_store import SecretStore

            self._store = SecretStore()
        return self._store

    def load_settings(self) -> Settings:
        """The settings, read once per command, saying on stderr if the file had to be set aside."""
        from core.storage.settings import Settings

        if self._settings is None:
            self._settings = Settings.load()
            if self._settings.notice:
                self.note(f"note: {self._settings.notice}")
        return self._settings

    # --- output ----------------------------------------------------------------------------

    def say(self, text: str = "") -> None:
        print(printable(text, keep_newlines=True), file=self.out)

    def note(self, text: str) -> None:
        print(printable(text, keep_newlines=True), file=self.err)

    def fail(self, exc: AppError) -> int:
        self.note(f"error: {exc.message}")
        if exc.hint:
            self.note(f"  {exc.hint}")
        return exc.exit_code

    def emit(self, args: argparse.Namespace, data: object, text: str) -> None:
        """The command's result on stdout: ``data`` as JSON with ``--json``, else ``text``."""
        self.say(json.dumps(data, indent=2) if getattr(args, "json", False) else text)

    # --- asking ----------------------------------------------------------------------------

    def confirmation(self, args: argparse.Namespace, what: str) -> Callable[[str], bool]:
        """Check, before any work, that ``what`` can be confirmed; return the question to ask later.

        With ``--yes`` every question is answered yes. Without a terminal and without ``--yes`` this
        refuses at once (exit 2, nothing done): a script never hangs on a prompt nobody sees.
        """
        if getattr(args, "yes", False):
            return lambda question: True
        if not self.stdin.isatty():
            raise InvalidInputError(f"{what} needs confirmation.", hint="Add --yes to go ahead without asking.")

        def ask(question: str) -> bool:
            print(f"{question} Type 'yes' to confirm: ", end="", file=self.err, flush=True)
            return self.stdin.readline().strip().lower() == "yes"

        return ask

    # --- shared inputs ---------------------------------------------------------------------

    def private_key(self, spec: str) -> RSAPrivateKey:
        """The private key from a file or the keyring, loaded and checked once; an encrypted key asks for its
        passphrase on a terminal."""
        from core.crypto.keypair import load_private_key
        from core.errors import EncryptedKeyError
        from core.storage.credentials import read_private_key_source

        text = read_private_key_source(spec, self.store)
        try:
            return load_private_key(text)
        except EncryptedKeyError as exc:
            if not self.stdin.isatty():
                raise EncryptedKeyError(
                    "This private key is protected by a passphrase, and there is no terminal to ask for it.",
                    field="private_key",
                    hint="Run the command in a terminal, or decrypt the key first (the connector needs it "
                    "unencrypted): openssl pkey -in encrypted.pem -out key.pem",
                ) from exc
        for attempt in range(3):
            passphrase = getpass.getpass("Passphrase for the private key: ")
            try:
                return load_private_key(text, passphrase=passphrase)
            except EncryptedKeyError as exc:
                if attempt == 2:
                    raise exc
                self.note("The passphrase is wrong; try again.")
        raise AssertionError("unreachable")  # pragma: no cover

    def client(self, api_url: str | None) -> PlatformClient:
        from core.storage.credentials import resolve_api_key
        from core.unstructured.client import PlatformClient, default_api_url, normalise_api_url

        url = normalise_api_url(api_url or self.load_settings().api_url or default_api_url())
        api_key, _ = resolve_api_key(self.store)
        return PlatformClient(api_url=url, api_key=api_key, timeout=self.timings.http_timeout)

    def warn_login_url(self, login_url: str) -> None:
        if login_url.rstrip("/") != CONNECTOR_LOGIN_URL:
            self.note(
                f"warning: checking against {login_url}. The connector itself always logs in through "
                f"{CONNECTOR_LOGIN_URL}, so a success here does not prove the connector will work."
            )

    # --- recording -------------------------------------------------------------------------

    @property
    def journal(self) -> Journal:
        from core.steps.journal import Journal

        return Journal()

    def warn_unfinished(self) -> None:
        """Say which earlier runs stopped half-way, what they left in the org, and how to go on."""
        from core.salesforce.metadata import FIELD_CHECK_PREFIX
        from core.steps.journal import describe

        for entry in self.journal.unfinished(self.load_settings()):
            self.note(f"note: {describe(entry)}")
            if entry.kind is RunKind.SETUP and entry.app_name.startswith(FIELD_CHECK_PREFIX):
                self.note(f"  To remove it: remove-salesforce-app --app-name {shlex.quote(entry.app_name)}.")
            elif entry.kind is RunKind.SETUP:
                user, app = shlex.quote(entry.username), shlex.quote(entry.app_name)
                self.note(
                    f"  To finish it: setup-salesforce --username {user} --app-name {app}; "
                    f"to remove what it created: remove-salesforce-app --app-name {app}."
                )
            else:
                connector = shlex.quote(entry.connector_id)
                self.note(f"  To finish it: rotate {connector} --auto (it checks which key is live first).")

    def read_secret_line(self, prompt: str) -> str:
        """One secret typed at a hidden prompt, or one line of standard input (scripts); stripped."""
        if self.stdin.isatty():
            import getpass

            return getpass.getpass(prompt).strip()
        return self.stdin.readline().strip()

    def record(self, change: SettingsChange) -> None:
        """Apply what a use case says to record, and save (this thread is the only one that does)."""
        settings = self.load_settings()
        change.apply(settings)
        self.save_settings()

    def save_settings(self) -> None:
        try:
            self.load_settings().save()
        except AppError as exc:
            self.note(f"warning: the settings could not be saved ({exc.message}); the operation itself succeeded.")

    def runtime(self, timings: Timings | None = None) -> Runtime:
        """How this run's long use cases report (lines on stderr, records saved at once), wait and open the browser."""
        from core.steps.progress import Runtime

        return Runtime(progress=self.progress, timings=timings or self.timings, open_browser=open_browser)

    def progress(self, event: Event) -> None:
        """A long use case's events: steps and waits as lines on stderr, records saved at once."""
        from core.steps.progress import LoginAttempt, Notice, OpenSignInPage, Record, StepStarted

        if isinstance(event, Record):
            self.record(event.change)
        elif isinstance(event, StepStarted):
            self.note(_STEP_LINE.format(event.step.value))
        elif isinstance(event, LoginAttempt):
            self.note(f"  {event.elapsed:4.0f} s: {event.answer}")
        elif isinstance(event, OpenSignInPage):
            self.note("Opening Salesforce's sign-in in your browser; sign in as an administrator and allow access.")
            self.note(f"If no browser opens, visit: {event.url}")
        elif isinstance(event, Notice):
            self.note(f"note: {event.text}")


def open_browser(url: str) -> bool:
    import webbrowser

    return webbrowser.open(url)
