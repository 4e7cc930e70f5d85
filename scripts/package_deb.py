"""Pack the frozen app (dist/salesforce-connector-wizard, from build.spec) into a Debian package.

    python3 scripts/package_deb.py [--out DIR]        (python3 scripts/dev.py build runs it on Linux)

The package puts the app under /opt/salesforce-connector-wizard, the wizard and `sfcw` on the PATH
through links in /usr/bin, and the .desktop file and icon where desktops look for them. Its
Depends line is what dpkg-shlibdeps finds for the system libraries the bundle links to (glibc,
libGL/libEGL and libxcb for Qt's xcb platform), so apt installs whatever a minimal system lacks.
No maintainer scripts: dpkg's triggers refresh the menu and icon caches, and removal leaves nothing.
Built with dpkg-deb (owner root from --root-owner-group, so no fakeroot is needed).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import APP_ID, APP_NAME, MAINTAINER, __version__  # noqa: E402 - after the path set-up

INSTALL_DIR = f"/opt/{APP_ID}"
#: Names on the PATH -> the executable in INSTALL_DIR they start.
COMMANDS = {APP_ID: APP_ID, "sfcw": "sfcw"}
DESKTOP_FILE = f"/usr/share/applications/{APP_ID}.desktop"
ICON_FILE = f"/usr/share/icons/hicolor/256x256/apps/{APP_ID}.png"
DOC_DIR = f"/usr/share/doc/{APP_ID}"
DESCRIPTION = f"""\
{APP_NAME}: set up Unstructured Salesforce source connectors
 Generates the key pair and certificate offline, keeps secrets in the system
 keyring, creates or guides the Salesforce External Client App, proves the JWT
 login and creates the connector on the Unstructured Platform. Includes the
 wizard and the scriptable command line tool sfcw."""


def deb_name(version: str = __version__, arch: str | None = None) -> str:
    return f"{APP_ID}_{version}_{arch or architecture()}.deb"


def architecture() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()


def stage(frozen: Path, root: Path) -> None:
    """Lay out the package's files under ``root`` with Debian's modes (0755 folders and programs, 0644 data)."""
    app = root / INSTALL_DIR.lstrip("/")
    # The archive's extras (the .desktop file and icon beside the programs) have their own places here.
    shutil.copytree(frozen, app, symlinks=True, ignore=shutil.ignore_patterns(f"{APP_ID}.desktop", f"{APP_ID}.png"))
    bin_dir = root / "usr/bin"
    bin_dir.mkdir(parents=True)
    for command, target in COMMANDS.items():
        os.symlink(f"{INSTALL_DIR}/{target}", bin_dir / command)
    for source, dest in (
        (ROOT / "resources" / f"{APP_ID}.desktop", DESKTOP_FILE),
        (ROOT / "resources" / "icon.png", ICON_FILE),
    ):
        (root / dest.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / dest.lstrip("/"))
    doc = root / DOC_DIR.lstrip("/")
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        f"{APP_NAME} {__version__}\n\n"
        f"The third-party software it contains and their licences are listed in\n"
        f"{INSTALL_DIR}/_internal/resources/THIRD_PARTY_LICENSES.txt\n",
        encoding="utf-8",
    )
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            os.chmod(Path(folder) / name, 0o755)
        for name in files:
            path = Path(folder) / name
            if path.is_symlink():
                continue
            executable = path.stat().st_mode & stat.S_IXUSR
            os.chmod(path, 0o755 if executable else 0o644)


def shlib_depends(work: Path, root: Path) -> str:
    """The Depends line for the system libraries the bundle's ELF files need (dpkg-shlibdeps).

    ``root`` is ``work/debian/PACKAGE``, the layout dpkg-shlibdeps expects. Only what the system
    must provide becomes a dependency, with the lowest version the bundle's symbols need (the
    glibc floor comes from the build machine, hence the oldest supported LTS in the release job).
    """
    elves = [
        p for p in (root / INSTALL_DIR.lstrip("/")).rglob("*") if p.is_file() and not p.is_symlink() and _is_elf(p)
    ]
    private = sorted({str(p.parent) for p in elves})
    (work / "debian" / "control").write_text(
        f"Source: {APP_ID}\n\nPackage: {APP_ID}\nArchitecture: any\n", encoding="utf-8"
    )
    # The bundle's own copies of libraries (libQt6Gui.so.6, libX11.so.6, ...) are not dependencies:
    # a shlibs.local entry with no dependency keeps dpkg-shlibdeps from naming the system's package.
    bundled = sorted({p.name for p in elves if ".so." in p.name})
    (work / "debian" / "shlibs.local").write_text(
        "".join(f"{name.split('.so.', 1)[0]} {name.split('.so.', 1)[1]}\n" for name in bundled), encoding="utf-8"
    )
    found = subprocess.run(
        [
            "dpkg-shlibdeps",
            "-O",
            "--ignore-missing-info",
            "--warnings=0",
            *(f"-l{p}" for p in private),
            "-e",
            *map(str, elves),
        ],
        cwd=work,
        capture_output=True,
        text=True,
    )
    if found.returncode != 0:
        # The whole error: its useful line (which library, needed by which file) is not always the last.
        libraries = sorted(set(re.findall(r"cannot find library (\S+)", found.stderr)))
        advice = (
            f"\nThis machine lacks {', '.join(libraries)}, which the bundle links to. Install Qt's system "
            "libraries (python3 scripts/dev.py build does so as root, or prints the apt-get line), then build again."
            if libraries
            else ""
        )
        sys.exit(f"dpkg-shlibdeps failed:\n{found.stderr.strip()}{advice}")
    line = re.search(r"^shlibs:Depends=(.*)$", found.stdout, re.MULTILINE)
    if line is None:
        sys.exit(f"dpkg-shlibdeps printed no Depends line:\n{found.stdout[-2000:]}")
    return line.group(1).strip()


def _is_elf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def control(root: Path, depends: str) -> str:
    size_kib = sum(p.lstat().st_size for p in root.rglob("*")) // 1024
    return (
        f"Package: {APP_ID}\n"
        f"Version: {__version__}\n"
        f"Architecture: {architecture()}\n"
        f"Maintainer: {MAINTAINER}\n"
        f"Installed-Size: {size_kib}\n"
        f"Depends: {depends}\n"
        "Section: utils\n"
        "Priority: optional\n"
        f"Description: {DESCRIPTION}\n"
    )


def build(frozen: Path, out_dir: Path) -> Path:
    if not (frozen / "sfcw").exists():
        sys.exit(f"{frozen} holds no frozen app; run python3 scripts/dev.py build first.")
    for tool in ("dpkg-deb", "dpkg-shlibdeps"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing: install it with  sudo apt-get install dpkg-dev")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / deb_name()
    with tempfile.TemporaryDirectory(prefix="sfcw-deb-") as folder:
        work = Path(folder)
        root = work / "debian" / APP_ID
        stage(frozen, root)
        depends = shlib_depends(work, root)
        (root / "DEBIAN").mkdir(mode=0o755)
        (root / "DEBIAN" / "control").write_text(control(root, depends), encoding="utf-8")
        subprocess.run(
            ["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(root), str(target)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    print(f"{target}  {target.stat().st_size / 1e6:.1f} MB")
    return target


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frozen", type=Path, default=ROOT / "dist" / APP_ID)
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    build(args.frozen, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
