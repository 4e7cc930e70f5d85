"""The desktop edges an admin meets (issue: palettes, focus, wording, resume, layout at any scaling).

The layout at the minimum size is checked on a real X server too (Xvfb, the xcb platform) at
1280x720 and at 200 % on 1920x1080, by scripts/layout_probe.py in a process of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QWidget,
    QWizard,
)
from pytestqt.qtbot import QtBot

from core.kinds import RunKind, RunStep
from core.storage.settings import ResumeState, Settings
from core.unstructured.client import SourceConnector
from gui.app import build_wizard
from gui.context import WizardContext
from gui.page_ids import PageId
from gui.pages.unstructured import default_connector_name
from gui.widgets import MIN_CONTRAST, MessageLabel, contrast, status_colour
from gui.wizard import ConnectorWizard
from tests.conftest import API_KEY, CONSUMER_KEY
from tests.fakes.keyrings import MemoryKeyring
from tests.fakes.platform import FakePlatform
from tests.fakes.salesforce import FakeSalesforce
from tests.gui.conftest import Browser, Person, cell
from tests.gui.layout import dark_palette, layout_problems
from tests.gui.test_manage import open_manage
from tests.xserver import xvfb

ROOT = Path(__file__).resolve().parents[2]


def light() -> QPalette:
    return QApplication.style().standardPalette()


def dark() -> QPalette:
    return dark_palette()


def text_colour(label: MessageLabel) -> QColor:
    return label.palette().color(QPalette.ColorRole.WindowText)


@pytest.fixture
def app_palette(qapp: QApplication) -> Iterator[Callable[[QPalette], None]]:
    """Switch the application's palette as a system theme change does; restored afterwards."""
    before = qapp.palette()
    yield qapp.setPalette
    qapp.setPalette(before)


# --- colours ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("palette", [light, dark], ids=["light", "dark"])
@pytest.mark.parametrize("kind", ["error", "ok", "warning"])
@pytest.mark.parametrize("background", [QPalette.ColorRole.Window, QPalette.ColorRole.Base])
def test_status_colours_reach_4_5_to_1_on_the_palettes_own_backgrounds(
    qapp: QApplication, palette: Callable[[], QPalette], kind: str, background: QPalette.ColorRole
) -> None:
    colours = palette()
    assert contrast(status_colour(kind, colours, background), colours.color(background)) >= MIN_CONTRAST


def test_a_theme_switch_recolours_messages_already_shown(qtbot: QtBot, app_palette: Callable[[QPalette], None]) -> None:
    app_palette(light())
    holder = QWidget()
    qtbot.addWidget(holder)
    label = MessageLabel(holder)
    label.show_error("The Unstructured API refused the API key.")
    on_light = text_colour(label)
    assert contrast(on_light, light().color(QPalette.ColorRole.Window)) >= MIN_CONTRAST
    app_palette(dark())  # the system switches to dark while the app runs
    QApplication.processEvents()
    on_dark = text_colour(label)
    assert on_dark != on_light
    assert contrast(on_dark, dark().color(QPalette.ColorRole.Window)) >= MIN_CONTRAST


def test_manage_colours_expiring_dates_from_the_palette_in_light_and_dark(
    person: Person, existing: SourceConnector, app_palette: Callable[[QPalette], None]
) -> None:
    app_palette(light())
    open_manage(person)
    table = person.wizard.manage_page.table
    item = cell(table, 0, 4)
    assert "(10 days)" in item.text()
    background = table.palette().color(QPalette.ColorRole.Base)
    assert contrast(item.foreground().color(), background) >= MIN_CONTRAST
    app_palette(dark())
    QApplication.processEvents()
    background = table.palette().color(QPalette.ColorRole.Base)
    assert background.lightnessF() < 0.5  # the table really is dark now
    person.qtbot.waitUntil(
        lambda: contrast(cell(table, 0, 4).foreground().color(), background) >= MIN_CONTRAST, timeout=2000
    )


# --- layout ----------------------------------------------------------------------------------------


def test_the_layout_checker_finds_squeezed_inputs_overlaps_and_gaps(qtbot: QtBot) -> None:
    page = QWidget()
    qtbot.addWidget(page)
    page.resize(400, 200)
    squeezed = QLineEdit(page)
    squeezed.setGeometry(0, 0, 200, 2)
    first, second = QPushButton("One", page), QPushButton("Two", page)
    first.setGeometry(0, 50, 100, 30)
    second.setGeometry(50, 60, 100, 30)
    gap = MessageLabel(page)
    gap.show_info("short")
    gap.setAlignment(Qt.AlignmentFlag.AlignVCenter)
    gap.setGeometry(0, 100, 300, 90)
    with qtbot.waitExposed(page):
        page.show()
    found = "\n".join(layout_problems(page, "test"))
    assert "is 2 px high" in found and "overlap" in found and "blank gap" in found


