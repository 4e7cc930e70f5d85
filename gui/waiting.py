"""The words of a wait for the connector's login, the same in the set-up and in a rotation."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from core.steps.progress import LoginAttempt, Waiting
from core.text import duration


def wait_words(event: LoginAttempt | Waiting, *, what: str) -> str:
    """How long it has waited, Salesforce's last answer, and that the answer is normal for now.

    ``what``: "app" (a new app being applied) or "certificate" (a new certificate on the app)."""
    applying = (
        QCoreApplication.translate("wait", "Salesforce applies the new certificate")
        if what == "certificate"
        else QCoreApplication.translate("wait", "Salesforce applies the new app")
    )
    return QCoreApplication.translate(
        "wait",
        "Waiting {0} so far; Salesforce still says \u201c{1}\u201d. That is normal while {2}: usually moments for an "
        "External Client App, sometimes minutes; up to 10 minutes for a Connected App.",
    ).format(duration(event.elapsed), event.answer or "nothing yet", applying)
