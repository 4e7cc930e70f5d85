from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from core.crypto.keypair import (
    KeyBundle,
    Subject,
    attach_certificate,
    check_pair,
    connector_loads_key,
    create_key_bundle,
    fingerprint_sha256,
    import_key_bundle,
    load_certificate,
    load_private_key,
    make_csr,
    make_self_signed_certificate,
    public_key_id,
)
from core.errors import EncryptedKeyError, KeyMaterialError, KeyMismatchError
from tests.platforms import needs_openssl


def openssl(*args: str, stdin: bytes | None = None) -> str:
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, check=True).stdout.decode()


@needs_openssl
def test_generated_key_is_pkcs1_pem_that_openssl_accepts(key_bundle: KeyBundle) -> None:
    assert key_bundle.private_key_pem.startswith(b"-----BEGIN RSA PRIVATE KEY-----\n")
    assert "RSA key ok" in openssl("rsa", "-check", "-noout", stdin=key_bundle.private_key_pem)


@needs_openssl
def test_certificate_matches_key_per_openssl_modulus(key_bundle: KeyBundle) -> None:
    key_modulus = openssl("rsa", "-noout", "-modulus", stdin=key_bundle.private_key_pem)
    cert_modulus = openssl("x509", "-noout", "-modulus", stdin=key_bundle.cert_pem)
    assert key_modulus.split("=")[1] == cert_modulus.split("=")[1]


@needs_openssl
def test_fingerprint_equals_openssl_sha256_fingerprint(key_bundle: KeyBundle) -> None:
    out = openssl("x509", "-noout", "-fingerprint", "-sha256", stdin=key_bundle.cert_pem)
    assert key_bundle.certificate_info is not None
    assert out.strip().split("=", 1)[1] == key_bundle.certificate_info.fingerprint_sha256


def test_certificate_is_self_signed_sha256_with_default_validity(key_bundle: KeyBundle) -> None:
    cert = load_certificate(key_bundle.cert_pem or b"")
    assert cert.issuer == cert.subject
    assert cert.signature_hash_algorithm is not None and cert.signature_hash_algorithm.name == "sha256"
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc) == dt.timedelta(days=365)
    assert cert.not_valid_before_utc <= dt.datetime.now(dt.UTC)
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert len(key_bundle.cert_pem or b"") < 4096  # Salesforce's upload limit


@needs_openssl
def test_openssl_verifies_the_self_signature(tmp_path: Path, key_bundle: KeyBundle) -> None:
    crt = tmp_path / "c.crt"
    crt.write_bytes(key_bundle.cert_pem or b"")
    assert openssl("verify", "-CAfile", str(crt), str(crt)).strip().endswith("OK")


def test_serial_numbers_are_random() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    serials = {make_self_signed_certificate(key).serial_number for _ in range(3)}
    assert len(serials) == 3


@needs_openssl
def test_subject_fields_and_validity_are_applied() -> None:
    bundle = create_key_bundle(
        days=30,
        subject=Subject(
            common_name="conn", organization="Acme", organizational_unit="IT", country="de", email="it@acme.test"
        ),
    )
    text = openssl("x509", "-noout", "-subject", "-enddate", stdin=bundle.cert_pem)
    assert "CN = conn" in text and "O = Acme" in text and "OU = IT" in text and "C = DE" in text
    info = bundle.certificate_info
    assert info is not None and 29 <= info.days_left() <= 30


@pytest.mark.parametrize("bits", [3072, 4096])
def test_larger_key_sizes(bits: int) -> None:
    bundle = create_key_bundle(bits=bits)
    assert load_private_key(bundle.private_key_pem).key_size == bits


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"bits": 1024}, "bits"),
        ({"days": 0}, "days"),
        ({"days": 4000}, "days"),
        ({"subject": Subject(common_name="")}, "common_name"),
        ({"subject": Subject(country="Germany")}, "country"),
    ],
)
def test_invalid_generation_options_are_refused_with_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(KeyMaterialError) as info:
        create_key_bundle(**kwargs)
    assert info.value.field == field


@needs_openssl
def test_csr_is_valid_and_carries_the_key(key_bundle: KeyBundle) -> None:
    key = load_private_key(key_bundle.private_key_pem)
    csr_pem = make_csr(key, subject=Subject(common_name="csr test"))
    verified = subprocess.run(["openssl", "req", "-noout", "-verify"], input=csr_pem, capture_output=True)
    assert verified.returncode == 0 and b"verif" in (verified.stdout + verified.stderr).lower()
    csr = x509.load_pem_x509_csr(csr_pem)
    assert csr.is_signature_valid
    assert public_key_id(csr.public_key()) == public_key_id(key)


