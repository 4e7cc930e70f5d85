"""doctor and set-api-key: this computer's own set-up."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cli.command import Command
from cli.flags import api_url_argument
from core.errors import InvalidInputError

if TYPE_CHECKING:
    from cli.context import Cli


def doctor_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--offline", action="store_true", help="skip the clock and reachability checks")
    api_url_argument(p)


def doctor(cli: Cli, args: argparse.Namespace) -> int:
    from core import doctor as diagnosis
    from core.unstructured.client import default_api_url

    findings = diagnosis.offline_findings(cli.store)
    if not args.offline:
        findings += diagnosis.online_findings(api_url=args.api_url or default_api_url())
    width = max(len(f.label) for f in findings)
    for finding in findings:
        mark = "ok  " if finding.ok else "FAIL"
        cli.say(f"{mark} {finding.label.ljust(width)}  {finding.value}")
    return 0 if all(f.ok for f in findings) else 1


def set_api_key(cli: Cli, args: argparse.Namespace) -> int:
    from core.storage.secret_store import API_KEY_NAME

    value = cli.read_secret_line("Unstructured API key (input hidden): ")
    if not value:
        raise InvalidInputError("No API key was given; nothing was stored.")
    cli.store.set(API_KEY_NAME, value)
    cli.say(f"Stored the Unstructured API key in the keyring ({cli.store.backend_name()}).")
    return 0


COMMANDS = (
    Command("doctor", "diagnose this computer's setup", doctor_arguments, doctor),
    Command(
        "set-api-key",
        "store the Unstructured API key in the keyring (read from the prompt or stdin)",
        lambda p: None,
        set_api_key,
    ),
)
