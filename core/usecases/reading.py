"""What the connector will read, before it exists: one use case for both front ends.

The connector's own JWT login (the proof the app already makes), then as its user: a record
count per chosen category and the org's daily API allowance, and the first full run's cost
estimated the way the connector reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from core.crypto.keypair import load_private_key
from core.defaults import CONNECTOR_LOGIN_URL, TIMINGS, Timings
from core.errors import CancelledError, InvalidInputError
from core.salesforce.connector_reader import (
    Allowance,
    CategoryReading,
    ConnectorReader,
    allowance_warnings,
    first_run_calls,
    first_run_logins,
    login_warnings,
)
from core.salesforce.login import LoginResult, connector_login
from core.storage.settings import SalesforceAppRecord
from core.unstructured.client import PlatformClient
from core.urls import SafeUrl
from core.validation import SalesforceConfig, parse_categories

#: What counting as a user gives: per category, and the allowance (or why it is unknown).
Counted = tuple[tuple[CategoryReading, ...], Allowance | None, str]


@dataclass(frozen=True)
class ReadingSurvey:
    """The connector's login, what it can read per category, and the first run against the allowance."""

    login: LoginResult
    categories: tuple[CategoryReading, ...]
    allowance: Allowance | None
    allowance_reason: str = ""  # why the allowance is unknown (empty when known)

    @property
    def readable(self) -> bool:
        """Every chosen category can be read."""
        return all(reading.readable for reading in self.categories)

    @property
    def unreadable(self) -> tuple[CategoryReading, ...]:
        return tuple(reading for reading in self.categories if not reading.readable)

    @property
    def first_run_calls(self) -> int:
        return first_run_calls(self.categories)

    @property
    def first_run_logins(self) -> int:
        return first_run_logins(self.categories)

    @property
    def warnings(self) -> list[str]:
        return allowance_warnings(self.first_run_calls, self.allowance) + login_warnings(
            self.first_run_logins, self.login.username
        )

    def only(self, names: Iterable[str]) -> ReadingSurvey:
        """The same survey for the chosen categories alone (in the survey's order)."""
        wanted = set(names)
        return replace(self, categories=tuple(r for r in self.categories if r.name in wanted))

    def reading(self, name: str) -> CategoryReading | None:
        return next((reading for reading in self.categories if reading.name == name), None)

    def estimate_line(self) -> str:
        """The first run's cost in one sentence, against the allowance when it is known."""
        calls = self.first_run_calls
        records = sum(reading.records or 0 for reading in self.categories if reading.readable)
        line = (
            f"The first full run reads {records:,} records with about {calls:,} API requests "
            f"(and about {self.first_run_logins:,} logins: one per record)"
        )
        if self.allowance is None:
            return line + " (the org's daily allowance is unknown)."
        allowance = self.allowance
        return (
            f"{line}; the org has {allowance.daily_remaining:,} of {allowance.daily_max:,} daily API requests left now "
            "(Salesforce's count may lag up to 5 minutes)."
        )

    def to_json(self) -> dict[str, object]:
        return {
            "login": self.login.to_json(),
            "categories": [reading.to_json() for reading in self.categories],
            "api": None
            if self.allowance is None
            else {
                "daily_max": self.allowance.daily_max,
                "daily_remaining": self.allowance.daily_remaining,
                "first_run_calls": self.first_run_calls,
                "first_run_logins": self.first_run_logins,
            },
        }


