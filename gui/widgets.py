"""Small widgets shared by the pages: inline messages, copyable values, busy rows."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QWidget,
)


def describe(widget: QWidget, name: str, tip: str = "") -> QWidget:
    """Give an input its accessible name and tooltip (screen readers read both)."""
    widget.setAccessibleName(name)
    widget.setToolTip(tip or name)
    if tip:
        widget.setAccessibleDescription(tip)
    return widget


def _is_dark(widget: QWidget) -> bool:
    return widget.palette().color(QPalette.ColorRole.Window).lightness() < 128


class MessageLabel(QLabel):
    """An inline message next to the field or step it is about. Empty means hidden."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.kind = ""
        self.hide()

    def _show(self, kind: str, text: str) -> None:
        dark = _is_dark(self)
        colours = {
            "error": "#ff8080" if dark else "#b00020",
            "ok": "#7fd67f" if dark else "#1b6e1b",
            "warning": "#ffcc66" if dark else "#8a5a00",
            "info": "",
        }
        self.kind = kind
        self.setStyleSheet(f"color: {colours[kind]};" if colours[kind] else "")
        self.setAccessibleName(f"{kind}: {text}")
        self.setText(text)
        self.show()

    def show_error(self, text: str) -> None:
        self._show("error", text)

    def show_ok(self, text: str) -> None:
        self._show("ok", text)

    def show_warning(self, text: str) -> None:
        self._show("warning", text)

    def show_info(self, text: str) -> None:
        self._show("info", text)

    def clear_message(self) -> None:
        self.kind = ""
        self.setText("")
        self.hide()


class CopyField(QWidget):
    """A read-only value with a Copy button, for everything the admin pastes into Salesforce."""

    def __init__(self, value: str = "", *, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(value)
        self.edit.setReadOnly(True)
        describe(self.edit, name, f"{name} (read-only; use Copy)")
        self.copy_button = QPushButton(self.tr("Copy"))
        describe(self.copy_button, f"Copy {name}", f"Copy {name} to the clipboard")
        self.copy_button.clicked.connect(self.copy)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.copy_button)

    def set_value(self, value: str) -> None:
        self.edit.setText(value)
        self.edit.setCursorPosition(0)

    def value(self) -> str:
        return self.edit.text()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.edit.text())


class BusyRow(QWidget):
    """An indeterminate progress bar with a status text and a Cancel button."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(12)
        describe(self.bar, "Progress")
        self.status = QLabel()
        self.cancel_button = QPushButton(self.tr("Cancel"))
        describe(self.cancel_button, "Cancel", "Stop waiting for this step")
        self.cancel_button.clicked.connect(self.cancel_requested)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.status)
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel_button)
        self.hide()

    def start(self, text: str, *, cancellable: bool = True) -> None:
        self.status.setText(text)
        self.cancel_button.setVisible(cancellable)
        self.show()

    def stop(self) -> None:
        self.hide()


def fit_to_screen(window: QWidget, width: int, height: int) -> None:
    """A minimum size of ``width`` x ``height``, or the screen's available area if that is smaller.

    At 200 % scaling a 1920x1080 screen has 960x540 logical pixels: a fixed 760x600 minimum put
    the wizard's buttons off-screen. Pages scroll inside whatever room there is.
    """
    screen = window.screen() or QGuiApplication.primaryScreen()
    available = screen.availableGeometry() if screen is not None else None
    if available is None:
        window.setMinimumSize(width, height)
        return
    window.setMinimumSize(min(width, available.width()), min(height, available.height()))
    if window.width() > available.width() or window.height() > available.height():
        window.resize(min(window.width(), available.width()), min(window.height(), available.height()))


def open_sign_in_page(url: str, message: MessageLabel) -> None:
    """Open Salesforce's sign-in in the default browser, or say where to go when no browser opens."""
    if not QDesktopServices.openUrl(QUrl(url)):
        message.show_warning(message.tr("No browser opened. Open this address yourself: {0}").format(url))
