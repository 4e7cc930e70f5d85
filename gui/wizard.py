"""The wizard window: pages registered by id, resumable, errors routed to the step that can fix them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QIcon, QPaintEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QWizard

from core import APP_NAME
from core.defaults import private_key_name
from core.errors import AppError
from gui.context import WizardContext
from gui.flow_steps import FlowSteps
from gui.page_ids import PageId
from gui.pages.base import StepPage, go_back_to_fix
from gui.pages.welcome import STEP_NAMES, WelcomePage

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

    from core.crypto.keypair import KeyBundle
    from core.storage.settings import Settings
    from gui.pages.credentials import CredentialsPage
    from gui.pages.done import DonePage
    from gui.pages.key import KeyPage
    from gui.pages.manage.page import ManagePage
    from gui.pages.review import ReviewPage
    from gui.pages.salesforce_app import SalesforceAppPage
    from gui.pages.salesforce_auto import SalesforceAutoPage
    from gui.pages.unstructured import UnstructuredPage
    from gui.pages.verify import VerifyPage
from gui.widgets import fit_to_screen, tell_settings_not_saved
from gui.workers import Task, while_alive

log = logging.getLogger(__name__)

#: When a shown window has not been painted by then, the work that waits for its first paint starts anyway.
WINDOW_UP_FALLBACK_MS = 500

#: Below this width the steps beside the pages are hidden: the page itself needs the room.
FLOW_MIN_WINDOW_WIDTH = 880


def settle_finished_flow(settings: Settings) -> None:
    """End the resume state of a flow whose connector was created (settings written before it ended there).

    Earlier versions kept the page and key after Create: a restart offered "Review and create" for
    a connector that existed, and restored its key even after a rotation had replaced it.
    """
    from core.storage.settings import ResumeState  # with the settings, after the first window

    wizard = settings.wizard
    name = wizard.connector_name
    if wizard.page != int(PageId.REVIEW) or not name:
        return
    record = next((c for c in settings.connectors if c.name == name), None)
    if record is not None:
        settings.wizard = ResumeState(created={"id": record.id, "name": record.name})


class ConnectorWizard(QWizard):
    """The create flow and Manage. With ``defer_pages`` only the Welcome page exists until
    :meth:`build_pages` runs (the app calls it right after the first window is shown, and moving
    on from Welcome calls it in any case), so that the first window waits for Qt only."""

    #: The first window is up: painted, or WINDOW_UP_FALLBACK_MS after it was shown where nothing paints it (Qt's
    #: offscreen platform under Wine never does). Emitted once, before the other pages are built.
    window_up = Signal()

    key_page: KeyPage
    salesforce_app_page: SalesforceAppPage
    salesforce_auto_page: SalesforceAutoPage
    credentials_page: CredentialsPage
    verify_page: VerifyPage
    unstructured_page: UnstructuredPage
    review_page: ReviewPage
    done_page: DonePage
    manage_page: ManagePage

    def __init__(self, context: WizardContext, *, icon: QIcon | None = None, defer_pages: bool = False) -> None:
        super().__init__()
        # Everything an event handler reads is set before the first Qt call that can send an event:
        # Qt's Windows build sends a resize event from setWizardStyle() ("the antiflicker widget
        # probably needs a new size"), and resizeEvent shows the steps beside the pages.
        self.context = context
        context.save_failed = self._settings_not_saved
        self._built = False
        self._settled = False
        self._painted = False
        self._up = False
        self.flow = FlowSteps()
        self.setWindowTitle(APP_NAME)
        if icon is not None:
            self.setWindowIcon(icon)
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.HaveCustomButton1, True)
        self.setButtonText(QWizard.WizardButton.CustomButton1, self.tr("&About"))
        self.button(QWizard.WizardButton.CustomButton1).setAccessibleName("About")
        self.resize(960, 680)  # room for the steps beside the pages; shrunk below if the screen is smaller
        fit_to_screen(self, 760, 600)

        self.setSideWidget(self.flow)
        self.flow.hide()
        self.welcome_page = WelcomePage(context, check_on_show=not defer_pages)
        self.setPage(int(PageId.WELCOME), self.welcome_page)
        self.close_box: QMessageBox | None = None
        self._close_confirmed = False
        self._restoring: Task | None = None
        #: Where Resume goes once the key being read has arrived (set while it is still on its way).
        self._resume_after_restore: int | None = None
        self.setStartId(int(PageId.WELCOME))
        self.currentIdChanged.connect(self._remember_page)
        self.currentIdChanged.connect(lambda _: QTimer.singleShot(0, self, self._page_opened))
        self.welcome_page.resume_requested.connect(self.resume)
        self.welcome_page.start_over_requested.connect(self.start_over)
        self.customButtonClicked.connect(self._custom_button)
        if not defer_pages:
            self.build_pages()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._up:  # a second show before then only adds a timer that finds it done
            QTimer.singleShot(WINDOW_UP_FALLBACK_MS, self, self._window_is_up)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            # The first window is on screen: now the work it did not wait for.
            QTimer.singleShot(0, self, self._window_is_up)

    def _window_is_up(self) -> None:
        if self._up:
            return
        self._up = True
        self.window_up.emit()
        self._settle()
        self.welcome_page.check_on_show = True
        self.welcome_page.check()
        self.build_pages()

    def _settle(self) -> None:
        """Once, before anything reads the resume state: end a flow whose connector was made (the settings are
        read here, once the first window is up, or earlier where the pages are built at once)."""
        if not self._settled:
            self._settled = True
            settle_finished_flow(self.context.settings)

    def build_pages(self) -> None:
        """Create every page after Welcome (once), and start restoring last session's key."""
        if self._built:
            return
        self._built = True
        self._settle()
        from gui.pages.credentials import CredentialsPage
        from gui.pages.done import DonePage
        from gui.pages.key import KeyPage
        from gui.pages.manage.page import ManagePage
        from gui.pages.review import ReviewPage
        from gui.pages.salesforce_app import SalesforceAppPage
        from gui.pages.salesforce_auto import SalesforceAutoPage
        from gui.pages.unstructured import UnstructuredPage
        from gui.pages.verify import VerifyPage

        context = self.context
        self.key_page = KeyPage(context)
        self.salesforce_app_page = SalesforceAppPage(context)
        self.salesforce_auto_page = SalesforceAutoPage(context)
        self.credentials_page = CredentialsPage(context)
        self.verify_page = VerifyPage(context)
        self.unstructured_page = UnstructuredPage(context)
        self.review_page = ReviewPage(context)
        self.done_page = DonePage(context)
        for page_id, page in (
            (PageId.KEY, self.key_page),
            (PageId.SALESFORCE_AUTO, self.salesforce_auto_page),
            (PageId.SALESFORCE_APP, self.salesforce_app_page),
            (PageId.CREDENTIALS, self.credentials_page),
            (PageId.VERIFY, self.verify_page),
            (PageId.UNSTRUCTURED, self.unstructured_page),
            (PageId.REVIEW, self.review_page),
            (PageId.DONE, self.done_page),
        ):
            self.setPage(int(page_id), page)
        self.manage_page = ManagePage(context)
        self.setPage(int(PageId.MANAGE), self.manage_page)
        self.review_page.fix_requested.connect(self.go_fix)
        self.manage_page.finish_setup_requested.connect(self.finish_unfinished_setup)
        self.verify_page.fix_requested.connect(self.go_fix)
        self.salesforce_app_page.completeChanged.connect(self._show_flow)  # the path may have changed
        self._restore_key()

    def validateCurrentPage(self) -> bool:
        self.build_pages()  # Welcome's Next needs the page it leads to
        return super().validateCurrentPage()

    # --- persistence ---------------------------------------------------------------------------

    def _restore_key(self) -> None:
        """Reload the key made in an earlier session (keyring and disk are read off the GUI thread)."""
        name = self.context.settings.wizard.key_name
        if not name or self.context.bundle is not None:
            return
        record = next((k for k in self.context.settings.keys if k.name == name), None)
        if record is None or not record.certificate_path:
            return
        certificate_path = Path(record.certificate_path)
        read_secret = self.context.read_secret

        def restore() -> KeyBundle | None:
            from core.crypto.keypair import import_key_bundle  # cryptography: loaded in the worker

            pem = read_secret(private_key_name(name))
            if not pem:
                return None
            try:
                return import_key_bundle(pem, certificate_path.read_bytes())
            except (AppError, OSError):
                log.info("The saved key %s could not be restored; the key step starts afresh", name)
                return None

        self._restoring = Task(restore)
        self._restoring.succeeded.connect(
            while_alive(self, lambda bundle: self._restored(name, certificate_path, bundle))
        )
        # Connected before it starts: a connection made later misses a ``done`` already queued to this thread.
        self._restoring.done.connect(self._restore_over)
        self._restoring.start()

    def _restore_over(self) -> None:
        target, self._resume_after_restore = self._resume_after_restore, None
        if target is not None:
            self.resume(target)

    def _restored(self, name: str, certificate_path: Path, bundle: KeyBundle | None) -> None:
        if self.context.bundle is not None:
            return  # the admin made a key meanwhile
        if bundle is None:
            self.context.lost_key = name  # said on Welcome and on the Key page, where Resume then stops
            self.welcome_page.key_not_restored(name)
            if self._built and self.currentPage() is self.key_page:
                self.key_page.initializePage()
            return
        self.context.bundle = bundle
        self.context.key_name = name
        self.context.cert_path = certificate_path
        if self._built and self.currentPage() is self.key_page:
            self.key_page.initializePage()
            self.key_page.completeChanged.emit()

    def _show_flow(self) -> None:
        automated = self._built and self.salesforce_app_page.automated()
        self.flow.show_position(automated=automated, current=self.currentId())
        if self.width() < FLOW_MIN_WINDOW_WIDTH:
            self.flow.hide()  # on a narrow window the page needs the room more than the overview

    def _settings_not_saved(self, message: str) -> None:
        tell_settings_not_saved(self, message)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._show_flow()

    def _remember_page(self, page_id: int) -> None:
        self._show_flow()
        if not self.context.settings_loaded():  # the first window, on Welcome: nothing has changed them yet
            return
        from core.storage.settings import ResumeState

        connector = self.context.connector
        if connector is not None:
            # The flow is finished: nothing to resume (Resume offered "Review and create" for a connector
            # already made, and restored a key that a later rotation may have replaced).
            self.context.settings.wizard = ResumeState(created={"id": connector.id, "name": connector.name})
            self.context.save_settings()
            return
        wizard = self.context.settings.wizard
        if page_id in STEP_NAMES:
            wizard.page = page_id
        if self.context.key_name:
            wizard.key_name = self.context.key_name
        if self.context.settings.changed() or self.context.unsaved:  # opening Welcome at start writes nothing
            self.context.save_settings()

    def _page_opened(self) -> None:
        page = self.currentPage()
        if isinstance(page, StepPage):
            page.opened()

    def resume(self, target: int) -> None:
        """Walk forward to ``target``, stopping early at the first step that is not complete."""
        self.build_pages()
        if self._restoring is not None and self._restoring.running:
            self._resume_after_restore = target  # the key is still on its way: _restore_over resumes
            return

        def step() -> None:
            page = self.currentPage()
            if self.currentId() == target or page is None or not page.isComplete():
                return
            before = self.currentId()
            self.next()
            if self.currentId() != before:
                QTimer.singleShot(0, step)

        step()

    def finish_unfinished_setup(self) -> None:
        """From Manage: the create flow, whose Salesforce step carries on where the stopped set-up ended."""
        self.restart()
        self.welcome_page.create_radio.setChecked(True)
        self.next()

    def start_over(self) -> None:
        from core.storage.settings import ResumeState

        self.context.settings.wizard = ResumeState()
        self.context.bundle = None
        self.context.save_settings()
        self.welcome_page.initializePage()

    def go_fix(self, page_id: int, field: str, message: str) -> None:
        """Go back to ``page_id`` and show ``message`` next to ``field`` there, with the focus in it."""
        go_back_to_fix(self, page_id, field, message)

    # --- closing ----------------------------------------------------------------------------------

    def busy_pages(self) -> list[StepPage]:
        pages = [self.page(page_id) for page_id in self.pageIds()]
        return [page for page in pages if isinstance(page, StepPage) and page.is_busy()]

    def busy_steps(self) -> list[str]:
        return [page.title() for page in self.busy_pages()]

    def reject(self) -> None:
        """Cancel, Escape and the window's close button: ask first while a step runs, or once work exists."""
        if self._close_confirmed:
            super().reject()
            return
        busy = self.busy_steps()
        connector = self.context.connector
        app_made = self.context.settings.wizard.app_consumer_key
        if busy and app_made and connector is None:
            text = self.tr(
                "\u201c{0}\u201d is still running. The app and its permission set already exist in Salesforce and "
                "are recorded here: next time, Resume waits for the connector's login again, and Manage connectors "
                "can remove them. Close anyway?"
            ).format(busy[0])
        elif busy:
            if connector is not None:
                text = self.tr(
                    "\u201c{0}\u201d is still running. The connector \u201c{1}\u201d is already created and recorded; "
                    "closing only stops waiting for this step. Close anyway?"
                ).format(busy[0], connector.name)
            else:
                text = self.tr("\u201c{0}\u201d is still running. {1} Close anyway?").format(
                    busy[0], self.busy_pages()[0].closing_words()
                )
        elif self.currentId() != int(PageId.DONE) and (self.context.bundle is not None or connector is not None):
            if connector is not None:
                text = self.tr(
                    "Close the wizard? The connector \u201c{0}\u201d is created; Manage connectors shows it next time."
                ).format(connector.name)
            elif self.key_is_kept():
                text = self.tr("Close the wizard? Your key is kept and the wizard resumes at this step next time.")
            else:
                text = self.tr(
                    "Close the wizard? Your key is only in memory (no keyring kept it): it is lost when the wizard "
                    "closes, and the next start begins again at the key step. Save a copy of the private key on "
                    "the key step first if you need it."
                )
        else:
            text = ""
        lost = self._unsaved_words()
        if lost:
            text = lost + ("\n\n" + text if text else " " + self.tr("Close anyway?"))
        if not text:
            super().reject()
            return
        from PySide6.QtWidgets import QMessageBox  # imported when asked (its enums: gui/widgets.py)

        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Close the wizard?"),
            text,
            QMessageBox.StandardButton.Close | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(
            lambda result: self._close_now() if result == QMessageBox.StandardButton.Close.value else None
        )
        self.close_box = box
        box.open()

    def _unsaved_words(self) -> str:
        """When the settings could not be saved: one more try, and if it fails, what closing now loses."""
        if not self.context.unsaved:
            return ""
        told, self.context.save_failed = self.context.save_failed, None  # the close prompt says it instead
        try:
            self.context.save_settings()
        finally:
            self.context.save_failed = told
        if not self.context.unsaved:
            return ""
        return self.tr(
            "This computer's record of your work could still not be saved: {0} If you close now, this computer "
            "forgets it (what was done in Salesforce and Unstructured stays done)."
        ).format(self.context.unsaved.rstrip(".") + ".")

    def key_is_kept(self) -> bool:
        """Whether this session's key outlives the window (in the keyring), as the close prompt must say."""
        if self.context.session_only:
            return False
        record = next((k for k in self.context.settings.keys if k.name == self.context.key_name), None)
        return record is not None and record.in_keyring

    def _close_now(self) -> None:
        self._close_confirmed = True
        self.reject()

    # --- about ----------------------------------------------------------------------------------

    def _custom_button(self, which: int) -> None:
        if which == QWizard.WizardButton.CustomButton1.value:
            from gui.about import AboutDialog

            dialog = AboutDialog(self)
            dialog.open()
