"""The recommended path: one browser sign-in, and the wizard sets Salesforce up itself."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import requests
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from werkzeug import Response

from core.crypto.keypair import KeyBundle
from core.kinds import RunKind, RunStep
from core.storage.settings import Settings
from gui.page_ids import PageId
from gui.pages.base import StepPage
from gui.pages.manage.page import ManagePage
from gui.pages.salesforce_auto import SalesforceAutoPage
from gui.wizard import ConnectorWizard
from tests.conftest import API_KEY, USERNAME
from tests.fakes.keyrings import MemoryKeyring
from tests.fakes.platform import FakePlatform
from tests.fakes.salesforce import FakeSalesforce
from tests.fakes.salesforce_org import FakeOrg
from tests.gui.conftest import Browser, Person


@pytest.fixture
def org(org: FakeOrg, platform: FakePlatform) -> FakeOrg:
    """The loopback org, with the Platform's connection checks logging in to it."""
    platform.reset(api_key=API_KEY, salesforce_url=org.url)
    return org


def open_manage_with(person: Person, settings: Settings) -> ManagePage:
    """Save ``settings`` as an earlier session left them, and open Manage on them."""
    settings.save()
    person.wizard.context.settings = Settings.load()
    person.click(person.wizard.welcome_page.manage_radio)
    person.next()
    return person.wizard.manage_page


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sign_in_in_the_browser(person: Person, browser: Browser) -> None:
    """What the admin does in the browser: sign in and allow; Salesforce sends the browser back to the wizard."""
    person.qtbot.waitUntil(lambda: any("/services/oauth2/authorize" in u for u in browser.opened), timeout=5000)
    url = next(u for u in reversed(browser.opened) if "/services/oauth2/authorize" in u)
    answer = requests.get(url, allow_redirects=False, timeout=5)
    requests.get(answer.headers["Location"], allow_redirects=False, timeout=5)


def reach_auto_page(person: Person, tmp_path: Path, org: FakeOrg) -> None:
    context = person.wizard.context
    context.sign_in_port = free_port()
    context.timings = context.timings._replace(login_poll_interval=0.05, login_wait=5.0)
    person.next()
    person.generate_key(tmp_path / "keys")
    person.next()
    assert person.at(PageId.SALESFORCE_APP) and person.wizard.salesforce_app_page.auto_radio.isChecked()
    person.next()
    assert person.at(PageId.SALESFORCE_AUTO)
    page = person.wizard.salesforce_auto_page
    person.type(page.username, USERNAME)
    person.click(page.advanced)
    person.type(page.login_url, org.url)  # the loopback org stands in for login.salesforce.com


def test_sign_in_once_and_the_connector_is_created_and_checked(
    person: Person, tmp_path: Path, org: FakeOrg, platform: FakePlatform, browser: Browser
) -> None:
    reach_auto_page(person, tmp_path, org)
    page = person.wizard.salesforce_auto_page
    assert not person.next_enabled()
    person.click(page.sign_in_button)
    sign_in_in_the_browser(person, browser)
    person.qtbot.waitUntil(page.create_button.isVisible, timeout=10000)
    plan = page.plan_text.toPlainText()
    assert "Unstructured_Connector_Users" in plan and USERNAME in plan and org.org_apps == {}
    assert "Nothing has been created yet" in page.message.text()
    person.click(page.create_button)
    person.qtbot.waitUntil(page.isComplete, timeout=15000)
    assert "Salesforce accepts the connector's login" in page.message.text()
    consumer_key = org.org_apps["Unstructured_Connector"].consumer_key
    assert page.consumer_key.value() == consumer_key and all(
        label.text().startswith("\u2714") for label in page.step_labels
    )

    person.next()
    assert person.at(PageId.UNSTRUCTURED)  # credentials, approval and verify are not needed
    person.enter_unstructured(platform.api_url)
    person.next()
    review = person.wizard.review_page
    assert (
        consumer_key in review.summary.toPlainText() and f"Login verified: {USERNAME}" in review.summary.toPlainText()
    )
    person.click(review.create_button)
    person.qtbot.waitUntil(lambda: review.check_message.kind in ("ok", "error"), timeout=20000)
    assert review.check_message.kind == "ok", review.check_message.text()
    record = person.wizard.context.settings.salesforce_app(consumer_key)
    assert record is not None and record.username == USERNAME


def test_a_failure_after_something_was_created_offers_to_remove_it(
    person: Person, tmp_path: Path, org: FakeOrg, browser: Browser
) -> None:
    reach_auto_page(person, tmp_path, org)
    page = person.wizard.salesforce_auto_page
    person.click(page.sign_in_button)
    sign_in_in_the_browser(person, browser)
    person.qtbot.waitUntil(page.create_button.isVisible, timeout=10000)
    org.deploy_failures = [
        {
            "componentType": "ExternalClientApplication",
            "fullName": "Unstructured_Connector",
            "problem": "Unknown error",
            "problemType": "Error",
        }
    ]
    person.click(page.create_button)
    person.qtbot.waitUntil(page.undo_button.isVisible, timeout=10000)
    assert "Creating the External Client App failed" in page.message.text() and org.permission_sets
    assert "This run created: PermissionSet" in page.message.text() and "stay in Salesforce" in page.message.text()
    person.click(page.undo_button)
    person.qtbot.waitUntil(lambda: page.message.kind == "ok", timeout=10000)
    assert "Nothing of it is left" in page.message.text()
    assert org.permission_sets == {} and org.assignments == [] and not person.next_enabled()


