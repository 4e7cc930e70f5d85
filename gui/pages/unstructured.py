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
from core.errors import InvalidInputError
from core.validation import validate_connector_name
from gui.api_access import ApiAccessForm
from gui.context import WizardContext
from gui.pages.base import StepPage
from gui.widgets import MessageLabel, describe


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

    def validatePage(self) -> bool:
        settings = self.context.settings
        settings.wizard["connector_name"] = self.name.text().strip()
        settings.wizard["categories"] = self.categories()
        self._to_draft()
        self.access.remember()
        self.context.save_settings()
        return True
