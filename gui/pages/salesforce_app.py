"""Step 3: create the Salesforce app that trusts the certificate, following a checklist."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.defaults import DEFAULT_CALLBACK_URL
from gui.context import WizardContext
from gui.page_ids import PageId
from gui.pages.base import StepPage
from gui.widgets import CopyField, MessageLabel, describe

APP_NAME_SUGGESTION = "Unstructured Salesforce Connector"
SCOPES = "Manage user data via APIs (api); Perform requests at any time (refresh_token, offline_access)"
CERTIFICATE = "<certificate>"  # placeholder replaced by the certificate's path


@dataclass(frozen=True)
class Step:
    text: str
    values: tuple[tuple[str, str], ...] = ()


EXTERNAL_STEPS = (
    Step(
        "In Salesforce Setup, search for External Client App Manager and click New External Client App. "
        "Enter a name and your contact e-mail.",
        (("App name", APP_NAME_SUGGESTION),),
    ),
    Step(
        "Under API (Enable OAuth Settings), tick Enable OAuth and enter the callback URL.",
        (("Callback URL", DEFAULT_CALLBACK_URL),),
    ),
    Step(
        "Add the OAuth scopes \u201cManage user data via APIs (api)\u201d and \u201cPerform requests at any "
        "time (refresh_token, offline_access)\u201d.",
        (("OAuth scopes", SCOPES),),
    ),
    Step(
        "Under Flow Enablement, tick Enable JWT Bearer Flow and upload the certificate. Leave \u201cIssue JSON "
        "Web Token (JWT)-based access tokens\u201d off (that is a different feature). Click Create.",
        (("Certificate file", CERTIFICATE),),
    ),
    Step(
        "On the app's Policies tab, edit OAuth Policies: set Permitted Users to \u201cAdmin approved users are "
        "pre-authorized\u201d, then under App Policies select the profile or permission set of the Salesforce "
        "user the connector will use. Save."
    ),
    Step(
        "Still under OAuth Policies, set IP Relaxation to \u201cRelax IP restrictions\u201d (the connector runs "
        "from Unstructured's servers, outside your network's IP ranges), unless your security policy forbids it. "
        "Save."
    ),
    Step(
        "On the Settings tab, open OAuth Settings \u2192 Consumer Key and Secret (Salesforce e-mails you a "
        "verification code) and copy the Consumer Key for the next step. You do not need the secret."
    ),
)

CONNECTED_STEPS = (
    Step(
        "In Salesforce Setup, open App Manager and click New Connected App. Enter a name and your contact e-mail.",
        (("App name", APP_NAME_SUGGESTION),),
    ),
    Step("Tick Enable OAuth Settings and enter the callback URL.", (("Callback URL", DEFAULT_CALLBACK_URL),)),
    Step("Tick Use digital signatures and upload the certificate.", (("Certificate file", CERTIFICATE),)),
    Step(
        "Add the selected OAuth scopes \u201cManage user data via APIs (api)\u201d and \u201cPerform requests "
        "at any time (refresh_token, offline_access)\u201d.",
        (("OAuth scopes", SCOPES),),
    ),
    Step(
        "Untick Require Proof Key for Code Exchange (PKCE); keep Require Secret for Web Server Flow and Require "
        "Secret for Refresh Token Flow ticked; tick Enable Authorization Code and Credentials Flow. Save, then "
        "Continue."
    ),
    Step(
        "Click Manage \u2192 Edit Policies: Permitted Users \u201cAll users may self-authorize\u201d, IP Relaxation "
        "\u201cRelax IP restrictions\u201d, Refresh Token Policy \u201cRefresh token is valid until revoked\u201d. Save."
    ),
    Step(
        "Click View \u2192 Manage Consumer Details (Salesforce e-mails you a verification code) and copy the "
        "Consumer Key for the next step. You do not need the secret."
    ),
)

KINDS = {"external": EXTERNAL_STEPS, "connected": CONNECTED_STEPS}


class SalesforceAppPage(StepPage):
    def __init__(self, context: WizardContext) -> None:
        super().__init__(context)
        self.setTitle(self.tr("Create the Salesforce app"))
        self.setSubTitle(
            self.tr(
                "The connector logs in through an app in Salesforce that trusts your certificate. The wizard can "
                "create it for you, or guide you through Salesforce Setup."
            )
        )
        self.auto_radio = QRadioButton(self.tr("Set it up for &me (sign in to Salesforce) \u2014 recommended"))
        describe(
            self.auto_radio,
            "Set it up for me",
            "Sign in once as an administrator; the wizard creates the External Client App and lets the connector in",
        )
        self.manual_radio = QRadioButton(self.tr("&I'll create it myself (checklist)"))
        describe(self.manual_radio, "I'll create it myself", "A checklist of the steps in Salesforce Setup")
        self.path_group = QButtonGroup(self)
        self.path_group.addButton(self.auto_radio, 0)
        self.path_group.addButton(self.manual_radio, 1)
        self.auto_radio.setChecked(True)
        self.auto_explain = QLabel(
            self.tr(
                "Next, you sign in to Salesforce in your browser; the wizard then shows exactly what it will create "
                "(an External Client App with your certificate, and a permission set for the connector's user) and "
                "asks before creating it. No clicks in Setup, no consumer key to copy, no approval page."
            )
        )
        self.auto_explain.setWordWrap(True)
        self.auto_explain.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.external_radio = QRadioButton(self.tr("E&xternal Client App (for new apps; recommended)"))
        describe(
            self.external_radio,
            "External Client App",
            "Since Spring '26 new orgs cannot create Connected Apps; Salesforce directs admins to External Client Apps",
        )
        self.connected_radio = QRadioButton(self.tr("&Connected App (existing setups, or if Support enabled it)"))
        describe(self.connected_radio, "Connected App", "The classic kind of app, as in the original instructions")
        self.kind_group = QButtonGroup(self)
        self.kind_group.addButton(self.external_radio, 0)
        self.kind_group.addButton(self.connected_radio, 1)
        self.external_radio.setChecked(True)
        explain = QLabel(
            self.tr(
                "Since Spring '26, new Salesforce orgs cannot create Connected Apps unless Salesforce Support enables "
                "them; Salesforce now directs admins to External Client Apps. Existing Connected Apps keep working."
            )
        )
        explain.setWordWrap(True)
        self.progress = MessageLabel()
        self.new_key_note = MessageLabel()
        self.propagation = QLabel(
            self.tr(
                "Salesforce applies an External Client App usually at once, sometimes after minutes, and a Connected "
                "App within up to 10 minutes: if the check on a later step says \u201cclient identifier invalid\u201d, "
                "wait and retry."
            )
        )
        self.propagation.setWordWrap(True)
        self.reveal_button = QPushButton(self.tr("Show certificate in &folder"))
        describe(self.reveal_button, "Show the certificate in the file manager")
        self.reveal_button.clicked.connect(self._reveal)

        self.checklist_host = QWidget()
        self.checklist_layout = QGridLayout(self.checklist_host)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.checklist_host)
        self.ticks: list[QCheckBox] = []
        self.copy_fields: dict[str, CopyField] = {}

        self.manual_box = QWidget()
        manual = QVBoxLayout(self.manual_box)
        manual.setContentsMargins(0, 0, 0, 0)
        manual.addWidget(self.external_radio)
        manual.addWidget(self.connected_radio)
        manual.addWidget(explain)
        manual.addWidget(self.new_key_note)
        manual.addWidget(scroll, 1)
        manual.addWidget(self.reveal_button)
        manual.addWidget(self.progress)
        manual.addWidget(self.propagation)
        layout = QVBoxLayout(self.body)
        layout.addWidget(self.auto_radio)
        layout.addWidget(self.manual_radio)
        layout.addWidget(self.auto_explain)
        layout.addWidget(self.manual_box, 1)
        self.filler = QWidget()  # takes the checklist's room while the automated path is chosen
        layout.addWidget(self.filler, 1)
        self.kind_group.idToggled.connect(lambda _id, on: self._rebuild() if on else None)
        self.path_group.idToggled.connect(lambda _id, on: self._path_changed() if on else None)
        self._show_path()

    def automated(self) -> bool:
        return self.auto_radio.isChecked()

    def _show_path(self) -> None:
        self.manual_box.setVisible(not self.automated())
        self.auto_explain.setVisible(self.automated())
        self.filler.setVisible(self.automated())

    def _path_changed(self) -> None:
        self._show_path()
        self.context.settings.wizard.app_setup = "auto" if self.automated() else "manual"
        self.completeChanged.emit()

    def nextId(self) -> int:
        return int(PageId.SALESFORCE_AUTO if self.automated() else PageId.CREDENTIALS)

    def kind(self) -> str:
        return "connected" if self.connected_radio.isChecked() else "external"

    def initializePage(self) -> None:
        (self.manual_radio if self.context.settings.wizard.app_setup == "manual" else self.auto_radio).setChecked(True)
        saved = self.context.settings.app_kind
        (self.connected_radio if saved == "connected" else self.external_radio).setChecked(True)
        self._rebuild()

    def _rebuild(self) -> None:
        while self.checklist_layout.count():
            item = self.checklist_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.ticks, self.copy_fields = [], {}
        kind = self.kind()
        saved_ticks = self.context.settings.wizard.ticks.get(kind, [])
        cert = str(self.context.cert_path or self.tr("(the .crt file from the previous step)"))
        # Ticks are for one certificate: after a new key, the steps that upload the old one are undone.
        ticked_for = self.context.settings.wizard.ticks_for
        new_key = bool(ticked_for) and bool(self._fingerprint()) and ticked_for != self._fingerprint()
        unticked = []
        row = 0
        for number, step in enumerate(KINDS[kind], start=1):
            tick = QCheckBox(f"&{number}" if number < 10 else str(number))
            describe(tick, f"Step {number} done", self.tr(step.text))
            was_ticked = number - 1 < len(saved_ticks) and bool(saved_ticks[number - 1])
            if was_ticked and new_key and any(value == CERTIFICATE for _, value in step.values):
                was_ticked = False
                unticked.append(str(number))
            tick.setChecked(was_ticked)
            tick.toggled.connect(self._ticked)
            text = QLabel(self.tr(step.text))
            text.setWordWrap(True)
            text.setBuddy(tick)
            body = QWidget()
            body_layout = QFormLayout(body)
            body_layout.setContentsMargins(0, 0, 0, 8)
            body_layout.addRow(text)
            for label, value in step.values:
                field = CopyField(cert if value == CERTIFICATE else value, name=label)
                self.copy_fields[label] = field
                body_layout.addRow(label + ":", field)
            self.checklist_layout.addWidget(tick, row, 0, Qt.AlignmentFlag.AlignTop)
            self.checklist_layout.addWidget(body, row, 1)
            self.ticks.append(tick)
            row += 1
        self.checklist_layout.setColumnStretch(1, 1)
        self.context.settings.app_kind = kind
        self._ticked()
        if unticked:
            self.new_key_note.show_warning(
                self.tr(
                    "You made a new key since these steps were ticked, so step {0} is unticked: upload the new "
                    "certificate to the app (edit the app, replace the certificate, save), then tick it again."
                ).format(", ".join(unticked))
            )
        else:
            self.new_key_note.clear_message()

    def _fingerprint(self) -> str:
        bundle = self.context.bundle
        info = bundle.certificate_info if bundle is not None else None
        return info.fingerprint_sha256 if info is not None else ""

    def _ticked(self) -> None:
        done = sum(t.isChecked() for t in self.ticks)
        ticks = self.context.settings.wizard.ticks
        ticks[self.kind()] = [t.isChecked() for t in self.ticks]
        if self._fingerprint():
            self.context.settings.wizard.ticks_for = self._fingerprint()
        if done == len(self.ticks):
            self.progress.show_ok(self.tr("All {0} steps done.").format(done))
        else:
            self.progress.show_info(
                self.tr("{0} of {1} steps done. Tick each step when it is done in Salesforce.").format(
                    done, len(self.ticks)
                )
            )
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.automated() or (bool(self.ticks) and all(t.isChecked() for t in self.ticks))

    def validatePage(self) -> bool:
        self.context.save_settings()
        return True

    def _reveal(self) -> None:
        if self.context.cert_path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.context.cert_path.parent)))
