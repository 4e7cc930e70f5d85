"""What every wizard page shares: one task lifecycle and the interface the wizard calls.

A page runs at most one :class:`~gui.workers.Task` at a time through :meth:`TaskPage.run_task`:
the busy row shows and may offer Cancel, a result that arrives after a cancel (or after a newer
task started) is dropped, and the page's own controls follow :meth:`busy_changed`. The wizard
talks to a page only through this class (``is_busy``, ``show_error``), never by looking for
attributes; pages share data through the context and Qt's fields, never by calling each other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from core.errors import AppError
from gui.context import WizardContext
from gui.widgets import BusyRow, MessageLabel
from gui.workers import Task, while_alive

if TYPE_CHECKING:
    from PySide6.QtWidgets import QLineEdit


class StepPage(QWizardPage):
    """The interface the wizard uses on every page, and a body that scrolls rather than squeezes.

    Subclasses lay their widgets out in :attr:`body`: on a small screen (or at 200 % scaling) the
    page scrolls, and no input is ever pressed below its minimum size.
    """

    def __init__(self, context: WizardContext) -> None:
        super().__init__()
        self.context = context
        #: Failures routed here from a later step, by the id of the message they show in.
        self._routed: dict[int, str] = {}
        self.body = QWidget()
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        # The page's first input takes the focus when it opens, not the scroll area around it (which drew no
        # frame, so the focus could not be seen until Tab moved it on).
        self.scroll_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # The page's own background shows through. The viewport is made here rather than asked for: the
        # first viewport() call looks up the type of a widget Qt made, and that costs the first window ~10 ms.
        viewport = QWidget()
        viewport.setAutoFillBackground(False)
        self.scroll_area.setViewport(viewport)  # before setWidget: the old viewport takes its children with it
        self.scroll_area.setWidget(self.body)
        self.body.setAutoFillBackground(False)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll_area)

    def opened(self) -> None:
        """The wizard has just made this the current page (after Qt placed the focus)."""
        self._keep_filled_text()

    def _keep_filled_text(self) -> None:
        """The page opens with the focus on its first control that can be seen (not on a hidden one, nor nowhere),
        and a field it opens on keeps its text: the cursor waits at its end instead of the whole text being
        selected (the next key pressed replaced a prefilled API URL)."""
        focused = QApplication.focusWidget()
        if focused is None or not focused.isVisible() or not self.isAncestorOf(focused) or _read_only_text(focused):
            first = self._first_control()
            if first is not None:
                first.setFocus(Qt.FocusReason.OtherFocusReason)
                focused = first
        line = _as_line_edit(focused)
        if line is not None and self.isAncestorOf(line) and line.selectedText() == line.text():
            line.deselect()
            line.end(False)

    def _first_control(self) -> QWidget | None:
        """The first control in the page's tab order that can be seen and used."""
        widget = self.body.nextInFocusChain()
        while widget is not None and widget is not self.body:
            if (
                self.body.isAncestorOf(widget)
                and widget.isVisible()
                and widget.isEnabled()
                and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
                and not _read_only_text(widget)  # a summary to read is not where the keyboard starts
            ):
                return widget
            widget = widget.nextInFocusChain()
        return None

    def closing_words(self) -> str:
        """What closing the window while this page's step runs means, for the close prompt."""
        return self.tr("If you close now it may still complete without the wizard recording it.")

    def keep_in_view(self, widget: QWidget) -> None:
        """Scroll so that ``widget`` shows (once the layout has placed it): what is happening now, or its result,
        must not sit below the fold while only greyed buttons show above it."""

        def scroll() -> None:
            if widget.isVisible():
                self.scroll_area.ensureWidgetVisible(widget, 0, 12)

        QTimer.singleShot(0, self, scroll)

    def is_busy(self) -> bool:
        """Whether a step is still running here (closing the wizard then asks first)."""
        return False

    def show_error(self, field: str, message: str) -> None:
        """Show ``message`` next to ``field``. Pages a failure can be routed to implement it."""
        raise NotImplementedError(f"{type(self).__name__} has no field {field!r} to show an error at")

    def field_widget(self, field: str) -> QWidget | None:
        """The input for ``field`` (focused when a failure is routed here), if this page has it."""
        del field
        return None

    # A later step's verdict on a field (Salesforce does not know the consumer key, the name is
    # taken) stays beside it until the admin edits that field, whatever the page re-checks meanwhile.

    def show_routed(self, message: MessageLabel, text: str) -> None:
        self._routed[id(message)] = text
        message.show_error(text)

    def show_field_ok(self, message: MessageLabel) -> None:
        """The field's own check passed: show a routed verdict that still stands, or nothing."""
        routed = self._routed.get(id(message))
        if routed:
            message.show_error(routed)
        else:
            message.clear_message()

    def forget_routed(self, message: MessageLabel) -> None:
        """The admin edited the field: its own check decides what it shows now."""
        if self._routed.pop(id(message), None) is not None:
            self.completeChanged.emit()


def _read_only_text(widget: QWidget) -> bool:
    if not (widget.inherits("QPlainTextEdit") or widget.inherits("QTextEdit")):
        return False
    from PySide6.QtWidgets import QPlainTextEdit, QTextEdit

    return isinstance(widget, QPlainTextEdit | QTextEdit) and widget.isReadOnly()


