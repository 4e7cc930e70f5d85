"""Setting Salesforce up for the connector: one use case, in steps both front ends share.

:func:`set_up_salesforce_app` is the whole of it (the CLI's ``setup-salesforce``): sign in,
:func:`prepare_setup` (check the org, change nothing: the plan in plain words), ask the front end
to confirm the plan, then :func:`carry_out_setup` (create, record, keep the sign-in if asked,
prove the connector's login). The wizard calls the two halves itself, one per button, with the
admin's click on *Create* as the confirmation. :mod:`core.usecases.app_removal` removes what was made.

1. :func:`plan_setup` checks everything before anything is created: API version (60.0+), the
   connector's user (exists, active), that the app name is free, and a check-only deploy of
   the package; it returns a :class:`SetupPlan` that says in plain words what will be created.
2. :func:`apply_setup` creates it: a licence-less permission set (reused if it exists), its
   assignment to the connector's user, and the app (an External Client App, or a Connected App) in one deploy with our
   certificate and a consumer key made here. A failure after something was created raises
   :class:`SetupFailed` carrying what was created, for :func:`undo_failed_setup`.
3. :func:`core.steps.login_wait.wait_for_connector_login` polls the connector's own JWT login until Salesforce has
   applied the app, retrying only the answers waiting can fix.

Like :mod:`core.usecases.connectors`, nothing here saves settings: results say what to record,
and what must be recorded before the next step is handed out at once as a ``Record`` event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from core.crypto.keypair import KeyBundle, check_pair, fingerprint_sha256, load_certificate
from core.defaults import CONNECTOR_LOGIN_URL, DEFAULT_APP_NAME
from core.errors import (
    AppAlreadyExists,
    AppError,
    DeployStatusUnknown,
    InvalidInputError,
    OrgApiError,
    PropagationTimeout,
    SetupFailed,
    SetupUncertain,
)
from core.kinds import AppType, IpRelaxation, RunKind, RunStep
from core.salesforce.login import LoginResult
from core.salesforce.metadata import (
    CALLBACK_URL,
    CONNECTED_APP,
    CONNECTED_APP_COMPONENT,
    ECA,
    OAUTH_SCOPES,
    AppSpec,
    a_kind,
    app_package,
    new_consumer_key,
    validate_api_name,
    validate_app_type,
    validate_ip_relaxation,
)
from core.salesforce.org import AdminSession, DeployOutcome, OrgClient, soql_select
from core.salesforce.signin import refresh_entry
from core.steps.journal import Journal, new_entry
from core.steps.login_wait import wait_for_connector_login
from core.steps.org_state import (
    app_component_type,
    app_exists,
    choose_api_version,
    describe_failures,
    one_row,
    undo_setup,
)
from core.steps.progress import (
    Notice,
    Progress,
    Record,
    Runtime,
    Step,
    StepStarted,
    ignore,
)
from core.storage.settings import JournalEntry, SalesforceAppRecord, Settings
from core.urls import SafeUrl
from core.usecases.admin import SignIn, admin_session
from core.validation import validate_username


@dataclass(frozen=True)
class ConnectorUser:
    id: str
    username: str


@dataclass(frozen=True)
class SetupPlan:
    """What :func:`apply_setup` will create. No secret: the consumer key is an identifier."""

    org_host: str
    api_version: str
    user: ConnectorUser
    spec: AppSpec
    permission_set_id: str | None  # None: it will be created
    assignment_exists: bool
    certificate_fingerprint: str
    #: An earlier run of this set-up that stopped half-way (the journal): this one finishes it.
    resumed: JournalEntry | None = None
    #: The app already exists because of that run: it is recorded, nothing is created.
    adopt: bool = False
    #: The app exists and this computer recorded it (a run stopped while waiting for the connector's
    #: login): nothing is created, the wait is made again.
    recorded: SalesforceAppRecord | None = None

    def describe(self) -> list[str]:
        """The plan in plain words, one line per change, for the admin to confirm."""
        spec = self.spec
        lines = [f"In the org at {self.org_host} (API {self.api_version}):"]
        if self.resumed is not None:
            lines.append(f"- finish the set-up started {self.resumed.started_at[:16].replace('T', ' ')} UTC;")
        if self.recorded is not None:
            lines.append(
                f"- the {spec.kind} {spec.name} is already there, made from this computer on "
                f"{self.recorded.created_at[:10] or 'an earlier day'} (consumer key {spec.consumer_key}): create "
                "nothing, wait for the connector's login again."
            )
            return lines
        if self.adopt:
            lines.append(
                f"- the {spec.kind} {spec.name} is already there (that run created it): record it here, create nothing."
            )
            return lines
        if self.permission_set_id is None:
            lines.append(f"- create the permission set {spec.permission_set} (no licence, no other permissions);")
        else:
            lines.append(f"- use the existing permission set {spec.permission_set};")
        if self.assignment_exists:
            lines.append(f"- {self.user.username} already holds it;")
        else:
            lines.append(f"- assign it to {self.user.username};")
        relax = "relaxed" if spec.ip_relaxation == "relax" else "enforced"
        lines += [
            f"- create the {spec.kind} {spec.name} ({spec.label}) with the certificate {self.certificate_fingerprint[:23]}...,",
            f"  OAuth scopes {spec.scopes}, callback {CALLBACK_URL}, a new consumer key,",
            f"  users: admin-approved users are pre-authorised through {spec.permission_set}; IP restrictions {relax}.",
        ]
        return lines


@dataclass(frozen=True)
class SetupResult:
    """What was made; ``apply`` records it (no secret) so Manage can show, rotate and remove it."""

    consumer_key: str
    app_name: str
    org_host: str
    org_id: str
    instance_url: str
    username: str
    permission_set: str
    created: list[tuple[str, str]] = field(default_factory=list)
    sign_in_kept: bool = False
    login_url: str = ""
    app_type: AppType = AppType.ECA
    ip_relaxation: str = ""
    contact_email: str = ""
    #: When the app was made (a run that finds its own app keeps the first date); "" for now.
    created_at: str = ""
    #: The connector's first login is still to be proved (see SalesforceAppRecord.login_pending).
    login_pending: bool = False

    def apply(self, settings: Settings) -> None:
        settings.remember_salesforce_app(
            SalesforceAppRecord(
                app_name=self.app_name,
                consumer_key=self.consumer_key,
                instance_url=self.instance_url,
                org_id=self.org_id,
                username=self.username,
                permission_set=self.permission_set,
                created_permission_set=any(kind == "PermissionSet" for kind, _ in self.created),
                created_at=self.created_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                sign_in_kept=self.sign_in_kept,
                login_url=self.login_url,
                app_type=self.app_type,
                ip_relaxation=self.ip_relaxation,
                contact_email=self.contact_email,
                login_pending=self.login_pending,
            )
        )


def contact_email(admin: AdminSession, connector_username: str) -> str:
    """The app's contact e-mail: the signed-in admin's username when it is one, else the connector user's."""
    return admin.username if "@" in admin.username else connector_username


