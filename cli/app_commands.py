"""setup-salesforce, rotate, remove-salesforce-app and forget-org: the automated Salesforce set-up."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from cli.command import Command
from cli.flags import (
    api_url_argument,
    app_type_argument,
    checked,
    choice_of,
    count_argument,
    json_argument,
    salesforce_username,
    sign_in_arguments,
    sign_in_of,
    timings_of,
    wait_arguments,
    yes_argument,
)
from core import defaults
from core.errors import InvalidInputError, PropagationTimeout, RotationIncomplete, SetupFailed
from core.kinds import IpRelaxation
from core.salesforce.metadata import validate_api_name

if TYPE_CHECKING:
    from cli.context import Cli


# --- setup-salesforce ------------------------------------------------------------------------------


def setup_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--username",
        required=True,
        type=checked(salesforce_username),
        help="the Salesforce user the connector logs in as",
    )
    p.add_argument(
        "--app-name",
        default=defaults.DEFAULT_APP_NAME,
        type=checked(validate_api_name),
        help="API name of the app to create",
    )
    p.add_argument("--certificate", default=None, help="the certificate (.crt) the app trusts")
    p.add_argument("--private-key", default=None, help="key file, or keyring:NAME (to prove the login)")
    sign_in_arguments(p)
    p.add_argument(
        "--remember-sign-in",
        action="store_true",
        help="keep the sign-in (a refresh token) in the keyring for later rotate --auto; forget-org removes it",
    )
    p.add_argument(
        "--ip-relaxation", type=choice_of(IpRelaxation), default=IpRelaxation.ENFORCE, metavar="{enforce,relax}"
    )
    app_type_argument(
        p,
        "eca: an External Client App (default); connected-app: a Connected App, for an org where the External "
        "Client App does not serve login.salesforce.com (many orgs refuse new Connected Apps since Spring '26)",
    )
    wait_arguments(p)
    yes_argument(p)
    json_argument(p)


def setup_salesforce(cli: Cli, args: argparse.Namespace) -> int:
    from core.crypto.keypair import KeyBundle, fingerprint_sha256, load_certificate
    from core.storage.credentials import read_certificate_source
    from core.usecases import salesforce_app as setup

    # Every input is checked before the sign-in or any request: the command line, that the plan
    # can be confirmed, then the key and certificate it names.
    timings = timings_of(cli, args)
    sign_in = sign_in_of(args, keep=args.remember_sign_in)
    ask = cli.confirmation(args, "Creating the app in Salesforce")
    key = cli.private_key(args.private_key) if args.private_key else None
    settings = cli.load_settings()
    request = setup.SetupRequest(
        username=args.username,
        certificate_pem=read_certificate_source(args.certificate, key, settings.keys),
        key=KeyBundle.of(key) if key is not None else None,
        app_name=args.app_name,
        ip_relaxation=args.ip_relaxation,
        login_url=args.login_url,
        app_type=args.app_type,
    ).validated()
    named = setup.beside_recorded_eca(request, settings.salesforce_apps)
    if named.app_name != request.app_name:
        cli.note(
            f"The External Client App {request.app_name} was set up from this computer and keeps its name: "
            f"the Connected App is named {named.app_name}."
        )
        request = named
    cli.warn_login_url(args.login_url)

    def confirm(plan: setup.SetupPlan) -> bool:
        for line in plan.describe():
            cli.note(line)
        return ask("Create this in Salesforce?")

    if key is None:
        cli.note("Give --private-key to prove the connector's login; run 'verify' later to check it.")
    cli.warn_unfinished()

    def undo(failure: SetupFailed) -> bool:
        cli.note(f"error: {failure.message}")
        return ask("Remove what this run created?")

    try:
        outcome = setup.set_up_salesforce_app(
            request,
            sign_in,
            confirm=confirm,
            undo=undo,
            journal=cli.journal,
            keep_secret=cli.store.set if args.remember_sign_in else None,
            run=cli.runtime(timings),
        )
    except PropagationTimeout as error:
        fallback = setup.connected_app_fallback(request, error)
        if fallback is not None:  # the External Client App answers at My Domain only: the way out, word for word
            cli.note(
                "A Connected App serves login.salesforce.com where an External Client App does not. The External "
                f"Client App {request.app_name} stays, recorded here; set up a Connected App for the same user and "
                f"key instead (it is named {fallback.app_name}):\n  {_fallback_command(args)}\nOnce it works, "
                f"remove the External Client App: remove-salesforce-app --app-name {request.app_name}. Many orgs "
                "refuse new Connected Apps since Spring '26; the plan says so before anything is created."
            )
        raise
    except SetupFailed as failure:
        if failure.left is None:
            cli.note("Left in the org: " + ", ".join(f"{kind} {ident}" for kind, ident in failure.created))
        elif failure.left:
            cli.note("Still in the org: " + "; ".join(failure.left))
        else:
            cli.note("Removed what this run created.")
        return 1
    if outcome is None:
        cli.note("Nothing was created.")
        return 1
    result = outcome.result
    if outcome.login is not None:
        cli.note("The connector's login works.")
    cli.emit(
        args,
        {
            "consumer_key": result.consumer_key,
            "app_name": result.app_name,
            "app_type": result.app_type,
            "org_id": result.org_id,
            "instance_url": result.instance_url,
            "username": result.username,
            "permission_set": result.permission_set,
            "certificate_sha256": fingerprint_sha256(load_certificate(request.certificate_pem)),
            "created": [{"type": kind, "id": ident} for kind, ident in result.created],
            "login_verified": outcome.login is not None,
        },
        result.consumer_key,
    )
    return 0


def _fallback_command(args: argparse.Namespace) -> str:
    """This set-up's command line again, as a Connected App (what to type; no secret is ever an argument)."""
    import shlex

    words = ["setup-salesforce", "--username", args.username, "--app-type", "connected-app"]
    for flag, value in (
        ("--certificate", args.certificate),
        ("--private-key", args.private_key),
        ("--app-name", args.app_name),
        ("--login-url", args.login_url),
    ):
        if value:
            words += [flag, str(value)]
    return shlex.join(words)


