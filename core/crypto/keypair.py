"""RSA keys, self-signed certificates and CSRs, made and read with `cryptography` only.

Creating is separate from saving: every function here returns objects or bytes,
and :mod:`core.storage.keyfiles` writes them. Nothing here touches the network.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import NameOID

from core.crypto.days import whole_days
from core.defaults import ALLOWED_KEY_SIZES, DEFAULT_COMMON_NAME, DEFAULT_KEY_SIZE, DEFAULT_VALIDITY_DAYS
from core.errors import EncryptedKeyError, KeyMaterialError, KeyMismatchError

MIN_KEY_SIZE = 2048
MAX_VALIDITY_DAYS = 3650
# Salesforce asks for certificates under 4 KB.
MAX_CERT_PEM_BYTES = 4096

_PEM_BEGIN = re.compile(r"-----\s*BEGIN ([A-Z0-9 ]+?)\s*-----")
_PEM_HEADER = re.compile(r"(Proc-Type:\s*[^\s]+|DEK-Info:\s*[^\s]+)")
_BASE64_CHARS = re.compile(r"^[A-Za-z0-9+/=]*$")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _printable(value: str, what: str, field: str) -> str:
    """``value`` if a certificate can hold it: no control characters, no undecodable bytes from the command line."""
    if re.search(r"[\x00-\x1f\x7f]", value):
        raise KeyMaterialError(f"The certificate's {what} must not contain control characters.", field=field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:  # e.g. Latin-1 bytes in argv on a UTF-8 system (surrogate escapes)
        raise KeyMaterialError(
            f"The certificate's {what} holds characters that are not valid text.",
            field=field,
            hint="Type it again, or set your terminal to UTF-8.",
        ) from exc
    return value


@dataclass(frozen=True)
class Subject:
    """Distinguished name of a certificate or CSR. Only the common name is required."""

    common_name: str = DEFAULT_COMMON_NAME
    organization: str = ""
    organizational_unit: str = ""
    country: str = ""
    email: str = ""

    def to_x509(self) -> x509.Name:
        """Build the x509 name; raises KeyMaterialError for values X.509 cannot hold."""
        cn = _printable(self.common_name.strip(), "common name", "common_name")
        if not cn or len(cn) > 64:
            raise KeyMaterialError("The certificate's common name must be 1 to 64 characters.", field="common_name")
        attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
        for oid, value, limit, field in (
            (NameOID.ORGANIZATION_NAME, self.organization, 64, "organization"),
            (NameOID.ORGANIZATIONAL_UNIT_NAME, self.organizational_unit, 64, "organizational_unit"),
            (NameOID.EMAIL_ADDRESS, self.email, 128, "email"),
        ):
            value = _printable(value.strip(), field.replace("_", " "), field)
            if len(value) > limit:
                raise KeyMaterialError(
                    f"The certificate's {field.replace('_', ' ')} must be at most {limit} characters.",
                    field=field,
                )
            if value and field == "email" and not (value.isascii() and _EMAIL.fullmatch(value)):
                raise KeyMaterialError(  # emailAddress is an IA5String: ASCII, and an address
                    f"'{value}' is not an e-mail address a certificate can hold.",
                    field=field,
                    hint="Give an address such as admin@example.com (ASCII letters only), or leave it out.",
                )
            if value:
                attrs.append(x509.NameAttribute(oid, value))
        country = self.country.strip().upper()
        if country:
            if not re.fullmatch(r"[A-Z]{2}", country):
                raise KeyMaterialError("The country must be a two-letter code such as US or DE.", field="country")
            attrs.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country))
        return x509.Name(attrs)


@dataclass(frozen=True)
class CertificateInfo:
    """What an admin needs to see about a certificate."""

    fingerprint_sha256: str
    not_before: dt.datetime
    not_after: dt.datetime
    subject: str
    serial_number: int
    public_key_id: str  # identifies the key pair (see public_key_id())

    def days_left(self, *, now: dt.datetime | None = None) -> int:
        """Whole days until expiry (a fresh 365-day certificate shows 365, not 364), as Manage counts them."""
        now = now or dt.datetime.now(dt.UTC)
        return whole_days((self.not_after - now).total_seconds())


@dataclass(frozen=True)
class KeyBundle:
    """A private key with its certificate (and optionally a CSR), as PEM bytes."""

    private_key_pem: bytes
    cert_pem: bytes | None
    csr_pem: bytes | None = None

    @cached_property
    def key(self) -> rsa.RSAPrivateKey:
        """The private key, loaded (and checked) once: what the connector's login signs with."""
        return load_private_key(self.private_key_pem)

    @classmethod
    def of(
        cls,
        key: rsa.RSAPrivateKey,
        cert_pem: bytes | None = None,
        csr_pem: bytes | None = None,
        *,
        pem: bytes | None = None,
    ) -> KeyBundle:
        """The bundle of a key made or loaded here: it keeps the key, which is not loaded again from its PEM
        (checking a 4096-bit key's primes takes hundreds of milliseconds). ``pem``: the key's PEM as it was
        given, kept as is; else the key is serialised."""
        bundle = cls(
            private_key_pem=pem if pem is not None else private_key_pem(key), cert_pem=cert_pem, csr_pem=csr_pem
        )
        bundle.__dict__["key"] = key  # what the cached property computes from the PEM
        return bundle

    @property
    def certificate_info(self) -> CertificateInfo | None:
        if self.cert_pem is None:
            return None
        return certificate_info(load_certificate(self.cert_pem))


