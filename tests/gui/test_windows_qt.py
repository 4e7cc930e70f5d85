"""Events that only Qt's Windows (or macOS) builds send, driven here in the same order on any platform.

Qt for Windows sends a resize event from ``QWizard.setWizardStyle`` (qwizard.cpp: "Send a resizeevent
since the antiflicker widget probably needs a new size"), and Windows and macOS deliver palette
changes when the system theme is read at start. The frozen Windows wizard exited at start because
its ``resizeEvent`` ran before ``__init__`` had set what it reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QEvent, QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QApplication, QLabel, QWidget, QWizard
from pytestqt.qtbot import QtBot

from core.unstructured.client import PlatformClient
from core.unstructured.inventory import ConnectorRow
from gui.app import build_wizard
from gui.context import WizardContext
from gui.rotation import RotationWizard
from gui.widgets import MessageLabel
from tests.conftest import API_KEY
from tests.fakes.platform import FakePlatform


def _send_windows_events(widget: QWidget) -> None:
    size = widget.size()
    QApplication.sendEvent(widget, QResizeEvent(size, QSize(size.width() - 1, size.height() - 1)))
    QApplication.sendEvent(widget, QEvent(QEvent.Type.PaletteChange))
    QApplication.sendEvent(widget, QEvent(QEvent.Type.StyleChange))


@pytest.fixture
def windows_event_order(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """``setWizardStyle`` and ``QLabel.setWordWrap`` deliver events at once, as on Windows and macOS."""
    sent: list[str] = []

    def wrap(cls: type, name: str) -> None:
        original: Callable[..., None] = getattr(cls, name)

        def sending(self: QWidget, *args: object) -> None:
            original(self, *args)
            sent.append(f"{type(self).__name__}.{name}")
            _send_windows_events(self)

        monkeypatch.setattr(cls, name, sending)

    wrap(QWizard, "setWizardStyle")
    wrap(QLabel, "setWordWrap")
    yield sent


@pytest.mark.parametrize("defer_pages", [True, False], ids=["first-window", "all-pages"])
def test_the_wizard_starts_when_qt_sends_a_resize_from_set_wizard_style(
    qtbot: QtBot, context: WizardContext, windows_event_order: list[str], defer_pages: bool
) -> None:
    wizard = build_wizard(context, defer_pages=defer_pages)
    qtbot.addWidget(wizard)
    assert "ConnectorWizard.setWizardStyle" in windows_event_order  # the event really came mid-construction
    with qtbot.waitExposed(wizard):
        wizard.show()
    wizard.build_pages()
    _send_windows_events(wizard)  # and once more, now that every page exists
    assert wizard.currentPage() is wizard.welcome_page


def test_the_rotation_window_starts_when_qt_sends_a_resize_from_set_wizard_style(
    qtbot: QtBot, context: WizardContext, windows_event_order: list[str], platform: FakePlatform
) -> None:
    client = PlatformClient(api_url=platform.api_url, api_key=API_KEY)
    row = ConnectorRow(
        id="src-1",
        name="salesforce-prod",
        created_at="",
        updated_at=None,
        fingerprint_sha256=None,
        not_after=None,
        days_left=None,
    )
    dialog = RotationWizard(context, row, client)
    qtbot.addWidget(dialog)
    assert "RotationWizard.setWizardStyle" in windows_event_order
    with qtbot.waitExposed(dialog):
        dialog.show()


def test_a_message_gets_a_palette_change_before_its_init_ends(qtbot: QtBot, windows_event_order: list[str]) -> None:
    label = MessageLabel()
    qtbot.addWidget(label)
    assert "MessageLabel.setWordWrap" in windows_event_order
    label.show_error("Still readable")
    assert label.kind == "error"
