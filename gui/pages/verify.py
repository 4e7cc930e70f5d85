"""Step 5: approve the app once in the browser, then prove the connector's login works."""

from __future__ import annotations

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from core.defaults import CONNECTOR_LOGIN_URL
from core.errors import AppError, SalesforceLoginError
from core.salesforce.login import LoginResult, approval_url, verify_jwt_login
from core.urls import SafeUrl
from gui.context import WizardContext
from gui.page_ids import PageId
from gui.pages.base import TaskPage
from gui.widgets import CopyField, MessageLabel, describe
from gui.workers import Task


class VerifyPage(TaskPage):
    #: A login failure another step fixes: (page, field, message), as the Review page's.
    fix_requested = Signal(int, str, str)

    def __init__(self, context: WizardContext) -> None:
        super().__init__(context)
        self._verified_for: tuple[str, str, str, bytes] | None = None
        self.setTitle(self.tr("Approve the app and verify the login"))
        self.setSubTitle(
            self.tr(
                "Approve the app once as the connector's user, then let the wizard make the "
                "same login the connector will make."
            )
        )
        steps = QLabel(
            self.tr(
                "1. Open the approval page while logged in to Salesforce as the connector's user, and click Allow.\n"
                "2. The browser then lands on a page at https://localhost that does not load. That is expected: "
                "the approval is already recorded, and you can close that tab.\n"
                "3. Click 2. Verify login."
            )
        )
        steps.setWordWrap(True)
        self.preauthorised = MessageLabel()
        self.url = CopyField(name="Approval URL")
        # Numbered as the steps above: the approval first, Verify after (Verify first says "not approved").
        self.open_button = QPushButton(self.tr("1. &Open approval page in browser"))
        describe(self.open_button, "Open approval page in browser", "Opens the approval URL in your default browser")
        self.verify_button = QPushButton(self.tr("2. &Verify login"))
        describe(self.verify_button, "Verify login", "Make the connector's JWT login with the key and consumer key")
        self.result = self.message
        self.diagnosis = MessageLabel()
        # After a failure that names an input of an earlier step: one click back to that input.
        self.fix_button = QPushButton(self.tr("Change the consumer &key"))
        describe(self.fix_button, "Change the consumer key", "Go back to the consumer key field to correct it")
        self.fix_button.hide()
        self._fix: tuple[int, str, str] | None = None
        self.skip = QCheckBox(self.tr("&Skip verification (e.g. this computer is offline)"))
        describe(
            self.skip,
            "Skip verification",
            "Continue without proving the login; a mistake will only show in the connection check",
        )
        self.skip_warning = MessageLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.verify_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self.body)
        layout.addWidget(self.preauthorised)
        layout.addWidget(steps)
        layout.addWidget(self.url)
        layout.addLayout(buttons)
        layout.addWidget(self.busy)
        layout.addWidget(self.diagnosis)
        layout.addWidget(self.result)
        layout.addWidget(self.fix_button)
        layout.addWidget(self.skip)
        layout.addWidget(self.skip_warning)
        layout.addStretch(1)
        self.open_button.clicked.connect(self._open)
        self.verify_button.clicked.connect(self._verify)
        self.fix_button.clicked.connect(self._go_fix)
        self.skip.toggled.connect(self._skip_toggled)

    def _inputs(self) -> tuple[str, str, SafeUrl]:
        draft = self.context.draft
        return draft.username, draft.consumer_key, draft.login_url

    def initializePage(self) -> None:
        # An External Client App's users are pre-authorised by its policy: no approval in the browser.
        if self.context.settings.app_kind == "external":
            self.preauthorised.show_info(
                self.tr(
                    "If your External Client App pre-authorises the connector's user (checklist step 5), the approval "
                    "is not needed and you can go straight to 2. Verify login. If Verify says the user has not "
                    "approved this consumer, the app lets users self-authorize: do 1. first."
                )
            )
        else:
            self.preauthorised.clear_message()
        username, consumer_key, login = self._inputs()
        try:
            self.url.set_value(approval_url(consumer_key, login_url=login))
        except AppError as exc:
            self.url.set_value("")
            self.result.show_error(str(exc))
        key = self.context.bundle.private_key_pem if self.context.bundle else b""
        if self._verified_for != (username, consumer_key, login, key):
            self.context.login = None  # inputs changed since the last success
            self.result.clear_message()
        if login != CONNECTOR_LOGIN_URL:
            self.diagnosis.show_warning(
                self.tr(
                    "Diagnosing against {0}. The connector itself always logs in through {1}, so a success here "
                    "does not prove the connector will work."
                ).format(login, CONNECTOR_LOGIN_URL)
            )
        else:
            self.diagnosis.clear_message()
        self.completeChanged.emit()

    def _open(self) -> None:
        if self.url.value() and not QDesktopServices.openUrl(QUrl(self.url.value())):
            self.result.show_error(self.tr("No browser could be opened. Copy the approval URL into a browser."))

    def _verify(self) -> None:
        bundle = self.context.bundle
        if bundle is None:
            self.result.show_error(self.tr("Make or import the key first (step 2)."))
            return
        username, consumer_key, login = self._inputs()
        task = Task(
            verify_jwt_login,
            username=username,
            consumer_key=consumer_key,
            private_key=bundle.key,  # loaded once, where the bundle was made
            login_url=login,
            timeout=self.context.timings.http_timeout,
        )
        inputs = (username, consumer_key, login, bundle.private_key_pem)
        self.result.clear_message()
        self.run_task(
            task,
            self.tr("Logging in to Salesforce..."),
            on_success=lambda result: self._succeeded(inputs, result),
            on_failure=self._failed,
        )

    def busy_changed(self, busy: bool) -> None:
        self.verify_button.setEnabled(not busy)

    def _succeeded(self, inputs: tuple[str, str, str, bytes], result: LoginResult) -> None:
        self.context.login = result
        self.fix_button.hide()
        self._verified_for = inputs
        who = result.username + (f" ({result.display_name})" if result.display_name else "")
        self.result.show_ok(
            self.tr("The login works: {0}, org {1}, instance {2}.").format(
                who, result.org_id or self.tr("unknown"), result.instance_url
            )
        )

    def _failed(self, error: AppError) -> None:
        self.context.login = None
        text = str(error)
        self._fix = None
        if isinstance(error, SalesforceLoginError):
            text = self.tr("Salesforce said: {0}: {1}\n\nWhat to do: {2}").format(
                error.error, error.description or self.tr("(no description)"), error.fix
            )
            if error.error == "invalid_client_id":  # the consumer key is not one Salesforce knows
                self._fix = (int(PageId.CREDENTIALS), "consumer_key", text)
        self.fix_button.setVisible(self._fix is not None)
        self.result.show_error(text + "\n\n" + self.tr("Fix it, then click Verify login again."))
        if self._fix is not None:
            self.fix_button.setFocus()  # Enter takes the admin to the field to fix

    def _go_fix(self) -> None:
        if self._fix is not None:
            self.fix_button.hide()
            self.fix_requested.emit(*self._fix)

    def _skip_toggled(self, on: bool) -> None:
        if on:
            self.skip_warning.show_warning(
                self.tr(
                    "Without verification, a wrong consumer key, a missing approval or a certificate that does not "
                    "match will only show up in the connection check after the connector is created."
                )
            )
        else:
            self.skip_warning.clear_message()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return not self.is_busy() and (self.context.login is not None or self.skip.isChecked())