def test_issued_certificate_can_be_attached_and_a_foreign_one_cannot(
    key_bundle: KeyBundle, other_bundle: KeyBundle
) -> None:
    pending = KeyBundle(private_key_pem=key_bundle.private_key_pem, cert_pem=None, csr_pem=b"csr")
    attached = attach_certificate(pending, key_bundle.cert_pem or b"")
    assert attached.cert_pem == key_bundle.cert_pem
    with pytest.raises(KeyMismatchError):
        attach_certificate(pending, other_bundle.cert_pem or b"")


# --- import --------------------------------------------------------------------------------


def _pkcs8(bundle: KeyBundle) -> str:
    return (
        load_private_key(bundle.private_key_pem)
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )


@pytest.mark.parametrize(
    "damage",
    [
        lambda pem: pem,
        lambda pem: pem.replace("\n", "\r\n"),
        lambda pem: pem.rstrip("\n"),
        lambda pem: pem.replace("\n", "\\n"),
        lambda pem: pem.replace("\n", " "),
        lambda pem: "  \t" + pem.replace("\n", "\n  ") + "  ",
        lambda pem: '"' + pem.replace("\n", "\\n") + '"',
        lambda pem: "\ufeff" + pem,
    ],
    ids=["clean", "crlf", "no-final-newline", "literal-backslash-n", "one-line", "indented", "json-quoted", "bom"],
)
@pytest.mark.parametrize("form", ["pkcs1", "pkcs8"])
def test_pasted_keys_are_normalised_to_the_same_key(
    key_bundle: KeyBundle, damage: Callable[[str], str], form: str
) -> None:
    pem = key_bundle.private_key_pem.decode() if form == "pkcs1" else _pkcs8(key_bundle)
    imported = import_key_bundle(damage(pem), key_bundle.cert_pem)
    assert imported.private_key_pem == key_bundle.private_key_pem
    connector_loads_key(imported.private_key_pem.decode())


def test_bare_base64_der_key_is_accepted(key_bundle: KeyBundle) -> None:
    body = "".join(key_bundle.private_key_pem.decode().splitlines()[1:-1])
    assert load_private_key(body).key_size == 2048


def test_key_and_certificate_in_one_paste(key_bundle: KeyBundle) -> None:
    both = key_bundle.private_key_pem.decode() + (key_bundle.cert_pem or b"").decode()
    imported = import_key_bundle(both, None)
    assert imported.cert_pem == key_bundle.cert_pem


def test_mismatched_pair_is_refused_with_advice(key_bundle: KeyBundle, other_bundle: KeyBundle) -> None:
    with pytest.raises(KeyMismatchError) as info:
        import_key_bundle(key_bundle.private_key_pem, other_bundle.cert_pem)
    assert "do not belong together" in str(info.value)
    assert "invalid assertion" in str(info.value)


def test_encrypted_pkcs8_key_needs_and_accepts_its_passphrase(key_bundle: KeyBundle) -> None:
    encrypted = load_private_key(key_bundle.private_key_pem).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"s3cret-pass"),
    )
    with pytest.raises(EncryptedKeyError) as info:
        load_private_key(encrypted)
    assert "passphrase" in str(info.value)
    with pytest.raises(EncryptedKeyError, match="wrong"):
        load_private_key(encrypted, passphrase="nope")
    assert import_key_bundle(encrypted, None, passphrase="s3cret-pass").private_key_pem == key_bundle.private_key_pem


@needs_openssl
def test_openssl_legacy_encrypted_pkcs1_key_is_decrypted(key_bundle: KeyBundle) -> None:
    encrypted = openssl("rsa", "-traditional", "-aes256", "-passout", "pass:pw123456", stdin=key_bundle.private_key_pem)
    assert "Proc-Type: 4,ENCRYPTED" in encrypted
    with pytest.raises(EncryptedKeyError):
        load_private_key(encrypted)
    flattened = encrypted.replace("\n", " ")  # even pasted onto one line
    assert load_private_key(flattened, passphrase="pw123456").key_size == 2048


