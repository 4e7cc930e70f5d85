"""Packaged app figures: archive and unpacked size, frozen vs source start-up, GUI peak memory.

Run after `python3 scripts/dev.py build`:  python3 scripts/dev.py bench --only package
Goals: archive <= 40 MB; frozen start-up <= 1.2x source; GUI peak memory <= 120 MB. Prints; asserts nothing.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from scripts.smoke_frozen import exe, frozen_dir  # noqa: E402


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def first_page(command: list[str], env: dict[str, str], log: Path) -> tuple[float, float]:
    """Seconds until the wizard is shown (its log line), and peak resident memory in MB (Linux)."""
    log.unlink(missing_ok=True)
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shown = float("nan")
    peak = float("nan")
    try:
        deadline = started + 30
        while time.perf_counter() < deadline:
            if log.exists() and "Wizard shown" in log.read_text(errors="replace"):
                shown = time.perf_counter() - started
                break
            time.sleep(0.005)
        time.sleep(0.3)
        status = Path(f"/proc/{process.pid}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) / 1024
    finally:
        process.terminate()
        process.wait(10)
    return shown, peak


def main() -> None:
    print("== Package")
    archives = sorted((ROOT / "dist").glob("salesforce-connector-wizard-*.tar.xz")) + sorted(
        (ROOT / "dist").glob("salesforce-connector-wizard-*.zip")
    )
    if not archives or not exe("sfcw").exists():
        print("no build found: run python3 scripts/dev.py build first")
        return
    size = archives[-1].stat().st_size / 1e6
    print(f"archive {archives[-1].name:48s} {size:6.1f} MB  ({'meets' if size <= 40 else 'MISSES'} goal <= 40 MB)")
    print(f"unpacked {str(frozen_dir().relative_to(ROOT)):47s} {folder_size(frozen_dir()) / 1e6:6.1f} MB")

    env = dict(os.environ, SFCW_HOME=tempfile.mkdtemp(prefix="sfcw-pkg-bench-"), QT_QPA_PLATFORM="offscreen")
    frozen: list[float] = []
    source: list[float] = []
    for _ in range(15):
        for command, times in (
            ([str(exe("sfcw")), "--version"], frozen),
            ([sys.executable, str(ROOT / "main.py"), "--version"], source),
        ):
            started = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
            times.append(time.perf_counter() - started)
    ratio = statistics.median(frozen) / statistics.median(source)
    print(
        f"--version: frozen {statistics.median(frozen) * 1000:.0f} ms, source {statistics.median(source) * 1000:.0f} ms, "
        f"ratio {ratio:.2f}x  ({'meets' if ratio <= 1.2 else 'MISSES'} goal <= 1.2x)"
    )

    log = Path(env["SFCW_HOME"]) / "logs" / "wizard.log"
    frozen_gui = [first_page([str(exe("salesforce-connector-wizard"))], env, log) for _ in range(5)]
    source_gui = [first_page([sys.executable, str(ROOT / "main.py")], env, log) for _ in range(5)]
    f_time = statistics.median(t for t, _ in frozen_gui)
    s_time = statistics.median(t for t, _ in source_gui)
    peak = statistics.median(m for _, m in frozen_gui)
    print(
        f"wizard shown: frozen {f_time * 1000:.0f} ms, source {s_time * 1000:.0f} ms, ratio {f_time / s_time:.2f}x  "
        f"({'meets' if f_time / s_time <= 1.2 else 'MISSES'} goal <= 1.2x)"
    )
    print(
        f"GUI peak memory (frozen, first page)           {peak:6.1f} MB  ({'meets' if peak <= 120 else 'MISSES'} goal <= 120 MB)"
    )


if __name__ == "__main__":
    main()
