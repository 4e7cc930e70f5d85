"""Step 3, automated: one sign-in, then the app creates the External Client App in Salesforce.

Four steps that tick as they complete: sign in (system browser), check the org and show the
plan, create (permission set, assignment, app), wait until the connector's own login works.
The admin's session lives on this page, in memory, and is dropped when the wizard closes.

A Connected App instead is a choice under Advanced, and is offered when the External Client App
logs in through My Domain but login.salesforce.com (the connector's host) keeps refusing it.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

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

from core.defaults import CONNECTOR_LOGIN_URL, DEFAULT_APP_NAME
from core.errors import AppError, PropagationTimeout, SetupFailed
from core.salesforce.metadata import CONNECTED_APP, ECA, app_kind, validate_app_type, validate_ip_relaxation
from core.steps.journal import Journal
from core.steps.progress import Event, LoginAttempt, Notice, OpenSignInPage, Record, Step, StepStarted, Waiting
from core.urls import SafeUrl
from gui.context import WizardContext
from gui.page_ids import PageId
from gui.pages.base import TaskPage
from gui.sign_in import SignInChoice
from gui.waiting import wait_words
from gui.widgets import CopyField, MessageLabel, add_message_row, describe, open_sign_in_page
from gui.workers import Task

if TYPE_CHECKING:
    from core.salesforce.login import LoginResult
    from core.storage.settings import SalesforceAppRecord
    from core.usecases.admin import SignIn
    from core.usecases.salesforce_app import PreparedSetup, SetupOutcome, SetupRequest

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
        #: Signed in and checked: the admin's session lives here, in memory only, until Create.
        self._prepared: PreparedSetup | None = None
        self._request: SetupRequest | None = None
        #: The Connected App to set up instead, when the External Client App answered at My Domain only.
        self._fallback: SetupRequest | None = None
        self._failure: SetupFailed | None = None
        self.done = False

        self.username = QLineEdit()
        describe(self.username, "Connector user's Salesforce username", "The user the connector logs in as")
        self.advanced = QCheckBox(self.tr("Ad&vanced options"))
        describe(
            self.advanced, "Advanced options", "Kind of app, app name, IP relaxation and the login host for the sign-in"
        )
        self.app_type = QComboBox()
        self.app_type.addItem(self.tr("External Client App (recommended)"), ECA)
        self.app_type.addItem(
            self.tr("Connected App (where an External Client App cannot serve the connector)"), CONNECTED_APP
        )
        describe(
            self.app_type,
            "Kind of app",
            "Many orgs refuse new Connected Apps since Spring '26; choose it where the External Client App only "
            "works through My Domain",
        )
        self.app_name = QLineEdit(DEFAULT_APP_NAME)
        describe(self.app_name, "App API name")
        self.ip_relaxation = QComboBox()
        self.ip_relaxation.addItem(self.tr("Enforce IP restrictions"), "enforce")
        self.ip_relaxation.addItem(self.tr("Relax IP restrictions"), "relax")
        describe(self.ip_relaxation, "IP relaxation")
        self.login_url = QLineEdit()
        self.login_url.setPlaceholderText(CONNECTOR_LOGIN_URL)
        describe(self.login_url, "Login host", "login.salesforce.com, or your My Domain for the sign-in")
        # For admins who cannot use the browser sign-in (e.g. API Access Control blocks the CLI's client).
        self.sign_in_choice = SignInChoice()
        self.sign_in_with = self.sign_in_choice.way
        self.sf_org = self.sign_in_choice.sf_org
        self.instance_url = self.sign_in_choice.instance_url
        self.access_token = self.sign_in_choice.access_token
        self.advanced_box = QWidget()
        advanced_form = QFormLayout(self.advanced_box)
        advanced_form.setContentsMargins(0, 0, 0, 0)
        advanced_form.addRow(self.tr("Kind of app:"), self.app_type)
        advanced_form.addRow(self.tr("App API name:"), self.app_name)
        #: Said before the sign-in when this computer already set up an app of that name (the org would refuse it).
        self.name_taken = MessageLabel()
        advanced_form.addRow("", self.name_taken)
        self.app_name.textChanged.connect(self._say_if_name_taken)
        advanced_form.addRow(self.tr("IP relaxation:"), self.ip_relaxation)
        advanced_form.addRow(self.tr("Login host:"), self.login_url)
        advanced_form.addRow(self.sign_in_choice)
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
        # After a restart mid-wait: the app exists and is recorded; only the connector's login is left to prove.
        self.wait_button = QPushButton(self.tr("&Wait for the connector's login"))
        describe(
            self.wait_button,
            "Wait for the connector's login",
            "The app was created in an earlier session: wait until Salesforce accepts the connector's login",
        )
        self.wait_button.hide()
        self.undo_button = QPushButton(self.tr("Remove what was cr&eated"))
        describe(self.undo_button, "Remove what this run created in Salesforce")
        self.undo_button.hide()
        # Offered when the External Client App works through My Domain only (the connector cannot use that).
        self.fallback_button = QPushButton(self.tr("Set up a Connected App &instead"))
        describe(
            self.fallback_button,
            "Set up a Connected App instead",
            "Plans a Connected App with the same key and user, in the session you signed in with; nothing is "
            "created before you confirm",
        )
        self.fallback_button.hide()
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
        add_message_row(form, self.login_warning)
        form.addRow("", self.keep_sign_in)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sign_in_button)
        buttons.addWidget(self.create_button)
        buttons.addWidget(self.wait_button)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.fallback_button)
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
        self.wait_button.clicked.connect(self._wait_again)
        self.fallback_button.clicked.connect(self._plan_connected_app)
        self._show_steps(0)

    # --- page protocol ---------------------------------------------------------------------------

    def initializePage(self) -> None:
        draft = self.context.draft
        if not self.username.text():
            self.username.setText(draft.username or self.context.settings.username)
        if self._restore_proof():
            return
        self._offer_to_wait_again()
        if draft.app_name != self.app_name.text():  # finishing an unfinished set-up of another app (Manage)
            self.app_name.setText(draft.app_name)
            self.advanced.setChecked(True)
        self._say_if_name_taken()

    def _say_if_name_taken(self) -> None:
        """An app of this name that this computer set up (and whose login was proved): in its org the name is taken,
        which the org said only after the browser sign-in. Said now, beside the name; it may be another org."""
        name = self.app_name.text().strip()
        taken = next(
            (a for a in self.context.settings.salesforce_apps if a.app_name == name and not a.login_pending), None
        )
        if taken is None or self.done or self.created_app() is not None:  # not this flow's own app
            self.name_taken.clear_message()
            return
        from urllib.parse import urlsplit

        host = urlsplit(taken.instance_url).hostname or taken.instance_url or self.tr("an org")
        self.name_taken.show_warning(
            self.tr(
                "This computer already set up an app named {0} in the org at {1}: in that org the name is taken. "
                "Choose another name, or rotate that app's certificate under Manage connectors."
            ).format(name, host)
        )
        self.advanced.setChecked(True)  # the name field, where it can be changed

    def isComplete(self) -> bool:
        return self.done and not self.is_busy()

    def _restore_proof(self) -> bool:
        """Resumed after the login was proved (closed on a later step): the page as it was, proof and consumer key
        kept; nothing to sign in to or create again. False when there is no such proof for this draft."""
        from core.salesforce.login import LoginResult

        if self.done:
            return True
        saved = self.context.settings.wizard.proved_login
        consumer_key = self.context.draft.consumer_key or self.context.settings.consumer_key
        if not isinstance(saved, dict) or not consumer_key or saved.get("consumer_key") != consumer_key:
            return False
        try:
            login = LoginResult(
                **{
                    k: str(saved.get(k) or "")
                    for k in ("username", "display_name", "user_id", "org_id", "instance_url")
                },
                login_url=SafeUrl(str(saved.get("login_url") or CONNECTOR_LOGIN_URL), what="login URL"),
            )
        except (TypeError, AppError):  # a record this version cannot read (or a hand-edited address): not restored
            return False
        self.consumer_key.set_value(consumer_key)
        self.consumer_key.show()
        self.consumer_key_label.show()
        self._proved(login.username or self.context.settings.username, consumer_key, login)
        return True

    def nextId(self) -> int:
        return int(PageId.UNSTRUCTURED)

    def show_error(self, field: str, message: str) -> None:
        self.message.show_error(message)
        (self.username if field == "username" else self.app_name).setFocus()

    def busy_changed(self, busy: bool) -> None:
        self.fallback_button.setEnabled(not busy and not self.done)
        self.sign_in_button.setEnabled(not busy and not self.done)
        self.wait_button.setEnabled(not busy and not self.done)
        self.create_button.setEnabled(not busy and self._prepared is not None and not self.done)
        self.username.setEnabled(not busy and self._prepared is None)

    def _show_steps(self, done: int, *, current: int | None = None) -> None:
        for number, (label, text) in enumerate(zip(self.step_labels, STEPS, strict=True)):
            mark = (
                "\u2714"
                if number < done
                else ("\u25b6" if number == (done if current is None else current) else "\u2022")
            )
            label.setText(f"{mark} {number + 1}. {self.tr(text)}")

    def _sign_in_way_changed(self) -> None:
        way = self.sign_in_choice.value()
        self.keep_sign_in.setEnabled(way == "browser")  # only a browser sign-in has something to keep
        self.sign_in_button.setText(
            self.tr("&Sign in to Salesforce") if way == "browser" else self.tr("&Check the org")
        )

    def _login_host_changed(self) -> None:
        try:
            host = self._login_url()
        except AppError as exc:  # still being typed, or not an address the app may use: said as it is typed
            self.login_warning.show_warning(str(exc))
            return
        if host == CONNECTOR_LOGIN_URL:
            self.login_warning.clear_message()
            return
        self.login_warning.show_warning(
            self.tr(
                "Signing in and proving the login through {0}. The connector itself always logs in through {1}, so "
                "the proof counts only there."
            ).format(host, CONNECTOR_LOGIN_URL)
        )

    def _login_url(self) -> SafeUrl:
        """The login host typed under Advanced (checked here), else the connector's own.

        Raises:
            InvalidInputError: what is typed is not a web address the app may use.
        """
        typed = self.login_url.text().strip()
        return SafeUrl.typed(typed, what="login host") if typed else CONNECTOR_LOGIN_URL

    # --- 1 + 2: sign in, then plan --------------------------------------------------------------

    def _sign_in_request(self) -> SignIn:
        keep = self.keep_sign_in.isChecked() and self.keep_sign_in.isEnabled() and not self.context.session_only
        return self.sign_in_choice.request(login_url=self._login_url(), port=self.context.sign_in_port, keep=keep)

    def _sign_in(self) -> None:
        from core.usecases.salesforce_app import SetupRequest, prepare_setup

        bundle = self.context.bundle
        if bundle is None or bundle.cert_pem is None:
            self.message.show_error(self.tr("Make or import the key and certificate first (step 2)."))
            return
        try:  # the edge: every value is checked once, here, before anything opens
            request = SetupRequest(
                username=self.username.text(),
                certificate_pem=bundle.cert_pem.decode("ascii"),
                key=bundle,
                app_name=self.app_name.text(),
                ip_relaxation=validate_ip_relaxation(str(self.ip_relaxation.currentData())),
                login_url=self._login_url(),
                app_type=validate_app_type(str(self.app_type.currentData())),
            ).validated()
            sign_in = self._sign_in_request().validated()
        except AppError as exc:
            self.task_failed(exc)
            return
        self._request = request
        timings = self.context.timings
        journal = Journal(self.context.settings_path)
        task = Task(lambda: prepare_setup(request, sign_in, journal=journal, run=task.runtime(timings)))
        self.message.clear_message()
        self._show_steps(0)
        self.run_task(
            task,
            self.tr("Waiting for you to sign in to Salesforce in your browser...")
            if sign_in.way.value == "browser"
            else self.tr("Checking the org..."),
            on_success=self._planned,
            on_progress=self._progress,
        )

    def _progress(self, event: Event) -> None:
        """The set-up's events, on the GUI thread: what to open, record and tick."""
        if isinstance(event, OpenSignInPage):
            open_sign_in_page(event.url, self.message)
        elif isinstance(event, StepStarted) and event.step is Step.CHECK_ORG:
            self._show_steps(1)
            self.busy.status.setText(self.tr("Checking the org..."))
        elif isinstance(event, Record):  # recorded already (TaskPage); here: what it means for this page
            consumer_key = getattr(event.change, "consumer_key", "")
            if consumer_key:
                # What Resume needs if the wizard closes during the wait: this app's user and consumer key.
                settings = self.context.settings
                settings.username = getattr(event.change, "username", settings.username)
                settings.consumer_key = consumer_key
                settings.wizard.app_consumer_key = consumer_key
                # Which key the app trusts: a later key (the first one lost) can never prove its login.
                settings.wizard.app_certificate = self._certificate_fingerprint()
                self.context.save_settings()
                self.consumer_key.set_value(consumer_key)
                self.consumer_key.show()
                self.consumer_key_label.show()
        elif isinstance(event, StepStarted) and event.step is Step.LOGIN:
            self._show_steps(3)
            self.busy.status.setText(self.tr("Waiting until Salesforce accepts the connector's login..."))
        elif isinstance(event, LoginAttempt | Waiting):
            self.busy.status.setText(wait_words(event, what="app"))
        elif isinstance(event, Notice):
            self.message.show_info(event.text)

    def _planned(self, prepared: PreparedSetup) -> None:
        self._prepared = prepared
        self.fallback_button.hide()
        self._show_steps(2)
        self.plan_text.setPlainText("\n".join(prepared.plan.describe()))
        self.plan_text.show()
        self.create_button.show()
        self.busy_changed(False)
        self.message.show_info(self.tr("Nothing has been created yet. Check the list above, then Create."))
        self.create_button.setFocus()

    # --- 3 + 4: create, then wait for the connector's login ---------------------------------------------

    def _create(self) -> None:
        from core.usecases.salesforce_app import carry_out_setup

        prepared, request, context = self._prepared, self._request, self.context
        if prepared is None or request is None:
            return
        keep = context.save_secret if prepared.admin.refresh_token and not context.session_only else None
        task = Task(
            lambda: carry_out_setup(
                prepared,
                request,
                journal=Journal(context.settings_path),
                keep_secret=keep,
                run=task.runtime(context.timings),
            )
        )
        self.message.clear_message()
        self._show_steps(2, current=2)
        self.run_task(
            task,
            self.tr("Creating the app in Salesforce..."),
            on_success=self._created,
            on_failure=self._create_failed,
            on_progress=self._progress,
        )

    def created_app(self) -> SalesforceAppRecord | None:
        """The app this flow created in an earlier session whose login was never proved (closed during the wait)."""
        settings = self.context.settings
        consumer_key = settings.wizard.app_consumer_key
        return settings.salesforce_app(consumer_key) if consumer_key and not self.done else None

    def _certificate_fingerprint(self) -> str:
        """The SHA-256 fingerprint of the certificate of the key this session holds ("" without one)."""
        from core.crypto.keypair import fingerprint_sha256, load_certificate

        bundle = self.context.bundle
        return fingerprint_sha256(load_certificate(bundle.cert_pem)) if bundle and bundle.cert_pem else ""

    def _offer_to_wait_again(self) -> None:
        app = self.created_app()
        if app is None or self.is_busy():
            return
        trusted = self.context.settings.wizard.app_certificate
        if trusted and self._certificate_fingerprint() not in ("", trusted):
            self.wait_button.hide()  # a wait that can never end: this key is not the one the app trusts
            self.message.show_warning(
                self.tr(
                    "The app {0} was created last time for a key that is no longer here: this key's certificate is "
                    "not the one the app trusts, so waiting cannot prove the connector's login. Remove the app under "
                    "Manage connectors (Advanced, Remove app) and set it up again with this key, or put the old "
                    "key back (Import on the key step)."
                ).format(app.app_name)
            )
            return
        self.username.setText(app.username)
        self.consumer_key.set_value(app.consumer_key)
        self.consumer_key.show()
        self.consumer_key_label.show()
        self._show_steps(3)
        self.wait_button.show()
        self.message.show_info(
            self.tr(
                "The app {0} was created in Salesforce last time, and is recorded here; the wizard was closed "
                "before Salesforce accepted the connector's login. Wait for it now, or remove the app under "
                "Manage connectors."
            ).format(app.app_name)
        )

    def _wait_again(self) -> None:
        from core.usecases.salesforce_app import wait_again_for_login

        app, bundle, context = self.created_app(), self.context.bundle, self.context
        if app is None or bundle is None:
            self.message.show_error(self.tr("Make or import the key whose certificate the app trusts first (step 2)."))
            return
        try:
            fallback = self._login_url()
        except AppError as exc:
            self.message.show_error(str(exc))
            return
        task = Task(
            lambda: wait_again_for_login(
                app, bundle.key, fallback_login_url=fallback, run=task.runtime(context.timings)
            )
        )
        self.message.clear_message()
        self.run_task(
            task,
            self.tr("Waiting until Salesforce accepts the connector's login..."),
            on_success=lambda login: self._proved(app.username, app.consumer_key, login),
            on_progress=self._progress,
        )

    def _created(self, outcome: SetupOutcome) -> None:
        result = outcome.result
        assert outcome.login is not None  # the wizard always has the private key
        self._proved(result.username, result.consumer_key, outcome.login)

    def _proved(self, username: str, consumer_key: str, login: LoginResult) -> None:
        self.done = True
        self.wait_button.hide()
        settings = self.context.settings
        settings.wizard.app_consumer_key = ""
        # What Resume restores after a close on a later step: the proof, not a set-up to sign in to again.
        settings.wizard.proved_login = {"consumer_key": consumer_key, **dataclasses.asdict(login)}
        self.context.login = login
        self.context.draft.username, self.context.draft.consumer_key = username, consumer_key
        settings.username, settings.consumer_key = username, consumer_key
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
        from core.usecases.salesforce_app import connected_app_fallback

        request = self._request
        self._fallback = connected_app_fallback(request, error) if request is not None else None
        if request is not None and self._fallback is not None and self._prepared is not None:
            self.message.show_error(
                self.tr(
                    "{0}\nA Connected App serves login.salesforce.com where an External Client App does not: set one "
                    "up instead. The External Client App {1} stays, recorded here: once the Connected App works, "
                    "remove it under Manage connectors (Advanced, Remove app). "
                    "Many orgs refuse new Connected Apps since Spring '26; the plan says so before anything is created."
                ).format(error.message, request.app_name)
            )
            # The app exists: Create (or planning it again) would only be refused. What is left: wait, or switch.
            self.create_button.hide()
            self.sign_in_button.hide()
            self.plan_text.hide()
            self.wait_button.setVisible(self.created_app() is not None)
            self.fallback_button.show()
            self.fallback_button.setFocus()
            self.keep_in_view(self.message)
            return
        app = self.created_app()
        if isinstance(error, PropagationTimeout) and app is not None:
            self.message.show_error(
                self.tr(
                    "{0}\nThe {1} {2} exists in Salesforce and is recorded here, with the consumer key shown above: "
                    "nothing needs to be created again. Choose Wait for the connector's login to wait again (Salesforce "
                    "sometimes takes longer), or remove it "
                    "under Manage connectors (Advanced, Remove app)."
                ).format(error.message, app_kind(app.app_type), app.app_name)
            )
            self.create_button.hide()  # Create again would only be refused: the app exists
            self.sign_in_button.hide()
            self.plan_text.hide()
            self.wait_button.show()
            self.wait_button.setFocus()
            self.keep_in_view(self.message)
            return
        if isinstance(error, SetupFailed):
            self._failure = error
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

    def _plan_connected_app(self) -> None:
        """Plan a Connected App for the same user and key, in the session already signed in (no browser again)."""
        from core.usecases.salesforce_app import plan_again

        prepared, request = self._prepared, self._fallback
        if prepared is None or request is None:
            return
        self._request = request
        self.app_type.setCurrentIndex(self.app_type.findData(CONNECTED_APP))
        self.app_name.setText(request.app_name)
        self.advanced.setChecked(True)
        self.create_button.hide()
        self.plan_text.hide()
        journal = Journal(self.context.settings_path)
        self.message.clear_message()
        self._show_steps(1)
        self.run_task(
            Task(plan_again, prepared, request, journal=journal),
            self.tr("Checking the org for a {0}...").format(app_kind(CONNECTED_APP)),
            on_success=self._planned,
        )

    def task_failed(self, error: AppError) -> None:
        self.message.show_error(str(error))
        field = getattr(error, "field", "")
        if field in ("username", "app_name"):
            self.show_error(field, str(error))  # and take the admin to the field to fix

    def task_cancelled(self) -> None:
        self.message.show_info(
            self.tr(
                "Stopped. Anything already created stays in Salesforce and is recorded here: come back to this step "
                "to wait for the connector's login, or remove it under Manage connectors."
            )
        )

    def _undo(self) -> None:
        from core.usecases.salesforce_app import undo_failed_setup

        prepared, failure = self._prepared, self._failure
        if prepared is None or failure is None:
            return
        self.run_task(
            Task(undo_failed_setup, prepared, failure, journal=Journal(self.context.settings_path)),
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
