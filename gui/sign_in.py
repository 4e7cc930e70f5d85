"""How the wizard gets the admin's Salesforce session: the browser, a Salesforce CLI login, or a token.

One widget for the set-up page and Manage's automatic rotation, so that an admin whose org blocks the
browser sign-in (API Access Control, an uninstalled Salesforce CLI app) has the same ways out in both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QWidget

from gui.widgets import describe

if TYPE_CHECKING:
    from core.urls import SafeUrl
    from core.usecases.admin import SignIn


class SignInChoice(QWidget):
    """ "Sign in with" and the fields its choice needs (shown only for that choice)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.way = QComboBox()
        self.way.addItem(self.tr("The browser (recommended)"), "browser")
        self.way.addItem(self.tr("A Salesforce CLI login (sf)"), "sf")
        self.way.addItem(self.tr("An instance URL and access token"), "token")
        describe(self.way, "Sign in with", "How the wizard gets your Salesforce session")
        self.sf_org = QLineEdit()
        self.sf_org.setPlaceholderText(self.tr("alias or username known to sf"))
        describe(self.sf_org, "Salesforce CLI org", "The alias or username of an org you logged in to with sf")
        self.instance_url = QLineEdit()
        self.instance_url.setPlaceholderText("https://yourcompany.my.salesforce.com")
        describe(self.instance_url, "Instance URL")
        self.access_token = QLineEdit()
        self.access_token.setEchoMode(QLineEdit.EchoMode.Password)
        describe(self.access_token, "Access token", "Kept in memory only; never saved or shown")
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.addRow(self.tr("Sign in with:"), self.way)
        self.form.addRow(self.tr("sf org:"), self.sf_org)
        self.form.addRow(self.tr("Instance URL:"), self.instance_url)
        self.form.addRow(self.tr("Access token:"), self.access_token)
        self.way.currentIndexChanged.connect(self._way_changed)
        for field in (self.sf_org, self.instance_url, self.access_token):
            field.textChanged.connect(self.changed)
        self._way_changed()

    def value(self) -> str:
        """``browser``, ``sf`` or ``token``."""
        return str(self.way.currentData())

    def _way_changed(self) -> None:
        way = self.value()
        for widget, shown in (
            (self.sf_org, way == "sf"),
            (self.instance_url, way == "token"),
            (self.access_token, way == "token"),
        ):
            self.form.setRowVisible(widget, shown)
        self.changed.emit()

    def request(self, *, login_url: SafeUrl | None, port: int, keep: bool = False) -> SignIn:
        from core.usecases.admin import SignIn, SignInWay

        return SignIn(
            way=SignInWay(self.value()),
            login_url=login_url,
            port=port,
            sf_org=self.sf_org.text().strip(),
            instance_url=self.instance_url.text().strip(),
            access_token=self.access_token.text().strip(),
            keep=keep and self.value() == "browser",  # only a browser sign-in has something to keep
        )

    def in_words(self) -> str:
        """How the sign-in happens, for a confirmation."""
        way = self.value()
        if way == "sf":
            return self.tr("The wizard uses your Salesforce CLI login \u201c{0}\u201d.").format(
                self.sf_org.text().strip()
            )
        if way == "token":
            return self.tr("The wizard uses the access token you gave for {0}.").format(
                self.instance_url.text().strip()
            )
        return self.tr("You sign in to Salesforce once in your browser.")
