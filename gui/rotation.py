"""Key rotation, guided: new key → replace the certificate in Salesforce → verify → update → check.

Nothing changes in Unstructured until the new key is verified (or the admin explicitly skips
verification and confirms). The key, credentials and verify steps are the same pages as in the
create flow.
"""

from __future__ import annotations

import dataclasses
from enum import IntEnum

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
)

from core.errors import AppError
from core.unstructured.client import ConnectionCheck, PlatformClient, SourceConnector
from core.unstructured.inventory import ConnectorRow, explain_check_failure
from core.usecases import connectors as usecases
from core.usecases.connectors import ConnectorSaved
from core.usecases.reading import survey_reading
from gui.context import WizardContext
from gui.draft import WizardDraft
from gui.pages.base import StepPage, TaskPage, go_back_to_fix
from gui.pages.credentials import CredentialsPage
from gui.pages.key import KeyPage
from gui.pages.verify import VerifyPage
from gui.reading_message import show_reading
from gui.widgets import CopyField, MessageLabel, describe, fit_to_screen, tell_settings_not_saved
from gui.workers import Task, connection_check_task

REPLACE_STEPS = {
    "external": (
        "In Salesforce Setup, open External Client App Manager and the app the connector uses.",
        "On the Settings tab, edit OAuth Settings. Under Flow Enablement (Enable JWT Bearer Flow), upload the "
        "new certificate below, then Save.",
    ),
    "connected": (
        "In Salesforce Setup, open App Manager; on the connector's app choose Edit.",
        "Under Use digital signatures, choose the new certificate below, then Save.",
    ),
}


class ReplaceCertificatePage(StepPage):
    def __init__(self, context: WizardContext, old_certificate: str) -> None:
        super().__init__(context)
        self.setTitle(self.tr("Replace the certificate in Salesforce"))
        self.setSubTitle(self.tr("The app keeps one certificate. Upload the new one on the same app."))
        self.external_radio = QRadioButton(self.tr("E&xternal Client App"))
        self.connected_radio = QRadioButton(self.tr("Co&nnected App"))
        describe(self.external_radio, "External Client App")
        describe(self.connected_radio, "Connected App")
        group = QButtonGroup(self)
        group.addButton(self.external_radio)
        group.addButton(self.connected_radio)
        (self.connected_radio if context.settings.app_kind == "connected" else self.external_radio).setChecked(True)
        self.steps = QLabel()
        self.steps.setWordWrap(True)
        self.new_cert = CopyField(name="New certificate file")
        warning = QLabel(
            self.tr(
                "From the moment you save the new certificate, the connector's current key no longer logs in until the "
                "connector is updated in the last step: continue right away. To undo, upload the old certificate "
                "again: {0}"
            ).format(old_certificate or self.tr("(its file was not recorded on this computer)"))
        )
        warning.setWordWrap(True)
        self.done_box = QCheckBox(self.tr("I &uploaded the new certificate and saved the app"))
        describe(self.done_box, "I uploaded the new certificate")
        layout = QVBoxLayout(self.body)
        for widget in (self.external_radio, self.connected_radio, self.steps, self.new_cert, warning, self.done_box):
            layout.addWidget(widget)
        layout.addStretch(1)
        self.external_radio.toggled.connect(self._show_steps)
        self.done_box.toggled.connect(self.completeChanged)

    def _show_steps(self) -> None:
        kind = "external" if self.external_radio.isChecked() else "connected"
        self.steps.setText("\n".join(f"{n}. {self.tr(text)}" for n, text in enumerate(REPLACE_STEPS[kind], 1)))

    def initializePage(self) -> None:
        self._show_steps()
        self.new_cert.set_value(str(self.context.cert_path or ""))

    def isComplete(self) -> bool:
        return self.done_box.isChecked()


