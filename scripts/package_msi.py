"""Build the Windows installer (MSI) from the frozen app with the WiX Toolset.

    python scripts/package_msi.py [--out DIR]      (on Windows, after python scripts/dev.py build)

Needs WiX 5 (`dotnet tool install --global wix --version 5.0.2`); the release workflow's Windows
job installs it. The version, product name and publisher come from core/__init__.py, the one place
they are kept. See packaging/windows/salesforce-connector-wizard.wxs for what the MSI does.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import APP_ID, APP_NAME, COMPANY, __version__  # noqa: E402 - after the path set-up

WXS = ROOT / "packaging" / "windows" / f"{APP_ID}.wxs"


def msi_name(arch: str = "x64") -> str:
    return f"{APP_ID}-{__version__}-windows-{arch}.msi"


def wix_defines(frozen: Path) -> dict[str, str]:
    """The preprocessor variables the .wxs uses ($(var.NAME)), all from one place."""
    return {
        "ProductName": APP_NAME,
        "Company": COMPANY,
        "Version": __version__,
        "AppDir": str(frozen),
        "Icon": str(ROOT / "resources" / "icon.ico"),
    }


def build(frozen: Path, out_dir: Path) -> Path:
    wix = shutil.which("wix")
    if wix is None:
        sys.exit("The WiX Toolset is missing: dotnet tool install --global wix --version 5.0.2")
    if not (frozen / "sfcw.exe").exists():
        sys.exit(f"{frozen} holds no frozen app; run python scripts/dev.py build first.")
    arch = "arm64" if platform.machine().lower() in ("arm64", "aarch64") else "x64"
    target = out_dir / msi_name(arch)
    defines = [arg for name, value in wix_defines(frozen).items() for arg in ("-d", f"{name}={value}")]
    subprocess.run([wix, "build", str(WXS), "-arch", arch, *defines, "-o", str(target)], check=True)
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
