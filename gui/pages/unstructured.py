"""Step 6: where the connector goes: API URL, API key, connector name and categories."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.defaults import CATEGORIES, CONNECTOR_LOGIN_URL
from core.errors import ApiKeyRefusedError, AppError, InvalidInputError, PlatformApiError
from core.usecases.reading import ReadingSurvey, survey_reading
from core.validation import validate_connector_name
from gui.api_access import ApiAccessForm
from gui.context import WizardContext
from gui.pages.base import StepPage
from gui.widgets import BusyRow, MessageLabel, add_message_row, describe
from gui.workers import Task, while_alive


def default_connector_name(key_name: str | None) -> str:
    """salesforce-KEY, or KEY itself when it already says salesforce (never "salesforce-salesforce")."""
    key = (key_name or "").strip()
    if not key:
        return "salesforce-connector"
    return key if key.lower().startswith("salesforce") else f"salesforce-{key}"


class UnstructuredPage(StepPage):
    def __init__(self, context: WizardContext) -> None:
        super().__init__(context)
        self.setTitle(self.tr("Unstructured"))
        self.setSubTitle(self.tr("Where to create the connector, and what it should read."))
        self.access = ApiAccessForm(context)
        #: The API URL and key that Unstructured accepted (checked once when leaving the page).
        self._checked_access: tuple[str, str] | None = None
        self._checking: Task | None = None
        self.api_url, self.api_key = self.access.api_url, self.access.api_key
        self.api_url_message, self.api_key_message = self.access.api_url_message, self.access.api_key_message
        self.remember_key = self.access.remember_key
        self.name = QLineEdit()
        describe(self.name, "Connector name", "A unique name for the connector in your Unstructured account")
        self.name_message = MessageLabel()
        self.category_boxes: dict[str, QCheckBox] = {}
        #: Beside each category: its record count, or why the connector's user cannot read it.
        self.category_status: dict[str, MessageLabel] = {}
        categories = QGroupBox(self.tr("Categories to read"))
        grid = QGridLayout(categories)
        grid.setColumnStretch(1, 1)
        for row_number, category in enumerate(CATEGORIES):
            box = QCheckBox(category)
            box.setChecked(True)
            describe(box, f"Category {category}", f"Read Salesforce {category} records")
            box.toggled.connect(self.completeChanged)
            status = MessageLabel()
            self.category_boxes[category] = box
            self.category_status[category] = status
            grid.addWidget(box, row_number, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(status, row_number, 1)
        self.reading_busy = BusyRow()
        self.check_again = QPushButton(self.tr("Check a&gain"))
        describe(
            self.check_again,
            "Check again",
            "Count again what the connector's user can read, after changing its access in Salesforce",
        )
        self.check_again.clicked.connect(self.check_reading)
        self.reading_busy.cancel_requested.connect(self._stop_reading)
        self.reading_message = MessageLabel()
        checking = QHBoxLayout()
        checking.addWidget(self.reading_busy, 1)
        checking.addStretch(0)
        checking.addWidget(self.check_again)
        grid.addLayout(checking, len(CATEGORIES), 0, 1, 2)
        grid.addWidget(self.reading_message, len(CATEGORIES) + 1, 0, 1, 2)
        self._reading: Task | None = None
        self._surveyed_for: tuple[str, str, bytes] | None = None
        #: Categories the last check found unreadable: unticked, and not tickable until a check passes.
        self._blocked: set[str] = set()
        self.categories_message = MessageLabel()

        form = self.access.form
        name_label = QLabel(self.tr("Connector na&me:"))
        name_label.setBuddy(self.name)
        form.addRow(name_label, self.name)
        add_message_row(form, self.name_message)
        layout = QVBoxLayout(self.body)
        layout.addWidget(self.access)
        layout.addWidget(categories)
        layout.addWidget(self.categories_message)
        layout.addStretch(1)
        self.access.changed.connect(self._to_draft)
        self.name.textChanged.connect(self._to_draft)
        for box in self.category_boxes.values():
            box.toggled.connect(self._to_draft)
            box.clicked.connect(lambda _checked: self.forget_routed(self.categories_message))
        self.access.changed.connect(self.completeChanged)
        self.name.textEdited.connect(lambda _text: self.forget_routed(self.name_message))
        self.api_key.textEdited.connect(lambda _text: self.forget_routed(self.api_key_message))
        self.name.textChanged.connect(self.completeChanged)

    def initializePage(self) -> None:
        self.access.prefill()
        if not self.name.text():
            self.name.setText(
                self.context.settings.wizard.connector_name or default_connector_name(self.context.key_name)
            )
        saved = self.context.settings.wizard.categories
        if isinstance(saved, list) and saved:
            for category, box in self.category_boxes.items():
                box.setChecked(category in saved and category not in self._blocked)
        if self._reading is None and (self.context.reading is None or self._surveyed_for != self._reading_inputs()):
            self.check_reading()

    def _reading_inputs(self) -> tuple[str, str, bytes]:
        """Who the connector logs in as, with which app and key: a change makes the last check stale."""
        bundle, draft = self.context.bundle, self.context.draft
        return draft.username, draft.consumer_key, bundle.private_key_pem if bundle is not None else b""

    # --- what the connector will read ------------------------------------------------------------------

    def check_reading(self) -> None:
        """Count, as the connector's user, what it can read in each category (in a worker; the page stays usable)."""
        bundle, draft = self.context.bundle, self.context.draft
        if bundle is None or not draft.username or not draft.consumer_key:
            self.reading_message.show_info(
                self.tr("What the connector can read is checked once the key, username and consumer key are known.")
            )
            return
        login = self.context.login
        self.context.reading = None
        self._surveyed_for = self._reading_inputs()
        task = Task(
            survey_reading,
            username=draft.username,
            consumer_key=draft.consumer_key,
            private_key=bundle.key,
            categories=list(CATEGORIES),
            login_url=login.login_url if login is not None else (draft.login_url or CONNECTOR_LOGIN_URL),
            timings=self.context.timings,
        )
        task.succeeded.connect(while_alive(self, lambda survey: self._reading_done(task, survey)))
        task.failed.connect(while_alive(self, lambda error: self._reading_failed(task, error)))
        self._reading = task
        self.check_again.setEnabled(False)
        self.reading_message.clear_message()
        self.reading_busy.start(self.tr("Checking what the connector's user can read..."))
        task.start()

    def _stop_reading(self) -> None:
        if self._reading is not None:
            self._reading.cancel()
        self._settle_reading()
        self.reading_message.show_info(self.tr("Stopped checking. Check again when you are ready."))

    def _settle_reading(self) -> None:
        self._reading = None
        self.reading_busy.stop()
        self.check_again.setEnabled(True)

    def _reading_failed(self, task: Task, error: AppError) -> None:
        if task is not self._reading:
            return
        self._settle_reading()
        self.reading_message.show_warning(
            self.tr("Could not check what the connector can read: {0}").format(str(error))
        )

    def _reading_done(self, task: Task, survey: ReadingSurvey) -> None:
        if task is not self._reading:
            return
        self._settle_reading()
        self.context.reading = survey
        cleared = self._blocked - {reading.name for reading in survey.unreadable}
        self._blocked = {reading.name for reading in survey.unreadable}
        for reading in survey.categories:
            box, status = self.category_boxes[reading.name], self.category_status[reading.name]
            if reading.readable:
                count = reading.records or 0
                status.show_ok(self.tr("{0} records").format(f"{count:,}") if count != 1 else self.tr("1 record"))
                box.setEnabled(True)
                if reading.name in cleared:
                    box.setChecked(True)  # unticked by the last check, not by the admin
            else:
                status.show_error(self.tr("Cannot be read. {0}").format(reading.reason or ""))
                box.setChecked(False)
                box.setEnabled(False)
        if survey.unreadable:
            self.reading_message.show_warning(
                self.tr(
                    "The connector's user cannot read {0}, so it is left out. Fix its access in Salesforce, "
                    "then choose Check again."
                ).format(", ".join(reading.name for reading in survey.unreadable))
            )
        elif warnings := survey.only(self.categories()).warnings:  # the allowance, the logins an hour allows
            self.reading_message.show_warning(" ".join(warnings))
        elif survey.allowance is None and survey.allowance_reason:
            self.reading_message.show_info(survey.allowance_reason)
        self._to_draft()
        self.completeChanged.emit()

    def categories(self) -> list[str]:
        return [c for c, box in self.category_boxes.items() if box.isChecked()]

    def _to_draft(self) -> None:
        draft = self.context.draft
        draft.api_url, draft.api_key = self.api_url.text().strip(), self.api_key.text()
        draft.connector_name, draft.categories = self.name.text().strip(), self.categories()

    def isComplete(self) -> bool:
        ok = self.access.is_valid()
        if self.name.text().strip():
            try:
                validate_connector_name(self.name.text())
                self.show_field_ok(self.name_message)
            except InvalidInputError as exc:
                self.name_message.show_error(str(exc))
                ok = False
        else:
            ok = False
        if not self.categories():
            self.categories_message.show_error(self.tr("Choose at least one category."))
            ok = False
        else:
            # A verdict routed here from Create (the API refused the categories) stands until the admin
            # changes a tick, whatever re-checks this page meanwhile (a count arriving late, say).
            self.show_field_ok(self.categories_message)
        return ok

    def field_widget(self, field: str) -> QWidget | None:
        return {"api_url": self.api_url, "api_key": self.api_key, "name": self.name}.get(field)

    def show_error(self, field: str, message: str) -> None:
        target = {
            "api_url": self.api_url_message,
            "api_key": self.api_key_message,
            "name": self.name_message,
            "categories": self.categories_message,
        }.get(field, self.name_message)
        self.show_routed(target, message)

    def is_checking(self) -> bool:
        return self._checking is not None

    def _check_access(self, access: tuple[str, str]) -> None:
        """One cheap authenticated read (the account's sources), in a worker; Next again once it answers."""
        try:
            client = self.access.client()
        except AppError as exc:
            self.access.show_refused(exc)
            return
        task = Task(client.list_sources)
        task.succeeded.connect(while_alive(self, lambda _sources: self._access_checked(access)))
        task.failed.connect(while_alive(self, self._access_refused))
        self._checking = task
        self.api_key_message.show_info(self.tr("Checking the API key with Unstructured..."))
        task.start()

    def _access_checked(self, access: tuple[str, str]) -> None:
        self._checking = None
        self._checked_access = access
        self.api_key_message.clear_message()
        wizard = self.wizard()
        if wizard is not None and wizard.currentPage() is self:
            wizard.next()

    def _access_refused(self, error: AppError) -> None:
        self._checking = None
        self.api_key_message.clear_message()
        if isinstance(error, PlatformApiError) and error.status in (401, 403) or isinstance(error, ApiKeyRefusedError):
            self.access.show_refused(error)  # beside the key field, the key selected for the fix
        else:
            self.show_routed(self.api_url_message, str(error))

    def validatePage(self) -> bool:
        # A wrong API key used to pass this page and be refused only after Create connector.
        access = (self.api_url.text().strip(), self.api_key.text())
        if self._checked_access != access:
            if self._checking is None:
                self._check_access(access)
            return False
        settings = self.context.settings
        settings.wizard.connector_name = self.name.text().strip()
        settings.wizard.categories = self.categories()
        self._to_draft()
        self.access.remember()
        self.context.save_settings()
        return True
