"""Step 3, automated: one sign-in, then the app creates the External Client App in Salesforce.

Four steps that tick as they complete: sign in (system browser), check the org and show the
plan, create (permission set, assignment, app), wait until the connector's own login works.
The admin's session lives on this page, in memory, and is dropped when the wizard closes.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.defaults import CONNECTOR_LOGIN_URL
from core.errors import AppError
from gui.context import WizardContext
from gui.page_ids import PageId
from gui.pages.base import TaskPage
from gui.widgets import CopyField, MessageLabel, describe, open_sign_in_page
from gui.workers import Task

STEPS = (
    "Sign in to Salesforce in your browser",
    "Check the org and show what will be created",
    "Create the permission set, assign it, create the app",
    "Wait until the connector's login works",
)


class SalesforceAutoPage(TaskPage):
    def __init__(self, context: WizardContext) -> None:
        super().__init__(context)
        self.setTitle(self.tr("Set up Salesforce for me"))
        self.setSubTitle(
            self.tr(
                "Sign in once as a Salesforce administrator; the wizard creates the External Client App with your "
                "certificate and lets the connector's user in. Nothing is created before you confirm."
            )
        )
        self._org: Any = None  # core.salesforce.org.OrgClient: the admin's session, in memory only
        self._plan: Any = None
        self._admin: Any = None
        self._failed_created: list[tuple[str, str]] = []
        self.done = False

        self.username = QLineEdit()
        describe(self.username, "Connector user's Salesforce username", "The user the connector logs in as")
        self.advanced = QCheckBox(self.tr("Ad&vanced options"))
        describe(self.advanced, "Advanced options", "App name, IP relaxation and the login host for the sign-in")
        self.app_name = QLineEdit("Unstructured_Connector")
        describe(self.app_name, "App API name")
        self.ip_relaxation = QComboBox()
        self.ip_relaxation.addItem(self.tr("Enforce IP restrictions"), "enforce")
        self.ip_relaxation.addItem(self.tr("Relax IP restrictions"), "relax")
        describe(self.ip_relaxation, "IP relaxation")
        self.login_url = QLineEdit()
        self.login_url.setPlaceholderText(CONNECTOR_LOGIN_URL)
        describe(self.login_url, "Login host", "login.salesforce.com, or your My Domain for the sign-in")
        # For admins who cannot use the browser sign-in (e.g. API Access Control blocks the CLI's client).
        self.sign_in_with = QComboBox()
        self.sign_in_with.addItem(self.tr("The browser (recommended)"), "browser")
        self.sign_in_with.addItem(self.tr("A Salesforce CLI login (sf)"), "sf")
        self.sign_in_with.addItem(self.tr("An instance URL and access token"), "token")
        describe(self.sign_in_with, "Sign in with", "How the wizard gets your Salesforce session")
        self.sf_org = QLineEdit()
        self.sf_org.setPlaceholderText(self.tr("alias or username known to sf"))
        describe(self.sf_org, "Salesforce CLI org", "The alias or username of an org you logged in to with sf")
        self.instance_url = QLineEdit()
        self.instance_url.setPlaceholderText("https://yourcompany.my.salesforce.com")
        describe(self.instance_url, "Instance URL")
        self.access_token = QLineEdit()
        self.access_token.setEchoMode(QLineEdit.EchoMode.Password)
        describe(self.access_token, "Access token", "Kept in memory only; never saved or shown")
        self.advanced_box = QWidget()
        advanced_form = QFormLayout(self.advanced_box)
        advanced_form.setContentsMargins(0, 0, 0, 0)
        advanced_form.addRow(self.tr("App API name:"), self.app_name)
        advanced_form.addRow(self.tr("IP relaxation:"), self.ip_relaxation)
        advanced_form.addRow(self.tr("Login host:"), self.login_url)
        advanced_form.addRow(self.tr("Sign in with:"), self.sign_in_with)
        advanced_form.addRow(self.tr("sf org:"), self.sf_org)
        advanced_form.addRow(self.tr("Instance URL:"), self.instance_url)
        advanced_form.addRow(self.tr("Access token:"), self.access_token)
        self._advanced_form = advanced_form
        self.sign_in_with.currentIndexChanged.connect(self._sign_in_way_changed)
        self.advanced_box.hide()
        self.advanced.toggled.connect(self.advanced_box.setVisible)
        self.login_warning = MessageLabel()
        self.keep_sign_in = QCheckBox(self.tr("&Keep me signed in to this org for later certificate replacements"))
        describe(
            self.keep_sign_in,
            "Keep me signed in",
            "Keeps a refresh token in your keyring so that Manage can replace the certificate without signing in; "
            "off unless you tick it",
        )
        self.login_url.textChanged.connect(self._login_host_changed)

        self.step_labels = [QLabel() for _ in STEPS]
        self.sign_in_button = QPushButton(self.tr("&Sign in to Salesforce"))
        describe(self.sign_in_button, "Sign in to Salesforce", "Opens Salesforce's sign-in in your browser")
        self.plan_text = QPlainTextEdit()
        self.plan_text.setReadOnly(True)
        self.plan_text.setMaximumHeight(150)
        describe(self.plan_text, "What will be created")
        self.plan_text.hide()
        self.create_button = QPushButton(self.tr("C&reate in Salesforce"))
        describe(self.create_button, "Create in Salesforce", "Create what is listed above")
        self.create_button.hide()
        self.undo_button = QPushButton(self.tr("Remove what was &created"))
        describe(self.undo_button, "Remove what this run created in Salesforce")
        self.undo_button.hide()
        self.consumer_key = CopyField(name="Consumer key")
        self.consumer_key.hide()
        self.consumer_key_label = QLabel(self.tr("Consumer key of the new app (already filled in for the next steps):"))
        self.consumer_key_label.hide()

        form = QFormLayout()
        user_label = QLabel(self.tr("Connector's &user:"))
        user_label.setBuddy(self.username)
        form.addRow(user_label, self.username)
        form.addRow("", self.advanced)
        form.addRow("", self.advanced_box)
        form.addRow("", self.login_warning)
        form.addRow("", self.keep_sign_in)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sign_in_button)
        buttons.addWidget(self.create_button)
        buttons.addWidget(self.undo_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self.body)
        layout.addLayout(form)
        for label in self.step_labels:
            layout.addWidget(label)
        layout.addLayout(buttons)
        layout.addWidget(self.plan_text)
        layout.addWidget(self.busy)
        layout.addWidget(self.message)
        layout.addWidget(self.consumer_key_label)
        layout.addWidget(self.consumer_key)
        layout.addStretch(1)
        self.sign_in_button.clicked.connect(self._sign_in)
        self._sign_in_way_changed()
        self.create_button.clicked.connect(self._create)
        self.undo_button.clicked.connect(self._undo)
        self._show_steps(0)

    # --- page protocol ---------------------------------------------------------------------------

    def initializePage(self) -> None:
        if not self.username.text():
            self.username.setText(self.context.settings.username)

    def isComplete(self) -> bool:
        return self.done and not self.is_busy()

    def nextId(self) -> int:
        return int(PageId.UNSTRUCTURED)

    def show_error(self, field: str, message: str) -> None:
        self.message.show_error(message)
        (self.username if field == "username" else self.app_name).setFocus()

    def busy_changed(self, busy: bool) -> None:
        self.sign_in_button.setEnabled(not busy and not self.done)
        self.create_button.setEnabled(not busy and self._plan is not None and not self.done)
        self.username.setEnabled(not busy and self._plan is None)

    def _show_steps(self, done: int, *, current: int | None = None) -> None:
        for number, (label, text) in enumerate(zip(self.step_labels, STEPS, strict=True)):
            mark = (
                "\u2714"
                if number < done
                else ("\u25b6" if number == (done if current is None else current) else "\u2022")
            )
            label.setText(f"{mark} {number + 1}. {self.tr(text)}")

    def _sign_in_way_changed(self) -> None:
        way = str(self.sign_in_with.currentData())
        for widget, shown in (
            (self.sf_org, way == "sf"),
            (self.instance_url, way == "token"),
            (self.access_token, way == "token"),
        ):
            self._advanced_form.setRowVisible(widget, shown)
        self.keep_sign_in.setEnabled(way == "browser")  # only a browser sign-in has something to keep
        self.sign_in_button.setText(
            self.tr("&Sign in to Salesforce") if way == "browser" else self.tr("&Check the org")
        )

    def _login_host_changed(self) -> None:
        if self._login_url() == CONNECTOR_LOGIN_URL:
            self.login_warning.clear_message()
            return
        self.login_warning.show_warning(
            self.tr(
                "Signing in and proving the login through {0}. The connector itself always logs in through {1}, so "
                "the proof counts only there."
            ).format(self._login_url(), CONNECTOR_LOGIN_URL)
        )

    def _login_url(self) -> str:
        return self.login_url.text().strip().rstrip("/") or CONNECTOR_LOGIN_URL

    # --- 1 + 2: sign in, then plan --------------------------------------------------------------

    def _sign_in(self) -> None:
        from core.salesforce import signin
        from core.salesforce.org import OrgClient
        from core.usecases import salesforce_app as setup

        bundle = self.context.bundle
        if bundle is None or bundle.cert_pem is None:
            self.message.show_error(self.tr("Make or import the key and certificate first (step 2)."))
            return
        username, app_name = self.username.text().strip(), self.app_name.text().strip()
        ip, login_url, port = str(self.ip_relaxation.currentData()), self._login_url(), self.context.sign_in_port
        offline = self.keep_sign_in.isChecked() and self.keep_sign_in.isEnabled()
        way, sf_org = str(self.sign_in_with.currentData()), self.sf_org.text().strip()
        instance_url, access_token = self.instance_url.text().strip(), self.access_token.text().strip()
        certificate = bundle.cert_pem.decode("ascii")
        task: Task

        def open_browser(url: str) -> bool:
            task.report(("open", url))  # the GUI thread opens it (QDesktopServices is not for workers)
            return True

        def work() -> tuple[Any, Any, Any]:
            if way == "sf":
                admin = signin.session_from_sf_cli(sf_org)
            elif way == "token":
                admin = signin.session_from_token(instance_url=instance_url, access_token=access_token)
            else:
                admin = signin.sign_in(
                    open_browser=open_browser,
                    login_url=login_url,
                    port=port,
                    offline=offline,
                    cancelled=task.cancel_event.is_set,
                )
            task.report(("signed-in", None))
            org = OrgClient(admin, timeout=self.context.http_timeout)
            plan = setup.plan_setup(
                org,
                username=username,
                certificate_pem=certificate,
                contact_email=setup.contact_email(admin, username),
                app_name=app_name,
                ip_relaxation=ip,
            )
            return admin, org, plan

        task = Task(work)
        self.message.clear_message()
        self._show_steps(0)
        self.run_task(
            task,
            self.tr("Waiting for you to sign in to Salesforce in your browser...")
            if way == "browser"
            else self.tr("Checking the org..."),
            on_success=self._planned,
            on_progress=self._sign_in_progress,
        )

    def _sign_in_progress(self, event: tuple[str, Any]) -> None:
        kind, value = event
        if kind == "open":
            open_sign_in_page(str(value), self.message)
        if kind == "signed-in":
            self._show_steps(1)
            self.busy.status.setText(self.tr("Checking the org..."))

    def _planned(self, result: tuple[Any, Any, Any]) -> None:
        self._admin, self._org, self._plan = result
        self._show_steps(2)
        self.plan_text.setPlainText("\n".join(self._plan.describe()))
        self.plan_text.show()
        self.create_button.show()
        self.busy_changed(False)
        self.message.show_info(self.tr("Nothing has been created yet. Check the list above, then Create."))
        self.create_button.setFocus()

    # --- 3 + 4: create, then wait for the connector's login ---------------------------------------------

    def _create(self) -> None:
        from core.usecases import salesforce_app as setup

        bundle, org, plan, admin = self.context.bundle, self._org, self._plan, self._admin
        if bundle is None or org is None or plan is None:
            return
        login_url, context = self._login_url(), self.context
        task: Task

        def work() -> tuple[Any, Any]:
            result = setup.apply_setup(org, plan, org_id=admin.org_id)
            if admin.refresh_token and admin.org_id and not context.session_only:
                # The admin ticked "keep me signed in": the refresh token goes to the keyring, nowhere else.
                from core.salesforce.signin import refresh_entry

                context.save_secret(refresh_entry(admin.org_id), admin.refresh_token)
                result = dataclasses.replace(result, sign_in_kept=True, login_url=admin.login_url)
            task.report(("created", result))
            login = setup.wait_for_connector_login(
                username=plan.user.username,
                consumer_key=result.consumer_key,
                private_key=bundle.private_key_pem,
                login_url=login_url,
                my_domain_url=setup.my_domain_of(admin, login_url),
                poll_interval=context.login_poll_interval,
                timeout=context.login_wait,
                progress=task.report,
                cancelled=task.cancel_event.is_set,
                http_timeout=context.http_timeout,
            )
            return result, login

        task = Task(work)
        self.message.clear_message()
        self._show_steps(2, current=2)
        self.run_task(
            task,
            self.tr("Creating the app in Salesforce..."),
            on_success=self._created,
            on_failure=self._create_failed,
            on_progress=self._create_progress,
        )

    def _create_progress(self, event: Any) -> None:
        if isinstance(event, tuple) and event[0] == "created":
            result = event[1]
            result.apply(self.context.settings)  # recorded on the GUI thread, whatever happens next
            self.context.save_settings()
            self.consumer_key.set_value(result.consumer_key)
            self.consumer_key.show()
            self.consumer_key_label.show()
            self._show_steps(3)
            self.busy.status.setText(self.tr("Waiting until Salesforce accepts the connector's login..."))
        elif hasattr(event, "elapsed"):
            self.busy.status.setText(
                self.tr("Waiting for Salesforce ({0:.0f} s): it still says \u201c{1}\u201d.").format(
                    event.elapsed, event.answer
                )
            )

    def _created(self, outcome: tuple[Any, Any]) -> None:
        result, login = outcome
        self.done = True
        self.context.login = login
        self.setField("username", result.username)
        self.setField("consumer_key", result.consumer_key)
        self.context.settings.username = result.username
        self.context.settings.consumer_key = result.consumer_key
        self.context.save_settings()
        self._show_steps(4)
        self.create_button.hide()
        self.message.show_ok(
            self.tr("Done: Salesforce accepts the connector's login as {0} (org {1}). Next: Unstructured.").format(
                login.username, login.org_id or self.tr("unknown")
            )
        )
        self.busy_changed(False)

    def _create_failed(self, error: AppError) -> None:
        from core.errors import SetupFailed

        if isinstance(error, SetupFailed):
            self._failed_created = error.created
            made = ", ".join(f"{kind} {ident}" for kind, ident in error.created)
            self.message.show_error(
                self.tr("{0}\nThis run created: {1}. They stay in Salesforce unless you remove them.").format(
                    error.message, made
                )
            )
            self.undo_button.show()
            self.undo_button.setFocus()
            return
        self.message.show_error(str(error))

    def task_failed(self, error: AppError) -> None:
        self.message.show_error(str(error))
        field = getattr(error, "field", "")
        if field in ("username", "app_name"):
            self.show_error(field, str(error))  # and take the admin to the field to fix

    def task_cancelled(self) -> None:
        self.message.show_info(
            self.tr("Stopped. Anything already created stays in Salesforce; Verify login later proves it.")
        )

    def _undo(self) -> None:
        from core.usecases import salesforce_app as setup

        org, plan, created = self._org, self._plan, list(self._failed_created)
        if org is None or plan is None:
            return
        self.run_task(
            Task(setup.undo_setup, org, created, api_version=plan.api_version),
            self.tr("Removing what was created..."),
            on_success=self._undone,
            cancellable=False,
        )

    def _undone(self, left: list[str]) -> None:
        self.undo_button.hide()
        if left:
            self.message.show_warning(self.tr("Still in Salesforce: {0}").format("; ".join(left)))
        else:
            self.message.show_ok(self.tr("Removed what this run created. Nothing of it is left in Salesforce."))