def test_a_hidden_message_leaves_no_gap_in_a_form(qtbot: QtBot) -> None:
    form_widget = QWidget()
    qtbot.addWidget(form_widget)
    form = QFormLayout(form_widget)
    above, below, message = QLineEdit(), QLineEdit(), MessageLabel()
    form.addRow("Above:", above)
    form.addRow("", message)
    form.addRow("Below:", below)
    with qtbot.waitExposed(form_widget):
        form_widget.show()
    QApplication.processEvents()
    assert below.y() - above.geometry().bottom() - 1 == form.verticalSpacing()  # as if the row were not there
    message.show_error("A message")
    QApplication.processEvents()
    assert message.isVisible() and below.y() > message.geometry().bottom()
    message.clear_message()
    QApplication.processEvents()
    assert below.y() - above.geometry().bottom() - 1 == form.verticalSpacing()


def probe(env: dict[str, str], *args: str) -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "layout_probe.py"), *args],
        capture_output=True,
        text=True,
        timeout=240,
        env=dict(os.environ, **env),
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    assert lines, run.stderr[-3000:]
    report: dict[str, Any] = json.loads(lines[-1])
    return report


PAGES = 21  # create flow (the Key page's three modes, optional boxes closed and open), Manage (and its Advanced), the rotation dialog


def test_every_page_fits_at_the_minimum_size_offscreen() -> None:
    report = probe({"QT_QPA_PLATFORM": "offscreen"})
    assert len(report["pages"]) == PAGES and report["problems"] == []


@pytest.mark.parametrize(
    ("screen", "scale", "theme", "logical"),
    [
        ((1280, 720), "1", "light", [1280, 720]),
        ((1280, 720), "1", "dark", [1280, 720]),
        ((1920, 1080), "2", "light", [960, 540]),
    ],
    ids=["1280x720", "1280x720-dark", "200%-on-1920x1080"],
)
def test_every_page_fits_and_reads_at_the_minimum_size_on_a_real_x_server(
    screen: tuple[int, int], scale: str, theme: str, logical: list[int]
) -> None:
    """Squeezed, cut off, overlapping, gaps, unreadable, Alt+letter clashes, off-screen buttons: none."""
    with xvfb(*screen) as display:
        report = probe(
            {"QT_QPA_PLATFORM": "xcb", "DISPLAY": display, "QT_SCALE_FACTOR": scale},
            *(["--dark"] if theme == "dark" else []),
        )
    assert report["platform"] == "xcb" and report["screen"][:2] == logical
    assert len(report["pages"]) == PAGES and report["problems"] == []


# --- fields, focus and words -----------------------------------------------------------------------


def test_show_hide_of_the_api_key_is_a_visible_button_with_its_word(person: Person, tmp_path: Path) -> None:
    wizard = person.wizard
    wizard.build_pages()
    for form in (wizard.unstructured_page.access, wizard.manage_page.access):
        button = form.show_key
        form.show()
        QApplication.processEvents()
        assert isinstance(button, QPushButton) and button.text().replace("&", "") == "Show"
        assert button.width() >= button.fontMetrics().horizontalAdvance("Show")
        person.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert form.api_key.echoMode() == QLineEdit.EchoMode.Normal and button.text() == "Hide"
        person.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        assert form.api_key.echoMode() == QLineEdit.EchoMode.Password


def test_a_refused_api_key_takes_the_focus_to_the_key_and_speaks_to_someone_who_typed_it(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce, platform: FakePlatform
) -> None:
    """Checked when leaving the Unstructured page (it passed, and was refused only after Create connector)."""
    person.reach_verify(tmp_path, salesforce)
    person.approve_in_browser(salesforce)
    person.verify()
    person.next()
    person.enter_unstructured(platform.api_url, api_key="not-the-right-key")
    person.next()
    assert person.at(PageId.UNSTRUCTURED)  # held here, before Review
    page = person.wizard.unstructured_page
    assert page.api_key.hasFocus() and page.api_key.selectedText() == "not-the-right-key"
    words = page.api_key_message.text()
    assert "refused the API key" in words and "Paste a current key" in words
    assert "UNSTRUCTURED_API_KEY" not in words and "set-api-key" not in words
    assert "not-the-right-key" not in words and platform.connectors == {}  # the key is never shown; nothing made
    person.qtbot.keyClicks(page.api_key, API_KEY)  # typing replaces the selected key
    assert not page.api_key_message.isVisible()  # the correction clears the message
    person.next()
    assert person.at(PageId.REVIEW)


