"""What the connector reads now, in a message: shared by Manage's check and the rotation window."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication

if TYPE_CHECKING:
    from core.usecases.reading import ReadingSurvey
    from gui.widgets import MessageLabel


def _tr(text: str) -> str:
    return QCoreApplication.translate("Reading", text)


def show_reading(message: MessageLabel, name: str, survey: ReadingSurvey) -> None:
    """Per category its count or why it cannot be read, then the next full run against the allowance: a
    warning when a category cannot be read (the connector's runs fail on it) or the run would not fit."""
    parts = [
        _tr("{0} {1}").format(reading.name, f"{reading.records:,}")
        if reading.readable
        else _tr("{0} cannot be read ({1})").format(reading.name, reading.reason or "")
        for reading in survey.categories
    ]
    text = "\n".join(
        [_tr("What {0} reads now: {1}.").format(name, "; ".join(parts)), survey.estimate_line(), *survey.warnings]
    )
    if survey.unreadable or survey.warnings:
        message.show_warning(text)
    else:
        message.show_info(text)
