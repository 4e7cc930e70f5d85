"""Step 6: where the connector goes: API URL, API key, connector name and categories."""

from __future__ import annotations

import os

from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWizardPage,
)

from core.defaults import API_KEY_ENTRY, API_KEY_ENV, CATEGORIES
from core.errors import InvalidInputError
from core.unstructured import default_api_url, normalise_api_url
from core.validation import validate_connector_name
from gui.context import WizardContext
from gui.widgets import MessageLabel, describe


class UnstructuredPage(QWizardPage):
    def __init__(self, context: WizardContext) -> None:
        super().__init__()
        self.context = context
        self.api_key_source = ""
        self.setTitle(self.tr("Unstructured"))
        self.setSubTitle(self.tr("Where to create the connector, and what it should read."))
        self.api_url = QLineEdit()
        describe(
            self.api_url,
            "Unstructured API URL",
            "Usually https://platform.unstructuredapp.io/api/v1; your account may have its own",
        )
        self.api_url_message = MessageLabel()
        self.api_key = QLineEdit()
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        describe(self.api_key, "Unstructured API key", "From the Unstructured UI, API Keys")
        self.show_key = QAction(self.tr("Show"), self.api_key)
        self.show_key.setCheckable(True)
        self.show_key.setToolTip(self.tr("Show or hide the API key"))
        self.api_key.addAction(self.show_key, QLineEdit.ActionPosition.TrailingPosition)
        self.show_key.toggled.connect(self._toggle_shown)
        for button in self.api_key.findChildren(QToolButton):  # the button Qt made for the action
            describe(button, "Show or hide the API key")
        self.remember_key = QCheckBox(self.tr("&Remember the API key in my keyring"))
        describe(self.remember_key, "Remember the API key in my keyring")
        self.api_key_message = MessageLabel()
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

        form = QFormLayout()
        for text, widget, message in (
            (self.tr("API &URL:"), self.api_url, self.api_url_message),
            (self.tr("API &key:"), self.api_key, self.api_key_message),
            (self.tr("Connector &name:"), self.name, self.name_message),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
            if widget is self.api_key:
                form.addRow("", self.remember_key)
            form.addRow("", message)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(categories)
        layout.addWidget(self.categories_message)
        layout.addStretch(1)
        self.registerField("api_url*", self.api_url)
        self.registerField("api_key*", self.api_key)
        self.registerField("connector_name*", self.name)
        for edit in (self.api_url, self.api_key, self.name):
            edit.textChanged.connect(self.completeChanged)

    def _toggle_shown(self, shown: bool) -> None:
        self.api_key.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.show_key.setText(self.tr("Hide") if shown else self.tr("Show"))

    def initializePage(self) -> None:
        if not self.api_url.text():
            self.api_url.setText(self.context.settings.api_url or default_api_url())
        if not self.name.text():
            self.name.setText(
                str(self.context.settings.wizard.get("connector_name", ""))
                or f"salesforce-{self.context.key_name or 'connector'}"
            )
        if not self.api_key.text():
            from_env = os.environ.get(API_KEY_ENV, "").strip()
            stored = None if from_env else self.context.read_secret(API_KEY_ENTRY)
            if from_env:
                self.api_key.setText(from_env)
                self.api_key_source = "environment"
                self.api_key_message.show_info(self.tr("Using the key from {0}.").format(API_KEY_ENV))
            elif stored:
                self.api_key.setText(stored)
                self.api_key_source = "keyring"
                self.remember_key.setChecked(True)
                self.api_key_message.show_info(self.tr("Using the key saved in your keyring."))
        saved = self.context.settings.wizard.get("categories")
        if isinstance(saved, list) and saved:
            for category, box in self.category_boxes.items():
                box.setChecked(category in saved)

    def categories(self) -> list[str]:
        return [c for c, box in self.category_boxes.items() if box.isChecked()]

    def isComplete(self) -> bool:
        ok = True
        try:
            normalise_api_url(self.api_url.text())
            self.api_url_message.clear_message()
        except InvalidInputError as exc:
            self.api_url_message.show_error(str(exc))
            ok = False
        if self.api_key.text().strip() == "":
            ok = False
        if self.name.text().strip():
            try:
                validate_connector_name(self.name.text())
                self.name_message.clear_message()
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

    def show_error(self, field: str, message: str) -> None:
        target = {
            "api_url": self.api_url_message,
            "api_key": self.api_key_message,
            "name": self.name_message,
            "categories": self.categories_message,
        }.get(field, self.name_message)
        target.show_error(message)

    def validatePage(self) -> bool:
        settings = self.context.settings
        settings.api_url = self.api_url.text().strip()
        settings.wizard["connector_name"] = self.name.text().strip()
        settings.wizard["categories"] = self.categories()
        if self.remember_key.isChecked() and self.api_key_source != "keyring":
            try:
                self.context.save_secret(API_KEY_ENTRY, self.api_key.text().strip())
                self.api_key_source = "keyring"
            except Exception as exc:  # noqa: BLE001 - a keyring failure must not block creating the connector
                self.api_key_message.show_warning(
                    self.tr(
                        "The API key could not be saved in your keyring ({0}); it is used for this session only."
                    ).format(exc)
                )
        self.context.save_settings()
        return True