def my_domain_of(admin: AdminSession, login_url: SafeUrl) -> SafeUrl | None:
    """The org's own host to probe when login.salesforce.com keeps refusing (None when it is the same)."""
    return admin.instance_url if admin.instance_url != login_url else None


def find_connector_user(org: OrgClient, username: str) -> ConnectorUser:
    """Raises InvalidInputError if the user does not exist or is inactive."""
    name = validate_username(username)
    found = one_row(org.query(soql_select("Id, Username, IsActive", "User", Username=name)))
    if found is None:
        raise InvalidInputError(
            f"There is no user '{name}' in this org.",
            field="username",
            hint="Enter the connector user's Salesforce username exactly (it looks like an e-mail address).",
        )
    if not found.get("IsActive"):
        raise InvalidInputError(
            f"The user '{name}' is inactive.",
            field="username",
            hint="Activate the user in Setup > Users, or choose another one.",
        )
    return ConnectorUser(id=str(found["Id"]), username=name)


#: What Salesforce's refusal to create a Connected App says (since Spring '26 orgs need Support to allow it).
_CREATION_BLOCKED = ("support", "can't create", "cannot create", "not allowed", "disabled", "no longer")


def connected_apps_blocked(outcome: DeployOutcome) -> bool:
    """Whether a failed deploy is the org refusing to create Connected Apps at all."""
    return any(
        f.component_type == CONNECTED_APP_COMPONENT[0]
        and "consumer key" not in f.problem.lower()
        and any(words in f.problem.lower() for words in _CREATION_BLOCKED)
        for f in outcome.failures
    )


