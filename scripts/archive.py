"""Pack dist/ into the release archive (tar.gz; zip on Windows) and print its size."""

from __future__ import annotations

import lzma
import platform
import shutil
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import APP_ID, __version__  # noqa: E402 - after the path set-up


def main() -> int:
    version = __version__
    dist = ROOT / "dist"
    system = {"win32": "windows", "darwin": "macos"}.get(sys.platform, "linux")
    base = dist / f"{APP_ID}-{version}-{system}-{platform.machine().lower()}"
    if sys.platform == "darwin":
        root, folder = dist, "Salesforce Connector Wizard.app"
    else:
        root, folder = dist, APP_ID
        if sys.platform.startswith("linux"):
            shutil.copy2(ROOT / "resources" / f"{APP_ID}.desktop", dist / APP_ID / f"{APP_ID}.desktop")
            shutil.copy2(ROOT / "resources" / "icon.png", dist / APP_ID / f"{APP_ID}.png")
    if sys.platform == "win32":  # zip is what Windows opens natively
        archive = Path(shutil.make_archive(str(base), "zip", root, folder))
    else:  # xz at its strongest packs the Qt and ICU libraries a third smaller than gzip
        archive = base.with_name(base.name + ".tar.xz")
        # typeshed allows presets 0-9 only; lzma also takes the PRESET_EXTREME flag.
        with tarfile.open(archive, "w:xz", preset=9 | lzma.PRESET_EXTREME) as tar:  # type: ignore[call-overload]
            tar.add(root / folder, arcname=folder)
    size = archive.stat().st_size / 1e6
    print(f"{archive}  {size:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
