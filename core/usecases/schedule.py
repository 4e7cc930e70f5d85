"""The OS runs the watch: a systemd user timer (or a crontab line), a LaunchAgent, or a Task Scheduler task.

Each runs the watch as the user, in the user's session (the keyring needs it), catches up after
sleep where the OS can (systemd ``Persistent=true``, launchd ``StartCalendarInterval``, Task
Scheduler ``StartWhenAvailable``), and never opens a browser or waits for input (the watch does
neither: it signs in to Salesforce only with a kept sign-in). What would be installed can be printed for any OS without
changing anything; installing, reading the state and removing act on this computer's OS only.
"""

from __future__ import annotations

import os
import plistlib
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from core import APP_ID, APP_NAME
from core.errors import AppError, InvalidInputError

#: The name of the job on every OS.
JOB = "salesforce-connector-wizard-watch"
TASK_NAME = f"{APP_NAME} watch"
CRON_MARK = f"# {JOB}"
OSES = ("linux", "macos", "windows")


def this_os() -> str:
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return "linux"


@dataclass(frozen=True)
class ScheduleRequest:
    """How often the watch runs (hours, 1 to 168), and what it is told to do then."""

    every_hours: int
    notify: bool = False
    desktop: bool = False
    rotate_within_days: int | None = None
    api_url: str = ""

    def validated(self) -> ScheduleRequest:
        """Raises InvalidInputError before anything is written."""
        from core.urls import SafeUrl

        if not 1 <= self.every_hours <= 168:
            raise InvalidInputError("--every must be from 1 to 168 hours (a week).", field="every")
        if self.rotate_within_days is not None and not 1 <= self.rotate_within_days <= 365:
            raise InvalidInputError("--rotate-within must be from 1 to 365 days.", field="rotate_within")
        if self.api_url:
            SafeUrl(self.api_url, what="API URL")
        return self


def watch_command(request: ScheduleRequest, *, frozen: bool | None = None, executable: str | None = None) -> list[str]:
    """The command the OS runs: the frozen ``sfcw`` when frozen, else this Python and ``main.py``, then ``watch``."""
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    executable = executable or sys.executable
    if frozen:
        program = Path(executable)
        sibling = program.with_name("sfcw.exe" if program.suffix.lower() == ".exe" else "sfcw")
        command = [str(sibling if sibling.exists() else program)]
    else:
        command = [executable, str(Path(__file__).resolve().parents[2] / "main.py")]
    command += ["watch", "--unattended"]  # never a prompt: a locked keyring is reported, never unlocked
    if request.notify:
        command.append("--notify")
    if request.desktop:
        command.append("--desktop")
    if request.rotate_within_days is not None:
        command += ["--rotate-within", str(request.rotate_within_days)]
    if request.api_url:
        command += ["--api-url", request.api_url]
    return command


def _environment() -> dict[str, str]:
    """What the scheduled run needs from this one: the same settings folder, when it is not the default one."""
    home = os.environ.get("SFCW_HOME", "")
    return {"SFCW_HOME": home} if home else {}


# --- what is installed, per OS ---------------------------------------------------------------------------


def _calendar(every: int) -> str:
    """systemd OnCalendar for every ``every`` hours (from midnight; a day or more: daily, or every few days)."""
    if every < 24:
        return f"*-*-* 00/{every}:00:00"
    days = every // 24
    return "*-*-* 00:00:00" if days == 1 else f"*-*-1/{days} 00:00:00"


