"""The one exception family of the application.

Every message is a sentence an admin can act on. No message ever contains a
secret: callers pass descriptions of values, never the values themselves.
"""

from __future__ import annotations

from core.text import printable, server_text


class AppError(Exception):
    """Base of every expected failure. ``str(exc)`` is the user-facing message."""

    #: Exit code the CLI uses for this kind of failure.
    exit_code = 1

    def __init__(self, message: str, *, hint: str = "") -> None:
        # Messages carry servers' words: no control character of theirs reaches a terminal or a label.
        message, hint = printable(message, keep_newlines=True), printable(hint, keep_newlines=True)
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class InvalidInputError(AppError):
    """Something the user typed or chose is wrong; detected before any network call."""

    exit_code = 2

    def __init__(self, message: str, *, field: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.field = field


class KeyMaterialError(InvalidInputError):
    """A key, certificate or CSR cannot be used."""


class EncryptedKeyError(KeyMaterialError):
    """The private key is protected by a passphrase (or the passphrase was wrong)."""


class KeyMismatchError(KeyMaterialError):
    """The private key and the certificate do not belong together."""


class FileRefusedError(InvalidInputError):
    """A file would be overwritten, or cannot be written where asked."""


class SecretStoreError(AppError):
    """The OS keyring is missing, locked or refused the operation."""


class NetworkError(AppError):
    """A service could not be reached, or did not answer in time."""


class DeployStatusUnknown(NetworkError):
    """Salesforce accepted a deploy, and then its status could not be read: it may have been applied.

    Never a refusal: whoever made the deploy must keep what it knows (its journal entry) and look
    before undoing or finishing. ``deploy_id`` is Salesforce's id of it (Setup > Deployment Status)."""

    def __init__(self, message: str, *, deploy_id: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.deploy_id = deploy_id


class SalesforceLoginError(AppError):
    """Salesforce refused the JWT bearer login.

    ``error`` and ``description`` are Salesforce's own words; ``fix`` says what to do; ``cause``
    is the value of a ``core.salesforce.login.LoginCause``, what callers decide on.
    """

    def __init__(self, *, error: str, description: str, fix: str, status: int = 400, cause: str = "unexpected") -> None:
        error, description = server_text(error, 100), server_text(description)
        words = f"{error}: {description}" if description else error
        super().__init__(f"Salesforce refused the login ({words}).", hint=fix)
        self.error = error
        self.description = description
        self.fix = fix
        self.status = status
        self.cause = cause


class PlatformApiError(AppError):
    """The Unstructured Platform API answered with an error."""

    def __init__(
        self, message: str, *, status: int | None = None, hint: str = "", fields: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        #: The request fields the API named in its error body (e.g. ``("config", "categories")``).
        self.fields = fields


class ApiKeyRefusedError(PlatformApiError):
    """HTTP 401: the Unstructured API key is missing or invalid."""


class ConnectorNotFoundError(PlatformApiError):
    """HTTP 404 for a connector id."""


class RedirectRefusedError(NetworkError):
    """A server answered with a redirect; it was not followed (it would carry secrets elsewhere)."""

    def __init__(self, message: str, *, location: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.location = location


class RequestMayHaveReachedServerError(NetworkError):
    """A non-idempotent request timed out after it was sent; it must not be resent blindly."""


class CancelledError(AppError):
    """The user cancelled a long-running operation."""


class OrgApiError(AppError):
    """The org refused a request. ``code`` is Salesforce's ``errorCode`` (e.g. ``DUPLICATE_VALUE``)."""

    def __init__(self, message: str, *, status: int, code: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.code = code


class SignInError(AppError):
    """The browser sign-in did not give a session (denied, abandoned, port busy, token refused)."""


class SetupFailed(AppError):
    """A step failed after others had changed the org. ``created`` is what this run made; ``left``
    is what an undo could not remove (None: no undo was made, so all of ``created`` is still there)."""

    def __init__(
        self,
        message: str,
        *,
        created: list[tuple[str, str]],
        hint: str = "",
        left: list[str] | None = None,
        journal_entry: object = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.created = created
        self.left = left
        #: The run's journal entry (core.storage.settings.JournalEntry), which says the same on disk.
        self.journal_entry = journal_entry


class SetupUncertain(AppError):
    """The app's deploy was accepted and its outcome could not be read: the app may exist.

    Nothing is undone; the run's journal entry stays at its step, so the next start names it and a
    run of the same set-up finds the app if it was made. ``journal_entry`` as in SetupFailed."""

    def __init__(self, message: str, *, hint: str = "", journal_entry: object = None) -> None:
        super().__init__(message, hint=hint)
        self.journal_entry = journal_entry


class AppAlreadyExists(InvalidInputError):
    """An External Client App of that name is already in the org."""


class PropagationTimeout(AppError):
    """Salesforce never accepted the connector's login within the time allowed. ``my_domain_works``:
    the login works through the org's My Domain host meanwhile (an External Client App that does not
    serve login.salesforce.com; a Connected App is the way out)."""

    def __init__(self, message: str, *, hint: str = "", my_domain_works: bool = False) -> None:
        super().__init__(message, hint=hint)
        self.my_domain_works = my_domain_works


class RotationIncomplete(AppError):
    """The new certificate is in Salesforce but the connector was not (fully) switched to the new key.
    ``key_location`` is where the new key is (a file, or ``keyring:NAME``)."""

    def __init__(self, message: str, *, hint: str = "", key_location: str = "") -> None:
        super().__init__(message, hint=hint)
        self.key_location = key_location


class UsageError(InvalidInputError):
    """The command line was not understood (an unknown command or option, a missing argument)."""


class DesktopNoticeError(AppError):
    """The desktop did not take a notification (no notification service in this session, or it refused)."""
