"""Write resources/THIRD_PARTY_LICENSES.txt from the installed runtime packages' own licence files.

Run after changing requirements.txt: python scripts/collect_licenses.py
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def runtime_distributions() -> list[str]:
    """requirements.txt's packages and everything they require, transitively."""
    wanted = [
        line.split("==")[0].strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    seen: dict[str, metadata.Distribution] = {}
    while wanted:
        name = wanted.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        key = dist.metadata["Name"].lower()
        if key in seen:
            continue
        seen[key] = dist
        for requirement in dist.requires or []:
            if "extra ==" in requirement:
                continue
            if ";" in requirement and "platform" in requirement.split(";", 1)[1]:
                pass  # platform-specific dependencies are listed too
            wanted.append(re.split(r"[ ;<>=!~\[(]", requirement, maxsplit=1)[0])
    return sorted(seen, key=str.lower)


def _first(meta: metadata.PackageMetadata, field: str) -> str:
    return str((meta.get_all(field) or [""])[0])


def main() -> None:
    parts = ["Salesforce Connector Wizard includes the following third-party software.\n"]
    for name in runtime_distributions():
        dist = metadata.distribution(name)
        meta = dist.metadata
        licence = _first(meta, "License-Expression") or _first(meta, "License")
        if len(licence) > 200 or not licence:
            classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License")]
            licence = ", ".join(classifiers) or "see below"
        parts.append("=" * 78)
        parts.append(f"{meta['Name']} {dist.version} - {licence}")
        home = _first(meta, "Home-page") or next((u.split(", ", 1)[-1] for u in meta.get_all("Project-URL") or []), "")
        if home:
            parts.append(home)
        for file in dist.files or []:
            if re.search(r"(LICEN[CS]E|COPYING|NOTICE)", file.name, re.IGNORECASE) and file.suffix in (
                "",
                ".txt",
                ".md",
                ".rst",
                ".APACHE",
                ".BSD",
                ".PSF",
            ):
                try:
                    parts.append(
                        f"\n--- {file.name} ---\n"
                        + Path(str(dist.locate_file(file))).read_text(encoding="utf-8").strip()
                    )
                except (OSError, UnicodeDecodeError):
                    continue
        parts.append("")
    out = ROOT / "resources" / "THIRD_PARTY_LICENSES.txt"
    out.write_text("\n".join(parts) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