@needs_openssl
def test_openssl_genrsa_key_imports(tmp_path: Path) -> None:
    pem = openssl("genrsa", "-traditional", "2048")
    assert load_private_key(pem).key_size == 2048


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (
            lambda: ec.generate_private_key(ec.SECP256R1()).private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
            "not an RSA key",
        ),
        (
            lambda: rsa.generate_private_key(public_exponent=65537, key_size=1024).private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
            ),
            "only 1024 bits",
        ),
        (lambda: b"hello, this is not a key", "does not contain a private key"),
        (lambda: b"", "does not contain a private key"),
        (lambda: b"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n", "damaged"),
    ],
)
def test_unusable_keys_are_refused_with_a_reason(make: Callable[[], str | bytes], words: str) -> None:
    with pytest.raises(KeyMaterialError) as info:
        load_private_key(make())
    assert words in str(info.value)


def test_certificate_given_as_key_is_named(key_bundle: KeyBundle) -> None:
    with pytest.raises(KeyMaterialError, match="certificate or public key"):
        load_private_key(key_bundle.cert_pem or b"")


def test_der_certificate_loads(key_bundle: KeyBundle) -> None:
    cert = load_certificate(key_bundle.cert_pem or b"")
    der = cert.public_bytes(serialization.Encoding.DER)
    assert fingerprint_sha256(load_certificate(der)) == fingerprint_sha256(cert)


def test_check_pair_accepts_the_right_pair(key_bundle: KeyBundle) -> None:
    check_pair(load_private_key(key_bundle.private_key_pem), load_certificate(key_bundle.cert_pem or b""))


def test_connector_loader_rejects_what_ingest_rejects(key_bundle: KeyBundle) -> None:
    with pytest.raises(KeyMaterialError):
        connector_loads_key(key_bundle.private_key_pem.decode().replace("\n", "\\n"))


def test_a_certificate_salesforce_would_refuse_for_its_size_is_refused_with_the_figures(key_bundle: KeyBundle) -> None:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    from core.crypto.keypair import import_key_bundle, load_private_key

    key = load_private_key(key_bundle.private_key_pem)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "big")])
    now = dt.datetime.now(dt.UTC)
    names = [x509.DNSName(f"host-{i}.example.com") for i in range(200)]  # pushes the PEM past 4 KB
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    assert len(pem) > 4096
    with pytest.raises(KeyMaterialError, match=r"\d+ bytes as PEM; Salesforce accepts at most 4096"):
        import_key_bundle(key_bundle.private_key_pem, pem)


def test_a_key_for_a_ca_has_a_csr_and_no_self_signed_certificate() -> None:
    from core.crypto.keypair import create_key_bundle

    bundle = create_key_bundle(with_csr=True, self_signed=False)
    assert bundle.cert_pem is None and bundle.csr_pem is not None
    csr = x509.load_pem_x509_csr(bundle.csr_pem)
    assert csr.is_signature_valid
    with pytest.raises(KeyMaterialError, match="needs a CSR"):
        create_key_bundle(self_signed=False)


def test_files_read_as_the_text_a_paste_box_shows(key_bundle: KeyBundle) -> None:
    """PEM as it is; a DER certificate as PEM; a DER key (maybe encrypted) as a PEM block the loader reads."""
    from core.crypto.keypair import load_certificate, load_private_key, pem_text_of_file

    assert key_bundle.cert_pem is not None
    cert = load_certificate(key_bundle.cert_pem)
    der_cert = cert.public_bytes(serialization.Encoding.DER)
    assert pem_text_of_file(der_cert, key=False) == key_bundle.cert_pem.decode()
    assert pem_text_of_file(key_bundle.cert_pem, key=False) == key_bundle.cert_pem.decode()
    key = load_private_key(key_bundle.private_key_pem)
    der_key = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    text = pem_text_of_file(der_key, key=True)
    assert text.startswith("-----BEGIN RSA PRIVATE KEY-----\n")
    assert load_private_key(text).private_numbers() == key.private_numbers()
    encrypted = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    with pytest.raises(EncryptedKeyError):
        load_private_key(pem_text_of_file(encrypted, key=True))
    assert load_private_key(pem_text_of_file(encrypted, key=True), passphrase="secret").private_numbers() == (
        key.private_numbers()
    )
    with pytest.raises(KeyMaterialError):
        pem_text_of_file(b"\x30\x03\x02\x01\x00", key=False)
