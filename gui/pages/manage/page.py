"""Manage existing connectors: the inventory with expiry warnings, connection checks, key rotation, deletion,
the runs that stopped half-way, the field check, removing an app, and the watch.

The page is its action groups together, one module each (connectors, rotation, field_check, app_removal,
watch), over the state they share (base.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
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
    QVBoxLayout,
    QWidget,
)

from core.defaults import CONNECTOR_LOGIN_URL
from core.unstructured.inventory import ConnectorRow
from gui.api_access import ApiAccessForm
from gui.context import WizardContext
from gui.pages.manage.app_removal import AppRemovalActions
from gui.pages.manage.base import COLUMNS
from gui.pages.manage.connectors import ConnectorActions
from gui.pages.manage.field_check import FieldCheckActions
from gui.pages.manage.rotation import RotationActions
from gui.pages.manage.watch import WatchBox
from gui.sign_in import SignInChoice
from gui.widgets import MessageLabel, describe

if TYPE_CHECKING:
    from gui.rotation import RotationWizard


class ManagePage(ConnectorActions, RotationActions, FieldCheckActions, AppRemovalActions):
    """The page: its widgets and layout, and what ties the action groups together (busy state, selection)."""

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

    def closing_words(self) -> str:
        return self.tr(
            "A rotation or removal stopped now keeps a record of what it did: the next start names it under Manage "
            "connectors, where Finish it carries on. A connection check or a list simply stops."
        )
