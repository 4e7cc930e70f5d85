"""Manage's removal of an app this computer created, with the sign-in the page offers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QMessageBox,
)

from core.steps.journal import Journal
from gui.workers import Task

if TYPE_CHECKING:
    from core.storage.settings import SalesforceAppRecord
    from core.usecases.app_removal import AppRemoved


from gui.pages.manage.base import ManageBase


class AppRemovalActions(ManageBase):
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
        from core.usecases.app_removal import Removal, remove

        context = self.context
        sign_in = self.sign_in_choice.request(login_url=None, port=context.sign_in_port)
        secrets = context.secrets
        journal = Journal(context.settings_path)
        task = Task(
            lambda: remove(
                Removal(app=app),
                sign_in,
                journal=journal,
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
