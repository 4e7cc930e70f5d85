"""Render every wizard page offscreen to PNG (docs/screenshots/), walking the real flow.

    python3 scripts/dev.py screenshots [OUT_DIR]

The pages are filled in against the loopback Salesforce and Platform API from the tests, so the
pictures show real results (fingerprint, verified login, created connector), never a mock-up.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["SFCW_HOME"] = tempfile.mkdtemp(prefix="sfcw-screens-")
os.environ["NO_PROXY"] = "127.0.0.1,localhost"

import keyring  # noqa: E402
from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from core.defaults import TIMINGS  # noqa: E402
from core.storage.secret_store import SecretStore  # noqa: E402
from core.storage.settings import Settings  # noqa: E402
from gui.app import app_icon, build_wizard  # noqa: E402
from gui.context import WizardContext  # noqa: E402
from tests.conftest import API_KEY, CONSUMER_KEY, USERNAME  # noqa: E402
from tests.fakes.keyrings import MemoryKeyring  # noqa: E402
from tests.fakes.platform import FakePlatform  # noqa: E402
from tests.fakes.salesforce import FakeSalesforce  # noqa: E402

SIZE = (900, 720)


def wait_until(condition: Callable[[], object], timeout: float = 20.0) -> None:
    loop_deadline = QTimer()
    loop_deadline.setSingleShot(True)
    loop_deadline.start(int(timeout * 1000))
    while not condition():
        if not loop_deadline.isActive():
            raise TimeoutError("the wizard did not reach the expected state")
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def open_wizard(context: WizardContext, out_dir: Path, *, first: int) -> tuple[Any, list[Path], Callable[[str], None]]:
    """The wizard at the README's size, the list of pictures taken, and ``shot(name)`` numbering from ``first``."""
    wizard = build_wizard(context)
    wizard.resize(*SIZE)
    wizard.show()
    shots: list[Path] = []

    def shot(name: str) -> None:
        QCoreApplication.processEvents()
        path = out_dir / f"{first + len(shots):02d}-{name}.png"
        wizard.grab().save(str(path))
        shots.append(path)

    return wizard, shots, shot


def generate_key(wizard: Any, folder: Path) -> None:
    key = wizard.key_page
    key.folder.setText(str(folder))
    key.action_button.click()
    wait_until(key.isComplete)


def render_all(out_dir: Path) -> list[Path]:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    app.setWindowIcon(app_icon())
    out_dir.mkdir(parents=True, exist_ok=True)
    salesforce = FakeSalesforce().start()
    salesforce.add_user(USERNAME, name="Ada Admin")
    salesforce.browser_user = USERNAME
    platform = FakePlatform(api_key=API_KEY, salesforce_url=salesforce.url).start()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    context = WizardContext(
        store=SecretStore(backend), settings=Settings.load(), timings=TIMINGS._replace(check_poll_interval=0.2)
    )
    wizard, shots, shot = open_wizard(context, out_dir, first=1)
    try:
        shot("welcome")
        wizard.next()
        generate_key(wizard, Path(os.environ["SFCW_HOME"]) / "keys")
        shot("key-and-certificate")
        wizard.next()
        assert context.cert_path is not None
        salesforce.register_app(CONSUMER_KEY, context.cert_path.read_bytes())
        wizard.salesforce_app_page.manual_radio.setChecked(True)  # the checklist path (the automated one follows)
        for tick in wizard.salesforce_app_page.ticks[:3]:
            tick.setChecked(True)
        shot("salesforce-app-checklist")
        for tick in wizard.salesforce_app_page.ticks:
            tick.setChecked(True)
        wizard.next()
        credentials = wizard.credentials_page
        credentials.username.setText(USERNAME)
        credentials.consumer_key.setText(CONSUMER_KEY)
        shot("credentials")
        credentials.login_url.setText(salesforce.url)  # the loopback stand-in for login.salesforce.com
        credentials.advanced.setChecked(True)
        wizard.next()
        verify = wizard.verify_page
        verify.diagnosis.clear_message()
        verify.verify_button.click()
        wait_until(lambda: verify.result.kind == "error")
        shot("verify-not-yet-approved")
        import requests

        requests.get(verify.url.value(), allow_redirects=False, timeout=5)  # the admin approves in the browser
        verify.verify_button.click()
        wait_until(lambda: verify.result.kind == "ok")
        verify.diagnosis.clear_message()
        shot("verify-login-works")
        salesforce.disabled_objects = {"Campaign"}  # an org without Campaigns: the step shows what that means
        wizard.next()
        unstructured = wizard.unstructured_page
        wait_until(lambda: unstructured.context.reading is not None)
        unstructured.api_url.setText(platform.api_url)
        unstructured.api_key.setText(API_KEY)
        unstructured.name.setText("salesforce-production")
        shot("unstructured")
        wizard.next()  # checks the API key with the Platform first, then moves on by itself
        wait_until(lambda: wizard.currentPage() is wizard.review_page)
        review = wizard.review_page
        shot("review")
        review.create_button.click()
        wait_until(lambda: review.check_message.kind in ("ok", "error"))
        shot("created-and-checked")
        wizard.next()
        shot("done")
    finally:
        wizard.close()
        platform.stop()
        salesforce.stop()
    shots += render_automated(out_dir, first=len(shots) + 1)
    shots += render_real_org_help(out_dir, first=len(shots) + 1)
    return shots