def test_a_taken_name_takes_the_focus_to_the_name(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce, platform: FakePlatform
) -> None:
    person.reach_review(tmp_path, salesforce, platform)
    platform.fail_next(409, {"detail": "Source connector with name sf-prod already exists"}, method="POST")
    person.click(person.wizard.review_page.create_button)
    person.qtbot.waitUntil(lambda: person.at(PageId.UNSTRUCTURED), timeout=10000)
    page = person.wizard.unstructured_page
    assert page.name.hasFocus() and "already exists" in page.name_message.text()
    page.category_boxes["Lead"].setChecked(False)  # the page re-checks itself: the verdict stays
    assert page.name_message.isVisible() and "already exists" in page.name_message.text()
    person.qtbot.keyClicks(page.name, "sf-prod-2")
    assert not page.name_message.isVisible()


def test_a_wrong_consumer_key_offers_one_step_back_to_that_field(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce
) -> None:
    person.reach_credentials(tmp_path, salesforce)
    person.enter_credentials(salesforce.url, consumer_key="3MVG9" + "x" * 80)  # not the app's key
    person.next()
    person.verify()
    page = person.wizard.verify_page
    assert "invalid_client_id" in page.result.text()
    assert page.fix_button.isVisible() and page.fix_button.hasFocus()
    person.qtbot.keyClick(page.fix_button, Qt.Key.Key_Space)
    assert person.at(PageId.CREDENTIALS)
    credentials = person.wizard.credentials_page
    assert credentials.consumer_key.hasFocus() and "invalid_client_id" in credentials.consumer_key_message.text()
    person.type(credentials.consumer_key, CONSUMER_KEY)
    assert not credentials.consumer_key_message.isVisible()
    person.next()
    person.verify()
    assert not page.fix_button.isVisible()


def test_a_refused_key_on_manage_is_shown_beside_the_key_with_the_focus_there(
    person: Person, platform: FakePlatform
) -> None:
    person.click(person.wizard.welcome_page.manage_radio)
    person.next()
    page = person.wizard.manage_page
    person.type(page.access.api_url, platform.api_url)
    person.type(page.access.api_key, "wrong-key")
    person.click(page.load_button)
    person.qtbot.waitUntil(lambda: page.access.api_key_message.kind == "error", timeout=10000)
    assert page.access.api_key.hasFocus() and page.message.kind != "error"
    assert "UNSTRUCTURED_API_KEY" not in page.access.api_key_message.text()


def test_an_empty_manage_table_says_why(person: Person, platform: FakePlatform) -> None:
    person.click(person.wizard.welcome_page.manage_radio)
    person.next()
    page = person.wizard.manage_page
    assert page.empty_note.isVisible() and "Nothing is loaded yet" in page.empty_note.text()
    person.type(page.access.api_url, platform.api_url)
    person.type(page.access.api_key, API_KEY)
    person.click(page.load_button)
    person.qtbot.waitUntil(lambda: page.loaded_once and not page.is_busy(), timeout=10000)
    assert page.empty_note.isVisible() and "no Salesforce source connectors yet" in page.empty_note.text()
    assert not page.table.isVisible()


def test_copy_fields_open_at_their_start_with_nothing_selected_or_focused(person: Person, tmp_path: Path) -> None:
    person.next()
    person.generate_key(tmp_path / "keys")
    key = person.wizard.key_page
    for field in (key.fingerprint, key.cert_path):
        assert field.edit.cursorPosition() == 0 and field.edit.selectedText() == ""
        assert not field.edit.hasFocus() and field.edit.focusPolicy() == Qt.FocusPolicy.ClickFocus
        assert field.value() in field.copy_button.accessibleDescription()  # the keyboard's way to the value
    person.next()
    person.click(person.wizard.salesforce_app_page.manual_radio)
    for field in person.wizard.salesforce_app_page.copy_fields.values():
        assert field.edit.cursorPosition() == 0 and field.edit.selectedText() == ""


def test_while_a_step_runs_there_is_one_cancel(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce, platform: FakePlatform
) -> None:
    person.reach_review(tmp_path, salesforce, platform)
    platform.scheduled_polls = 1000  # the check stays SCHEDULED: the step keeps running
    review = person.wizard.review_page
    person.click(review.create_button)
    person.qtbot.waitUntil(lambda: review.busy.cancel_button.isVisible(), timeout=10000)  # the check runs
    texts = [b.text().replace("&", "") for b in person.wizard.findChildren(QPushButton) if b.isVisible()]
    assert texts.count("Cancel") == 1 and "Stop waiting" in texts