class ApplyRotationPage(TaskPage):
    rotated = Signal()

    def __init__(self, context: WizardContext, row: ConnectorRow, client: PlatformClient) -> None:
        super().__init__(context)
        self.row = row
        self.client = client
        self.updated: SourceConnector | None = None
        self.setTitle(self.tr("Update the connector"))
        self.summary = QPlainTextEdit()
        self.summary.setReadOnly(True)
        describe(self.summary, "What will change")
        self.confirm_unverified = QCheckBox(
            self.tr("I skipped verification and understand the connector stops working if the new key is wrong")
        )
        describe(self.confirm_unverified, "Confirm update without verification")
        self.update_button = QPushButton(self.tr("&Update connector"))
        describe(self.update_button, "Update connector", "Send the new key (with every other setting) to Unstructured")
        self.check_message = MessageLabel()
        #: After a passing check: what the connector reads now, with the new key.
        self.reading_message = MessageLabel()
        layout = QVBoxLayout(self.body)
        for widget in (
            self.summary,
            self.confirm_unverified,
            self.update_button,
            self.busy,
            self.message,
            self.check_message,
            self.reading_message,
        ):
            layout.addWidget(widget)
        self.update_button.clicked.connect(self._update)
        self.confirm_unverified.toggled.connect(self._refresh)

    def initializePage(self) -> None:
        info = self.context.bundle.certificate_info if self.context.bundle else None
        verified = self.context.login is not None
        self.summary.setPlainText(
            "\n".join(
                [
                    self.tr("Connector: {0} ({1})").format(self.row.name, self.row.id),
                    self.tr("Old certificate SHA-256: {0}").format(self.row.fingerprint_sha256 or self.tr("unknown")),
                    self.tr("New certificate SHA-256: {0}").format(info.fingerprint_sha256 if info else "-"),
                    self.tr("New key verified with Salesforce: {0}").format(
                        self.tr("yes") if verified else self.tr("NO (skipped)")
                    ),
                    self.tr("Username: {0}").format(self.context.draft.username),
                    self.tr("Consumer key: {0}").format(self.context.draft.consumer_key),
                    self.tr("Categories and other settings are kept as they are."),
                ]
            )
        )
        self.confirm_unverified.setVisible(not verified)
        self._refresh()

    def _refresh(self) -> None:
        allowed = self.updated is None and (self.context.login is not None or self.confirm_unverified.isChecked())
        self.update_button.setEnabled(allowed and not self.is_busy())

    def _update(self) -> None:
        bundle = self.context.bundle
        if bundle is None:
            return
        client, connector_id = self.client, self.row.id
        change = usecases.UpdateRequest(
            private_key=bundle.key,  # loaded where the bundle was made or imported
            username=self.context.draft.username,
            consumer_key=self.context.draft.consumer_key,
        )
        keys = list(self.context.settings.keys)  # a snapshot: the worker never touches shared settings

        def update() -> ConnectorSaved:
            return usecases.update_connector(client, connector_id, change, keys=keys)

        self.message.clear_message()
        self.run_task(
            Task(update),
            self.tr("Updating the connector..."),
            on_success=self._updated,
            on_failure=self._failed,
            cancellable=False,
        )

    def busy_changed(self, busy: bool) -> None:
        self._refresh()

    def _updated(self, saved: ConnectorSaved) -> None:
        updated = saved.connector
        self.updated = updated
        saved.apply(self.context.settings)
        self.context.save_settings()
        self.message.show_ok(self.tr("The connector now uses the new key."))
        self.rotated.emit()
        self.run_task(
            connection_check_task(self.client, updated.id, self.context),
            self.tr("Checking the connection..."),
            on_success=self._checked,
            on_failure=self._failed,
        )

    def _checked(self, check: ConnectionCheck) -> None:
        if check.passed:
            self.check_message.show_ok(self.tr("Connection check passed with the new key."))
            QTimer.singleShot(0, self, self._look_at_reading)
        else:
            self.check_message.show_error(
                self.tr("Connection check failed: {0}").format(explain_check_failure(check.reason, where="manage"))
            )

    def _look_at_reading(self) -> None:
        """A fresh look, with the new key, at what the connector reads (its categories, as Unstructured has them)."""
        bundle, updated, draft = self.context.bundle, self.updated, self.context.draft
        if bundle is None or updated is None:
            return
        categories = updated.config.get("categories")
        login = self.context.login
        task = Task(
            survey_reading,
            username=draft.username,
            consumer_key=draft.consumer_key,
            private_key=bundle.key,
            categories=categories if isinstance(categories, list) and categories else None,
            login_url=login.login_url if login is not None else draft.login_url,
            timings=self.context.timings,
        )
        self.run_task(
            task,
            self.tr("Counting what {0} reads now...").format(self.row.name),
            on_success=lambda survey: show_reading(self.reading_message, self.row.name, survey),
            on_failure=lambda error: self.reading_message.show_warning(
                self.tr("Could not count what {0} reads now: {1}").format(self.row.name, str(error))
            ),
        )

    def _failed(self, error: AppError) -> None:
        target = self.check_message if self.updated is not None else self.message
        target.show_error(
            str(error) if self.updated is None else self.tr("The connection check did not finish: {0}").format(error)
        )

    def task_cancelled(self) -> None:
        self.check_message.show_info(self.tr("Stopped waiting; the check may still finish in Unstructured."))

    def isComplete(self) -> bool:
        return self.updated is not None and not self.is_busy()


