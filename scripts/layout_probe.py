"""Walk every page of the wizard, Manage and the rotation dialog at their minimum size and report layout faults.

    python3 scripts/layout_probe.py [--shots DIR]

Run it on the display and scaling to judge: under Xvfb with QT_QPA_PLATFORM=xcb at 1280x720, or at
1920x1080 with QT_SCALE_FACTOR=2 (200 %), or offscreen. For each page it reports squeezed inputs,
cut-off text, blank gaps, overlapping controls, two controls sharing an Alt+letter, and a window or
button outside the screen
(tests/gui/layout.py), against the loopback Salesforce and Platform from the tests. Prints one
JSON object: {"screen": ..., "pages": [...], "problems": [...]}; exits 1 if there are problems.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["SFCW_HOME"] = tempfile.mkdtemp(prefix="sfcw-probe-")
os.environ["NO_PROXY"] = "127.0.0.1,localhost"

import keyring  # noqa: E402
import requests  # noqa: E402
from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QWizard  # noqa: E402

from core.defaults import TIMINGS  # noqa: E402
from core.storage.secret_store import SecretStore  # noqa: E402
from core.storage.settings import Settings  # noqa: E402
from gui.app import build_wizard  # noqa: E402
from gui.context import WizardContext  # noqa: E402
from tests.conftest import API_KEY, CONSUMER_KEY, USERNAME  # noqa: E402
from tests.fakes.keyrings import MemoryKeyring  # noqa: E402
from tests.fakes.platform import FakePlatform  # noqa: E402
from tests.fakes.salesforce import FakeSalesforce  # noqa: E402
from tests.gui.layout import dark_palette, layout_problems, mnemonic_clashes, window_problems  # noqa: E402


def wait_until(condition: Callable[[], object], timeout: float = 30.0) -> None:
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.start(int(timeout * 1000))
    while not condition():
        if not deadline.isActive():
            raise TimeoutError("the wizard did not reach the expected state")
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


class Probe:
    def __init__(self, shots: Path | None) -> None:
        self.shots = shots
        self.pages: list[str] = []
        self.problems: list[str] = []

    def look(self, window: QWizard, name: str) -> None:
        """Settle, then check the current page (and picture it)."""
        for _ in range(5):
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        self.pages.append(name)
        page = window.currentPage()
        if page is not None:
            self.problems += layout_problems(page, name)
        self.problems += window_problems(window, name)
        self.problems += mnemonic_clashes(window, name)
        if self.shots is not None:
            self.shots.mkdir(parents=True, exist_ok=True)
            window.grab().save(str(self.shots / f"{len(self.pages):02d}-{name}.png"))


def at_minimum(window: QWizard) -> None:
    window.show()
    window.resize(window.minimumSize())
    wait_until(window.isVisible)


def walk(probe: Probe) -> None:
    salesforce = FakeSalesforce().start()
    salesforce.add_user(USERNAME, name="Ada Admin")
    platform = FakePlatform(api_key=API_KEY, salesforce_url=salesforce.url).start()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    context = WizardContext(
        store=SecretStore(backend), settings=Settings.load(), timings=TIMINGS._replace(check_poll_interval=0.2)
    )
    wizard = build_wizard(context)
    at_minimum(wizard)
    try:
        probe.look(wizard, "welcome")
        wizard.next()
        probe.look(wizard, "key")
        key = wizard.key_page
        key.csr_radio.setChecked(True)
        probe.look(wizard, "key-csr")
        key.import_radio.setChecked(True)
        probe.look(wizard, "key-import")
        key.generate_radio.setChecked(True)
        key.folder.setText(str(Path(os.environ["SFCW_HOME"]) / "keys"))
        key.action_button.click()
        wait_until(key.isComplete)
        probe.look(wizard, "key-generated")
        wizard.next()
        app = wizard.salesforce_app_page
        probe.look(wizard, "salesforce-app-automatic")
        wizard.next()
        auto = wizard.salesforce_auto_page
        probe.look(wizard, "set-it-up-for-me")
        auto.advanced.setChecked(True)
        probe.look(wizard, "set-it-up-for-me-advanced")
        wizard.back()
        app.manual_radio.setChecked(True)
        probe.look(wizard, "salesforce-app-checklist")
        assert context.cert_path is not None
        salesforce.register_app(CONSUMER_KEY, context.cert_path.read_bytes())
        for tick in app.ticks:
            tick.setChecked(True)
        wizard.next()
        credentials = wizard.credentials_page
        credentials.username.setText(USERNAME)
        credentials.consumer_key.setText(CONSUMER_KEY)
        probe.look(wizard, "credentials")
        credentials.advanced.setChecked(True)
        credentials.login_url.setText(salesforce.url)
        probe.look(wizard, "credentials-advanced")
        wizard.next()
        verify = wizard.verify_page
        verify.verify_button.click()
        wait_until(lambda: verify.result.kind == "error")
        verify.skip.setChecked(True)
        probe.look(wizard, "verify-failed")
        verify.skip.setChecked(False)
        salesforce.browser_user = USERNAME
        requests.get(verify.url.value(), allow_redirects=False, timeout=5)
        verify.verify_button.click()
        wait_until(lambda: verify.result.kind == "ok")
        wizard.next()
        unstructured = wizard.unstructured_page
        unstructured.api_url.setText(platform.api_url)
        unstructured.api_key.setText(API_KEY)
        unstructured.name.setText("sf-probe")
        probe.look(wizard, "unstructured")
        wizard.next()  # checks the API key with the Platform first, then moves on by itself
        wait_until(lambda: wizard.currentPage() is wizard.review_page)
        probe.look(wizard, "review")
        review = wizard.review_page
        review.create_button.click()
        wait_until(lambda: review.check_message.kind in ("ok", "error"))
        probe.look(wizard, "review-created")
        wizard.next()
        probe.look(wizard, "done")
    finally:
        wizard.close()

    os.environ["UNSTRUCTURED_API_KEY"] = API_KEY  # Manage finds the key as an admin's script would set it
    manager = build_wizard(context)
    at_minimum(manager)
    try:
        manager.welcome_page.manage_radio.setChecked(True)
        manager.next()
        manage = manager.manage_page
        wait_until(lambda: manage.table.rowCount() > 0)
        probe.look(manager, "manage")
        manage.sign_in_options.setChecked(True)  # Advanced: sign-in ways, apps made here, the field check
        probe.look(manager, "manage-advanced")
        manage.sign_in_options.setChecked(False)
        manage.table.selectRow(0)
        manage.rotate_button.click()
        rotation = manage.rotation
        assert rotation is not None
        at_minimum(rotation)
        probe.look(rotation, "rotation-key")
        rotation.key_page.folder.setText(str(Path(os.environ["SFCW_HOME"]) / "rotated"))
        rotation.key_page.action_button.click()
        wait_until(rotation.key_page.isComplete)
        probe.look(rotation, "rotation-key-generated")
        rotation.next()
        probe.look(rotation, "rotation-replace-certificate")
        rotation.close()
    finally:
        manager.close()
        platform.stop()
        salesforce.stop()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shots", type=Path, help="also save a picture of each page here")
    parser.add_argument("--dark", action="store_true", help="with a dark palette, as a dark system theme gives")
    args = parser.parse_args(argv)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    if args.dark:
        app.setStyle("Fusion")  # a style that follows the palette everywhere, as desktop themes do
        app.setPalette(dark_palette())
    screen = QApplication.primaryScreen()
    probe = Probe(args.shots)
    walk(probe)
    geometry = screen.availableGeometry()
    report = {
        "platform": QApplication.platformName(),
        "dark": args.dark,
        "screen": [geometry.width(), geometry.height(), screen.devicePixelRatio()],
        "pages": probe.pages,
        "problems": probe.problems,
    }
    print(json.dumps(report))
    del app
    return 1 if probe.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
