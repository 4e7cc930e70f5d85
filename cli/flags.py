"""The options more than one command takes, and the parsers that turn an option's text into its type.

Everything here runs while the command line is read: a value that cannot be used is refused then,
with core's own sentence, before anything is read, asked or announced.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, TypeVar

from core import defaults
from core.errors import InvalidInputError
from core.kinds import AppType
from core.urls import SafeUrl

if TYPE_CHECKING:
    from cli.context import Cli
    from core.defaults import Timings
    from core.usecases.admin import SignIn


# --- parsers: an option's text into its type ---------------------------------------------------------


def web_address(what: str) -> Callable[[str], SafeUrl]:
    """An argparse ``type=`` for an option that is a web address called ``what`` in messages: refused while the
    command line is read unless it is https (or http on this machine); a bare host means https."""
    return checked(lambda text: SafeUrl.typed(text, what=what))


def not_empty(text: str) -> str:
    """An argparse ``type=`` for an option whose value, when given, must not be empty (``--sf-org ""`` is a
    mistake, not a choice)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty; give a value, or leave the option out")
    return text.strip()


E = TypeVar("E", bound=StrEnum)
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


# --- option groups shared by commands ----------------------------------------------------------------


def login_url_argument(p: argparse.ArgumentParser, help: str | None = None) -> None:
    """``--login-url``: a Salesforce login host, the connector's own (login.salesforce.com) unless given."""
    p.add_argument("--login-url", default=defaults.CONNECTOR_LOGIN_URL, type=web_address("login URL"), help=help)


def sign_in_arguments(p: argparse.ArgumentParser) -> None:
    """How the admin signs in to Salesforce: the browser (default), a Salesforce CLI login, or a token."""
    login_url_argument(p, "login host for the sign-in and the proof")
    p.add_argument(
        "--client-id",
        default=defaults.SIGN_IN_CLIENT_ID,
        help="OAuth client for the sign-in (default: Salesforce CLI's)",
    )
    p.add_argument("--redirect-port", type=int, default=defaults.SIGN_IN_PORT, help="the sign-in's loopback port")
    p.add_argument("--sf-org", default=None, type=not_empty, help="reuse this Salesforce CLI login (alias or username)")
    p.add_argument(
        "--instance-url",
        default=None,
        type=web_address("instance URL"),
        help="with SF_ACCESS_TOKEN set: no sign-in",
    )


def sign_in_of(args: argparse.Namespace, *, keep: bool = False) -> SignIn:
    """The sign-in the options ask for: a token from SF_ACCESS_TOKEN with --instance-url, an sf login, or the browser."""
    from core.usecases.admin import SignIn, SignInWay

    way = SignInWay.TOKEN if args.instance_url else SignInWay.SF_CLI if args.sf_org else SignInWay.BROWSER
    return SignIn(
        way=way,
        login_url=args.login_url,
        client_id=args.client_id,
        port=args.redirect_port,
        sf_org=args.sf_org or "",
        instance_url=args.instance_url or "",
        access_token=os.environ.get("SF_ACCESS_TOKEN", "") if way is SignInWay.TOKEN else "",
        keep=keep,
    ).validated()


def number_in(low: float, high: float, *, low_included: bool = True, said: str) -> Callable[[str], float]:
    """An argparse ``type=`` for a number from ``low`` (or just above it) to ``high``; ``said`` is the refusal."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number; it {said}") from None
        if not math.isfinite(value) or not (low <= value if low_included else low < value) or value > high:
            raise argparse.ArgumentTypeError(f"{text} cannot be used; it {said}")
        return value

    parse.__name__ = "number"
    return parse


def wait_arguments(p: argparse.ArgumentParser) -> None:
    """How long to wait for Salesforce to accept the connector's login, and how often to ask."""
    p.add_argument(
        "--wait-minutes",
        type=number_in(0, 24 * 60, low_included=False, said="must be more than 0 and at most 1440 (a day)"),
        default=None,
        help="how long to wait for the connector's login (default 15)",
    )
    p.add_argument(
        "--poll-seconds",
        type=number_in(1, 3600, said="must be between 1 and 3600"),
        default=None,
        help="seconds between tries (default 25, at least 1)",
    )


def timings_of(cli: Cli, args: argparse.Namespace) -> Timings:
    """The run's timings with the wait the options ask for (checked when the command line was read)."""
    timings = cli.timings
    if args.wait_minutes is not None:
        timings = timings._replace(login_wait=args.wait_minutes * 60)
    if args.poll_seconds is not None:
        timings = timings._replace(login_poll_interval=args.poll_seconds)
    return timings


def app_type_argument(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--app-type", type=choice_of(AppType), default=AppType.ECA, metavar="{eca,connected-app}", help=help)


def yes_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def api_url_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--api-url", default=None, type=web_address("API URL"))


def json_argument(p: argparse.ArgumentParser, help: str | None = None) -> None:
    p.add_argument("--json", action="store_true", help=help)


def count_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--no-count",
        action="store_true",
        help="after a passing check, do not log in as the connector to count what it reads per category "
        "(done by default when this computer keeps its key; one API request per category)",
    )