# --- rotate ----------------------------------------------------------------------------------------


def rotate_arguments(p: argparse.ArgumentParser) -> None:
    """As the set-up's, but --login-url defaults to the host the app was set up through (recorded here)."""
    p.add_argument("id")
    p.add_argument("--auto", action="store_true", help="replace the app's certificate through Salesforce's API")
    p.add_argument("--out", required=True, help="folder for the new key (salesforce-rotated.pem and .crt)")
    p.add_argument(
        "--store", action="store_true", help="also keep the new private key in the OS keyring (as keygen --store)"
    )
    p.add_argument("--bits", type=int, choices=defaults.ALLOWED_KEY_SIZES, default=defaults.DEFAULT_KEY_SIZE)
    p.add_argument(
        "--app-name",
        default=None,
        type=checked(validate_api_name),
        help="the External Client App, if this computer did not create it",
    )
    app_type_argument(p, "with --app-name: the kind of app it is (only an External Client App made elsewhere)")
    api_url_argument(p)
    sign_in_arguments(p)
    p.set_defaults(login_url=None)
    wait_arguments(p)
    count_argument(p)
    yes_argument(p)
    json_argument(p)


def rotate(cli: Cli, args: argparse.Namespace) -> int:
    from cli.login_commands import reading_now, reading_table
    from core.unstructured.inventory import explain_check_failure
    from core.usecases.rotation import RotationPlan, RotationRequest, rotate_automatically

    if not args.auto:
        raise InvalidInputError(
            "Say how to rotate: --auto replaces the certificate in Salesforce for you.",
            hint="Without it: keygen a new key, replace the certificate on the app in Setup, then "
            "'update ID --private-key NEW.pem'.",
        )
    timings = timings_of(cli, args)
    sign_in = sign_in_of(args)
    request = RotationRequest(
        connector_id=args.id,
        folder=Path(args.out).expanduser(),
        bits=args.bits,
        app_name=args.app_name or "",
        app_type=args.app_type,
        store_key=args.store,
        write_private_key_file=True,  # the command line's keys are files, as with keygen
        login_url=args.login_url,
    )
    ask = cli.confirmation(args, "Rotating")
    if args.login_url:
        cli.warn_login_url(args.login_url)
    client = cli.client(args.api_url)
    settings = cli.load_settings()

    def confirm(plan: RotationPlan) -> bool:
        cli.note(plan.describe())
        return ask("Rotate now?")

    try:
        done = rotate_automatically(
            client,
            request,
            sign_in,
            apps=settings.salesforce_apps,
            connectors=settings.connectors,
            keys=settings.keys,
            secrets=cli.store,
            journal=cli.journal,
            confirm=confirm,
            run=cli.runtime(timings),
        )
    except RotationIncomplete as exc:
        code = cli.fail(exc)
        if exc.key_location:
            cli.note(
                f"  From the command line: update {args.id} --private-key {exc.key_location}, then check {args.id}."
            )
        return code
    if done is None:
        cli.note("Nothing was changed.")
        return 1
    if done.key is not None:
        files = done.key.files
        cli.note(
            f"New key: {files.private_key or 'keyring:' + done.key.name} (owner-only); certificate {files.certificate}."
        )
    passed = done.check.passed
    verdict = "SUCCESS" if passed else f"FAILURE: {explain_check_failure(done.check.reason)}"
    connector = done.saved.connector
    # What the connector reads now, with the new key the rotation holds.
    survey = reading_now(cli, client, connector.id, saved=done.saved.config) if passed and not args.no_count else None
    cli.emit(
        args,
        {"connector": connector.redacted(), "check": done.check.status, "reading": survey and survey.to_json()},
        f"Rotated {connector.id} ({connector.name}); connection check {verdict}."
        + (f"\n{reading_table(survey)}" if survey else ""),
    )
    return 0 if passed else 1


