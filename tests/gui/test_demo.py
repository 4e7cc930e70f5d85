"""The demo mode a newcomer starts from the README: its Salesforce trusts the certificate the wizard writes."""

from __future__ import annotations

import os
from pathlib import Path

from core.crypto.keypair import KeyBundle
from core.salesforce.login import approval_url, verify_jwt_login
from core.storage.keyfiles import write_key_bundle
from scripts.demo import DEMO_CONSUMER_KEY, DEMO_USER, DemoServices


def test_demo_salesforce_trusts_the_newest_certificate_and_records_browser_approval(
    tmp_path: Path, key_bundle: KeyBundle, other_bundle: KeyBundle
) -> None:
    import requests

    services = DemoServices(tmp_path)
    try:
        old = write_key_bundle(other_bundle, tmp_path, name="old").certificate
        assert old is not None
        os.utime(old, (1_000_000_000, 1_000_000_000))  # uploaded long ago
        write_key_bundle(key_bundle, tmp_path, name="new")
        response = requests.get(
            approval_url(DEMO_CONSUMER_KEY, login_url=services.salesforce.url), allow_redirects=False, timeout=5
        )
        assert response.status_code == 302
        result = verify_jwt_login(
            username=DEMO_USER,
            consumer_key=DEMO_CONSUMER_KEY,
            private_key=key_bundle.private_key_pem,
            login_url=services.salesforce.url,
        )
        assert result.display_name == "Demo Admin"
    finally:
        services.stop()
