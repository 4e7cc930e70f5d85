"""Beside the pages: the steps of the chosen path, the current one marked, the done ones ticked."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gui.page_ids import PageId

AUTOMATED = (
    (PageId.KEY, "Key and certificate"),
    (PageId.SALESFORCE_APP, "Salesforce app"),
    (PageId.SALESFORCE_AUTO, "Set up Salesforce"),
    (PageId.UNSTRUCTURED, "Unstructured"),
    (PageId.REVIEW, "Review and create"),
    (PageId.DONE, "Done"),
)
CHECKLIST = (
    (PageId.KEY, "Key and certificate"),
    (PageId.SALESFORCE_APP, "Salesforce app"),
    (PageId.CREDENTIALS, "Credentials"),
    (PageId.VERIFY, "Approve and verify"),
    (PageId.UNSTRUCTURED, "Unstructured"),
    (PageId.REVIEW, "Review and create"),
    (PageId.DONE, "Done"),
)


class FlowSteps(QWidget):
    """A list of labels; :meth:`show_position` marks where the admin is."""

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName("Steps of the setup")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(8, 8, 8, 8)
        self.labels: list[QLabel] = []
        self._stretched = False
        self.setMinimumWidth(150)

    def show_position(self, *, automated: bool, current: int) -> None:
        steps = AUTOMATED if automated else CHECKLIST
        ids = [int(page) for page, _ in steps]
        self.setVisible(current in ids)  # Welcome and Manage are not steps of the flow
        while len(self.labels) < len(steps):
            label = QLabel()
            label.setWordWrap(True)
            self._layout.insertWidget(len(self.labels), label)
            self.labels.append(label)
        for extra in self.labels[len(steps) :]:
            extra.hide()
        position = ids.index(current) if current in ids else -1
        for index, ((_, name), label) in enumerate(zip(steps, self.labels, strict=False)):
            mark = "\u2714" if index < position else ("\u25b6" if index == position else "\u2022")
            text = self.tr(name)
            label.setText(f"<b>{mark} {text}</b>" if index == position else f"{mark} {text}")
            label.setAccessibleName(
                f"{text}: {'done' if index < position else 'current' if index == position else 'to do'}"
            )
            label.show()
        if not self._stretched:
            self._layout.addStretch(1)
            self._stretched = True
