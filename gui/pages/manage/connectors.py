"""Manage's connectors: the list, a connection check and what the connector reads now, deletion, and the
rotation wizard."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QMessageBox,
    QTableWidgetItem,
)

from core.defaults import CONNECTOR_LOGIN_URL, EXPIRY_WARN_DAYS
from core.errors import ApiKeyRefusedError, AppError
from core.unstructured.client import ConnectionCheck, SourceConnector
from core.unstructured.inventory import ConnectorRow, explain_check_failure, inventory
from core.usecases import connectors as usecases
from core.usecases.connectors import ConnectorDeleted, keeps_key_of, stored_key_of
from core.usecases.reading import survey_connector
from gui.reading_message import show_reading
from gui.widgets import status_colour
from gui.workers import Task, connection_check_task

if TYPE_CHECKING:
    pass


from gui.pages.manage.base import ManageBase


class ConnectorActions(ManageBase):
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
        if check.passed:
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

    def _rotate(self) -> None:
        row = self.selected()
        if row is None:
            return
        from gui.rotation import RotationWizard

        self.rotation = RotationWizard(self.context, row, self.access.client(), parent=self)
        self.rotation.rotated.connect(lambda: self.load())
        self.rotation.open()