def systemd_units(request: ScheduleRequest, command: Sequence[str]) -> dict[str, str]:
    """The user service and its timer (``~/.config/systemd/user/``)."""
    environment = "".join(f"Environment={shlex.quote(f'{k}={v}')}\n" for k, v in _environment().items())
    service = (
        "[Unit]\n"
        f"Description={APP_NAME}: watch every Salesforce connector\n\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"{environment}"
        f"ExecStart={' '.join(shlex.quote(part) for part in command)}\n"
    )
    timer = (
        "[Unit]\n"
        f"Description={APP_NAME}: run the watch every {request.every_hours} hour(s)\n\n"
        "[Timer]\n"
        f"OnCalendar={_calendar(request.every_hours)}\n"
        "Persistent=true\n"
        "RandomizedDelaySec=15min\n\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )
    return {f"{JOB}.service": service, f"{JOB}.timer": timer}


def crontab_line(request: ScheduleRequest, command: Sequence[str]) -> str:
    """The crontab line (where no user systemd runs). cron does not catch up: the line says so."""
    every = request.every_hours
    when = f"0 */{every} * * *" if every < 24 else f"0 0 */{max(1, every // 24)} * *"
    environment = dict(_environment())
    if hasattr(os, "getuid"):  # cron starts with no session bus: the keyring is on the user's own
        environment["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path=/run/user/{os.getuid()}/bus"
    words = "".join(f"{k}={shlex.quote(v)} " for k, v in environment.items())
    return f"{when} {words}{' '.join(shlex.quote(part) for part in command)} >/dev/null 2>&1 {CRON_MARK}"


def launchd_plist(request: ScheduleRequest, command: Sequence[str]) -> bytes:
    """The LaunchAgent (``~/Library/LaunchAgents/``): calendar times, which launchd runs at wake when missed."""
    every = request.every_hours
    times = [{"Hour": h, "Minute": 0} for h in range(0, 24, every)] if every < 24 else [{"Hour": 0, "Minute": 0}]
    plist = {
        "Label": f"{APP_ID}.watch",
        "ProgramArguments": list(command),
        "StartCalendarInterval": times,
        "EnvironmentVariables": _environment(),
        "ProcessType": "Background",
        "RunAtLoad": False,
    }
    return plistlib.dumps(plist)


def task_xml(request: ScheduleRequest, command: Sequence[str]) -> str:
    """The Task Scheduler task (``schtasks /Create /XML``): as the user, only while logged on, late runs started."""
    program, *arguments = command
    args = subprocess.list2cmdline(arguments)
    return (
        '<?xml version="1.0" encoding="UTF-16"?>\n'
        '<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">\n'
        f"  <RegistrationInfo><Description>{escape(APP_NAME)}: watch every Salesforce connector</Description>"
        "</RegistrationInfo>\n"
        "  <Triggers>\n"
        "    <TimeTrigger>\n"
        f"      <Repetition><Interval>PT{request.every_hours}H</Interval><StopAtDurationEnd>false</StopAtDurationEnd>"
        "</Repetition>\n"
        "      <StartBoundary>2026-01-01T00:00:00</StartBoundary>\n"
        "      <Enabled>true</Enabled>\n"
        "    </TimeTrigger>\n"
        "  </Triggers>\n"
        '  <Principals><Principal id="Author"><LogonType>InteractiveToken</LogonType>'
        "<RunLevel>LeastPrivilege</RunLevel></Principal></Principals>\n"
        "  <Settings>\n"
        "    <StartWhenAvailable>true</StartWhenAvailable>\n"
        "    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>\n"
        "    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>\n"
        "    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>\n"
        "    <ExecutionTimeLimit>PT1H</ExecutionTimeLimit>\n"
        "    <Enabled>true</Enabled>\n"
        "  </Settings>\n"
        '  <Actions Context="Author">\n'
        f"    <Exec><Command>{escape(program)}</Command><Arguments>{escape(args)}</Arguments></Exec>\n"
        "  </Actions>\n"
        "</Task>\n"
    )


def describe(request: ScheduleRequest, os_name: str, command: Sequence[str]) -> str:
    """What would be installed on ``os_name``, as text (``schedule install --print``)."""
    if os_name == "linux":
        units = systemd_units(request, command)
        text = "".join(f"# ~/.config/systemd/user/{name}\n{body}\n" for name, body in units.items())
        return text + f"# where no user systemd runs, this crontab line instead:\n{crontab_line(request, command)}\n"
    if os_name == "macos":
        return f"# ~/Library/LaunchAgents/{APP_ID}.watch.plist\n" + launchd_plist(request, command).decode("utf-8")
    return f'# schtasks /Create /TN "{TASK_NAME}" /XML FILE (UTF-16)\n' + task_xml(request, command)


# --- install, state, remove on this computer ----------------------------------------------------------------


def _run(command: Sequence[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), input=stdin, capture_output=True, text=True, timeout=60, check=False)


@dataclass(frozen=True)
class Installed:
    """Where the watch was scheduled, in words, and how to see it."""

    how: str
    where: str


def _user_systemd() -> bool:
    """Whether a systemd user manager runs for this user (its private socket is there; asking systemctl without one
    makes D-Bus try to start one, noisily, in a container)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR") or (f"/run/user/{os.getuid()}" if hasattr(os, "getuid") else "")
    if not runtime or not (Path(runtime) / "systemd" / "private").exists() or shutil.which("systemctl") is None:
        return False
    return _run(["systemctl", "--user", "show-environment"]).returncode == 0


def _systemd_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def install(request: ScheduleRequest, command: Sequence[str] | None = None) -> Installed:
    """Install the schedule on this computer (replacing an earlier one). Raises AppError with the reason."""
    from core.storage.keyfiles import write_file_atomic

    request = request.validated()
    command = list(command or watch_command(request))
    os_name = this_os()
    if os_name == "linux":
        if _user_systemd():
            folder = _systemd_dir()
            folder.mkdir(parents=True, exist_ok=True)
            for name, body in systemd_units(request, command).items():
                write_file_atomic(folder / name, body.encode("utf-8"), mode=0o644, overwrite=True)
            for step in (["daemon-reload"], ["enable", "--now", f"{JOB}.timer"]):
                done = _run(["systemctl", "--user", *step])
                if done.returncode != 0:
                    raise AppError(f"systemd refused the timer: {done.stderr.strip()[:300]}")
            return Installed("a systemd user timer", str(folder / f"{JOB}.timer"))
        if shutil.which("crontab"):
            _set_crontab(crontab_line(request, command))
            return Installed("a crontab line (it does not catch up after sleep)", "crontab -l")
        raise AppError(
            "Neither a systemd user session nor cron is available on this computer, so nothing can run the watch.",
            hint="Install cron (or log in to a desktop session with systemd), or run 'watch' from your own scheduler.",
        )
    if os_name == "macos":
        path = Path.home() / "Library" / "LaunchAgents" / f"{APP_ID}.watch.plist"
        path.parent.mkdir(parents=True, exist_ok=True)
        _run(["launchctl", "bootout", f"gui/{os.getuid()}", str(path)])  # type: ignore[attr-defined,unused-ignore]
        write_file_atomic(path, launchd_plist(request, command), mode=0o644, overwrite=True)
        done = _run(["launchctl", "bootstrap", f"gui/{os.getuid()}", str(path)])  # type: ignore[attr-defined,unused-ignore]
        if done.returncode != 0:
            raise AppError(f"launchd refused the agent: {done.stderr.strip()[:300]}")
        return Installed("a LaunchAgent", str(path))
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        xml = Path(scratch) / "task.xml"
        xml.write_bytes(task_xml(request, command).encode("utf-16"))
        done = _run(["schtasks", "/Create", "/TN", TASK_NAME, "/XML", str(xml), "/F"])
    if done.returncode != 0:
        raise AppError(f"Task Scheduler refused the task: {(done.stderr or done.stdout).strip()[:300]}")
    return Installed("a Task Scheduler task", TASK_NAME)


def _crontab() -> list[str]:
    done = _run(["crontab", "-l"])
    return done.stdout.splitlines() if done.returncode == 0 else []


def _set_crontab(line: str | None) -> None:
    lines = [entry for entry in _crontab() if not entry.rstrip().endswith(CRON_MARK)]
    if line:
        lines.append(line)
    done = _run(["crontab", "-"], stdin="\n".join(lines) + "\n")
    if done.returncode != 0:
        raise AppError(f"crontab refused the line: {done.stderr.strip()[:300]}")


def status() -> str:
    """The schedule's state on this computer, in words."""
    os_name = this_os()
    if os_name == "linux":
        if _user_systemd() and (_systemd_dir() / f"{JOB}.timer").exists():
            done = _run(["systemctl", "--user", "list-timers", f"{JOB}.timer", "--all", "--no-pager"])
            return f"Installed as a systemd user timer.\n{done.stdout.strip()}"
        line = next((entry for entry in _crontab() if entry.rstrip().endswith(CRON_MARK)), "")
        return f"Installed as a crontab line:\n{line}" if line else "Not installed."
    if os_name == "macos":
        path = Path.home() / "Library" / "LaunchAgents" / f"{APP_ID}.watch.plist"
        return f"Installed as a LaunchAgent ({path})." if path.exists() else "Not installed."
    done = _run(["schtasks", "/Query", "/TN", TASK_NAME, "/FO", "LIST"])
    return f"Installed as a Task Scheduler task.\n{done.stdout.strip()}" if done.returncode == 0 else "Not installed."


def remove() -> str:
    """Remove the schedule from this computer; what was removed, in words."""
    os_name = this_os()
    if os_name == "linux":
        removed = []
        timer = _systemd_dir() / f"{JOB}.timer"
        if timer.exists():
            if _user_systemd():
                _run(["systemctl", "--user", "disable", "--now", f"{JOB}.timer"])
            for name in (f"{JOB}.timer", f"{JOB}.service"):
                (_systemd_dir() / name).unlink(missing_ok=True)
            if _user_systemd():
                _run(["systemctl", "--user", "daemon-reload"])
            removed.append("the systemd user timer")
        if shutil.which("crontab") and any(entry.rstrip().endswith(CRON_MARK) for entry in _crontab()):
            _set_crontab(None)
            removed.append("the crontab line")
        return "Removed " + " and ".join(removed) + "." if removed else "Nothing was installed."
    if os_name == "macos":
        path = Path.home() / "Library" / "LaunchAgents" / f"{APP_ID}.watch.plist"
        if not path.exists():
            return "Nothing was installed."
        _run(["launchctl", "bootout", f"gui/{os.getuid()}", str(path)])  # type: ignore[attr-defined,unused-ignore]
        path.unlink()
        return "Removed the LaunchAgent."
    done = _run(["schtasks", "/Delete", "/TN", TASK_NAME, "/F"])
    return "Removed the Task Scheduler task." if done.returncode == 0 else "Nothing was installed."
