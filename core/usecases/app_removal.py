"""Removing what the wizard made in an org: an app it recorded, an app it has no record of, and what an
unfinished set-up left (found from its journal entry).

One use case for the three: :func:`choose_removal` picks the target from what the admin named (before any
sign-in), :class:`Removal` says what it will take out of the org, and :func:`remove` signs in (a kept
sign-in first where the app has one), finds what exists now, and removes it with
:func:`core.steps.org_state.undo_setup`. Like the other use cases, nothing here saves settings:
:class:`AppRemoved` says what to record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from core.defaults import CONNECTOR_LOGIN_URL
from core.errors import InvalidInputError
from core.kinds import AppType, RunKind, RunStep
from core.salesforce.metadata import app_kind, validate_api_name
from core.salesforce.org import OrgClient, soql_select
from core.salesforce.signin import refresh_entry
from core.steps.journal import Journal
from core.steps.org_state import app_component_type, app_exists, choose_api_version, one_row, undo_setup
from core.steps.progress import Runtime
from core.storage.settings import JournalEntry, SalesforceAppRecord, Settings
from core.urls import SafeUrl
from core.usecases.admin import SignIn, admin_session


@dataclass(frozen=True)
class AppRemoved:
    """What removing an app left behind (empty: nothing); ``apply`` forgets the app's record once nothing
    of it is left (while something is, the record stays, so that removing it again can finish the job)."""

    consumer_key: str
    left: list[str]

    def apply(self, settings: Settings) -> None:
        if self.left or not self.consumer_key:  # an app found by name, or an unfinished run: nothing recorded
            return
        settings.salesforce_apps = [a for a in settings.salesforce_apps if a.consumer_key != self.consumer_key]
        # and the journal's entry of the run that made it (a field check's, killed)
        settings.journal = [
            e for e in settings.journal if not (e.kind is RunKind.SETUP and e.consumer_key == self.consumer_key)
        ]


def remove_app(org: OrgClient, app: SalesforceAppRecord) -> AppRemoved:
    """Remove an app this tool created: the app itself, and the permission set and its assignment
    when this tool created them (a permission set that existed before is left as it was).

    Raises:
        OrgApiError, NetworkError: before anything was removed (e.g. the session expired).
    """
    version = choose_api_version(org)
    created: list[tuple[str, str]] = []
    if app.created_permission_set:
        found = one_row(org.query(soql_select("Id, Name", "PermissionSet", Name=app.permission_set)))
        if found is not None:
            created.append(("PermissionSet", str(found["Id"])))
            user = one_row(org.query(soql_select("Id, Username, IsActive", "User", Username=app.username)))
            if user is not None:
                for assignment in org.query(
                    soql_select(
                        "Id", "PermissionSetAssignment", AssigneeId=str(user["Id"]), PermissionSetId=str(found["Id"])
                    )
                ):
                    created.append(("PermissionSetAssignment", str(assignment["Id"])))
    if app_exists(org, app.app_name, app.app_type):
        created.append((app_component_type(app.app_type), app.app_name))
    # undo_setup removes newest first: the app, then the assignment, then the permission set.
    return AppRemoved(consumer_key=app.consumer_key, left=undo_setup(org, created, api_version=version))


def leftovers_of(org: OrgClient, entry: JournalEntry) -> list[tuple[str, str]]:
    """What exists in the org now because of an unfinished set-up, oldest first, as ``undo_setup`` takes it.

    What the entry names by id; and what its last step may have made before the id was written
    (the run announced it, then stopped): found by name, since the plan had found none of it.
    """
    found: list[tuple[str, str]] = []
    permission_set_id = entry.permission_set_id
    if not permission_set_id and entry.step is RunStep.PERMISSION_SET and entry.permission_set:
        row = one_row(org.query(soql_select("Id, Name", "PermissionSet", Name=entry.permission_set)))
        permission_set_id = str(row["Id"]) if row else ""
    if permission_set_id:
        found.append(("PermissionSet", permission_set_id))
    assignment_id = entry.assignment_id
    if (
        not assignment_id
        and entry.step in (RunStep.PERMISSION_SET, RunStep.ASSIGNMENT)
        and permission_set_id
        and entry.username
    ):
        user = one_row(org.query(soql_select("Id, Username, IsActive", "User", Username=entry.username)))
        if user is not None:
            row = one_row(
                org.query(
                    soql_select(
                        "Id", "PermissionSetAssignment", AssigneeId=str(user["Id"]), PermissionSetId=permission_set_id
                    )
                )
            )
            assignment_id = str(row["Id"]) if row else ""
    if assignment_id:
        found.append(("PermissionSetAssignment", assignment_id))
    if entry.step is RunStep.APP and app_exists(org, entry.app_name, entry.app_type):
        found.append((app_component_type(entry.app_type), entry.app_name))
    return found


@dataclass(frozen=True)
class Removal:
    """One removal, chosen before anyone signs in: an app this computer recorded (``app``), what an unfinished
    set-up left (``entry``), or an app it has no record of, found by name in the org signed in to."""

    app: SalesforceAppRecord | None = None
    entry: JournalEntry | None = None
    app_name: str = ""
    app_type: AppType = AppType.ECA

    @property
    def name(self) -> str:
        return self.app.app_name if self.app else self.entry.app_name if self.entry else self.app_name

    def describe(self) -> str:
        """What it takes out of the org, in one paragraph (shown before the admin confirms)."""
        from core.steps.journal import describe

        if self.entry is not None:
            return describe(self.entry) + " This removes what it created, and nothing else."
        if self.app is not None:
            app = self.app
            made = (
                f" and the permission set {app.permission_set} this computer created"
                if app.created_permission_set
                else ""
            )
            return (
                f"This deletes the {app_kind(app.app_type)} {app.app_name} from the org at {app.instance_url}{made}. "
                "Connectors that use it stop working."
            )
        return (
            f"No app named {self.app_name} was created here. This deletes the {app_kind(self.app_type)} "
            f"{self.app_name} from the org you sign in to, if it is there (a permission set it uses is left as it "
            "is). Connectors that use it stop working."
        )

    def login_url(self) -> SafeUrl | None:
        """Where the browser signs in: where the app was set up (My Domain, a sandbox), as rotation does."""
        record = self.app or self.entry
        return record.login_host() if record is not None else None


def choose_removal(
    apps: Sequence[SalesforceAppRecord],
    unfinished: Sequence[JournalEntry],
    *,
    app_name: str | None,
    app_type: AppType = AppType.ECA,
) -> Removal:
    """The removal ``app_name`` names: the recorded app of that name (the only one, when no name is given), else
    the unfinished set-up of that name, else an app of that name this computer has no record of.

    Raises:
        InvalidInputError: no name where several (or no) apps are recorded; a name that is not an API name.
    """
    named = [a for a in apps if not app_name or a.app_name == app_name]
    if len(named) == 1:
        return Removal(app=named[0])
    if app_name and not named:
        entry = next((e for e in unfinished if e.kind is RunKind.SETUP and e.app_name == app_name), None)
        if entry is not None:
            return Removal(entry=entry)
        return Removal(app_name=validate_api_name(app_name), app_type=app_type)
    names = ", ".join(sorted({a.app_name for a in apps})) or "none"
    raise InvalidInputError("Name the app to remove with --app-name.", hint=f"Apps this computer created: {names}.")


def remove(
    removal: Removal,
    sign_in: SignIn,
    *,
    journal: Journal,
    read_secret: Callable[[str], str | None] | None = None,
    forget_secret: Callable[[str], object] | None = None,
    run: Runtime | None = None,
) -> AppRemoved:
    """Carry ``removal`` out; what could not be removed is in ``left``.

    Raises:
        SignInError, InvalidInputError: the sign-in did not give a session; no app of that name in the org.
        OrgApiError, NetworkError: before anything was removed (e.g. the session expired).
    """
    run = run or Runtime()
    app, entry = removal.app, removal.entry
    # The browser signs in where the app was set up (My Domain, a sandbox), as rotation does; else the connector's
    # host. Once, whatever the target: a kept sign-in first where the app has one.
    sign_in = replace(sign_in, login_url=sign_in.login_url or removal.login_url() or CONNECTOR_LOGIN_URL)
    org = OrgClient(admin_session(sign_in, kept=app, read_secret=read_secret, run=run), timings=run.timings)
    if app is not None:
        removed = remove_app(org, app)
        if app.sign_in_kept and forget_secret is not None:
            forget_secret(refresh_entry(app.org_id))
        return removed
    version = choose_api_version(org)
    if entry is not None:  # what the unfinished set-up left; once nothing is, its journal entry goes too
        left = undo_setup(org, leftovers_of(org, entry), api_version=version)
        if not left:
            journal.finish(entry)
        return AppRemoved(consumer_key="", left=left)
    # An app this computer has no record of (made elsewhere, or its record lost): the app alone goes (its header;
    # Salesforce deletes its parts whatever their names), since nothing here says a permission set was made for it.
    if not app_exists(org, removal.app_name, removal.app_type):
        raise InvalidInputError(
            f"There is no {app_kind(removal.app_type)} named {removal.app_name} in the org at {org.host}."
        )
    component = (app_component_type(removal.app_type), removal.app_name)
    return AppRemoved(consumer_key="", left=undo_setup(org, [component], api_version=version))
