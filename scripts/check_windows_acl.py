"""On Windows: check that key files and the app's folders are owner-only, by reading their ACL back.

    python scripts/check_windows_acl.py [SFCW]      (the release and CI workflows' Windows jobs run it)

Makes a key with `sfcw keygen` (the frozen one if given, else from source) into a fresh folder
under a settings home of its own, then runs icacls on the private key, the folder keygen created
and the log folder. Each must list exactly the current user and NT AUTHORITY\\SYSTEM with full
access (F), and nothing inherited ((I)). Prints one line per path; exits 1 on any other entry.
"""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def acl_entries(path: Path) -> list[str]:
    shown = subprocess.run(["icacls", str(path)], capture_output=True, text=True, check=True).stdout
    # icacls prints "PATH USER:(F)" on the first line, one entry per following line, then a summary.
    lines = [line.strip() for line in shown.splitlines() if line.strip() and "Successfully processed" not in line]
    lines[0] = lines[0][len(str(path)) :].strip()
    return lines


def check(path: Path, user: str) -> bool:
    entries = acl_entries(path)
    expected_user = [e for e in entries if e.lower().split(":")[0].endswith("\\" + user.lower())]
    system = [e for e in entries if e.upper().startswith("NT AUTHORITY\\SYSTEM:")]
    others = [e for e in entries if e not in expected_user and e not in system]
    ok = (
        len(expected_user) == 1
        and len(system) == 1
        and not others
        and all("(F)" in e and "(I)" not in e for e in entries)
    )
    print(f"{'ok  ' if ok else 'FAIL'} {path}: {'; '.join(entries)}")
    return ok


def main(argv: list[str]) -> int:
    if sys.platform != "win32":
        sys.exit("This check reads Windows ACLs; run it on Windows.")
    sfcw = [argv[0]] if argv else [sys.executable, str(ROOT / "main.py")]
    work = Path(tempfile.mkdtemp(prefix="sfcw-acl-"))
    home = work / "home"
    out = work / "keys" / "made-by-keygen"
    env = dict(os.environ, SFCW_HOME=str(home))
    subprocess.run([*sfcw, "keygen", "--out", str(out), "--name", "acl-check"], check=True, env=env)
    key = out / "acl-check.pem"
    user = getpass.getuser()
    results = [check(key, user), check(out, user)]
    for folder in (home / "config", home / "logs"):
        if folder.exists():
            results.append(check(folder, user))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
