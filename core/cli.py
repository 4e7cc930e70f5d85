"""The headless command line, over the same core functions the wizard uses.

Exit codes: 0 success; 1 the operation failed (refused, unreachable, timed out);
2 bad usage or invalid input, found before any network call. Messages go to stderr,
results to stdout. Secrets are never taken from argv: the API key comes from
UNSTRUCTURED_API_KEY or the keyring, private keys from a file or ``keyring:NAME``.
This module must not import Qt.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from core import APP_NAME, __version__, defaults
from core.errors import AppError, InvalidInputError, SecretStoreError, SetupFailed, SignInError, UsageError

if TYPE_CHECKING:
    from core.salesforce.org import AdminSession
    from core.secret_store import SecretStore
    from core.settings import SalesforceAppRecord, Settings
    from core.unstructured.client import PlatformClient
    from core.usecases.connectors import SettingsChange
    from core.usecases.salesforce_app import SetupResult

# Command modules are imported inside each command: `--version` and `keygen` must not pay for
# requests, PyJWT or keyring (see benchmarks/bench.py), and nothing here may import Qt.

log = logging.getLogger(__name__)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}.", hint=f"See '{self.prog} --help'.")


class Cli:
    """One CLI run. ``store`` and the streams are injectable so tests use real ones of their choosing."""

    def __init__(
        self,
        *,
        store: SecretStore | None = None,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        stdin: TextIO | None = None,
        check_poll_interval: float = 2.0,
        login_poll_interval: float = 25.0,
        login_wait: float = 15 * 60.0,
    ) -> None:
        self._store = store
        self._settings: Settings | None = None
        #: Seconds between polls of a connection check (tests make it short).
        self.check_poll_interval = check_poll_interval
        #: Polling the connector's login after the app was created: interval and limit in seconds.
        self.login_poll_interval = login_poll_interval
        self.login_wait = login_wait
        self.out = stdout or sys.stdout
        self.err = stderr or sys.stderr
        self.stdin = stdin or sys.stdin

    @property
    def store(self) -> SecretStore:
        if self._store is None:
            from core.secret_store import SecretStore

            self._store = SecretStore()
        return self._store

    def load_settings(self) -> Settings:
        """The settings, read once per command, saying on stderr if the file had to be set aside."""
        from core.settings import Settings

        if self._settings is None:
            self._settings = Settings.load()
            if self._settings.notice:
                self.note(f"note: {self._settings.notice}")
        return self._settings

    # --- output ----------------------------------------------------------------------------

    def say(self, text: str = "") -> None:
        print(text, file=self.out)

    def note(self, text: str) -> None:
        print(text, file=self.err)

    def fail(self, exc: AppError) -> int:
        self.note(f"error: {exc.message}")
        if exc.hint:
            self.note(f"  {exc.hint}")
        return exc.exit_code

    # --- entry -----------------------------------------------------------------------------

    def run(self, argv: Sequence[str]) -> int:
        parser = build_parser()
        try:
            args = parser.parse_args(list(argv))
        except UsageError as exc:
            return self.fail(exc)
        except SystemExit as exc:  # --help / --version
            return int(exc.code or 0)
        if not getattr(args, "command", None):
            parser.print_help(self.err)
            return 2
        from core.logs import setup_logging
        from core.settings import log_dir

        setup_logging(log_dir())
        handler: Callable[[argparse.Namespace], int] = getattr(self, f"cmd_{args.command.replace('-', '_')}")
        try:
            return handler(args)
        except AppError as exc:
            log.info("%s failed: %s", args.command, exc)
            return self.fail(exc)
        except KeyboardInterrupt:
            self.note("Interrupted.")
            return 130
        except Exception as exc:  # noqa: BLE001 - a defect: logged with its traceback, reported in one line
            log.exception("Unexpected error in %s", args.command)
            self.note(
                f"error: something unexpected went wrong ({type(exc).__name__}). "
                f"The details are in {log_dir() / 'wizard.log'}; please attach that file to a report."
            )
            return 1

    # --- commands --------------------------------------------------------------------------

    def cmd_keygen(self, args: argparse.Namespace) -> int:
        from core.keyfiles import bundle_paths, refuse_existing
        from core.keys import Subject, create_key_bundle
        from core.usecases.keys import save_key_bundle

        folder = Path(args.out).expanduser()
        subject = Subject(
            common_name=args.common_name,
            organization=args.organization,
            organizational_unit=args.org_unit,
            country=args.country,
            email=args.email,
        )
        paths = bundle_paths(folder, args.name)
        refuse_existing(
            [paths.private_key, paths.certificate, paths.csr if args.csr else None],
            overwrite=args.force,
            nothing="nothing was generated",
            hint="Choose another --name or --out, or add --force to replace them.",
        )
        if args.store:
            try:
                _ = self.store.backend  # fail early, before the slow generation, if there is no keyring
            except SecretStoreError as exc:
                raise SecretStoreError(
                    f"{exc.message} Nothing was generated.",
                    hint=f"{exc.hint} Or run keygen without --store and keep the key file safe.",
                ) from exc
        bundle = create_key_bundle(bits=args.bits, days=args.days, subject=subject, with_csr=args.csr)
        saved = save_key_bundle(
            bundle,
            folder=folder,
            name=args.name,
            save_secret=self.store.set if args.store else None,
            write_private_key_file=True,
            overwrite=args.force,
            stored=self.store.get if args.store else None,
            forget_secret=self.store.delete if args.store else None,
        )
        self._record(saved)
        info = saved.info
        assert info is not None
        self.say(f"Private key:  {saved.files.private_key} (owner-only, keep it secret)")
        self.say(f"Certificate:  {saved.files.certificate} (upload this to the Salesforce app)")
        if saved.files.csr:
            self.say(f"CSR:          {saved.files.csr} (send this to your CA if you need a CA-signed certificate)")
        if saved.keyring_entry:
            self.say(f"Keyring:      stored as keyring:{args.name}")
        self.say(f"SHA-256:      {info.fingerprint_sha256}")
        self.say(f"Expires:      {info.not_after:%Y-%m-%d %H:%M} UTC ({args.days} days)")
        return 0

    def cmd_import_cert(self, args: argparse.Namespace) -> int:
        from core.credentials import read_bounded
        from core.keys import KeyBundle, attach_certificate
        from core.usecases.keys import certificate_record, save_issued_certificate

        cert_path = Path(args.cert).expanduser()
        cert_bytes = read_bounded(args.cert, limit=65536, what="certificate", field="cert")
        key_text = self._key_text(args.private_key)
        bundle = attach_certificate(KeyBundle(private_key_pem=key_text.encode(), cert_pem=None), cert_bytes)
        info = bundle.certificate_info
        assert info is not None
        in_keyring = args.private_key.startswith("keyring:")
        if args.out:
            saved = save_issued_certificate(
                bundle, folder=Path(args.out).expanduser(), name=args.name, in_keyring=in_keyring, overwrite=args.force
            )
            self._record(saved)
            where = str(saved.files.certificate)
        else:
            settings = self.load_settings()
            settings.remember_key(
                certificate_record(
                    name=args.name, info=info, certificate_path=cert_path.resolve(), in_keyring=in_keyring
                )
            )
            _save_quietly(settings, self)
            where = str(cert_path)
        self.say(f"Certificate:  {where} (matches the private key; upload it to the Salesforce app)")
        self.say(f"SHA-256:      {info.fingerprint_sha256}")
        self.say(f"Expires:      {info.not_after:%Y-%m-%d %H:%M} UTC")
        return 0

    def cmd_approval_url(self, args: argparse.Namespace) -> int:
        from core.salesforce import login as salesforce
        from core.validation import validate_consumer_key

        url = salesforce.approval_url(
            validate_consumer_key(args.consumer_key), callback_url=args.callback_url, login_url=args.login_url
        )
        self.say(url)
        self.note(
            "Open it in a browser logged in as the connector's Salesforce user and allow access. "
            "The browser then shows a page at https://localhost that does not load: that is expected."
        )
        if args.open and not _open_browser(url):
            self.note("No browser could be opened here; copy the URL above into one.")
        return 0

    def cmd_verify(self, args: argparse.Namespace) -> int:
        from core.salesforce import login as salesforce
        from core.validation import validate_config, validate_consumer_key, validate_username

        username = validate_username(args.username)
        consumer_key = validate_consumer_key(args.consumer_key)
        key_text = self._key_text(args.private_key)
        pem = validate_config(username=username, consumer_key=consumer_key, private_key=key_text).private_key
        login_url = defaults.CONNECTOR_LOGIN_URL if args.login_url is None else args.login_url
        self._warn_login_url(login_url)
        try:
            result = salesforce.verify_jwt_login(
                username=username, consumer_key=consumer_key, private_key=pem, login_url=login_url
            )
        except AppError as exc:
            code = self.fail(exc)
            if getattr(exc, "cause", "") == salesforce.LoginCause.NOT_APPROVED.value:
                self.note("  Approval URL: " + salesforce.approval_url(consumer_key, login_url=login_url))
            return code
        who = f"{result.username}" + (f" ({result.display_name})" if result.display_name else "")
        self.say(f"The JWT login works: {who}, org {result.org_id or 'unknown'}, instance {result.instance_url}.")
        return 0

    def cmd_submit(self, args: argparse.Namespace) -> int:
        from core.usecases import connectors as usecases
        from core.validation import validate_config, validate_connector_name

        key_text = self._key_text(args.private_key)
        # Every input is checked before the API key is looked up or anything is sent.
        validate_connector_name(args.name)
        validate_config(
            username=args.username, consumer_key=args.consumer_key, private_key=key_text, categories=args.categories
        )
        client = self._client(args.api_url)
        saved = usecases.create_connector(
            client,
            name=args.name,
            username=args.username,
            consumer_key=args.consumer_key,
            private_key=key_text,
            categories=args.categories,
            keys=self.load_settings().keys,
        )
        self._record(saved)
        connector = saved.connector
        if args.json:
            self.say(json.dumps(connector.redacted(), indent=2))
        else:
            self.say(connector.id)
            self.note(f"Created source connector '{connector.name}'. Check it with: check {connector.id}")
        return 0

    def cmd_doctor(self, args: argparse.Namespace) -> int:
        from core import doctor
        from core.unstructured.client import default_api_url

        findings = doctor.offline_findings(self.store)
        if not args.offline:
            findings += doctor.online_findings(api_url=args.api_url or default_api_url())
        width = max(len(f.label) for f in findings)
        for finding in findings:
            mark = "ok  " if finding.ok else "FAIL"
            self.say(f"{mark} {finding.label.ljust(width)}  {finding.value}")
        return 0 if all(f.ok for f in findings) else 1

    def cmd_set_api_key(self, args: argparse.Namespace) -> int:
        from core.secret_store import API_KEY_NAME

        if self.stdin.isatty():
            value = getpass.getpass("Unstructured API key (input hidden): ")
        else:
            value = self.stdin.readline()
        value = value.strip()
        if not value:
            raise InvalidInputError("No API key was given; nothing was stored.")
        self.store.set(API_KEY_NAME, value)
        self.say(f"Stored the Unstructured API key in the keyring ({self.store.backend_name()}).")
        return 0

    def cmd_list(self, args: argparse.Namespace) -> int:
        from core.unstructured.connectors import inventory

        client = self._client(args.api_url)
        rows = inventory(client.list_sources(), self.load_settings())
        if args.json:
            self.say(json.dumps([row.to_json() for row in rows], indent=2))
            return 0
        if not rows:
            self.note("No Salesforce source connectors in this account.")
            return 0
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
            self.say(line)
        return 0

    def cmd_check(self, args: argparse.Namespace) -> int:
        import math

        if not math.isfinite(args.timeout) or not 0 < args.timeout <= 3600:
            raise InvalidInputError("--timeout must be a number of seconds between 0 and 3600.")
        client = self._client(args.api_url)
        self.note("Connection check started; waiting for a verdict...")
        check = client.run_connection_check(args.id, timeout=args.timeout, poll_interval=self.check_poll_interval)
        if check.status == "SUCCESS":
            self.say("SUCCESS: the connector can reach Salesforce.")
            return 0
        from core.unstructured.connectors import explain_check_failure

        self.say(f"FAILURE: {explain_check_failure(check.reason)}")
        return 1

    def cmd_update(self, args: argparse.Namespace) -> int:
        from core.usecases import connectors as usecases

        key_text = self._key_text(args.private_key) if args.private_key else None
        change = usecases.UpdateRequest(
            private_key=key_text, username=args.username, consumer_key=args.consumer_key, categories=args.categories
        ).validated()  # before any network call
        client = self._client(args.api_url)
        settings = self.load_settings()
        saved = usecases.update_connector(
            client,
            args.id,
            change,
            keys=settings.keys,
            stored_key=lambda: usecases.stored_key_of(settings, args.id, self.store.get),
        )
        self._record(saved)
        updated = saved.connector
        if args.json:
            self.say(json.dumps(updated.redacted(), indent=2))
        else:
            self.say(f"Updated connector {updated.id} ({updated.name}).")
            self.note(f"Run 'check {updated.id}' to prove the new settings work.")
        return 0

    def cmd_delete(self, args: argparse.Namespace) -> int:

        client = self._client(args.api_url)
        connector = client.get_source(args.id)
        if not args.yes:
            if not self.stdin.isatty():
                raise InvalidInputError("Deleting needs confirmation.", hint="Add --yes to delete without asking.")
            print(
                f"Delete connector '{connector.name}' ({connector.id})? Type 'yes' to confirm: ",
                end="",
                file=self.err,
                flush=True,
            )
            if self.stdin.readline().strip().lower() != "yes":
                self.note("Nothing was deleted.")
                return 1
        from core.usecases import connectors as usecases

        self._record(usecases.delete_connector(client, args.id))
        self.say(f"Deleted connector {connector.id} ({connector.name}).")
        return 0

    def cmd_setup_salesforce(self, args: argparse.Namespace) -> int:
        from core.keys import check_pair, fingerprint_sha256, load_certificate, load_private_key
        from core.salesforce.metadata import validate_api_name
        from core.salesforce.org import OrgClient
        from core.usecases import salesforce_app as setup
        from core.validation import validate_username

        # Every input is checked before the sign-in or any request.
        username = validate_username(args.username)
        app_name = validate_api_name(args.app_name)
        if not args.yes and not self.stdin.isatty():
            raise InvalidInputError(
                "Creating the app in Salesforce needs confirmation.", hint="Add --yes to go ahead without asking."
            )
        login_url = args.login_url or defaults.CONNECTOR_LOGIN_URL
        key_text = self._key_text(args.private_key) if args.private_key else None
        certificate = self._certificate_for(args.certificate, key_text)
        if key_text is not None:
            check_pair(load_private_key(key_text), load_certificate(certificate))
        self._warn_login_url(login_url)

        admin = self._admin_session(args, login_url, offline=args.remember_sign_in)
        org = OrgClient(admin)
        self.note(f"Checking the org at {org.host} ...")
        plan = setup.plan_setup(
            org,
            username=username,
            certificate_pem=certificate,
            contact_email=setup.contact_email(admin, username),
            app_name=app_name,
            ip_relaxation=args.ip_relaxation,
        )
        for line in plan.describe():
            self.note(line)
        if not args.yes and not self._confirm("Create this in Salesforce?"):
            self.note("Nothing was created.")
            return 1
        try:
            result = setup.apply_setup(org, plan, org_id=admin.org_id, progress=lambda step: self.note(f"  ... {step}"))
        except SetupFailed as failure:
            self.note(f"error: {failure.message}")
            if args.yes or self._confirm("Remove what this run created?"):
                left = setup.undo_setup(org, failure.created, api_version=plan.api_version)
                self.note("Removed what this run created." if not left else "Still in the org: " + "; ".join(left))
            else:
                self.note("Left in the org: " + ", ".join(f"{kind} {ident}" for kind, ident in failure.created))
            return 1
        result = self._keep_sign_in(admin, result) if args.remember_sign_in else result
        self._record(result)
        self.note(f"Created the External Client App {result.app_name}; consumer key below.")
        verified = False
        if key_text is not None:
            self.note("Waiting until Salesforce accepts the connector's login (this can take a few minutes) ...")
            setup.wait_for_connector_login(
                username=username,
                consumer_key=result.consumer_key,
                private_key=key_text,
                login_url=login_url,
                my_domain_url=setup.my_domain_of(admin, login_url),
                poll_interval=self.login_poll_interval,
                timeout=self.login_wait,
                progress=lambda attempt: self.note(f"  {attempt.elapsed:4.0f} s: {attempt.answer}"),
            )
            verified = True
            self.note("The connector's login works.")
        else:
            self.note("Give --private-key to prove the connector's login; run 'verify' later to check it.")
        if args.json:
            self.say(
                json.dumps(
                    {
                        "consumer_key": result.consumer_key,
                        "app_name": result.app_name,
                        "org_id": result.org_id,
                        "instance_url": result.instance_url,
                        "username": result.username,
                        "permission_set": result.permission_set,
                        "certificate_sha256": fingerprint_sha256(load_certificate(certificate)),
                        "created": [{"type": kind, "id": ident} for kind, ident in result.created],
                        "login_verified": verified,
                    },
                    indent=2,
                )
            )
        else:
            self.say(result.consumer_key)
        return 0

    def cmd_rotate(self, args: argparse.Namespace) -> int:
        from core.keys import create_key_bundle
        from core.salesforce.org import OrgClient
        from core.usecases import salesforce_app as setup
        from core.usecases.keys import save_key_bundle

        if not args.auto:
            raise InvalidInputError(
                "Say how to rotate: --auto replaces the certificate in Salesforce for you.",
                hint="Without it: keygen a new key, replace the certificate on the app in Setup, then "
                "'update ID --private-key NEW.pem'.",
            )
        if not args.yes and not self.stdin.isatty():
            raise InvalidInputError("Rotating needs confirmation.", hint="Add --yes to go ahead without asking.")
        folder = Path(args.out).expanduser()
        login_url = args.login_url or defaults.CONNECTOR_LOGIN_URL
        self._warn_login_url(login_url)
        client = self._client(args.api_url)
        connector = client.get_source(args.id)
        settings = self.load_settings()
        record = settings.salesforce_app(str(connector.config.get("consumer_key", "")))
        app_name = args.app_name or (record.app_name if record else "")
        if not app_name:
            raise InvalidInputError(
                f"Connector {connector.id} does not use an app this computer created.",
                hint="Name its External Client App with --app-name, or rotate by hand (keygen, Setup, update).",
            )
        old = next((c for c in settings.connectors if c.id == connector.id), None)
        old_key = settings.key_by_public_id(old.public_key_id) if old and old.public_key_id else None
        self.note(
            f"This replaces the certificate of {app_name} with a new one: the connector's current key stops "
            "working at once, and the connector is switched to the new key right after."
        )
        if not args.yes and not self._confirm("Rotate now?"):
            self.note("Nothing was changed.")
            return 1
        bundle = create_key_bundle(bits=args.bits)
        saved_key = save_key_bundle(
            bundle, folder=folder, name=args.name, save_secret=None, write_private_key_file=True
        )
        self._record(saved_key)
        assert bundle.cert_pem is not None and saved_key.files.private_key is not None
        self.note(f"New key: {saved_key.files.private_key} (owner-only); certificate {saved_key.files.certificate}.")
        org = OrgClient(self._admin_session(args, login_url, kept=record))
        done = setup.rotate_certificate(
            org,
            client,
            connector_id=connector.id,
            app_name=app_name,
            new_private_key_pem=bundle.private_key_pem.decode("ascii"),
            new_certificate_pem=bundle.cert_pem.decode("ascii"),
            old_certificate_path=old_key.certificate_path if old_key else "",
            new_key_path=str(saved_key.files.private_key),
            keys=self.load_settings().keys,
            login_url=login_url,
            poll_interval=self.login_poll_interval,
            timeout=self.login_wait,
            check_poll_interval=self.check_poll_interval,
            progress=lambda step: self.note(f"  ... {step}"),
        )
        self._record(done.saved)
        from core.unstructured.connectors import explain_check_failure

        verdict = (
            "SUCCESS" if done.check.status == "SUCCESS" else f"FAILURE: {explain_check_failure(done.check.reason)}"
        )
        if args.json:
            self.say(json.dumps({"connector": done.saved.connector.redacted(), "check": done.check.status}, indent=2))
        else:
            self.say(f"Rotated {connector.id} ({connector.name}); connection check {verdict}.")
        return 0 if done.check.status == "SUCCESS" else 1

    # --- helpers ---------------------------------------------------------------------------

    def _confirm(self, question: str) -> bool:
        if not self.stdin.isatty():
            return False
        print(f"{question} Type 'yes' to confirm: ", end="", file=self.err, flush=True)
        return self.stdin.readline().strip().lower() == "yes"

    def _certificate_for(self, path: str | None, key_text: str | None) -> str:
        """The certificate to put in the app: the file given, or the one recorded for the key."""
        from core.keys import cert_pem, load_certificate, load_private_key, public_key_id

        if path:
            from core.credentials import read_bounded

            data = read_bounded(path, limit=65536, what="certificate", field="certificate")
            return cert_pem(load_certificate(data)).decode("ascii")
        if key_text is not None:
            record = self.load_settings().key_by_public_id(public_key_id(load_private_key(key_text)))
            if record is not None and record.certificate_path:
                try:
                    return Path(record.certificate_path).read_text(encoding="ascii")
                except OSError:
                    pass
        raise InvalidInputError(
            "Which certificate should the app trust?",
            field="certificate",
            hint="Give --certificate FILE (the .crt made with the key), or --private-key with a key made by keygen.",
        )

    def _admin_session(
        self,
        args: argparse.Namespace,
        login_url: str,
        *,
        offline: bool = False,
        kept: SalesforceAppRecord | None = None,
    ) -> AdminSession:
        """The admin's session: SF_ACCESS_TOKEN with --instance-url, a Salesforce CLI login, a kept
        sign-in for the app's org, or the browser (asking for a refresh token when ``offline``)."""
        from core.salesforce import signin

        if kept is not None and not (args.instance_url or args.sf_org):
            try:
                session = signin.kept_session(
                    kept, read_secret=self.store.get, login_url=login_url, client_id=args.client_id
                )
            except SignInError as exc:
                self.note(f"note: {exc.message} Signing in through the browser instead.")
                session = None
            if session is not None:
                self.note("Using the kept Salesforce sign-in (forget-org removes it).")
                return session
        if offline and (args.instance_url or args.sf_org):
            raise InvalidInputError(
                "--remember-sign-in keeps a browser sign-in; with --instance-url or --sf-org there is none to keep."
            )
        if args.instance_url:
            return signin.session_from_token(
                instance_url=args.instance_url, access_token=os.environ.get("SF_ACCESS_TOKEN", "")
            )
        if args.sf_org:
            return signin.session_from_sf_cli(args.sf_org)
        self.note("Opening Salesforce's sign-in in your browser; sign in as an administrator and allow access.")
        return signin.sign_in(
            open_browser=_open_browser,
            login_url=login_url,
            client_id=args.client_id,
            port=args.redirect_port,
            offline=offline,
            on_url=lambda url: self.note(f"If no browser opens, visit: {url}"),
        )

    def _keep_sign_in(self, admin: AdminSession, result: SetupResult) -> SetupResult:
        """Keep the refresh token in the keyring (the admin asked), and say so in the record."""
        import dataclasses

        from core.salesforce.signin import refresh_entry

        if not admin.refresh_token or not result.org_id:
            self.note("note: Salesforce gave no sign-in to keep; rotations will ask you to sign in again.")
            return result
        self.store.set(refresh_entry(result.org_id), admin.refresh_token)
        self.note("Kept the Salesforce sign-in in your keyring for later rotations (forget-org removes it).")
        return dataclasses.replace(result, sign_in_kept=True, login_url=admin.login_url)

    def cmd_remove_salesforce_app(self, args: argparse.Namespace) -> int:
        from core.salesforce.org import OrgClient
        from core.salesforce.signin import refresh_entry
        from core.usecases import salesforce_app as setup

        settings = self.load_settings()
        apps = [a for a in settings.salesforce_apps if not args.app_name or a.app_name == args.app_name]
        if len(apps) != 1:
            names = ", ".join(sorted({a.app_name for a in settings.salesforce_apps})) or "none"
            raise InvalidInputError(
                "Name the app to remove with --app-name." if apps else "No app of that name was created here.",
                hint=f"Apps this computer created: {names}.",
            )
        app = apps[0]
        if not args.yes and not self.stdin.isatty():
            raise InvalidInputError("Removing needs confirmation.", hint="Add --yes to go ahead without asking.")
        self.note(
            f"This deletes the External Client App {app.app_name} from the org at {app.instance_url}"
            + (
                f" and the permission set {app.permission_set} this computer created"
                if app.created_permission_set
                else ""
            )
            + ". Connectors that use it stop working."
        )
        if not args.yes and not self._confirm("Remove it?"):
            self.note("Nothing was removed.")
            return 1
        login_url = args.login_url or defaults.CONNECTOR_LOGIN_URL
        removed = setup.remove_app(OrgClient(self._admin_session(args, login_url, kept=app)), app)
        if app.sign_in_kept:
            self.store.delete(refresh_entry(app.org_id))
        self._record(removed)
        if removed.left:
            self.note("Still in the org: " + "; ".join(removed.left))
            return 1
        self.say(f"Removed {app.app_name}" + (f" and {app.permission_set}" if app.created_permission_set else "") + ".")
        return 0

    def cmd_forget_org(self, args: argparse.Namespace) -> int:
        from core.salesforce.signin import refresh_entry

        settings = self.load_settings()
        apps = [a for a in settings.salesforce_apps if a.sign_in_kept and (not args.org_id or a.org_id == args.org_id)]
        forgotten = set()
        for app in apps:
            if app.org_id not in forgotten:
                self.store.delete(refresh_entry(app.org_id))
                forgotten.add(app.org_id)
            app.sign_in_kept = False
        if args.org_id and args.org_id not in forgotten:
            self.store.delete(refresh_entry(args.org_id))  # kept by another run or another version
        _save_quietly(settings, self)
        if forgotten:
            self.say(f"Removed the kept Salesforce sign-in for {', '.join(sorted(forgotten))}.")
        else:
            self.say("No kept Salesforce sign-in" + (f" for {args.org_id}." if args.org_id else "."))
        return 0

    # --- helpers (connectors) -----------------------------------------------------------------

    def _client(self, api_url: str | None) -> PlatformClient:
        from core.credentials import resolve_api_key
        from core.unstructured.client import PlatformClient, default_api_url, normalise_api_url

        url = normalise_api_url(api_url or self.load_settings().api_url or default_api_url())
        api_key, _ = resolve_api_key(self.store)
        return PlatformClient(api_url=url, api_key=api_key)

    def _warn_login_url(self, login_url: str) -> None:
        if login_url.rstrip("/") != defaults.CONNECTOR_LOGIN_URL:
            self.note(
                f"warning: checking against {login_url}. The connector itself always logs in through "
                f"{defaults.CONNECTOR_LOGIN_URL}, so a success here does not prove the connector will work."
            )

    def _key_text(self, spec: str) -> str:
        """The private key from a file or the keyring; an encrypted key asks for its passphrase on a terminal."""
        from core.credentials import read_private_key_source
        from core.errors import EncryptedKeyError
        from core.keys import load_private_key, private_key_pem

        text = read_private_key_source(spec, self.store)
        try:
            load_private_key(text)
            return text
        except EncryptedKeyError as exc:
            if not self.stdin.isatty():
                raise EncryptedKeyError(
                    "This private key is protected by a passphrase, and there is no terminal to ask for it.",
                    field="private_key",
                    hint="Run the command in a terminal, or decrypt the key first (the connector needs it "
                    "unencrypted): openssl pkey -in encrypted.pem -out key.pem",
                ) from exc
        for attempt in range(3):
            passphrase = getpass.getpass("Passphrase for the private key: ")
            try:
                return private_key_pem(load_private_key(text, passphrase=passphrase)).decode("ascii")
            except EncryptedKeyError as exc:
                if attempt == 2:
                    raise exc
                self.note("The passphrase is wrong; try again.")
        raise AssertionError("unreachable")  # pragma: no cover

    def _record(self, change: SettingsChange) -> None:
        """Apply what a use case says to record, and save (this thread is the only one that does)."""
        settings = self.load_settings()
        change.apply(settings)
        _save_quietly(settings, self)


