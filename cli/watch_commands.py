"""watch and set-webhook: one unattended look at every connector recorded here, and where a change is told."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cli.command import Command
from cli.flags import api_url_argument, json_argument, login_url_argument
from core import defaults
from core.errors import AppError, InvalidInputError, SecretStoreError

if TYPE_CHECKING:
    from cli.context import Cli
    from core.storage.settings import ConnectorRecord, SalesforceAppRecord
    from core.usecases.watch import WatchResult

from core.defaults import WEBHOOK_ENTRY, WEBHOOK_ENV


def _days(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of days") from exc


def watch_arguments(p: argparse.ArgumentParser) -> None:
    json_argument(p, "print the watch's result as JSON")
    p.add_argument("--within", type=_days, default=30, help="warn this many days before a certificate ends (30)")
    p.add_argument(
        "--rotate-within",
        type=_days,
        default=None,
        help="rotate, unattended, a certificate that ends within this many days (needs a kept Salesforce sign-in)",
    )
    p.add_argument(
        "--notify",
        action="store_true",
        help=f"post what changed to the webhook kept by set-webhook (or in {WEBHOOK_ENV})",
    )
    p.add_argument(
        "--desktop", action="store_true", help="show a desktop notification when something changed (this session)"
    )
    p.add_argument(
        "--test-notification",
        action="store_true",
        help="send a test message and stop: to the webhook, and with --desktop on this desktop",
    )
    login_url_argument(p, "where a connector's login is tried when its app's host is not recorded here")
    api_url_argument(p)
    p.add_argument("--no-count", action="store_true", help="log in as each connector, but count no categories")
    p.add_argument(
        "--unattended",
        action="store_true",
        help="never prompt (the scheduled run): a locked keyring is reported, never unlocked",
    )


def _webhook(cli: Cli) -> str:
    url = os.environ.get(WEBHOOK_ENV, "").strip() or (cli.store.get(WEBHOOK_ENTRY) or "").strip()
    if not url:
        raise InvalidInputError(
            "No webhook is kept for notifications.",
            hint=f"Store one with set-webhook (it is read from the prompt or stdin), or set {WEBHOOK_ENV}.",
        )
    from core.logs import register_secret

    register_secret(url)  # it embeds a secret: never in a log or a message
    return url


def watch(cli: Cli, args: argparse.Namespace) -> int:
    from core.usecases.watch import WatchHistory, WatchRequest, notification_text, send_webhook, watch

    request = WatchRequest(
        within_days=args.within,
        rotate_within_days=args.rotate_within,
        login_url=args.login_url,
        count=not args.no_count,
    ).validated()
    if args.unattended:
        cli.store.never_prompt = True
    if args.test_notification:
        return _test_notification(cli, webhook=args.notify or not args.desktop, desktop=args.desktop)
    webhook = ""
    unsent: list[str] = []  # why a channel could not tell; when none told, the next watch tells it again
    if args.notify:
        try:
            webhook = _webhook(cli)
        except SecretStoreError as exc:  # e.g. locked: watch all the same, and notify when it can be read
            unsent.append(f"the webhook could not be read: {exc}")
    client = cli.client(args.api_url)
    settings = cli.load_settings()
    history = WatchHistory.load()
    rotate = _unattended_rotation(cli, args.api_url) if request.rotate_within_days is not None else None
    result = watch(
        client,
        request,
        settings=settings,
        history=history,
        read_secret=cli.store.get,
        rotate=rotate,
        timings=cli.timings,
    )
    if result.changed:
        if webhook:
            try:
                send_webhook(webhook, result)
                result = _notified(result)
            except AppError as exc:
                unsent.append(str(exc))
        if args.desktop:
            from core import desktop_notice

            try:
                desktop_notice.show(DESKTOP_TITLE, notification_text(result))
                result = _notified(result)
            except AppError as exc:
                unsent.append(str(exc))
    for why in unsent:
        cli.note(f"warning: a notification was not sent: {why}")
    untold = bool((args.notify or args.desktop) and result.changed and not result.notified)
    if untold:
        cli.note("warning: no notification went out; the next watch tells these changes again")
    history.add(result, unsent=untold)
    try:
        history.save()
    except AppError as exc:
        cli.note(f"warning: this watch could not be kept for the next one to compare with: {exc}")
    cli.emit(args, result.to_json(), _table(result))
    return 1 if result.failing else 0


#: The title of a desktop notification; its text is the webhook's.
DESKTOP_TITLE = "Salesforce connectors changed"


def _test_notification(cli: Cli, *, webhook: bool, desktop: bool) -> int:
    """Send the test message through each channel asked for; 0 when every one took it."""
    from core.usecases.watch import send_test_webhook, show_test_notice

    failed = 0
    if webhook:
        send_test_webhook(_webhook(cli))
        cli.say("Sent a test notification to the webhook.")
    if desktop:
        try:
            show_test_notice()
            cli.say("Showed a test notification on this desktop.")
        except AppError as exc:
            cli.note(f"error: {exc}")
            failed = 1
    return failed


def _notified(result: WatchResult) -> WatchResult:
    from dataclasses import replace

    return replace(result, notified=True)


def _table(result: WatchResult) -> str:
    if not result.connectors:
        return "No connector is recorded on this computer for this API URL: nothing to watch."
    lines = []
    for c in result.connectors:
        lines.append(f"{c.status.value.upper():8} {c.name} ({c.id})" + ("  [changed]" if c.changed else ""))
        lines += [f"         {f.kind.value}: {f.message}" for f in c.findings]
        lines += [f"         note: {n}" for n in c.notes]
    if result.rotated:
        lines.append(f"Rotated unattended: {', '.join(result.rotated)}")
    return "\n".join(lines)


def _unattended_rotation(cli: Cli, api_url: str | None) -> Callable[[ConnectorRecord, SalesforceAppRecord], str]:
    """The rotation the watch calls for a due certificate: the kept sign-in only, the new key in the keyring."""
    from core.storage.settings import default_output_dir
    from core.usecases.admin import SignIn, SignInWay
    from core.usecases.rotation import RotationRequest, rotate_automatically

    def rotate(record: ConnectorRecord, app: SalesforceAppRecord) -> str:
        settings = cli.load_settings()
        key = settings.key_by_public_id(record.public_key_id) if record.public_key_id else None
        folder = Path(key.certificate_path).parent if key and key.certificate_path else default_output_dir()
        done = rotate_automatically(
            cli.client(api_url),
            RotationRequest(connector_id=record.id, folder=folder, store_key=True, login_url=app.login_host()),
            SignIn(way=SignInWay.KEPT_ONLY, login_url=app.login_host() or defaults.CONNECTOR_LOGIN_URL),
            apps=settings.salesforce_apps,
            connectors=settings.connectors,
            keys=settings.keys,
            secrets=cli.store,
            journal=cli.journal,
            run=cli.runtime(),
        )
        if done is None:  # pragma: no cover - confirm is not given: it always says yes
            return "The rotation was not made."
        where = f"keyring:{done.key.name}" if done.key is not None else "the keyring"
        return f"Rotated unattended: the new key is {where}; the connection check says {done.check.status}."

    return rotate


def set_webhook_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--remove", action="store_true", help="with empty input: remove the kept webhook")


def set_webhook(cli: Cli, args: argparse.Namespace) -> int:
    from core.urls import SafeUrl

    value = cli.read_secret_line("Webhook URL for notifications (input hidden): ")
    if not value:
        if args.remove:
            cli.store.delete(WEBHOOK_ENTRY)
            cli.say("Removed the kept webhook.")
            return 0
        raise InvalidInputError("No webhook URL was given; nothing was stored.")
    SafeUrl(value, what="webhook URL", secret=True)
    cli.store.set(WEBHOOK_ENTRY, value)
    cli.say(f"Stored the webhook in the keyring ({cli.store.backend_name()}). 'watch --test-notification' tries it.")
    return 0


def schedule_arguments(p: argparse.ArgumentParser) -> None:
    from core.usecases.schedule import OSES

    p.add_argument("action", choices=("install", "status", "remove"), help="what to do with the schedule")
    p.add_argument("--every", type=_hours, default=None, help="install: run the watch every this many hours (1-168)")
    p.add_argument("--notify", action="store_true", help="install: the watch posts changes to the kept webhook")
    p.add_argument("--desktop", action="store_true", help="install: the watch shows changes as desktop notifications")
    p.add_argument("--rotate-within", type=_days, default=None, help="install: rotate due certificates unattended")
    api_url_argument(p)
    p.add_argument("--print", action="store_true", help="install: print what would be installed; change nothing")
    p.add_argument("--os", choices=OSES, default=None, help="with --print: for this OS (default: this computer's)")


def _hours(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of hours") from exc


def schedule(cli: Cli, args: argparse.Namespace) -> int:
    from core.usecases import schedule as jobs

    if args.action == "status":
        cli.say(jobs.status())
        return 0
    if args.action == "remove":
        cli.say(jobs.remove())
        return 0
    if args.every is None:
        raise InvalidInputError("Say how often: schedule install --every HOURS (1 to 168).", field="every")
    request = jobs.ScheduleRequest(
        every_hours=args.every,
        notify=args.notify,
        desktop=args.desktop,
        rotate_within_days=args.rotate_within,
        api_url=args.api_url or "",
    ).validated()
    command = jobs.watch_command(request)
    if args.print:
        cli.say(jobs.describe(request, args.os or jobs.this_os(), command).rstrip("\n"))
        return 0
    if args.os and args.os != jobs.this_os():
        raise InvalidInputError(f"--os {args.os} goes with --print: this computer runs {jobs.this_os()}.", field="os")
    _warn_missing_secrets(cli, notify=args.notify)
    done = jobs.install(request, command)
    cli.say(f"The watch runs every {args.every} hour(s) as {done.how} ({done.where}). 'schedule status' shows it.")
    return 0


def _warn_missing_secrets(cli: Cli, *, notify: bool) -> None:
    """A scheduled run reads the API key (and the webhook) from the keyring, not from this shell's environment."""
    from core.storage.secret_store import API_KEY_NAME

    try:
        if not cli.store.get(API_KEY_NAME):
            cli.note(
                "warning: no Unstructured API key is kept in the keyring: store it with set-api-key, or the "
                "scheduled watch cannot ask Unstructured."
            )
        if notify and not cli.store.get(WEBHOOK_ENTRY):
            cli.note("warning: no webhook is kept: store it with set-webhook, or the watch cannot notify.")
    except AppError as exc:
        cli.note(f"warning: the keyring could not be read ({exc.message}); the scheduled watch needs it.")


COMMANDS = (
    Command(
        "watch",
        "check every connector recorded here (certificate, login, categories, runs) and say what changed",
        watch_arguments,
        watch,
    ),
    Command(
        "set-webhook",
        "keep the webhook URL for watch notifications in the keyring (read from the prompt or stdin)",
        set_webhook_arguments,
        set_webhook,
    ),
    Command(
        "schedule",
        "have the OS run the watch every few hours as you (install, status, remove; --print shows it first)",
        schedule_arguments,
        schedule,
    ),
)
