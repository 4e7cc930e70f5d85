"""The one way to find bundled resources, from source and from a PyInstaller build alike."""

from __future__ import annotations

import sys
from pathlib import Path


def resource_path(name: str) -> Path:
    """Path of ``resources/NAME``: beside the sources, or in the frozen bundle (``sys._MEIPASS``)."""
    base = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[1]))
    return base / "resources" / name
