"""The one table of commands, and the parser made from it."""

from __future__ import annotations

import argparse
from typing import NoReturn

from cli.context import Command
from core import APP_NAME, __version__
from core.errors import UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}.", hint=f"See '{self.prog} --help'.")


def _table() -> dict[str, Command]:
    from cli import connectors, keys, machine, salesforce, setup

    # In the order of a first set-up: the key, Salesforce, the connector; then the automated set-up,
    # and this computer's own.
    commands = (*keys.COMMANDS, *salesforce.COMMANDS, *connectors.COMMANDS, *setup.COMMANDS, *machine.COMMANDS)
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
