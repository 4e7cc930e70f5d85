"""Every failure a user can meet in the wizard ends in a clear message where it happened."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import keyring.backends.fail
import keyring.backends.null
import pytest
from PySide6.QtCore import QCoreApplication, Qt, QThreadPool
from PySide6.QtWidgets import QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from core.crypto.keypair import KeyBundle
from core.errors import AppError
from core.storage.secret_store import SecretStore
from core.storage.settings import Settings, config_dir
from gui.crash import CrashReporter
from gui.page_ids import PageId
from gui.widgets import SETTINGS_NOT_SAVED
from tests.conftest import CONSUMER_KEY
from tests.fakes.platform import FakePlatform
from tests.fakes.salesforce import FakeSalesforce
from tests.gui.conftest import Person

# --- key step ------------------------------------------------------------------------------------


def test_keyring_unavailable_says_so_and_allows_a_session_without_saving(person: Person, tmp_path: Path) -> None:
    person.wizard.context.store = SecretStore(keyring.backends.fail.Keyring())
    person.wizard.welcome_page.initializePage()
    person.qtbot.waitUntil(lambda: "No system keyring" in person.wizard.welcome_page.keyring_warning.text())
    person.next()
    page = person.wizard.key_page
    person.type(page.folder, str(tmp_path))
    person.click(page.action_button)
    person.qtbot.waitUntil(lambda: page.keyring_message.kind == "error", timeout=20000)
    assert "No system keyring" in page.keyring_message.text() and "GNOME Keyring" in page.keyring_message.text()
    assert not person.next_enabled() and not (tmp_path / "salesforce.crt").exists()  # nothing half-done
    person.click(page.session_only_button)
    person.qtbot.waitUntil(page.isComplete, timeout=20000)
    assert "only in memory" in page.message.text()
    bundle = person.wizard.context.bundle
    assert bundle is not None and bundle.private_key_pem.startswith(b"-----BEGIN RSA PRIVATE")
    assert not list(tmp_path.glob("*.pem"))  # never a silent plaintext fallback


def test_a_switched_off_keyring_is_never_called_safe_and_the_key_file_is_offered(
    person: Person, tmp_path: Path, platform: FakePlatform, salesforce: FakeSalesforce
) -> None:
    """keyring --disable: the null backend accepts secrets and keeps none."""
    person.wizard.context.store = SecretStore(keyring.backends.null.Keyring())
    person.wizard.welcome_page.initializePage()
    person.qtbot.waitUntil(lambda: "switched off" in person.wizard.welcome_page.keyring_warning.text())
    assert "keyringrc.cfg" in person.wizard.welcome_page.keyring_warning.text()
    person.next()
    page = person.wizard.key_page
    assert "Recommended" in page.export_key.text() and "Not needed" not in page.export_key.text()
    person.type(page.folder, str(tmp_path))
    person.click(page.action_button)
    person.qtbot.waitUntil(lambda: page.keyring_message.kind == "error", timeout=20000)
    assert "switched off" in page.keyring_message.text()
    assert not (tmp_path / "salesforce.crt").exists()  # no certificate whose key exists nowhere
    person.click(page.session_only_button)
    person.qtbot.waitUntil(page.isComplete, timeout=20000)
    assert page.message.kind == "warning" and "only in memory" in page.message.text()
    assert "keyring" not in page.message.text().split("Done")[0]
    assert page.export_button.hasFocus() and page.export_button.isVisible()
    record = Settings.load().keys[0]
    assert record.in_keyring is False  # the record tells the truth after a restart
    assert page.export_private_key(tmp_path / "copy.pem")
    bundle = person.wizard.context.bundle
    assert bundle is not None and (tmp_path / "copy.pem").read_bytes() == bundle.private_key_pem
    # Closing now must not promise what a null keyring cannot keep (it said "Your key is kept").
    person.wizard.reject()
    box = person.wizard.close_box
    assert box is not None and "only in memory" in box.text() and "is kept and" not in box.text()
    box.done(QMessageBox.StandardButton.Cancel.value)
    person.next()
    person.upload_certificate(salesforce)
    person.tick_checklist()
    person.next()
    person.enter_credentials(salesforce.url)
    person.next()
    person.approve_in_browser(salesforce)
    person.verify()
    person.next()
    person.enter_unstructured(platform.api_url)
    person.next()
    assert person.at(PageId.REVIEW)
    summary = person.wizard.review_page.summary.toPlainText()
    assert "kept in memory for this session" in summary and "from your keyring" not in summary


def test_cancel_during_generation_keeps_the_window_responsive_and_saves_nothing(person: Person, tmp_path: Path) -> None:
    person.next()
    page = person.wizard.key_page
    person.type(page.folder, str(tmp_path))
    page.bits.setCurrentIndex(page.bits.findData(4096))
    person.click(page.action_button)
    assert page.busy.isVisible() and page.busy.cancel_button.isVisible()
    person.click(page.busy.cancel_button)
    assert "Cancelled" in page.message.text() and page.action_button.isEnabled()
    assert QThreadPool.globalInstance().waitForDone(10000)  # the abandoned generation has finished
    QCoreApplication.processEvents()  # and whatever it reported has been delivered
    assert not page.isComplete() and person.wizard.context.bundle is None and not page.result_box.isVisible()


def test_import_of_a_mismatched_pair_is_refused(
    person: Person, tmp_path: Path, key_bundle: KeyBundle, other_bundle: KeyBundle
) -> None:
    person.next()
    page = person.wizard.key_page
    person.click(page.import_radio)
    person.type(page.folder, str(tmp_path))
    person.type(page.key_text, key_bundle.private_key_pem.decode().replace("\n", "\r\n"))
    person.type(page.cert_text, (other_bundle.cert_pem or b"").decode())
    person.click(page.action_button)
    person.qtbot.waitUntil(lambda: page.message.kind == "error", timeout=10000)
    assert "do not belong together" in page.message.text() and not person.next_enabled()
    person.type(page.cert_text, (key_bundle.cert_pem or b"").decode())
    person.click(page.action_button)
    person.qtbot.waitUntil(page.isComplete, timeout=10000)
    bundle = person.wizard.context.bundle
    assert bundle is not None and bundle.private_key_pem == key_bundle.private_key_pem


def test_import_of_an_encrypted_key_asks_for_the_passphrase(
    person: Person, tmp_path: Path, key_bundle: KeyBundle
) -> None:
    from cryptography.hazmat.primitives import serialization

    from core.crypto.keypair import load_private_key

    encrypted = (
        load_private_key(key_bundle.private_key_pem)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"open sesame"),
        )
        .decode()
    )
    person.next()
    page = person.wizard.key_page
    person.click(page.import_radio)
    person.type(page.folder, str(tmp_path))
    person.type(page.key_text, encrypted)
    person.type(page.cert_text, (key_bundle.cert_pem or b"").decode())
    assert not page.passphrase.isVisible()
    person.click(page.action_button)
    person.qtbot.waitUntil(lambda: page.message.kind == "error", timeout=10000)
    assert page.passphrase.isVisible() and "passphrase" in page.message.text()
    person.type(page.passphrase, "open sesame")
    person.click(page.action_button)
    person.qtbot.waitUntil(page.isComplete, timeout=10000)


def test_existing_files_are_never_overwritten(person: Person, tmp_path: Path) -> None:
    person.next()
    page = person.wizard.key_page
    person.type(page.folder, str(tmp_path))
    (tmp_path / "mine.crt").write_text("keep")
    person.type(page.key_name, "mine")
    person.click(page.action_button)
    person.qtbot.waitUntil(lambda: page.message.kind == "error", timeout=20000)
    assert "already exist" in page.message.text() and (tmp_path / "mine.crt").read_text() == "keep"


# --- verify step ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("app_options", "words", "fix"),
    [
        ({"approved": set()}, "hasn't approved", "approval URL"),
        ({"policy": "admin"}, "admin approved", "permission set"),
    ],
)
def test_verify_errors_show_salesforces_words_and_the_fix(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce, app_options: dict[str, Any], words: str, fix: str
) -> None:
    person.reach_verify(tmp_path, salesforce, **app_options)
    person.verify()
    result = person.wizard.verify_page.result
    assert result.kind == "error" and words in result.text() and fix in result.text()
    assert "Verify login again" in result.text() and not person.next_enabled()
    assert person.wizard.verify_page.verify_button.isEnabled()  # retry is possible


def test_wrong_certificate_uploaded_is_explained(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce, other_bundle: KeyBundle
) -> None:
    person.reach_verify(tmp_path, salesforce)
    salesforce.register_app(CONSUMER_KEY, other_bundle.cert_pem or b"", approved={"integration@example.com"})
    person.verify()
    assert "invalid assertion" in person.wizard.verify_page.result.text()
    assert "fingerprint" in person.wizard.verify_page.result.text()


def test_just_created_app_suggests_waiting(person: Person, tmp_path: Path, salesforce: FakeSalesforce) -> None:
    person.reach_verify(tmp_path, salesforce)
    salesforce.apps.clear()  # not propagated yet
    person.verify()
    text = person.wizard.verify_page.result.text()
    assert "client identifier invalid" in text and "wait a few minutes" in text


def test_unreachable_salesforce_and_skipping_with_a_warning(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce
) -> None:
    person.reach_verify(tmp_path, salesforce)
    salesforce.fail_next(503, "<html>down for maintenance</html>", content_type="text/html")
    person.verify()
    assert "HTTP 503" in person.wizard.verify_page.result.text()
    page = person.wizard.verify_page
    person.click(page.skip)
    assert page.skip_warning.kind == "warning" and "connection check" in page.skip_warning.text()
    assert person.next_enabled()


# --- create step ---------------------------------------------------------------------------------


def test_validation_error_on_categories_returns_to_the_categories(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce, platform: FakePlatform
) -> None:
    person.create_with_the_categories_refused(tmp_path, salesforce, platform)
    assert "config.categories: bad" in person.wizard.unstructured_page.categories_message.text()


def test_a_rejection_naming_the_username_routes_by_the_field_not_the_words(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce, platform: FakePlatform
) -> None:
    person.reach_review(tmp_path, salesforce, platform)
    # Its words mention a name that exists; the field it names is what counts.
    body = {"detail": [{"loc": ["body", "config", "username"], "msg": "a user by that name exists", "type": "x"}]}
    platform.fail_next(422, body, method="POST")
    person.click(person.wizard.review_page.create_button)
    person.qtbot.waitUntil(lambda: person.at(PageId.CREDENTIALS), timeout=10000)


def test_a_rejection_naming_no_field_stays_on_review_even_if_it_speaks_of_names(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce, platform: FakePlatform
) -> None:
    person.reach_review(tmp_path, salesforce, platform)
    platform.fail_next(400, {"detail": "the name of the plan does not exist"}, method="POST")
    review = person.wizard.review_page
    person.click(review.create_button)
    person.qtbot.waitUntil(lambda: review.message.kind == "error", timeout=10000)
    assert person.at(PageId.REVIEW) and "plan does not exist" in review.message.text()


def test_server_error_stays_on_review_with_the_words_and_allows_retry(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce, platform: FakePlatform
) -> None:
    person.reach_review(tmp_path, salesforce, platform)
    platform.fail_next(500, "Internal Server Error", content_type="text/plain", method="POST")
    review = person.wizard.review_page
    person.click(review.create_button)
    person.qtbot.waitUntil(lambda: review.message.kind == "error", timeout=10000)
    assert person.at(PageId.REVIEW) and "HTTP 500: Internal Server Error" in review.message.text()
    person.click(review.create_button)
    person.qtbot.waitUntil(lambda: review.check_message.kind == "ok", timeout=20000)
    assert len(platform.connectors) == 1


def test_create_timeout_is_not_resent_and_says_to_check_first(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce, platform: FakePlatform
) -> None:
    person.reach_review(tmp_path, salesforce, platform)
    person.wizard.context.timings = person.wizard.context.timings._replace(http_timeout=(1.0, 0.5))
    platform.fail_next(200, "{}", delay=2, method="POST")
    review = person.wizard.review_page
    person.click(review.create_button)
    person.qtbot.waitUntil(lambda: review.message.kind == "error", timeout=10000)
    assert "may have reached" in review.message.text() and "Check the connector list" in review.message.text()
    assert platform.wait_idle()  # the slow answer has been sent: a resend would be in by now
    assert len([r for r in platform.requests if r[:2] == ("POST", "/api/v1/sources/")]) == 1


def test_failed_connection_check_shows_the_reason(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce, platform: FakePlatform
) -> None:
    person.reach_review(tmp_path, salesforce, platform)
    salesforce.apps[CONSUMER_KEY].approved.clear()  # approval revoked after verification
    review = person.wizard.review_page
    person.click(review.create_button)
    person.qtbot.waitUntil(lambda: review.check_message.kind == "error", timeout=20000)
    # The check says only "SalesforceAuthenticationFailed(code=invalid_grant)"; the wizard makes the
    # same login itself to show Salesforce's own words and the fix.
    person.qtbot.waitUntil(lambda: "Salesforce says" in review.check_message.text(), timeout=10000)
    assert "hasn't approved" in review.check_message.text() and review.check_again.isVisible()
    salesforce.apps[CONSUMER_KEY].approved.add("integration@example.com")
    person.click(review.check_again)
    person.qtbot.waitUntil(lambda: review.check_message.kind == "ok", timeout=20000)


# --- whole application ----------------------------------------------------------------------------


def test_unexpected_errors_are_logged_and_shown_with_details_and_log_path(
    qtbot: QtBot, tmp_path: Path, key_bundle: KeyBundle
) -> None:
    log_file = tmp_path / "wizard.log"
    reporter = CrashReporter(lambda: log_file)
    try:
        raise RuntimeError(f"boom {key_bundle.private_key_pem.decode()}")
    except RuntimeError:
        reporter.handle(*sys.exc_info())
    box = reporter.last_dialog
    assert box is not None and box.isVisible() and box.icon() == QMessageBox.Icon.Critical
    assert str(log_file) in box.text() and "RuntimeError: boom" in box.detailedText()
    assert "PRIVATE KEY" not in box.detailedText().replace("[REDACTED PRIVATE KEY]", "")
    box.close()


def test_about_dialog_shows_version_and_licences(person: Person) -> None:
    from PySide6.QtWidgets import QWizard

    from core import __version__
    from gui.about import AboutDialog

    person.click(person.wizard.button(QWizard.WizardButton.CustomButton1))
    dialog = person.wizard.findChild(AboutDialog)
    assert dialog is not None and dialog.isVisible()
    assert "cryptography" in dialog.licenses.toPlainText() and "PySide6" in dialog.licenses.toPlainText()
    assert any(__version__ in label.text() for label in dialog.findChildren(QLabel))
    dialog.close()


def test_task_failure_is_an_app_error_even_for_unexpected_exceptions(qtbot: QtBot) -> None:
    from gui.workers import Task

    def broken() -> None:
        raise ZeroDivisionError("secret-ish detail")

    task = Task(broken)
    with qtbot.waitSignal(task.failed, timeout=5000) as blocker:
        task.start()
    error = blocker.args[0]
    assert isinstance(error, AppError) and "unexpected" in str(error) and "secret-ish" not in str(error)


def test_closing_while_creating_asks_first(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce, platform: FakePlatform
) -> None:
    from PySide6.QtWidgets import QWizard

    person.reach_review(tmp_path, salesforce, platform)
    platform.delay = 1.0
    review = person.wizard.review_page
    person.click(review.create_button)
    person.click(person.wizard.button(QWizard.WizardButton.CancelButton))
    box = person.wizard.close_box
    assert box is not None and box.isVisible() and "Review and create" in box.text()
    person.click(box.button(QMessageBox.StandardButton.Cancel))
    assert person.wizard.isVisible()
    # While the check runs the connector exists: the question says so instead of "may be created".
    person.qtbot.waitUntil(lambda: person.wizard.context.connector is not None, timeout=20000)
    if person.wizard.busy_steps():
        person.click(person.wizard.button(QWizard.WizardButton.CancelButton))
        box = person.wizard.close_box
        assert box is not None and "already created and recorded" in box.text() and "may be created" not in box.text()
        person.click(box.button(QMessageBox.StandardButton.Cancel))
    person.qtbot.waitUntil(lambda: review.check_message.kind == "ok", timeout=20000)
    platform.delay = 0
    # Idle, but a connector was made: Escape or Cancel asks once instead of vanishing.
    person.click(person.wizard.button(QWizard.WizardButton.CancelButton))
    box = person.wizard.close_box
    assert box is not None and box.isVisible() and "is created" in box.text()
    person.click(box.button(QMessageBox.StandardButton.Close))
    assert not person.wizard.isVisible()


def test_done_finishes_instead_of_leading_to_manage(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce, platform: FakePlatform
) -> None:
    from PySide6.QtWidgets import QWizard

    person.reach_review(tmp_path, salesforce, platform)
    review = person.wizard.review_page
    person.click(review.create_button)
    person.qtbot.waitUntil(lambda: review.check_message.kind == "ok", timeout=20000)
    person.qtbot.waitUntil(lambda: person.wizard.button(QWizard.WizardButton.NextButton).hasFocus(), timeout=2000)
    person.next()
    assert person.at(PageId.DONE)
    finish = person.wizard.button(QWizard.WizardButton.FinishButton)
    assert finish.isVisible() and not person.wizard.button(QWizard.WizardButton.NextButton).isVisible()
    person.click(finish)  # the run is done: nothing to confirm
    assert not person.wizard.isVisible()


def test_a_name_already_in_the_account_returns_to_the_name_field_before_creating(
    person: Person, tmp_path: Path, salesforce: FakeSalesforce, platform: FakePlatform, key_bundle: KeyBundle
) -> None:
    from core.unstructured.client import PlatformClient
    from core.validation import validate_config
    from tests.conftest import API_KEY, USERNAME

    config = validate_config(username=USERNAME, consumer_key=CONSUMER_KEY, private_key=key_bundle.private_key_pem)
    PlatformClient(api_url=platform.api_url, api_key=API_KEY).create_source(name="sf-prod", config=config)
    person.reach_review(tmp_path, salesforce, platform)
    person.click(person.wizard.review_page.create_button)
    person.qtbot.waitUntil(lambda: person.at(PageId.UNSTRUCTURED), timeout=10000)
    assert "already exists in this account" in person.wizard.unstructured_page.name_message.text()
    assert len([r for r in platform.requests if r[:2] == ("POST", "/api/v1/sources/")]) == 1  # only the first


def test_the_private_key_can_be_exported_later_owner_only_never_over_a_file(person: Person, tmp_path: Path) -> None:
    import stat

    person.next()
    person.generate_key(tmp_path / "keys")
    page = person.wizard.key_page
    assert page.export_button.isVisible()
    target = tmp_path / "copy.pem"
    assert page.export_private_key(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    bundle = person.wizard.context.bundle
    assert bundle is not None and target.read_bytes() == bundle.private_key_pem
    target.write_text("someone else's file")
    assert not page.export_private_key(target) and "already exists" in page.message.text()
    assert target.read_text() == "someone else's file"


def test_a_damaged_settings_file_is_mentioned_once_on_the_welcome_page(person: Person) -> None:
    person.wizard.context.settings.notice = (
        "The settings file was damaged and has been kept as /x/settings.json.damaged-1."
    )
    page = person.wizard.welcome_page
    page.initializePage()
    assert "kept as /x/settings.json.damaged-1" in page.settings_notice.text()
    page.settings_notice.clear_message()
    page.initializePage()
    assert page.settings_notice.text() == ""


def test_settings_that_cannot_be_saved_are_said_and_saved_with_the_next_step(person: Person) -> None:
    path = config_dir() / "settings.json"
    person.wizard.context.save_settings()
    path.unlink()
    path.mkdir()  # a folder is never moved nor replaced (not even by root): as a file another program holds
    person.next()  # the Key step is remembered: a save, which fails

    def warnings() -> list[QMessageBox]:
        return [box for box in person.wizard.findChildren(QMessageBox, SETTINGS_NOT_SAVED) if box.isVisible()]

    person.qtbot.waitUntil(lambda: len(warnings()) == 1)
    box = warnings()[0]
    assert (
        box.windowTitle() == "Settings not saved"
        and f"In place of the settings file {path} there is a folder" in box.text()
    )
    assert "What was done in Salesforce and Unstructured is done" in box.informativeText()
    person.wizard.context.save_settings()  # a later failure while the warning is open adds no second one
    assert len(warnings()) == 1 and person.wizard.currentId() == int(PageId.KEY)  # the admin was not stopped
    person.qtbot.keyClick(box, Qt.Key.Key_Return)  # keyboard only: Enter dismisses it
    person.qtbot.waitUntil(lambda: not warnings())

    # Closing tries once more, and while that fails, asks first, saying what closing would lose.
    person.wizard.reject()
    prompt = person.wizard.close_box
    assert prompt is not None and prompt.isVisible() and not warnings()
    assert "could still not be saved: In place of the settings file" in prompt.text() and "forgets it" in prompt.text()
    prompt.done(QMessageBox.StandardButton.Cancel.value)
    assert person.wizard.isVisible()

    path.rmdir()
    person.wizard.context.save_settings()  # the next save that works carries what the failed one had
    assert Settings.load().wizard.page == int(PageId.KEY) and person.wizard.context.unsaved == ""
    person.wizard.reject()  # all saved, nothing made yet: it closes without asking
    assert not person.wizard.isVisible()
