"""Manage connectors in the wizard: inventory with expiry warnings, check, delete, and guided key rotation."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox, QWizard
from pytest_httpserver import HTTPServer

from core.crypto.keypair import KeyBundle
from core.unstructured.client import SourceConnector
from gui.page_ids import PageId
from gui.pages.manage.page import ManagePage
from gui.rotation import RotationWizard
from tests.conftest import CONSUMER_KEY, USERNAME
from tests.fakes.keyrings import MemoryKeyring
from tests.fakes.platform import FakePlatform
from tests.fakes.salesforce import FakeSalesforce
from tests.fakes.salesforce_org import FakeOrg
from tests.gui.conftest import Person, WizardUser, cell


def open_manage(person: Person) -> None:
    person.wizard.welcome_page.initializePage()
    assert person.wizard.welcome_page.expiry.kind == "warning"  # said on start
    person.click(person.wizard.welcome_page.manage_radio)
    person.next()
    assert person.at(PageId.MANAGE)
    page = person.wizard.manage_page
    person.qtbot.waitUntil(lambda: page.table.rowCount() > 0, timeout=10000)


def start_rotation(person: Person) -> tuple[ManagePage, RotationWizard, WizardUser]:
    """Open Manage, select the connector and start Rotate key; returns the page, the rotation wizard and its user."""
    open_manage(person)
    page = person.wizard.manage_page
    page.table.selectRow(0)
    person.click(page.rotate_button)
    rotation = page.rotation
    assert rotation is not None and rotation.isVisible()
    return page, rotation, WizardUser(person.qtbot, rotation)


def test_inventory_flags_expiring_certificates(person: Person, existing: SourceConnector) -> None:
    open_manage(person)
    page = person.wizard.manage_page
    assert cell(page.table, 0, 0).text() == "sf-old" and cell(page.table, 0, 1).text() == existing.id
    assert "10 days" in cell(page.table, 0, 4).text()
    assert page.message.kind == "warning" and "sf-old" in page.message.text()
    assert person.wizard.button(QWizard.WizardButton.FinishButton).isVisible()


def test_check_and_delete_with_confirmation(person: Person, existing: SourceConnector, platform: FakePlatform) -> None:
    open_manage(person)
    page = person.wizard.manage_page
    page.table.selectRow(0)
    person.click(page.check_button)
    person.qtbot.waitUntil(lambda: page.message.kind in ("ok", "error"), timeout=20000)
    assert page.message.kind == "ok" and "passed" in page.message.text()
    person.click(page.delete_button)
    box = page.confirm_box
    assert box is not None and box.isVisible() and "sf-old" in box.text()
    person.click(box.button(QMessageBox.StandardButton.Cancel))
    assert existing.id in platform.connectors  # cancelled: nothing deleted
    person.click(page.delete_button)
    assert page.confirm_box is not None
    person.click(page.confirm_box.button(QMessageBox.StandardButton.Yes))
    person.qtbot.waitUntil(lambda: page.table.rowCount() == 0, timeout=10000)
    assert platform.connectors == {} and person.wizard.context.settings.connector(existing.id) is None


def test_failed_check_shows_the_reason(person: Person, existing: SourceConnector, salesforce: FakeSalesforce) -> None:
    salesforce.apps.clear()
    open_manage(person)
    page = person.wizard.manage_page
    page.table.selectRow(0)
    person.click(page.check_button)
    person.qtbot.waitUntil(lambda: page.message.kind == "error", timeout=20000)
    assert "invalid_client_id" in page.message.text()


def test_key_rotation_end_to_end(
    person: Person,
    existing: SourceConnector,
    tmp_path: Path,
    salesforce: FakeSalesforce,
    platform: FakePlatform,
    key_bundle: KeyBundle,
) -> None:
    page, rotation, rot = start_rotation(person)

    rot.qtbot.waitUntil(lambda: rotation.credentials_page.username.text() == USERNAME, timeout=5000)
    rot.generate_key(tmp_path / "new")
    new_cert = rotation.context.cert_path
    assert new_cert is not None and new_cert.read_bytes() != key_bundle.cert_pem
    rot.next()
    assert "old.crt" in " ".join(
        lbl.text() for lbl in rotation.replace_page.findChildren(type(rotation.replace_page.steps))
    )
    assert not rot.next_enabled()
    salesforce.register_app(CONSUMER_KEY, new_cert.read_bytes(), approved={USERNAME})  # the admin uploads it
    rot.click(rotation.replace_page.done_box)
    rot.next()
    credentials = rotation.credentials_page
    assert credentials.consumer_key.text() == CONSUMER_KEY
    rot.click(credentials.advanced)
    rot.type(credentials.login_url, salesforce.url)
    rot.next()
    rot.click(rotation.verify_page.verify_button)
    rot.qtbot.waitUntil(lambda: rotation.verify_page.result.kind == "ok", timeout=10000)
    assert platform.connectors[existing.id]["config"]["private_key"] == key_bundle.private_key_pem.decode()  # untouched
    rot.next()
    apply = rotation.apply_page
    assert "yes" in apply.summary.toPlainText() and not apply.confirm_unverified.isVisible()
    rot.click(apply.update_button)
    rot.qtbot.waitUntil(lambda: apply.check_message.kind in ("ok", "error"), timeout=20000)
    assert apply.check_message.kind == "ok", apply.check_message.text()
    stored = platform.connectors[existing.id]["config"]
    bundle = rotation.context.bundle
    assert bundle is not None and stored["private_key"] == bundle.private_key_pem.decode()
    assert stored["username"] == USERNAME and stored["categories"] == [
        "Account",
        "Campaign",
        "Case",
        "EmailMessage",
        "Lead",
    ]
    # with the new key, a fresh look at what the connector reads (its five categories, as Unstructured has them)
    rot.qtbot.waitUntil(lambda: apply.reading_message.kind in ("info", "warning"), timeout=10000)
    assert "What sf-old reads now: Account 1,234; Campaign 0; Case 57; EmailMessage 311; Lead 80." in (
        apply.reading_message.text()
    )
    info = bundle.certificate_info
    record = person.wizard.context.settings.connector(existing.id)
    assert info is not None and record is not None and record.fingerprint_sha256 == info.fingerprint_sha256
    # the inventory reloads and no longer warns
    rot.qtbot.waitUntil(lambda: page.message.kind == "ok", timeout=10000)


def test_rotation_does_not_touch_the_connector_until_the_new_key_is_verified(
    person: Person,
    existing: SourceConnector,
    tmp_path: Path,
    salesforce: FakeSalesforce,
    platform: FakePlatform,
    key_bundle: KeyBundle,
) -> None:
    page, rotation, rot = start_rotation(person)
    rot.qtbot.waitUntil(lambda: rotation.credentials_page.username.text() == USERNAME, timeout=5000)
    rot.generate_key(tmp_path / "new")
    rot.next()
    rot.click(rotation.replace_page.done_box)  # claims to, but the certificate was not replaced
    rot.next()
    rot.click(rotation.credentials_page.advanced)
    rot.type(rotation.credentials_page.login_url, salesforce.url)
    rot.next()
    rot.click(rotation.verify_page.verify_button)
    rot.qtbot.waitUntil(lambda: rotation.verify_page.result.kind == "error", timeout=10000)
    assert "invalid assertion" in rotation.verify_page.result.text() and not rot.next_enabled()
    # skipping needs an explicit confirmation on the last step
    rot.click(rotation.verify_page.skip)
    rot.next()
    apply = rotation.apply_page
    assert apply.confirm_unverified.isVisible() and not apply.update_button.isEnabled()
    rotation.close()
    assert platform.connectors[existing.id]["config"]["private_key"] == key_bundle.private_key_pem.decode()
    assert platform.requests_of("PUT") == []


def test_after_loading_the_first_connector_is_selected_so_its_actions_can_be_used(
    person: Person, existing: SourceConnector
) -> None:
    open_manage(person)
    page = person.wizard.manage_page
    selected = page.selected()
    assert selected is not None and selected.id == existing.id
    assert page.check_button.isEnabled() and page.rotate_button.isEnabled() and page.delete_button.isEnabled()


def test_welcome_says_what_happens_on_both_salesforce_paths(person: Person) -> None:
    text = person.wizard.welcome_page.intro.text()
    assert "sign in to Salesforce once" in text and "checklist" in text


def test_cancelling_a_rotation_after_the_new_key_says_what_is_kept(
    person: Person, existing: SourceConnector, tmp_path: Path, platform: FakePlatform, key_bundle: KeyBundle
) -> None:
    page, rotation, rot = start_rotation(person)
    rot.generate_key(tmp_path / "new")
    new_cert = rotation.context.cert_path
    assert new_cert is not None and new_cert.exists()
    rotation.reject()  # Cancel, Escape or the window's close button
    box = rotation.close_box
    assert box is not None and box.isVisible()
    text = box.text()
    assert "still uses its old key" in text and rotation.context.key_name in text and str(new_cert) in text
    assert platform.connectors[existing.id]["config"]["private_key"] == key_bundle.private_key_pem.decode()
    box.done(0)
    assert not rotation.isVisible()


def test_closing_while_manage_works_speaks_of_rotations_not_of_creating_a_connector(
    person: Person, existing: SourceConnector, platform: FakePlatform
) -> None:
    from PySide6.QtWidgets import QMessageBox

    open_manage(person)
    page = person.wizard.manage_page
    platform.delay = 2.0  # a slow answer: Manage is busy
    person.click(page.load_button)
    assert page.is_busy()
    person.wizard.reject()
    box = person.wizard.close_box
    assert box is not None
    assert "connector may" not in box.text() and "Finish it" in box.text()  # it said "(a connector may be created)"
    box.done(QMessageBox.StandardButton.Cancel.value)
    platform.delay = 0.0


def test_a_passing_check_also_shows_what_the_connector_reads_now(
    person: Person,
    existing: SourceConnector,
    salesforce: FakeSalesforce,
    key_bundle: KeyBundle,
    memory_keyring: MemoryKeyring,
) -> None:
    """With the key kept here, the check is followed by a fresh count as the connector's user."""
    import dataclasses

    settings = person.wizard.context.settings
    record = settings.connector(existing.id)
    assert record is not None
    old = settings.key_by_public_id(record.public_key_id)
    assert old is not None
    settings.remember_key(dataclasses.replace(old, in_keyring=True))
    memory_keyring.set_password("salesforce-connector-wizard", "private-key:old", key_bundle.private_key_pem.decode())
    person.wizard.context.draft.login_url = salesforce.url  # the loopback stand-in for login.salesforce.com
    salesforce.disabled_objects = {"Campaign"}
    open_manage(person)
    page = person.wizard.manage_page
    page.table.selectRow(0)
    person.click(page.check_button)
    person.qtbot.waitUntil(lambda: page.reading_message.kind in ("info", "warning"), timeout=20000)
    assert page.message.kind == "ok" and "passed" in page.message.text()
    text = page.reading_message.text()
    assert "What sf-old reads now: Account 1,234;" in text and "Campaign cannot be read" in text
    assert page.reading_message.kind == "warning"  # a category it cannot read fails its runs


