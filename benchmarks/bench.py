"""Benchmarks: prints figures against the project's goals. Not a test; nothing here asserts.

    python3 scripts/dev.py bench [--runs N] [--only cli|gui]

CLI: `keygen` (2048) whole-process time against `openssl genrsa -traditional 2048` (goal <= 1.0x),
`--version` start-up, and whether the CLI path imported any Qt module (goal: none).
GUI: gui_bench.py (event-loop stalls, time to first page). Package: package_bench.py (after a build).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAIN = str(ROOT / "main.py")


def timed(command: list[str], runs: int, *, env: dict[str, str] | None = None) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - started)
    return times


def describe(times: list[float]) -> str:
    return f"median {statistics.median(times) * 1000:7.1f} ms  (min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}, n={len(times)})"


def bench_cli(runs: int) -> None:
    env = dict(os.environ, SFCW_HOME=tempfile.mkdtemp(prefix="sfcw-bench-"))
    print("== CLI")
    version = timed([sys.executable, MAIN, "--version"], runs, env=env)
    print(f"--version start-up          {describe(version)}")

    # keygen and openssl alternate so that machine load drifts hit both alike; RSA prime search
    # time is random, so medians over many runs are what compare.
    keygen_times, openssl_times = [], []
    have_openssl = shutil.which("openssl") is not None
    for _ in range(runs):
        out = tempfile.mkdtemp(prefix="sfcw-keygen-")
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, MAIN, "keygen", "--out", out, "--bits", "2048"],
            check=True,
            stdout=subprocess.DEVNULL,
            env=env,
        )
        keygen_times.append(time.perf_counter() - started)
        shutil.rmtree(out)
        if have_openssl:
            openssl_times += timed(["openssl", "genrsa", "-traditional", "-out", os.devnull, "2048"], 1)
    print(f"keygen 2048 (key+cert)      {describe(keygen_times)}")
    if have_openssl:
        print(f"openssl genrsa 2048 (key)   {describe(openssl_times)}")
        ratio = statistics.median(keygen_times) / statistics.median(openssl_times)
        verdict = "meets" if ratio <= 1.0 else "MISSES"
        print(f"keygen / openssl ratio      {ratio:.2f}x  ({verdict} goal <= 1.0x)")
    else:
        print("openssl not found: ratio not measured")

    probe = (
        "import runpy, sys\n"
        f"sys.argv = [{MAIN!r}, '--version']\n"
        "try:\n"
        f"    runpy.run_path({MAIN!r}, run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))}))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    modules = result.stdout.strip().splitlines()[-1]
    print(f"Qt modules on the CLI path  {modules}  (goal: [])")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=41)
    parser.add_argument("--only", choices=["cli", "gui", "package", "setup", "watch"], default=None)
    args = parser.parse_args()
    if args.only in (None, "cli"):
        bench_cli(args.runs)
    if args.only in (None, "gui"):
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gui_bench.py")], check=False, cwd=ROOT)
    if args.only in (None, "package"):
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "package_bench.py")], check=False, cwd=ROOT)
    if args.only in (None, "setup"):
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "setup_bench.py")], check=False, cwd=ROOT)
    if args.only in (None, "watch"):
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "watch_bench.py")], check=False, cwd=ROOT)


if __name__ == "__main__":
    main()
