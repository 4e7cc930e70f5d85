"""Manage's Watch: what the last watch found for each connector, Check every connector now, and the schedule that runs it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.usecases.watch import Status, WatchHistory, WatchResult
from gui.widgets import MessageLabel, describe
from gui.workers import Task

if TYPE_CHECKING:
    from core.storage.secret_store import SecretStore
    from gui.api_access import ApiAccessForm
    from gui.pages.base import TaskPage


def last_watch_words(history: WatchHistory) -> str:
    """The last watch in one paragraph: when, how many of each status, and what is wrong where."""
    if not history.watches:
        return (
            "No watch has run on this computer yet: Check every connector now looks at every connector recorded here."
        )
    last = history.watches[-1]
    connectors = last.get("connectors") if isinstance(last.get("connectors"), dict) else {}
    assert isinstance(connectors, dict)
    counts = {status.value: 0 for status in Status}
    problems = []
    for connector_id, seen in connectors.items():
        status = str(seen.get("status", "")) if isinstance(seen, dict) else ""
        counts[status] = counts.get(status, 0) + 1
        findings = seen.get("findings") if isinstance(seen, dict) else None
        if status != Status.OK.value and isinstance(findings, list) and findings:
            first = findings[0] if isinstance(findings[0], dict) else {}
            problems.append(f"{seen.get('name') or connector_id}: {first.get('message', '')}")
    when = history.last_checked()[:16].replace("T", " ")
    summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n) or "no connector"
    return f"Last checked {when} UTC: {summary}." + ("".join(f"\n{p}" for p in problems[:5]))


class WatchBox(QWidget):
    """The watch inside Manage: it runs through the page's task row, so Stop and the busy state are the page's."""

    def __init__(self, page: TaskPage, access: ApiAccessForm) -> None:
        super().__init__()
        self.page = page
        self.access = access
        self.last = MessageLabel()
        self.check_all_button = QPushButton(self.tr("Check ever&y connector now"))
        describe(
            self.check_all_button,
            "Check all connectors now",
            "The certificate, the connector's own login, what it reads and its workflows' last runs, for every "
            "connector recorded on this computer",
        )
        self.schedule_button = QPushButton(self.tr("Schedule checks..."))
        describe(self.schedule_button, "Schedule checks", "Have your computer run the watch every few hours")
        self.schedule_state = QLabel()
        self.schedule_state.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.check_all_button)
        row.addWidget(self.schedule_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.last)
        layout.addLayout(row)
        layout.addWidget(self.schedule_state)
        self.check_all_button.clicked.connect(self.check_all)
        self.schedule_button.clicked.connect(self.open_schedule)
        self.dialog: ScheduleDialog | None = None
        self.refresh()

    def refresh(self) -> None:
        history = WatchHistory.load()
        text = last_watch_words(history)
        if history.watches and any(
            isinstance(c, dict) and c.get("status") == Status.FAILING.value
            for c in (history.watches[-1].get("connectors") or {}).values()
        ):
            self.last.show_warning(text)
        else:
            self.last.show_info(text)

    def set_busy(self, busy: bool) -> None:
        self.check_all_button.setEnabled(not busy)
        self.schedule_button.setEnabled(not busy)

    def check_all(self) -> None:
        from core.errors import AppError
        from core.usecases.watch import WatchRequest, watch

        try:
            client = self.access.client()
        except AppError as exc:
            self.page.message.show_error(str(exc))
            return
        context = self.page.context
        history = WatchHistory.load()
        settings = context.settings

        def look() -> WatchResult:
            result = watch(
                client,
                WatchRequest().validated(),
                settings=settings,
                history=history,
                read_secret=context.store.get,
                timings=context.timings,
            )
            history.add(result)
            history.save()
            return result

        self.page.run_task(Task(look), self.tr("Checking every connector..."), on_success=self._checked)

    def _checked(self, result: WatchResult) -> None:
        self.refresh()
        failing = [c for c in result.connectors if c.status is Status.FAILING]
        if not result.connectors:
            self.page.message.show_info(self.tr("No connector is recorded on this computer for this API URL."))
        elif failing:  # what each has is said above, in the last watch
            self.page.message.show_error(
                self.tr("{0} of {1} connectors are failing: {2}. What each has, and what to do, is said above.").format(
                    len(failing), len(result.connectors), ", ".join(c.name for c in failing)
                )
            )
        else:
            self.page.message.show_ok(self.tr("Every connector checked: none is failing."))

    def open_schedule(self) -> None:
        self.dialog = ScheduleDialog(
            self,
            has_kept_sign_in=any(a.sign_in_kept for a in self.page.context.settings.salesforce_apps),
            store=self.page.context.store,
        )
        self.dialog.open()


class ScheduleDialog(QDialog):
    """How often the OS runs the watch, whether it notifies and rotates; installed or removed off the GUI thread."""

    def __init__(self, parent: QWidget, *, has_kept_sign_in: bool, store: SecretStore) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle(self.tr("Schedule checks"))
        self.every = QSpinBox()
        self.every.setRange(1, 168)
        self.every.setValue(6)
        self.every.setSuffix(self.tr(" hours"))
        describe(self.every, "Check every", "How many hours between two checks (1 to 168)")
        self.notify = QCheckBox(self.tr("&Notify the kept webhook when something changes"))
        self.desktop = QCheckBox(self.tr("Show a &desktop notification when something changes"))
        self.desktop.setChecked(True)
        self.rotate = QCheckBox(self.tr("&Rotate automatically 14 days before a certificate ends"))
        self.rotate.setEnabled(has_kept_sign_in)
        self.rotate_hint = QLabel(self.tr("Needs a kept Salesforce sign-in: rotate once in Manage with it kept."))
        self.rotate_hint.setToolTip(self.tr("Or on the command line: setup-salesforce --remember-sign-in."))
        self.rotate_hint.setVisible(not has_kept_sign_in)  # said on the dialog, not only in a tooltip
        self.webhook = QLineEdit()
        self.webhook.setEchoMode(QLineEdit.EchoMode.Password)  # it carries its own secret
        self.webhook.setPlaceholderText(self.tr("paste to replace the kept one"))
        describe(
            self.webhook, "Webhook URL", "A team channel's incoming webhook (Slack, Teams, Mattermost, Google Chat)"
        )
        self.test_button = QPushButton(self.tr("Send a &test notification"))
        describe(
            self.test_button,
            "Send a test notification",
            "Show a test notification on this desktop (when ticked) and post one to the webhook (when kept)",
        )
        self.state = MessageLabel()
        form = QFormLayout()
        every_label = QLabel(self.tr("Check &every:"))
        every_label.setBuddy(self.every)
        form.addRow(every_label, self.every)
        form.addRow("", self.desktop)
        form.addRow("", self.notify)
        webhook_label = QLabel(self.tr("&Webhook:"))
        webhook_label.setBuddy(self.webhook)
        webhook_row = QHBoxLayout()
        webhook_row.addWidget(self.webhook, 1)
        webhook_row.addWidget(self.test_button)
        form.addRow(webhook_label, webhook_row)
        form.addRow("", self.rotate)
        form.addRow("", self.rotate_hint)
        buttons = QDialogButtonBox()
        self.install_button = buttons.addButton(self.tr("&Install"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.remove_button = buttons.addButton(self.tr("Re&move"), QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.state)
        layout.addWidget(buttons)
        self.test_button.clicked.connect(self.send_test)
        self.install_button.clicked.connect(self.install)
        self.remove_button.clicked.connect(self.remove)
        buttons.rejected.connect(self.reject)
        self._task: Task | None = None
        self._run(self._status_now)

    def _run(self, work: Callable[[], str]) -> None:
        """Run ``work`` off the GUI thread; only the newest task's answer is shown (an older one may end later)."""
        self._task = task = Task(work)
        task.succeeded.connect(lambda text: self._said(text) if task is self._task else None)
        task.failed.connect(lambda error: self.state.show_error(str(error)) if task is self._task else None)
        task.start()

    @staticmethod
    def _status_now() -> str:
        from core.usecases import schedule

        return schedule.status()

    def _said(self, text: str) -> None:
        self.state.show_info(text)

    def send_test(self) -> None:
        """A test notification on this desktop (when ticked), and to the webhook: the one typed here (kept in the
        keyring first) or the kept one, when there is one or the webhook is ticked."""
        from core.defaults import WEBHOOK_ENTRY
        from core.usecases.watch import send_test_webhook, show_test_notice

        store = self.store
        typed = self.webhook.text().strip()
        desktop, notify = self.desktop.isChecked(), self.notify.isChecked()

        def send() -> str:
            from core.errors import AppError, InvalidInputError
            from core.logs import register_secret
            from core.urls import SafeUrl

            said, failed = [], []
            if desktop:
                try:
                    show_test_notice()
                    said.append("Showed a test notification on this desktop.")
                except AppError as exc:
                    failed.append(str(exc))
            if typed:
                SafeUrl(typed, what="webhook URL", secret=True)
                store.set(WEBHOOK_ENTRY, typed)
            url = (store.get(WEBHOOK_ENTRY) or "") if typed or notify or not desktop else ""
            if url:
                register_secret(url)
                send_test_webhook(url)
                said.append("Sent a test notification to the webhook (kept in your keyring).")
            elif notify or not desktop:
                failed.append("No webhook is kept yet: paste the channel's webhook URL above.")
            if failed:
                raise InvalidInputError(" ".join([*said, *failed]))
            return " ".join(said)

        self.webhook.clear()
        self._run(send)

    def install(self) -> None:
        from core.usecases import schedule

        request = schedule.ScheduleRequest(
            every_hours=self.every.value(),
            notify=self.notify.isChecked(),
            desktop=self.desktop.isChecked(),
            rotate_within_days=14 if self.rotate.isChecked() else None,
        )

        def install() -> str:
            done = schedule.install(request)
            return f"The watch runs every {request.every_hours} hour(s) as {done.how} ({done.where})."

        self._run(install)

    def remove(self) -> None:
        from core.usecases import schedule

        self._run(schedule.remove)