def test_check_all_now_shows_what_each_connector_has_and_keeps_the_watch(
    person: Person, org: FakeOrg, keys: tuple[Path, Path], platform: FakePlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Manage's Watch: a failed nightly run is said, with what it means, and the last watch is kept for next time."""
    from core.storage.settings import Settings
    from core.usecases.watch import WatchHistory
    from tests.core.test_watch import QUERY_FAILED, _kept_connector

    connector_id = _kept_connector(org, keys, platform, monkeypatch)
    workflow = platform.add_workflow("Nightly CRM", connector_id)
    platform.add_job(workflow, "FAILED", message=QUERY_FAILED)
    person.wizard.context.settings = Settings.load()  # what the command line recorded meanwhile
    person.wizard.context.settings.api_url = platform.api_url
    person.click(person.wizard.welcome_page.manage_radio)
    person.next()
    manage = person.wizard.manage_page
    person.qtbot.waitUntil(lambda: manage.table.rowCount() > 0, timeout=10000)
    assert "No watch has run on this computer yet" in manage.watch.last.text()
    person.click(manage.watch.check_all_button)
    person.qtbot.waitUntil(lambda: manage.message.kind == "error", timeout=20000)
    assert "1 of 1 connectors are failing" in manage.message.text()
    last = manage.watch.last.text()
    assert "Last checked" in last and "1 failing" in last and "Nightly CRM" in last and "verify --categories" in last
    assert WatchHistory.load().last(connector_id) is not None


def test_schedule_checks_keeps_the_webhook_in_the_keyring_and_sends_a_test_notification(
    person: Person,
    platform: FakePlatform,
    httpserver: HTTPServer,
    memory_keyring: MemoryKeyring,
) -> None:
    from core.defaults import WEBHOOK_ENTRY
    from tests.core.test_watch import Webhook

    hook = Webhook(httpserver)
    person.wizard.context.settings.api_url = platform.api_url
    person.click(person.wizard.welcome_page.manage_radio)
    person.next()
    manage = person.wizard.manage_page
    person.click(manage.watch.schedule_button)
    dialog = manage.watch.dialog
    assert dialog is not None and dialog.isVisible()
    assert not dialog.rotate.isEnabled()  # no kept Salesforce sign-in here: it says how to keep one
    assert dialog.desktop.isChecked()  # the desktop's own notifications, by default
    person.type(dialog.webhook, hook.url)
    with contextlib.ExitStack() as stack:
        if sys.platform.startswith("linux"):
            from tests.fakes.notifications import NotificationService

            desktop = stack.enter_context(NotificationService())
        else:  # the test is about the webhook; Linux's run shows the desktop's side
            dialog.desktop.setChecked(False)
        person.click(dialog.test_button)
        person.qtbot.waitUntil(
            lambda: "Sent a test notification" in dialog.state.text() or dialog.state.kind == "error", timeout=10000
        )
    assert "Sent a test notification" in dialog.state.text(), dialog.state.text()
    if sys.platform.startswith("linux"):
        assert "Showed a test notification on this desktop" in dialog.state.text()
        [shown] = desktop.shown
        assert "notifications reach this channel" in shown.body
    [body] = hook.bodies
    assert "Test notification" in str(body["text"])
    assert dialog.webhook.text() == "" and "secret-part" not in dialog.state.text()
    assert person.wizard.context.store.get(WEBHOOK_ENTRY) == hook.url
    dialog.close()
