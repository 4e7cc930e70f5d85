"""Try the whole wizard without a Salesforce org or an Unstructured account.

    python3 scripts/dev.py demo

Starts the loopback Salesforce and Platform API the tests use, fills in their addresses, and opens
the wizard. "Uploading" the certificate is automatic: the demo Salesforce trusts the newest
certificate in the demo key folder, as a real app would after you upload it. Approving works in
your real browser (the page then ends at https://localhost, which does not load, as in real life).
Secrets are kept in memory only; nothing touches your real keyring or settings.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEMO_USER = "demo.admin@example.com"
DEMO_CONSUMER_KEY = "3MVG9DemoConsumerKey.ForTheLoopbackSalesforceOnly_0123456789abcdefghijkl"
DEMO_API_KEY = "demo-api-key-0123456789"


class DemoServices:
    """The two loopback services, with a Salesforce app that trusts the newest certificate in ``key_folder``."""

    def __init__(self, key_folder: Path) -> None:
        from tests.fakes.platform import FakePlatform
        from tests.fakes.salesforce import FakeApp
        from tests.fakes.salesforce_org import FakeOrg

        self.key_folder = key_folder
        folder = key_folder

        class UploadedApps(dict[str, FakeApp]):
            def get(self, key: str, default: Any = None) -> Any:
                certificates = sorted(folder.glob("*.crt"), key=lambda p: p.stat().st_mtime)
                if key == DEMO_CONSUMER_KEY and certificates:
                    app = super().get(key) or FakeApp(consumer_key=key, certificate_pem=b"")
                    app.certificate_pem = certificates[-1].read_bytes()
                    self[key] = app
                return super().get(key, default)

        # One loopback org for both paths: the checklist (its app trusts the newest certificate in the
        # key folder, as after an upload) and "Set it up for me" (sign-in, deploys, propagation).
        self.salesforce = FakeOrg().start()
        self.salesforce.apps = UploadedApps()
        self.salesforce.add_user(DEMO_USER, name="Demo Admin")
        self.salesforce.add_user(self.salesforce.admin_user, name="Org Admin")
        self.salesforce.browser_user = DEMO_USER
        self.platform = FakePlatform(api_key=DEMO_API_KEY, salesforce_url=self.salesforce.url).start()

    def stop(self) -> None:
        self.platform.stop()
        self.salesforce.stop()


def main() -> int:
    # SFCW_HOME, when set, keeps the demo's settings and keys (to look at them afterwards); otherwise a
    # throw-away folder that goes when the demo ends (each run used to leave one in /tmp).
    kept = os.environ.get("SFCW_HOME")
    home = Path(kept) if kept else Path(tempfile.mkdtemp(prefix="sfcw-demo-"))
    home.mkdir(parents=True, exist_ok=True)
    os.environ["SFCW_HOME"] = str(home)
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    os.environ["UNSTRUCTURED_API_KEY"] = DEMO_API_KEY
    key_folder = home / "keys"
    key_folder.mkdir(exist_ok=True)

    import keyring

    from core.storage.secret_store import SecretStore
    from core.storage.settings import Settings
    from tests.fakes.keyrings import MemoryKeyring

    services = DemoServices(key_folder)
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    settings = Settings(
        username=DEMO_USER,
        consumer_key=DEMO_CONSUMER_KEY,
        login_url=services.salesforce.url,
        api_url=services.platform.api_url,
        output_dir=str(key_folder),
    )
    settings.save()
    print(
        f"""Demo services are running on this computer:
  Salesforce login host: {services.salesforce.url}   (filled in under "Diagnose against another login host")
  Salesforce username:   {DEMO_USER}
  Consumer key:          {DEMO_CONSUMER_KEY}
  Unstructured API URL:  {services.platform.api_url}
  Unstructured API key:  {DEMO_API_KEY}   (taken from UNSTRUCTURED_API_KEY)
Everything is pre-filled; go through the steps. "Set it up for me" signs in through your browser
to the demo org (it answers at once) and creates the app there. Close the wizard to stop the demo.""",
        flush=True,
    )
    try:
        from PySide6.QtWidgets import QApplication

        from core.defaults import TIMINGS
        from gui.app import app_icon, build_wizard
        from gui.context import WizardContext

        existing = QApplication.instance()
        app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
        app.setWindowIcon(app_icon())
        wizard = build_wizard(WizardContext(store=SecretStore(backend), settings=Settings.load()))
        wizard.setWindowTitle(wizard.windowTitle() + " (demo)")
        import socket

        with socket.socket() as probe:  # a free port for the sign-in's redirect (1717 may be in use)
            probe.bind(("127.0.0.1", 0))
            wizard.context.sign_in_port = probe.getsockname()[1]
        wizard.context.timings = TIMINGS._replace(login_poll_interval=2.0)
        auto = wizard.salesforce_auto_page
        auto.advanced.setChecked(True)
        auto.login_url.setText(services.salesforce.url)
        wizard.show()
        return app.exec()
    finally:
        services.stop()
        if not kept:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
