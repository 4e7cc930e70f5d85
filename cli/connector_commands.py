"""submit, list, check, update and delete: the Unstructured source connector's life."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cli.command import Command
from cli.flags import api_url_argument, count_argument, json_argument, yes_argument
from core.errors import InvalidInputError

if TYPE_CHECKING:
    from cli.context import Cli


def submit_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name", required=True)
    p.add_argument("--username", required=True)
    p.add_argument("--consumer-key", required=True)
    p.add_argument("--private-key", required=True, help="key file, or keyring:NAME")
    p.add_argument("--categories", default=None, help="comma-separated; default all five")
    api_url_argument(p)
    json_argument(p)


def submit(cli: Cli, args: argparse.Namespace) -> int:
    from core.usecases.connectors import create_connector
    from core.validation import validate_config, validate_connector_name

    # Every input is checked, once, before the API key is looked up or anything is sent.
    key = cli.private_key(args.private_key)
    name = validate_connector_name(args.name)
    config = validate_config(
        username=args.username, consumer_key=args.consumer_key, private_key=key, categories=args.categories
    )
    saved = create_connector(cli.client(args.api_url), name=name, config=config, keys=cli.load_settings().keys)
    cli.record(saved)
    connector = saved.connector
    cli.emit(args, connector.redacted(), connector.id)
    if not args.json:
        cli.note(f"Created source connector '{connector.name}'. Check it with: check {connector.id}")
    return 0


def list_arguments(p: argparse.ArgumentParser) -> None:
    api_url_argument(p)
    json_argument(p)


def list_connectors(cli: Cli, args: argparse.Namespace) -> int:
    from core.unstructured.inventory import inventory

    cli.warn_unfinished()
    rows = inventory(cli.client(args.api_url).list_sources(), cli.load_settings())
    if not rows and not args.json:
        cli.note("No Salesforce source connectors in this account.")
        return 0
    lines = []
    for row in rows:
        line = f"{row.id}  {row.name}  created {row.created_at[:10]}"
        if row.updated_at:
            line += f"  updated {row.updated_at[:10]}"
        if row.not_after:
            line += f"  certificate expires {row.not_after[:10]}"
            if row.expiring:
                left = "EXPIRED" if (row.days_left or 0) < 0 else f"EXPIRES IN {row.days_left} DAYS"
                how = "rotate ID --auto" if row.auto_rotation else "update ID --private-key NEW.pem"
                line += f"  {left} - rotate the key ({how})"
        if row.auto_rotation:
            line += "  [app made here: rotate --auto]"
        lines.append(line)
    cli.emit(args, [row.to_json() for row in rows], "\n".join(lines))
    return 0


def check_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("id")
    api_url_argument(p)
    p.add_argument("--timeout", type=float, default=None, help="seconds to wait for the verdict (default 120)")
    count_argument(p)
    json_argument(p)


def check(cli: Cli, args: argparse.Namespace) -> int:
    import math

    from cli.login_commands import reading_now, reading_table
    from core.unstructured.inventory import explain_check_failure

    timeout = cli.timings.check_timeout if args.timeout is None else args.timeout
    if not math.isfinite(timeout) or not 0 < timeout <= 3600:
        raise InvalidInputError("--timeout must be a number of seconds between 0 and 3600.")
    client = cli.client(args.api_url)
    cli.note("Connection check started; waiting for a verdict...")
    verdict = client.run_connection_check(args.id, timeout=timeout, poll_interval=cli.timings.check_poll_interval)
    passed = verdict.passed
    line = (
        "SUCCESS: the connector can reach Salesforce."
        if passed
        else f"FAILURE: {explain_check_failure(verdict.reason)}"
    )
    survey = reading_now(cli, client, args.id) if passed and not args.no_count else None
    cli.emit(
        args,
        {"id": args.id, "check": verdict.status, "reason": verdict.reason, "reading": survey and survey.to_json()},
        line + (f"\n{reading_table(survey)}" if survey else ""),
    )
    return 0 if passed else 1


def update_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("id")
    p.add_argument("--private-key", default=None, help="key file, or keyring:NAME")
    p.add_argument("--username", default=None)
    p.add_argument("--consumer-key", default=None)
    p.add_argument("--categories", default=None)
    api_url_argument(p)
    json_argument(p)


def update(cli: Cli, args: argparse.Namespace) -> int:
    from core.usecases.connectors import UpdateRequest, stored_key_of, update_connector

    change = UpdateRequest(
        private_key=cli.private_key(args.private_key) if args.private_key else None,
        username=args.username,
        consumer_key=args.consumer_key,
        categories=args.categories,
    ).validated()  # before any network call
    client = cli.client(args.api_url)
    settings = cli.load_settings()
    saved = update_connector(
        client,
        args.id,
        change,
        keys=settings.keys,
        stored_key=lambda: stored_key_of(settings, args.id, cli.store.get),
    )
    cli.record(saved)
    updated = saved.connector
    cli.emit(args, updated.redacted(), f"Updated connector {updated.id} ({updated.name}).")
    if not args.json:
        cli.note(f"Run 'check {updated.id}' to prove the new settings work.")
    return 0


def delete_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("id")
    api_url_argument(p)
    yes_argument(p)


def delete(cli: Cli, args: argparse.Namespace) -> int:
    from core.usecases.connectors import delete_connector

    ask = cli.confirmation(args, "Deleting")
    client = cli.client(args.api_url)
    connector = client.get_source(args.id)
    if not ask(f"Delete connector '{connector.name}' ({connector.id})?"):
        cli.note("Nothing was deleted.")
        return 1
    cli.record(delete_connector(client, args.id))
    cli.say(f"Deleted connector {connector.id} ({connector.name}).")
    return 0


COMMANDS = (
    Command("submit", "create the Unstructured source connector", submit_arguments, submit),
    Command("list", "list the account's Salesforce source connectors", list_arguments, list_connectors),
    Command("check", "run a connection check and wait for its verdict", check_arguments, check),
    Command("update", "change a connector's settings or rotate its key", update_arguments, update),
    Command("delete", "delete a connector", delete_arguments, delete),
)
