"""The one table of commands, and the parser made from it."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from typing import NoReturn

from cli.command import Command
from cli.context import Cli
from core import APP_NAME, __version__
from core.errors import AppError, UsageError

log = logging.getLogger(__name__)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}.", hint=f"See '{self.prog} --help'.")


def _table() -> dict[str, Command]:
    from cli import app_commands, connector_commands, field_check, key_commands, login_commands, machine, watch_commands

    # In the order of a first set-up: the key, Salesforce, the connector; then the automated set-up,
    # and this computer's own.
    commands = (
        *key_commands.COMMANDS,
        *login_commands.COMMANDS,
        *connector_commands.COMMANDS,
        *app_commands.COMMANDS,
        *field_check.COMMANDS,
        *watch_commands.COMMANDS,
        *machine.COMMANDS,
    )
    return {command.name: command for command in commands}


COMMANDS: dict[str, Command] = _table()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="salesforce-connector-wizard", description=f"{APP_NAME}: without arguments, opens the wizard."
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    for command in COMMANDS.values():
        command.arguments(sub.add_parser(command.name, help=command.help))
    return parser


def dispatch(cli: Cli, argv: Sequence[str]) -> int:
    """Parse ``argv``, run its command with ``cli``; the exit code. Expected failures are sentences on stderr."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv))
    except UsageError as exc:
        return cli.fail(exc)
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0)
    command = COMMANDS.get(getattr(args, "command", None) or "")
    if command is None:
        parser.print_help(cli.err)
        return 2
    from core.logs import setup_logging
    from core.storage.settings import log_dir

    setup_logging(log_dir())
    try:
        return command.run(cli, args)
    except AppError as exc:
        log.info("%s failed: %s", command.name, exc)
        return cli.fail(exc)
    except KeyboardInterrupt:
        cli.note("Interrupted.")
        return 130
    except Exception as exc:  # noqa: BLE001 - a defect: logged with its traceback, reported in one line
        log.exception("Unexpected error in %s", command.name)
        cli.note(
            f"error: something unexpected went wrong ({type(exc).__name__}). "
            f"The details are in {log_dir() / 'wizard.log'}; please attach that file to a report."
        )
        return 1
