"""The About dialog: version, and the third-party licences the app ships under."""

from __future__ import annotations

import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from core import APP_NAME, __version__
from gui.resources import resource_path


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("About {0}").format(APP_NAME))
        heading = QLabel(
            self.tr(
                "<b>{0}</b> {1}<br>Sets up Unstructured Salesforce source connectors.<br>"
                "Python {2}, Qt {3}, PySide6 {4}"
            ).format(APP_NAME, __version__, platform.python_version(), qVersion(), pyside_version)
        )
        heading.setWordWrap(True)
        self.licenses = QPlainTextEdit()
        self.licenses.setReadOnly(True)
        self.licenses.setAccessibleName("Third-party licences")
        try:
            self.licenses.setPlainText(resource_path("THIRD_PARTY_LICENSES.txt").read_text(encoding="utf-8"))
        except OSError:
            self.licenses.setPlainText(self.tr("The licence file is missing from this installation."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(QLabel(self.tr("Third-party software and licences:")))
        layout.addWidget(self.licenses, 1)
        layout.addWidget(buttons)
        self.resize(620, 480)
