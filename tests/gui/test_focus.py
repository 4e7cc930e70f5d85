"""The keyboard focus can be seen on every page, light and dark: a solid frame in the focus colour."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QAbstractButton, QWidget
from pytestqt.qtbot import QtBot

from gui.focus import focus_colour
from gui.page_ids import PageId
from tests.fakes.platform import FakePlatform
from tests.gui.conftest import Person


def marked_pixels(widget: QWidget) -> int:
    """Pixels of ``widget`` painted exactly in the focus colour."""
    image: QImage = widget.grab().toImage()
    wanted = focus_colour(widget.palette()).rgb()
    return sum(
        1
        for y in range(image.height())
        for x in range(image.width())
        if image.pixel(x, y) & 0xFFFFFF == wanted & 0xFFFFFF
    )


def focus_and_measure(person: Person, widget: QAbstractButton) -> tuple[int, int]:
    from PySide6.QtWidgets import QWizard

    # The focus elsewhere (not nowhere: a page gives it back to its first control when nothing has it).
    elsewhere = person.wizard.button(QWizard.WizardButton.CancelButton)
    elsewhere.setFocus(Qt.FocusReason.TabFocusReason)
    person.qtbot.waitUntil(elsewhere.hasFocus)
    before = marked_pixels(widget)
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    person.qtbot.waitUntil(widget.hasFocus)
    return before, marked_pixels(widget)


def test_the_focused_choice_on_welcome_has_a_frame_that_can_be_seen(person: Person) -> None:
    page = person.wizard.welcome_page
    before, after = focus_and_measure(person, page.create_radio)
    # A 2-pixel frame around the label: dozens of pixels where Fusion's tint left none in the colour.
    assert after - before >= 40, (before, after)


def test_the_focused_choice_on_the_key_page_has_a_frame_that_can_be_seen(person: Person) -> None:
    person.next()
    assert person.at(PageId.KEY)
    page = person.wizard.key_page
    radio = next(r for r in (page.generate_radio, page.import_radio) if r.isVisible())
    # The page opens with the focus on its first choice, framed, before any Tab (it was on nothing visible).
    person.qtbot.waitUntil(radio.hasFocus, timeout=5000)
    before, after = focus_and_measure(person, radio)
    assert after - before >= 40, (before, after)


def test_the_focus_colour_keeps_its_contrast_on_a_dark_palette() -> None:
    from PySide6.QtGui import QPalette

    from gui.widgets import contrast

    dark = QPalette()
    for role, hex_colour in (
        (QPalette.ColorRole.Window, "#2b2b2b"),
        (QPalette.ColorRole.Base, "#1e1e1e"),
        (QPalette.ColorRole.WindowText, "#f0f0f0"),
        (QPalette.ColorRole.Highlight, "#3d4f66"),  # a dim highlight, as some dark themes have
    ):
        dark.setColor(role, QColor(hex_colour))
    colour = focus_colour(dark)
    assert contrast(colour, dark.color(QPalette.ColorRole.Base)) >= 3.0


def test_on_a_dark_theme_a_choice_shows_its_box_and_its_dot(qtbot: QtBot) -> None:
    """Fusion drew the radio's box in the base colour on the window colour (1.2:1) and its dot in mid grey."""
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication, QRadioButton, QStyle, QStyleOptionButton

    from gui.focus import install_visible_focus
    from gui.widgets import contrast
    from tests.gui.layout import dark_palette

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    install_visible_focus(app)
    before = app.palette()
    app.setPalette(dark_palette())
    try:
        chosen, other = QRadioButton("on"), QRadioButton("off")
        chosen.setAutoExclusive(False)
        chosen.setChecked(True)
        for radio in (chosen, other):
            qtbot.addWidget(radio)
            radio.resize(80, 24)
            radio.show()
        option = QStyleOptionButton()
        option.initFrom(chosen)
        box = chosen.style().subElementRect(QStyle.SubElement.SE_RadioButtonIndicator, option, chosen)
        window = dark_palette().color(QPalette.ColorRole.Window)
        base = dark_palette().color(QPalette.ColorRole.Base)
        image = chosen.grab().toImage()
        scale = image.devicePixelRatio()  # 2 at 200 %: the picture has twice the pixels of the widget

        def at(picture: QImage, x: float, y: float) -> QColor:
            return QColor(picture.pixel(round(x * scale), round(y * scale)))

        dot = at(image, box.center().x(), box.center().y())
        assert contrast(dot, base) >= 7.0, dot.name()  # the text colour; Fusion's mid grey gave 5.4:1
        edge = other.grab().toImage()
        ring = [at(edge, box.left() + x / scale, box.center().y()) for x in range(0, 4)]
        assert max(contrast(colour, window) for colour in ring) >= 3.0, [c.name() for c in ring]
    finally:
        app.setPalette(before)


def test_a_page_that_opens_on_a_filled_field_does_not_select_its_text(person: Person, platform: FakePlatform) -> None:
    """Desktop round 3, cosmetic: Manage opened with the focus in the API URL and all of it selected, so the
    next key pressed replaced the address. The text stays; the cursor waits at its end."""
    from PySide6.QtWidgets import QApplication, QLineEdit

    person.wizard.context.settings.api_url = platform.api_url
    person.click(person.wizard.welcome_page.manage_radio)
    person.next()
    person.qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit), timeout=5000)
    field = QApplication.focusWidget()
    assert isinstance(field, QLineEdit) and field.text()
    person.qtbot.wait(50)  # what Qt does right after the page is shown
    assert field.selectedText() == "" and field.cursorPosition() == len(field.text())
