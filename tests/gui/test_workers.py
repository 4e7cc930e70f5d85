"""Background tasks report to the GUI thread safely, however often they report."""

from __future__ import annotations

import threading

from PySide6.QtCore import QCoreApplication, QThread, QThreadPool
from pytestqt.qtbot import QtBot

from gui.wizard import ConnectorWizard
from gui.workers import Task


def test_thousands_of_progress_reports_arrive_on_the_gui_thread(qtbot: QtBot) -> None:
    """Guards against PySide6 6.12.0's cross-thread signal refcount bug (it aborts the process)."""
    received: list[object] = []
    threads: set[object] = set()

    def work() -> str:
        for index in range(3000):
            task.report(("SCHEDULED", index, None))
        return "done"

    task = Task(work)

    def on_progress(value: object) -> None:
        received.append(value)
        threads.add(QThread.currentThread())

    task.progress.connect(on_progress)
    with qtbot.waitSignal(task.succeeded, timeout=20000) as blocker:
        task.start()
    qtbot.waitUntil(lambda: len(received) == 3000, timeout=20000)
    assert blocker.args == ["done"]
    assert threads == {qtbot_app_thread()} and received[-1] == ("SCHEDULED", 2999, None)


def qtbot_app_thread() -> object:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    assert app is not None
    return app.thread()


def test_a_cancelled_task_reports_nothing_more(qtbot: QtBot) -> None:
    release = threading.Event()
    results: list[object] = []

    def work() -> str:
        release.wait(5)
        return "late"

    task = Task(work)
    task.succeeded.connect(results.append)
    with qtbot.waitSignal(task.done, timeout=2000):
        task.start()
        task.cancel()
    release.set()
    assert QThreadPool.globalInstance().waitForDone(5000)
    QCoreApplication.processEvents()  # deliver anything the finished work emitted
    assert results == []


def test_a_record_reported_after_the_page_stopped_waiting_is_still_recorded(
    qtbot: QtBot, wizard: ConnectorWizard
) -> None:
    """A use case stopped mid-way hands out what it had made as a Record: the page must keep it."""
    import threading

    from core.steps.progress import Record
    from core.storage.settings import ConnectorRecord, Settings

    class Made:
        def apply(self, settings: Settings) -> None:
            settings.remember_connector(ConnectorRecord(id="made-before-stop", name="n", api_url="u"))

    page = wizard.manage_page
    go_on = threading.Event()

    def work() -> None:
        go_on.wait(5)
        task.report(Record(Made()))  # reported after Stop, as a use case reaches its next safe point

    task = Task(work)
    page.run_task(task, "Working...", on_success=lambda _value: None, on_progress=lambda _value: None)
    page.cancel_task()  # the admin chose Stop
    go_on.set()
    qtbot.waitUntil(lambda: wizard.context.settings.connector("made-before-stop") is not None, timeout=5000)
    assert Settings.load().connector("made-before-stop") is not None


def test_a_task_is_running_until_the_gui_thread_has_its_result(qtbot: QtBot) -> None:
    """The resume after a restart asks whether the key is still being read: a task whose pool thread is over but
    whose result has not reached the GUI thread yet must still say it runs (it said "over", and the resume walked
    on without the key, stopping on the key step)."""
    results: list[object] = []
    task = Task(lambda: "key")
    task.succeeded.connect(results.append)
    task.start()
    assert QThreadPool.globalInstance().waitForDone(5000)  # the pool thread is over; no event was processed since
    assert task.running and results == []
    qtbot.waitUntil(lambda: not task.running, timeout=5000)  # the queued result, then done, delivered
    assert results == ["key"]
