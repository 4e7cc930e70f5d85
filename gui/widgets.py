"""Small widgets shared by the pages: inline messages, copyable values, busy rows.

A Qt class whose Python enums the first window does not need (a line edit, a message box, a URL) is
imported where it is first used: PySide builds every enum of a class the first time the class is
imported, ~1-2 ms each, and Welcome shows none of them.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QMoveEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QWidget,
)

from core.text import printable


def describe(widget: QWidget, name: str, tip: str = "") -> QWidget:
    """Give an input its accessible name and tooltip (screen readers read both)."""
    widget.setAccessibleName(name)
    widget.setToolTip(tip or name)
    if tip:
        widget.setAccessibleDescription(tip)
    return widget


#: The hue of each kind of message; its lightness is chosen against the background it is shown on.
_HUES = {"error": 350, "ok": 125, "warning": 38}
#: WCAG 2 AA for normal text.
MIN_CONTRAST = 4.5


def _luminance(colour: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())


def contrast(a: QColor, b: QColor) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def status_colour(kind: str, palette: QPalette, background: QPalette.ColorRole = QPalette.ColorRole.Window) -> QColor:
    """The colour for an ``error``/``ok``/``warning`` text on ``palette``'s ``background``: its hue, readable.

    Taken from the palette in use, not fixed: the lightness moves away from the background until the
    contrast is at least 4.5:1, so the same message is readable in a light, dark or high-contrast theme.
    """
    behind = palette.color(background)
    darker = behind.lightnessF() >= 0.5
    lightness = 0.40 if darker else 0.72
    colour = QColor.fromHslF(_HUES[kind] / 360, 0.75, lightness)
    while contrast(colour, behind) < MIN_CONTRAST and 0.0 < lightness < 1.0:
        lightness = max(0.0, lightness - 0.02) if darker else min(1.0, lightness + 0.02)
        colour = QColor.fromHslF(_HUES[kind] / 360, 0.75, lightness)
    return colour


def clear_error(message: "MessageLabel") -> None:
    """Clear ``message`` if it shows an error (the admin has just corrected what it was about)."""
    if message.kind == "error":
        message.clear_message()


class MessageLabel(QLabel):
    """An inline message next to the field or step it is about. Empty means hidden.

    Its colour follows the palette: a theme switch while the app runs recolours messages already
    shown. In a form, its row is hidden with it, so a form without messages has no gaps.
    """

    # Read by changeEvent, which Qt may call while __init__ is still running (a palette change).
    kind = ""
    _colour = ""
    _in_form_row = False

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setTextFormat(Qt.TextFormat.PlainText)
        # Layouts size a wrapped label for a narrower width than it gets: centred, its text sat under
        # a blank gap. At the top, any spare room falls below it instead.
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.kind = ""
        self._colour = ""
        self._in_form_row = False
        self.hide()

    def _apply_colour(self) -> None:
        """Set the text colour for this kind on the current background (a palette role, not a style sheet:
        a style sheet pins the whole palette, and a theme switch would then never reach the label)."""
        palette = QPalette(self.palette())
        if self.kind in _HUES:
            # A label on a page whose background is Base (the wizard's first page) paints with Text, not
            # WindowText: colour both, readable on the background it actually stands on.
            on_base = self.foregroundRole() == QPalette.ColorRole.Text
            background = QPalette.ColorRole.Base if on_base else QPalette.ColorRole.Window
            colour = status_colour(self.kind, palette, background)
            if palette.color(self.foregroundRole()) != colour or not self._colour:
                self._colour = colour.name()
                palette.setColor(QPalette.ColorRole.WindowText, colour)
                palette.setColor(QPalette.ColorRole.Text, colour)
                self.setPalette(palette)
        elif self._colour:
            self._colour = ""
            self.setPalette(QPalette())  # nothing set here: the theme's own text colour

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self.kind in _HUES:
            self._apply_colour()  # a theme switch: same hue, lightness for the new background
        elif event.type() == QEvent.Type.ParentChange:
            # addRow() reparents first and files the row after: match the row once it is filed.
            QTimer.singleShot(0, self, self._sync_form_row)

    def _sync_form_row(self) -> None:
        self._set_form_row_visible(not self.isHidden())

    def setVisible(self, visible: bool) -> None:  # noqa: N802 - Qt's name
        super().setVisible(visible)
        self._set_form_row_visible(visible)

    def _set_form_row_visible(self, visible: bool) -> None:
        parent = self.parentWidget()
        if isinstance(parent, FormMessage):
            parent.follow(visible)
            return
        form = parent.layout() if parent is not None else None
        if isinstance(form, QFormLayout) and not self._in_form_row:
            position = form.getWidgetPosition(self)
            row = int(position[0]) if isinstance(position, tuple) else -1
            if row >= 0:
                self._in_form_row = True  # setRowVisible calls setVisible on this label again
                try:
                    form.setRowVisible(row, visible)  # its empty label and the row's spacing go too
                finally:
                    self._in_form_row = False

    def _show(self, kind: str, text: str) -> None:
        self.kind = kind
        self._apply_colour()
        self.setAccessibleName(printable(f"{kind}: {text}"))
        self.setText(printable(text, keep_newlines=True))  # a server's words among ours: no control character
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


class FormMessage(QWidget):
    """A message under a form's fields, aligned with them, as a row that spans the form.

    QFormLayout gives a wrapped label in its field column the height of the narrow width QLabel guesses
    (a two-line error stood above a 60-70 px gap), while a row spanning both columns gets the height for
    its real width. The span is indented to where the fields start, so the message still sits under them.
    """

    def __init__(self, message: MessageLabel, form: QFormLayout) -> None:
        super().__init__()
        self.message = message
        self._form = form
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(message)
        self.follow(not message.isHidden())

    def follow(self, visible: bool) -> None:
        """Show or hide the row with its message: a hidden row leaves no spacing behind."""
        if self._form.indexOf(self) >= 0:
            self._form.setRowVisible(self, visible)
        else:
            self.setVisible(visible)

    def _indent(self) -> None:
        fields = (self._form.itemAt(row, QFormLayout.ItemRole.FieldRole) for row in range(self._form.rowCount()))
        field = next(
            (item.geometry().x() for item in fields if item is not None and (w := item.widget()) and w.isVisible()),
            None,
        )
        if field is None:
            return
        indent = max(0, field - self.x())
        if self.contentsMargins().left() != indent:
            self.setContentsMargins(indent, 0, 0, 0)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._indent()

    def moveEvent(self, event: QMoveEvent) -> None:  # noqa: N802 - Qt's name
        super().moveEvent(event)
        self._indent()


def add_message_row(form: QFormLayout, message: MessageLabel) -> FormMessage:
    """Put ``message`` under the form's fields, sized for its real width (see :class:`FormMessage`)."""
    holder = FormMessage(message, form)
    form.addRow(holder)
    holder.follow(not message.isHidden())
    return holder


