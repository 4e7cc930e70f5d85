"""The README's screenshots come from a script that walks the real flow; it must keep working."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]


def test_screenshot_script_renders_every_step(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "screenshots.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    shots = sorted(tmp_path.glob("*.png"))
    assert [p.name.split("-", 1)[1] for p in shots] == [
        "welcome.png",
        "key-and-certificate.png",
        "salesforce-app-checklist.png",
        "credentials.png",
        "verify-not-yet-approved.png",
        "verify-login-works.png",
        "unstructured.png",
        "review.png",
        "created-and-checked.png",
        "done.png",
        "salesforce-app-set-it-up-for-me.png",
        "set-up-plan.png",
        "set-up-done.png",
        "set-up-connected-app-offered.png",
        "manage-field-check-passed.png",
    ]
    for shot in shots:
        image = QImage(str(shot))
        assert image.width() >= 800 and image.height() >= 600
