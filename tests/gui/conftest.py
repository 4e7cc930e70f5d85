"""Driving the real wizard offscreen, as a person would: typing, ticking, clicking real buttons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from PySide6.QtCore import QObject, QPoint, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QCheckBox,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QWizard,
)
from pytestqt.qtbot import QtBot

from core.crypto.keypair import KeyBundle
from core.defaults import TIMINGS
from core.storage.secret_store import SecretStore
from core.storage.settings import KeyRecord, Settings
from core.unstructured.client import PlatformClient, SourceConnector
from core.usecases.connectors import connector_record
from core.validation import validate_config
from gui.app import build_wizard
from gui.context import WizardContext
from gui.page_ids import PageId
from gui.pages.unstructured import UnstructuredPage
from gui.rotation import RotationWizard
from gui.wizard import ConnectorWizard
from tests.conftest import API_KEY, CONSUMER_KEY, USERNAME
from tests.fakes.keyrings import MemoryKeyring
from tests.fakes.platform import FakePlatform
from tests.fakes.salesforce import FakeSalesforce


class Browser(QObject):
    """Stands in for the default browser: records the URLs the wizard opens and can visit them."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString())

    @staticmethod
    def visit(url: str) -> requests.Response:
        return requests.get(url, allow_redirects=False, timeout=5)


@pytest.fixture
def browser() -> Iterator[Browser]:
    handler = Browser()
    for scheme in ("http", "https", "file"):
        # PySide6's stub says bytes, but only a str is accepted when it runs ("wrong argument values").
        QDesktopServices.setUrlHandler(scheme, handler, "open")  # type: ignore[arg-type]
    yield handler
    for scheme in ("http", "https", "file"):
        QDesktopServices.unsetUrlHandler(scheme)


@pytest.fixture
def context(memory_keyring: MemoryKeyring) -> WizardContext:
    return WizardContext(
        store=SecretStore(memory_keyring),
        settings=Settings.load(),
        timings=TIMINGS._replace(http_timeout=(2.0, 3.0), check_timeout=30.0, check_poll_interval=0.05),
    )


@pytest.fixture
def wizard(qtbot: QtBot, context: WizardContext, browser: Browser) -> Iterator[ConnectorWizard]:
    wizard = build_wizard(context)
    qtbot.addWidget(wizard)
    # pytest-qt's waitExposed/waitActive wait only as context managers (called plainly they return one
    # and wait for nothing): the keyboard tests' Alt+key went, now and then, to a window not yet active.
    with qtbot.waitExposed(wizard):
        wizard.show()
    if QGuiApplication.platformName() != "offscreen":  # a real display: focus needs the active window
        with qtbot.waitActive(wizard):
            wizard.activateWindow()
    yield wizard
    # Closed for good, as after "Close" in its prompt: closing it plainly mid-flow asks first, and the
    # unanswered prompt and its wizard stayed on screen, where a later test's window could lose the focus to them.
    wizard._close_now()
    for window in QApplication.topLevelWidgets():
        if isinstance(window, QMessageBox) and window.isVisible():
            window.done(QMessageBox.StandardButton.Cancel.value)


def cell(table: QTableWidget, row: int, column: int) -> QTableWidgetItem:
    """The table's item at (row, column), which the test expects to be there."""
    item = table.item(row, column)
    assert item is not None, f"no cell at ({row}, {column})"
    return item


