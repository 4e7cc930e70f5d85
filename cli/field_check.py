"""field-check: prove on a real org what the automated set-up assumes, and keep a report of it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from cli.command import Command
from cli.flags import (
    app_type_argument,
    checked,
    json_argument,
    salesforce_username,
    sign_in_arguments,
    sign_in_of,
    timings_of,
    wait_arguments,
    yes_argument,
)
from core.text import duration

if TYPE_CHECKING:
    from cli.context import Cli


def field_check_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--username",
        required=True,
        type=checked(salesforce_username),
        help="the user whose JWT login the check proves (e.g. yours)",
    )
    app_type_argument(p, "the kind of app to check: eca (default) or connected-app")
    sign_in_arguments(p)
    wait_arguments(p)
    p.add_argument(
        "--report",
        default=None,
        help="where the report goes (JSON; the summary beside it as .txt); default: field-check-DATE.json here",
    )
    yes_argument(p)
    json_argument(p, "print the report's JSON instead of its summary")


def field_check(cli: Cli, args: argparse.Namespace) -> int:
    from core.usecases.field_check import (
        APP_PREFIX,
        FieldCheckRequest,
        check_report_path,
        default_report_path,
        run_field_check,
    )

    request = FieldCheckRequest(username=args.username, app_type=args.app_type, login_url=args.login_url).validated()
    chosen = Path(args.report).expanduser() if args.report else None
    if chosen is not None:
        check_report_path(chosen)  # before anything is created in the org
    timings = timings_of(cli, args)
    sign_in = sign_in_of(args)
    ask = cli.confirmation(args, "The field check")
    cli.note(
        f"The field check creates a throw-away app ({APP_PREFIX}...) and a permission set for {request.username} "
        "in the org you sign in to, proves the connector's login with a throw-away key, replaces its certificate, "
        f"then removes all of it (up to {duration(timings.login_wait)} of waiting for Salesforce)."
    )
    if not ask("Run it?"):
        cli.note("Nothing was changed.")
        return 1
    cli.warn_unfinished()
    report = run_field_check(request, sign_in, journal=cli.journal, run=cli.runtime(timings))
    path = chosen or default_report_path(Path.cwd(), report.started_at)
    json_path, summary_path = report.write(path)
    if args.json:
        cli.out.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        cli.say(report.summary())
    cli.note(f"Report: {json_path} (summary: {summary_path}). It holds no token, key, certificate or consumer key.")
    return 0 if report.passed else 1


COMMANDS = (
    Command(
        "field-check",
        "prove on a real org what the automated set-up assumes (throw-away app and key, removed after); "
        "writes a report",
        field_check_arguments,
        field_check,
    ),
)