def test_the_suggested_connector_name_never_says_salesforce_twice() -> None:
    assert default_connector_name("salesforce") == "salesforce"
    assert default_connector_name("salesforce-2") == "salesforce-2"
    assert default_connector_name("prod") == "salesforce-prod"
    assert default_connector_name("") == "salesforce-connector"


def test_the_credentials_step_does_not_assume_the_app_was_just_made(person: Person) -> None:
    person.wizard.build_pages()
    assert "just made" not in person.wizard.credentials_page.subTitle()
    assert "just made" not in person.wizard.credentials_page.subTitle().lower()


# --- new key, resume, restart ----------------------------------------------------------------------


def test_a_new_key_unticks_the_steps_that_uploaded_the_old_certificate(person: Person, tmp_path: Path) -> None:
    person.next()
    person.generate_key(tmp_path / "keys")
    person.next()
    person.tick_checklist()
    page = person.wizard.salesforce_app_page
    assert all(t.isChecked() for t in page.ticks)
    person.wizard.back()
    key = person.wizard.key_page
    person.type(key.key_name, "second")
    key.generate_radio.setChecked(True)
    person.click(key.action_button)
    person.qtbot.waitUntil(lambda: person.wizard.context.key_name == "second", timeout=20000)
    person.next()
    uploads = [
        i for i, t in enumerate(page.ticks) if "certificate" in t.toolTip().lower() and "upload" in t.toolTip().lower()
    ]
    assert uploads and all(not page.ticks[i].isChecked() for i in uploads)
    assert all(t.isChecked() for i, t in enumerate(page.ticks) if i not in uploads)  # the others still hold
    assert page.new_key_note.kind == "warning" and "new key" in page.new_key_note.text()
    assert not person.next_enabled()


def restart(qtbot: QtBot, context: WizardContext, browser: Browser) -> ConnectorWizard:
    """A new wizard over the settings saved on disk, as after closing and starting the app again."""
    from dataclasses import replace

    again = build_wizard(
        replace(context, settings=Settings.load(), bundle=None, key_name="", cert_path=None, connector=None, login=None)
    )
    qtbot.addWidget(again)
    with qtbot.waitExposed(again):
        again.show()
    return again


def test_resume_says_what_it_keeps(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce, qtbot: QtBot, browser: Browser
) -> None:
    person.reach_verify(tmp_path, salesforce)
    person.wizard.context.save_settings()
    again = restart(qtbot, person.wizard.context, browser)
    welcome = again.welcome_page
    text = welcome.resume_label.text()
    assert welcome.resume_button.isVisible() and "\u201cApprove and verify\u201d" in text
    assert "the key \u201csalesforce\u201d" in text and "username and consumer key" in text and "checklist" in text


def test_a_key_gone_from_the_keyring_is_said_and_resume_stops_at_the_key_step_saying_why(
    person: Person,
    tmp_path: Path,
    salesforce: FakeSalesforce,
    qtbot: QtBot,
    browser: Browser,
    memory_keyring: MemoryKeyring,
) -> None:
    person.reach_verify(tmp_path, salesforce)
    person.wizard.context.save_settings()
    memory_keyring.entries.clear()  # someone cleared the keyring meanwhile
    again = restart(qtbot, person.wizard.context, browser)
    person_again = Person(qtbot, again)
    person_again.click(again.welcome_page.resume_button)
    qtbot.waitUntil(lambda: again.currentId() == int(PageId.KEY), timeout=10000)
    qtbot.waitUntil(lambda: again.key_page.message.kind == "warning", timeout=10000)
    assert "no longer in your keyring" in again.key_page.message.text()
    assert "no longer in your keyring" in again.welcome_page.resume_label.text()


def test_after_creating_a_connector_a_restart_offers_no_resume_and_reuses_no_key(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce, platform: FakePlatform, qtbot: QtBot, browser: Browser
) -> None:
    person.reach_review(tmp_path, salesforce, platform)
    review = person.wizard.review_page
    person.click(review.create_button)
    qtbot.waitUntil(lambda: review.check_message.kind in ("ok", "error"), timeout=20000)
    person.next()
    assert person.at(PageId.DONE)
    again = restart(qtbot, person.wizard.context, browser)
    welcome = again.welcome_page
    assert not welcome.resume_button.isVisible()
    assert "Last time you created the connector \u201csf-prod\u201d" in welcome.resume_label.text()
    Person(
        qtbot, again
    ).next()  # Create: a fresh start, not the key the connector had (a rotation may have replaced it)
    QApplication.processEvents()
    assert again.context.bundle is None and again.key_page.message.kind != "info"


