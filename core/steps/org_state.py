"""What is in the org, and taking out what a run put there: the look-ups and the undo that the set-up,
rotation, removal and the field check share.

:func:`app_exists` and :func:`choose_api_version` ask the org; :func:`undo_setup` removes a list of
components (newest first) and says what it could not remove. Nothing here signs in or records.
"""

from __future__ import annotations

from core.errors import AppError, InvalidInputError, OrgApiError
from core.salesforce.metadata import (
    CONNECTED_APP,
    CONNECTED_APP_COMPONENT,
    ECA,
    MIN_API_VERSION,
    app_kind,
    removal_package,
)
from core.salesforce.org import DeployOutcome, OrgClient, soql_select


def one_row(records: list[dict[str, object]]) -> dict[str, object] | None:
    return records[0] if records else None


def app_exists(org: OrgClient, name: str, app_type: str = ECA) -> bool:
    """Whether the org has an app of that kind and API name.

    A Connected App is found by its name (``ConnectedApplication.Name``, the name Setup shows), which
    the wizard makes from the API name: either spelling counts, so an app of that name made in
    Setup is not overwritten by a deploy (a deploy of an existing Connected App updates it).

    Raises:
        OrgApiError: the org does not offer External Client Apps to the API (INVALID_TYPE), as a sentence.
    """
    if app_type == CONNECTED_APP:
        return any(
            one_row(org.query(soql_select("Id, Name", "ConnectedApplication", Name=spelling)))
            for spelling in dict.fromkeys((name, name.replace("_", " ")))
        )
    try:
        return bool(
            one_row(org.query(soql_select("Id, DeveloperName", "ExternalClientApplication", DeveloperName=name)))
        )
    except OrgApiError as exc:
        if exc.code != "INVALID_TYPE":
            raise
        raise OrgApiError(
            "This org does not offer External Client Apps to the API (Salesforce answers INVALID_TYPE for "
            "ExternalClientApplication), so the wizard cannot create or find the app there.",
            status=exc.status,
            code=exc.code,
            hint="Turn External Client Apps on in Setup (External Client App Settings), or let the wizard create a "
            "Connected App instead (the command line's --app-type connected-app), or use the checklist (I'll create "
            "it myself).",
        ) from exc


def choose_api_version(org: OrgClient) -> str:
    """The org's newest API version; raises InvalidInputError below 60.0 (ECA certificates need it)."""
    versions = org.api_versions()
    if not versions or float(versions[-1]) < MIN_API_VERSION:
        newest = versions[-1] if versions else "unknown"
        raise InvalidInputError(
            f"This org's newest API version is {newest}; setting up an External Client App with a certificate "
            f"needs {MIN_API_VERSION:.1f} or later.",
            hint="Use the checklist (I'll create it myself) instead.",
        )
    org.api_version = versions[-1]
    return versions[-1]


def describe_failures(outcome: DeployOutcome) -> str:
    """One sentence per failed component: which one, and Salesforce's words."""
    parts = [f"{f.component_type or 'package'} {f.full_name}: {f.problem}".strip() for f in outcome.failures]
    if outcome.error_message:
        parts.append(outcome.error_message)
    return "; ".join(parts) or f"the deploy ended {outcome.status or 'without success'}"


def app_component_type(app_type: str) -> str:
    """The Metadata type that is the app itself (what ``undo_setup`` removes it by)."""
    return CONNECTED_APP_COMPONENT[0] if app_type == CONNECTED_APP else "ExternalClientApplication"


def app_type_of(component_type: str) -> str:
    return CONNECTED_APP if component_type == CONNECTED_APP_COMPONENT[0] else ECA


def undo_setup(org: OrgClient, created: list[tuple[str, str]], *, api_version: str) -> list[str]:
    """Remove what a run created, newest first; returns what could not be removed (empty: all gone)."""
    left: list[str] = []
    for kind, ident in reversed(created):
        try:
            if kind in ("ExternalClientApplication", CONNECTED_APP_COMPONENT[0]):
                app_type = app_type_of(kind)
                removal = removal_package(ident, api_version=api_version, app_type=app_type)
                outcome = org.deploy(removal, ignore_warnings=True)
                if not outcome.success:
                    left.append(f"the {app_kind(app_type)} {ident} ({describe_failures(outcome)})")
            else:
                org.delete(kind, ident)
        except AppError as exc:
            left.append(f"{kind} {ident} ({exc.message})")
    return left
