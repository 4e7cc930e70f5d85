"""The demo mode a newcomer starts from the README: its Salesforce trusts the certificate the wizard writes."""

from __future__ import annotations

import os
from pathlib import Path

from core.crypto.keypair import KeyBundle
from core.salesforce.login import approval_url, verify_jwt_login
from core.storage.keyfiles import write_key_bundle
from scripts.demo import DEMO_CONSUMER_KEY, DEMO_USER, DemoServices, arguments, repoint_settings


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
            private_key=key_bundle.key,
            login_url=services.salesforce.url,
        )
        assert result.display_name == "Demo Admin"
    finally:
        services.stop()


def test_the_demo_keeps_its_org_and_platform_across_runs_and_its_switches_show_real_orgs_cases(
    tmp_path: Path, key_bundle: KeyBundle
) -> None:
    """Issue 27, item 12: Resume and Manage after a restart need the demo org's apps and the Platform's
    connectors to be there again, at the new run's addresses."""
    import json

    import pytest

    from tests.fakes.salesforce_org import OrgApp

    with pytest.raises(SystemExit) as shown:  # --help says how, and starts nothing
        arguments(["--help"])
    assert shown.value.code == 0
    assert arguments(["--unreadable", "Campaign", "--login-wait", "30"]).unreadable == ["Campaign"]
    with pytest.raises(SystemExit):
        arguments(["--unreadable", "Opportunity"])

    first = DemoServices(tmp_path)
    try:
        assert key_bundle.cert_pem is not None
        first.salesforce.org_apps["Unstructured_Connector"] = OrgApp(
            name="Unstructured_Connector",
            consumer_key="3MVG9ConsumerKeyOfTheDemoApp",
            certificate_pem=key_bundle.cert_pem.decode(),
            permission_set="",
            ip_relaxation="ENFORCE",
            ready_at=0.0,
        )
        first.platform.connectors["c1"] = {"id": "c1", "name": "demo-crm", "type": "salesforce", "config": {}}
        saved = json.loads(json.dumps(first.snapshot()))  # as the file holds it
    finally:
        first.stop()
    settings = tmp_path / "settings.json"
    settings.write_text(
        json.dumps({"api_url": saved["urls"]["platform"] + "/api/v1", "login_url": saved["urls"]["login"]})
    )

    second = DemoServices(tmp_path)
    try:
        second.restore(saved)
        repoint_settings(settings, saved["urls"], second.urls())
        repointed = json.loads(settings.read_text())
        assert repointed["api_url"] == second.platform.api_url and repointed["login_url"] == second.salesforce.url
        assert "Unstructured_Connector" in second.salesforce.org_apps and "c1" in second.platform.connectors
        second.fail_every_connectors_last_run()
        [workflow] = second.platform.workflows.values()
        assert workflow["sources"] == ["c1"]
        assert [j["status"] for j in second.platform.jobs.values()] == ["COMPLETED", "FAILED"]
    finally:
        second.stop()


def test_the_settings_follow_the_services_when_a_port_passes_from_one_service_to_another(tmp_path: Path) -> None:
    """The system hands a port freed by the last run to another service of this one: the platform now listens
    where the login host did. Moved one address after the other, the platform's new address was then moved on
    as the login host's old one (the test above failed so once)."""
    import json

    settings = tmp_path / "settings.json"
    old = {"platform": "http://127.0.0.1:4000", "login": "http://127.0.0.1:40001"}
    new = {"platform": "http://127.0.0.1:40001", "login": "http://127.0.0.1:5000"}
    settings.write_text(json.dumps({"api_url": old["platform"] + "/api/v1", "login_url": old["login"]}))
    repoint_settings(settings, old, new)
    assert json.loads(settings.read_text()) == {"api_url": new["platform"] + "/api/v1", "login_url": new["login"]}