def refused_app(outcome: DeployOutcome, spec: AppSpec, *, nothing_changed: bool) -> OrgApiError:
    """The deploy's refusal as a sentence; the org's block on new Connected Apps gets its own, with the way out."""
    unchanged = " Nothing was changed." if nothing_changed else ""
    if spec.app_type == CONNECTED_APP:
        said = describe_failures(outcome)
        if any("cannot provide a consumer key" in f.problem.lower() for f in outcome.failures):
            return OrgApiError(
                "This org does not let the wizard give a new Connected App its consumer key through the Metadata "
                f"API (Salesforce says: {said}), and the connector's key must be known to the wizard.",
                status=200,
                code="CONSUMER_KEY_REFUSED",
                hint="Use an External Client App (the default), or create the Connected App in Setup with the "
                "checklist (I'll create it myself)." + unchanged,
            )
        if connected_apps_blocked(outcome):
            return OrgApiError(
                f"This org does not allow new Connected Apps (Salesforce says: {said}). Since Spring '26, orgs "
                "cannot create Connected Apps, in Setup or through the Metadata API, unless Salesforce Support "
                "turns it back on.",
                status=200,
                code="CONNECTED_APPS_BLOCKED",
                hint="Use an External Client App (the default), or ask Salesforce Support to allow creating "
                "Connected Apps in this org." + unchanged,
            )
    return OrgApiError(
        f"Salesforce would not accept the {spec.kind}: {describe_failures(outcome)}.",
        status=200,
        hint="Nothing was changed. Fix what it names (or use the checklist instead), then try again."
        if nothing_changed
        else "",
    )