class RotationPageId(IntEnum):
    KEY = 0
    REPLACE_CERTIFICATE = 1
    CREDENTIALS = 2
    VERIFY = 3
    APPLY = 4


class RotationWizard(QWizard):
    """A window of its own over the manage page; shares the store and settings with the main wizard."""

    rotated = Signal()

    def __init__(
        self, context: WizardContext, row: ConnectorRow, client: PlatformClient, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.context = dataclasses.replace(
            context,
            bundle=None,
            key_name="",
            cert_path=None,
            login=None,
            connector=None,
            check=None,
            draft=WizardDraft(),
            save_failed=self._settings_not_saved,
        )
        self.row = row
        self.close_box: QMessageBox | None = None
        self.setWindowTitle(self.tr("Rotate the key of {0}").format(row.name))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        fit_to_screen(self, 720, 560)
        old_cert = ""
        if row.fingerprint_sha256:
            old = next((k for k in context.settings.keys if k.fingerprint_sha256 == row.fingerprint_sha256), None)
            old_cert = old.certificate_path if old else ""
        self.key_page = KeyPage(self.context)
        self.replace_page = ReplaceCertificatePage(self.context, old_cert)
        self.credentials_page = CredentialsPage(self.context)
        self.verify_page = VerifyPage(self.context)
        self.apply_page = ApplyRotationPage(self.context, row, client)
        for page_id, page in (
            (RotationPageId.KEY, self.key_page),
            (RotationPageId.REPLACE_CERTIFICATE, self.replace_page),
            (RotationPageId.CREDENTIALS, self.credentials_page),
            (RotationPageId.VERIFY, self.verify_page),
            (RotationPageId.APPLY, self.apply_page),
        ):
            self.setPage(int(page_id), page)
        self.apply_page.rotated.connect(self.rotated)
        self.verify_page.fix_requested.connect(
            lambda _page, field, message: go_back_to_fix(self, int(RotationPageId.CREDENTIALS), field, message)
        )
        # Fill in the connector's own username and consumer key (the service returns them).
        self._prefill = Task(client.get_source, row.id)
        self._prefill.succeeded.connect(self._prefilled)
        self._prefill.start()

    def _settings_not_saved(self, message: str) -> None:
        tell_settings_not_saved(self, message)

    def reject(self) -> None:
        """Cancel: say what the cancelled rotation made and keeps (it was silent, leaving a new key behind)."""
        bundle = self.context.bundle
        if bundle is None or self.apply_page.updated is not None or self.close_box is not None:
            super().reject()
            return
        where = str(self.context.cert_path or "")
        kept = (
            self.tr("in your keyring, certificate {0}").format(where)
            if not self.context.session_only
            else self.tr("in memory only: it is gone when this window closes")
        )
        box = QMessageBox(
            QMessageBox.Icon.Information,
            self.tr("Rotation cancelled"),
            self.tr(
                "The connector {0} still uses its old key; nothing was sent to Unstructured. The new key "
                "\u201c{1}\u201d is kept ({2}): use it for a later rotation, or delete it. If you already put its "
                "certificate on the Salesforce app, put the old certificate back there, or finish the rotation."
            ).format(self.row.name, self.context.key_name, kept),
            QMessageBox.StandardButton.Close,
            self,
        )
        box.finished.connect(lambda _result: QWizard.reject(self))
        self.close_box = box
        box.open()

    def _prefilled(self, connector: SourceConnector) -> None:
        page = self.credentials_page
        if not page.username.text():
            page.username.setText(str(connector.config.get("username", "")))
        if not page.consumer_key.text():
            page.consumer_key.setText(str(connector.config.get("consumer_key", "")))