# --- remove-salesforce-app and forget-org -----------------------------------------------------------


def remove_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--app-name",
        default=None,
        type=checked(validate_api_name),
        help="which one (needed when several were created here)",
    )
    app_type_argument(p, "for an app this computer has no record of: the kind of app it is")
    sign_in_arguments(p)
    yes_argument(p)


def remove_salesforce_app(cli: Cli, args: argparse.Namespace) -> int:
    from core.usecases import app_removal

    settings = cli.load_settings()
    removal = app_removal.choose_removal(
        settings.salesforce_apps, cli.journal.unfinished(settings), app_name=args.app_name, app_type=args.app_type
    )
    ask = cli.confirmation(args, "Removing")
    cli.note(removal.describe())
    if not ask("Remove what it created?" if removal.entry else "Remove it?"):
        cli.note("Nothing was removed.")
        return 1
    removed = app_removal.remove(
        removal,
        sign_in_of(args),
        journal=cli.journal,
        read_secret=cli.store.get,
        forget_secret=cli.store.delete,
        run=cli.runtime(),
    )
    cli.record(removed)
    if removed.left:
        cli.note("Still in the org: " + "; ".join(removed.left))
        if removal.app is not None:
            cli.note(f"{removal.name} stays recorded here: run the same command again to finish.")
        return 1
    app = removal.app
    if removal.entry is not None:
        cli.say(f"Removed what the unfinished set-up of {removal.name} had created.")
    else:
        made = f" and {app.permission_set}" if app is not None and app.created_permission_set else ""
        cli.say(f"Removed {removal.name}{made}.")
    return 0


def forget_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--org-id", default=None, help="only this org's (default: every org's)")


def forget_org(cli: Cli, args: argparse.Namespace) -> int:
    from core.usecases.admin import forget_kept_sign_ins

    forgotten = forget_kept_sign_ins(
        cli.load_settings().salesforce_apps, forget_secret=cli.store.delete, org_id=args.org_id or ""
    )
    cli.record(forgotten)
    if forgotten.org_ids:
        cli.say(f"Removed the kept Salesforce sign-in for {', '.join(sorted(forgotten.org_ids))}.")
    else:
        cli.say("No kept Salesforce sign-in" + (f" for {args.org_id}." if args.org_id else "."))
    return 0


COMMANDS = (
    Command(
        "setup-salesforce",
        "create the External Client App in Salesforce for the connector (one browser sign-in)",
        setup_arguments,
        setup_salesforce,
    ),
    Command(
        "rotate",
        "give a connector a new key; --auto replaces the certificate in Salesforce too",
        rotate_arguments,
        rotate,
    ),
    Command(
        "remove-salesforce-app",
        "delete an External Client App this computer created",
        remove_arguments,
        remove_salesforce_app,
    ),
    Command("forget-org", "remove kept Salesforce sign-ins from the keyring", forget_arguments, forget_org),
)