def _save_quietly(settings: Any, cli: Cli) -> None:
    try:
        settings.save()
    except AppError as exc:
        cli.note(f"warning: the settings could not be saved ({exc.message}); the operation itself succeeded.")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="salesforce-connector-wizard", description=f"{APP_NAME}: without arguments, opens the wizard."
    )
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    p = sub.add_parser("keygen", help="generate an RSA key and self-signed certificate (works offline)")
    p.add_argument("--out", required=True, help="folder for NAME.pem, NAME.crt (and NAME.csr)")
    p.add_argument("--name", default="salesforce", help="file name stem (default: salesforce)")
    p.add_argument("--bits", type=int, choices=defaults.ALLOWED_KEY_SIZES, default=defaults.DEFAULT_KEY_SIZE)
    p.add_argument(
        "--days", type=int, default=defaults.DEFAULT_VALIDITY_DAYS, help="certificate validity (default 365)"
    )
    p.add_argument("--common-name", default=defaults.DEFAULT_COMMON_NAME)
    p.add_argument("--organization", default="")
    p.add_argument("--org-unit", default="")
    p.add_argument("--country", default="", help="two-letter country code")
    p.add_argument("--email", default="")
    p.add_argument("--csr", action="store_true", help="also write a CSR for a corporate CA")
    p.add_argument("--force", action="store_true", help="replace existing files")
    p.add_argument("--store", action="store_true", help="also keep the private key in the OS keyring")

    p = sub.add_parser(
        "import-cert", help="check a certificate (e.g. from your CA for the CSR) against its key, record it"
    )
    p.add_argument("--cert", required=True, help="the certificate file (PEM or DER)")
    p.add_argument("--private-key", required=True, help="key file, or keyring:NAME")
    p.add_argument("--out", default=None, help="also write it as PEM to OUT/NAME.crt")
    p.add_argument("--name", default="salesforce")
    p.add_argument("--force", action="store_true", help="replace an existing OUT/NAME.crt")

    p = sub.add_parser("approval-url", help="print the one-time approval URL")
    p.add_argument("--consumer-key", required=True)
    p.add_argument("--callback-url", default=defaults.DEFAULT_CALLBACK_URL)
    p.add_argument("--login-url", default=defaults.CONNECTOR_LOGIN_URL)
    p.add_argument("--open", action="store_true", help="open it in the default browser")

    p = sub.add_parser("verify", help="make the connector's JWT login to prove the Salesforce setup")
    p.add_argument("--username", required=True)
    p.add_argument("--consumer-key", required=True)
    p.add_argument("--private-key", required=True, help="key file, or keyring:NAME")
    p.add_argument("--login-url", default=None, help="diagnose against another host (My Domain, sandbox)")

    p = sub.add_parser("submit", help="create the Unstructured source connector")
    p.add_argument("--name", required=True)
    p.add_argument("--username", required=True)
    p.add_argument("--consumer-key", required=True)
    p.add_argument("--private-key", required=True, help="key file, or keyring:NAME")
    p.add_argument("--categories", default=None, help="comma-separated; default all five")
    p.add_argument("--api-url", default=None)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("doctor", help="diagnose this computer's setup")
    p.add_argument("--offline", action="store_true", help="skip the clock and reachability checks")
    p.add_argument("--api-url", default=None)

    sub.add_parser("set-api-key", help="store the Unstructured API key in the keyring (read from the prompt or stdin)")

    p = sub.add_parser("list", help="list the account's Salesforce source connectors")
    p.add_argument("--api-url", default=None)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("check", help="run a connection check and wait for its verdict")
    p.add_argument("id")
    p.add_argument("--api-url", default=None)
    p.add_argument("--timeout", type=float, default=120.0)

    p = sub.add_parser("update", help="change a connector's settings or rotate its key")
    p.add_argument("id")
    p.add_argument("--private-key", default=None, help="key file, or keyring:NAME")
    p.add_argument("--username", default=None)
    p.add_argument("--consumer-key", default=None)
    p.add_argument("--categories", default=None)
    p.add_argument("--api-url", default=None)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser(
        "setup-salesforce",
        help="create the External Client App in Salesforce for the connector (one browser sign-in)",
    )
    p.add_argument("--username", required=True, help="the Salesforce user the connector logs in as")
    p.add_argument("--app-name", default="Unstructured_Connector", help="API name of the app to create")
    p.add_argument("--certificate", default=None, help="the certificate (.crt) the app trusts")
    p.add_argument("--private-key", default=None, help="key file, or keyring:NAME (to prove the login)")
    _add_sign_in_arguments(p)
    p.add_argument(
        "--remember-sign-in",
        action="store_true",
        help="keep the sign-in (a refresh token) in the keyring for later rotate --auto; forget-org removes it",
    )
    p.add_argument("--ip-relaxation", choices=("enforce", "relax"), default="enforce")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("rotate", help="give a connector a new key; --auto replaces the certificate in Salesforce too")
    p.add_argument("id")
    p.add_argument("--auto", action="store_true", help="replace the app's certificate through Salesforce's API")
    p.add_argument("--out", required=True, help="folder for the new NAME.pem and NAME.crt")
    p.add_argument("--name", default="salesforce-rotated", help="file name stem of the new key")
    p.add_argument("--bits", type=int, choices=defaults.ALLOWED_KEY_SIZES, default=defaults.DEFAULT_KEY_SIZE)
    p.add_argument("--app-name", default=None, help="the External Client App, if this computer did not create it")
    p.add_argument("--api-url", default=None)
    _add_sign_in_arguments(p)
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("remove-salesforce-app", help="delete an External Client App this computer created")
    p.add_argument("--app-name", default=None, help="which one (needed when several were created here)")
    _add_sign_in_arguments(p)
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    p = sub.add_parser("forget-org", help="remove kept Salesforce sign-ins from the keyring")
    p.add_argument("--org-id", default=None, help="only this org's (default: every org's)")

    p = sub.add_parser("delete", help="delete a connector")
    p.add_argument("id")
    p.add_argument("--api-url", default=None)
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return parser


def _add_sign_in_arguments(p: argparse.ArgumentParser) -> None:
    """How the admin signs in to Salesforce: the browser (default), a Salesforce CLI login, or a token."""
    p.add_argument("--login-url", default=None, help="login host for the sign-in and the proof")
    p.add_argument(
        "--client-id", default="PlatformCLI", help="OAuth client for the sign-in (default: Salesforce CLI's)"
    )
    p.add_argument("--redirect-port", type=int, default=1717, help="the sign-in's loopback port")
    p.add_argument("--sf-org", default=None, help="reuse this Salesforce CLI login (alias or username)")
    p.add_argument("--instance-url", default=None, help="with SF_ACCESS_TOKEN set: no sign-in")


def run(argv: Sequence[str]) -> int:
    """Run the CLI with ``argv`` (without the program name); return the exit code."""
    return Cli().run(argv)


def _open_browser(url: str) -> bool:
    import webbrowser

    return webbrowser.open(url)
