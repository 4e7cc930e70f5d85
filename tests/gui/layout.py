"""What a person sees as a broken layout, found in a live widget tree.

Used in-process by the offscreen tests and by scripts/layout_probe.py on a real X server.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QWidget,
    QWizard,
)

from gui.widgets import MIN_CONTRAST, contrast

#: What a person reads or operates; containers (group boxes, scroll areas, pages) are not compared.
LEAVES = (
    QLabel,
    QLineEdit,
    QAbstractButton,
    QComboBox,
    QPlainTextEdit,
    QAbstractSpinBox,
    QAbstractItemView,
    QProgressBar,
)
#: Inputs whose height below their minimum size hint makes them unreadable (inputs 2 px high).
INPUTS = (QLineEdit, QPlainTextEdit, QComboBox, QAbstractButton, QAbstractSpinBox)


def _name(widget: QWidget) -> str:
    text = widget.accessibleName() or getattr(widget, "text", lambda: "")() or widget.objectName()
    return f"{type(widget).__name__} {str(text)[:40]!r}"


def _inside_compound(widget: QWidget) -> bool:
    """Parts of another control (a spin box's editor, a table's headers and cells): sized by it."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, (QAbstractSpinBox, QComboBox, QAbstractItemView)):
            return True
        parent = parent.parentWidget()
    return False


def layout_problems(root: QWidget, where: str) -> list[str]:
    """Squeezed inputs, clipped wrapped text and overlapping controls among ``root``'s visible children."""
    problems = []
    leaves: list[tuple[QWidget, QRect]] = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, LEAVES) or not widget.isVisibleTo(root) or _inside_compound(widget):
            continue
        if isinstance(widget, QLabel) and not widget.text() and widget.pixmap().isNull():
            continue  # a form's empty label
        if isinstance(widget, INPUTS) and widget.height() < widget.minimumSizeHint().height():
            problems.append(
                f"{where}: {_name(widget)} is {widget.height()} px high, needs {widget.minimumSizeHint().height()}"
            )
        if (
            isinstance(widget, QLabel)
            and widget.wordWrap()
            and widget.height() + 2 < widget.heightForWidth(widget.width())
        ):
            problems.append(
                f"{where}: {_name(widget)} is cut off ({widget.height()} of {widget.heightForWidth(widget.width())} px)"
            )
        if (
            isinstance(widget, QLabel)
            and widget.wordWrap()
            and not widget.alignment() & Qt.AlignmentFlag.AlignTop
            and widget.height() > widget.heightForWidth(widget.width()) + widget.fontMetrics().lineSpacing() // 2
        ):
            problems.append(f"{where}: {_name(widget)} has a blank gap above its text (centred in a taller box)")
        if isinstance(widget, QLabel) and widget.isEnabled() and widget.text().strip():
            palette = widget.palette()
            ratio = contrast(palette.color(QPalette.ColorRole.WindowText), palette.color(QPalette.ColorRole.Window))
            if ratio < MIN_CONTRAST:
                problems.append(f"{where}: {_name(widget)} is hard to read (contrast {ratio:.1f}:1)")
        seen = widget.visibleRegion().boundingRect()  # clipped by scroll areas: scrolled-out parts do not count
        if seen.isEmpty():
            continue
        leaves.append((widget, QRect(widget.mapTo(root, seen.topLeft()), seen.size())))
    for index, (first, first_rect) in enumerate(leaves):
        for second, second_rect in leaves[index + 1 :]:
            if first.isAncestorOf(second) or second.isAncestorOf(first):
                continue
            overlap = first_rect.intersected(second_rect)
            if overlap.width() > 2 and overlap.height() > 2:
                problems.append(
                    f"{where}: {_name(first)} and {_name(second)} overlap ({overlap.width()}x{overlap.height()})"
                )
    return problems


def wizard_buttons(window: QWizard, *extra: QWizard.WizardButton) -> list[QAbstractButton]:
    """The wizard's visible Back, Next and Finish buttons, and ``extra`` ones."""
    kinds = (
        QWizard.WizardButton.BackButton,
        QWizard.WizardButton.NextButton,
        QWizard.WizardButton.FinishButton,
        *extra,
    )
    buttons = [window.button(kind) for kind in kinds]
    return [button for button in buttons if button is not None and button.isVisible()]


def dark_palette() -> QPalette:
    """A dark desktop theme's palette (the roles the app's widgets draw with)."""
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#2b2b2b"),
        (QPalette.ColorRole.WindowText, "#e8e8e8"),
        (QPalette.ColorRole.Base, "#1e1e1e"),
        (QPalette.ColorRole.AlternateBase, "#262626"),
        (QPalette.ColorRole.Text, "#e8e8e8"),
        (QPalette.ColorRole.Button, "#353535"),
        (QPalette.ColorRole.ButtonText, "#e8e8e8"),
        (QPalette.ColorRole.Highlight, "#3d6fb4"),
        (QPalette.ColorRole.HighlightedText, "#ffffff"),
    ):
        palette.setColor(role, QColor(colour))
    # As every real dark theme (Qt's own Fusion dark on Windows, Breeze Dark, Adwaita dark): disabled text is dimmed.
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7f7f7f"))
    return palette


def window_problems(window: QWizard, where: str) -> list[str]:
    """The window and its Back, Next/Finish and Cancel buttons inside the screen's available area."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    available = screen.availableGeometry()
    problems = []
    if window.minimumWidth() > available.width() or window.minimumHeight() > available.height():
        problems.append(
            f"{where}: minimum size {window.minimumWidth()}x{window.minimumHeight()} exceeds the screen's "
            f"{available.width()}x{available.height()}"
        )
    for button in wizard_buttons(window, QWizard.WizardButton.CancelButton):
        rect = QRect(button.mapToGlobal(QPoint(0, 0)), button.size())
        if not available.contains(rect):
            problems.append(f"{where}: the {button.text()!r} button is off-screen at {rect.getRect()}")
    return problems


def mnemonics(window: QWizard) -> dict[str, list[str]]:
    """Alt+letter -> the visible, enabled controls of the current page and the wizard's buttons that claim it."""
    claims: dict[str, list[str]] = {}

    def claim(text: str) -> None:
        match = re.search(r"&([^&])", text.replace("&&", ""))
        if match:
            claims.setdefault(match.group(1).lower(), []).append(text)

    page = window.currentPage()
    if page is not None:
        for widget in page.findChildren(QAbstractButton) + page.findChildren(QLabel):
            if widget.isVisibleTo(page) and widget.isEnabled():
                claim(widget.text())
    for button in wizard_buttons(window, QWizard.WizardButton.CustomButton1):
        if button.isEnabled():
            claim(button.text())
    return claims


def mnemonic_clashes(window: QWizard, where: str) -> list[str]:
    """Alt+letter must do one thing: two controls sharing it make the key jump to either (a name was lost so)."""
    return [f"{where}: Alt+{key.upper()} is claimed by {who}" for key, who in mnemonics(window).items() if len(who) > 1]
