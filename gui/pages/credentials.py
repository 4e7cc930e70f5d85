"""Step 4: the Salesforce username and the app's consumer key, validated as they are typed."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from core.defaults import CONNECTOR_LOGIN_URL
from core.errors import InvalidInputError
from core.urls import SafeUrl
from core.validation import validate_consumer_key, validate_username
from gui.context import WizardContext
from gui.pages.base import StepPage
from gui.widgets import MessageLabel, add_message_row, describe


class CredentialsPage(StepPage):
    def __init__(self, context: WizardContext) -> None:
        super().__init__(context)
        self.setTitle(self.tr("Salesforce credentials"))
        self.setSubTitle(
            self.tr(
                "The connector logs in as this Salesforce user, through the Salesforce app that trusts your certificate."
            )
        )
        self.username = QLineEdit()
        self.username.setPlaceholderText("integration.user@example.com")
        describe(
            self.username,
            "Salesforce username",
            "The Salesforce username the connector logs in as (looks like an e-mail address)",
        )
        self.username_message = MessageLabel()
        self.consumer_key = QLineEdit()
        self.consumer_key.setPlaceholderText("3MVG9...")
        describe(self.consumer_key, "Consumer key", "The app's Consumer Key (not the secret)")
        self.consumer_key_message = MessageLabel()
        note = QLabel(
            self.tr(
                "The connector always logs in through {0}, so it works with production orgs only: sandboxes cannot "
                "be used."
            ).format(CONNECTOR_LOGIN_URL)
        )
        note.setWordWrap(True)
        self.advanced = QCheckBox(self.tr("&Diagnose against another login host (advanced)"))
        describe(
            self.advanced,
            "Diagnose against another login host",
            "Check the login against your My Domain or a sandbox host; the connector itself still uses "
            "login.salesforce.com",
        )
        self.login_url = QLineEdit()
        self.login_url.setPlaceholderText("https://yourdomain.my.salesforce.com")
        describe(self.login_url, "Login host for diagnosis")
        self.login_url.hide()
        self.login_url_message = MessageLabel()

        username_label = QLabel(self.tr("Salesforce &username:"))
        username_label.setBuddy(self.username)
        key_label = QLabel(self.tr("Consumer &key:"))
        key_label.setBuddy(self.consumer_key)
        form = QFormLayout()
        form.addRow(username_label, self.username)
        add_message_row(form, self.username_message)
        form.addRow(key_label, self.consumer_key)
        add_message_row(form, self.consumer_key_message)
        layout = QVBoxLayout(self.body)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.advanced)
        layout.addWidget(self.login_url)
        layout.addWidget(self.login_url_message)
        layout.addStretch(1)

        self.username.textChanged.connect(self._to_draft)
        self.consumer_key.textChanged.connect(self._to_draft)
        for field, message in ((self.username, self.username_message), (self.consumer_key, self.consumer_key_message)):
            field.textEdited.connect(lambda _text, m=message: self.forget_routed(m))
        self.username.textChanged.connect(self._validate)
        self.consumer_key.textChanged.connect(self._validate)
        self.login_url.textChanged.connect(self._validate)
        self.advanced.toggled.connect(self._toggle_advanced)

    def _to_draft(self) -> None:
        draft = self.context.draft
        draft.username, draft.consumer_key = self.username.text().strip(), self.consumer_key.text().strip()

    def initializePage(self) -> None:
        settings, draft = self.context.settings, self.context.draft
        if not self.username.text() and (draft.username or settings.username):
            self.username.setText(draft.username or settings.username)
        if not self.consumer_key.text() and (draft.consumer_key or settings.consumer_key):
            self.consumer_key.setText(draft.consumer_key or settings.consumer_key)
        if settings.login_url and not self.login_url.text():
            self.login_url.setText(settings.login_url)
            self.advanced.setChecked(True)

    def _toggle_advanced(self, on: bool) -> None:
        self.login_url.setVisible(on)
        if not on:
            self.login_url_message.clear_message()
        self._validate()

    def _check(self, text: str, validate: Callable[[str], object], message: MessageLabel) -> bool:
        if not text.strip():
            message.clear_message()
            return False
        try:
            validate(text)
        except InvalidInputError as exc:
            message.show_error(str(exc))
            return False
        self.show_field_ok(message)
        return True

    def _validate(self) -> None:
        self.completeChanged.emit()

    def login_host(self) -> SafeUrl:
        """The host to verify against: the connector's, unless diagnosing another one (checked by isComplete).

        Raises:
            InvalidInputError: what is typed is not a web address the app may use.
        """
        if self.advanced.isChecked() and self.login_url.text().strip():
            return SafeUrl.typed(self.login_url.text(), what="login host")
        return CONNECTOR_LOGIN_URL

    def isComplete(self) -> bool:
        ok_user = self._check(self.username.text(), validate_username, self.username_message)
        ok_key = self._check(self.consumer_key.text(), validate_consumer_key, self.consumer_key_message)
        ok_url = True
        if self.advanced.isChecked() and self.login_url.text().strip():
            ok_url = self._check(
                self.login_url.text(), lambda u: SafeUrl.typed(u, what="login host"), self.login_url_message
            )
        return ok_user and ok_key and ok_url

    def field_widget(self, field: str) -> QWidget | None:
        return {"username": self.username, "consumer_key": self.consumer_key}.get(field)

    def show_error(self, field: str, message: str) -> None:
        target = {"username": self.username_message, "consumer_key": self.consumer_key_message}.get(
            field, self.consumer_key_message
        )
        self.show_routed(target, message)

    def validatePage(self) -> bool:
        settings = self.context.settings
        settings.username = self.username.text().strip()
        settings.consumer_key = self.consumer_key.text().strip()
        settings.login_url = self.login_url.text().strip() if self.advanced.isChecked() else ""
        self._to_draft()
        self.context.draft.login_url = self.login_host()
        self.context.save_settings()
        return True
