"""Putting a key bundle where it belongs: the private key in the keyring (and a file only if
asked), the certificate (and CSR) in a folder, and a record of it in the settings.

The CLI's ``keygen`` and the wizard's key page both call :func:`save_key_bundle`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from core.crypto.keypair import CertificateInfo, KeyBundle
from core.defaults import private_key_name
from core.errors import FileRefusedError
from core.storage.keyfiles import WrittenFiles, bundle_paths, refuse_existing, write_file_atomic, write_key_bundle
from core.storage.settings import KeyRecord, Settings


class Secrets(Protocol):
    """Where secrets are kept: the keyring (``SecretStore``), or the wizard's memory when the admin chose so."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> object: ...


def certificate_record(
    *, name: str, info: CertificateInfo, certificate_path: Path | None, in_keyring: bool
) -> KeyRecord:
    """The record of a key pair by its certificate, so expiry and fingerprint can be shown later."""
    return KeyRecord(
        name=name,
        public_key_id=info.public_key_id,
        fingerprint_sha256=info.fingerprint_sha256,
        not_after=info.not_after.isoformat(),
        certificate_path=str(certificate_path or ""),
        in_keyring=in_keyring,
    )


@dataclass(frozen=True)
class SavedKey:
    """Where a key bundle went, and the record to keep of it (applied on the main thread)."""

    name: str
    files: WrittenFiles
    keyring_entry: str | None
    info: CertificateInfo | None
    record: KeyRecord | None
    folder: Path

    def apply(self, settings: Settings) -> None:
        if self.record is not None:
            settings.remember_key(self.record)
        settings.output_dir = str(self.folder)


def unique_key_name(folder: Path, base: str = "salesforce", stored: Callable[[str], str | None] | None = None) -> str:
    """``base``, or ``base-2``, ``base-3``... whichever has no files in ``folder`` and no keyring entry."""
    candidate, number = base, 1
    while True:
        paths = bundle_paths(folder, candidate)
        on_disk = any(p is not None and os.path.lexists(p) for p in (paths.private_key, paths.certificate, paths.csr))
        if not on_disk and (stored is None or stored(private_key_name(candidate)) is None):
            return candidate
        number += 1
        candidate = f"{base}-{number}"


def save_key_bundle(
    bundle: KeyBundle,
    *,
    folder: Path,
    name: str,
    save_secret: Callable[[str, str], None] | None,
    write_private_key_file: bool,
    overwrite: bool = False,
    stored: Callable[[str], str | None] | None = None,
    forget_secret: Callable[[str], object] | None = None,
) -> SavedKey:
    """Store the private key (keyring via ``save_secret``) and write the public files.

    The keyring goes first, so a refused keyring leaves no files behind; every file target, and
    (through ``stored``) the keyring entry, is checked before that: nothing is replaced unless
    ``overwrite``. If writing the files fails, a keyring entry this call added is removed again
    through ``forget_secret``. The result's ``apply(settings)`` records the key (main thread only).

    Raises:
        FileRefusedError: a target file exists and ``overwrite`` is false, or the folder is not writable.
        SecretStoreError: the keyring refused.
    """
    paths = bundle_paths(folder, name)
    refuse_existing(
        [
            paths.certificate if bundle.cert_pem else None,
            paths.csr if bundle.csr_pem else None,
            paths.private_key if write_private_key_file else None,
        ],
        overwrite=overwrite,
        nothing="nothing was written",
        field="name",
        hint="Choose another name or folder, or confirm that the files may be replaced.",
    )
    entry = None
    replacing = False
    if save_secret is not None:
        entry = private_key_name(name)
        if not overwrite and stored is not None and stored(entry) is not None:
            raise FileRefusedError(
                f"A private key named '{name}' is already in the keyring; it was left untouched.",
                field="name",
                hint="Choose another name, or confirm that it may be replaced.",
            )
        replacing = stored is not None and stored(entry) is not None
        save_secret(entry, bundle.private_key_pem.decode("ascii"))
    try:
        files = write_key_bundle(
            bundle, folder, name=name, overwrite=overwrite, include_private_key=write_private_key_file
        )
    except Exception:
        # A new keyring entry whose certificate was never written would block the retry ("already in
        # the keyring") and hold a key nothing uses: take it out again.
        if entry is not None and forget_secret is not None and not replacing:
            forget_secret(entry)
        raise
    info = bundle.certificate_info
    record = (
        certificate_record(name=name, info=info, certificate_path=files.certificate, in_keyring=entry is not None)
        if info is not None
        else None
    )
    return SavedKey(name=name, files=files, keyring_entry=entry, info=info, record=record, folder=folder)


def save_issued_certificate(
    bundle: KeyBundle, *, folder: Path, name: str, in_keyring: bool, overwrite: bool = False
) -> SavedKey:
    """Write the certificate a CA issued (already attached to ``bundle``); the result records it."""
    if bundle.cert_pem is None:
        raise FileRefusedError("There is no certificate to save yet.")
    paths = bundle_paths(folder, name)
    assert paths.certificate is not None
    write_file_atomic(paths.certificate, bundle.cert_pem, mode=0o644, overwrite=overwrite)
    info = bundle.certificate_info
    assert info is not None
    record = certificate_record(name=name, info=info, certificate_path=paths.certificate, in_keyring=in_keyring)
    files = WrittenFiles(private_key=None, certificate=paths.certificate, csr=paths.csr)
    entry = private_key_name(name) if in_keyring else None
    return SavedKey(name=name, files=files, keyring_entry=entry, info=info, record=record, folder=folder)