def survey_reading(
    *,
    username: str,
    consumer_key: str,
    private_key: RSAPrivateKey,
    categories: str | Iterable[str] | None,
    login_url: SafeUrl = CONNECTOR_LOGIN_URL,
    timings: Timings = TIMINGS,
    cancel: Callable[[], bool] = lambda: False,
    shared: Callable[[object, Callable[[], Counted]], Counted] | None = None,
) -> ReadingSurvey:
    """Log in as the connector does, then count each category and read the allowance as its user.

    ``shared(key, make)`` (the watch's, over many connectors) makes the counts once per org, user and categories:
    what a user can read does not depend on the app they logged in through, so twenty connectors of one user,
    each with its own app, log in twenty times (each app is proved) and count once.

    Raises:
        InvalidInputError: a category that is not the connector's (before any network call).
        SalesforceLoginError: the connector's login is refused (nothing is counted then).
        NetworkError: Salesforce cannot be reached, or failed on its side.
        CancelledError: ``cancel`` said stop between two calls.
    """
    chosen = parse_categories(categories)
    session = connector_login(
        username=username,
        consumer_key=consumer_key,
        private_key=private_key,
        login_url=login_url,
        timeout=timings.http_timeout,
    )

    def count() -> Counted:
        instance = session.result.instance_url  # Salesforce's answer: checked here, where it comes in
        reader = ConnectorReader(
            SafeUrl(instance, what="instance URL") if instance else login_url,
            session.access_token,
            timeout=timings.http_timeout,
        )
        readings = []
        for name in chosen:
            if cancel():
                raise CancelledError("Stopped checking what the connector can read.")
            readings.append(reader.count(name))
        allowance, reason = reader.allowance()
        return tuple(readings), allowance, reason

    who = ("counts", session.result.org_id, session.result.user_id or session.result.username, tuple(chosen))
    readings, allowance, reason = shared(who, count) if shared is not None else count()
    return ReadingSurvey(
        login=session.result,
        categories=readings,
        allowance=allowance,
        allowance_reason=reason,
    )


def survey_connector(
    client: PlatformClient,
    connector_id: str,
    *,
    stored_key: Callable[[], str | None],
    apps: Iterable[SalesforceAppRecord] = (),
    fallback_login_url: SafeUrl = CONNECTOR_LOGIN_URL,
    timings: Timings = TIMINGS,
    cancel: Callable[[], bool] = lambda: False,
) -> ReadingSurvey:
    """What an existing connector reads now: its settings from the Platform, the key this computer keeps.

    The login goes through the host the connector's app was set up with when ``apps`` (the apps made on
    this computer) has it, else ``fallback_login_url`` (login.salesforce.com, as the connector itself;
    a loopback stand-in in tests and the demo).

    Raises:
        InvalidInputError: this computer does not keep the connector's key (nothing is sent to Salesforce).
        as :func:`survey_reading`, and the Platform client's errors.
    """
    config = client.get_source(connector_id).config
    key = stored_key()
    if not key:
        raise InvalidInputError(
            "This computer does not keep this connector's private key, so it cannot log in as the connector "
            "to count what it reads.",
            hint="Run 'verify --categories' with the key file on the computer that has it.",
        )
    categories = config.get("categories")
    consumer_key = str(config.get("consumer_key") or "")
    return survey_reading(
        username=str(config.get("username") or ""),
        consumer_key=consumer_key,
        private_key=load_private_key(key),  # as the keyring holds it: loaded (and checked) here, once
        categories=categories if isinstance(categories, list) and categories else None,
        login_url=app_login_host(consumer_key, apps, fallback_login_url),
        timings=timings,
        cancel=cancel,
    )


def survey_saved(
    config: SalesforceConfig,
    *,
    apps: Iterable[SalesforceAppRecord] = (),
    fallback_login_url: SafeUrl = CONNECTOR_LOGIN_URL,
    timings: Timings = TIMINGS,
) -> ReadingSurvey:
    """What a connector reads with the settings it was just given (a rotation's, an update's): its key is in
    hand, loaded, so neither the Platform nor the keyring is asked again. The host as :func:`survey_connector`.

    Raises:
        as :func:`survey_reading`.
    """
    return survey_reading(
        username=config.username,
        consumer_key=config.consumer_key,
        private_key=config.key,
        categories=config.categories or None,
        login_url=app_login_host(config.consumer_key, apps, fallback_login_url),
        timings=timings,
    )


def app_login_host(consumer_key: str, apps: Iterable[SalesforceAppRecord], fallback: SafeUrl) -> SafeUrl:
    """The host the app with ``consumer_key`` was set up through, when it was made (or adopted) here; else
    ``fallback``."""
    return next((a.login_host() for a in apps if a.consumer_key == consumer_key and a.login_url), None) or fallback