class WizardUser:
    """What a person does with any of the app's wizards (the create flow, the rotation window)."""

    def __init__(self, qtbot: QtBot, wizard: QWizard) -> None:
        self.qtbot = qtbot
        self.wizard = wizard

    def click(self, button: QAbstractButton) -> None:
        assert button.isVisible() and button.isEnabled(), f"{button.text()!r} cannot be clicked"
        if isinstance(button, (QCheckBox, QRadioButton)):
            # A person clicks the box itself; a wide check box's centre can be empty space.
            self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(8, button.height() // 2))
        else:
            self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    def alt(self, key: Qt.Key) -> None:
        """Alt+key, as a person at the keyboard. Mnemonics go to the active window; on a real display without a
        window manager the wizard can lose that when another window closes, so it is made active first."""
        if QGuiApplication.platformName() != "offscreen" and QApplication.activeWindow() is not self.wizard:
            with self.qtbot.waitActive(self.wizard):
                self.wizard.activateWindow()
        self.qtbot.keyClick(self.wizard, key, Qt.KeyboardModifier.AltModifier)

    def next(self) -> None:
        before = self.wizard.currentId()
        self.click(self.wizard.button(QWizard.WizardButton.NextButton))
        page = self.wizard.currentPage()
        if self.wizard.currentId() == before and isinstance(page, UnstructuredPage) and page.is_checking():
            # Leaving the Unstructured page checks the API key first (one request): wait for its answer.
            self.qtbot.waitUntil(lambda: not page.is_checking(), timeout=10000)

    def type(self, field: QLineEdit | QPlainTextEdit, text: str, *, replace: bool = True) -> None:
        if replace:
            field.selectAll() if isinstance(field, QLineEdit) else field.clear()
            if isinstance(field, QLineEdit):
                self.qtbot.keyClick(field, Qt.Key.Key_Delete)
        if isinstance(field, QPlainTextEdit):
            field.insertPlainText(text)  # keyClicks is slow for a whole PEM; insertion is what a paste does
        else:
            self.qtbot.keyClicks(field, text)

    def at(self, page: PageId) -> bool:
        return self.wizard.currentId() == int(page)

    def next_enabled(self) -> bool:
        return self.wizard.button(QWizard.WizardButton.NextButton).isEnabled()

    def generate_key(self, folder: Path, *, bits: int = 2048) -> None:
        """On the key page both wizards have (the create flow's, the rotation's)."""
        assert isinstance(self.wizard, (ConnectorWizard, RotationWizard))
        page = self.wizard.key_page
        self.type(page.folder, str(folder))
        page.bits.setCurrentIndex(page.bits.findData(bits))
        self.click(page.action_button)
        self.qtbot.waitUntil(page.isComplete, timeout=20000)


class Person(WizardUser):
    """What a person does with the wizard, in the words of the tests."""

    wizard: ConnectorWizard

    def __init__(self, qtbot: QtBot, wizard: ConnectorWizard, *, browser: Browser | None = None) -> None:
        super().__init__(qtbot, wizard)
        #: Where the wizard's "open in the browser" went (the person's browser), for approve_in_browser.
        self.browser = browser

    # --- whole steps --------------------------------------------------------------------------

    def tick_checklist(self) -> None:
        """The manual path: choose the checklist, then tick every step."""
        page = self.wizard.salesforce_app_page
        if not page.manual_radio.isChecked():
            self.click(page.manual_radio)
        for tick in self.wizard.salesforce_app_page.ticks:
            self.click(tick)

    def enter_credentials(self, login_url: str, *, username: str = USERNAME, consumer_key: str = CONSUMER_KEY) -> None:
        page = self.wizard.credentials_page
        self.type(page.username, username)
        self.type(page.consumer_key, consumer_key)
        self.click(page.advanced)
        self.type(page.login_url, login_url)

    def verify(self) -> None:
        page = self.wizard.verify_page
        self.click(page.verify_button)
        self.qtbot.waitUntil(lambda: page.result.kind in ("ok", "error"), timeout=10000)

    def enter_unstructured(self, api_url: str, api_key: str = API_KEY, name: str = "sf-prod") -> None:
        page = self.wizard.unstructured_page
        self.type(page.api_url, api_url)
        self.type(page.api_key, api_key)
        self.type(page.name, name)

    def upload_certificate(self, salesforce: FakeSalesforce, **app_options: object) -> None:
        """What the admin does in Salesforce Setup: create the app with the wizard's certificate."""
        cert_path = self.wizard.context.cert_path
        assert cert_path is not None
        salesforce.register_app(CONSUMER_KEY, cert_path.read_bytes(), **app_options)

    def approve_in_browser(self, salesforce: FakeSalesforce) -> None:
        page = self.wizard.verify_page
        self.click(page.open_button)
        salesforce.browser_user = USERNAME
        assert self.browser is not None, "this person has no browser to approve in"
        response = Browser.visit(self.browser.opened[-1])
        assert response.status_code == 302

    def reach_credentials(self, tmp_path: Path, salesforce: FakeSalesforce, **app_options: object) -> None:
        """The manual path up to the credentials: a key, the app made in Setup with its certificate, the checklist."""
        self.next()
        self.generate_key(tmp_path / "keys")
        self.next()
        self.upload_certificate(salesforce, **app_options)
        self.tick_checklist()
        self.next()
        assert self.at(PageId.CREDENTIALS)

    def reach_verify(self, tmp_path: Path, salesforce: FakeSalesforce, **app_options: object) -> None:
        self.reach_credentials(tmp_path, salesforce, **app_options)
        self.enter_credentials(salesforce.url)
        self.next()
        assert self.at(PageId.VERIFY)

    def reach_review(
        self, tmp_path: Path, salesforce: FakeSalesforce, platform: FakePlatform, **unstructured: str
    ) -> None:
        self.reach_verify(tmp_path, salesforce)
        self.approve_in_browser(salesforce)
        self.verify()
        assert self.wizard.verify_page.result.kind == "ok", self.wizard.verify_page.result.text()
        self.next()
        self.enter_unstructured(platform.api_url, **unstructured)
        self.next()
        assert self.at(PageId.REVIEW)

    def create_with_the_categories_refused(
        self, tmp_path: Path, salesforce: FakeSalesforce, platform: FakePlatform
    ) -> None:
        """Reach Review and Create, the Platform refusing the categories: the wizard routes back to them."""
        self.reach_review(tmp_path, salesforce, platform)
        platform.fail_next(
            422, {"detail": [{"loc": ["body", "config", "categories"], "msg": "bad", "type": "x"}]}, method="POST"
        )
        self.click(self.wizard.review_page.create_button)
        self.qtbot.waitUntil(lambda: self.at(PageId.UNSTRUCTURED), timeout=10000)


@pytest.fixture
def person(qtbot: QtBot, wizard: ConnectorWizard, browser: Browser) -> Person:
    return Person(qtbot, wizard, browser=browser)


@pytest.fixture
def existing(
    platform: FakePlatform, key_bundle: KeyBundle, person: Person, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> SourceConnector:
    """A connector made earlier from this machine, whose certificate expires in 10 days."""
    monkeypatch.setenv("UNSTRUCTURED_API_KEY", API_KEY)
    client = PlatformClient(api_url=platform.api_url, api_key=API_KEY)
    config = validate_config(username=USERNAME, consumer_key=CONSUMER_KEY, private_key=key_bundle.private_key_pem)
    connector = client.create_source(name="sf-old", config=config)
    info = key_bundle.certificate_info
    assert info is not None
    cert = tmp_path / "old.crt"
    cert.write_bytes(key_bundle.cert_pem or b"")
    settings = person.wizard.context.settings
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(days=10, hours=1)).isoformat()
    settings.remember_key(
        KeyRecord(
            name="old",
            public_key_id=info.public_key_id,
            fingerprint_sha256=info.fingerprint_sha256,
            not_after=soon,
            certificate_path=str(cert),
        )
    )
    settings.remember_connector(connector_record(connector, key=config.key, api_url=platform.url, keys=settings.keys))
    settings.api_url = platform.api_url
    return connector


@pytest.fixture(autouse=True)
def _no_task_outlives_its_test() -> Iterator[None]:
    """A test's tasks end with it. The app's process ends with its window; the tests' does not, and a task of a
    closed window ran on in Qt's pool (two threads on a two-core machine): a connection check left polling for
    30 s held one, and two such left a later test's work queued behind them. Each is told to stop, as Stop does,
    and the pool is waited for."""
    from PySide6.QtCore import QThreadPool

    from gui.workers import running_tasks

    yield
    for task in running_tasks():
        task.cancel_event.set()
    assert QThreadPool.globalInstance().waitForDone(60000), "a task of this test still runs a minute after it"
