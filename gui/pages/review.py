"""Step 7: everything that will be sent (secrets hidden), then create and check the connector."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWizard

from core.errors import (
    ApiKeyRefusedError,
    AppError,
    InvalidInputError,
    KeyMaterialError,
    NetworkError,
    PlatformApiError,
    RequestMayHaveReachedServerError,
)
from core.salesforce.login import verify_jwt_login
from core.unstructured.client import ConnectionCheck, PlatformClient, create_source_body
from core.unstructured.inventory import explain_check_failure, login_failure_code
from core.unstructured.snippets import curl_command, python_sdk_code
from core.usecases import connectors as usecases
from core.usecases.connectors import ConnectorSaved
from core.validation import validate_config, validate_connector_name
from gui.api_access import typed_key_text
from gui.context import WizardContext
from gui.page_ids import PageId
from gui.pages.base import TaskPage
from gui.widgets import CopyField, MessageLabel, describe
from gui.workers import Task, connection_check_task


@dataclass(frozen=True)
class Draft:
    """What the earlier steps chose for the connector (no secrets)."""

    api_url: str
    name: str
    username: str
    consumer_key: str
    categories: list[str]


def route_error(error: AppError) -> tuple[PageId, str] | None:
    """The step (and field) that can fix a failed create, or None to stay on the review."""
    if isinstance(error, ApiKeyRefusedError):
        return PageId.UNSTRUCTURED, "api_key"
    if isinstance(error, KeyMaterialError):
        return PageId.KEY, ""
    if isinstance(error, InvalidInputError):
        if error.field in ("username", "consumer_key"):
            return PageId.CREDENTIALS, error.field
        return PageId.UNSTRUCTURED, error.field or "name"
    if isinstance(error, RequestMayHaveReachedServerError):
        return None
    if isinstance(error, NetworkError):
        return PageId.UNSTRUCTURED, "api_url"
    if isinstance(error, PlatformApiError):
        if error.status == 409:
            return PageId.UNSTRUCTURED, "name"
        if error.status == 404:
            return PageId.UNSTRUCTURED, "api_url"
        if error.status in (400, 412, 422):
            # Route on the fields the API named in its body, never on its wording.
            for name, target in (
                ("categories", (PageId.UNSTRUCTURED, "categories")),
                ("username", (PageId.CREDENTIALS, "username")),
                ("consumer_key", (PageId.CREDENTIALS, "consumer_key")),
                ("private_key", (PageId.KEY, "")),
                ("name", (PageId.UNSTRUCTURED, "name")),
            ):
                if name in error.fields:
                    return target
    return None


class ReviewPage(TaskPage):
    #: The create failed and another step can fix it: (page, field, message).
    fix_requested = Signal(int, str, str)

    def __init__(self, context: WizardContext) -> None:
        super().__init__(context)
        self.setTitle(self.tr("Review and create"))
        self.setSubTitle(self.tr("This is what will be sent to Unstructured. Secrets are hidden here."))
        self.summary = QPlainTextEdit()
        self.summary.setReadOnly(True)
        describe(self.summary, "Request summary", "What will be sent, with the private key and API key hidden")
        self.copy_curl = QPushButton(self.tr("Copy as c&url"))
        describe(
            self.copy_curl,
            "Copy as curl",
            "A shell command that makes the same request; secrets come from environment variables",
        )
        self.copy_python = QPushButton(self.tr("Copy as &Python SDK"))
        describe(
            self.copy_python,
            "Copy as Python SDK",
            "Code for the unstructured-client SDK; secrets come from environment variables",
        )
        self.create_button = QPushButton(self.tr("C&reate connector"))
        describe(self.create_button, "Create connector", "Create the connector, then run its connection check")
        self.connector_id = CopyField(name="Connector id")
        self.connector_id.hide()
        self.check_message = MessageLabel()
        self.check_again = QPushButton(self.tr("Run the connection check a&gain"))
        describe(self.check_again, "Run the connection check again")
        self.check_again.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_curl)
        buttons.addWidget(self.copy_python)
        buttons.addStretch(1)
        buttons.addWidget(self.create_button)
        #: The first run's API requests against the org's daily allowance (from the Unstructured step's check).
        self.estimate = MessageLabel()
        layout = QVBoxLayout(self.body)
        layout.addWidget(self.summary, 1)
        layout.addWidget(self.estimate)
        layout.addLayout(buttons)
        layout.addWidget(self.busy)
        self.busy.keep_room()  # the actions above stay put when work starts and ends
        layout.addWidget(self.message)
        layout.addWidget(self.connector_id)
        layout.addWidget(self.check_message)
        layout.addWidget(self.check_again)
        self.copy_curl.clicked.connect(lambda: self._copy(curl_command))
        self.copy_python.clicked.connect(lambda: self._copy(python_sdk_code))
        self.create_button.clicked.connect(self._create)
        self.check_again.clicked.connect(self._check)

    # --- what will be sent ----------------------------------------------------------------------

    def _draft(self) -> Draft:
        draft = self.context.draft
        return Draft(
            api_url=draft.api_url,
            name=draft.connector_name,
            username=draft.username,
            consumer_key=draft.consumer_key,
            categories=list(draft.categories),
        )

    def initializePage(self) -> None:
        draft = self._draft()
        info = self.context.bundle.certificate_info if self.context.bundle else None
        hidden = (
            self.tr("<hidden: the RSA private key kept in memory for this session>")
            if self.context.session_only
            else self.tr("<hidden: the RSA private key from your keyring>")
        )
        try:
            if self.context.bundle is None:
                raise InvalidInputError(self.tr("Make or import the key first."))
            config = validate_config(
                username=draft.username,
                consumer_key=draft.consumer_key,
                private_key=self.context.bundle.key,  # loaded once per bundle: checking its primes takes a while
                categories=draft.categories,
            )
            body = json.dumps(
                create_source_body(name=draft.name, config=config, private_key_placeholder=hidden), indent=2
            )
        except AppError as exc:
            body = str(exc)
        lines = [
            self.tr("POST {0}/sources/").format(draft.api_url.rstrip("/")),
            self.tr("Header unstructured-api-key: <hidden>"),
            "",
            body,
            "",
            self.tr("Certificate SHA-256: {0}").format(info.fingerprint_sha256 if info else "-"),
            self.tr("Login verified: {0}").format(
                self.context.login.username if self.context.login else self.tr("no (skipped)")
            ),
        ]
        self.summary.setPlainText("\n".join(lines))
        self.create_button.setEnabled(self.context.connector is None)
        self._show_estimate(draft.categories)

    def _show_estimate(self, categories: list[str]) -> None:
        survey = self.context.reading
        if survey is None:
            self.estimate.show_info(self.tr("What the connector can read was not checked (see the Unstructured step)."))
            return
        chosen = survey.only(categories)
        counts = ", ".join(
            f"{reading.name} {reading.records:,}" for reading in chosen.categories if reading.records is not None
        )
        text = chosen.estimate_line() + (f" ({counts})" if counts else "")
        warnings = chosen.warnings
        if warnings:
            self.estimate.show_warning("\n".join([text, *warnings]))
        else:
            self.estimate.show_info(text)

    def _copy(self, make: Callable[..., str]) -> None:
        try:
            text = make(**dataclasses.asdict(self._draft()))
        except AppError as exc:
            self.message.show_error(str(exc))
            return
        QGuiApplication.clipboard().setText(text)
        self.message.show_info(
            self.tr("Copied. Set UNSTRUCTURED_API_KEY and SALESFORCE_PRIVATE_KEY_FILE before running it.")
        )

    # --- create and check -------------------------------------------------------------------------

    def closing_words(self) -> str:
        return self.tr(
            "If you close now the connector may still be created without the wizard recording it; look under "
            "Manage connectors next time."
        )

    def _client(self) -> PlatformClient:
        return PlatformClient(
            api_url=self.context.draft.api_url,
            api_key=self.context.draft.api_key,
            timeout=self.context.timings.http_timeout,
        )

    def _create(self) -> None:
        bundle = self.context.bundle
        if bundle is None:
            self.fix_requested.emit(int(PageId.KEY), "", self.tr("Make or import the key first."))
            return
        draft = self._draft()
        api_url, api_key = draft.api_url, self.context.draft.api_key
        timeout = self.context.timings.http_timeout

        keys = list(self.context.settings.keys)  # a snapshot: the worker never reads shared settings

        def create() -> ConnectorSaved:
            # The edge: every value is checked (and the key loaded as the connector loads it) once, here.
            name = validate_connector_name(draft.name)
            config = validate_config(
                username=draft.username,
                consumer_key=draft.consumer_key,
                private_key=bundle.key,
                categories=draft.categories,
            )
            client = PlatformClient(api_url=api_url, api_key=api_key, timeout=timeout)
            return usecases.create_connector(client, name=name, config=config, keys=keys)

        self.message.clear_message()
        self.run_task(
            Task(create),
            self.tr("Creating the connector..."),
            on_success=self._created,
            on_failure=self._failed,
            cancellable=False,  # never abandon a create: it may still succeed
        )

    def busy_changed(self, busy: bool) -> None:
        self.create_button.setEnabled(not busy and self.context.connector is None)

    def _created(self, saved: ConnectorSaved) -> None:
        connector = saved.connector
        self.context.connector = connector
        saved.apply(self.context.settings)
        self.context.save_settings()
        self.connector_id.set_value(connector.id)
        self.connector_id.show()
        self.message.show_ok(self.tr("Created the connector \u201c{0}\u201d.").format(connector.name))
        self._check()

    def _check(self) -> None:
        connector = self.context.connector
        if connector is None:
            return
        self.check_again.hide()
        self.check_message.clear_message()
        self.run_task(
            connection_check_task(self._client(), connector.id, self.context),
            self.tr("Checking the connection (this can take a minute)..."),
            on_success=self._checked,
            on_failure=self._check_failed,
            on_progress=self._progress,
        )

    def _progress(self, check: ConnectionCheck) -> None:
        self.busy.status.setText(self.tr("Connection check: {0}...").format(check.status.lower()))

    def _checked(self, check: ConnectionCheck) -> None:
        self.context.check = check
        wizard = self.wizard()
        if wizard is not None:  # Enter goes on, not back (focus used to land on "< Back")
            QTimer.singleShot(0, wizard.button(QWizard.WizardButton.NextButton).setFocus)
        if check.passed:
            self.check_message.show_ok(self.tr("Connection check passed: the connector can read Salesforce."))
        else:
            self.check_message.show_error(
                self.tr(
                    "Connection check failed: {0}\nThe connector exists; fix the cause (see the troubleshooting "
                    "table in the README) and run the check again, or rotate the key from Manage connectors."
                ).format(explain_check_failure(check.reason))
            )
            self.check_again.show()
            if login_failure_code(check.reason):
                self._explain_login()

    def _explain_login(self) -> None:
        """The check reports only Salesforce's error code: make the same login here for its own words."""
        bundle = self.context.bundle
        if bundle is None:
            return
        draft = self._draft()
        task = Task(
            verify_jwt_login,
            username=draft.username,
            consumer_key=draft.consumer_key,
            private_key=bundle.key,
            timeout=self.context.timings.http_timeout,
            login_url=self.context.draft.login_url,
        )
        self.run_task(
            task,
            self.tr("Asking Salesforce why (the same login as the connector's)..."),
            on_success=lambda login: self.check_message.show_warning(
                self.tr(
                    "Connection check failed, but the same login works from here now ({0}): Salesforce may still be "
                    "applying a change. Run the check again in a few minutes."
                ).format(login.username)
            ),
            on_failure=lambda error: self.check_message.show_error(
                self.tr("Connection check failed. Salesforce says: {0}: {1}\nWhat to do: {2}").format(
                    getattr(error, "error", ""),
                    getattr(error, "description", "") or str(error),
                    getattr(error, "fix", ""),
                )
            ),
        )

    def _check_failed(self, error: AppError) -> None:
        self.check_message.show_warning(self.tr("The connection check did not finish: {0}").format(error))
        self.check_again.show()

    def task_cancelled(self) -> None:
        self.check_message.show_info(self.tr("Stopped waiting; the check may still finish in Unstructured."))
        self.check_again.setVisible(self.context.connector is not None)

    def _failed(self, error: AppError) -> None:
        target = route_error(error)
        if target is None:
            self.message.show_error(str(error))
            return
        page, field = target
        self.fix_requested.emit(int(page), field, typed_key_text(error))

    def isComplete(self) -> bool:
        return self.context.connector is not None and not self.is_busy()
