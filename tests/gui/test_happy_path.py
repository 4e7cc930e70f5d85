"""From nothing to a created, verified connector, against the loopback Salesforce and Platform API."""

from __future__ import annotations

import stat
from pathlib import Path

from PySide6.QtGui import QGuiApplication

from core.crypto.keypair import fingerprint_sha256, load_certificate
from core.storage.secret_store import SecretStore
from core.storage.settings import Settings
from gui.page_ids import PageId
from tests.conftest import API_KEY, CONSUMER_KEY, USERNAME
from tests.fakes.keyrings import MemoryKeyring
from tests.fakes.platform import FakePlatform
from tests.fakes.salesforce import FakeSalesforce
from tests.gui.conftest import Browser, Person


def test_admin_goes_from_nothing_to_a_checked_connector(
    person: Person,
    tmp_path: Path,
    salesforce: FakeSalesforce,
    platform: FakePlatform,
    browser: Browser,
    memory_keyring: MemoryKeyring,
) -> None:
    wizard = person.wizard
    assert person.at(PageId.WELCOME)
    person.next()

    # Key and certificate: generated here, private key to the keyring, certificate to the folder.
    assert person.at(PageId.KEY) and not person.next_enabled()
    person.generate_key(tmp_path / "keys")
    page = wizard.key_page
    cert_file = tmp_path / "keys" / "salesforce.crt"
    assert cert_file.exists() and not (tmp_path / "keys" / "salesforce.pem").exists()
    assert page.fingerprint.value() == fingerprint_sha256(load_certificate(cert_file.read_bytes()))
    assert page.cert_path.value() == str(cert_file)
    assert "keyring" in page.message.text()
    assert (SecretStore(memory_keyring).get("private-key:salesforce") or "").startswith(
        "-----BEGIN RSA PRIVATE KEY-----"
    )
    person.click(page.reveal_button)
    assert browser.opened[-1] == Path(tmp_path / "keys").as_uri()
    person.next()

    # The recommended path is "set it up for me"; this admin chooses the checklist: values ready to
    # copy, and Next only when every step is ticked.
    app_page = wizard.salesforce_app_page
    assert person.at(PageId.SALESFORCE_APP) and app_page.auto_radio.isChecked() and person.next_enabled()
    person.click(app_page.manual_radio)
    assert not person.next_enabled()
    assert app_page.copy_fields["Callback URL"].value() == "https://localhost"
    assert app_page.copy_fields["Certificate file"].value() == str(cert_file)
    person.upload_certificate(salesforce)
    person.tick_checklist()
    assert person.next_enabled() and "All 7 steps done" in app_page.progress.text()
    person.next()

    # Credentials, validated inline.
    assert person.at(PageId.CREDENTIALS)
    credentials = wizard.credentials_page
    person.type(credentials.username, "not-a-username")
    assert not person.next_enabled() and "not a Salesforce username" in credentials.username_message.text()
    person.enter_credentials(salesforce.url)
    assert person.next_enabled() and credentials.username_message.isHidden()
    person.next()

    # Approve and verify: not yet approved, then approved in the browser, then proven.
    assert person.at(PageId.VERIFY) and not person.next_enabled()
    verify = wizard.verify_page
    assert verify.url.value().startswith(f"{salesforce.url}/services/oauth2/authorize?response_type=code")
    assert "does not prove" in verify.diagnosis.text()
    person.verify()
    assert verify.result.kind == "error" and "hasn't approved" in verify.result.text()
    assert "approval URL" in verify.result.text() and not person.next_enabled()
    person.approve_in_browser(salesforce)
    person.verify()
    assert verify.result.kind == "ok" and salesforce.org_id in verify.result.text() and USERNAME in verify.result.text()
    assert person.next_enabled()
    person.next()

    # Unstructured: URL, key (masked), name, categories.
    assert person.at(PageId.UNSTRUCTURED)
    unstructured = wizard.unstructured_page
    assert unstructured.api_key.echoMode() == unstructured.api_key.EchoMode.Password
    person.enter_unstructured(platform.api_url)
    for category in ("Campaign", "Lead"):
        person.click(unstructured.category_boxes[category])
    person.click(unstructured.remember_key)
    person.next()

    # Review: nothing secret on screen; create; connection check passes.
    assert person.at(PageId.REVIEW)
    review = wizard.review_page
    summary = review.summary.toPlainText()
    assert "PRIVATE KEY" not in summary and API_KEY not in summary and CONSUMER_KEY in summary
    assert not person.next_enabled()
    person.click(review.copy_curl)
    curl = QGuiApplication.clipboard().text()
    assert curl.startswith("# Needs jq") and "$UNSTRUCTURED_API_KEY" in curl and API_KEY not in curl
    assert "PRIVATE KEY" not in curl and f"{platform.url}/api/v1/sources/" in curl
    person.click(review.copy_python)
    assert "UnstructuredClient(" in QGuiApplication.clipboard().text()
    assert platform.requests_of("POST") == []  # copying sends nothing
    person.click(review.create_button)
    person.qtbot.waitUntil(lambda: review.check_message.kind in ("ok", "error"), timeout=20000)
    assert review.check_message.kind == "ok", review.check_message.text()
    connector_id = review.connector_id.value()
    created = platform.connectors[connector_id]
    assert created["name"] == "sf-prod" and created["config"]["categories"] == ["Account", "Case", "EmailMessage"]
    assert created["config"]["username"] == USERNAME and platform.spec_violations == []
    assert [r[:2] for r in platform.requests if r[0] == "POST"] == [
        ("POST", "/api/v1/sources/"),
        ("POST", f"/api/v1/sources/{connector_id}/connection-check"),
    ]
    assert not review.create_button.isEnabled()
    person.next()

    assert person.at(PageId.DONE)
    assert "passed" in wizard.done_page.summary.text() and wizard.done_page.connector_id.value() == connector_id
    assert SecretStore(memory_keyring).get("unstructured-api-key") == API_KEY
    settings = Settings.load()
    assert settings.connector(connector_id) is not None and settings.username == USERNAME
    assert "PRIVATE KEY" not in (Path(str(settings_file())).read_text())
    assert stat.S_IMODE(settings_file().stat().st_mode) == 0o600


def settings_file() -> Path:
    from core.storage.settings import SETTINGS_FILE, config_dir

    return config_dir() / SETTINGS_FILE