# --- creating -----------------------------------------------------------------------------


def generate_private_key(*, bits: int = DEFAULT_KEY_SIZE) -> rsa.RSAPrivateKey:
    """Generate an RSA private key with public exponent 65537.

    Raises:
        KeyMaterialError: ``bits`` is not 2048, 3072 or 4096.
    """
    if bits not in ALLOWED_KEY_SIZES:
        raise KeyMaterialError(f"Key size must be one of {', '.join(map(str, ALLOWED_KEY_SIZES))} bits.", field="bits")
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def private_key_pem(key: rsa.RSAPrivateKey) -> bytes:
    """Serialise as unencrypted PKCS#1 PEM (``BEGIN RSA PRIVATE KEY``), what the connector loads."""
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.TraditionalOpenSSL,
        encryption_algorithm=serialization.NoEncryption(),
    )


def make_self_signed_certificate(
    key: rsa.RSAPrivateKey,
    *,
    subject: Subject | None = None,
    days: int = DEFAULT_VALIDITY_DAYS,
    not_before: dt.datetime | None = None,
) -> x509.Certificate:
    """Make a self-signed SHA-256 certificate for ``key`` with a random serial.

    ``not_before`` defaults to now minus five minutes (tolerates a slightly slow clock on
    Salesforce's side); validity is ``days`` from then. Times are timezone-aware UTC.

    Raises:
        KeyMaterialError: ``days`` out of 1..3650 or a subject value X.509 cannot hold.
    """
    if not 1 <= days <= MAX_VALIDITY_DAYS:
        raise KeyMaterialError(f"Validity must be between 1 and {MAX_VALIDITY_DAYS} days.", field="days")
    name = (subject or Subject()).to_x509()
    start = not_before or (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
    if start.tzinfo is None:
        raise ValueError("not_before must be timezone-aware")
    public_key = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    return builder.sign(key, hashes.SHA256())


def make_csr(key: rsa.RSAPrivateKey, *, subject: Subject | None = None) -> bytes:
    """Make a PEM certificate signing request for a corporate CA (SHA-256)."""
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name((subject or Subject()).to_x509())
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM)


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def create_key_bundle(
    *,
    bits: int = DEFAULT_KEY_SIZE,
    days: int = DEFAULT_VALIDITY_DAYS,
    subject: Subject | None = None,
    with_csr: bool = False,
    self_signed: bool = True,
) -> KeyBundle:
    """Generate a key, its self-signed certificate and optionally a CSR, all as PEM bytes.

    ``self_signed=False`` (with ``with_csr``) makes the key and CSR only: the admin chose their CA's
    certificate, and a self-signed one beside it would only invite uploading the wrong file.
    ``keygen --csr`` keeps both, as its ``--csr`` means "also".

    Raises:
        KeyMaterialError: invalid size, validity or subject (checked before the slow generation).
    """
    if not self_signed and not with_csr:
        raise KeyMaterialError("A key without a self-signed certificate needs a CSR.", field="csr")
    subject = subject or Subject()
    subject.to_x509()  # validate before spending a second on key generation
    if not 1 <= days <= MAX_VALIDITY_DAYS:
        raise KeyMaterialError(f"Validity must be between 1 and {MAX_VALIDITY_DAYS} days.", field="days")
    key = generate_private_key(bits=bits)
    return KeyBundle.of(
        key,
        cert_pem=cert_pem(make_self_signed_certificate(key, subject=subject, days=days)) if self_signed else None,
        csr_pem=make_csr(key, subject=subject) if with_csr else None,
    )


