"""Salesforce Connector Wizard: with no arguments the wizard opens; with arguments, the CLI runs.

The CLI path never imports PySide6, so it starts fast and runs on machines without a display.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        from gui.app import run_wizard

        return run_wizard()
    from core.cli import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