def test_a_user_that_does_not_exist_is_said_before_anything_is_created(
    person: Person, tmp_path: Path, org: FakeOrg, browser: Browser
) -> None:
    reach_auto_page(person, tmp_path, org)
    page = person.wizard.salesforce_auto_page
    person.type(page.username, "nobody@example.com")
    person.click(page.sign_in_button)
    sign_in_in_the_browser(person, browser)
    person.qtbot.waitUntil(lambda: page.message.kind == "error", timeout=10000)
    assert "no user 'nobody@example.com'" in page.message.text()
    assert org.deploy_requests == [] and page.sign_in_button.isEnabled()
    assert page.username.hasFocus()  # the field to fix


@pytest.mark.parametrize("sign_in", ["browser", "kept", "token"])
def test_manage_rotates_a_connector_whose_app_was_made_here_with_no_clicks_in_setup(
    person: Person, tmp_path: Path, org: FakeOrg, platform: FakePlatform, browser: Browser, sign_in: str
) -> None:
    keep_sign_in = sign_in == "kept"
    # The connector, made through the automated path.
    reach_auto_page(person, tmp_path, org)
    page = person.wizard.salesforce_auto_page
    if keep_sign_in:
        person.click(page.keep_sign_in)
    person.click(page.sign_in_button)
    sign_in_in_the_browser(person, browser)
    person.qtbot.waitUntil(page.create_button.isVisible, timeout=10000)
    person.click(page.create_button)
    person.qtbot.waitUntil(page.isComplete, timeout=15000)
    person.next()
    person.enter_unstructured(platform.api_url)
    person.next()
    review = person.wizard.review_page
    person.click(review.create_button)
    person.qtbot.waitUntil(lambda: review.check_message.kind == "ok", timeout=20000)
    connector_id = review.connector_id.value()
    old_certificate = org.org_apps["Unstructured_Connector"].certificate_pem

    # Manage: the row says it can rotate automatically; one confirmation, one sign-in.
    wizard = person.wizard
    wizard.restart()  # as when the admin opens the wizard again and chooses Manage
    person.click(wizard.welcome_page.manage_radio)
    person.next()
    assert person.at(PageId.MANAGE)
    manage = wizard.manage_page
    person.type(manage.access.api_url, platform.api_url)
    person.type(manage.access.api_key, API_KEY)
    person.click(manage.load_button)
    person.qtbot.waitUntil(lambda: bool(manage.rows), timeout=10000)
    manage.select(connector_id)
    assert manage.auto_rotate_button.isEnabled()
    browser.opened.clear()
    if sign_in == "token":  # an org that blocks the browser sign-in: the set-up page's other ways, here too
        person.click(manage.sign_in_options)
        manage.sign_in_choice.way.setCurrentIndex(manage.sign_in_choice.way.findData("token"))
        person.type(manage.sign_in_choice.instance_url, org.url)
        person.type(manage.sign_in_choice.access_token, org.admin_token())
    person.click(manage.auto_rotate_button)
    assert manage.confirm_box is not None
    if sign_in == "token":
        assert "access token you gave for " + org.url in manage.confirm_box.text()
    manage.confirm_box.done(manage.confirm_box.StandardButton.Yes.value)
    if sign_in == "browser":
        sign_in_in_the_browser(person, browser)
    person.qtbot.waitUntil(lambda: manage.message.kind in ("ok", "error") and not manage.is_busy(), timeout=20000)
    assert manage.message.kind == "ok", manage.message.text()
    assert "connection check passed" in manage.message.text()
    # Then, as after a passing check, what the connector reads now with its new key.
    person.qtbot.waitUntil(lambda: bool(manage.reading_message.text()) and not manage.is_busy(), timeout=10000)
    assert manage.reading_message.text().startswith("What ") and "reads now:" in manage.reading_message.text()
    new_certificate = org.org_apps["Unstructured_Connector"].certificate_pem
    assert new_certificate != old_certificate
    new_key = platform.connectors[connector_id]["config"]["private_key"]
    bundle = wizard.context.bundle
    assert bundle is not None and new_key != bundle.private_key_pem.decode()
    # The new key is kept (keyring) and recorded with its certificate.
    record = next(k for k in wizard.context.settings.keys if k.name.startswith("salesforce-rotated"))
    assert record.in_keyring and Path(record.certificate_path).read_text().strip() == new_certificate
    if sign_in != "browser":  # the kept sign-in or the token was used: the browser was not needed
        assert not any("/services/oauth2/authorize" in u for u in browser.opened)
    if keep_sign_in:
        assert person.wizard.context.read_secret(f"salesforce-refresh:{org.org_id}") in org.refresh_tokens


