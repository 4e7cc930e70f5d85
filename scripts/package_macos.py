"""Build the macOS disk image (DMG, drag to Applications) and installer package (.pkg, for Jamf).

    python3 scripts/package_macos.py [--out DIR]    (on macOS, after python3 scripts/dev.py build and signing)

Uses only the tools macOS ships: hdiutil for the DMG, pkgbuild for the package (installs the
app into /Applications; `sudo installer -pkg FILE -target /` installs it silently). Sign and
notarise the app before this (see the README's "Signing"), and the package after it with
productsign if a Developer ID Installer certificate is available (the release workflow does).
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import APP_ID, APP_NAME, BUNDLE_ID, __version__  # noqa: E402 - after the path set-up


def build(app: Path, out_dir: Path) -> list[Path]:
    if sys.platform != "darwin":
        sys.exit("The DMG and .pkg are built on macOS.")
    if not app.exists():
        sys.exit(f"{app} is missing; run python3 scripts/dev.py build first.")
    arch = platform.machine().lower()
    dmg = out_dir / f"{APP_ID}-{__version__}-macos-{arch}.dmg"
    pkg = out_dir / f"{APP_ID}-{__version__}-macos-{arch}.pkg"
    with tempfile.TemporaryDirectory() as folder:
        staging = Path(folder) / APP_NAME
        staging.mkdir()
        subprocess.run(["ditto", str(app), str(staging / app.name)], check=True)
        (staging / "Applications").symlink_to("/Applications")
        subprocess.run(
            ["hdiutil", "create", "-volname", APP_NAME, "-srcfolder", str(staging), "-format", "UDZO", "-ov", str(dmg)],
            check=True,
        )
    subprocess.run(
        [
            "pkgbuild",
            "--component",
            str(app),
            "--install-location",
            "/Applications",
            "--identifier",
            BUNDLE_ID,
            "--version",
            __version__,
            str(pkg),
        ],
        check=True,
    )
    for made in (dmg, pkg):
        print(f"{made}  {made.stat().st_size / 1e6:.1f} MB")
    return [dmg, pkg]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app", type=Path, default=ROOT / "dist" / f"{APP_NAME}.app")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    build(args.app, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