def plan_setup(
    org: OrgClient,
    *,
    username: str,
    certificate_pem: str,
    contact_email: str,
    app_name: str = DEFAULT_APP_NAME,
    ip_relaxation: IpRelaxation = IpRelaxation.ENFORCE,
    resumed: JournalEntry | None = None,
    app_type: AppType = AppType.ECA,
    recorded: SalesforceAppRecord | None = None,
) -> SetupPlan:
    """Check the org and return the plan, changing nothing.

    Raises:
        InvalidInputError: bad input, API too old, user missing or inactive.
        AppAlreadyExists: the app name is taken (rotate its certificate instead, or choose another name).
        OrgApiError: Salesforce refused (e.g. the admin may not deploy metadata), with its words.
        NetworkError: the org could not be reached.
    """
    name = validate_api_name(app_name)
    fingerprint = fingerprint_sha256(load_certificate(certificate_pem))
    version = choose_api_version(org)
    user = find_connector_user(org, username)
    exists = app_exists(org, name, app_type)
    # The app is there because of this computer (a run it journaled, or one it recorded before the login was
    # proved): adopt it, create nothing.
    ours: JournalEntry | SalesforceAppRecord | None = None
    if resumed is not None and resumed.consumer_key:
        ours = resumed
    elif resumed is None:
        ours = recorded
    if exists and ours is not None:
        kept = ours if isinstance(ours, SalesforceAppRecord) else None
        spec = AppSpec(
            name=name,
            label=name.replace("_", " "),
            contact_email=(kept.contact_email if kept else "") or contact_email,
            certificate_pem=certificate_pem,
            consumer_key=ours.consumer_key,
            permission_set=ours.permission_set or f"{name}_Users",
            ip_relaxation=(kept.ip_relaxation if kept else "") or ip_relaxation,
            scopes=OAUTH_SCOPES,
            app_type=app_type,
        )
        return SetupPlan(
            org_host=org.host,
            api_version=version,
            user=user,
            spec=spec,
            permission_set_id=(resumed.permission_set_id if resumed is not None else "") or None,
            assignment_exists=True,
            certificate_fingerprint=fingerprint,
            resumed=resumed,
            adopt=True,
            recorded=kept,
        )
    if exists:
        raise AppAlreadyExists(
            f"{a_kind(app_type)[0].upper()}{a_kind(app_type)[1:]} named {name} already exists in this org.",
            field="app_name",
            hint="Choose another app name to make another app; to give that one a new certificate, rotate the "
            "key of its connector instead.",
        )
    permission_set = f"{name}_Users"
    found = one_row(org.query(soql_select("Id, Name", "PermissionSet", Name=permission_set)))
    permission_set_id = str(found["Id"]) if found else None
    assigned = bool(
        permission_set_id
        and org.query(
            soql_select("Id", "PermissionSetAssignment", AssigneeId=user.id, PermissionSetId=permission_set_id)
        )
    )
    if resumed is not None:
        resumed = _what_the_killed_run_made(org, resumed, permission_set_id, user.id)
    spec = AppSpec(
        name=name,
        label=name.replace("_", " "),
        contact_email=contact_email,
        certificate_pem=certificate_pem if isinstance(certificate_pem, str) else certificate_pem.decode(),
        # A resumed run deploys the consumer key it announced: the journal already names it.
        consumer_key=resumed.consumer_key if resumed is not None and resumed.consumer_key else new_consumer_key(),
        permission_set=permission_set,
        ip_relaxation=ip_relaxation,
        scopes=OAUTH_SCOPES,
        app_type=app_type,
    )
    # The check-only deploy validates the exact package; while the permission set does not exist yet,
    # the policy cannot name it, so that one reference is left out of the check.
    checked = spec if permission_set_id else replace(spec, permission_set="")
    outcome = org.deploy(app_package(checked, api_version=version), check_only=True)
    if not outcome.success:
        raise refused_app(outcome, spec, nothing_changed=True)
    return SetupPlan(
        org_host=org.host,
        api_version=version,
        user=user,
        spec=spec,
        permission_set_id=permission_set_id,
        assignment_exists=assigned,
        certificate_fingerprint=fingerprint,
        resumed=resumed,
    )