def _as_line_edit(widget: QWidget | None) -> QLineEdit | None:
    """The widget as a line edit, if it is one. Asked of Qt by class name first: Welcome has none, and
    importing the class builds its enums (see gui/widgets.py)."""
    if widget is None or not widget.inherits("QLineEdit"):
        return None
    from PySide6.QtWidgets import QLineEdit

    return widget if isinstance(widget, QLineEdit) else None


class TaskPage(StepPage):
    """A page that runs slow work: one task at a time, cancellable, stale results dropped."""

    def __init__(self, context: WizardContext) -> None:
        super().__init__(context)
        #: Subclasses place these two in their layout.
        self.busy = BusyRow()
        self.message = MessageLabel()
        self._task: Task | None = None
        self._focus_before: QWidget | None = None
        self._focus_parked: QWidget | None = None
        self.busy.cancel_requested.connect(self.cancel_task)

    # --- the lifecycle -------------------------------------------------------------------------

    def run_task(
        self,
        task: Task,
        text: str,
        *,
        on_success: Callable[[Any], None],
        on_failure: Callable[[AppError], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
        cancellable: bool = True,
    ) -> None:
        """Start ``task``, showing ``text``; exactly one of the handlers runs, unless it is cancelled first."""
        self._task = task
        task.succeeded.connect(while_alive(self, lambda value: self._task_settled(task, on_success, value)))
        task.failed.connect(
            while_alive(self, lambda error: self._task_settled(task, on_failure or self.task_failed, error))
        )
        if on_progress is not None:
            task.progress.connect(while_alive(self, lambda value: self._task_progress(task, on_progress, value)))
        focused = QApplication.focusWidget()
        self._focus_before = focused if focused is not None and self.isAncestorOf(focused) else None
        self.busy.start(text, cancellable=cancellable)
        self.busy_changed(True)
        self.keep_in_view(self.busy)
        self._focus_parked = QApplication.focusWidget()  # where disabling the controls moved it
        self.completeChanged.emit()
        task.start()

    def _task_progress(self, task: Task, handler: Callable[[Any], None], value: Any) -> None:
        from core.steps.progress import Record  # its many event classes: not what the first window waits for

        if isinstance(value, Record):
            # Something now exists (an app in the org, a new key): recorded here, on the GUI thread, for
            # every page alike, and even when the page stopped waiting for the task (the worker still
            # delivers Records after a cancel; they used to stop at the page's "current task" check).
            value.change.apply(self.context.settings)
            self.context.save_settings()
            handler(value)
            return
        if task is self._task:
            handler(value)
            self.keep_in_view(self.busy)  # a step may have shown more above it (e.g. the new consumer key)

    def _task_settled(self, task: Task, handler: Callable[[Any], None], value: Any) -> None:
        if task is not self._task:
            return  # the result of a task that was cancelled or replaced
        self._task = None
        self.busy.stop()
        self.busy_changed(False)
        handler(value)
        message = getattr(self, "message", None)
        if isinstance(message, QWidget):
            self.keep_in_view(message)  # the verdict, where the busy row was
        self._announce_complete()
        self._restore_focus()

    def _restore_focus(self) -> None:
        """Give the focus back to the control that started the task.

        Disabling it while the task ran moved the focus on, often to "< Back": Enter then went backwards.
        A handler that put the focus somewhere on purpose (a field to fix, Next) is left alone.
        """
        before, self._focus_before = self._focus_before, None
        focused = QApplication.focusWidget()
        wizard = self.wizard()
        back = wizard.button(QWizard.WizardButton.BackButton) if wizard is not None else None
        parked = focused is None or focused is self._focus_parked or focused is back
        if before is not None and parked and before.isVisible() and before.isEnabled():
            before.setFocus(Qt.FocusReason.OtherFocusReason)

    def _announce_complete(self) -> None:
        # A handler may have routed the wizard to another step (a failed create goes back to the
        # field that can fix it); the wizard re-reads the *current* page on completeChanged, and
        # that page's message must not be re-evaluated away.
        wizard = self.wizard()
        if wizard is None or wizard.currentPage() is self:
            self.completeChanged.emit()

    def cancel_task(self) -> None:
        """Stop waiting for the running task (its late result is dropped)."""
        if self._task is None:
            return
        self._task.cancel()
        self._task = None
        self.busy.stop()
        self.busy_changed(False)
        self.task_cancelled()
        self.completeChanged.emit()

    # --- what the wizard and subclasses use ------------------------------------------------------

    def is_busy(self) -> bool:
        return self._task is not None

    def busy_changed(self, busy: bool) -> None:
        """Enable or disable the page's own controls; called when a task starts and ends."""

    def task_failed(self, error: AppError) -> None:
        self.message.show_error(str(error))

    def task_cancelled(self) -> None:
        self.message.show_info(self.tr("Cancelled."))

    def show_error(self, field: str, message: str) -> None:
        """Show ``message`` next to ``field`` (a page without such a field shows it in its message)."""
        del field
        self.message.show_error(message)


def go_back_to_fix(wizard: QWizard, page_id: int, field: str, message: str) -> None:
    """Go back to ``page_id`` and show ``message`` next to ``field`` there, with the focus in that field.

    The admin types the fix at once, and Enter no longer goes on with the old value.
    """
    while wizard.currentId() != page_id:
        before = wizard.currentId()
        wizard.back()
        if wizard.currentId() == before:
            break
    page = wizard.currentPage()
    if isinstance(page, StepPage):
        page.show_error(field, message)
        widget = page.field_widget(field)
        if widget is not None:
            widget.setFocus(Qt.FocusReason.OtherFocusReason)
            line = _as_line_edit(widget)
            if line is not None:
                line.selectAll()
