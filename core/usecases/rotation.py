"""Giving a connector a new key with no clicks in Setup: one use case for both front ends.

:func:`rotate_automatically` is the whole of it (the CLI's ``rotate --auto``, Manage's *Rotate
automatically*): find the app the connector logs in through, make and keep a new key, sign in,
put the new certificate on the app, wait until Salesforce accepts the new key, switch the
connector to it, and check the connection. :func:`rotate_certificate` is its part after the
sign-in; :func:`replace_certificate` the deploy alone.

The old key stops working when the new certificate is deployed, so everything that can be
checked is checked before, and the new key is handed out as a ``Record`` (kept in the keyring or
a file) before the deploy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from core.crypto.keypair import (
    KeyBundle,
    check_pair,
    create_key_bundle,
    fingerprint_sha256,
    load_certificate,
)
from core.defaults import CONNECTOR_LOGIN_URL, DEFAULT_KEY_SIZE
from core.errors import (
    AppError,
    DeployStatusUnknown,
    InvalidInputError,
    OrgApiError,
    RotationIncomplete,
    SalesforceLoginError,
    SecretStoreError,
)
from core.kinds import AppType, RunKind, RunStep
from core.salesforce.login import LoginCause
from core.salesforce.metadata import CONNECTED_APP, ECA, AppSpec, app_kind, certificate_package, validate_api_name
from core.salesforce.org import OrgClient
from core.steps.journal import Journal, describe, new_entry, run_lock
from core.steps.login_wait import wait_for_connector_login
from core.steps.org_state import choose_api_version, describe_failures
from core.steps.progress import Notice, Record, Runtime, Step, StepStarted
from core.storage.credentials import key_location_words
from core.storage.settings import ConnectorRecord, JournalEntry, KeyRecord, SalesforceAppRecord, Settings
from core.unstructured.client import ConnectionCheck, PlatformClient, SourceConnector
from core.urls import SafeUrl
from core.usecases.admin import SignIn, admin_session
from core.usecases.connectors import ConnectorSaved, UpdateRequest, update_connector
from core.usecases.keys import SavedKey, Secrets, save_key_bundle, unique_key_name
from core.usecases.salesforce_app import my_domain_of

#: The new key's name: this, or ``salesforce-rotated-2``... whichever is free (files and keyring).
ROTATED_KEY_NAME = "salesforce-rotated"


def certificate_spec(app: SalesforceAppRecord, *, consumer_key: str, certificate_pem: str) -> AppSpec:
    """What a certificate replacement deploys for ``app``.

    An External Client App takes its global OAuth settings alone. A Connected App is one component,
    so it is deployed whole, as it was created here (a deploy replaces every setting): one this
    computer did not create is refused, since its other settings are not known here.

    Raises:
        InvalidInputError: a Connected App made elsewhere.
    """
    name = validate_api_name(app.app_name)
    if app.app_type == CONNECTED_APP and not (app.contact_email and app.permission_set and app.ip_relaxation):
        raise InvalidInputError(
            f"The Connected App {name} was not created by this wizard on this computer, so its other settings are "
            "not known here; replacing its certificate through the Metadata API would overwrite them.",
            hint="Rotate by hand (a new key, the certificate replaced on the app in Setup, then the connector "
            "updated), or let the wizard set up a new app for the connector.",
        )
    return AppSpec(
        name=name,
        label=name.replace("_", " "),
        contact_email=app.contact_email,
        certificate_pem=certificate_pem,
        consumer_key=consumer_key,
        permission_set=app.permission_set if app.app_type == CONNECTED_APP else "",
        ip_relaxation=app.ip_relaxation or "enforce",
        app_type=app.app_type,
    )


def replace_certificate(
    org: OrgClient,
    *,
    app_name: str,
    consumer_key: str,
    certificate_pem: str,
    app: SalesforceAppRecord | None = None,
) -> None:
    """Deploy ``certificate_pem`` onto the app (``app``: its record; without one, an External Client App
    named ``app_name``). The old key stops working now.

    Raises:
        InvalidInputError: a Connected App this computer did not create (see :func:`certificate_spec`).
        OrgApiError: Salesforce refused the deploy (with its words); NetworkError.
    """
    record = app or SalesforceAppRecord(app_name=app_name, consumer_key=consumer_key, instance_url="")
    spec = certificate_spec(record, consumer_key=consumer_key, certificate_pem=certificate_pem)
    version = choose_api_version(org)
    outcome = org.deploy(certificate_package(spec, api_version=version))
    if not outcome.success:
        raise OrgApiError(
            f"Salesforce did not take the new certificate: {describe_failures(outcome)}.",
            status=200,
            hint="The old certificate is still in place, so the connector keeps working with its old key.",
        )


@dataclass(frozen=True)
class RotationDone:
    """The connector uses the new key; ``saved.apply(settings)`` records it (also handed out as ``Record``)."""

    saved: ConnectorSaved
    check: ConnectionCheck
    #: The new key: its keyring entry or file.
    key: SavedKey | None = None


def rotate_certificate(
    org: OrgClient,
    platform: PlatformClient,
    *,
    connector: SourceConnector,
    app_name: str,
    new_key: KeyBundle,
    new_key_location: str,
    old_certificate_path: str,
    keys: Sequence[KeyRecord],
    login_url: SafeUrl = CONNECTOR_LOGIN_URL,
    my_domain_url: SafeUrl | None = None,
    journal: Journal | None = None,
    run: Runtime | None = None,
    app: SalesforceAppRecord | None = None,
) -> RotationDone:
    """Replace the app's certificate, prove the new key's login, update the connector, check it.

    ``keys`` must hold the new key's record, so that the connector's record names its certificate.
    Each change (the certificate, the connector) is written to the ``journal`` before it is made;
    the updated connector is recorded in the save that removes the entry.

    Raises:
        InvalidInputError: the connector has no consumer key or username, or the new pair does not match.
        OrgApiError: Salesforce refused the certificate (the old one still works).
        RotationIncomplete: the certificate was replaced but a later step failed; says how to finish.
    """
    run = run or Runtime()
    assert new_key.cert_pem is not None
    certificate = load_certificate(new_key.cert_pem)
    check_pair(new_key.key, certificate)
    consumer_key = str(connector.config.get("consumer_key", ""))
    username = str(connector.config.get("username", ""))
    if not consumer_key or not username:
        raise InvalidInputError(f"Connector {connector.id} has no consumer key or username to rotate.")
    record = app or SalesforceAppRecord(app_name=app_name, consumer_key=consumer_key, instance_url="")
    # Refused here, before the journal names a change: a Connected App made elsewhere cannot be redeployed.
    certificate_spec(record, consumer_key=consumer_key, certificate_pem=new_key.cert_pem.decode("ascii"))
    entry = None
    if journal is not None:
        entry = journal.write(
            new_entry(
                RunKind.ROTATION,
                RunStep.CERTIFICATE,
                instance_url=org.instance_url,
                app_name=app_name,
                app_type=record.app_type,
                consumer_key=consumer_key,
                username=username,
                login_url=login_url,
                connector_id=connector.id,
                new_key=new_key_location,
                new_certificate_sha256=fingerprint_sha256(certificate),
                old_certificate_path=old_certificate_path,
            )
        )
    run.progress(StepStarted(Step.CERTIFICATE))
    try:
        replace_certificate(
            org,
            app_name=app_name,
            consumer_key=consumer_key,
            certificate_pem=new_key.cert_pem.decode("ascii"),
            app=record,
        )
    except DeployStatusUnknown as exc:
        # Not a refusal: the org may trust the new certificate now. The entry stays at its step.
        raise RotationIncomplete(
            f"The new certificate's deploy was accepted, but whether it was applied is not known: {exc.message}",
            hint=f"The journal keeps this rotation; finishing it checks which key Salesforce accepts first "
            f"(rotate {connector.id} --auto, or Manage's Finish it). The new key is "
            f"{key_location_words(new_key_location)}. {exc.hint}",
            key_location=new_key_location,
        ) from exc
    except OrgApiError:
        if journal is not None and entry is not None:
            journal.finish(entry)  # refused: the old certificate is still the one in place
        raise
    return switch_connector(
        platform,
        connector=connector,
        new_key=new_key,
        new_key_location=new_key_location,
        old_certificate_path=old_certificate_path,
        keys=keys,
        login_url=login_url,
        my_domain_url=my_domain_url,
        journal=journal,
        entry=entry,
        run=run,
    )


def switch_connector(
    platform: PlatformClient,
    *,
    connector: SourceConnector,
    new_key: KeyBundle,
    new_key_location: str,
    old_certificate_path: str,
    keys: Sequence[KeyRecord],
    login_url: SafeUrl,
    my_domain_url: SafeUrl | None,
    journal: Journal | None,
    entry: JournalEntry | None,
    run: Runtime,
) -> RotationDone:
    """The app trusts the new certificate: prove the new key, switch the connector to it, check it.

    The proof comes right before the update: a connector is only ever switched to a key that
    Salesforce accepts now (a rotation run elsewhere cannot have replaced the certificate since).
    """
    consumer_key = str(connector.config.get("consumer_key", ""))
    username = str(connector.config.get("username", ""))
    finish = (
        f"Salesforce now trusts only the new key ({key_location_words(new_key_location)}); the connector "
        f"{connector.id} still holds its "
        f"old key. To finish: update the connector with the new key, then check it; to go back instead, put the old "
        f"certificate ({old_certificate_path or 'kept beside the old key'}) back on the app."
    )
    try:
        run.progress(StepStarted(Step.LOGIN))
        wait_for_connector_login(
            username=username,
            consumer_key=consumer_key,
            private_key=new_key.key,
            login_url=login_url,
            my_domain_url=my_domain_url,
            run=run,
        )
        if journal is not None and entry is not None:
            entry = journal.step(entry, RunStep.CONNECTOR)
        run.progress(StepStarted(Step.CONNECTOR))
        saved = update_connector(platform, connector.id, UpdateRequest(private_key=new_key.key), keys=list(keys))
    except AppError as exc:
        raise RotationIncomplete(
            f"The rotation stopped after the certificate was replaced: {exc.message}",
            hint=finish,
            key_location=new_key_location,
        ) from exc
    if journal is not None and entry is not None:
        try:
            journal.finish(entry, record=saved)
        except AppError as exc:
            run.progress(
                Notice(f"The connector uses the new key, but this computer could not record it ({exc.message}).")
            )
    run.progress(Record(saved))
    run.progress(StepStarted(Step.CHECK))
    check = platform.run_connection_check(
        connector.id, timeout=run.timings.check_timeout, poll_interval=run.timings.check_poll_interval
    )
    return RotationDone(saved=saved, check=check)


@dataclass(frozen=True)
class RotationRequest:
    """Which connector, where the new key goes, and how it is made."""

    connector_id: str
    #: The folder for the new certificate (and the private key file, when one is written).
    folder: Path
    bits: int = DEFAULT_KEY_SIZE
    #: The External Client App, for a connector whose app this computer did not record.
    app_name: str = ""
    #: The kind of app ``app_name`` is; only an External Client App made elsewhere can have its certificate
    #: replaced.
    app_type: AppType = AppType.ECA
    #: Keep the new private key in the keyring (``secrets``); without it, an owner-only file is written.
    store_key: bool = True
    #: Also write the private key to an owner-only file when it is kept in the keyring.
    write_private_key_file: bool = False
    #: Where the admin signs in and the new key's login is proved; empty: the host the app was set up
    #: through (recorded with it), else the connector's own.
    login_url: SafeUrl | None = None


@dataclass(frozen=True)
class AppAdopted:
    """An app this computer did not create, now recorded (not as created here: removal leaves its permission set)."""

    app: SalesforceAppRecord

    def apply(self, settings: Settings) -> None:
        settings.remember_salesforce_app(self.app)


@dataclass(frozen=True)
class RotationPlan:
    """What :func:`rotate_automatically` is about to do, for the front end to confirm."""

    connector: SourceConnector
    app_name: str

    app_type: str = ECA

    def describe(self) -> str:
        return (
            f"This replaces the certificate of the {app_kind(self.app_type)} {self.app_name} with a new one: the connector's current key stops "
            f"working at once, and the connector {self.connector.name} is switched to the new key right after."
        )


def app_of(
    connector: SourceConnector,
    apps: Sequence[SalesforceAppRecord],
    *,
    app_name: str = "",
    app_type: AppType = AppType.ECA,
) -> SalesforceAppRecord:
    """The app record the connector logs in through (by its consumer key), or one for ``app_name``.

    Raises:
        InvalidInputError: the connector's app was not created here and no app name was given.
    """
    consumer_key = str(connector.config.get("consumer_key", ""))
    record = next((a for a in apps if a.consumer_key == consumer_key), None)
    if app_name:
        name = validate_api_name(app_name)
        if record is not None and record.app_name == name:
            return record
        return SalesforceAppRecord(app_name=name, consumer_key=consumer_key, instance_url="", app_type=app_type)
    if record is None:
        raise InvalidInputError(
            f"The connector {connector.name} ({connector.id}) does not use an app this computer created.",
            hint="Name its External Client App (with the command line's --app-name), or rotate by hand: a new key, "
            "the certificate replaced on the app in Setup, then the connector updated.",
        )
    return record


def rotate_automatically(
    platform: PlatformClient,
    request: RotationRequest,
    sign_in: SignIn,
    *,
    apps: Sequence[SalesforceAppRecord],
    connectors: Sequence[ConnectorRecord],
    keys: Sequence[KeyRecord],
    secrets: Secrets,
    journal: Journal,
    confirm: Callable[[RotationPlan], bool] = lambda plan: True,
    run: Runtime | None = None,
) -> RotationDone | None:
    """The whole automatic rotation. Returns None when ``confirm`` said no (nothing was changed).

    ``secrets`` is where a kept sign-in for the app's org is read from, and where the new private
    key is kept when ``request.store_key`` (else it goes to an owner-only file, which must exist
    before the old key stops working). ``apps``, ``connectors`` and ``keys``
    are a snapshot of the records; nothing here writes them: ``Record`` events say what to record.

    Raises:
        InvalidInputError: the connector's app is unknown here, or a value cannot be used.
        SignInError: the sign-in did not give a session.
        OrgApiError: Salesforce refused the certificate (the old key still works).
        RotationIncomplete: the certificate was replaced but a later step failed; says how to finish.
        PlatformApiError, NetworkError, SecretStoreError, FileRefusedError: as their layers.
    """
    run = run or Runtime()
    connector = platform.get_source(request.connector_id)
    app = app_of(connector, apps, app_name=request.app_name, app_type=request.app_type)
    certificate_spec(app, consumer_key="", certificate_pem="")  # a Connected App made elsewhere: refused now
    # The org's own host, as recorded when the app was made (My Domain, a test login host), unless asked.
    host = request.login_url or app.login_host() or CONNECTOR_LOGIN_URL
    sign_in = replace(sign_in, login_url=sign_in.login_url or host)
    consumer_key = str(connector.config.get("consumer_key", ""))
    with (
        run_lock(f"rotation-{connector.id}", what=f"A rotation of the connector {connector.name}"),
        run_lock(f"rotation-app-{consumer_key}", what=f"A rotation of the app {app.app_name} (another connector's)"),
    ):
        unfinished = next(
            (e for e in journal.unfinished() if e.kind is RunKind.ROTATION and e.connector_id == connector.id), None
        )
        if unfinished is not None:
            run.progress(Notice(describe(unfinished)))
            done = finish_rotation(
                platform, connector, unfinished, keys=keys, secrets=secrets, journal=journal, run=run
            )
            if done is not None:
                return done
        _refuse_shared_app(platform, connector, app)
        if not confirm(RotationPlan(connector=connector, app_name=app.app_name, app_type=app.app_type)):
            return None
        record = next((c for c in connectors if c.id == connector.id), None)
        old_key = next((k for k in keys if record and k.public_key_id == record.public_key_id), None)
        run.progress(StepStarted(Step.NEW_KEY))
        bundle = create_key_bundle(bits=request.bits)
        name = unique_key_name(request.folder, ROTATED_KEY_NAME, stored=secrets.get if request.store_key else None)
        saved_key = save_key_bundle(
            bundle,
            folder=request.folder,
            name=name,
            save_secret=secrets.set if request.store_key else None,
            forget_secret=secrets.delete if request.store_key else None,
            stored=secrets.get,
            write_private_key_file=request.write_private_key_file or not request.store_key,
        )
        run.progress(Record(saved_key))
        admin = admin_session(sign_in, kept=app, read_secret=_quietly(secrets.get), run=run)
        if app not in apps:  # named by the admin, made elsewhere: adopted, so later rotations need no name
            run.progress(
                Record(AppAdopted(replace(app, instance_url=admin.instance_url, org_id=admin.org_id, login_url=host)))
            )
        location = str(saved_key.files.private_key or f"keyring:{name}")
        done = rotate_certificate(
            OrgClient(admin, timings=run.timings),
            platform,
            connector=connector,
            app_name=app.app_name,
            app=app,
            new_key=bundle,
            new_key_location=location,
            old_certificate_path=old_key.certificate_path if old_key else "",
            keys=[*keys, *([saved_key.record] if saved_key.record else [])],
            login_url=host,
            my_domain_url=my_domain_of(admin, host),
            journal=journal,
            run=run,
        )
        return RotationDone(saved=done.saved, check=done.check, key=saved_key)


def _refuse_shared_app(platform: PlatformClient, connector: SourceConnector, app: SalesforceAppRecord) -> None:
    """InvalidInputError, changing nothing, when other connectors log in through the same app: a new
    certificate on it would stop their logins, and this rotation switches only one connector."""
    consumer_key = str(connector.config.get("consumer_key", ""))
    sharing = [
        c
        for c in platform.list_sources()
        if c.id != connector.id and str(c.config.get("consumer_key", "")) == consumer_key
    ]
    if not sharing:
        return
    names = ", ".join(f"{c.name} ({c.id})" for c in sharing)
    raise InvalidInputError(
        f"The {app_kind(app.app_type)} {app.app_name} is also the app of {names}: a new certificate on it would stop "
        f"{'that connector' if len(sharing) == 1 else 'those connectors'} logging in, and a rotation switches one "
        "connector. Nothing was changed.",
        hint="Give each connector an app of its own (set up a new app, then update the connector with its consumer "
        "key), or rotate by hand: one new key, the certificate replaced once on the app, then every connector that "
        "uses it updated with the new key.",
    )


def finish_rotation(
    platform: PlatformClient,
    connector: SourceConnector,
    entry: JournalEntry,
    *,
    keys: Sequence[KeyRecord],
    secrets: Secrets,
    journal: Journal,
    run: Runtime,
) -> RotationDone | None:
    """Finish a rotation that stopped half-way, from its journal entry; None when there is nothing to finish.

    Which key is live is settled by Salesforce itself: the new key's login works only if the app
    now trusts its certificate. Then the connector is switched to it (if it was not already) and
    recorded with it. If Salesforce refuses the new key, the certificate was never replaced: the
    old key is still the live one, the entry goes, and a fresh rotation starts.
    """
    from core.storage.credentials import read_private_key_source

    try:
        text = read_private_key_source(entry.new_key, secrets)
    except AppError as exc:
        raise InvalidInputError(
            f"The earlier rotation's new key ({entry.new_key}) cannot be read: {exc.message}",
            hint="If the app trusts that key's certificate, only that key works now: restore it from a copy, "
            "or put the old certificate back on the app, then rotate again.",
        ) from exc
    new_key = KeyBundle(private_key_pem=text.encode("ascii"), cert_pem=None)
    try:
        # As the rotation itself waits: Salesforce may still be applying the new certificate (finished at once
        # after a stop, the answer is "not yet", not "refused").
        run.progress(StepStarted(Step.LOGIN))
        wait_for_connector_login(
            username=entry.username,
            consumer_key=entry.consumer_key,
            private_key=new_key.key,
            login_url=entry.login_host() or CONNECTOR_LOGIN_URL,
            run=run,
        )
    except SalesforceLoginError as exc:
        if LoginCause(exc.cause) is not LoginCause.WRONG_CERTIFICATE:
            raise
        run.progress(Notice("Salesforce does not take that run's new key: the old key is still the live one."))
        journal.finish(entry)
        return None
    return switch_connector(
        platform,
        connector=connector,
        new_key=new_key,
        new_key_location=entry.new_key,
        old_certificate_path=entry.old_certificate_path,
        keys=keys,
        login_url=entry.login_host() or CONNECTOR_LOGIN_URL,
        my_domain_url=None,
        journal=journal,
        entry=entry,
        run=run,
    )


def _quietly(read: Callable[[str], str | None]) -> Callable[[str], str | None]:
    """A keyring read for something optional (a kept sign-in): no keyring means none kept."""

    def read_or_none(name: str) -> str | None:
        try:
            return read(name)
        except SecretStoreError:
            return None

    return read_or_none
