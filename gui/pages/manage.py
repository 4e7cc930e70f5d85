"""Manage existing connectors: the inventory with expiry warnings, connection checks, key rotation, deletion."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.defaults import CONNECTOR_LOGIN_URL, EXPIRY_WARN_DAYS
from core.errors import ApiKeyRefusedError, AppError
from core.salesforce.metadata import FIELD_CHECK_PREFIX
from core.steps.journal import Journal
from core.steps.journal import describe as describe_run
from core.steps.progress import Event, LoginAttempt, OpenSignInPage, Step, StepStarted, Waiting
from core.text import duration
from core.unstructured.client import ConnectionCheck, SourceConnector
from core.unstructured.inventory import ConnectorRow, explain_check_failure, inventory
from core.usecases import connectors as usecases
from core.usecases.connectors import ConnectorDeleted, keeps_key_of, stored_key_of
from core.usecases.reading import survey_connector
from gui.api_access import ApiAccessForm
from gui.context import WizardContext
from gui.pages.base import TaskPage
from gui.pages.manage_watch import WatchBox
from gui.reading_message import show_reading
from gui.sign_in import SignInChoice
from gui.waiting import wait_words
from gui.widgets import MessageLabel, describe, open_sign_in_page, status_colour
from gui.workers import Task, connection_check_task

if TYPE_CHECKING:
    from core.storage.settings import JournalEntry, SalesforceAppRecord
    from core.usecases.app_removal import AppRemoved
    from core.usecases.field_check import FieldReport
    from core.usecases.rotation import RotationDone
    from gui.rotation import RotationWizard

COLUMNS = ("Name", "Id", "Created", "Updated", "Certificate expires")


#: What the busy row says at each step of an automatic rotation.
_ROTATION_WORDS = {
    Step.NEW_KEY: "Making the new key...",
    Step.SIGN_IN: "Sign in to Salesforce in your browser...",
    Step.CERTIFICATE: "Putting the new certificate on the Salesforce app...",
    Step.LOGIN: "Waiting until Salesforce accepts the new key...",
    Step.CONNECTOR: "Updating the connector...",
    Step.CHECK: "Checking the connection...",
}


class ManagePage(TaskPage):
    #: The admin chose to finish an unfinished set-up: the wizard takes them to the create flow.
    finish_setup_requested = Signal()

    def __init__(self, context: WizardContext) -> None:
        super().__init__(context)
        self.rows: list[ConnectorRow] = []
        self.confirm_box: QMessageBox | None = None
        self.rotation: RotationWizard | None = None
        self._verdict: tuple[str, str] | None = None
        #: After an automatic rotation whose check passed: the connector to count for once the list is in.
        self._look_after_load = ""
        self.setTitle(self.tr("Manage connectors"))
        self.setSubTitle(
            self.tr(
                "Your account's Salesforce source connectors. Check them, rotate their key before "
                "the certificate expires, or delete them."
            )
        )
        self.access = ApiAccessForm(context)
        self.load_button = QPushButton(self.tr("&Load connectors"))
        describe(self.load_button, "Load connectors", "List the account's Salesforce source connectors")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        describe(self.table, "Connectors", "Select a connector, then choose an action below")
        self.table.setCornerButtonEnabled(False)  # one row at a time: "select all" has no use here
        for corner in self.table.findChildren(QAbstractButton):
            describe(corner, "Table corner")
        self.check_button = QPushButton(self.tr("Check &connection"))
        describe(self.check_button, "Check connection", "Run the connector's connection check and show the verdict")
        self.rotate_button = QPushButton(self.tr("R&otate key..."))
        describe(
            self.rotate_button,
            "Rotate key",
            "Make a new key, replace the certificate in Salesforce, verify, then update the connector",
        )
        self.auto_rotate_button = QPushButton(self.tr("Rotate au&tomatically..."))
        describe(
            self.auto_rotate_button,
            "Rotate automatically",
            "For apps this computer created: sign in to Salesforce once; the wizard replaces the certificate, "
            "proves the new key and updates the connector",
        )
        self.delete_button = QPushButton(self.tr("&Delete..."))
        describe(self.delete_button, "Delete connector", "Delete the selected connector (asks first)")
        # How automatic rotation signs in: the same ways as the set-up page (an org that blocks the browser
        # sign-in needs the others here too).
        self.sign_in_options = QCheckBox(self.tr("Advanced: si&gn-in options and field check"))
        describe(
            self.sign_in_options,
            "Advanced: sign-in options and field check",
            "How automatic rotation and the field check sign in (the browser, a Salesforce CLI login, or an "
            "instance URL and access token), and a field check of your org",
        )
        self.sign_in_choice = SignInChoice()
        # The field check: a throw-away app and key prove, on the admin's own org, what the set-up assumes.
        self.field_check_user = QLineEdit()
        describe(self.field_check_user, "User for the field check", "The user whose JWT login the check proves")
        self.field_check_type = QComboBox()
        self.field_check_type.addItem(self.tr("External Client App"), "eca")
        self.field_check_type.addItem(self.tr("Connected App"), "connected-app")
        describe(self.field_check_type, "Kind of app for the field check")
        self.field_check_host = QLineEdit()
        self.field_check_host.setPlaceholderText(CONNECTOR_LOGIN_URL)
        describe(
            self.field_check_host,
            "Login host for the field check",
            "login.salesforce.com (the connector's), or test.salesforce.com for a sandbox",
        )
        self.field_check_button = QPushButton(self.tr("Run a fi&eld check..."))
        describe(
            self.field_check_button,
            "Run a field check",
            "Creates a throw-away app and permission set in your org, proves the connector's login, replaces the "
            "certificate, removes it all, and saves a report with no secret in it",
        )
        # The apps the wizard created (recorded here): removed with one confirmation and the same sign-in ways.
        self.apps_choice = QComboBox()
        describe(self.apps_choice, "Salesforce app made here", "An app the wizard created in one of your orgs")
        self.remove_app_button = QPushButton(self.tr("Re&move app..."))
        describe(
            self.remove_app_button,
            "Remove the Salesforce app",
            "Signs in to Salesforce and deletes the chosen app, and the permission set the wizard made for it; "
            "connectors that use the app stop working",
        )
        field_check_note = QLabel(
            self.tr(
                "A field check proves on your org what the automatic set-up assumes, with a throw-away app it "
                "removes afterwards, and saves a report (no token, key or consumer key in it) to keep or send to "
                "support."
            )
        )
        field_check_note.setWordWrap(True)
        self.advanced_box = QWidget()
        advanced = QVBoxLayout(self.advanced_box)
        advanced.setContentsMargins(0, 0, 0, 0)
        advanced.addWidget(self.sign_in_choice)
        apps_form = QFormLayout()
        apps_label = QLabel(self.tr("Ap&p made here:"))
        apps_label.setBuddy(self.apps_choice)
        apps_row = QHBoxLayout()
        apps_row.addWidget(self.apps_choice, 1)
        apps_row.addWidget(self.remove_app_button)
        apps_form.addRow(apps_label, apps_row)
        advanced.addLayout(apps_form)
        advanced.addWidget(field_check_note)
        field_form = QFormLayout()
        user_label = QLabel(self.tr("Field check u&ser:"))
        user_label.setBuddy(self.field_check_user)
        field_form.addRow(user_label, self.field_check_user)
        type_label = QLabel(self.tr("Ki&nd of app:"))
        type_label.setBuddy(self.field_check_type)
        field_form.addRow(type_label, self.field_check_type)
        host_label = QLabel(self.tr("Login &host:"))
        host_label.setBuddy(self.field_check_host)
        field_form.addRow(host_label, self.field_check_host)
        run_row = QHBoxLayout()
        run_row.addWidget(self.field_check_button)
        run_row.addStretch(1)
        field_form.addRow("", run_row)
        advanced.addLayout(field_form)
        self.advanced_box.hide()
        self.sign_in_options.toggled.connect(self.advanced_box.setVisible)
        self.field_check_box: QMessageBox | None = None
        #: While a field check runs: the folder its report goes to (said if the admin stops waiting).
        self._field_check_folder: Path | None = None
        actions = QHBoxLayout()
        actions.addWidget(self.load_button)
        actions.addStretch(1)
        for button in (self.check_button, self.auto_rotate_button, self.rotate_button, self.delete_button):
            actions.addWidget(button)
        # Runs that changed an org and stopped half-way (the journal): named, finished or undone here.
        self.unfinished = MessageLabel()
        self.finish_button = QPushButton(self.tr("F&inish it"))
        describe(self.finish_button, "Finish the unfinished run", "Carry on where the run stopped")
        self.remove_unfinished_button = QPushButton(self.tr("Remo&ve what it created"))
        describe(
            self.remove_unfinished_button,
            "Remove what the unfinished run created",
            "Sign in to Salesforce and delete what that run created there, and nothing else",
        )
        unfinished_actions = QHBoxLayout()
        unfinished_actions.addWidget(self.finish_button)
        unfinished_actions.addWidget(self.remove_unfinished_button)
        unfinished_actions.addStretch(1)
        self.unfinished_box = QWidget()
        unfinished_layout = QVBoxLayout(self.unfinished_box)
        unfinished_layout.setContentsMargins(0, 0, 0, 0)
        unfinished_layout.addWidget(self.unfinished)
        unfinished_layout.addLayout(unfinished_actions)
        self.unfinished_box.hide()
        layout = QVBoxLayout(self.body)
        layout.addWidget(self.unfinished_box)
        layout.addWidget(self.access)
        # An empty table says nothing: until there are rows, a sentence stands in its place.
        self.loaded_once = False
        self.empty_note = QLabel()
        self.empty_note.setWordWrap(True)
        self.empty_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_note.setFrameShape(QFrame.Shape.StyledPanel)
        self.table_stack = QStackedWidget()
        self.table_stack.addWidget(self.empty_note)
        self.table_stack.addWidget(self.table)
        layout.addWidget(self.table_stack, 1)
        layout.addLayout(actions)
        # The watch: what the last one found, Check all now, and the schedule that runs it unattended.
        self.watch = WatchBox(self, self.access)
        layout.addWidget(self.watch)
        layout.addWidget(self.sign_in_options)
        layout.addWidget(self.advanced_box)
        layout.addWidget(self.busy)
        self.busy.keep_room()  # the actions above stay put when work starts and ends
        layout.addWidget(self.message)
        #: What the connector reads now, after a passing connection check (when this computer keeps its key).
        self.reading_message = MessageLabel()
        layout.addWidget(self.reading_message)
        self.load_button.clicked.connect(self.load)
        self.access.stored_key_found.connect(self._stored_key_found)
        self.check_button.clicked.connect(self._check)
        self.rotate_button.clicked.connect(self._rotate)
        self.auto_rotate_button.clicked.connect(self._confirm_auto_rotation)
        self.delete_button.clicked.connect(self._confirm_delete)
        self.field_check_button.clicked.connect(self._confirm_field_check)
        self.remove_app_button.clicked.connect(self._confirm_remove_app)
        self.finish_button.clicked.connect(self._finish_unfinished)
        self.remove_unfinished_button.clicked.connect(self._remove_unfinished)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self._selection_changed()
        self._show_table_or_note()

    def initializePage(self) -> None:
        if not self.field_check_user.text():
            self.field_check_user.setText(self.context.settings.username)
        self._list_apps()
        self.show_unfinished()
        self.access.prefill()
        if self.access.is_valid():
            self.load()

    def _stored_key_found(self) -> None:
        if not self.rows and not self.is_busy():
            self.load()

    def nextId(self) -> int:
        return -1

    def isFinalPage(self) -> bool:
        return True

    # --- helpers ---------------------------------------------------------------------------------

    def selected(self) -> ConnectorRow | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.rows[rows[0].row()] if rows else None

    def select(self, connector_id: str) -> None:
        for index, row in enumerate(self.rows):
            if row.id == connector_id:
                self.table.selectRow(index)

    def _selection_changed(self) -> None:
        row = self.selected()
        has = row is not None and not self.is_busy()
        for button in (self.check_button, self.rotate_button, self.delete_button):
            button.setEnabled(has)
        self.auto_rotate_button.setEnabled(has and row is not None and row.auto_rotation)

    def _run(self, task: Task, text: str, on_success: Callable[[Any], None], **options: Any) -> None:
        """``run_task`` with the page's last verdict and reading cleared first (every action here starts so)."""
        self.message.clear_message()
        self.reading_message.clear_message()
        self.run_task(task, text, on_success=on_success, **options)

    def busy_changed(self, busy: bool) -> None:
        self.watch.set_busy(busy)
        self.field_check_button.setEnabled(not busy)
        self.remove_app_button.setEnabled(not busy and bool(self.context.settings.salesforce_apps))
        self.load_button.setEnabled(not busy)
        self.finish_button.setEnabled(not busy)
        self.remove_unfinished_button.setEnabled(not busy)
        self._selection_changed()

    def task_cancelled(self) -> None:
        if self._field_check_folder is not None:
            self.message.show_info(
                self.tr(
                    "Stopped. The field check removes what it created before it ends, and saves its report (with what "
                    "it could not remove, if anything) in {0}."
                ).format(self._field_check_folder)
            )
            self._field_check_folder = None
            QTimer.singleShot(1500, self, self.show_unfinished)
            return
        self.message.show_info(
            self.tr("Stopped. If a rotation had already replaced the certificate, Finish it (above) carries on.")
        )
        QTimer.singleShot(1500, self, self.show_unfinished)  # once the stopped run has written its journal

    # --- load --------------------------------------------------------------------------------------

    def load(self) -> None:
        if not self.access.is_valid():
            self.message.show_error(self.tr("Enter the API URL and API key first."))
            return
        try:
            client = self.access.client()
        except AppError as exc:
            self.message.show_error(str(exc))
            return
        self._run(
            Task(client.list_sources),
            self.tr("Loading connectors..."),
            on_success=self._loaded,
            on_failure=self._load_failed,
        )

    def _load_failed(self, error: AppError) -> None:
        if isinstance(error, ApiKeyRefusedError):
            self.access.show_refused(error)  # beside the key field, not at the bottom of the page
        else:
            self.message.show_error(str(error))

    def _loaded(self, connectors: list[SourceConnector]) -> None:
        rows = inventory(connectors, self.context.settings)  # settings are read on the GUI thread only
        self.loaded_once = True
        self.access.remember()
        self.context.save_settings()
        self.rows = rows
        self.table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            expiry = self.tr("unknown (not made here)")
            if row.not_after:
                left = row.days_left if row.days_left is not None else 0
                expiry = (
                    f"{row.not_after[:10]} ({self.tr('expired') if left < 0 else self.tr('{0} days').format(left)})"
                )
            cells = (row.name, row.id, row.created_at[:10], (row.updated_at or "")[:10], expiry)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 4 and row.expiring:
                    item.setToolTip(self.tr("Expires within {0} days: rotate the key").format(EXPIRY_WARN_DAYS))
                self.table.setItem(index, column, item)
        self._colour_expiry()
        self._show_table_or_note()
        if rows and self.selected() is None:
            # The actions work on the selected row: with none, every button was grey and nothing said why.
            self.table.selectRow(0)
        expiring = [r.name for r in rows if r.expiring]
        if not rows:
            self.message.show_info(self.tr("No Salesforce source connectors in this account."))
        elif expiring:
            self.message.show_warning(
                self.tr("Certificates expiring within {0} days: {1}. Select one and choose Rotate key.").format(
                    EXPIRY_WARN_DAYS, ", ".join(expiring)
                )
            )
        else:
            self.message.show_ok(self.tr("{0} connector(s) loaded.").format(len(rows)))
        if self._verdict is not None:  # what the action that asked for this reload said, kept in view
            kind, text = self._verdict
            self._verdict = None
            (self.message.show_ok if kind == "ok" else self.message.show_error)(text)
        self._selection_changed()
        look = next((r for r in rows if r.id == self._look_after_load), None)
        self._look_after_load = ""
        if look is not None:  # the rotated connector, with its new key: what it reads now, as after a check
            QTimer.singleShot(0, self, lambda: self._look_at_reading(look))

    def _colour_expiry(self) -> None:
        """Expiring dates in the error colour for the table's own background (light or dark, 4.5:1 at least)."""
        warn = status_colour("error", self.table.palette(), QPalette.ColorRole.Base)
        for index, row in enumerate(self.rows):
            item = self.table.item(index, 4)
            if item is not None and row.expiring:
                item.setForeground(warn)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            # A theme switch while the app runs; once it has reached the table (Qt's order of delivery).
            QTimer.singleShot(0, self, self._colour_expiry)

    def _show_table_or_note(self) -> None:
        if self.table.rowCount():
            self.table_stack.setCurrentWidget(self.table)
            return
        self.empty_note.setText(
            self.tr(
                "This account has no Salesforce source connectors yet. Go Back to the first page and choose "
                "Create a new connector to make one."
            )
            if self.loaded_once
            else self.tr("Nothing is loaded yet. Enter the API URL and API key above, then choose Load connectors.")
        )
        self.table_stack.setCurrentWidget(self.empty_note)

    # --- check -------------------------------------------------------------------------------------

    def _check(self) -> None:
        row = self.selected()
        if row is None:
            return
        self._run(
            connection_check_task(self.access.client(), row.id, self.context),
            self.tr("Checking {0}...").format(row.name),
            on_success=lambda check: self._checked(row, check),
            on_progress=self._progress,
        )

    def _progress(self, check: ConnectionCheck) -> None:
        self.busy.status.setText(self.tr("Connection check: {0}...").format(check.status.lower()))

    def _checked(self, row: ConnectorRow, check: ConnectionCheck) -> None:
        if check.status == "SUCCESS":
            self.message.show_ok(self.tr("{0}: the connection check passed.").format(row.name))
            QTimer.singleShot(0, self, lambda: self._look_at_reading(row))
        else:
            self.message.show_error(
                self.tr("{0}: the connection check failed: {1}").format(
                    row.name, explain_check_failure(check.reason, where="manage")
                )
            )

    def _look_at_reading(self, row: ConnectorRow) -> None:
        """After a passing check, a fresh look at what the connector reads now (when this computer keeps its key)."""
        context = self.context
        settings = context.settings

        def stored_key() -> str | None:
            return stored_key_of(settings, row.id, context.read_secret)

        if not keeps_key_of(settings, row.id):
            return  # the key is not kept here: the check's verdict is all there is to show
        task = Task(
            survey_connector,
            self.access.client(),
            row.id,
            stored_key=stored_key,
            apps=settings.salesforce_apps,
            fallback_login_url=context.draft.login_url or CONNECTOR_LOGIN_URL,
            timings=context.timings,
        )
        self.run_task(
            task,
            self.tr("Counting what {0} reads now...").format(row.name),
            on_success=lambda survey: show_reading(self.reading_message, row.name, survey),
            on_failure=lambda error: self.reading_message.show_warning(
                self.tr("Could not count what {0} reads now: {1}").format(row.name, str(error))
            ),
        )

    # --- delete ------------------------------------------------------------------------------------

    def _confirm_delete(self) -> None:
        row = self.selected()
        if row is None:
            return
        self._ask(
            QMessageBox.Icon.Warning,
            self.tr("Delete connector"),
            self.tr(
                "Delete the connector \u201c{0}\u201d ({1})? Workflows that use it stop working. This cannot be undone."
            ).format(row.name, row.id),
            lambda: self._delete(row),
        )

    def _ask(self, icon: QMessageBox.Icon, title: str, text: str, on_yes: Callable[[], None]) -> None:
        """A Yes/Cancel question (Cancel the default), opened without blocking; ``on_yes`` runs on Yes."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda result: on_yes() if result == QMessageBox.StandardButton.Yes.value else None)
        self.confirm_box = box
        box.open()

    def _delete(self, row: ConnectorRow) -> None:
        client = self.access.client()
        self._run(
            Task(usecases.delete_connector, client, row.id),
            self.tr("Deleting {0}...").format(row.name),
            lambda deleted: self._deleted(row, deleted),
            cancellable=False,
        )

    def _deleted(self, row: ConnectorRow, deleted: ConnectorDeleted) -> None:
        deleted.apply(self.context.settings)
        self.context.save_settings()
        self.rows = [r for r in self.rows if r.id != row.id]
        for index in range(self.table.rowCount()):
            item = self.table.item(index, 1)
            if item is not None and item.text() == row.id:
                self.table.removeRow(index)
                break
        self._show_table_or_note()
        self.message.show_ok(self.tr("Deleted {0}.").format(row.name))

    # --- rotate ------------------------------------------------------------------------------------

    def _rotate(self) -> None:
        row = self.selected()
        if row is None:
            return
        from gui.rotation import RotationWizard

        self.rotation = RotationWizard(self.context, row, self.access.client(), parent=self)
        self.rotation.rotated.connect(lambda: self.load())
        self.rotation.open()

    def closing_words(self) -> str:
        return self.tr(
            "A rotation or removal stopped now keeps a record of what it did: the next start names it under Manage "
            "connectors, where Finish it carries on. A connection check or a list simply stops."
        )

    # --- unfinished runs (the journal) ----------------------------------------------------------------

    def unfinished_entry(self) -> JournalEntry | None:
        entries = Journal(self.context.settings_path).unfinished()
        return entries[0] if entries else None

    def show_unfinished(self) -> None:
        entry = self.unfinished_entry()
        self.unfinished_box.setVisible(entry is not None)
        if entry is None:
            self.unfinished.clear_message()
            return
        self.unfinished.show_warning(describe_run(entry))
        # A stopped set-up is finished on the create flow's Salesforce step; a rotation, right here. A field
        # check's throw-away app has nothing to finish: it is only removed.
        self.remove_unfinished_button.setVisible(entry.kind == "setup")
        self.finish_button.setVisible(not entry.app_name.startswith(FIELD_CHECK_PREFIX))

    def _finish_unfinished(self) -> None:
        entry = self.unfinished_entry()
        if entry is None:
            self.show_unfinished()
            return
        if entry.kind == "setup":
            draft = self.context.draft
            draft.username, draft.app_name = entry.username, entry.app_name
            self.finish_setup_requested.emit()
            return
        row = next((r for r in self.rows if r.id == entry.connector_id), None)
        self._rotate_automatically(
            row
            or ConnectorRow(
                id=entry.connector_id,
                name=entry.connector_id,
                created_at="",
                updated_at=None,
                fingerprint_sha256=None,
                not_after=None,
                days_left=None,
            )
        )

    def _remove_unfinished(self) -> None:
        from core.usecases.admin import SignIn
        from core.usecases.app_removal import remove_unfinished_setup

        entry = self.unfinished_entry()
        if entry is None or entry.kind != "setup":
            self.show_unfinished()
            return
        context = self.context
        sign_in = SignIn(login_url=entry.login_url or context.draft.login_url, port=context.sign_in_port)
        journal = Journal(context.settings_path)
        task = Task(lambda: remove_unfinished_setup(entry, sign_in, journal=journal, run=task.runtime(context.timings)))
        self._run(
            task,
            self.tr("Removing what the unfinished run created: sign in to Salesforce in your browser..."),
            on_success=self._unfinished_removed,
            on_progress=self._auto_rotation_progress,
        )

    def _unfinished_removed(self, left: list[str]) -> None:
        if left:
            self.message.show_warning(self.tr("Still in Salesforce: {0}").format("; ".join(left)))
        else:
            self.message.show_ok(self.tr("Removed what the unfinished run created; nothing of it is left."))
        self.show_unfinished()

    # --- automatic rotation ------------------------------------------------------------------------

    def _confirm_auto_rotation(self) -> None:
        row = self.selected()
        if row is None or not row.auto_rotation:
            return
        self._ask(
            QMessageBox.Icon.Question,
            self.tr("Rotate automatically"),
            self.tr(
                "Make a new key for \u201c{0}\u201d and put its certificate on the Salesforce app? {1} The current "
                "key stops working when the new certificate is in place; the connector is switched to the new key "
                "right after, and checked."
            ).format(row.name, self.sign_in_choice.in_words()),
            lambda: self._rotate_automatically(row),
        )

    def _rotate_automatically(self, row: ConnectorRow) -> None:
        from core.storage.settings import default_output_dir
        from core.usecases.rotation import RotationRequest, rotate_automatically

        try:
            client = self.access.client()
        except AppError as exc:
            self.message.show_error(str(exc))
            return
        context = self.context
        settings = context.settings
        request = RotationRequest(
            connector_id=row.id,
            folder=Path(settings.output_dir or default_output_dir()),
            # Without a keyring the new key goes to an owner-only file: it must exist before the old one stops.
            store_key=not context.session_only and context.keyring_works(),
        )
        # No host given: the one the app was set up through (recorded with it), as for the CLI.
        sign_in = self.sign_in_choice.request(login_url="", port=context.sign_in_port)
        # A snapshot of the records: the worker never reads shared settings.
        apps, connectors, keys = list(settings.salesforce_apps), list(settings.connectors), list(settings.keys)
        task = Task(
            lambda: rotate_automatically(
                client,
                request,
                sign_in,
                apps=apps,
                connectors=connectors,
                keys=keys,
                secrets=context.secrets,
                journal=Journal(context.settings_path),
                run=task.runtime(context.timings),
            )
        )
        self._run(
            task,
            self.tr("Rotating {0}: sign in to Salesforce in your browser...").format(row.name)
            if sign_in.way.value == "browser"
            else self.tr("Rotating {0}: checking the org...").format(row.name),
            on_success=self._rotated_automatically,
            on_progress=self._auto_rotation_progress,
            # Stop is safe at any step: the journal keeps what was done, and Finish it carries on from there.
            cancellable=True,
        )

    def _auto_rotation_progress(self, event: Event) -> None:
        if isinstance(event, OpenSignInPage):
            open_sign_in_page(event.url, self.message)
        elif isinstance(event, StepStarted) and event.step in _ROTATION_WORDS:
            self.busy.status.setText(self.tr(_ROTATION_WORDS[event.step]))
        elif isinstance(event, LoginAttempt | Waiting):  # as the set-up's wait: how long, and Salesforce's words
            self.busy.status.setText(wait_words(event, what="certificate"))

    def _rotated_automatically(self, done: RotationDone | None) -> None:
        assert done is not None  # confirmed before the task started; the records came as Record events
        self.show_unfinished()
        name = done.saved.connector.name
        if done.check.status == "SUCCESS":
            self._verdict = ("ok", self.tr("{0} now uses its new key; the connection check passed.").format(name))
            self._look_after_load = done.saved.connector.id
        else:
            self._verdict = (
                "error",
                self.tr("{0} now uses its new key, but the connection check failed: {1}").format(
                    name, explain_check_failure(done.check.reason, where="manage")
                ),
            )
        self.load()  # the new expiry date; the verdict is shown again once the list is in

    # --- the field check -----------------------------------------------------------------------------------

    def _confirm_field_check(self) -> None:
        from core.usecases.field_check import APP_PREFIX, FieldCheckRequest

        try:
            request = FieldCheckRequest(
                username=self.field_check_user.text(),
                app_type=str(self.field_check_type.currentData()),
                login_url=self.field_check_host.text().strip() or CONNECTOR_LOGIN_URL,
            ).validated()
        except AppError as exc:
            self.message.show_error(str(exc))
            self.field_check_user.setFocus()
            return
        self._ask(
            QMessageBox.Icon.Question,
            self.tr("Run a field check"),
            self.tr(
                "Create a throw-away app ({0}...) and a permission set for {1} in the org you sign in to, prove the "
                "connector's login with a throw-away key, replace its certificate, then remove all of it? {2} "
                "Salesforce can take up to {3} to apply a new app."
            ).format(
                APP_PREFIX,
                request.username,
                self.sign_in_choice.in_words(),
                duration(self.context.timings.login_wait),
            ),
            lambda: self._field_check(request),
        )

    def _field_check(self, request: Any) -> None:
        from core.storage.settings import default_output_dir
        from core.usecases.field_check import default_report_path, run_field_check

        context = self.context
        sign_in = self.sign_in_choice.request(login_url=request.login_url, port=context.sign_in_port)
        folder = Path(context.settings.output_dir or default_output_dir())

        def check() -> tuple[FieldReport, Path | str]:
            report = run_field_check(
                request, sign_in, journal=Journal(context.settings_path), run=task.runtime(context.timings)
            )
            try:
                path, _ = report.write(default_report_path(folder, report.started_at))
            except (AppError, OSError) as exc:  # the report is still shown below: nothing is lost
                return report, str(getattr(exc, "message", exc))
            return report, path

        task = Task(check)
        self._field_check_folder = folder
        self._run(
            task,
            self.tr("Field check: sign in to Salesforce in your browser...")
            if sign_in.way.value == "browser"
            else self.tr("Field check: checking the org..."),
            on_success=lambda done: self._field_checked(*done),
            on_failure=self._field_check_failed,
            on_progress=self._sign_in_progress,
        )

    def _sign_in_progress(self, event: Event) -> None:
        """A Salesforce use case's events, for those that only sign in and say what they do (field check, removal)."""
        from core.steps.progress import Notice

        if isinstance(event, OpenSignInPage):
            open_sign_in_page(event.url, self.message)
        elif isinstance(event, Notice):
            self.busy.status.setText(event.text)

    def _field_check_failed(self, error: AppError) -> None:
        self._field_check_folder = None
        self.task_failed(error)

    def _field_checked(self, report: FieldReport, path: Path | str) -> None:
        self._field_check_folder = None
        self.show_unfinished()
        words = (
            self.tr("Report saved: {0} (with a readable summary beside it).").format(path)
            if isinstance(path, Path)
            else self.tr("The report could not be saved ({0}); its summary is under Show Details.").format(path)
        )
        if report.passed:
            self.message.show_ok(self.tr("Field check passed: every step worked on this org. {0}").format(words))
        else:
            failed = ", ".join(step.name for step in report.steps if step.outcome == "failed")
            self.message.show_warning(self.tr("Field check: {0} failed. {1}").format(failed, words))
        box = QMessageBox(
            QMessageBox.Icon.Information if report.passed else QMessageBox.Icon.Warning,
            self.tr("Field check"),
            report.summary().splitlines()[0] + "\n\n" + words,
            QMessageBox.StandardButton.Close,
            self,
        )
        box.setDetailedText(report.summary())
        self.keep_in_view(self.message)
        self.field_check_box = box
        box.open()

    # --- removing an app the wizard created ----------------------------------------------------------------

    def _list_apps(self) -> None:
        from urllib.parse import urlsplit

        from core.salesforce.metadata import app_kind

        chosen = self.apps_choice.currentData()
        self.apps_choice.clear()
        for app in self.context.settings.salesforce_apps:
            host = urlsplit(app.instance_url).hostname or app.instance_url or self.tr("unknown org")
            self.apps_choice.addItem(f"{app.app_name} ({app_kind(app.app_type)}, {host})", app.consumer_key)
        if not self.context.settings.salesforce_apps:
            self.apps_choice.addItem(self.tr("(none made on this computer)"))
        index = self.apps_choice.findData(chosen)
        self.apps_choice.setCurrentIndex(max(index, 0))
        self.apps_choice.setEnabled(bool(self.context.settings.salesforce_apps))
        self.remove_app_button.setEnabled(bool(self.context.settings.salesforce_apps) and not self.is_busy())

    def _chosen_app(self) -> SalesforceAppRecord | None:
        return self.context.settings.salesforce_app(str(self.apps_choice.currentData() or ""))

    def _confirm_remove_app(self) -> None:
        from core.salesforce.metadata import app_kind

        app = self._chosen_app()
        if app is None:
            return
        made = (
            self.tr(" and the permission set {0} the wizard made for it").format(app.permission_set)
            if app.created_permission_set
            else ""
        )
        self._ask(
            QMessageBox.Icon.Warning,
            self.tr("Remove the Salesforce app"),
            self.tr(
                "Delete the {0} {1}{2} from the org at {3}? Connectors that log in through it stop working. {4}"
            ).format(app_kind(app.app_type), app.app_name, made, app.instance_url, self.sign_in_choice.in_words()),
            lambda: self._remove_app(app),
        )

    def _remove_app(self, app: SalesforceAppRecord) -> None:
        from core.usecases.app_removal import remove_salesforce_app

        context = self.context
        sign_in = self.sign_in_choice.request(login_url="", port=context.sign_in_port)
        secrets = context.secrets
        task = Task(
            lambda: remove_salesforce_app(
                app,
                sign_in,
                read_secret=secrets.get,
                forget_secret=secrets.delete,
                run=task.runtime(context.timings),
            )
        )
        self._run(
            task,
            self.tr("Removing {0}: sign in to Salesforce in your browser...").format(app.app_name)
            if sign_in.way.value == "browser"
            else self.tr("Removing {0}...").format(app.app_name),
            on_success=lambda removed: self._app_removed(app, removed),
            on_progress=self._sign_in_progress,
        )

    def _app_removed(self, app: SalesforceAppRecord, removed: AppRemoved) -> None:
        removed.apply(self.context.settings)
        self.context.save_settings()
        self._list_apps()
        if removed.left:
            self.message.show_warning(
                self.tr("Still in Salesforce: {1}. {0} stays listed here: Remove app again to finish.").format(
                    app.app_name, "; ".join(removed.left)
                )
            )
        else:
            self.message.show_ok(self.tr("Removed {0} from Salesforce.").format(app.app_name))