def apply_setup(
    org: OrgClient,
    plan: SetupPlan,
    *,
    org_id: str = "",
    progress: Progress = ignore,
    journal: Journal | None = None,
    login_url: str = "",
    keep_entry: bool = False,
    login_pending: bool = False,
) -> SetupResult:
    """Create what the plan says, writing each step to the ``journal`` before it is taken.

    ``login_pending``: the connector's login is to be proved next, so the app is recorded as waiting for it in
    the very save that records it (a kill before the wait lets a run of the same set-up finish the wait).

    ``keep_entry``: the result is recorded and the entry stays (the field check's app exists only
    until the check removes it; until then the next start names it).

    The finished result is recorded through the journal (with the entry removed in the same
    save); a failure leaves the entry, which says what exists in the org because of this run.
    A resumed plan continues its earlier run's entry, so what that run created counts as created
    here (and is removed with the app later).

    Raises:
        SetupFailed: a step failed after an earlier one changed the org (``created`` says what).
        OrgApiError, NetworkError: the first step failed; nothing was created.
        AppError: the journal could not be written; the change it announced was not made.
    """
    spec = plan.spec
    entry = plan.resumed
    created: list[tuple[str, str]] = []
    if entry is not None:
        created += [("PermissionSet", entry.permission_set_id)] if entry.permission_set_id else []
        created += [("PermissionSetAssignment", entry.assignment_id)] if entry.assignment_id else []

    def intend(step: RunStep, **made: str) -> None:
        """The journal says what is about to happen (and what the last step made) before it happens."""
        nonlocal entry
        if journal is None:
            return
        if entry is None:
            entry = new_entry(
                RunKind.SETUP,
                step,
                instance_url=org.instance_url,
                org_id=org_id,
                app_name=spec.name,
                app_type=spec.app_type,
                consumer_key=spec.consumer_key,
                username=plan.user.username,
                login_url=login_url,
                permission_set=spec.permission_set,
                **made,
            )
            entry = journal.write(entry)
        elif entry.step != step or made:
            entry = journal.step(entry, step, **made)

    def failed(exc: AppError, step: str) -> AppError:
        if not created:
            if entry is not None and journal is not None and isinstance(exc, OrgApiError):
                journal.finish(entry)  # refused: nothing of this run exists
            return exc
        return SetupFailed(
            f"{step} failed: {exc.message}",
            created=list(created),
            hint="What this run created can be removed again (undo), or left for a later attempt.",
            journal_entry=entry,
        )

    def result() -> SetupResult:
        return SetupResult(
            consumer_key=spec.consumer_key,
            app_name=spec.name,
            org_host=plan.org_host,
            org_id=org_id,
            instance_url=org.instance_url,
            username=plan.user.username,
            permission_set=spec.permission_set,
            created=list(created),
            login_url=login_url,
            app_type=spec.app_type,
            ip_relaxation=spec.ip_relaxation,
            contact_email=spec.contact_email,
            login_pending=login_pending,
        )

    def finish(done: SetupResult) -> SetupResult:
        """The result recorded and the entry gone, in one save; a save that fails is said, and the entry stays."""
        if journal is not None and entry is not None:
            try:
                if keep_entry:
                    journal.keep(entry, record=done)
                else:
                    journal.finish(entry, record=done)
            except AppError as exc:
                progress(
                    Notice(
                        f"The {spec.kind} {spec.name} is created, but this computer could not record it ({exc.message}). "
                        "The journal written before the deploy still names it: once the disk has room, run the "
                        f"set-up of {spec.name} again to record it, or remove it."
                    )
                )
        return done

    app_component = (app_component_type(spec.app_type), spec.name)
    if plan.recorded is not None:
        if plan.recorded.created_permission_set:
            created.append(("PermissionSet", spec.permission_set))
        created.append(app_component)
        return replace(result(), created_at=plan.recorded.created_at, sign_in_kept=plan.recorded.sign_in_kept)
    if plan.adopt:
        created.append(app_component)
        return finish(result())
    try:
        progress(StepStarted(Step.PERMISSION_SET))
        permission_set_id = plan.permission_set_id
        if permission_set_id is None:
            intend(RunStep.PERMISSION_SET)
            permission_set_id = org.create(
                "PermissionSet",
                {
                    "Name": spec.permission_set,
                    "Label": spec.permission_set.replace("_", " "),
                    "Description": f"Users the {spec.kind} {spec.name} admits (pre-authorised).",
                },
            )
            created.append(("PermissionSet", permission_set_id))
            intend(RunStep.ASSIGNMENT, permission_set_id=permission_set_id)
        progress(StepStarted(Step.ASSIGNMENT))
        if not plan.assignment_exists:
            intend(RunStep.ASSIGNMENT)
            try:
                assignment = org.create(
                    "PermissionSetAssignment", {"AssigneeId": plan.user.id, "PermissionSetId": permission_set_id}
                )
                created.append(("PermissionSetAssignment", assignment))
                intend(RunStep.APP, assignment_id=assignment)
            except OrgApiError as exc:
                if exc.code != "DUPLICATE_VALUE":  # assigned meanwhile: what we wanted
                    raise
    except AppError as exc:
        raise failed(exc, "Preparing the connector's user") from exc
    progress(StepStarted(Step.APP))
    try:
        intend(RunStep.APP)
        outcome = org.deploy(app_package(spec, api_version=plan.api_version))
    except DeployStatusUnknown as exc:
        if _found(org, spec):  # the deploy is all or nothing: the app is there, so all of it is
            created.append(app_component)
            return finish(result())
        raise SetupUncertain(
            f"Creating the {spec.kind} {spec.name}: {exc.message} It is not in the org yet. Nothing was removed"
            + (f" (this run also created {', '.join(kind for kind, _ in created)})" if created else "")
            + ": this computer keeps the set-up in its journal.",
            hint=f"Run the same set-up again in a few minutes: it finds the {spec.kind} if Salesforce made it and "
            f"finishes. {exc.hint} To remove what it created instead: Manage > Advanced > Remove app, or "
            f"remove-salesforce-app --app-name {spec.name}.",
            journal_entry=entry,
        ) from exc
    except AppError as exc:
        raise failed(exc, f"Creating the {spec.kind}") from exc
    if not outcome.success:
        refusal = refused_app(outcome, spec, nothing_changed=not created)
        if refusal.code == "CONNECTED_APPS_BLOCKED":
            raise failed(refusal, f"Creating the {spec.kind}") from None
        raise failed(OrgApiError(describe_failures(outcome), status=200), f"Creating the {spec.kind}")
    created.append(app_component)
    return finish(result())


