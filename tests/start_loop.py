"""Start the app N times as a user does, every page built, and count the starts that crashed.

    python -m tests.start_loop [N]        (the test command runs 30 under Xvfb with the real keyring)

A crash at start is the worst thing a desktop app can do. Each start is ``main.main([])`` exactly, in a
process of its own with faulthandler on; once the window has been painted and every deferred page is built,
the event loop runs on for a moment (the Welcome page's keyring check and the expiry look finish, their
results are delivered), then the app quits as a close does. A start whose process ends by a signal, or
prints "Fatal Python error", is a crash: its output is shown. Exit 1 if any start crashed or did not end.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: One start: the real main(), and a watcher that quits once every page is built and the loop has run on.
START = """
import sys, time
sys.path.insert(0, {root!r})
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

class Watcher(QObject):
    def __init__(self):
        super().__init__()
        self.exposed = None

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Expose and self.exposed is None and getattr(obj, "isExposed", lambda: 0)():
            self.exposed = time.monotonic()
            QTimer.singleShot(0, self.poll)
        return False

    def poll(self):
        from gui.wizard import ConnectorWizard
        wizards = [w for w in QApplication.topLevelWidgets() if isinstance(w, ConnectorWizard)]
        if wizards and wizards[0]._built:
            print("built", round((time.monotonic() - START) * 1000), flush=True)
            QTimer.singleShot(400, wizards[0].close)  # the workers' results arrive; then a close, as a user's
            return
        QTimer.singleShot(10, self.poll)

START = time.monotonic()
app = QApplication(sys.argv)
watcher = Watcher()
app.installEventFilter(watcher)
import main
sys.exit(main.main([]))
"""


def one_start(home: Path) -> tuple[bool, float | None, str]:
    """(crashed, ms to every page built, output) of one start."""
    env = dict(os.environ, SFCW_HOME=str(home), PYTHONFAULTHANDLER="1")
    try:
        done = subprocess.run(
            [sys.executable, "-X", "faulthandler", "-c", START.format(root=str(ROOT))],
            capture_output=True,
            text=True,
            errors="replace",
            env=env,
            timeout=120,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired as exc:
        said = [
            part.decode(errors="replace") if isinstance(part, bytes) else part or ""
            for part in (exc.stdout, exc.stderr)
        ]
        return True, None, "did not end within 120 s\n" + "".join(said)
    output = done.stdout + done.stderr
    crashed = done.returncode != 0 or "Fatal Python error" in output  # a signal: a negative code
    built = next((float(line.split()[1]) for line in done.stdout.splitlines() if line.startswith("built ")), None)
    return crashed or built is None, built, f"exit {done.returncode}\n{output}"


def main(argv: list[str]) -> int:
    import tempfile

    runs = int(argv[0]) if argv else 30
    home = Path(tempfile.mkdtemp(prefix="sfcw-starts-"))
    crashes = 0
    times: list[float] = []
    started = time.monotonic()
    for index in range(runs):
        crashed, built, output = one_start(home)  # one settings folder: later starts find what earlier ones left
        if built is not None:
            times.append(built)
        if crashed:
            crashes += 1
            print(f"start {index + 1}: CRASHED or did not finish\n{output[-4000:]}", flush=True)
    median = f"{statistics.median(times):.0f} ms" if times else "n/a"
    platform = os.environ.get("QT_QPA_PLATFORM", "default")
    print(
        f"start-up loop: {runs} starts, {crashes} crashed; every page built after {median} (median, platform "
        f"{platform}); {time.monotonic() - started:.0f} s in all",
        flush=True,
    )
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