def render_automated(out_dir: Path, *, first: int) -> list[Path]:
    """The recommended path: the choice, the plan after the sign-in, and the finished set-up."""
    import socket

    import requests

    from tests.fakes.salesforce_org import FakeOrg

    org = FakeOrg().start()
    org.deploy_polls = 0
    org.add_user(USERNAME, name="Ada Admin")
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    context = WizardContext(
        store=SecretStore(backend), settings=Settings(), timings=TIMINGS._replace(login_poll_interval=0.2)
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        context.sign_in_port = probe.getsockname()[1]
    opened: list[str] = []
    from PySide6.QtCore import QObject, QUrl, Slot
    from PySide6.QtGui import QDesktopServices

    class Browser(QObject):
        @Slot(QUrl)
        def open(self, url: QUrl) -> None:
            opened.append(url.toString())

    browser = Browser()
    QDesktopServices.setUrlHandler("http", browser, "open")  # type: ignore[arg-type]  # the stub says bytes; PySide 6.11 accepts only str
    wizard, shots, shot = open_wizard(context, out_dir, first=first)
    try:
        wizard.next()
        generate_key(wizard, Path(os.environ["SFCW_HOME"]) / "auto-keys")
        wizard.next()
        shot("salesforce-app-set-it-up-for-me")
        wizard.next()
        auto = wizard.salesforce_auto_page
        auto.username.setText(USERNAME)
        auto.login_url.setText(org.url)  # the loopback org stands in for login.salesforce.com
        auto.sign_in_button.click()
        wait_until(lambda: opened)
        answer = requests.get(opened[-1], allow_redirects=False, timeout=5)  # the admin signs in and allows
        requests.get(answer.headers["Location"], allow_redirects=False, timeout=5)
        wait_until(auto.create_button.isVisible)
        auto.login_warning.clear_message()
        shot("set-up-plan")
        auto.create_button.click()
        wait_until(auto.isComplete)
        shot("set-up-done")
    finally:
        QDesktopServices.unsetUrlHandler("http")
        wizard.close()
        org.stop()
    return shots


def render_real_org_help(out_dir: Path, *, first: int, size: tuple[int, int] = SIZE) -> list[Path]:
    """Where real orgs differ: the Connected App offered when the External Client App serves only My Domain,
    and the field check under Manage > Advanced."""
    from PySide6.QtWidgets import QMessageBox

    from tests.fakes.salesforce_org import FakeOrg

    org = FakeOrg().start()
    org.deploy_polls = 0
    org.add_user(USERNAME, name="Ada Admin")
    org.add_user(org.admin_user)
    org.my_domain_only = True  # as users report of new External Client Apps
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    context = WizardContext(
        store=SecretStore(backend),
        settings=Settings(),
        timings=TIMINGS._replace(login_poll_interval=0.2, login_wait=1.5),
    )
    wizard, shots, shot = open_wizard(context, out_dir, first=first)
    wizard.resize(*size)
    try:
        wizard.next()
        generate_key(wizard, Path(os.environ["SFCW_HOME"]) / "fallback-keys")
        wizard.next()
        wizard.next()
        auto = wizard.salesforce_auto_page
        auto.username.setText(USERNAME)
        auto.advanced.setChecked(True)
        auto.login_url.setText(org.url)  # the loopback org stands in for login.salesforce.com
        auto.sign_in_with.setCurrentIndex(auto.sign_in_with.findData("token"))
        auto.instance_url.setText(org.my_domain_url)  # the admin's session is with the org's My Domain
        auto.access_token.setText(org.admin_token())
        auto.sign_in_button.click()
        wait_until(auto.create_button.isVisible)
        auto.create_button.click()
        wait_until(auto.fallback_button.isVisible)
        auto.advanced.setChecked(False)
        auto.login_warning.clear_message()
        shot("set-up-connected-app-offered")
        wizard.restart()
        wizard.welcome_page.manage_radio.setChecked(True)
        wizard.next()
        manage = wizard.manage_page
        context.settings.output_dir = str(Path(os.environ["SFCW_HOME"]) / "reports")
        manage.sign_in_options.setChecked(True)
        org.my_domain_only = False
        manage.field_check_user.setText(USERNAME)
        manage.field_check_host.setText(org.url)
        manage.sign_in_choice.way.setCurrentIndex(manage.sign_in_choice.way.findData("token"))
        manage.sign_in_choice.instance_url.setText(org.my_domain_url)
        manage.sign_in_choice.access_token.setText(org.admin_token())
        manage.field_check_button.click()
        assert manage.confirm_box is not None
        manage.confirm_box.done(QMessageBox.StandardButton.Yes.value)
        wait_until(lambda: manage.field_check_box is not None)
        assert manage.field_check_box is not None
        manage.field_check_box.done(0)
        shot("manage-field-check-passed")
    finally:
        wizard.close()
        org.stop()
    return shots


def main(argv: list[str]) -> int:
    if argv[:1] == ["--desktop"]:  # Xvfb checks: python3 scripts/screenshots.py --desktop OUT_DIR WxH
        out_dir, (width, height) = Path(argv[1]), (int(n) for n in argv[2].split("x"))
        existing = QApplication.instance()
        app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
        app.setWindowIcon(app_icon())
        out_dir.mkdir(parents=True, exist_ok=True)
        for path in render_real_org_help(out_dir, first=1, size=(width, height)):
            print(path)
        return 0
    out_dir = Path(argv[0]) if argv else ROOT / "docs" / "screenshots"
    for path in render_all(out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