def _what_the_killed_run_made(
    org: OrgClient, entry: JournalEntry, permission_set_id: str | None, user_id: str
) -> JournalEntry:
    """``entry`` with what its run created and had no time to write down (killed between the request and the next step).

    The journal names a step before taking it, and only a step the run meant to take: a permission
    set (or an assignment) that exists now while the entry stopped at creating it was made by that run.
    """
    if entry.step is RunStep.PERMISSION_SET and permission_set_id and not entry.permission_set_id:
        entry = replace(entry, permission_set_id=permission_set_id)
    if entry.step is RunStep.ASSIGNMENT and permission_set_id and not entry.assignment_id:
        rows = org.query(
            soql_select("Id", "PermissionSetAssignment", AssigneeId=user_id, PermissionSetId=permission_set_id)
        )
        if rows and rows[0].get("Id"):
            entry = replace(entry, assignment_id=str(rows[0]["Id"]))
    return entry


def _found(org: OrgClient, spec: AppSpec) -> bool:
    """Whether the app is in the org now; False also when the org cannot be asked (then it is not known)."""
    try:
        return app_exists(org, spec.name, spec.app_type)
    except AppError:
        return False


# --- the whole set-up ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SetupRequest:
    """What the admin asked for, validated at the front end's edge by :meth:`validated`."""

    username: str
    #: The certificate the app will trust (PEM).
    certificate_pem: str
    #: The key pair, when the private key is known here: it proves the connector's login at the end.
    key: KeyBundle | None = None
    app_name: str = DEFAULT_APP_NAME
    ip_relaxation: IpRelaxation = IpRelaxation.ENFORCE
    #: Where the connector's login is proved (the connector's own host unless the admin diagnoses another).
    login_url: SafeUrl = CONNECTOR_LOGIN_URL
    #: An External Client App (the default) or a Connected App (the fallback).
    app_type: AppType = AppType.ECA

    def validated(self) -> SetupRequest:
        """Raises InvalidInputError (with its ``field``) or KeyMismatchError before any request."""
        certificate = load_certificate(self.certificate_pem)
        if self.key is not None:
            check_pair(self.key.key, certificate)
        return replace(
            self,
            username=validate_username(self.username),
            app_name=validate_api_name(self.app_name),
            app_type=validate_app_type(self.app_type),
            ip_relaxation=validate_ip_relaxation(self.ip_relaxation),
        )


#: What a Connected App set up beside an External Client App of the same name is called (names are one
#: namespace in an org, and the External Client App keeps its own).
CONNECTED_APP_SUFFIX = "_CA"


def connected_app_name(app_name: str) -> str:
    """The Connected App's name beside the External Client App ``app_name`` (40 characters at most)."""
    return f"{app_name[: 40 - len(CONNECTED_APP_SUFFIX)]}{CONNECTED_APP_SUFFIX}"


def connected_app_fallback(request: SetupRequest, error: BaseException) -> SetupRequest | None:
    """The Connected App to set up instead, when ``error`` says the External Client App ``request`` made answers
    at My Domain only (its login wait ran out there while login.salesforce.com kept refusing): a Connected App
    serves login.salesforce.com. None when that is not what happened. Both front ends offer it."""
    if isinstance(error, PropagationTimeout) and error.my_domain_works and request.app_type == ECA:
        return replace(request, app_type=CONNECTED_APP, app_name=connected_app_name(request.app_name))
    return None


