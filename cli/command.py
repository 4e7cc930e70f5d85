"""What a command of the table is: nothing else, so that every command module can import it."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from core.errors import InvalidInputError
from core.urls import SafeUrl

if TYPE_CHECKING:
    from cli.context import Cli


class Command(NamedTuple):
    """A command of the table (:data:`cli.commands.COMMANDS`): its name and help, its arguments,
    and what it runs (one use case plus presentation)."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Cli, argparse.Namespace], int]


class WebAddress(argparse.Action):
    """An option that is a web address: refused at parse time, before anything is announced or sent, unless it is
    https (or http on this machine). Set ``what`` with :func:`web_address` (e.g. "login URL")."""

    what = "URL"

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        try:
            setattr(namespace, self.dest, SafeUrl(str(values), what=self.what))
        except InvalidInputError as exc:
            raise argparse.ArgumentError(self, in_one_line(exc)) from exc


E = TypeVar("E", bound=StrEnum)


def web_address(what: str) -> type[WebAddress]:
    """The action for an option that is a web address called ``what`` in messages."""
    return type("WebAddress", (WebAddress,), {"what": what})


class NotEmpty(argparse.Action):
    """An option whose value, when given, must not be empty (``--sf-org ""`` is a mistake, not a choice)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        if not str(values).strip():
            raise argparse.ArgumentError(self, "is empty; give a value, or leave the option out")
        setattr(namespace, self.dest, str(values).strip())


T = TypeVar("T")


def in_one_line(exc: InvalidInputError) -> str:
    """A refusal and what to do, as argparse's one error line (it adds the option's name and a final period)."""
    return ". ".join(part.rstrip(".") for part in (exc.message, exc.hint) if part)


def checked(validate: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse ``type=`` that runs one of core's validators on the option's text (``validate_username``,
    ``validate_api_name``): a value it refuses is refused while the command line is read, with the validator's
    sentence and hint, before anything is read, asked or announced."""

    def parse(text: str) -> T:
        try:
            return validate(text)
        except InvalidInputError as exc:
            raise argparse.ArgumentTypeError(in_one_line(exc)) from None

    parse.__name__ = validate.__name__
    return parse


def salesforce_username(text: str) -> str:
    """:func:`core.validation.validate_username`, imported on use (cryptography comes with it: --help and
    --version do not pay for it)."""
    from core.validation import validate_username

    return validate_username(text)


def choice_of(kind: type[E]) -> Callable[[str], E]:
    """An argparse ``type=`` that turns the option's word into ``kind`` (a StrEnum of core.kinds), so a command
    gets the typed value; anything else is refused naming the words it takes."""

    def parse(text: str) -> E:
        try:
            return kind(text.strip().lower())
        except ValueError:
            words = ", ".join(member.value for member in kind.__members__.values())
            raise argparse.ArgumentTypeError(f"'{text}' is not one of: {words}") from None

    parse.__name__ = kind.__name__
    return parse
