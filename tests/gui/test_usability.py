"""Resuming, keyboard-only use, accessible names, palettes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QThreadPool
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)
from pytestqt.qtbot import QtBot

from core.storage.secret_store import SecretStore
from core.storage.settings import ResumeState, Settings
from gui.app import build_wizard
from gui.context import WizardContext
from gui.page_ids import PageId
from gui.wizard import ConnectorWizard
from tests.conftest import CONSUMER_KEY, USERNAME
from tests.fakes.keyrings import MemoryKeyring
from tests.fakes.platform import FakePlatform
from tests.fakes.salesforce import FakeSalesforce
from tests.gui.conftest import Browser, Person
from tests.gui.layout import mnemonics


def test_a_restarted_wizard_resumes_where_the_admin_left(
    person: Person,
    qtbot: QtBot,
    tmp_path: Path,
    salesforce: FakeSalesforce,
    memory_keyring: MemoryKeyring,
    browser: Browser,
) -> None:
    person.reach_verify(tmp_path, salesforce)
    fingerprint = person.wizard.key_page.fingerprint.value()
    person.wizard.close()

    again = build_wizard(WizardContext(store=SecretStore(memory_keyring), settings=Settings.load()))
    qtbot.addWidget(again)
    again.show()
    returning = Person(qtbot, again)
    welcome = again.welcome_page
    assert welcome.resume_button.isVisible() and "Approve and verify" in welcome.resume_label.text()
    # The key's read from the keyring is over on the pool thread, its result not yet delivered to the window, when
    # Resume is pressed (click() delivers nothing queued first): Resume waits for the key to reach the window
    # (it walked on without it, and only the order of Qt's queued events brought it in before the key step).
    assert QThreadPool.globalInstance().waitForDone(10000)
    welcome.resume_button.click()
    qtbot.waitUntil(lambda: returning.at(PageId.VERIFY), timeout=5000)
    assert again.key_page.fingerprint.value() == fingerprint  # the key came back from the keyring
    assert again.credentials_page.username.text() == USERNAME
    assert again.credentials_page.consumer_key.text() == CONSUMER_KEY
    assert all(t.isChecked() for t in again.salesforce_app_page.ticks)
    assert "Settings" not in again.key_page.message.text()


def test_start_over_forgets_the_saved_answers(
    person: Person, qtbot: QtBot, tmp_path: Path, salesforce: FakeSalesforce, memory_keyring: MemoryKeyring
) -> None:
    person.reach_verify(tmp_path, salesforce)
    person.wizard.close()
    again = build_wizard(WizardContext(store=SecretStore(memory_keyring), settings=Settings.load()))
    qtbot.addWidget(again)
    again.show()
    Person(qtbot, again).click(again.welcome_page.start_over_button)
    assert not again.welcome_page.resume_button.isVisible()
    assert Settings.load().wizard == ResumeState()


def _inputs(widget: QWidget) -> list[QWidget]:
    kinds = (QLineEdit, QPlainTextEdit, QAbstractButton, QComboBox, QSpinBox)
    found = [w for kind in kinds for w in widget.findChildren(kind)]
    return [w for w in found if not isinstance(w.parent(), (QComboBox, QSpinBox))]


def test_every_input_has_an_accessible_name_and_a_tooltip(wizard: ConnectorWizard) -> None:
    for page_id in wizard.pageIds():
        page = wizard.page(page_id)
        page.initializePage()
        for widget in _inputs(page):
            if isinstance(widget, QLineEdit) and isinstance(widget.parent(), QSpinBox):
                continue
            assert widget.accessibleName(), f"{type(page).__name__}: {type(widget).__name__} {widget!r} has no name"
            if not isinstance(widget, QLineEdit) or not widget.isReadOnly():
                assert widget.toolTip(), f"{type(page).__name__}: {widget.accessibleName()} has no tooltip"


def test_keyboard_only_entry_of_credentials(
    person: Person, qtbot: QtBot, tmp_path: Path, salesforce: FakeSalesforce
) -> None:
    person.next()
    person.generate_key(tmp_path)
    person.next()
    person.tick_checklist()
    person.next()
    page = person.wizard.credentials_page
    qtbot.keyClick(person.wizard, Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)  # the &username mnemonic
    assert page.username.hasFocus()
    qtbot.keyClicks(page.username, USERNAME)
    qtbot.keyClick(page.username, Qt.Key.Key_Tab)
    assert page.consumer_key.hasFocus()
    qtbot.keyClicks(page.consumer_key, CONSUMER_KEY)
    assert person.next_enabled()
    qtbot.keyClick(person.wizard, Qt.Key.Key_Return)  # Next is the default button
    assert person.at(PageId.VERIFY)


def _start_main(tmp_path: Path, before: str) -> subprocess.CompletedProcess[str]:
    """Run the app's real start (``main.main([])``) in a fresh process, offscreen, after ``before``'s lines."""
    root = Path(__file__).resolve().parents[2]
    probe = f"import sys\nsys.path.insert(0, {str(root)!r})\n{before}import main\nsys.exit(main.main([]))\n"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SFCW_HOME=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def test_launching_main_shows_the_wizard_and_closing_it_ends_the_process(tmp_path: Path) -> None:
    result = _start_main(
        tmp_path,
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication(sys.argv)\n"
        "def close():\n"
        "    windows = [w for w in app.topLevelWidgets() if w.isVisible()]\n"
        "    print('visible:', [type(w).__name__ for w in windows], flush=True)\n"
        "    for w in windows: w.close()\n"
        "QTimer.singleShot(1500, close)\n",
    )
    assert "visible: ['ConnectorWizard']" in result.stdout
    assert "Wizard shown" in (tmp_path / "logs" / "wizard.log").read_text()


def test_the_first_window_is_built_without_the_qt_classes_only_later_pages_use(tmp_path: Path) -> None:
    """PySide builds every Python enum of a Qt class the first time the class is imported (~1-2 ms a class):
    the start up to Welcome's window imports no line edit, text box, message box or URL, which only the pages
    after it and the dialogs use."""
    result = _start_main(
        tmp_path,
        "from PySide6 import QtCore, QtGui, QtWidgets\n"
        "import gui.wizard\n"
        "def show(self):\n"
        "    later = ['QLineEdit', 'QTextEdit', 'QPlainTextEdit', 'QMessageBox', 'QUrl', 'QDesktopServices']\n"
        "    built = [n for n in later if any(n in vars(m) for m in (QtCore, QtGui, QtWidgets))]\n"
        "    print('built before the window is shown:', built, flush=True)\n"
        "    raise SystemExit(0)\n"
        "gui.wizard.ConnectorWizard.show = show\n",
    )
    assert "built before the window is shown: []" in result.stdout, result.stdout


def test_the_first_window_has_only_welcome_and_the_flow_follows_after_its_first_paint(
    qtbot: QtBot, context: WizardContext, tmp_path: Path
) -> None:
    """run_wizard's start: nothing but Welcome before the window is painted, everything after."""
    from gui.app import build_wizard
    from gui.page_ids import PageId

    wizard = build_wizard(context, defer_pages=True)
    qtbot.addWidget(wizard)
    assert wizard.pageIds() == [int(PageId.WELCOME)]
    assert wizard.welcome_page.keyring_warning.text() == ""
    wizard.show()
    qtbot.waitUntil(lambda: int(PageId.KEY) in wizard.pageIds(), timeout=5000)
    assert int(PageId.MANAGE) in wizard.pageIds()
    wizard.next()
    assert wizard.currentId() == int(PageId.KEY)


