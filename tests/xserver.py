"""A real X server for the tests that look at the app as a user does: Xvfb, on a display it picks."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def xvfb(width: int = 1280, height: int = 720, dpi: int = 96) -> Iterator[str]:
    """Start Xvfb with one screen of ``width`` x ``height`` pixels; yield its DISPLAY (":N")."""
    if shutil.which("Xvfb") is None:
        raise RuntimeError("Xvfb is missing; python3 scripts/dev.py test installs it (apt-get install xvfb).")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        [
            "Xvfb",
            "-displayfd",
            str(write_end),
            "-screen",
            "0",
            f"{width}x{height}x24",
            "-dpi",
            str(dpi),
            "-nolisten",
            "tcp",
            "-noreset",
        ],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(write_end)
    number = b""
    deadline = time.monotonic() + 20
    try:
        while not number.endswith(b"\n"):
            ready, _, _ = select.select([read_end], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(read_end, 16) if ready else b""
            if not chunk:
                said = server.stderr.read(2000).decode(errors="replace") if server.stderr else ""
                raise RuntimeError(f"Xvfb did not start: {said if server.poll() is not None else 'timeout'}")
            number += chunk
    finally:
        os.close(read_end)
    try:
        yield f":{number.decode().strip()}"
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def window_titles(display: str) -> list[str]:
    """The names of every window on ``display`` (xwininfo -root -tree)."""
    tree = subprocess.run(
        ["xwininfo", "-root", "-tree"],
        env=dict(os.environ, DISPLAY=display),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line.split('"')[1] for line in tree.splitlines() if line.count('"') >= 2]


def wait_for_window(display: str, title: str, *, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(name.startswith(title) for name in window_titles(display)):
            return True
        time.sleep(0.25)
    return False


def main(argv: list[str]) -> int:
    """python -m tests.xserver WIDTHxHEIGHT SCALE COMMAND...: run COMMAND on a fresh Xvfb with Qt's xcb platform."""
    size, scale, *command = argv
    width, height = (int(part) for part in size.split("x"))
    with xvfb(width, height) as display:
        env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", QT_SCALE_FACTOR=scale)
        return subprocess.call(command, env=env)


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
