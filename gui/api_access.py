"""The Unstructured API URL and API key inputs, shared by the create and manage pages."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from core.defaults import API_KEY_ENTRY, API_KEY_ENV
from core.errors import ApiKeyRefusedError, AppError, InvalidInputError
from core.storage.credentials import find_api_key
from core.unstructured.client import PlatformClient, default_api_url, normalise_api_url
from gui.context import WizardContext
from gui.widgets import MessageLabel, add_message_row, clear_error, describe
from gui.workers import Task, while_alive


def typed_key_text(error: AppError) -> str:
    """A refused API key, said to someone who typed or pasted it into the wizard (not the CLI's hint)."""
    if isinstance(error, ApiKeyRefusedError):
        return f"{error.message} Paste a current key from the Unstructured UI (API Keys) into the API key field."
    return str(error)


class ApiAccessForm(QWidget):
    """API URL and masked API key (show/hide), prefilled from settings, environment or keyring."""

    changed = Signal()
    #: The key saved in the keyring was found and filled in (the look-up runs off the GUI thread).
    stored_key_found = Signal()

    def __init__(self, context: WizardContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.api_key_source = ""
        self._lookup: Task | None = None
        self._store_task: Task | None = None
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
        # A real button with its word on it: an action inside the field has no icon here and stays
        # invisible until hovered.
        self.show_key = QPushButton(self.tr("Sho&w"))
        self.show_key.setCheckable(True)
        self.show_key.setAutoDefault(False)
        describe(self.show_key, "Show or hide the API key")
        self.show_key.toggled.connect(self._toggle_shown)
        self.remember_key = QCheckBox(self.tr("&Remember the API key in my keyring"))
        describe(self.remember_key, "Remember the API key in my keyring")
        self.api_key_message = MessageLabel()
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        url_label = QLabel(self.tr("API &URL:"))
        url_label.setBuddy(self.api_url)
        key_label = QLabel(self.tr("API &key:"))
        key_label.setBuddy(self.api_key)
        self.form.addRow(url_label, self.api_url)
        add_message_row(self.form, self.api_url_message)
        key_row = QHBoxLayout()
        key_row.setContentsMargins(0, 0, 0, 0)
        key_row.addWidget(self.api_key, 1)
        key_row.addWidget(self.show_key)
        self.form.addRow(key_label, key_row)
        self.form.addRow("", self.remember_key)
        add_message_row(self.form, self.api_key_message)
        self.api_url.textChanged.connect(self.changed)
        self.api_key.textChanged.connect(self.changed)
        # A message about a refused key or URL goes once the admin corrects the field.
        self.api_key.textEdited.connect(lambda _text: clear_error(self.api_key_message))
        self.api_url.textEdited.connect(lambda _text: clear_error(self.api_url_message))

    def _toggle_shown(self, shown: bool) -> None:
        self.api_key.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.show_key.setText(self.tr("Hide") if shown else self.tr("Sho&w"))

    def prefill(self) -> None:
        if not self.api_url.text():
            self.api_url.setText(self.context.settings.api_url or default_api_url())
        if self.api_key.text():
            return
        # The same look-up as the CLI's; a locked keyring may prompt and D-Bus may be slow: in a worker.
        lookup = Task(find_api_key, self.context.read_secret)
        lookup.succeeded.connect(while_alive(self, self._found_key))
        self._lookup = lookup
        lookup.start()

    def _found_key(self, found: tuple[str, str] | None) -> None:
        if found is None or self.api_key.text():
            return  # nothing set, or the admin typed one meanwhile
        value, source = found
        self.api_key.setText(value)
        self.api_key_source = source
        if source == "environment":
            self.api_key_message.show_info(self.tr("Using the key from {0}.").format(API_KEY_ENV))
        else:
            self.remember_key.setChecked(True)
            self.api_key_message.show_info(self.tr("Using the key saved in your keyring."))
        self.stored_key_found.emit()

    def is_valid(self) -> bool:
        try:
            normalise_api_url(self.api_url.text())
            self.api_url_message.clear_message()
        except InvalidInputError as exc:
            self.api_url_message.show_error(str(exc))
            return False
        return bool(self.api_key.text().strip())

    def client(self) -> PlatformClient:
        """Raises InvalidInputError for an unsafe URL or an empty key."""
        return PlatformClient(
            api_url=self.api_url.text(), api_key=self.api_key.text(), timeout=self.context.timings.http_timeout
        )

    def remember(self) -> None:
        """Save the URL in the settings and, with consent, the key in the keyring (off the GUI thread)."""
        self.context.settings.api_url = self.api_url.text().strip()
        if self.remember_key.isChecked() and self.api_key_source != "keyring":
            self.api_key_source = "keyring"
            store = Task(self.context.save_secret, API_KEY_ENTRY, self.api_key.text().strip())
            store.failed.connect(while_alive(self, self._not_remembered))
            self._store_task = store
            store.start()

    def show_refused(self, error: AppError) -> None:
        """Show a failure of the API URL or key next to its field, worded for someone who typed the key here.

        The core's hint speaks to the CLI's user (the environment variable, set-api-key); here the key
        is in the field just above. The field gets the focus, its text selected for the fix.
        """
        if isinstance(error, ApiKeyRefusedError):
            self.api_key_message.show_error(typed_key_text(error))
            self.api_key.setFocus()
            self.api_key.selectAll()
        else:
            self.api_url_message.show_error(str(error))
            self.api_url.setFocus()
            self.api_url.selectAll()

    def _not_remembered(self, error: AppError) -> None:
        self.api_key_source = ""
        self.api_key_message.show_warning(
            self.tr("The API key could not be saved in your keyring ({0}); it is used for this session only.").format(
                error
            )
        )
