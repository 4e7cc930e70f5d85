"""What an admin can do, written once for both front ends (the CLI and the wizard).

Each function is one use case: it takes its collaborators (the Platform client, the secret
store, a snapshot of the key records) as arguments, makes the service calls, and returns a value
or raises an :class:`~core.errors.AppError`. None of them changes or saves the settings: that
happens on the front end's main thread (the wizard's GUI thread, the CLI's only thread), through
the ``apply(settings)`` of the result, so that a worker never writes shared state.

A CLI command or a wizard worker is one call into this module plus presentation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from core.crypto.keypair import load_private_key, public_key_id
from core.errors import InvalidInputError
from core.storage.settings import ConnectorRecord, KeyRecord, Settings
from core.unstructured.client import PlatformClient, SourceConnector
from core.unstructured.inventory import create_connector as _create_checked
from core.unstructured.inventory import merged_config
from core.validation import (
    SalesforceConfig,
    parse_categories,
    validate_consumer_key,
    validate_username,
)


@dataclass(frozen=True)
class ConnectorSaved:
    """A connector created or updated here, and the record to keep of it."""

    connector: SourceConnector
    config: SalesforceConfig
    record: ConnectorRecord

    def apply(self, settings: Settings) -> None:
        settings.remember_connector(self.record)


@dataclass(frozen=True)
class ConnectorDeleted:
    connector_id: str

    def apply(self, settings: Settings) -> None:
        settings.forget_connector(self.connector_id)


def connector_record(
    connector: SourceConnector, *, key: RSAPrivateKey, api_url: str, keys: Sequence[KeyRecord]
) -> ConnectorRecord:
    """The record of a connector and the certificate of the key it now uses (found in ``keys``)."""
    key_id = public_key_id(key)
    key_record = next((k for k in keys if k.public_key_id == key_id), None)
    return ConnectorRecord(
        id=connector.id,
        name=connector.name,
        api_url=api_url,
        public_key_id=key_id,
        fingerprint_sha256=key_record.fingerprint_sha256 if key_record else "",
        not_after=key_record.not_after if key_record else "",
        updated_at=connector.updated_at or connector.created_at or "",
    )


def create_connector(
    client: PlatformClient, *, name: str, config: SalesforceConfig, keys: Sequence[KeyRecord]
) -> ConnectorSaved:
    """Check that the name is free, create once, and say what to record.

    ``config`` is validated at the front end's edge (:func:`core.validation.validate_config`).

    Raises:
        InvalidInputError: an invalid or taken name (with its ``field``), before anything is created.
        PlatformApiError, NetworkError: as the client's calls.
    """
    connector = _create_checked(client, name=name, config=config)
    record = connector_record(connector, key=config.key, api_url=client.base_url, keys=keys)
    return ConnectorSaved(connector=connector, config=config, record=record)


@dataclass(frozen=True)
class UpdateRequest:
    """What to change; ``None`` keeps the connector's current value. Validated before any network call.

    A new key is given as its text or already loaded; :meth:`validated` loads (and checks) text once, and
    the update then uses the loaded key: a 4096-bit key takes hundreds of milliseconds to load.
    """

    private_key: str | bytes | RSAPrivateKey | None = None
    username: str | None = None
    consumer_key: str | None = None
    categories: Sequence[str] | str | None = None

    def validated(self) -> "UpdateRequest":
        """Raises InvalidInputError for a value that cannot be sent, or when nothing is to change."""
        if not any(v is not None for v in (self.private_key, self.username, self.consumer_key, self.categories)):
            raise InvalidInputError(
                "Nothing to update.", hint="Give a new private key, username, consumer key or categories."
            )
        key = self.private_key
        return UpdateRequest(
            private_key=key if key is None or isinstance(key, RSAPrivateKey) else load_private_key(key),
            username=validate_username(self.username) if self.username is not None else None,
            consumer_key=validate_consumer_key(self.consumer_key) if self.consumer_key is not None else None,
            categories=parse_categories(self.categories) if self.categories is not None else None,
        )


def update_connector(
    client: PlatformClient,
    connector_id: str,
    change: UpdateRequest,
    *,
    keys: Sequence[KeyRecord],
    stored_key: Callable[[], str | None] | None = None,
) -> ConnectorSaved:
    """Replace some of a connector's settings (e.g. rotate its key) and say what to record.

    The API replaces every setting on update, so the current ones are read first and merged. When
    no new key is given, ``stored_key`` may supply the one this machine keeps for the connector.

    Raises:
        InvalidInputError: nothing to change, an invalid value, or no usable key (before the update).
        ConnectorNotFoundError, PlatformApiError, NetworkError: as the client's calls.
    """
    change = change.validated()
    current = client.get_source(connector_id)
    key = change.private_key if change.private_key is not None else (stored_key() if stored_key else None)
    categories = list(change.categories) if change.categories is not None else None
    config = merged_config(
        current,
        private_key=key,
        username=change.username,
        consumer_key=change.consumer_key,
        categories=categories,
    )
    updated = client.update_source(connector_id, config=config)
    record = connector_record(updated, key=config.key, api_url=client.base_url, keys=keys)
    return ConnectorSaved(connector=updated, config=config, record=record)


def delete_connector(client: PlatformClient, connector_id: str) -> ConnectorDeleted:
    """Delete the connector in the account; the result forgets its record here.

    Raises:
        ConnectorNotFoundError, PlatformApiError, NetworkError: as the client's calls.
    """
    client.delete_source(connector_id)
    return ConnectorDeleted(connector_id)


def keeps_key_of(settings: Settings, connector_id: str) -> bool:
    """Whether this machine keeps a connector's private key in the keyring (by its records; the keyring is not read)."""
    return stored_key_of(settings, connector_id, lambda _name: "kept") is not None


def stored_key_of(settings: Settings, connector_id: str, read_secret: Callable[[str], str | None]) -> str | None:
    """The private key this machine keeps in the keyring for a connector it recorded, if any."""
    from core.defaults import private_key_name

    record = settings.connector(connector_id)
    key_record = settings.key_by_public_id(record.public_key_id) if record and record.public_key_id else None
    if key_record and key_record.in_keyring:
        return read_secret(private_key_name(key_record.name))
    return None
