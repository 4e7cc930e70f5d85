"""Where the API key and private keys come from: environment, keyring or a file — never argv."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from core.defaults import API_KEY_ENV
from core.errors import FileRefusedError, InvalidInputError
from core.logs import register_secret
from core.secret_store import API_KEY_NAME, SecretStore, private_key_name

KEYRING_PREFIX = "keyring:"
MAX_KEY_FILE_BYTES = 64 * 1024


def find_api_key(read_secret: Callable[[str], str | None]) -> tuple[str, str] | None:
    """The Unstructured API key and where it came from (``environment`` or ``keyring``), or None.

    The environment wins; ``read_secret`` reads the keyring (the CLI's store, or the wizard's,
    which also knows this session's secrets). Whatever is found is registered for log redaction.

    Raises:
        SecretStoreError: from ``read_secret``, when the environment has none.
    """
    value = os.environ.get(API_KEY_ENV, "").strip()
    if value:
        register_secret(value)
        return value, "environment"
    stored = read_secret(API_KEY_NAME)
    if stored:
        register_secret(stored)
        return stored, "keyring"
    return None


def resolve_api_key(store: SecretStore) -> tuple[str, str]:
    """:func:`find_api_key` for the CLI: the key and its source, or a sentence saying how to set one.

    Raises:
        InvalidInputError: neither is set.
        SecretStoreError: the keyring failed while looking (only when the environment has none).
    """
    found = find_api_key(store.get)
    if found is not None:
        return found
    raise InvalidInputError(
        "No Unstructured API key is set.",
        field="api_key",
        hint=f"Set {API_KEY_ENV}, or store it once in the keyring with 'set-api-key'.",
    )


def read_private_key_source(spec: str, store: SecretStore) -> str:
    """Read a private key given as a file path or as ``keyring:NAME``; return its text.

    Raises:
        InvalidInputError / FileRefusedError: no such file, unreadable, too large, or not in the keyring.
        SecretStoreError: the keyring failed.
    """
    if spec.startswith(KEYRING_PREFIX):
        name = spec[len(KEYRING_PREFIX) :].strip()
        value = store.get(private_key_name(name)) if name else None
        if not value:
            raise InvalidInputError(
                f"No private key named '{name}' is stored in the keyring.",
                field="private_key",
                hint="Use the name given to 'keygen --store', or pass the key file instead.",
            )
        return value
    path = Path(spec).expanduser()
    try:
        if path.stat().st_size > MAX_KEY_FILE_BYTES:
            raise InvalidInputError(f"{path} is too large to be a private key.", field="private_key")
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError as exc:
        raise InvalidInputError(f"The key file {path} does not exist.", field="private_key") from exc
    except IsADirectoryError as exc:
        raise InvalidInputError(f"{path} is a folder, not a key file.", field="private_key") from exc
    except OSError as exc:
        raise FileRefusedError(f"Cannot read {path}: {exc.strerror or exc}.", field="private_key") from exc