def test_next_on_welcome_builds_the_pages_even_before_a_paint(qtbot: QtBot, context: WizardContext) -> None:
    from gui.app import build_wizard
    from gui.page_ids import PageId

    wizard = build_wizard(context, defer_pages=True)
    qtbot.addWidget(wizard)
    assert wizard.validateCurrentPage()
    assert int(PageId.KEY) in wizard.pageIds()


def test_no_two_visible_widgets_on_a_page_share_a_mnemonic(person: Person, tmp_path: Path) -> None:
    """Alt+letter must do one thing: checked on each page of the create flow as it is shown."""
    wizard = person.wizard

    def check() -> None:
        page = wizard.currentPage()
        clashes = {k: v for k, v in mnemonics(wizard).items() if len(v) > 1}
        assert not clashes, f"{type(page).__name__}: {clashes}"

    check()  # Welcome
    person.next()
    check()  # Key, before generating
    person.generate_key(tmp_path / "keys")
    check()  # Key, with the result shown
    person.next()
    check()  # Salesforce app, "set it up for me"
    person.next()
    person.click(wizard.salesforce_auto_page.advanced)
    check()  # the automated set-up, advanced options open
    wizard.back()
    person.click(wizard.salesforce_app_page.manual_radio)
    check()  # Salesforce app, the checklist


