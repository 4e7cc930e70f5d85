"""approval-url and verify: the checklist path's approval, and the proof that the connector's login works."""

from __future__ import annotations

import argparse
import textwrap
from typing import TYPE_CHECKING

from cli.command import Command
from cli.context import open_browser
from cli.flags import json_argument, login_url_argument
from core import defaults

if TYPE_CHECKING:
    from cli.context import Cli
    from core.errors import AppError
    from core.salesforce.login import LoginResult
    from core.unstructured.client import PlatformClient
    from core.usecases.reading import ReadingSurvey
    from core.validation import SalesforceConfig


def approval_url_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--consumer-key", required=True)
    p.add_argument("--callback-url", default=defaults.DEFAULT_CALLBACK_URL)
    login_url_argument(p)
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
    login_url_argument(p, "diagnose against another host (My Domain, sandbox)")
    p.add_argument(
        "--categories",
        default=None,
        help="comma-separated: also show, per category, whether the connector's user can read it and how many "
        "records, and the first run's API requests against the org's daily allowance",
    )
    json_argument(p)


def verify(cli: Cli, args: argparse.Namespace) -> int:
    from core.errors import AppError
    from core.salesforce import login
    from core.validation import parse_categories, validate_config, validate_consumer_key, validate_username

    # The typed names first: a wrong one is said before the key file or keyring is read.
    validate_username(args.username)
    validate_consumer_key(args.consumer_key)
    if args.categories is not None:
        parse_categories(args.categories)  # a wrong name is said before the key is read
    config = validate_config(
        username=args.username,
        consumer_key=args.consumer_key,
        private_key=cli.private_key(args.private_key),
        categories=args.categories,
    )
    if args.categories is not None:
        return _verify_reading(cli, args, config)
    cli.warn_login_url(args.login_url)
    try:
        result = login.verify_jwt_login(
            username=config.username,
            consumer_key=config.consumer_key,
            private_key=config.key,
            login_url=args.login_url,
            timeout=cli.timings.http_timeout,
        )
    except AppError as exc:
        return _login_failed(cli, args, exc, config.consumer_key)
    cli.emit(args, {"login": result.to_json()}, _login_line(result))
    return 0


def _login_line(result: LoginResult) -> str:
    who = f"{result.username}" + (f" ({result.display_name})" if result.display_name else "")
    return f"The JWT login works: {who}, org {result.org_id or 'unknown'}, instance {result.instance_url}."


def _login_failed(cli: Cli, args: argparse.Namespace, exc: AppError, consumer_key: str) -> int:
    from core.salesforce import login

    code = cli.fail(exc)
    if getattr(exc, "cause", "") == login.LoginCause.NOT_APPROVED.value:
        cli.note("  Approval URL: " + login.approval_url(consumer_key, login_url=args.login_url))
    if args.json:
        failure = {"message": exc.message, "hint": exc.hint}
        cli.emit(args, {"login": None, "error": failure, "categories": [], "api": None}, "")
    return code


def _verify_reading(cli: Cli, args: argparse.Namespace, config: SalesforceConfig) -> int:
    """verify --categories: the login, then what the connector's user can read and what the first run costs."""
    from core.errors import AppError
    from core.usecases.reading import survey_reading

    cli.warn_login_url(args.login_url)
    try:
        survey = survey_reading(
            username=config.username,
            consumer_key=config.consumer_key,
            private_key=config.key,
            categories=config.categories,
            login_url=args.login_url,
            timings=cli.timings,
        )
    except AppError as exc:
        return _login_failed(cli, args, exc, config.consumer_key)
    cli.emit(args, survey.to_json(), reading_table(survey))
    reading_notes(cli, survey, then="verify again, or leave {them} out of --categories")
    return 1 if survey.unreadable else 0


def reading_notes(cli: Cli, survey: ReadingSurvey, *, then: str) -> None:
    """The survey's warnings, why the allowance is unknown, and what an unreadable category means (then ``then``)."""
    for warning in survey.warnings:
        cli.note("Warning: " + warning)
    if survey.allowance is None and survey.allowance_reason:
        cli.note(survey.allowance_reason)
    if survey.unreadable:
        cli.note(unreadable_note(survey, then))


def unreadable_note(survey: ReadingSurvey, then: str) -> str:
    """What a category the connector's user cannot read means, and ``then`` (with ``{them}`` for it or them)."""
    names = [reading.name for reading in survey.unreadable]
    them = "it" if len(names) == 1 else "them"
    return (
        f"The connector's user cannot read {', '.join(names)}: its first run would fail. Fix the access "
        f"in Salesforce and {then.format(them=them)}."
    )


def reading_now(
    cli: Cli, client: PlatformClient, connector_id: str, *, saved: SalesforceConfig | None = None
) -> ReadingSurvey | None:
    """After a passing check, what the connector reads now: its own login with the key this computer keeps
    in the keyring, or the key in ``saved`` (the settings a rotation just gave it), through the host its app
    was set up with. None, with a note saying why, when that cannot be counted: the check's verdict stands
    either way. The survey's warnings and what an unreadable category means go to stderr here; the caller
    shows the table.
    """
    from core.errors import AppError
    from core.usecases.connectors import keeps_key_of, stored_key_of
    from core.usecases.reading import survey_connector, survey_saved

    settings = cli.load_settings()
    if saved is None and not keeps_key_of(settings, connector_id):
        cli.note(
            "This computer does not keep the connector's private key: run 'verify --categories' with the key "
            "file to see what it reads."
        )
        return None
    try:
        survey = (
            survey_saved(saved, apps=settings.salesforce_apps, timings=cli.timings)
            if saved is not None
            else survey_connector(
                client,
                connector_id,
                stored_key=lambda: stored_key_of(settings, connector_id, cli.store.get),
                apps=settings.salesforce_apps,
                timings=cli.timings,
            )
        )
    except AppError as exc:
        cli.note(f"Could not count what the connector reads now: {exc.message}")
        return None
    reading_notes(cli, survey, then=f"check again, or leave {{them}} out (update {connector_id} --categories)")
    return survey


def reading_table(survey: ReadingSurvey) -> str:
    """The login line, one line per category, and the first run's estimate."""
    lines = [_login_line(survey.login), "What the connector's user can read:"]
    width = max(len(reading.name) for reading in survey.categories)
    for reading in survey.categories:
        if reading.readable:
            count = reading.records or 0
            lines.append(f"  {reading.name:<{width}}  readable, {count:,} record{'' if count == 1 else 's'}")
        else:
            lines.append(f"  {reading.name:<{width}}  NOT readable. {reading.said}")
            lines += textwrap.wrap(
                reading.fix, 100, initial_indent=" " * (width + 4), subsequent_indent=" " * (width + 4)
            )
    lines.append(survey.estimate_line())
    return "\n".join(lines)


COMMANDS = (
    Command("approval-url", "print the one-time approval URL", approval_url_arguments, approval_url),
    Command("verify", "make the connector's JWT login to prove the Salesforce setup", verify_arguments, verify),
)
