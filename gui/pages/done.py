"""Step 8: what was made, and what to do next in Unstructured."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout

from core.storage.settings import ResumeState
from gui.context import WizardContext
from gui.pages.base import StepPage
from gui.widgets import CopyField


class DonePage(StepPage):
    def __init__(self, context: WizardContext) -> None:
        super().__init__(context)
        self.setTitle(self.tr("Done"))
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.connector_id = CopyField(name="Connector id")
        next_steps = QLabel(
            self.tr(
                "Next steps in Unstructured:\n"
                "  1. Add a destination connector (where the processed data goes).\n"
                "  2. Create a workflow that reads from this source and writes to that destination, then run it.\n\n"
                "Later: open this wizard and choose \u201cManage existing connectors\u201d to check the connector, "
                "rotate its key before the certificate expires, or delete it."
            )
        )
        next_steps.setWordWrap(True)
        layout = QVBoxLayout(self.body)
        layout.addWidget(self.summary)
        layout.addWidget(self.connector_id)
        layout.addWidget(next_steps)
        layout.addStretch(1)
        self.setFinalPage(True)  # Finish, not "Next" (which led to Manage) and not "Cancel" (which read as undo)

    def nextId(self) -> int:
        return -1

    def initializePage(self) -> None:
        connector = self.context.connector
        check = self.context.check
        info = self.context.bundle.certificate_info if self.context.bundle else None
        verdict = {"SUCCESS": self.tr("passed"), "FAILURE": self.tr("failed")}.get(
            check.status if check else "", self.tr("not finished")
        )
        lines = [
            self.tr("Connector \u201c{0}\u201d was created.").format(connector.name if connector else "?"),
            self.tr("Connection check: {0}.").format(verdict),
        ]
        if info is not None:
            lines.append(
                self.tr("The certificate expires on {0:%Y-%m-%d}; rotate the key before then.").format(info.not_after)
            )
        self.summary.setText("\n".join(lines))
        self.connector_id.set_value(connector.id if connector else "")
        # The run is complete: the next start begins afresh.
        self.context.settings.wizard = ResumeState()
        self.context.save_settings()