def test_an_external_client_app_is_told_that_approval_is_not_needed(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce
) -> None:
    person.reach_verify(tmp_path, salesforce)  # the checklist's default kind is an External Client App
    page = person.wizard.verify_page
    assert "the approval is not needed" in page.preauthorised.text() and "do 1. first" in page.preauthorised.text()
    # The order is on the buttons themselves: the approval first, Verify after.
    assert page.open_button.text().startswith("1. ") and page.verify_button.text().startswith("2. ")
    texts = [label.text() for label in person.wizard.salesforce_app_page.findChildren(QLabel)]
    assert any("IP Relaxation" in t and "Relax IP restrictions" in t for t in texts)


def test_at_the_minimum_size_pages_scroll_instead_of_squeezing_inputs(person: Person, tmp_path: Path) -> None:
    """The Key page after generating (its result box shown) was the worst case: inputs 2 px high."""
    from PySide6.QtWidgets import QAbstractSpinBox, QLineEdit, QPlainTextEdit

    wizard = person.wizard
    wizard.resize(wizard.minimumSize())

    def squeezed() -> list[str]:
        page = wizard.currentPage()
        found = []
        for widget in page.findChildren(QWidget):
            if not widget.isVisibleTo(page) or isinstance(widget.parent(), (QAbstractSpinBox, QComboBox)):
                continue  # editors inside spin boxes and combo boxes are sized by them
            if isinstance(widget, (QLineEdit, QPlainTextEdit, QComboBox, QAbstractButton)):
                if widget.height() < widget.minimumSizeHint().height():
                    found.append(f"{type(page).__name__}: {widget.accessibleName() or widget.objectName()}")
        return found

    person.next()
    person.generate_key(tmp_path / "keys")
    QApplication.processEvents()
    assert squeezed() == []
    assert wizard.key_page.scroll_area.verticalScrollBar().maximum() > 0  # it scrolls instead
    person.next()
    person.next()
    person.click(wizard.salesforce_auto_page.advanced)
    QApplication.processEvents()
    assert squeezed() == []


def test_the_review_buttons_stay_put_when_work_starts(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce, platform: FakePlatform
) -> None:
    """The busy row appearing under the buttons used to push them up, and back down when it went."""
    person.reach_review(tmp_path, salesforce, platform)
    review = person.wizard.review_page
    before = review.create_button.mapTo(person.wizard, review.create_button.rect().topLeft())
    platform.delay = 1.0  # the create takes a moment: the busy row shows meanwhile
    person.click(review.create_button)
    person.qtbot.waitUntil(review.busy.isVisible, timeout=5000)
    person.qtbot.wait(50)  # the layout settles
    during = review.create_button.mapTo(person.wizard, review.create_button.rect().topLeft())
    platform.delay = 0.0
    assert during == before


