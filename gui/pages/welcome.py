"""Step 1: what the admin needs, what happens, and whether to create or manage connectors."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QRadioButton, QVBoxLayout

from core.errors import SecretStoreError
from gui.context import WizardContext
from gui.page_ids import PageId
from gui.pages.base import StepPage
from gui.widgets import MessageLabel, describe
from gui.workers import Task, while_alive

STEP_NAMES = {
    PageId.KEY: "Key and certificate",
    PageId.SALESFORCE_APP: "Salesforce app",
    PageId.SALESFORCE_AUTO: "Salesforce set-up",
    PageId.CREDENTIALS: "Credentials",
    PageId.VERIFY: "Approve and verify",
    PageId.UNSTRUCTURED: "Unstructured",
    PageId.REVIEW: "Review and create",
}


class WelcomePage(StepPage):
    resume_requested = Signal(int)
    start_over_requested = Signal()

    def __init__(self, context: WizardContext, *, check_on_show: bool = True) -> None:
        super().__init__(context)
        #: False while the app starts: the wizard calls check() once the first window is up.
        self.check_on_show = check_on_show
        self._keyring_probe: Task | None = None
        self.setTitle(self.tr("Set up an Unstructured Salesforce connector"))
        self.intro = intro = QLabel(
            self.tr(
                "This wizard takes you from nothing to a working Salesforce source connector in Unstructured.\n\n"
                "You will need:\n"
                "  \u2022 a Salesforce user with admin rights in a production org (sandboxes cannot be used),\n"
                "  \u2022 an Unstructured API key (Unstructured UI \u2192 API Keys).\n\n"
                "What happens:\n"
                "  1. A key and certificate are made on this computer (no network needed for this step).\n"
                "     The private key is kept in your system keyring.\n"
                "  2. The Salesforce app that trusts the certificate. Recommended: you sign in to Salesforce once\n"
                "     in your browser; the wizard creates the app, lets the connector's user in and proves the\n"
                "     connector's login. Or you create the app yourself with a checklist, enter its consumer key,\n"
                "     approve it once in your browser, and the wizard proves the login.\n"
                "  3. You enter your Unstructured details; the wizard creates the connector and checks it."
            )
        )
        intro.setWordWrap(True)
        self.create_radio = QRadioButton(self.tr("&Create a new connector"))
        self.create_radio.setChecked(True)
        describe(self.create_radio, "Create a new connector", "Go through every step to create a new connector")
        self.manage_radio = QRadioButton(self.tr("&Manage existing connectors (check, rotate key, delete)"))
        describe(
            self.manage_radio,
            "Manage existing connectors",
            "List the account's Salesforce connectors, check them, rotate their key or delete them",
        )
        self.expiry = MessageLabel()
        self.keyring_warning = MessageLabel()
        self.settings_notice = MessageLabel()
        self.unfinished = MessageLabel()
        self.resume_label = MessageLabel()
        self.resume_button = QPushButton(self.tr("&Resume"))
        describe(self.resume_button, "Resume", "Continue at the step where you left off")
        self.start_over_button = QPushButton(self.tr("&Start over"))
        describe(self.start_over_button, "Start over", "Forget the saved answers and start from the first step")
        self.resume_button.setVisible(False)  # until the settings say there is something to resume
        self.start_over_button.setVisible(False)
        self.resume_button.clicked.connect(self._resume)
        self.start_over_button.clicked.connect(self.start_over_requested)
        resume_row = QHBoxLayout()
        resume_row.addWidget(self.resume_button)
        resume_row.addWidget(self.start_over_button)
        resume_row.addStretch(1)
        layout = QVBoxLayout(self.body)
        layout.addWidget(intro)
        layout.addWidget(self.create_radio)
        layout.addWidget(self.manage_radio)
        layout.addWidget(self.expiry)
        layout.addWidget(self.keyring_warning)
        layout.addWidget(self.settings_notice)
        layout.addWidget(self.unfinished)
        layout.addWidget(self.resume_label)
        layout.addLayout(resume_row)
        layout.addStretch(1)

    def _kept(self) -> str:
        """What Resume restores, in words: the admin sees what comes back before choosing."""
        settings = self.context.settings
        kept = []
        key = settings.wizard.key_name
        if key:
            kept.append(self.tr("the key \u201c{0}\u201d (read from your keyring)").format(key))
        if settings.username or settings.consumer_key:
            kept.append(self.tr("the Salesforce username and consumer key"))
        if settings.wizard.any_ticked():  # not "the ticked steps" when none was ticked
            kept.append(self.tr("the ticked checklist steps"))
        if settings.wizard.connector_name:
            kept.append(self.tr("the connector name and categories"))
        return ", ".join(kept) or self.tr("your answers")

    def key_not_restored(self, name: str) -> None:
        """The key of the earlier session could not be read back: say so before anyone relies on it."""
        self.resume_label.show_warning(
            self.tr(
                "The key \u201c{0}\u201d from last time is no longer in your keyring, so Resume stops at the key "
                "step: import it from its file, or make a new key and upload its certificate again."
            ).format(name)
        )

    def saved_page(self) -> int | None:
        page = self.context.settings.wizard.page
        return page if isinstance(page, int) and page in STEP_NAMES and page != PageId.KEY else None

    def initializePage(self) -> None:
        if self.check_on_show:
            self.check()

    def check(self) -> None:
        """What Welcome says from the settings and beyond them: where the last session stopped, the settings
        file's notice, certificates about to expire, runs that stopped half-way (the journal, read from the file
        again) and the keyring. At start-up: once the first window is up (the first window waits for none)."""
        self._show_resume()
        self._show_expiry()
        self._show_unfinished()
        self.check_keyring()

    def _show_resume(self) -> None:
        saved = self.saved_page()
        has_saved = saved is not None
        created = self.context.settings.wizard.created
        if saved is not None:
            self.resume_label.show_info(
                self.tr(
                    "Last time you reached the step \u201c{0}\u201d. Kept for Resume: {1}. Resume there, or start over."
                ).format(STEP_NAMES[PageId(saved)], self._kept())
            )
        elif isinstance(created, dict) and created.get("name"):
            self.resume_label.show_info(
                self.tr(
                    "Last time you created the connector \u201c{0}\u201d. Manage connectors shows it; Create starts a "
                    "new one from the first step."
                ).format(created["name"])
            )
        else:
            self.resume_label.clear_message()
        self.resume_button.setVisible(has_saved)
        self.start_over_button.setVisible(has_saved)
        if self.context.settings.notice:  # said once: the damaged file is already set aside
            self.settings_notice.show_warning(self.context.settings.notice)
            self.context.settings.notice = ""

    def check_keyring(self) -> None:
        """Say whether a keyring can keep secrets. Finding it loads its library and may ask D-Bus: off the
        GUI thread (and, at start-up, after the first window is painted)."""
        store = self.context.store

        def keyring_problem() -> str:
            try:
                _ = store.backend
            except SecretStoreError as exc:
                return str(exc)
            return ""

        probe = Task(keyring_problem)

        def checked(problem: str) -> None:
            if probe is self._keyring_probe:  # a probe started earlier (another keyring) must not answer for this one
                self._keyring_checked(problem)

        probe.succeeded.connect(while_alive(self, checked))
        self._keyring_probe = probe
        probe.start()

    def _keyring_checked(self, problem: str) -> None:
        if not problem:
            self.keyring_warning.clear_message()
            return
        self.keyring_warning.show_warning(
            self.tr("{0} You can still go through the wizard, but secrets are kept only until it closes.").format(
                problem
            )
        )

    def _show_unfinished(self) -> None:
        """A run that changed an org and stopped half-way: named, with where to finish or undo it."""
        from core.steps.journal import Journal, describe

        # From the file: a run removed meanwhile (from Manage, or the command line) is no longer named.
        entries = Journal(self.context.settings_path).unfinished()
        if not entries:
            self.unfinished.clear_message()
            return
        self.unfinished.show_warning(
            "\n".join(describe(e) for e in entries)
            + "\n"
            + self.tr("Choose \u201cManage existing connectors\u201d to finish it or to remove what it created.")
        )

    def _show_expiry(self) -> None:
        from core.crypto.expiry import expiring_records

        soon = [
            f"{record.name} ({'expired' if days < 0 else f'{days} days left'})"
            for record, days in expiring_records(self.context.settings)
        ]
        if soon:
            self.expiry.show_warning(
                self.tr(
                    "Certificates expiring soon: {0}. Choose \u201cManage existing connectors\u201d to rotate the key."
                ).format(", ".join(soon))
            )
        else:
            self.expiry.clear_message()

    def _resume(self) -> None:
        saved = self.saved_page()
        if saved is not None:
            self.create_radio.setChecked(True)  # Resume is the create flow's, whichever choice was ticked
            self.resume_requested.emit(saved)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        """Back on Welcome (from Manage, say): what stopped half-way, as it is now."""
        super().showEvent(event)
        if self.check_on_show and self.wizard() is not None and self.wizard().currentPage() is self:
            self._show_unfinished()

    def nextId(self) -> int:
        return int(PageId.MANAGE if self.manage_radio.isChecked() else PageId.KEY)
