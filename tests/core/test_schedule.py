"""schedule (issue 29, part 4): what the OS runs, checked by the OS's own tools where they run here."""

from __future__ import annotations

import plistlib
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from core.usecases.schedule import (
    CRON_MARK,
    ScheduleRequest,
    crontab_line,
    launchd_plist,
    systemd_units,
    task_xml,
    watch_command,
)
from tests.core.test_crash_safety import cli
from tests.platforms import WINDOWS

REQUEST = ScheduleRequest(every_hours=6, notify=True, rotate_within_days=14)


@pytest.mark.parametrize("every", ["0", "169", "-1", "often"])
def test_an_interval_that_cannot_be_is_refused_before_anything_is_written(every: str) -> None:
    run = cli("schedule", "install", "--every", every, "--print")
    assert run.code == 2 and ("1 to 168" in run.err or "whole number" in run.err), run.err


def test_the_command_runs_the_watch_as_asked() -> None:
    command = watch_command(REQUEST, frozen=False, executable="/usr/bin/python3")
    assert command[0] == "/usr/bin/python3" and command[1].endswith("main.py")
    assert command[2:] == ["watch", "--unattended", "--notify", "--rotate-within", "14"]  # never a prompt
    frozen = watch_command(REQUEST, frozen=True, executable="/opt/sfcw/salesforce-connector-wizard")
    assert frozen[0].endswith(("sfcw", "salesforce-connector-wizard")) and frozen[1] == "watch"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd's own checker is on Linux")
def test_systemd_itself_accepts_the_user_timer_and_service(tmp_path: Path) -> None:
    for every in (1, 6, 24, 72, 168):
        units = systemd_units(ScheduleRequest(every_hours=every), watch_command(REQUEST))
        for name, body in units.items():
            (tmp_path / name).write_text(body)
        done = subprocess.run(
            ["systemd-analyze", "verify", *(str(tmp_path / name) for name in units)], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert "Persistent=true" in units[next(n for n in units if n.endswith(".timer"))]


def test_the_launch_agent_catches_up_at_wake_and_runs_the_watch() -> None:
    plist = plistlib.loads(launchd_plist(REQUEST, ["/Applications/X.app/Contents/MacOS/sfcw", "watch"]))
    assert plist["ProgramArguments"][-1] == "watch" and plist["RunAtLoad"] is False
    assert [t["Hour"] for t in plist["StartCalendarInterval"]] == [0, 6, 12, 18]  # calendar times run at wake


def test_the_task_runs_only_when_the_user_is_logged_on_and_starts_late_runs() -> None:
    xml = task_xml(REQUEST, ["C:\\Program Files\\Salesforce Connector Wizard\\sfcw.exe", "watch", "--notify"])
    ns = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
    root = ET.fromstring(xml.replace('encoding="UTF-16"', ""))
    assert root.findtext("t:Settings/t:StartWhenAvailable", namespaces=ns) == "true"
    assert root.findtext("t:Principals/t:Principal/t:LogonType", namespaces=ns) == "InteractiveToken"
    assert root.findtext("t:Triggers/t:TimeTrigger/t:Repetition/t:Interval", namespaces=ns) == "PT6H"
    assert root.findtext("t:Actions/t:Exec/t:Arguments", namespaces=ns) == "watch --notify"


@pytest.mark.skipif(WINDOWS or shutil.which("crontab") is None, reason="cron is a POSIX scheduler")
def test_where_no_user_systemd_runs_a_crontab_line_is_installed_shown_and_removed() -> None:
    before = subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout
    try:
        subprocess.run(["crontab", "-"], input=before + "5 4 * * * /bin/true # someone else's\n", text=True, check=True)
        installed = cli("schedule", "install", "--every", "12")
        if "systemd user timer" in installed.out:  # a desktop session: the timer is the way there
            assert cli("schedule", "remove").code == 0
            return
        assert installed.code == 0 and "crontab line" in installed.out, installed.err
        lines = subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout.splitlines()
        [ours] = [line for line in lines if line.endswith(CRON_MARK)]
        assert ours.startswith("0 */12 * * * ") and " watch" in ours and "someone else's" in "\n".join(lines)
        assert "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/" in ours  # cron has no session bus of its own
        again = cli("schedule", "install", "--every", "6")  # replaces, never adds a second line
        lines = subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout.splitlines()
        assert again.code == 0 and len([line for line in lines if line.endswith(CRON_MARK)]) == 1
        assert "0 */6 * * *" in cli("schedule", "status").out
        removed = cli("schedule", "remove")
        lines = subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout.splitlines()
        assert removed.code == 0 and not [line for line in lines if line.endswith(CRON_MARK)]
        assert any("someone else's" in line for line in lines)  # only our line went
        assert cli("schedule", "status").out.strip() == "Not installed."
    finally:
        subprocess.run(["crontab", "-"], input=before, text=True, check=False)
    assert crontab_line(REQUEST, ["sfcw", "watch"]).endswith(CRON_MARK)