def test_after_a_check_on_manage_the_focus_is_back_on_check_not_on_back(
    person: Person, existing: SourceConnector
) -> None:
    open_manage(person)
    page = person.wizard.manage_page
    page.table.selectRow(0)
    page.check_button.setFocus()
    person.qtbot.keyClick(page.check_button, Qt.Key.Key_Space)  # keyboard only
    assert page.is_busy()
    person.qtbot.waitUntil(lambda: not page.is_busy() and page.message.kind in ("ok", "error"), timeout=20000)
    assert page.check_button.hasFocus()
    assert not person.wizard.button(QWizard.WizardButton.BackButton).hasFocus()


def test_settings_from_before_still_holding_a_created_connectors_flow_offer_no_resume(
    qtbot: QtBot, context: WizardContext, browser: Browser
) -> None:
    """Earlier versions kept the page and key after Create; such settings end that flow on start."""
    from core.storage.settings import ConnectorRecord

    settings = context.settings
    settings.wizard = ResumeState(page=int(PageId.REVIEW), key_name="salesforce", connector_name="sf-prod")
    settings.remember_connector(ConnectorRecord(id="c-1", name="sf-prod", api_url="https://example.invalid"))
    settings.save()
    again = restart(qtbot, context, browser)
    assert not again.welcome_page.resume_button.isVisible()
    assert "Last time you created the connector \u201csf-prod\u201d" in again.welcome_page.resume_label.text()
    assert again.context.bundle is None


def test_escape_after_a_key_was_made_asks_before_closing(person: Person, tmp_path: Path) -> None:
    person.next()
    person.generate_key(tmp_path / "keys")
    person.wizard.key_page.key_name.setFocus()
    person.qtbot.keyClick(person.wizard.key_page.key_name, Qt.Key.Key_Escape)  # keyboard only
    box = person.wizard.close_box
    assert box is not None and box.isVisible() and "Your key is kept" in box.text()
    assert person.wizard.isVisible()
    box.reject()
    assert person.wizard.isVisible() and person.at(PageId.KEY)


def test_a_warning_on_the_first_page_is_painted_in_its_colour_not_in_black(wizard: ConnectorWizard) -> None:
    """The first page stands on Base, so its labels paint with Text: the warning colours both roles."""
    from PySide6.QtGui import QPalette

    from gui.widgets import MIN_CONTRAST, contrast

    label = wizard.welcome_page.unfinished
    label.show_warning("An earlier run stopped half-way.")
    painted = label.palette().color(label.foregroundRole())
    behind = label.palette().color(
        QPalette.ColorRole.Base if label.foregroundRole() == QPalette.ColorRole.Text else QPalette.ColorRole.Window
    )
    assert abs(painted.hslHue() - 38) <= 2 and painted.hslSaturation() > 100  # amber, not the theme's text colour
    assert contrast(painted, behind) >= MIN_CONTRAST


def test_resume_goes_to_the_saved_step_even_with_manage_ticked(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce, qtbot: QtBot, browser: Browser
) -> None:
    """Desktop round 3, item 10: Resume followed the radio button and opened Manage."""
    person.reach_verify(tmp_path, salesforce)
    person.wizard.context.save_settings()
    again = restart(qtbot, person.wizard.context, browser)
    person_again = Person(qtbot, again)
    person_again.click(again.welcome_page.manage_radio)
    person_again.click(again.welcome_page.resume_button)
    qtbot.waitUntil(lambda: again.currentId() == int(PageId.VERIFY), timeout=10000)
    assert again.currentId() != int(PageId.MANAGE)


def test_welcome_no_longer_names_a_stopped_run_once_it_was_removed(person: Person) -> None:
    """Desktop round 3, item 9: the notice stayed after the run was removed from Manage, until a restart."""
    from core.steps.journal import Journal, new_entry

    entry = new_entry(
        RunKind.SETUP, RunStep.APP, app_name="Unstructured_Connector", instance_url="https://x.my.salesforce.com"
    )
    Journal(person.wizard.context.settings_path).write(replace(entry, pid="999999999"))  # a run long gone
    person.wizard.welcome_page.initializePage()
    assert "stopped while" in person.wizard.welcome_page.unfinished.text()
    person.click(person.wizard.welcome_page.manage_radio)
    person.next()
    assert person.at(PageId.MANAGE)
    Journal(person.wizard.context.settings_path).finish(replace(entry, pid="999999999"))  # removed, as Manage does
    person.wizard.back()
    assert person.at(PageId.WELCOME)
    person.qtbot.waitUntil(lambda: person.wizard.welcome_page.unfinished.text() == "", timeout=5000)
