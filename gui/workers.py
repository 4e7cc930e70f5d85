"""Running one core call off the GUI thread.

A :class:`Task` wraps one function, runs it on Qt's thread pool and reports with typed
signals. It never touches a widget. Cancelling sets an event the function may watch and, in
any case, makes the task drop its result, so the page can move on at once.

A running task is kept alive here, on the GUI thread, until its pool thread has let go of it: a
page that drops its reference mid-run (a second probe replacing the first) must never leave the
pool thread holding the last one, or the QObject would be destroyed on that thread while the GUI
thread delivers its queued signals (a segmentation fault).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from core.errors import AppError

if TYPE_CHECKING:
    from core.defaults import Timings
    from core.steps.progress import Runtime
    from core.unstructured.client import PlatformClient
    from gui.context import WizardContext

log = logging.getLogger(__name__)


class Task(QObject):
    succeeded = Signal(object)
    failed = Signal(object)  # an AppError: its str() is the message to show
    progress = Signal(object)
    done = Signal()  # after succeeded/failed, or when cancelled

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        from core.steps.progress import CancelToken  # the progress events: loaded by the first task, after the window

        self.cancel_event = threading.Event()
        #: The same event as a use case's cancel token: Stop sets it, the use case stops at its next safe point.
        self.cancel_token = CancelToken(self.cancel_event)
        #: True from start until the GUI thread has its result: set back on the GUI thread, by the first slot of
        #: ``done`` (queued after succeeded/failed). Set on the pool thread, it said "over" while the result was
        #: still on its way, and a resume that looked then walked on without the restored key.
        self.running = False
        self.done.connect(self._ended)

    def start(self) -> None:
        """Run on Qt's thread pool. Call on the GUI thread."""
        self.running = True
        _Reaper.keep(self)
        QThreadPool.globalInstance().start(_Runnable(self))

    def cancel(self) -> None:
        self.cancel_event.set()
        if self.running:
            self.running = False
            self.done.emit()

    def _ended(self) -> None:
        self.running = False

    def report(self, value: Any) -> None:
        """Callable from the worker thread, e.g. as an ``on_status`` callback or a use case's ``progress``.

        After a cancel, reports are dropped, except a ``Record``: what a use case made before it
        stopped must still reach the settings."""
        if not shiboken6.isValid(self):
            return  # its window is gone (closed mid-way): nobody is left to tell
        from core.steps.progress import Record

        if not self.cancel_event.is_set() or isinstance(value, Record):
            self.progress.emit(value)

    def runtime(self, timings: Timings) -> Runtime:
        """What a long use case run by this task reports to (``progress``) and stops on (Stop)."""
        from core.steps.progress import Runtime

        return Runtime(progress=self.report, cancel=self.cancel_token, timings=timings)

    # Runs on the pool thread; emitting queues the signals to the GUI thread.
    def _run(self) -> None:
        try:
            result = self._fn(*self._args, **self._kwargs)
        except AppError as exc:
            log.info("%s failed: %s", getattr(self._fn, "__name__", "task"), exc)  # messages hold no secrets
            self._finish(self.failed, exc)
        except Exception as exc:  # noqa: BLE001 - reported to the user, logged with its traceback
            log.exception("Unexpected error in a background task")
            self._finish(
                self.failed,
                AppError(
                    "Something unexpected went wrong.", hint=f"Details are in the log file. ({type(exc).__name__})"
                ),
            )
        else:
            self._finish(self.succeeded, result)

    def _finish(self, signal: Any, value: Any) -> None:
        if self.cancel_event.is_set() or not shiboken6.isValid(self):
            return
        signal.emit(value)
        self.done.emit()


def while_alive(owner: QObject, callback: Callable[[Any], None]) -> Callable[[Any], None]:
    """A slot that passes a task's result to ``callback`` only while ``owner`` still exists.

    A lambda or closure is not disconnected when the widget it uses is destroyed (a window closed
    while a look-up was still running); this guard drops such a late result.
    """

    def deliver(value: Any) -> None:
        if shiboken6.isValid(owner):
            callback(value)

    return deliver


def connection_check_task(client: PlatformClient, connector_id: str, context: WizardContext) -> Task:
    """A Task that runs a connector's connection check to its verdict, reporting each status as progress."""
    task = Task(
        lambda: client.run_connection_check(
            connector_id,
            timeout=context.timings.check_timeout,
            poll_interval=context.timings.check_poll_interval,
            on_status=task.report,
            cancel=task.cancel_event,
        )
    )
    return task


def running_tasks() -> list[Task]:
    """The tasks started and not yet let go of by their pool threads (call on the GUI thread)."""
    reaper = _Reaper._instance
    return list(reaper.running.values()) if reaper is not None else []


class _Reaper(QObject):
    """Holds running tasks on the GUI thread; the pool thread says (by id, holding no reference) when one is over."""

    ended = Signal(object)  # the id of a task (a Python int: wider than a C int)
    _instance: _Reaper | None = None

    def __init__(self) -> None:
        super().__init__()
        self.running: dict[int, Task] = {}
        self.ended.connect(self._release)  # queued: the emitting pool thread is not this object's thread

    @classmethod
    def keep(cls, task: Task) -> None:
        if cls._instance is None or not shiboken6.isValid(cls._instance):
            cls._instance = _Reaper()
        cls._instance.running[id(task)] = task

    @classmethod
    def release_later(cls, key: int) -> None:
        reaper = cls._instance
        if reaper is not None and shiboken6.isValid(reaper):
            reaper.ended.emit(key)

    def _release(self, key: int) -> None:
        self.running.pop(key, None)  # on the GUI thread: the last reference, if the page has let go too


class _Runnable(QRunnable):
    def __init__(self, task: Task) -> None:
        super().__init__()
        self._task: Task | None = task

    def run(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        key = id(task)
        try:
            task._run()
        finally:
            del task  # this thread holds no reference when the GUI thread lets go of it
            _Reaper.release_later(key)
