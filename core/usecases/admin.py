"""The admin's session with the org, however the admin signs in: one use case for both front ends.

Three ways (:class:`SignInWay`): the browser (authorization code with PKCE, Salesforce CLI's
client; the default), a Salesforce CLI login the admin already has (``sf``), or an access token
from the environment with the instance URL. For an app this computer recorded, a sign-in the
admin asked to keep (a refresh token in the keyring) is tried before the browser.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from core.defaults import CONNECTOR_LOGIN_URL, SIGN_IN_CLIENT_ID, SIGN_IN_PORT
from core.errors import InvalidInputError, SignInError
from core.steps.progress import Notice, OpenSignInPage, Runtime, Step, StepStarted
from core.urls import SafeUrl

if TYPE_CHECKING:
    from core.salesforce.org import AdminSession
    from core.storage.settings import SalesforceAppRecord, Settings


class SignInWay(Enum):
    BROWSER = "browser"
    SF_CLI = "sf"
    TOKEN = "token"  # noqa: S105 - the name of a way to sign in, not a secret
    #: Unattended (the scheduled watch): the kept sign-in or nothing; never a browser, never a prompt.
    KEPT_ONLY = "kept-only"


@dataclass(frozen=True)
class SignIn:
    """How the admin signs in, as the front end asked (validated by :meth:`validated`)."""

    way: SignInWay = SignInWay.BROWSER
    #: The login host for the browser sign-in (the connector's own unless the admin chose another;
    #: None: the host recorded with the app, where a use case has one).
    login_url: SafeUrl | None = CONNECTOR_LOGIN_URL
    client_id: str = SIGN_IN_CLIENT_ID
    port: int = SIGN_IN_PORT
    #: SF_CLI: the Salesforce CLI alias or username.
    sf_org: str = ""
    #: TOKEN: the org's instance URL and the access token (from the environment or a password field).
    instance_url: str = ""
    access_token: str = field(default="", repr=False)
    #: BROWSER: ask for a refresh token so that later rotations need no browser (kept in the keyring).
    keep: bool = False

    def validated(self) -> SignIn:
        """Raises InvalidInputError for a combination that cannot work, before anything opens."""
        if self.keep and self.way is not SignInWay.BROWSER:
            raise InvalidInputError(
                "Keeping the sign-in keeps a browser sign-in; with a Salesforce CLI login or an access token "
                "there is none to keep.",
                field="keep_sign_in",
            )
        if self.way is SignInWay.SF_CLI and not self.sf_org.strip():
            raise InvalidInputError("Name the org by its Salesforce CLI alias or username.", field="sf_org")
        if self.way is SignInWay.TOKEN and not self.instance_url.strip():
            raise InvalidInputError("Give the org's instance URL with the access token.", field="instance_url")
        return self


def admin_session(
    sign_in: SignIn,
    *,
    kept: SalesforceAppRecord | None = None,
    read_secret: Callable[[str], str | None] | None = None,
    run: Runtime | None = None,
) -> AdminSession:
    """The admin's session with the org.

    With ``kept`` (an app this computer recorded) and the browser way, a kept sign-in for its org
    is used when there is one; a refused one is said (``Notice``) and the browser opens instead.
    The browser's page is handed to the front end as ``OpenSignInPage``, and to ``run.open_browser``.

    Raises:
        InvalidInputError: the sign-in cannot work as asked (no alias, no token, ``sf`` missing).
        SignInError: denied, abandoned, timed out, the port is busy, or Salesforce refused the token.
        CancelledError: ``run.cancel`` was set while waiting for the browser.
    """
    from core.salesforce import signin

    sign_in = sign_in.validated()
    run = run or Runtime()
    progress = run.progress
    if sign_in.way is SignInWay.TOKEN:
        return signin.session_from_token(instance_url=sign_in.instance_url, access_token=sign_in.access_token)
    if sign_in.way is SignInWay.SF_CLI:
        return signin.session_from_sf_cli(sign_in.sf_org)
    if kept is not None and read_secret is not None:
        try:
            session = signin.kept_session(
                kept,
                read_secret=read_secret,
                login_url=sign_in.login_url or CONNECTOR_LOGIN_URL,
                client_id=sign_in.client_id,
                timeout=run.timings.http_timeout,
            )
        except SignInError as exc:
            if sign_in.way is SignInWay.KEPT_ONLY:
                raise SignInError(
                    f"{exc.message} An unattended run never opens a browser.",
                    hint="Sign in once by hand (rotate the connector from Manage, or setup-salesforce "
                    "--remember-sign-in) to keep a new sign-in.",
                ) from exc
            progress(Notice(f"{exc.message} Signing in through the browser instead."))
            session = None
        if session is not None:
            progress(Notice("Using the kept Salesforce sign-in (forget-org removes it)."))
            return session
    if sign_in.way is SignInWay.KEPT_ONLY:
        raise SignInError(
            "No kept Salesforce sign-in works for this org, and an unattended run never opens a browser.",
            hint="Keep a sign-in once: setup-salesforce --remember-sign-in (or rotate the connector by hand once).",
        )
    progress(StepStarted(Step.SIGN_IN))

    def open_page(url: str) -> bool:
        progress(OpenSignInPage(url))
        return run.open_browser(url)

    return signin.sign_in(
        open_browser=open_page,
        login_url=sign_in.login_url or CONNECTOR_LOGIN_URL,
        client_id=sign_in.client_id,
        port=sign_in.port,
        offline=sign_in.keep,
        timeout=run.timings.sign_in_timeout,
        cancelled=lambda: run.cancel.cancelled,
    )


@dataclass(frozen=True)
class SignInsForgotten:
    """The orgs whose kept sign-in was removed from the keyring; ``apply`` marks their apps so."""

    org_ids: frozenset[str]

    def apply(self, settings: Settings) -> None:
        for app in settings.salesforce_apps:
            if app.org_id in self.org_ids:
                app.sign_in_kept = False


def forget_kept_sign_ins(
    apps: Sequence[SalesforceAppRecord], *, forget_secret: Callable[[str], object], org_id: str = ""
) -> SignInsForgotten:
    """Remove the kept sign-ins (refresh tokens) from the keyring: every org's, or ``org_id``'s only.

    With ``org_id``, its entry is removed even when no record here says it was kept (another run
    or another version may have kept it).
    """
    from core.salesforce.signin import refresh_entry

    kept = {a.org_id for a in apps if a.sign_in_kept and (not org_id or a.org_id == org_id)}
    for org in sorted(kept | ({org_id} if org_id else set())):
        forget_secret(refresh_entry(org))
    return SignInsForgotten(frozenset(kept))
