"""Start the wizard: application object, icon, logging, crash reporter, context, window."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from PySide6.QtCore import QThreadPool
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from core import APP_ID, APP_NAME
from core.defaults import LOG_FILE_NAME
from gui.context import WizardContext
from gui.crash import CrashReporter
from gui.resources import resource_path
from gui.wizard import ConnectorWizard


def app_icon() -> QIcon:
    return QIcon(str(resource_path("icon.png")))


def build_wizard(context: WizardContext | None = None, *, defer_pages: bool = False) -> ConnectorWizard:
    """The wizard with its pages; also what tests and the screenshot script create.

    Without a context, the keyring and the settings are opened where first used: with ``defer_pages``,
    once the first window is up."""
    if context is None:
        context = WizardContext()
    app = QApplication.instance()
    if isinstance(app, QApplication):
        from gui.focus import install_visible_focus

        install_visible_focus(app)
    return ConnectorWizard(context, icon=app_icon(), defer_pages=defer_pages)


def run_wizard() -> int:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    app.setApplicationName(APP_ID)
    app.setApplicationDisplayName(APP_NAME)
    app.setWindowIcon(app_icon())
    logging_started: list[bool] = []

    def log_folder() -> Path:  # platformdirs: not what the first window waits for either
        from core.storage.settings import log_dir

        return log_dir()

    def start_logging() -> None:  # the log file's handler (sockets, pickle) is not what the first window waits for
        if not logging_started:
            from core.logs import setup_logging

            logging_started.append(True)
            setup_logging(log_folder())

    CrashReporter(lambda: log_folder() / LOG_FILE_NAME, start_logging=start_logging).install()
    wizard = build_wizard(defer_pages=True)
    wizard.window_up.connect(start_logging)
    wizard.window_up.connect(lambda: logging.getLogger(__name__).info("Wizard shown"))
    wizard.show()  # the other pages are built once it is up (ConnectorWizard.window_up)
    code = app.exec()
    # A network call still running in the pool cannot hold the process open past its close.
    if not QThreadPool.globalInstance().waitForDone(1500):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