def pem_text_of_file(data: bytes, *, key: bool) -> str:
    """A key or certificate file's bytes as the text a paste box shows and :func:`load_private_key` /
    :func:`load_certificate` read: PEM as it is, a DER certificate as PEM, a DER key as its PEM (an
    encrypted one as its encrypted block: loading it asks for the passphrase then).

    Raises:
        KeyMaterialError: a DER certificate that cannot be read.
    """
    if data[:1] != b"\x30":  # not DER (an ASN.1 SEQUENCE): text
        return data.decode("utf-8", errors="replace")
    if not key:
        return cert_pem(load_certificate(data)).decode("ascii")
    body = base64.b64encode(data).decode("ascii")
    try:
        loaded = serialization.load_der_private_key(data, password=None)
    except TypeError:  # it needs a passphrase: the one encrypted DER form is PKCS#8's
        return _wrap_block("ENCRYPTED PRIVATE KEY", [], body)
    except (ValueError, UnsupportedAlgorithm):
        return _wrap_block("PRIVATE KEY", [], body)  # damaged or not a key: the loader says which
    if isinstance(loaded, rsa.RSAPrivateKey):
        return private_key_pem(loaded).decode("ascii")
    return _wrap_block("PRIVATE KEY", [], body)  # not RSA: the loader says so


# --- reading what admins paste --------------------------------------------------------------


@dataclass(frozen=True)
class PemBlock:
    label: str  # e.g. "RSA PRIVATE KEY", "CERTIFICATE"
    text: str  # canonical PEM: 64-column body, LF line ends, final newline


def _wrap_block(label: str, headers: list[str], body: str) -> str:
    lines = [f"-----BEGIN {label}-----", *headers]
    if headers:
        lines.append("")
    lines += [body[i : i + 64] for i in range(0, len(body), 64)]
    lines.append(f"-----END {label}-----")
    return "\n".join(lines) + "\n"


def _pem_spans(text: str) -> list[tuple[str, str]]:
    """(label, inner text) of each BEGIN ... END block, in one pass.

    A single regex with a back-reference searched from every BEGIN to the end of the text when no
    END followed (quadratic: 10 s on 64 KB of damaged paste). Here each BEGIN looks for its END
    once, and a label whose END is missing after some point is not searched for again.
    """
    spans = []
    position = 0
    no_end_after: dict[str, int] = {}
    for begin in _PEM_BEGIN.finditer(text):
        if begin.start() < position:
            continue  # inside the previous block
        label = begin.group(1)
        if label in no_end_after and begin.end() >= no_end_after[label]:
            continue
        end = re.compile(rf"-----\s*END {re.escape(label)}\s*-----").search(text, begin.end())
        if end is None:
            no_end_after[label] = begin.end()
            continue
        spans.append((label, text[begin.end() : end.start()]))
        position = end.end()
    return spans


