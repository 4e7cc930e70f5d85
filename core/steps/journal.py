"""The journal of intent: every change a run makes in an org is written down before it is made.

A run of the set-up or of the automatic rotation writes a :class:`~core.storage.settings.JournalEntry`
(what it is about to do, and what it has made so far) to the settings file, saved under the
file's lock, *before* each change in the org, and removes it in the same save that records the
finished result. So whatever kills a run (a crash, a power cut, kill -9, a full disk at the end),
the next start knows what exists in the org because of it, and can finish it or remove it.

The journal writes the file itself, from whatever thread the use case runs on: other copies of
the settings (the wizard's, a CLI run's) merge it in on their next save.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import InvalidInputError
from core.kinds import RunKind, RunStep
from core.storage.settings import JournalEntry, Settings

if TYPE_CHECKING:
    from core.steps.progress import SettingsChange

#: What each step means, in the words a notice uses ("stopped while ...").
STEP_WORDS = {
    RunStep.PERMISSION_SET: "creating the permission set",
    RunStep.ASSIGNMENT: "assigning the permission set to the connector's user",
    RunStep.APP: "creating the app",
    RunStep.CERTIFICATE: "putting a new certificate on the app",
    RunStep.CONNECTOR: "switching the connector to the new key",
}


def new_entry(kind: RunKind, step: RunStep, **fields: Any) -> JournalEntry:
    """A journal entry for a run starting now, in this process."""
    from uuid import uuid4  # uuid imports platform: paid when a run starts, not by every reader of the journal

    return JournalEntry(
        id=uuid4().hex,
        kind=kind,
        step=step,
        started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        pid=str(os.getpid()),
        pid_started=process_started(os.getpid()),
        **fields,
    )


class Journal:
    """The journal in the settings file at ``path`` (the default one when None)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path

    def write(self, entry: JournalEntry) -> JournalEntry:
        """Add or replace ``entry``; returns once it is on disk.

        Raises AppError when it cannot be saved: the caller must not make the change it announces.
        """

        def put(settings: Settings) -> None:
            settings.journal = [e for e in settings.journal if e.id != entry.id] + [entry]

        Settings.update(put, self.path)
        return entry

    def step(self, entry: JournalEntry, step: RunStep, **fields: Any) -> JournalEntry:
        """The next step of ``entry`` (with what the last one made), written before it is taken."""
        return self.write(replace(entry, step=step, **fields))

    def finish(self, entry: JournalEntry, record: SettingsChange | None = None) -> None:
        """``record`` applied and ``entry`` removed, in one save: the result is never unknown, nor recorded twice."""

        def done(settings: Settings) -> None:
            if record is not None:
                record.apply(settings)
            settings.journal = [e for e in settings.journal if e.id != entry.id]

        Settings.update(done, self.path)

    def keep(self, entry: JournalEntry, record: SettingsChange) -> None:
        """``record`` applied with ``entry`` kept as it is, in one save: what exists is recorded and the run
        that made it is still named as unfinished until it removes it (a field check's throw-away app)."""

        def done(settings: Settings) -> None:
            record.apply(settings)
            settings.journal = [e for e in settings.journal if e.id != entry.id] + [entry]

        Settings.update(done, self.path)

    def finish_app(self, app_name: str) -> None:
        """Every unfinished entry of a set-up of ``app_name`` removed: what it made is gone."""
        entries = [e for e in self.unfinished() if e.kind is RunKind.SETUP and e.app_name == app_name]
        for entry in entries:
            self.finish(entry)

    def unfinished(self, settings: Settings | None = None) -> list[JournalEntry]:
        """Entries whose run is over (its process is gone): killed or failed half-way."""
        entries = (settings or Settings.load(self.path)).journal
        return [e for e in entries if not _running(e.pid, e.pid_started)]


def process_started(pid: int) -> str:
    """When process ``pid`` started, as a text that differs for any other process that later has that number.

    Linux: the boot's id and the start in clock ticks since boot; Windows: the creation time; "" where
    it cannot be had (macOS, a process gone), and then the pid alone decides.
    """
    if sys.platform.startswith("linux"):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        except OSError:
            return ""
        fields = stat[stat.rfind(")") + 2 :].split()  # after "pid (comm) ": state is field 3, starttime 22
        return f"linux:{boot}:{fields[19]}" if len(fields) > 19 else ""
    if sys.platform == "win32":
        import ctypes
        from ctypes import wintypes

        query_limited_information = 0x1000
        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(query_limited_information, False, pid)
        if not handle:
            return ""
        try:
            times = [wintypes.FILETIME() for _ in range(4)]
            if not kernel32.GetProcessTimes(handle, *(ctypes.byref(t) for t in times)):
                return ""
            created = times[0]
            return f"windows:{(created.dwHighDateTime << 32) | created.dwLowDateTime}"
        finally:
            kernel32.CloseHandle(handle)
    return ""


