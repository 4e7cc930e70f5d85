"""A keyboard focus that can be seen: Qt's own style, with a solid focus frame.

Fusion (the style on Linux without a desktop theme, and under Xvfb) marks the focused radio button
or check box with a faint light-blue tint that all but vanishes on the wizard's white first page:
walking Welcome and Key with Tab showed no focus at all. This proxy keeps the platform's style and
draws the focus frame as a 2-pixel line in the palette's highlight colour, readable on light and
dark themes alike; everything else is drawn by the style itself.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleFactory, QStyleOption, QWidget

from gui.widgets import contrast

#: Pixels of the focus line.
FOCUS_WIDTH = 2


class VisibleFocusStyle(QProxyStyle):
    def drawPrimitive(  # noqa: N802 - Qt's name
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        if element == QStyle.PrimitiveElement.PE_FrameFocusRect:
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            painter.setPen(QPen(focus_colour(option.palette), FOCUS_WIDTH))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            half = FOCUS_WIDTH / 2
            painter.drawRect(QRectF(option.rect).adjusted(half, half, -half, -half))
            painter.restore()
            return
        super().drawPrimitive(element, option, painter, widget)


def focus_colour(palette: QPalette) -> QColor:
    """The highlight colour, or the text colour where the highlight is too faint on this background."""
    highlight = palette.color(QPalette.ColorRole.Highlight)
    for background in (QPalette.ColorRole.Base, QPalette.ColorRole.Window):
        if contrast(highlight, palette.color(background)) < 3.0:  # WCAG's minimum for non-text marks
            return palette.color(QPalette.ColorRole.WindowText)
    return highlight


def install_visible_focus(app: QApplication) -> None:
    """Wrap the application's style once (tests and the demo build several wizards in one process)."""
    if isinstance(app.style(), VisibleFocusStyle):
        return
    base = QStyleFactory.create(app.style().name())
    app.setStyle(VisibleFocusStyle(base) if base is not None else VisibleFocusStyle())