class CopyField(QWidget):
    """A read-only value with a Copy button, for everything the admin pastes into Salesforce."""

    def __init__(self, value: str = "", *, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        from PySide6.QtWidgets import QLineEdit

        self.edit = QLineEdit()
        self.edit.setReadOnly(True)
        # Read-only: the keyboard goes to Copy (which reads the value out) instead, so a page never
        # opens with a value focused, selected and scrolled to its end.
        self.edit.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        describe(self.edit, name, f"{name} (read-only; use Copy)")
        self.copy_button = QPushButton(self.tr("Copy"))
        describe(self.copy_button, f"Copy {name}", f"Copy {name} to the clipboard")
        self.set_value(value)
        self.copy_button.clicked.connect(self.copy)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.copy_button)

    def set_value(self, value: str) -> None:
        self.edit.setText(value)
        self.edit.setCursorPosition(0)  # the start of a long value shows, as with any text
        self.edit.deselect()
        self.copy_button.setAccessibleDescription(f"Copy {self.name} to the clipboard: {value}")

    def value(self) -> str:
        return self.edit.text()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.edit.text())


class _StatusLabel(QLabel):
    """One line of status that never widens its page: a long server answer is drawn cut with an ellipsis
    (the whole of it in the tooltip and in ``text()``, which screen readers read)."""

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setText(text)
        self.setToolTip(text if self.fontMetrics().horizontalAdvance(text) > self.width() else "")

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), self.fontMetrics().horizontalAdvance("M" * 12)), hint.height())

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        hint = super().sizeHint()
        return QSize(min(hint.width(), self.fontMetrics().horizontalAdvance("M" * 40)), hint.height())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, self.contentsRect().width())
        painter.drawText(self.contentsRect(), int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), shown)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.setToolTip(self.text() if self.fontMetrics().horizontalAdvance(self.text()) > self.width() else "")


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
        self.status = _StatusLabel()
        # Not "Cancel": the wizard's own Cancel sits beside it, and this one only stops waiting.
        self.cancel_button = QPushButton(self.tr("Stop waiting"))
        describe(self.cancel_button, "Stop waiting", "Stop waiting for this step")
        self.cancel_button.clicked.connect(self.cancel_requested)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.status, 3)  # the answer takes the room there is, and no more (see _StatusLabel)
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel_button)
        self.hide()

    def keep_room(self) -> None:
        """Keep this row's height while hidden: where it sits below a stretching area, the buttons above it
        no longer jump up when work starts and down when it ends."""
        policy = self.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.setSizePolicy(policy)
        # The same height with or without Stop waiting (a create cannot be stopped: it is hidden then).
        self.setFixedHeight(max(self.sizeHint().height(), self.cancel_button.sizeHint().height()))

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
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    if not QDesktopServices.openUrl(QUrl(url)):
        message.show_warning(message.tr("No browser opened. Open this address yourself: {0}").format(url))


#: The object name of the "settings not saved" warning (one at a time per window).
SETTINGS_NOT_SAVED = "settings-not-saved"


def tell_settings_not_saved(window: QWidget, message: str) -> None:
    """Say over ``window``, without blocking it, that the settings could not be saved, what that means and
    what not; while one such warning is open, later failures add nothing (a save follows every step)."""
    from PySide6.QtWidgets import QMessageBox

    if any(box.isVisible() for box in window.findChildren(QMessageBox, SETTINGS_NOT_SAVED)):
        return
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        window.tr("Settings not saved"),
        window.tr("This computer's record of your work could not be saved: {0}").format(printable(message)),
        QMessageBox.StandardButton.Ok,
        window,
    )
    box.setObjectName(SETTINGS_NOT_SAVED)
    box.setInformativeText(
        window.tr(
            "What was done in Salesforce and Unstructured is done. The wizard keeps the record (connectors, key "
            "names, expiry reminders, apps it made) in memory and saves it with your next step; keep the wizard "
            "open until a step has saved. If this keeps happening, see Troubleshooting in the README: another "
            "program holding the file, a full disk, or a folder you cannot write to."
        )
    )
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.show()
