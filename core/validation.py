"""Validation of everything an admin types, before anything reaches the network."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from core.crypto.keypair import connector_loads_key, load_private_key, private_key_pem
from core.defaults import CATEGORIES
from core.errors import InvalidInputError
from core.text import printable

_USERNAME = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONSUMER_KEY = re.compile(r"^[A-Za-z0-9._]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def validate_connector_name(name: str) -> str:
    """Return the trimmed connector name; raise InvalidInputError if empty, too long or odd."""
    value = (name or "").strip()
    if not value:
        raise InvalidInputError("Give the connector a name.", field="name")
    if len(value) > 200:
        raise InvalidInputError("The connector name must be at most 200 characters.", field="name")
    if _CONTROL.search(value):
        raise InvalidInputError("The connector name must not contain control characters.", field="name")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInputError("The connector name holds characters that are not valid text.", field="name") from exc
    return value


def validate_username(username: str) -> str:
    """Return the trimmed Salesforce username; it has the form of an e-mail address."""
    value = (username or "").strip()
    if not value:
        raise InvalidInputError("Enter the Salesforce username.", field="username")
    if not _USERNAME.match(value) or len(value) > 255 or not value.isprintable():
        raise InvalidInputError(
            f"'{printable(value)}' is not a Salesforce username.",
            field="username",
            hint="A Salesforce username looks like an e-mail address, e.g. admin@example.com.",
        )
    return value


def validate_consumer_key(consumer_key: str) -> str:
    """Return the trimmed consumer key if it is plausible (Salesforce's start with 3MVG)."""
    value = (consumer_key or "").strip()
    if not value:
        raise InvalidInputError("Enter the consumer key of the Salesforce app.", field="consumer_key")
    if not _CONSUMER_KEY.match(value) or not 20 <= len(value) <= 256:
        raise InvalidInputError(
            "This does not look like a consumer key.",
            field="consumer_key",
            hint="Copy the Consumer Key from the app's consumer details; it is a long string of "
            "letters, digits, '.' and '_' that usually starts with 3MVG (not the consumer secret).",
        )
    return value


def parse_categories(value: str | Iterable[str] | None) -> list[str]:
    """Parse ``"Account,Case"`` or a list into the connector's categories.

    None means all five. Case must match exactly; a case-only mistake names the right spelling.

    Raises:
        InvalidInputError: empty, or a name that is not a category.
    """
    if value is None:
        return list(CATEGORIES)
    items = value.split(",") if isinstance(value, str) else list(value)
    chosen: list[str] = []
    for raw in items:
        item = str(raw).strip()
        if not item:
            continue
        if item not in CATEGORIES:
            close = [c for c in CATEGORIES if c.lower() == item.lower()]
            hint = f"Did you mean '{close[0]}'? Names are case-sensitive." if close else ""
            raise InvalidInputError(
                f"'{item}' is not a Salesforce connector category; use {', '.join(CATEGORIES)}.",
                field="categories",
                hint=hint,
            )
        if item not in chosen:
            chosen.append(item)
    if not chosen:
        raise InvalidInputError(
            "Choose at least one category.", field="categories", hint=f"One or more of {', '.join(CATEGORIES)}."
        )
    return chosen


@dataclass(frozen=True)
class SalesforceConfig:
    """A validated Salesforce source connector configuration, as the API expects it."""

    username: str
    consumer_key: str
    private_key: str = field(repr=False)  # unencrypted PKCS#1 PEM text
    categories: tuple[str, ...]
    #: The same key, loaded once here: what the connector's login signs with.
    key: RSAPrivateKey = field(repr=False, compare=False)

    def to_api(self) -> dict[str, object]:
        return {
            "username": self.username,
            "consumer_key": self.consumer_key,
            "private_key": self.private_key,
            "categories": list(self.categories),
        }

    def redacted(self) -> dict[str, object]:
        data = self.to_api()
        data["private_key"] = "<redacted: RSA private key>"
        return data


def validate_config(
    *,
    username: str,
    consumer_key: str,
    private_key: str | bytes | RSAPrivateKey,
    categories: str | Iterable[str] | None = None,
) -> SalesforceConfig:
    """Validate and normalise every setting of a Salesforce connector.

    The key (its text, or a key already loaded: checked where it was loaded) is normalised to PKCS#1
    PEM and then parsed exactly as unstructured-ingest parses it.

    Raises:
        InvalidInputError (or KeyMaterialError): the first problem found, naming its field.
    """
    key = private_key if isinstance(private_key, RSAPrivateKey) else load_private_key(private_key)
    pem = private_key_pem(key).decode("ascii")
    connector_loads_key(pem, from_checked_key=True)
    return SalesforceConfig(
        username=validate_username(username),
        consumer_key=validate_consumer_key(consumer_key),
        private_key=pem,
        categories=tuple(parse_categories(categories)),
        key=key,
    )