def beside_recorded_eca(request: SetupRequest, apps: Sequence[SalesforceAppRecord]) -> SetupRequest:
    """A Connected App asked for under the name of an External Client App this computer set up takes the
    ``_CA`` name, as the fallback does (the External Client App keeps its own)."""
    if request.app_type == CONNECTED_APP and any(a.app_type == ECA and a.app_name == request.app_name for a in apps):
        return replace(request, app_name=connected_app_name(request.app_name))
    return request


@dataclass(frozen=True)
class PreparedSetup:
    """Signed in, the org checked, nothing changed yet: what :func:`carry_out_setup` needs."""

    admin: AdminSession
    org: OrgClient
    plan: SetupPlan


@dataclass(frozen=True)
class SetupOutcome:
    """The app made (already handed out as a ``Record``), and the connector's login once it works."""

    result: SetupResult
    #: None when the request had no private key to prove the login with.
    login: LoginResult | None


def resumable(journal: Journal, app_name: str, org: OrgClient, app_type: str = ECA) -> JournalEntry | None:
    """The unfinished set-up of ``app_name`` in this org that a new run of it finishes, if any."""
    return next(
        (
            e
            for e in journal.unfinished()
            if e.kind is RunKind.SETUP
            and e.app_name == app_name
            and e.app_type == app_type
            and e.instance_url in ("", org.instance_url)
        ),
        None,
    )


def prepare_setup(
    request: SetupRequest,
    sign_in: SignIn,
    *,
    journal: Journal | None = None,
    run: Runtime | None = None,
) -> PreparedSetup:
    """Sign in and check the org; change nothing.

    Raises:
        SignInError, InvalidInputError, AppAlreadyExists, OrgApiError, NetworkError, CancelledError.
    """
    run = run or Runtime()
    admin = admin_session(sign_in, run=run)
    run.cancel.check("Stopped before anything was created.")
    run.progress(StepStarted(Step.CHECK_ORG))
    org = OrgClient(admin, timings=run.timings)
    return PreparedSetup(admin=admin, org=org, plan=_plan(org, admin, request, journal))


def plan_again(prepared: PreparedSetup, request: SetupRequest, *, journal: Journal | None = None) -> PreparedSetup:
    """The same signed-in session, a new plan for ``request`` (e.g. a Connected App after the External
    Client App served only My Domain): no second sign-in; nothing is changed.

    Raises:
        As :func:`plan_setup` (an expired session: OrgApiError saying to sign in again).
    """
    return replace(prepared, plan=_plan(prepared.org, prepared.admin, request, journal))


def _plan(org: OrgClient, admin: AdminSession, request: SetupRequest, journal: Journal | None) -> SetupPlan:
    return plan_setup(
        org,
        username=request.username,
        certificate_pem=request.certificate_pem,
        contact_email=contact_email(admin, request.username),
        app_name=request.app_name,
        ip_relaxation=request.ip_relaxation,
        resumed=resumable(journal, request.app_name, org, request.app_type) if journal is not None else None,
        app_type=request.app_type,
        recorded=_recorded(journal, request, org, admin) if journal is not None else None,
    )


def _recorded(
    journal: Journal, request: SetupRequest, org: OrgClient, admin: AdminSession
) -> SalesforceAppRecord | None:
    """This computer's record of the app ``request`` names in this org, made by a run that stopped before the
    connector's login was proved."""
    return next(
        (
            a
            for a in Settings.load(journal.path).salesforce_apps
            if a.login_pending
            and a.app_name == request.app_name
            and a.app_type == request.app_type
            and (a.instance_url == org.instance_url or (admin.org_id and a.org_id == admin.org_id))
        ),
        None,
    )


