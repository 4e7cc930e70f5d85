"""keygen and import-cert: the key pair, made here or completed with a CA's certificate."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from cli.command import Command
from core import defaults
from core.errors import SecretStoreError

if TYPE_CHECKING:
    from cli.context import Cli


def keygen_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="folder for NAME.pem, NAME.crt (and NAME.csr)")
    p.add_argument("--name", default="salesforce", help="file name stem (default: salesforce)")
    p.add_argument("--bits", type=int, choices=defaults.ALLOWED_KEY_SIZES, default=defaults.DEFAULT_KEY_SIZE)
    p.add_argument(
        "--days", type=int, default=defaults.DEFAULT_VALIDITY_DAYS, help="certificate validity (default 365)"
    )
    p.add_argument("--common-name", default=defaults.DEFAULT_COMMON_NAME)
    p.add_argument("--organization", default="")
    p.add_argument("--org-unit", default="")
    p.add_argument("--country", default="", help="two-letter country code")
    p.add_argument("--email", default="")
    p.add_argument("--csr", action="store_true", help="also write a CSR for a corporate CA")
    p.add_argument("--force", action="store_true", help="replace existing files")
    p.add_argument("--store", action="store_true", help="also keep the private key in the OS keyring")


def keygen(cli: Cli, args: argparse.Namespace) -> int:
    from core.crypto.keypair import Subject, create_key_bundle
    from core.storage.keyfiles import bundle_paths, refuse_existing
    from core.usecases.keys import save_key_bundle

    folder = Path(args.out).expanduser()
    subject = Subject(
        common_name=args.common_name,
        organization=args.organization,
        organizational_unit=args.org_unit,
        country=args.country,
        email=args.email,
    )
    paths = bundle_paths(folder, args.name)
    refuse_existing(
        [paths.private_key, paths.certificate, paths.csr if args.csr else None],
        overwrite=args.force,
        nothing="nothing was generated",
        hint="Choose another --name or --out, or add --force to replace them.",
    )
    if args.store:
        try:
            _ = cli.store.backend  # fail early, before the slow generation, if there is no keyring
        except SecretStoreError as exc:
            raise SecretStoreError(
                f"{exc.message} Nothing was generated.",
                hint=f"{exc.hint} Or run keygen without --store and keep the key file safe.",
            ) from exc
    bundle = create_key_bundle(bits=args.bits, days=args.days, subject=subject, with_csr=args.csr)
    saved = save_key_bundle(
        bundle,
        folder=folder,
        name=args.name,
        save_secret=cli.store.set if args.store else None,
        write_private_key_file=True,
        overwrite=args.force,
        stored=cli.store.get if args.store else None,
        forget_secret=cli.store.delete if args.store else None,
    )
    cli.record(saved)
    info = saved.info
    assert info is not None
    cli.say(f"Private key:  {saved.files.private_key} (owner-only, keep it secret)")
    cli.say(f"Certificate:  {saved.files.certificate} (upload this to the Salesforce app)")
    if saved.files.csr:
        cli.say(f"CSR:          {saved.files.csr} (send this to your CA if you need a CA-signed certificate)")
    if saved.keyring_entry:
        cli.say(f"Keyring:      stored as keyring:{args.name}")
    cli.say(f"SHA-256:      {info.fingerprint_sha256}")
    cli.say(f"Expires:      {info.not_after:%Y-%m-%d %H:%M} UTC ({args.days} days)")
    return 0


def import_cert_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cert", required=True, help="the certificate file (PEM or DER)")
    p.add_argument("--private-key", required=True, help="key file, or keyring:NAME")
    p.add_argument("--out", default=None, help="also write it as PEM to OUT/NAME.crt")
    p.add_argument("--name", default="salesforce")
    p.add_argument("--force", action="store_true", help="replace an existing OUT/NAME.crt")


def import_cert(cli: Cli, args: argparse.Namespace) -> int:
    from core.crypto.keypair import KeyBundle, attach_certificate
    from core.storage.credentials import read_bounded
    from core.usecases.keys import certificate_record, save_issued_certificate

    cert_path = Path(args.cert).expanduser()
    cert_bytes = read_bounded(args.cert, limit=65536, what="certificate", field="cert")
    bundle = attach_certificate(KeyBundle.of(cli.private_key(args.private_key)), cert_bytes)
    info = bundle.certificate_info
    assert info is not None
    in_keyring = args.private_key.startswith("keyring:")
    if args.out:
        saved = save_issued_certificate(
            bundle, folder=Path(args.out).expanduser(), name=args.name, in_keyring=in_keyring, overwrite=args.force
        )
        cli.record(saved)
        where = str(saved.files.certificate)
    else:
        cli.load_settings().remember_key(
            certificate_record(name=args.name, info=info, certificate_path=cert_path.resolve(), in_keyring=in_keyring)
        )
        cli.save_settings()
        where = str(cert_path)
    cli.say(f"Certificate:  {where} (matches the private key; upload it to the Salesforce app)")
    cli.say(f"SHA-256:      {info.fingerprint_sha256}")
    cli.say(f"Expires:      {info.not_after:%Y-%m-%d %H:%M} UTC")
    return 0


COMMANDS = (
    Command("keygen", "generate an RSA key and self-signed certificate (works offline)", keygen_arguments, keygen),
    Command(
        "import-cert",
        "check a certificate (e.g. from your CA for the CSR) against its key, record it",
        import_cert_arguments,
        import_cert,
    ),
)
