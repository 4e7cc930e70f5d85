"""Step 6: where the connector goes: API URL, API key, connector name and categories."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from core.defaults import CATEGORIES
from core.errors import ApiKeyRefusedError, AppError, InvalidInputError, PlatformApiError
from core.validation import validate_connector_name
from gui.api_access import ApiAccessForm
from gui.context import WizardContext
from gui.pages.base import StepPage
from gui.widgets import MessageLabel, describe
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
        categories = QGroupBox(self.tr("Categories to read"))
        row = QHBoxLayout(categories)
        for category in CATEGORIES:
            box = QCheckBox(category)
            box.setChecked(True)
            describe(box, f"Category {category}", f"Read Salesforce {category} records")
            box.toggled.connect(self.completeChanged)
            self.category_boxes[category] = box
            row.addWidget(box)
        self.categories_message = MessageLabel()

        form = self.access.form
        name_label = QLabel(self.tr("Connector na&me:"))
        name_label.setBuddy(self.name)
        form.addRow(name_label, self.name)
        form.addRow("", self.name_message)
        layout = QVBoxLayout(self.body)
        layout.addWidget(self.access)
        layout.addWidget(categories)
        layout.addWidget(self.categories_message)
        layout.addStretch(1)
        self.access.changed.connect(self._to_draft)
        self.name.textChanged.connect(self._to_draft)
        for box in self.category_boxes.values():
            box.toggled.connect(self._to_draft)
        self.access.changed.connect(self.completeChanged)
        self.name.textEdited.connect(lambda _text: self.forget_routed(self.name_message))
        self.api_key.textEdited.connect(lambda _text: self.forget_routed(self.api_key_message))
        self.name.textChanged.connect(self.completeChanged)

    def initializePage(self) -> None:
        self.access.prefill()
        if not self.name.text():
            self.name.setText(
                str(self.context.settings.wizard.get("connector_name", ""))
                or default_connector_name(self.context.key_name)
            )
        saved = self.context.settings.wizard.get("categories")
        if isinstance(saved, list) and saved:
            for category, box in self.category_boxes.items():
                box.setChecked(category in saved)

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
            self.categories_message.clear_message()
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
        settings.wizard["connector_name"] = self.name.text().strip()
        settings.wizard["categories"] = self.categories()
        self._to_draft()
        self.access.remember()
        self.context.save_settings()
        return True