def carry_out_setup(
    prepared: PreparedSetup,
    request: SetupRequest,
    *,
    journal: Journal | None = None,
    keep_secret: Callable[[str, str], None] | None = None,
    run: Runtime | None = None,
) -> SetupOutcome:
    """Create what the plan says, have it recorded, keep the sign-in if asked, then prove the login.

    The app is handed out as ``Record`` the moment it exists, before the sign-in is kept or the
    login polled, so that no later failure can leave it unknown to this computer. A sign-in the
    keyring refuses to keep is said (``Notice``); the app stays recorded.

    Raises:
        SetupFailed: a step failed after an earlier one changed the org (``created`` says what).
        OrgApiError, NetworkError: the first step failed; nothing was created.
        PropagationTimeout, SalesforceLoginError, CancelledError: while proving the login; the app is recorded.
    """
    run = run or Runtime()
    progress = run.progress
    admin = prepared.admin
    result = apply_setup(
        prepared.org,
        prepared.plan,
        org_id=admin.org_id,
        progress=progress,
        journal=journal,
        login_url=admin.login_url or request.login_url,
        login_pending=request.key is not None,
    )
    progress(Record(result))
    if admin.refresh_token and admin.org_id and keep_secret is not None:
        try:
            keep_secret(refresh_entry(admin.org_id), admin.refresh_token)
        except AppError as exc:
            progress(Notice(f"The sign-in could not be kept ({exc.message}); rotations will ask you to sign in."))
        else:
            result = replace(result, sign_in_kept=True, login_url=admin.login_url or result.login_url)
            progress(Record(result))
            progress(Notice("Kept the Salesforce sign-in in your keyring for later rotations (forget-org removes it)."))
    elif keep_secret is not None:
        progress(Notice("Salesforce gave no sign-in to keep; rotations will ask you to sign in again."))
    if request.key is None:
        return SetupOutcome(result=result, login=None)
    progress(StepStarted(Step.LOGIN))
    login = wait_for_connector_login(
        username=result.username,
        consumer_key=result.consumer_key,
        private_key=request.key.key,
        login_url=request.login_url,
        my_domain_url=my_domain_of(admin, request.login_url),
        run=run,
    )
    result = replace(result, login_pending=False)
    progress(Record(result))
    return SetupOutcome(result=result, login=login)


def wait_again_for_login(
    app: SalesforceAppRecord, private_key: RSAPrivateKey, *, fallback_login_url: SafeUrl, run: Runtime | None = None
) -> LoginResult:
    """*Wait again* for the connector's first login through an app this computer set up, after a wait that ran
    out: at the host the app was set up with (else ``fallback_login_url``), as the set-up's own wait does."""
    return wait_for_connector_login(
        username=app.username,
        consumer_key=app.consumer_key,
        private_key=private_key,
        login_url=app.login_host() or fallback_login_url,
        run=run,
    )


def undo_failed_setup(prepared: PreparedSetup, failure: SetupFailed, *, journal: Journal | None = None) -> list[str]:
    """Remove what a failed :func:`carry_out_setup` created; returns what could not be removed.

    Once nothing is left, the run's journal entry goes too."""
    left = undo_setup(prepared.org, failure.created, api_version=prepared.plan.api_version)
    entry = failure.journal_entry
    if not left and journal is not None and isinstance(entry, JournalEntry):
        journal.finish(entry)
    return left


def set_up_salesforce_app(
    request: SetupRequest,
    sign_in: SignIn,
    *,
    confirm: Callable[[SetupPlan], bool],
    undo: Callable[[SetupFailed], bool] = lambda failure: False,
    journal: Journal | None = None,
    keep_secret: Callable[[str, str], None] | None = None,
    run: Runtime | None = None,
) -> SetupOutcome | None:
    """The whole set-up: sign in, check the org, ``confirm(plan)``, create, prove the connector's login.

    Returns None when ``confirm`` said no (nothing was created). When creating fails half-way,
    ``undo(failure)`` decides whether what this run created is removed again.

    Raises:
        SetupFailed: with ``left`` set when an undo was made (empty: nothing of this run is left).
        As :func:`prepare_setup`, then as :func:`carry_out_setup`.
    """
    prepared = prepare_setup(request, sign_in, journal=journal, run=run)
    if not confirm(prepared.plan):
        return None
    try:
        return carry_out_setup(prepared, request, journal=journal, keep_secret=keep_secret, run=run)
    except SetupFailed as failure:
        if undo(failure):
            failure.left = undo_failed_setup(prepared, failure, journal=journal)
        raise
