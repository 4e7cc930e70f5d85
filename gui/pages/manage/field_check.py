"""Manage's field check: a throw-away app and key prove, on the admin's own org, what the set-up assumes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QMessageBox,
)

from core.defaults import CONNECTOR_LOGIN_URL
from core.errors import AppError
from core.steps.journal import Journal
from core.text import duration
from core.urls import SafeUrl
from gui.workers import Task

if TYPE_CHECKING:
    from core.usecases.field_check import FieldReport


from gui.pages.manage.base import ManageBase


class FieldCheckActions(ManageBase):
    def _confirm_field_check(self) -> None:
        from core.salesforce.metadata import validate_app_type
        from core.usecases.field_check import APP_PREFIX, FieldCheckRequest

        try:
            request = FieldCheckRequest(
                username=self.field_check_user.text(),
                app_type=validate_app_type(str(self.field_check_type.currentData())),
                login_url=SafeUrl.typed(host, what="login host")
                if (host := self.field_check_host.text().strip())
                else CONNECTOR_LOGIN_URL,
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
