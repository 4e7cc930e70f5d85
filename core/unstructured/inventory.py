"""Connector lifecycle logic shared by the CLI and the wizard: the inventory, updates, records."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.crypto.expiry import days_until
from core.crypto.keypair import load_private_key
from core.defaults import EXPIRY_WARN_DAYS
from core.errors import AppError, InvalidInputError
from core.storage.settings import Settings
from core.unstructured.client import PlatformClient, SourceConnector
from core.validation import SalesforceConfig, validate_config, validate_connector_name

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey


@dataclass(frozen=True)
class ConnectorRow:
    """One line of the inventory: what the service says, plus what this machine recorded."""

    id: str
    name: str
    created_at: str
    updated_at: str | None
    fingerprint_sha256: str | None
    not_after: str | None
    days_left: int | None
    #: Its app was created by this computer, so ``rotate --auto`` can replace the certificate.
    auto_rotation: bool = False

    @property
    def expiring(self) -> bool:
        return self.days_left is not None and self.days_left <= EXPIRY_WARN_DAYS

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "fingerprint_sha256": self.fingerprint_sha256,
            "not_after": self.not_after,
            "days_left": self.days_left,
            "expiring": self.expiring,
            "auto_rotation": self.auto_rotation,
        }


_LOGIN_FAILED = re.compile(r"SalesforceAuthenticationFailed\W{0,4}(?:code\W{0,3})?([A-Za-z_]{1,64})")
_LOGIN_FAILED_ARGS = re.compile(r"SalesforceAuthenticationFailed\s*\(([^)]{0,300})\)")
_CODE_ARG = re.compile(r"\bcode\s*=\s*['\"]?([A-Za-z_]{1,64})")
#: What a failed listing query becomes in the connector: simple-salesforce's SalesforceError takes four
#: arguments and the connector passes one, so Python's TypeError is all that reaches the job or the check.
_QUERY_FAILED = re.compile(r"SalesforceError\.__init__\(\) missing \d+ required positional argument")


def login_failure_code(reason: str | None) -> str | None:
    """Salesforce's error code when a connection check failed at the connector's login, else None.

    unstructured-ingest summarises a failed Salesforce login as
    ``SalesforceAuthenticationFailed(status=401, code=invalid_grant)`` (current) or
    ``SalesforceAuthenticationFailed(code=invalid_grant)`` (earlier), without Salesforce's description:
    ``code=`` is found wherever it stands in the parentheses.
    """
    text = (reason or "")[:2000]
    arguments = _LOGIN_FAILED_ARGS.search(text)
    if arguments:
        code = _CODE_ARG.search(arguments.group(1))
        if code:
            return code.group(1)
        bare = arguments.group(1).strip().strip("'\"")
        return bare if re.fullmatch(r"[A-Za-z_]{1,64}", bare) else None
    match = _LOGIN_FAILED.search(text)
    return match.group(1) if match else None


def explain_check_failure(reason: str | None, *, where: str = "here") -> str:
    """A failed check's (or run's) reason in words an admin can act on (never empty).

    ``where`` names the way to Salesforce's own words: "here" for the command line and the wizard's
    Verify page (the verify command), "manage" for Manage (Finish it, Rotate, the user's access).
    """
    text = (reason or "").strip() or "the service gave no reason"
    code = login_failure_code(text)
    if code:
        if where == "manage":
            return (
                f"{text}. Salesforce refused the connector's login ({code}). If a rotation stopped half-way, Finish "
                "it; if the certificate expired or was replaced, Rotate automatically; otherwise check that the "
                "connector's user still holds the app's permission set in Salesforce Setup."
            )
        return (
            f"{text}. Salesforce refused the connector's login ({code}); run Verify login (the verify command) "
            "for Salesforce's own words and what to do."
        )
    if _QUERY_FAILED.search(text):
        return (
            f"{text}. This is how the connector reports a Salesforce query that failed: one of its categories "
            "cannot be read (not enabled in the org, or its user lacks Read on it). The command "
            "'verify --categories' (or Check connection in Manage) shows which, with Salesforce's words and the fix."
        )
    return text


def inventory(
    connectors: Iterable[SourceConnector], settings: Settings, *, now: dt.datetime | None = None
) -> list[ConnectorRow]:
    """The service's connectors, with certificate fingerprint and expiry where this machine knows them."""
    rows = []
    for connector in connectors:
        record = settings.connector(connector.id)
        not_after = record.not_after if record and record.not_after else None
        rows.append(
            ConnectorRow(
                id=connector.id,
                name=connector.name,
                created_at=connector.created_at,
                updated_at=connector.updated_at,
                fingerprint_sha256=(record.fingerprint_sha256 or None) if record else None,
                not_after=not_after,
                days_left=days_until(not_after, now=now),
                auto_rotation=settings.salesforce_app(str(connector.config.get("consumer_key", ""))) is not None,
            )
        )
    return rows


def merged_config(
    current: SourceConnector,
    *,
    private_key: str | bytes | RSAPrivateKey | None,
    username: str | None = None,
    consumer_key: str | None = None,
    categories: list[str] | None = None,
) -> SalesforceConfig:
    """The full config to PUT: the current settings with the given ones replaced.

    The API replaces every setting on update and may return the stored key redacted, so a key
    must be given unless the service returned a usable one.

    Raises:
        InvalidInputError: not a Salesforce connector, no usable key, or an invalid value.
    """
    if current.type and current.type != "salesforce":
        raise InvalidInputError(f"Connector {current.id} is a {current.type} connector, not Salesforce.")
    old = current.config
    key = private_key
    if key is None:
        try:
            key = load_private_key(str(old.get("private_key") or ""))
        except AppError:
            raise InvalidInputError(
                "The service does not return the connector's private key, and none was given.",
                field="private_key",
                hint="Give the key (--private-key FILE or keyring:NAME); the API needs every setting on update.",
            ) from None
    return validate_config(
        username=username or str(old.get("username", "")),
        consumer_key=consumer_key or str(old.get("consumer_key", "")),
        private_key=key,
        categories=categories if categories is not None else (old.get("categories") or None),
    )


def create_connector(client: PlatformClient, *, name: str, config: SalesforceConfig) -> SourceConnector:
    """Create the connector unless the account already has a Salesforce source with that name.

    The API may accept a second connector with the same name, so the name is checked first.

    Raises:
        InvalidInputError: the name is taken (field ``name``), before anything is created.
        PlatformApiError, NetworkError: as the client's calls.
    """
    wanted = validate_connector_name(name)
    taken = next((c for c in client.list_sources() if c.name == wanted), None)
    if taken is not None:
        raise InvalidInputError(
            f"A Salesforce connector named '{wanted}' already exists in this account (id {taken.id}).",
            field="name",
            hint="Choose another name, or check or rotate the existing one instead.",
        )
    return client.create_source(name=wanted, config=config)