def parse_pem_blocks(text: str | bytes) -> list[PemBlock]:
    """Find every PEM block in what an admin pasted or picked, and put each in canonical form.

    Tolerates CRLF line ends, literal ``\\n`` sequences (a key copied out of JSON or an
    environment variable), a block flattened onto one line, stray spaces and tabs, a byte
    order mark and surrounding quotes. Returns an empty list when nothing looks like PEM.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    text = text.replace("\ufeff", "").replace("\\r", "").replace("\\n", "\n").replace("\r", "")
    blocks = []
    for raw_label, inner in _pem_spans(text):
        label = " ".join(raw_label.split())
        headers = [" ".join(h.split()).replace(": ", ":").replace(":", ": ", 1) for h in _PEM_HEADER.findall(inner)]
        body = _PEM_HEADER.sub("", inner)
        body = "".join(body.split()).strip("\"'")
        blocks.append(PemBlock(label=label, text=_wrap_block(label, headers, body)))
    return blocks


def _bare_base64_der(text: str) -> bytes | None:
    compact = "".join(text.split()).strip("\"'")
    if len(compact) < 100 or not _BASE64_CHARS.match(compact):
        return None
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


def _check_rsa(key: object) -> rsa.RSAPrivateKey:
    if not isinstance(key, rsa.RSAPrivateKey):
        kind = type(key).__name__.replace("_", "").replace("PrivateKey", "")
        raise KeyMaterialError(
            f"This is not an RSA key ({kind or 'other type'}). Salesforce's JWT login signs with "
            "RS256, which needs an RSA key.",
            hint="Generate a new RSA key with this tool, or import an RSA key.",
        )
    if key.key_size < MIN_KEY_SIZE:
        raise KeyMaterialError(
            f"This RSA key has only {key.key_size} bits; at least {MIN_KEY_SIZE} are required.",
            hint="Generate a new 2048-bit (or larger) key with this tool.",
        )
    return key


def load_private_key(text: str | bytes, *, passphrase: str | None = None) -> rsa.RSAPrivateKey:
    """Read an RSA private key from PEM (PKCS#1 or PKCS#8) or bare base64 DER, normalising paste damage.

    Args:
        text: what the admin pasted or the file's content; may also contain the certificate.
        passphrase: for an encrypted key.

    Raises:
        EncryptedKeyError: the key needs a passphrase, or the passphrase is wrong.
        KeyMaterialError: not a private key, not RSA, or fewer than 2048 bits.
    """
    blocks = parse_pem_blocks(text)
    key_blocks = [b for b in blocks if b.label.endswith("PRIVATE KEY")]
    password = passphrase.encode() if passphrase else None
    if not key_blocks:
        raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        der = _bare_base64_der(raw) if not blocks else None
        if der is not None:
            try:
                return _check_rsa(serialization.load_der_private_key(der, password=password))
            except (ValueError, TypeError, UnsupportedAlgorithm):
                pass
        if any(b.label in ("CERTIFICATE", "PUBLIC KEY", "RSA PUBLIC KEY") for b in blocks):
            raise KeyMaterialError(
                "This is a certificate or public key, not the private key.",
                hint="Choose the private key file (it starts with '-----BEGIN RSA PRIVATE KEY-----' "
                "or '-----BEGIN PRIVATE KEY-----').",
            )
        raise KeyMaterialError(
            "This does not contain a private key.",
            hint="Paste or choose the whole key, from '-----BEGIN' to the '-----END ... KEY-----' line.",
        )
    if len(key_blocks) > 1:
        raise KeyMaterialError(
            "This contains more than one private key; keep only the one that matches your certificate."
        )
    block = key_blocks[0]
    encrypted = block.label == "ENCRYPTED PRIVATE KEY" or "Proc-Type: 4,ENCRYPTED" in block.text
    if encrypted and not passphrase:
        raise EncryptedKeyError(
            "This private key is protected by a passphrase.",
            hint="Enter the passphrase to decrypt it; the connector needs the unencrypted key, "
            "which is kept in your keyring.",
        )
    try:
        key = serialization.load_pem_private_key(block.text.encode(), password=password)
    except TypeError as exc:
        # A passphrase was given for a key that is not encrypted: accept the key as it is.
        if not encrypted:
            key = serialization.load_pem_private_key(block.text.encode(), password=None)
        else:
            raise KeyMaterialError("This private key could not be decrypted.") from exc
    except ValueError as exc:
        if encrypted:
            raise EncryptedKeyError(
                "The passphrase is wrong for this private key.", hint="Check it and try again."
            ) from exc
        raise KeyMaterialError(
            "The private key is damaged: its content is not a valid key.",
            hint="Copy it again from the original file, including the BEGIN and END lines.",
        ) from exc
    except UnsupportedAlgorithm as exc:
        raise KeyMaterialError("This private key uses an algorithm that is not supported.") from exc
    return _check_rsa(key)


def load_certificate(text: str | bytes) -> x509.Certificate:
    """Read an X.509 certificate from PEM (normalising paste damage) or DER bytes.

    Raises:
        KeyMaterialError: nothing that parses as a certificate.
    """
    blocks = [b for b in parse_pem_blocks(text) if b.label in ("CERTIFICATE", "X509 CERTIFICATE")]
    try:
        if blocks:
            return x509.load_pem_x509_certificate(blocks[0].text.encode())
        if isinstance(text, bytes) and text[:1] == b"\x30":
            return x509.load_der_x509_certificate(text)
    except ValueError as exc:
        raise KeyMaterialError(
            "The certificate is damaged and cannot be read.",
            hint="Copy it again from the original .crt file, including the BEGIN and END lines.",
        ) from exc
    raise KeyMaterialError(
        "This does not contain a certificate.",
        hint="Choose the .crt file (it starts with '-----BEGIN CERTIFICATE-----').",
    )


def certificate_info(cert: x509.Certificate) -> CertificateInfo:
    return CertificateInfo(
        fingerprint_sha256=fingerprint_sha256(cert),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        subject=cert.subject.rfc4514_string(),
        serial_number=cert.serial_number,
        public_key_id=public_key_id(cert.public_key()),
    )


def fingerprint_sha256(cert: x509.Certificate) -> str:
    """Colon-separated upper-case SHA-256 fingerprint, as openssl and Salesforce show it."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def public_key_id(key: rsa.RSAPrivateKey | CertificatePublicKeyTypes) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo: identifies a key pair without revealing it."""
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(der)
    return digest.finalize().hex()


def check_pair(key: rsa.RSAPrivateKey, cert: x509.Certificate) -> None:
    """Raise KeyMismatchError unless ``cert`` carries ``key``'s public key."""
    cert_public = cert.public_key()
    if not isinstance(cert_public, rsa.RSAPublicKey) or public_key_id(cert_public) != public_key_id(key):
        raise KeyMismatchError(
            "The private key and the certificate do not belong together.",
            hint="Choose the certificate that was made from this key, or generate a new pair. "
            "Salesforce would answer 'invalid assertion' with this pair.",
        )


def import_key_bundle(
    key_text: str | bytes, cert_text: str | bytes | None, *, passphrase: str | None = None
) -> KeyBundle:
    """Import an existing key (and certificate), checked and normalised to PKCS#1 PEM.

    ``cert_text`` may be None when the certificate is found in ``key_text`` or will come later
    (e.g. from a corporate CA).

    Raises:
        EncryptedKeyError, KeyMaterialError, KeyMismatchError: as :func:`load_private_key`,
            :func:`load_certificate` and :func:`check_pair`.
    """
    key = load_private_key(key_text, passphrase=passphrase)
    cert = None
    if cert_text is not None and (str(cert_text).strip() if isinstance(cert_text, str) else cert_text):
        cert = load_certificate(cert_text)
    else:
        embedded = [b for b in parse_pem_blocks(key_text) if b.label == "CERTIFICATE"]
        if embedded:
            cert = load_certificate(embedded[0].text)
    if cert is not None:
        check_pair(key, cert)
        check_uploadable(cert)
    return KeyBundle.of(key, cert_pem=cert_pem(cert) if cert else None)


def attach_certificate(bundle: KeyBundle, cert_text: str | bytes) -> KeyBundle:
    """Add the certificate a CA issued for ``bundle``'s CSR, after checking it matches the key."""
    key = bundle.key
    cert = load_certificate(cert_text)
    check_pair(key, cert)
    check_uploadable(cert)
    return KeyBundle.of(key, cert_pem(cert), bundle.csr_pem, pem=bundle.private_key_pem)


def check_uploadable(cert: x509.Certificate) -> None:
    """Raise KeyMaterialError if Salesforce would refuse to take this certificate (over 4 KB as PEM)."""
    size = len(cert_pem(cert))
    if size > MAX_CERT_PEM_BYTES:
        raise KeyMaterialError(
            f"This certificate is {size} bytes as PEM; Salesforce accepts at most {MAX_CERT_PEM_BYTES}.",
            field="certificate",
            hint="Use a certificate for a 2048- to 4096-bit RSA key without long extension lists, or let "
            "this app make a self-signed one.",
        )


def connector_loads_key(pem_text: str, *, from_checked_key: bool = False) -> None:
    """Load ``pem_text`` exactly as unstructured-ingest does, raising KeyMaterialError if it cannot.

    The connector calls ``load_pem_private_key(data, password=None)`` on the string it is given:
    no normalisation happens on its side. ``from_checked_key``: the text was serialised here from a
    key :func:`load_private_key` has checked, so the check of its primes — most of a load's cost,
    tens of milliseconds for 2048 bits and hundreds for 4096 — is not made twice; the text is still
    parsed as the connector parses it.
    """
    try:
        key = serialization.load_pem_private_key(
            pem_text.encode("utf-8"), password=None, unsafe_skip_rsa_key_validation=from_checked_key
        )
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyMaterialError(
            "The connector could not load this private key: it must be an unencrypted PEM key.",
        ) from exc
    _check_rsa(key)
