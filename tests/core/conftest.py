"""Fixtures the core tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.keys import KeyBundle


@pytest.fixture
def keys(tmp_path: Path, key_bundle: KeyBundle) -> tuple[Path, Path]:
    """The session's key pair as the files keygen writes: (salesforce.pem, salesforce.crt)."""
    assert key_bundle.cert_pem is not None
    key, cert = tmp_path / "salesforce.pem", tmp_path / "salesforce.crt"
    key.write_bytes(key_bundle.private_key_pem)
    cert.write_bytes(key_bundle.cert_pem)
    return key, cert
