"""Unexpected errors: logged with their traceback, shown with copyable details and the log path.

Nothing is uploaded anywhere. The traceback is redacted before it is shown or logged.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

log = logging.getLogger(__name__)


class CrashReporter:
    def __init__(self, log_path: Callable[[], Path], *, start_logging: Callable[[], None] | None = None) -> None:
        #: Where the log file is: asked when something goes wrong (finding the folder is not worth the first window's time).
        self.log_path = log_path
        #: Sets up the log file if it is not yet (the app does that once its first window is up).
        self.start_logging = start_logging
        self.last_dialog: QMessageBox | None = None

    def install(self) -> None:
        sys.excepthook = self.handle

    def handle(self, kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        if self.start_logging is not None:
            self.start_logging()
        from core.logs import redact

        details = redact("".join(traceback.format_exception(kind, error, tb)))
        log.error("Unexpected error:\n%s", details)
        if QApplication.instance() is None:
            sys.__excepthook__(kind, error, tb)
            return
        from PySide6.QtWidgets import QMessageBox  # its enums are built on first use: not the first window's cost

        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "Unexpected error",
            "Something unexpected went wrong. Your work so far is saved where possible.\n\n"
            f"The details are in the log file:\n{self.log_path()}\n\n"
            "If you report this problem, attach that file (it contains no secrets).",
        )
        box.setDetailedText(details)
        box.setAccessibleName("Unexpected error")
        self.last_dialog = box
        box.open()
