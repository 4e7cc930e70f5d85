"""Where the API key and private keys come from: environment, keyring or a file — never argv."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from core.defaults import API_KEY_ENV
from core.errors import FileRefusedError, InvalidInputError
from core.logs import register_secret
from core.storage.secret_store import API_KEY_NAME, SecretStore, private_key_name

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

    from core.storage.settings import KeyRecord

KEYRING_PREFIX = "keyring:"


class ReadsSecrets(Protocol):
    """Anything that reads a secret by its entry name: the keyring (``SecretStore``), or the wizard's view of it."""

    def get(self, name: str) -> str | None: ...


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


def read_bounded(path: Path | str, *, limit: int, what: str, field: str = "") -> bytes:
    """At most ``limit`` bytes of a regular file, or a sentence: never a device, pipe or folder.

    ``/dev/zero`` would be read until memory runs out and a FIFO would block forever, so only
    regular files are opened, and no more than ``limit`` (+1 to notice more) bytes are read.

    Raises:
        InvalidInputError: missing, a folder or not a regular file, too large, or an unknown ~user.
        FileRefusedError: the file exists but cannot be read.
    """
    try:
        file = Path(path).expanduser()
    except RuntimeError as exc:  # ~nosuchuser/...
        raise InvalidInputError(f"{path}: that user's home folder is unknown.", field=field) from exc
    try:
        info = os.stat(file)
    except FileNotFoundError as exc:
        raise InvalidInputError(f"The {what} {file} does not exist.", field=field) from exc
    except OSError as exc:
        raise FileRefusedError(f"Cannot read {file}: {exc.strerror or exc}.", field=field) from exc
    if stat.S_ISDIR(info.st_mode):
        raise InvalidInputError(f"{file} is a folder, not a {what}.", field=field)
    if not stat.S_ISREG(info.st_mode):
        raise InvalidInputError(
            f"{file} is not a regular file (a device, pipe or socket).", field=field, hint=f"Give the {what} itself."
        )
    too_large = InvalidInputError(f"{file} is too large to be a {what} (more than {limit} bytes).", field=field)
    if info.st_size > limit:
        raise too_large
    try:
        with open(file, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise FileRefusedError(f"Cannot read {file}: {exc.strerror or exc}.", field=field) from exc
    if len(data) > limit:
        raise too_large
    return data


def read_private_key_source(spec: str, store: ReadsSecrets) -> str:
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
    data = read_bounded(spec, limit=MAX_KEY_FILE_BYTES, what="key file", field="private_key")
    return data.decode("utf-8", errors="replace")


MAX_CERTIFICATE_BYTES = 64 * 1024


def read_certificate_source(path: str | None, key: RSAPrivateKey | None, keys: Iterable[KeyRecord]) -> str:
    """The certificate (PEM) an app is to trust: the file given, or else the one recorded with ``key`` when this
    computer made it (``keys``: the settings' key records).

    Either is read bounded and parsed, so the app never receives anything but one certificate.

    Raises:
        InvalidInputError / FileRefusedError: the file is missing, unreadable or not a certificate; no file was
            given and the key has no certificate recorded here, or the recorded one is gone.
    """
    from core.crypto.keypair import cert_pem, load_certificate, public_key_id

    if path:
        data = read_bounded(path, limit=MAX_CERTIFICATE_BYTES, what="certificate", field="certificate")
        return cert_pem(load_certificate(data)).decode("ascii")
    hint = "Give --certificate FILE (the .crt made with the key), or --private-key with a key made by keygen."
    if key is not None:
        key_id = public_key_id(key)
        record = next((k for k in keys if k.public_key_id == key_id), None)
        if record is not None and record.certificate_path:
            where = record.certificate_path
            try:
                data = read_bounded(where, limit=MAX_CERTIFICATE_BYTES, what="certificate", field="certificate")
                return cert_pem(load_certificate(data)).decode("ascii")
            except InvalidInputError as exc:  # moved, deleted or changed since the key was made
                raise type(exc)(
                    f"The certificate recorded with this key ({where}) cannot be used: {exc.message}",
                    field="certificate",
                    hint=hint,
                ) from exc
    raise InvalidInputError("Which certificate should the app trust?", field="certificate", hint=hint)


def key_location_words(location: str) -> str:
    """Where a key is, in words for a page or a notice: ``keyring:NAME`` is "in your keyring as NAME", a path
    is "in the file PATH" (the command line's ``keyring:NAME`` is its own syntax, not a place to show)."""
    if location.startswith(KEYRING_PREFIX):
        return f"in your keyring as \u201c{location[len(KEYRING_PREFIX) :]}\u201d"
    return f"in the file {location}" if location else "not made yet"
