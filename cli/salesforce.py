"""approval-url and verify: the checklist path's approval, and the proof that the connector's login works."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cli.command import Command
from cli.context import open_browser
from core import defaults

if TYPE_CHECKING:
    from cli.context import Cli


def approval_url_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--consumer-key", required=True)
    p.add_argument("--callback-url", default=defaults.DEFAULT_CALLBACK_URL)
    p.add_argument("--login-url", default=defaults.CONNECTOR_LOGIN_URL)
    p.add_argument("--open", action="store_true", help="open it in the default browser")


def approval_url(cli: Cli, args: argparse.Namespace) -> int:
    from core.salesforce import login
    from core.validation import validate_consumer_key

    url = login.approval_url(
        validate_consumer_key(args.consumer_key), callback_url=args.callback_url, login_url=args.login_url
    )
    cli.say(url)
    cli.note(
        "Open it in a browser logged in as the connector's Salesforce user and allow access. "
        "The browser then shows a page at https://localhost that does not load: that is expected."
    )
    if args.open and not open_browser(url):
        cli.note("No browser could be opened here; copy the URL above into one.")
    return 0


def verify_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--username", required=True)
    p.add_argument("--consumer-key", required=True)
    p.add_argument("--private-key", required=True, help="key file, or keyring:NAME")
    p.add_argument(
        "--login-url",
        default=defaults.CONNECTOR_LOGIN_URL,
        help="diagnose against another host (My Domain, sandbox)",
    )


def verify(cli: Cli, args: argparse.Namespace) -> int:
    from core.errors import AppError
    from core.salesforce import login
    from core.validation import validate_config, validate_consumer_key, validate_username

    # The typed names first: a wrong one is said before the key file or keyring is read.
    validate_username(args.username)
    validate_consumer_key(args.consumer_key)
    config = validate_config(
        username=args.username, consumer_key=args.consumer_key, private_key=cli.key_text(args.private_key)
    )
    cli.warn_login_url(args.login_url)
    try:
        result = login.verify_jwt_login(
            username=config.username,
            consumer_key=config.consumer_key,
            private_key=config.private_key,
            login_url=args.login_url,
            timeout=cli.timings.http_timeout,
        )
    except AppError as exc:
        code = cli.fail(exc)
        if getattr(exc, "cause", "") == login.LoginCause.NOT_APPROVED.value:
            cli.note("  Approval URL: " + login.approval_url(config.consumer_key, login_url=args.login_url))
        return code
    who = f"{result.username}" + (f" ({result.display_name})" if result.display_name else "")
    cli.say(f"The JWT login works: {who}, org {result.org_id or 'unknown'}, instance {result.instance_url}.")
    return 0


COMMANDS = (
    Command("approval-url", "print the one-time approval URL", approval_url_arguments, approval_url),
    Command("verify", "make the connector's JWT login to prove the Salesforce setup", verify_arguments, verify),
)