def test_beside_the_pages_the_admin_sees_where_they_are_in_the_chosen_path(
    person: Person, tmp_path: Path, org: FakeOrg, salesforce: FakeSalesforce
) -> None:
    flow = person.wizard.flow
    person.wizard.resize(960, 680)
    assert not flow.isVisible()  # Welcome is not a step
    reach_auto_page(person, tmp_path, org)
    texts = [label.text() for label in flow.labels if label.isVisible()]
    assert texts[:3] == ["\u2714 Key and certificate", "\u2714 Salesforce app", "<b>\u25b6 Set up Salesforce</b>"]
    assert "Approve and verify" not in " ".join(texts)
    person.wizard.back()
    person.click(person.wizard.salesforce_app_page.manual_radio)
    texts = [label.text() for label in flow.labels if label.isVisible()]
    assert "\u2022 Approve and verify" in texts and "<b>\u25b6 Salesforce app</b>" in texts


def test_an_admin_who_cannot_use_the_browser_sign_in_pastes_an_instance_url_and_token(
    person: Person, tmp_path: Path, org: FakeOrg, browser: Browser
) -> None:
    reach_auto_page(person, tmp_path, org)
    page = person.wizard.salesforce_auto_page
    page.sign_in_with.setCurrentIndex(page.sign_in_with.findData("token"))
    assert page.access_token.isVisible() and not page.keep_sign_in.isEnabled()
    token = org.admin_token()
    person.type(page.instance_url, org.url)
    person.type(page.access_token, token)
    person.click(page.sign_in_button)  # now "Check the org"
    person.qtbot.waitUntil(page.create_button.isVisible, timeout=10000)
    person.click(page.create_button)
    person.qtbot.waitUntil(page.isComplete, timeout=15000)
    assert not any("/services/oauth2/authorize" in u for u in browser.opened)
    person.wizard.context.save_settings()
    from core.storage.settings import config_dir

    assert token not in (config_dir() / "settings.json").read_text()


def test_on_a_narrow_window_the_page_gets_the_room_of_the_steps(person: Person, tmp_path: Path, org: FakeOrg) -> None:
    reach_auto_page(person, tmp_path, org)
    person.wizard.resize(960, 680)
    assert person.wizard.flow.isVisible()
    person.wizard.resize(person.wizard.minimumSize())
    assert not person.wizard.flow.isVisible()


