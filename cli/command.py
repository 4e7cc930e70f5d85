"""What a command of the table is: nothing else, so that every command module can import it.

The options commands share, and the parsers that turn option text into types, are in :mod:`cli.flags`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from cli.context import Cli


class Command(NamedTuple):
    """A command of the table (:data:`cli.commands.COMMANDS`): its name and help, its arguments,
    and what it runs (one use case plus presentation)."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Cli, argparse.Namespace], int]
