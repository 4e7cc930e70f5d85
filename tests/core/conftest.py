"""Fixtures the core tests share."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.crypto.keypair import KeyBundle
from core.salesforce.org import AdminSession, OrgClient
from tests.conftest import FAST
from tests.fakes.salesforce_org import FakeOrg


@pytest.fixture
def keys(tmp_path: Path, key_bundle: KeyBundle) -> tuple[Path, Path]:
    """The session's key pair as the files keygen writes: (salesforce.pem, salesforce.crt)."""
    assert key_bundle.cert_pem is not None
    key, cert = tmp_path / "salesforce.pem", tmp_path / "salesforce.crt"
    key.write_bytes(key_bundle.private_key_pem)
    cert.write_bytes(key_bundle.cert_pem)
    return key, cert


@pytest.fixture
def client(org: FakeOrg) -> OrgClient:
    """The admin's REST client into the loopback org."""
    return OrgClient(
        AdminSession(instance_url=org.url, access_token=org.admin_token()),
        timings=FAST._replace(http_timeout=(2.0, 5.0)),
    )