def test_a_set_up_killed_half_way_is_named_on_welcome_and_removed_from_manage(
    qtbot: QtBot,
    tmp_path: Path,
    org: FakeOrg,
    browser: Browser,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run killed during the app's deploy (the CLI, kill -9): the wizard knows what it left, and removes it."""
    from core.crypto.keypair import create_key_bundle
    from core.storage.secret_store import SecretStore
    from core.storage.settings import Settings
    from gui.app import build_wizard
    from gui.context import WizardContext
    from tests.core.test_cli_setup import setup_args
    from tests.core.test_crash_safety import kill_at, start_cli

    bundle = create_key_bundle()
    assert bundle.cert_pem is not None
    key, cert = tmp_path / "k.pem", tmp_path / "k.crt"
    key.write_bytes(bundle.private_key_pem)
    cert.write_bytes(bundle.cert_pem)
    monkeypatch.setenv("SF_ACCESS_TOKEN", org.admin_token())
    kill_at(start_cli(*setup_args(org, (key, cert))), org.hold("POST", "/metadata/deployRequest", check_only=False))
    assert org.org_apps and org.permission_sets

    context = WizardContext(store=SecretStore(memory_keyring), settings=Settings.load())
    context.sign_in_port = free_port()
    context.draft.login_url = org.url
    wizard = build_wizard(context)
    qtbot.addWidget(wizard)
    wizard.show()
    person = Person(qtbot, wizard)
    welcome = wizard.welcome_page
    assert (
        welcome.unfinished.isVisible() and "stopped while creating the External Client App" in welcome.unfinished.text()
    )
    person.click(welcome.manage_radio)
    person.next()
    manage = wizard.manage_page
    assert manage.unfinished_box.isVisible() and "Unstructured_Connector" in manage.unfinished.text()
    person.click(manage.remove_unfinished_button)
    sign_in_in_the_browser(person, browser)
    qtbot.waitUntil(lambda: manage.message.kind in ("ok", "error", "warning") and not manage.is_busy(), timeout=15000)
    assert manage.message.kind == "ok", manage.message.text()
    assert org.org_apps == {} and org.permission_sets == {} and org.assignments == []
    assert Settings.load().journal == [] and not manage.unfinished_box.isVisible()


def test_an_automatic_rotation_waiting_for_the_sign_in_can_be_stopped(
    qtbot: QtBot,
    tmp_path: Path,
    org: FakeOrg,
    platform: FakePlatform,
    browser: Browser,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Manage's rotation signs in at the host the app was made through, and its wait has a Stop."""
    import threading

    from core.storage.secret_store import SecretStore
    from core.storage.settings import Settings
    from gui.app import build_wizard
    from gui.context import WizardContext
    from tests.core.test_cli_setup import _connector_through_setup

    bundle_dir = tmp_path / "k"
    bundle_dir.mkdir()
    from core.crypto.keypair import create_key_bundle

    bundle = create_key_bundle()
    assert bundle.cert_pem is not None
    (bundle_dir / "k.pem").write_bytes(bundle.private_key_pem)
    (bundle_dir / "k.crt").write_bytes(bundle.cert_pem)
    connector_id = _connector_through_setup(org, (bundle_dir / "k.pem", bundle_dir / "k.crt"), platform, monkeypatch)
    context = WizardContext(store=SecretStore(memory_keyring), settings=Settings.load())
    context.sign_in_port = free_port()
    wizard = build_wizard(context)
    qtbot.addWidget(wizard)
    wizard.show()
    person = Person(qtbot, wizard)
    person.click(wizard.welcome_page.manage_radio)
    person.next()
    manage = wizard.manage_page
    person.type(manage.access.api_url, platform.api_url)
    person.type(manage.access.api_key, API_KEY)
    person.click(manage.load_button)
    qtbot.waitUntil(lambda: bool(manage.rows), timeout=10000)
    manage.select(connector_id)
    deploys = len(org.deploy_requests)
    person.click(manage.auto_rotate_button)
    assert manage.confirm_box is not None
    manage.confirm_box.done(manage.confirm_box.StandardButton.Yes.value)
    qtbot.waitUntil(lambda: any("/services/oauth2/authorize" in u for u in browser.opened), timeout=10000)
    sign_in_page = next(u for u in browser.opened if "/services/oauth2/authorize" in u)
    assert sign_in_page.startswith(org.url)  # the app's own host, not login.salesforce.com
    assert manage.busy.cancel_button.isVisible() and manage.busy.cancel_button.isEnabled()
    person.click(manage.busy.cancel_button)
    assert not manage.is_busy() and "Stopped" in manage.message.text()
    qtbot.waitUntil(lambda: not [t for t in threading.enumerate() if t.name == "sign-in listener"], timeout=5000)
    assert len(org.deploy_requests) == deploys  # stopped before anything changed in Salesforce


def wait_in_the_set_up(person: Person, tmp_path: Path, org: FakeOrg, browser: Browser) -> SalesforceAutoPage:
    """Signed in and created, the set-up waiting for a login Salesforce does not take yet; the page."""
    reach_auto_page(person, tmp_path, org)
    person.wizard.context.timings = person.wizard.context.timings._replace(login_wait=600.0)
    page = person.wizard.salesforce_auto_page
    org.never_propagates = True  # Salesforce takes its time
    person.click(page.sign_in_button)
    sign_in_in_the_browser(person, browser)
    person.qtbot.waitUntil(page.create_button.isVisible, timeout=10000)
    person.click(page.create_button)
    person.qtbot.waitUntil(lambda: "Salesforce still says" in page.busy.status.text(), timeout=10000)
    return page


def start_again(person: Person, memory_keyring: MemoryKeyring) -> tuple[ConnectorWizard, Person]:
    """The next start of the app, on the same settings and keyring: (its wizard, a person at it)."""
    from core.storage.secret_store import SecretStore
    from core.storage.settings import Settings
    from gui.app import build_wizard
    from gui.context import WizardContext

    again = build_wizard(WizardContext(store=SecretStore(memory_keyring), settings=Settings.load()))
    again.context.timings = person.wizard.context.timings
    person.qtbot.addWidget(again)
    again.show()
    return again, Person(person.qtbot, again)


def test_closed_during_the_wait_the_next_start_resumes_the_wait_for_the_new_app(
    person: Person, tmp_path: Path, org: FakeOrg, browser: Browser, memory_keyring: MemoryKeyring
) -> None:
    from PySide6.QtWidgets import QMessageBox

    page = wait_in_the_set_up(person, tmp_path, org, browser)
    assert "That is normal while Salesforce applies the new app" in page.busy.status.text()
    consumer_key = org.org_apps["Unstructured_Connector"].consumer_key

    person.wizard.reject()  # the admin closes the window during the wait
    box = person.wizard.close_box
    assert box is not None and "already exist in Salesforce" in box.text() and "Resume" in box.text()
    box.done(QMessageBox.StandardButton.Close.value)

    again, returning = start_again(person, memory_keyring)
    assert again.welcome_page.resume_button.isVisible()
    returning.click(again.welcome_page.resume_button)
    person.qtbot.waitUntil(lambda: returning.at(PageId.SALESFORCE_AUTO), timeout=10000)
    auto = again.salesforce_auto_page
    assert auto.wait_button.isVisible() and "was created in Salesforce last time" in auto.message.text()
    assert auto.consumer_key.value() == consumer_key  # the new app's, not an older one
    org.never_propagates = False
    returning.click(auto.wait_button)
    person.qtbot.waitUntil(auto.isComplete, timeout=15000)
    assert again.context.draft.consumer_key == consumer_key and len(org.org_apps) == 1
    again._close_now()  # for good, as the wizard fixture closes the first one (no prompt left on screen)


def _in_view(page: StepPage, widget: QWidget) -> bool:
    """Whether ``widget`` shows inside the page's scrolled area (not below the fold)."""
    viewport = page.scroll_area.viewport()
    top_left = widget.mapTo(viewport, widget.rect().topLeft())
    return bool(
        widget.isVisible() and 0 <= top_left.y() and top_left.y() + min(widget.height(), 20) <= viewport.height()
    )


def test_at_the_minimum_size_what_happens_after_create_stays_in_view(
    person: Person, tmp_path: Path, org: FakeOrg, browser: Browser
) -> None:
    """At 1280x720 the wait line, Stop and the result sat below the fold after Create: only grey buttons showed."""
    reach_auto_page(person, tmp_path, org)
    person.wizard.resize(person.wizard.minimumSize())
    page = person.wizard.salesforce_auto_page
    org.never_propagates = True
    person.click(page.sign_in_button)
    sign_in_in_the_browser(person, browser)
    person.qtbot.waitUntil(page.create_button.isVisible, timeout=10000)
    person.click(page.create_button)
    person.qtbot.waitUntil(lambda: "Salesforce still says" in page.busy.status.text(), timeout=10000)
    person.qtbot.waitUntil(lambda: _in_view(page, page.busy), timeout=3000)  # busy
    org.never_propagates = False
    person.qtbot.waitUntil(page.isComplete, timeout=15000)
    person.qtbot.waitUntil(lambda: _in_view(page, page.message), timeout=3000)
    assert page.message.kind == "ok"


def test_when_the_eca_serves_only_my_domain_a_connected_app_is_offered_and_set_up_without_signing_in_again(
    person: Person, tmp_path: Path, org: FakeOrg, platform: FakePlatform, browser: Browser
) -> None:
    reach_auto_page(person, tmp_path, org)
    person.wizard.context.timings = person.wizard.context.timings._replace(login_poll_interval=0.05, login_wait=0.5)
    org.my_domain_only = True  # as users report: the new ECA logs in through My Domain, not login.salesforce.com
    page = person.wizard.salesforce_auto_page
    page.sign_in_with.setCurrentIndex(page.sign_in_with.findData("token"))
    person.type(page.instance_url, org.my_domain_url)  # the admin's session is with the org's My Domain host
    person.type(page.access_token, org.admin_token())
    person.click(page.sign_in_button)
    person.qtbot.waitUntil(page.create_button.isVisible, timeout=10000)
    person.click(page.create_button)
    person.qtbot.waitUntil(page.fallback_button.isVisible, timeout=15000)
    text = page.message.text()
    assert "works through your My Domain host" in text and "A Connected App serves login.salesforce.com" in text
    assert not page.create_button.isVisible() and page.fallback_button.hasFocus()
    assert "Unstructured_Connector" in org.org_apps

    person.wizard.context.timings = person.wizard.context.timings._replace(login_wait=5.0)
    person.click(page.fallback_button)
    person.qtbot.waitUntil(page.create_button.isVisible, timeout=10000)
    plan = page.plan_text.toPlainText()
    assert "create the Connected App Unstructured_Connector_CA" in plan and org.connected_apps == {}
    assert page.app_type.currentData() == "connected-app" and page.app_name.text() == "Unstructured_Connector_CA"
    person.click(page.create_button)
    person.qtbot.waitUntil(page.isComplete, timeout=15000)
    app = org.connected_apps["Unstructured_Connector_CA"]
    assert (
        page.consumer_key.value() == app.consumer_key and person.wizard.context.draft.consumer_key == app.consumer_key
    )
    record = person.wizard.context.settings.salesforce_app(app.consumer_key)
    assert record is not None and record.app_type == "connected-app"
    assert not any("/services/oauth2/authorize" in u for u in browser.opened)  # the one session served both


def test_a_field_check_from_manage_proves_the_org_and_saves_a_report_with_no_secret(
    person: Person, tmp_path: Path, org: FakeOrg, browser: Browser
) -> None:
    wizard = person.wizard
    wizard.context.timings = wizard.context.timings._replace(login_poll_interval=0.05, login_wait=5.0)
    wizard.context.settings.output_dir = str(tmp_path / "reports")
    person.click(wizard.welcome_page.manage_radio)
    person.next()
    assert person.at(PageId.MANAGE)
    manage = wizard.manage_page
    assert not manage.field_check_button.isVisible()
    # Keyboard only: Alt+G opens Advanced, Alt+S is the user's field, Alt+E runs the check.
    person.alt(Qt.Key.Key_G)
    person.qtbot.waitUntil(manage.field_check_button.isVisible, timeout=2000)  # a mnemonic "animates" its click
    person.alt(Qt.Key.Key_S)
    assert manage.field_check_user.hasFocus()
    person.type(manage.field_check_user, USERNAME)
    person.type(manage.field_check_host, org.url)
    manage.sign_in_choice.way.setCurrentIndex(manage.sign_in_choice.way.findData("token"))
    token = org.admin_token()
    person.type(manage.sign_in_choice.instance_url, org.my_domain_url)
    person.type(manage.sign_in_choice.access_token, token)
    person.alt(Qt.Key.Key_E)
    person.qtbot.waitUntil(lambda: manage.confirm_box is not None, timeout=2000)
    assert manage.confirm_box is not None and "throw-away app" in manage.confirm_box.text()
    manage.confirm_box.done(manage.confirm_box.StandardButton.Yes.value)
    person.qtbot.waitUntil(
        lambda: manage.message.kind in ("ok", "warning", "error") and not manage.is_busy(), timeout=20000
    )
    assert manage.message.kind == "ok", manage.message.text()
    assert "Field check passed" in manage.message.text() and "Report saved" in manage.message.text()
    box = manage.field_check_box
    assert (
        box is not None and "every step passed" in box.text() and "connector login at My Domain" in box.detailedText()
    )
    (report,) = (tmp_path / "reports").glob("field-check-*.json")
    assert token not in report.read_text() and org.org_apps == {} and org.permission_sets == {}
    assert wizard.context.settings.salesforce_apps == []  # recorded while it existed, forgotten when removed
    box.done(0)


def test_a_field_check_stopped_while_waiting_still_cleans_up_and_says_where_its_report_goes(
    person: Person, tmp_path: Path, org: FakeOrg
) -> None:
    wizard = person.wizard
    wizard.context.timings = wizard.context.timings._replace(login_poll_interval=0.2, login_wait=60.0)
    wizard.context.settings.output_dir = str(tmp_path / "reports")
    org.never_propagates = True  # Salesforce keeps saying "not yet": the check waits
    person.click(wizard.welcome_page.manage_radio)
    person.next()
    manage = wizard.manage_page
    person.click(manage.sign_in_options)
    person.type(manage.field_check_user, USERNAME)
    person.type(manage.field_check_host, org.url)
    manage.sign_in_choice.way.setCurrentIndex(manage.sign_in_choice.way.findData("token"))
    person.type(manage.sign_in_choice.instance_url, org.url)
    person.type(manage.sign_in_choice.access_token, org.admin_token())
    person.click(manage.field_check_button)
    assert manage.confirm_box is not None
    manage.confirm_box.done(manage.confirm_box.StandardButton.Yes.value)
    person.qtbot.waitUntil(lambda: bool(org.org_apps), timeout=10000)  # created; now waiting for the login
    person.click(manage.busy.cancel_button)
    assert "removes what it created before it ends" in manage.message.text()
    assert str(tmp_path / "reports") in manage.message.text()
    person.qtbot.waitUntil(lambda: any((tmp_path / "reports").glob("field-check-*.json")), timeout=10000)
    assert org.org_apps == {} and org.permission_sets == {} and org.assignments == []
    person.qtbot.waitUntil(lambda: wizard.context.settings.salesforce_apps == [], timeout=5000)
    (report,) = (tmp_path / "reports").glob("field-check-*.json")
    assert '"name": "stopped"' in report.read_text() and '"name": "clean-up"' in report.read_text()


def test_a_killed_field_check_is_offered_for_removal_only(person: Person, org: FakeOrg) -> None:
    from core.storage.settings import JournalEntry
    from core.usecases.field_check import APP_PREFIX

    settings = Settings.load()
    settings.journal = [
        JournalEntry(
            id="k",
            kind=RunKind.SETUP,
            step=RunStep.APP,
            started_at="2026-11-30T08:00:00+00:00",
            app_name=APP_PREFIX + "KILLED",
            instance_url=org.url,
            pid="999999999",  # gone
        )
    ]
    manage = open_manage_with(person, settings)
    assert "field check's throw-away External Client App" in manage.unfinished.text()
    assert manage.remove_unfinished_button.isVisible() and not manage.finish_button.isVisible()


def test_manage_removes_an_app_made_here_and_keeps_it_listed_while_something_is_left(
    person: Person, org: FakeOrg, key_bundle: KeyBundle
) -> None:
    from core.salesforce.org import AdminSession, OrgClient
    from core.usecases.salesforce_app import apply_setup, plan_setup

    client = OrgClient(AdminSession(instance_url=org.url, access_token=org.admin_token()))
    plan = plan_setup(
        client, username=USERNAME, certificate_pem=(key_bundle.cert_pem or b"").decode(), contact_email="a@example.com"
    )
    settings = Settings.load()
    apply_setup(client, plan).apply(settings)
    manage = open_manage_with(person, settings)
    wizard = person.wizard
    person.click(manage.sign_in_options)
    assert "Unstructured_Connector (External Client App, 127.0.0.1)" == manage.apps_choice.currentText()
    manage.sign_in_choice.way.setCurrentIndex(manage.sign_in_choice.way.findData("token"))
    person.type(manage.sign_in_choice.instance_url, org.url)
    person.type(manage.sign_in_choice.access_token, org.admin_token())

    org.assignments.clear()  # someone removed the assignment by hand...
    org.assignments.append({"Id": "0PaX", "AssigneeId": "005X", "PermissionSetId": "nope"})
    real_remove = org._remove

    def refuse_permission_set(sobject: str, record_id: str) -> Response:  # ...and the permission set cannot go yet
        if sobject == "PermissionSet":
            return org._sf_error(400, "DELETE_FAILED", "permission set is assigned to users")
        return real_remove(sobject, record_id)

    org._remove = refuse_permission_set  # type: ignore[method-assign]
    try:
        person.click(manage.remove_app_button)
        assert manage.confirm_box is not None and "Delete the External Client App Unstructured_Connector" in (
            manage.confirm_box.text()
        )
        manage.confirm_box.done(manage.confirm_box.StandardButton.Yes.value)
        person.qtbot.waitUntil(lambda: manage.message.kind in ("ok", "warning", "error"), timeout=10000)
        assert manage.message.kind == "warning" and "Remove app again" in manage.message.text()
        assert org.org_apps == {} and wizard.context.settings.salesforce_apps  # still listed: something is left
    finally:
        del org._remove
    person.click(manage.remove_app_button)
    assert manage.confirm_box is not None
    manage.confirm_box.done(manage.confirm_box.StandardButton.Yes.value)
    person.qtbot.waitUntil(lambda: manage.message.kind == "ok", timeout=10000)
    assert "Removed Unstructured_Connector" in manage.message.text()
    assert org.permission_sets == {} and wizard.context.settings.salesforce_apps == []
    assert not manage.remove_app_button.isEnabled() and "none made" in manage.apps_choice.currentText()
    manage.busy_changed(False)  # as after any later task: still nothing to remove
    assert not manage.remove_app_button.isEnabled()


def test_manage_removes_an_app_through_the_browser_sign_in_at_the_apps_own_host(
    person: Person, org: FakeOrg, key_bundle: KeyBundle, browser: Browser
) -> None:
    """Desktop round 3, item 2: the default browser sign-in failed at once ("The login URL '' is not a web address")."""
    from dataclasses import replace

    from core.salesforce.org import AdminSession, OrgClient
    from core.usecases.salesforce_app import apply_setup, plan_setup

    client = OrgClient(AdminSession(instance_url=org.url, access_token=org.admin_token()))
    plan = plan_setup(
        client, username=USERNAME, certificate_pem=(key_bundle.cert_pem or b"").decode(), contact_email="a@example.com"
    )
    settings = Settings.load()
    replace(apply_setup(client, plan), login_url=org.url).apply(settings)  # set up through the org's own host
    person.wizard.context.sign_in_port = free_port()
    manage = open_manage_with(person, settings)
    person.click(manage.sign_in_options)
    assert manage.sign_in_choice.way.currentData() == "browser"  # the default, untouched
    person.click(manage.remove_app_button)
    assert manage.confirm_box is not None
    manage.confirm_box.done(manage.confirm_box.StandardButton.Yes.value)
    sign_in_in_the_browser(person, browser)
    assert any(u.startswith(org.url) for u in browser.opened)  # the app's own host, not an empty one
    person.qtbot.waitUntil(lambda: manage.message.kind in ("ok", "warning", "error"), timeout=10000)
    assert manage.message.kind == "ok" and "Removed Unstructured_Connector" in manage.message.text()
    assert org.org_apps == {} and person.wizard.context.settings.salesforce_apps == []


def test_a_login_wait_that_times_out_offers_wait_again_and_says_what_exists(
    person: Person, tmp_path: Path, org: FakeOrg, browser: Browser
) -> None:
    """Desktop round 3, item 4: the time-out said "run Verify login again" (this path has none) and focused Create,
    which failed with a raw DUPLICATE_VALUE."""
    reach_auto_page(person, tmp_path, org)
    person.wizard.context.timings = person.wizard.context.timings._replace(login_poll_interval=0.05, login_wait=0.5)
    page = person.wizard.salesforce_auto_page
    org.never_propagates = True
    person.click(page.sign_in_button)
    sign_in_in_the_browser(person, browser)
    person.qtbot.waitUntil(page.create_button.isVisible, timeout=10000)
    person.click(page.create_button)
    person.qtbot.waitUntil(lambda: page.message.kind == "error", timeout=15000)
    said = page.message.text()
    assert (
        "Verify login" not in said
        and "exists in Salesforce and is recorded here" in said
        and "Wait for the connector's login to wait again" in said
    )
    assert not page.create_button.isVisible() and page.wait_button.isVisible() and page.wait_button.hasFocus()
    org.never_propagates = False
    person.click(page.wait_button)
    person.qtbot.waitUntil(page.isComplete, timeout=15000)
    assert page.message.kind == "ok" and len(org.org_apps) == 1


def test_a_long_salesforce_answer_never_widens_the_page(person: Person, tmp_path: Path, org: FakeOrg) -> None:
    """Desktop round 3, item 5: a long answer in the wait line made a sideways scrollbar; Stop waiting went off-screen."""
    reach_auto_page(person, tmp_path, org)
    person.wizard.resize(person.wizard.minimumSize())
    page = person.wizard.salesforce_auto_page
    answer = "invalid_client_id: client identifier invalid " + "because of a very long explanation " * 40
    page.busy.start(answer)
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()  # the layout requests the new text posted
    QApplication.processEvents()
    assert page.busy.status.text() == answer  # whole, for screen readers and the tooltip
    assert not page.scroll_area.horizontalScrollBar().isVisible()
    stop = page.busy.cancel_button
    right_edge = stop.mapTo(page.scroll_area.viewport(), stop.rect().topRight()).x()
    assert right_edge <= page.scroll_area.viewport().width()
    page.busy.stop()


def test_both_waits_say_how_long_what_salesforce_says_and_that_it_is_normal(qtbot: QtBot) -> None:
    """Desktop round 3, item 6: the set-up's wait did not say the answer is normal; the rotation's said neither time nor answer."""
    from core.steps.progress import LoginAttempt, Waiting
    from gui.waiting import wait_words

    setup = wait_words(LoginAttempt(95.0, "invalid_client_id: client identifier invalid"), what="app")
    assert "2 minutes so far" in setup and "\u201cinvalid_client_id: client identifier invalid\u201d" in setup
    assert "normal while Salesforce applies the new app" in setup and "up to 10 minutes for a Connected App" in setup
    rotation = wait_words(Waiting(12.0, "invalid_grant: invalid assertion"), what="certificate")
    assert "12 seconds so far" in rotation and "normal while Salesforce applies the new certificate" in rotation


def test_resume_after_the_login_was_proved_lands_past_the_set_up_with_the_proof_kept(
    person: Person,
    tmp_path: Path,
    org: FakeOrg,
    platform: FakePlatform,
    browser: Browser,
    memory_keyring: MemoryKeyring,
) -> None:
    """Desktop round 3, item 3: Resume stopped at a reset set-up page whose sign-in was then refused ("already exists")."""
    from core.storage.secret_store import SecretStore
    from gui.app import build_wizard
    from gui.context import WizardContext

    reach_auto_page(person, tmp_path, org)
    page = person.wizard.salesforce_auto_page
    person.click(page.sign_in_button)
    sign_in_in_the_browser(person, browser)
    person.qtbot.waitUntil(page.create_button.isVisible, timeout=10000)
    person.click(page.create_button)
    person.qtbot.waitUntil(page.isComplete, timeout=15000)
    consumer_key = org.org_apps["Unstructured_Connector"].consumer_key
    person.next()
    assert person.at(PageId.UNSTRUCTURED)
    person.wizard.context.save_settings()  # closed here

    again = build_wizard(WizardContext(store=SecretStore(memory_keyring), settings=Settings.load()))
    again.context.timings = person.wizard.context.timings
    person.qtbot.addWidget(again)
    again.show()
    returning = Person(person.qtbot, again)
    returning.click(again.welcome_page.resume_button)
    person.qtbot.waitUntil(lambda: returning.at(PageId.UNSTRUCTURED), timeout=10000)
    auto = again.salesforce_auto_page
    assert auto.isComplete() and auto.consumer_key.value() == consumer_key
    assert again.context.login is not None and again.context.login.username == USERNAME
    assert len(org.org_apps) == 1  # nothing signed in to or created again
    again._close_now()


def test_after_a_lost_key_the_set_up_offers_the_way_out_not_a_wait_that_cannot_end(
    person: Person, tmp_path: Path, org: FakeOrg, browser: Browser, memory_keyring: MemoryKeyring
) -> None:
    """Desktop round 3, item 11: the app trusts the lost key's certificate; a new key can never prove its login."""
    from PySide6.QtWidgets import QMessageBox

    page = wait_in_the_set_up(person, tmp_path, org, browser)
    person.wizard.reject()
    box = person.wizard.close_box
    assert box is not None
    box.done(QMessageBox.StandardButton.Close.value)
    page.cancel_task()  # as the process would end on a real close: no wait left polling in the pool for later tests
    memory_keyring.entries.clear()  # the key is lost meanwhile

    again, returning = start_again(person, memory_keyring)
    returning.click(again.welcome_page.resume_button)
    person.qtbot.waitUntil(lambda: returning.at(PageId.KEY), timeout=10000)
    returning.generate_key(tmp_path / "new-keys")  # a new key: not the one the app trusts
    returning.next()
    returning.next()
    assert returning.at(PageId.SALESFORCE_AUTO)
    auto = again.salesforce_auto_page
    assert not auto.wait_button.isVisible() and auto.message.kind == "warning"
    assert "no longer here" in auto.message.text() and "Remove app" in auto.message.text()
    again._close_now()
    from PySide6.QtCore import QThreadPool

    assert QThreadPool.globalInstance().waitForDone(10000)  # nothing of this test still runs for the next ones


def test_a_name_this_computer_already_used_is_said_before_the_sign_in(person: Person, tmp_path: Path) -> None:
    """Desktop round 3, cosmetic: a taken app name was reported only after the browser sign-in."""
    from core.storage.settings import SalesforceAppRecord

    person.wizard.context.settings.salesforce_apps.append(
        SalesforceAppRecord(
            app_name="Unstructured_Connector",
            consumer_key="3MVG9AnEarlierApp",
            instance_url="https://acme.my.salesforce.com",
        )
    )
    person.next()
    person.generate_key(tmp_path / "keys")
    person.next()
    person.next()
    assert person.at(PageId.SALESFORCE_AUTO)
    page = person.wizard.salesforce_auto_page
    said = page.name_taken.text()
    assert "already set up an app named Unstructured_Connector in the org at acme.my.salesforce.com" in said
    assert page.app_name.isVisible() and page.name_taken.isVisible()  # beside the field that fixes it
    person.type(page.app_name, "Unstructured_Connector_2")
    assert page.name_taken.text() == ""
