"""Write the CycloneDX SBOM of the Python packages the app ships, with cyclonedx-bom.

    python3 scripts/sbom.py [--out DIR]        (python3 scripts/dev.py build runs it)

The packaged app holds exactly requirements.txt and what it pulls in, plus PyInstaller's
bootloader. The development environment holds much more (pytest, mypy, ...), so the SBOM is
taken from a throwaway environment with only those packages (installed from pip's cache after
the first build), never from .venv.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import venv
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import APP_ID, APP_NAME, COMPANY, __version__  # noqa: E402 - after the path set-up


def shipped_pins() -> dict[str, str]:
    """requirements.txt's pinned runtime packages, name -> version (what the SBOM must list)."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, version = line.strip().split("==", 1)
            pins[name.strip()] = version.strip()
    return pins


def sbom_name() -> str:
    return f"{APP_ID}-{__version__}.cdx.json"


def write_sbom(out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / sbom_name()
    with tempfile.TemporaryDirectory(prefix="sfcw-sbom-") as folder:
        env_dir = Path(folder) / "shipped"
        venv.create(env_dir, with_pip=False)  # no pip or setuptools: they are not shipped
        python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        pip = [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ]
        subprocess.run([*pip, "-r", str(ROOT / "requirements.txt")], check=True)
        # The bootloader and run-time hooks in every executable come from PyInstaller itself.
        subprocess.run([*pip, "--no-deps", f"pyinstaller=={version('pyinstaller')}"], check=True)
        project = Path(folder) / "pyproject.toml"
        pins = [f"{name}=={version}" for name, version in shipped_pins().items()]
        # The root component with its direct dependencies, so that the graph starts at the app.
        project.write_text(
            f'[project]\nname = "{APP_ID}"\nversion = "{__version__}"\n'
            f'description = "{APP_NAME}"\nauthors = [{{ name = "{COMPANY}" }}]\n'
            f"dependencies = {json.dumps(pins)}\n",
            encoding="utf-8",
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "cyclonedx_py",
                "environment",
                str(python),
                "--pyproject",
                str(project),
                "--mc-type",
                "application",
                "--output-reproducible",
                "-o",
                str(target),
            ],
            check=True,
        )
    print(f"{target}")
    return target


def name_artifacts(folder: Path) -> Path:
    """Name each release file in ``folder`` (the archive, the .deb, the MSI, ...) in the SBOM there, as a
    distribution of the app with its SHA-256, so that the SBOM says which files it describes. Run again after
    a file is added (the MSI is built later, from the Windows app): the list is replaced, never doubled."""
    from scripts.checksums import artifacts, sha256

    target = folder / sbom_name()
    bom = json.loads(target.read_text(encoding="utf-8"))
    component = bom["metadata"]["component"]
    kept = [ref for ref in component.get("externalReferences", []) if ref.get("type") != "distribution"]
    named = [
        {
            "type": "distribution",
            "url": path.name,  # an IRI reference, relative to where the SBOM is published with the files
            "comment": "release file of this version",
            "hashes": [{"alg": "SHA-256", "content": sha256(path)}],
        }
        for path in artifacts(folder)
        if path.name != target.name
    ]
    component["externalReferences"] = kept + named
    target.write_text(json.dumps(bom, indent=2) + "\n", encoding="utf-8")
    return target


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument(
        "--name-artifacts",
        type=Path,
        metavar="DIR",
        help="only name the release files in DIR in the SBOM there (after the MSI is built)",
    )
    args = parser.parse_args(argv)
    if args.name_artifacts:
        print(name_artifacts(args.name_artifacts))
        return 0
    name_artifacts(write_sbom(args.out).parent)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