def _running(pid: str, started: str = "") -> bool:
    """Whether the process that wrote an entry still runs (then its run is not unfinished, only busy)."""
    if not pid.isdigit():
        return False
    number = int(pid)
    if number == os.getpid():
        return False  # an entry of this process that is still here is one this process gave up on
    if started and process_started(number) not in ("", started):
        return False  # another process with that number (after a reboot, or the number reused)
    if sys.platform == "win32":
        import ctypes

        synchronize = 0x00100000
        handle = ctypes.windll.kernel32.OpenProcess(synchronize, False, number)
        if not handle:
            return False
        try:
            return bool(ctypes.windll.kernel32.WaitForSingleObject(handle, 0) == 0x102)  # WAIT_TIMEOUT: alive
        finally:
            ctypes.windll.kernel32.CloseHandle(handle)
    try:
        os.kill(number, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def describe(entry: JournalEntry) -> str:
    """One sentence: which run stopped where, and what exists in the org because of it."""
    made = [
        *(["the permission set " + entry.permission_set] if entry.permission_set_id else []),
        *(["its assignment to " + entry.username] if entry.assignment_id else []),
    ]
    where = f" in the org at {entry.instance_url}" if entry.instance_url else ""
    if entry.kind is RunKind.ROTATION:
        from core.storage.credentials import key_location_words

        return (
            f"A key rotation of the connector {entry.connector_id} (app {entry.app_name}{where}, started "
            f"{entry.started_at[:16].replace('T', ' ')} UTC) stopped while {STEP_WORDS.get(entry.step, entry.step)}. "
            f"The new key is {key_location_words(entry.new_key)}."
        )
    from core.salesforce.metadata import FIELD_CHECK_PREFIX, app_kind

    kind = app_kind(entry.app_type)
    if entry.app_name.startswith(FIELD_CHECK_PREFIX):
        kind = f"field check's throw-away {kind}"
    doing = f"creating the {kind}" if entry.step is RunStep.APP else STEP_WORDS.get(entry.step, entry.step)
    return (
        f"A set-up of the {kind} {entry.app_name}{where} (started "
        f"{entry.started_at[:16].replace('T', ' ')} UTC) stopped while {doing}. "
        + (f"It had created {' and '.join(made)}." if made else "It had created nothing before that step.")
    )


def lock_dir() -> Path:
    """Where run locks live: the user's runtime folder, the same for every settings folder (SFCW_HOME) of this
    user, so two copies of the app with different settings still cannot rotate one connector at once; the
    settings folder where there is no runtime folder to be had."""
    import platformdirs

    from core import APP_ID
    from core.errors import AppError
    from core.storage.keyfiles import ensure_private_dir
    from core.storage.settings import config_dir

    try:
        with warnings.catch_warnings():  # "XDG_RUNTIME_DIR is not set, falling back to /tmp/runtime-UID": fine here
            warnings.simplefilter("ignore")
            runtime = platformdirs.user_runtime_dir(APP_ID, appauthor=False)
        folder = Path(runtime) / "locks"
        ensure_private_dir(folder)
        if sys.platform != "win32":  # /tmp/runtime-UID made by someone else must not hold our locks
            for part in (folder, folder.parent):
                info = part.stat()
                if info.st_uid != os.getuid() or info.st_mode & 0o022:
                    raise OSError(f"{part} is not this user's own folder")
        return folder
    except (OSError, AppError):
        folder = config_dir()
        ensure_private_dir(folder)
        return folder


@contextmanager
def run_lock(name: str, *, what: str) -> Iterator[None]:
    """Only one run at a time for ``name`` on this computer (e.g. one rotation per connector), whichever
    settings folder each run uses.

    Raises InvalidInputError at once, changing nothing, when another run holds it.
    """
    import filelock

    folder = lock_dir()
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    lock = filelock.FileLock(str(folder / f"run-{safe}.lock"), timeout=0, mode=0o600)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise InvalidInputError(
            f"{what} is already running on this computer. Nothing was changed.",
            hint="Wait for it to finish (it says which key is live when it ends), then try again if needed.",
        ) from exc
    try:
        yield
    finally:
        lock.release()
