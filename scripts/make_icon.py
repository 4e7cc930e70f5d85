"""Draw the application icon (a key over a cloud) into resources/: PNG, Windows .ico, and sizes for macOS.

Run once when the design changes: python scripts/make_icon.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPen  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "resources"


def draw(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 256
    # rounded tile
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(QColor("#0b5cad")))
    p.drawRoundedRect(QRectF(8 * s, 8 * s, 240 * s, 240 * s), 48 * s, 48 * s)
    # cloud
    cloud = QPainterPath()
    cloud.setFillRule(Qt.FillRule.WindingFill)
    cloud.addEllipse(QPointF(96 * s, 118 * s), 46 * s, 40 * s)
    cloud.addEllipse(QPointF(148 * s, 100 * s), 56 * s, 52 * s)
    cloud.addEllipse(QPointF(190 * s, 128 * s), 36 * s, 32 * s)
    cloud.addRoundedRect(QRectF(56 * s, 118 * s, 168 * s, 44 * s), 22 * s, 22 * s)
    p.setBrush(QBrush(QColor("#ffffff")))
    p.drawPath(cloud.simplified())
    # key
    pen = QPen(QColor("#f2a900"), 16 * s, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawEllipse(QPointF(92 * s, 188 * s), 24 * s, 24 * s)
    p.drawLine(QPointF(116 * s, 188 * s), QPointF(208 * s, 188 * s))
    p.drawLine(QPointF(184 * s, 188 * s), QPointF(184 * s, 212 * s))
    p.drawLine(QPointF(204 * s, 188 * s), QPointF(204 * s, 206 * s))
    p.end()
    return image


def main() -> int:
    app = QGuiApplication(sys.argv)  # noqa: F841 - fonts and image plugins need it
    OUT.mkdir(exist_ok=True)
    draw(256).save(str(OUT / "icon.png"))
    draw(1024).save(str(OUT / "icon-1024.png"))
    draw(256).save(str(OUT / "icon.ico"))
    print(f"wrote {OUT / 'icon.png'}, icon-1024.png, icon.ico")
    return 0


if __name__ == "__main__":
    sys.exit(main())
