"""Manage's rotation and the runs that stopped half-way: automatic rotation, and Finish it / Remove what it
created for a run the journal names."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QMessageBox,
)

from core.errors import AppError
from core.kinds import RunKind
from core.salesforce.metadata import FIELD_CHECK_PREFIX
from core.steps.journal import Journal
from core.steps.journal import describe as describe_run
from core.steps.progress import Event, LoginAttempt, OpenSignInPage, Step, StepStarted, Waiting
from core.unstructured.inventory import ConnectorRow, explain_check_failure
from gui.waiting import wait_words
from gui.widgets import open_sign_in_page
from gui.workers import Task

if TYPE_CHECKING:
    from core.storage.settings import JournalEntry
    from core.usecases.app_removal import AppRemoved
    from core.usecases.rotation import RotationDone


from gui.pages.manage.base import ManageBase

#: What the busy row says at each step of an automatic rotation.
_ROTATION_WORDS = {
    Step.NEW_KEY: "Making the new key...",
    Step.SIGN_IN: "Sign in to Salesforce in your browser...",
    Step.CERTIFICATE: "Putting the new certificate on the Salesforce app...",
    Step.LOGIN: "Waiting until Salesforce accepts the new key...",
    Step.CONNECTOR: "Updating the connector...",
    Step.CHECK: "Checking the connection...",
}


class RotationActions(ManageBase):
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
        self.remove_unfinished_button.setVisible(entry.kind is RunKind.SETUP)
        self.finish_button.setVisible(not entry.app_name.startswith(FIELD_CHECK_PREFIX))

    def _finish_unfinished(self) -> None:
        entry = self.unfinished_entry()
        if entry is None:
            self.show_unfinished()
            return
        if entry.kind is RunKind.SETUP:
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
        from core.usecases.app_removal import Removal, remove

        entry = self.unfinished_entry()
        if entry is None or entry.kind is not RunKind.SETUP:
            self.show_unfinished()
            return
        context = self.context
        # Signed in as the page's "Sign in with" says (a browser, the sf CLI, a token), where the run was set up
        # (the removal knows where: its record's login host).
        sign_in = self.sign_in_choice.request(login_url=None, port=context.sign_in_port)
        journal = Journal(context.settings_path)
        task = Task(lambda: remove(Removal(entry=entry), sign_in, journal=journal, run=task.runtime(context.timings)))
        self._run(
            task,
            self.tr("Removing what the unfinished run created: sign in to Salesforce in your browser...")
            if sign_in.way.value == "browser"
            else self.tr("Removing what the unfinished run created..."),
            on_success=self._unfinished_removed,
            on_progress=self._auto_rotation_progress,
        )

    def _unfinished_removed(self, removed: AppRemoved) -> None:
        left = removed.left
        if left:
            self.message.show_warning(self.tr("Still in Salesforce: {0}").format("; ".join(left)))
        else:
            self.message.show_ok(self.tr("Removed what the unfinished run created; nothing of it is left."))
        self.show_unfinished()

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
        sign_in = self.sign_in_choice.request(login_url=None, port=context.sign_in_port)
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
        if done.check.passed:
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
