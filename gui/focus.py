"""A keyboard focus, and choices, that can be seen: Qt's own style, with a solid focus frame and marks that
keep their contrast on dark themes.

Fusion (the style on Linux without a desktop theme, and under Xvfb) marks the focused radio button
or check box with a faint light-blue tint that all but vanishes on the wizard's white first page:
walking Welcome and Key with Tab showed no focus at all. This proxy keeps the platform's style and
draws the focus frame as a 2-pixel line in the palette's highlight colour, readable on light and
dark themes alike. On a dark palette Fusion also draws the radio button's and check box's box in the
base colour on the window colour (about 1.2:1: the box of an unticked choice does not show) and the
radio's dot in mid grey: both get an outline and a dot that reach 3:1, WCAG's minimum for controls.
Everything else is drawn by the style itself.
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
        if element in (QStyle.PrimitiveElement.PE_IndicatorRadioButton, QStyle.PrimitiveElement.PE_IndicatorCheckBox):
            self._mark_choice(element, option, painter)

    @staticmethod
    def _mark_choice(element: QStyle.PrimitiveElement, option: QStyleOption, painter: QPainter) -> None:
        palette = option.palette
        window = palette.color(QPalette.ColorRole.Window)
        text = palette.color(QPalette.ColorRole.Text)
        rect = QRectF(option.rect).adjusted(0.5, 0.5, -0.5, -0.5)
        radio = element == QStyle.PrimitiveElement.PE_IndicatorRadioButton
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if contrast(palette.color(QPalette.ColorRole.Base), window) < 3.0:
            painter.setPen(QPen(outline_colour(palette), 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            if radio:
                painter.drawEllipse(rect)
            else:
                painter.drawRoundedRect(rect, 2, 2)
        if radio and option.state & QStyle.StateFlag.State_On:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(text if option.state & QStyle.StateFlag.State_Enabled else outline_colour(palette))
            dot = rect.width() * 0.4
            painter.drawEllipse(rect.center(), dot / 2, dot / 2)
        painter.restore()


def outline_colour(palette: QPalette) -> QColor:
    """A colour between the text and the window that still reaches 3:1 against the window."""
    window, text = palette.color(QPalette.ColorRole.Window), palette.color(QPalette.ColorRole.WindowText)
    for share in (0.45, 0.55, 0.65, 0.75, 0.85, 1.0):
        mixed = QColor(
            round(window.red() + (text.red() - window.red()) * share),
            round(window.green() + (text.green() - window.green()) * share),
            round(window.blue() + (text.blue() - window.blue()) * share),
        )
        if contrast(mixed, window) >= 3.0:
            return mixed
    return text


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
