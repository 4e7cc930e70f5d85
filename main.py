"""Salesforce Connector Wizard: with no arguments the wizard opens; with arguments, the CLI runs.

The CLI path never imports PySide6, so it starts fast and runs on machines without a display.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        try:
            from gui.app import run_wizard
        except ImportError as exc:
            if exc.name in ("gui", "gui.app"):  # the packaged CLI-only program (sfcw) has no wizard in it
                print("This is the command-line program; the wizard is salesforce-connector-wizard.\n", file=sys.stderr)
                from cli import run

                run(["--help"])
                return 2
            # Qt's libraries are missing, e.g. on a headless Linux machine.
            print(
                f"The wizard cannot start here ({exc}).\n"
                "The command line works without it: add --help to see the commands. On Linux desktops, install "
                "Qt's libraries as the README's Troubleshooting section says.",
                file=sys.stderr,
            )
            return 2
        return run_wizard()
    from cli import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
