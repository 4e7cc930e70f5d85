"""What every part of Manage shares: the page's widgets and state, made by ManagePage, and the helpers
every action uses (the selected row, a task with the page's verdict cleared, a Yes/Cancel question)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QWidget,
)

from core.steps.progress import Event, OpenSignInPage
from core.unstructured.inventory import ConnectorRow
from gui.api_access import ApiAccessForm
from gui.pages.base import TaskPage
from gui.pages.manage.watch import WatchBox
from gui.sign_in import SignInChoice
from gui.widgets import MessageLabel, open_sign_in_page
from gui.workers import Task

if TYPE_CHECKING:
    from gui.rotation import RotationWizard


COLUMNS = ("Name", "Id", "Created", "Updated", "Certificate expires")


class ManageBase(TaskPage):
    """The state the action groups share (each group is a class of its own module, ManagePage is all of them)."""

    #: The admin chose to finish an unfinished set-up: the wizard takes them to the create flow.
    finish_setup_requested = Signal()

    rows: list[ConnectorRow]
    access: ApiAccessForm
    table: QTableWidget
    table_stack: QStackedWidget
    empty_note: QLabel
    loaded_once: bool
    reading_message: MessageLabel
    confirm_box: QMessageBox | None
    rotation: RotationWizard | None
    check_button: QPushButton
    rotate_button: QPushButton
    auto_rotate_button: QPushButton
    delete_button: QPushButton
    load_button: QPushButton
    sign_in_choice: SignInChoice
    unfinished: MessageLabel
    unfinished_box: QWidget
    finish_button: QPushButton
    remove_unfinished_button: QPushButton
    field_check_user: QLineEdit
    field_check_type: QComboBox
    field_check_host: QLineEdit
    field_check_button: QPushButton
    field_check_box: QMessageBox | None
    apps_choice: QComboBox
    remove_app_button: QPushButton
    watch: WatchBox
    #: The verdict of the action that asked for a reload, shown again once the list is in.
    _verdict: tuple[str, str] | None
    #: After an automatic rotation whose check passed: the connector to count for once the list is in.
    _look_after_load: str
    #: While a field check runs: the folder its report goes to (said if the admin stops waiting).
    _field_check_folder: Path | None

    # Carried out by the action groups (connectors.py, rotation.py); ManagePage has them all.
    def load(self) -> None:
        raise NotImplementedError

    def show_unfinished(self) -> None:
        raise NotImplementedError

    def selected(self) -> ConnectorRow | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.rows[rows[0].row()] if rows else None

    def select(self, connector_id: str) -> None:
        for index, row in enumerate(self.rows):
            if row.id == connector_id:
                self.table.selectRow(index)

    def _run(self, task: Task, text: str, on_success: Callable[[Any], None], **options: Any) -> None:
        """``run_task`` with the page's last verdict and reading cleared first (every action here starts so)."""
        self.message.clear_message()
        self.reading_message.clear_message()
        self.run_task(task, text, on_success=on_success, **options)

    def _ask(self, icon: QMessageBox.Icon, title: str, text: str, on_yes: Callable[[], None]) -> None:
        """A Yes/Cancel question (Cancel the default), opened without blocking; ``on_yes`` runs on Yes."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda result: on_yes() if result == QMessageBox.StandardButton.Yes.value else None)
        self.confirm_box = box
        box.open()

    def _sign_in_progress(self, event: Event) -> None:
        """A Salesforce use case's events, for those that only sign in and say what they do (field check, removal)."""
        from core.steps.progress import Notice

        if isinstance(event, OpenSignInPage):
            open_sign_in_page(event.url, self.message)
        elif isinstance(event, Notice):
            self.busy.status.setText(event.text)

    def _selection_changed(self) -> None:
        row = self.selected()
        has = row is not None and not self.is_busy()
        for button in (self.check_button, self.rotate_button, self.delete_button):
            button.setEnabled(has)
        self.auto_rotate_button.setEnabled(has and row is not None and row.auto_rotation)
