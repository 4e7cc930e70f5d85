"""Write dist/SHA256SUMS for the release artifacts, in the format `sha256sum -c` checks.

    python3 scripts/checksums.py [DIR]        (python3 scripts/dev.py build runs it)

Verify a download:  sha256sum -c SHA256SUMS --ignore-missing      (Linux)
                    shasum -a 256 -c SHA256SUMS --ignore-missing  (macOS)
                    Get-FileHash FILE -Algorithm SHA256            (Windows, compare by eye or script)
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACT_SUFFIXES = (".tar.xz", ".zip", ".deb", ".msi", ".dmg", ".pkg", ".cdx.json")
SUMS = "SHA256SUMS"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def artifacts(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(ARTIFACT_SUFFIXES))


def write_sums(folder: Path) -> Path:
    found = artifacts(folder)
    if not found:
        sys.exit(f"No release artifacts in {folder}; build first (python3 scripts/dev.py build).")
    # Binary mode marker ('*') so that sha256sum on Windows (Git Bash) reads the files the same way.
    text = "".join(f"{sha256(p)} *{p.name}\n" for p in found)
    target = folder / SUMS
    target.write_text(text, encoding="utf-8", newline="\n")
    print(text, end="")
    return target


def main(argv: list[str]) -> int:
    write_sums(Path(argv[0]) if argv else ROOT / "dist")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