def test_a_two_line_error_in_a_form_leaves_no_gap_under_it(wizard: ConnectorWizard) -> None:
    """A wrapped message in a form's field column got the height of a much narrower label: 60-70 px of nothing
    under a two-line error. It stands in a row of its own now, under the fields, sized for its real width."""
    from PySide6.QtWidgets import QApplication

    wizard.setStartId(int(PageId.UNSTRUCTURED))
    wizard.restart()
    page = wizard.unstructured_page
    page.api_key_message.show_error(
        "The Unstructured API refused the API key (HTTP 401: Invalid API key). Paste a current key from the "
        "Unstructured UI (API Keys) into this field, then choose Next again."
    )
    for _ in range(5):
        QApplication.processEvents()
    label = page.api_key_message
    below = page.name.mapTo(page, page.name.rect().topLeft()).y() - label.mapTo(page, label.rect().bottomLeft()).y()
    assert label.height() <= label.heightForWidth(label.width()) + 2, (label.height(), label.width())
    assert below <= 16, below
    # still under the fields, not under their labels
    assert label.mapTo(page, label.rect().topLeft()).x() == page.api_key.mapTo(page, page.api_key.rect().topLeft()).x()
    page.api_key_message.clear_message()
    QApplication.processEvents()
    row = label.parentWidget()
    assert row is not None and not row.isVisible()  # its row goes with it: no spacing left behind


def test_a_login_host_typed_without_https_is_taken_as_https_and_plain_http_is_refused_beside_it(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce
) -> None:
    person.reach_credentials(tmp_path, salesforce)
    page = person.wizard.credentials_page
    person.enter_credentials("http://acme.my.salesforce.com")  # a remote host over plain http
    assert "must use https://" in page.login_url_message.text() and not person.next_enabled()
    person.type(page.login_url, "acme.my.salesforce.com")  # as the field's label, "Login host", invites
    assert not page.login_url_message.isVisible() and person.next_enabled()
    person.next()
    assert person.at(PageId.VERIFY)
    assert person.wizard.context.draft.login_url == "https://acme.my.salesforce.com"
    assert person.wizard.verify_page.url.value().startswith("https://acme.my.salesforce.com/services/oauth2/authorize")


def test_the_first_window_reads_no_settings_and_welcome_says_what_they_hold_once_it_is_up(
    qtbot: QtBot, memory_keyring: MemoryKeyring
) -> None:
    """The first window shows Welcome's words at once; the settings file, the expiry check, the journal and the
    keyring follow once it is up (they were part of what the first window waited for)."""
    import datetime as dt

    from core.storage.settings import ConnectorRecord

    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(days=10, hours=1)).isoformat()
    Settings.update(
        lambda s: s.remember_connector(ConnectorRecord(id="c1", name="sf-old", api_url="u", not_after=soon))
    )
    Settings.update(lambda s: setattr(s, "wizard", ResumeState(page=int(PageId.CREDENTIALS))))
    context = WizardContext(store=SecretStore(memory_keyring))  # the settings: read where first used
    wizard = build_wizard(context, defer_pages=True)
    qtbot.addWidget(wizard)
    wizard.welcome_page.initializePage()  # what Qt runs as the window is shown
    assert not context.settings_loaded() and wizard.welcome_page.expiry.text() == ""
    assert wizard.welcome_page.resume_button.isHidden()  # not shown, then taken away
    with qtbot.waitSignal(wizard.window_up, timeout=10000):
        wizard.show()
    assert context.settings_loaded()
    assert "sf-old (10 days left)" in wizard.welcome_page.expiry.text()
    assert not wizard.welcome_page.resume_button.isHidden() and "Credentials" in wizard.welcome_page.resume_label.text()


class NoPaint(QObject):
    """Swallows a widget's paint events, as a platform that never paints it (Qt's offscreen one under Wine)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        return event.type() == QEvent.Type.Paint


def test_a_window_nothing_paints_still_gets_its_other_pages_and_says_it_is_up(
    qtbot: QtBot, memory_keyring: MemoryKeyring
) -> None:
    # The work that waits for the first paint (the log file, the other pages) starts anyway once the window has
    # been shown for a moment: under Wine's offscreen platform it never started (the smoke test's log stayed empty).
    wizard = build_wizard(WizardContext(store=SecretStore(memory_keyring), settings=Settings.load()), defer_pages=True)
    qtbot.addWidget(wizard)
    no_paint = NoPaint()
    wizard.installEventFilter(no_paint)
    with qtbot.waitSignal(wizard.window_up, timeout=10000):
        wizard.show()
    assert wizard.isVisible() and not wizard._painted  # the fallback, not a paint, started it
    assert wizard.key_page is not None and wizard.manage_page is not None  # built without a paint
