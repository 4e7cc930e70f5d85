"""Try the whole wizard without a Salesforce org or an Unstructured account.

    python3 scripts/dev.py demo [--fresh] [--state DIR] [--session-only]
                                [--unreadable CATEGORY ...] [--login-wait SECONDS] [--my-domain-only] [--failed-job]

Starts the loopback Salesforce and Platform API the tests use, fills in their addresses, and opens the
wizard. "Uploading" the certificate is automatic on the checklist path: the demo Salesforce trusts the
newest certificate in the demo key folder, as a real app would after you upload it. *Set it up for me*
signs in through your real browser to the demo org (it answers at once) and creates the app there.

The demo keeps its state between runs, so Resume and Manage can be tried after a restart: its settings and
keys, and what the demo org and Platform hold (apps, permission sets, connectors, workflows), in the state
folder (--state; by default the user's state folder, printed at start). --fresh starts over. Secrets go to
the system keyring under a service of the demo's own ("salesforce-connector-wizard-demo"), never the real
app's; --session-only keeps them in memory instead (nothing survives the run).

The switches show what an admin meets in real orgs:
  --unreadable CATEGORY  the connector's user cannot read CATEGORY (e.g. Campaign): the counts, Check
                         again, the watch's category finding
  --login-wait SECONDS   a new app (or certificate) answers the connector's login only after SECONDS, as
                         Salesforce applies it: the set-up's and the rotation's waits, Stop waiting, Wait again
  --my-domain-only       the External Client App answers at the org's My Domain only: the Connected App offer
  --failed-job           every connector gets a workflow whose latest run failed: the watch's run finding
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
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
#: The keyring service the demo keeps its secrets under: never the real app's.
DEMO_SERVICE = "salesforce-connector-wizard-demo"
#: What the demo services held when the last run ended (beside the settings in the state folder).
SERVICES_FILE = "demo-services.json"
FAILED_RUN = (
    "TypeError: SalesforceError.__init__() missing 3 required positional arguments: 'status', 'resource_name', "
    "and 'content'"
)


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

    def urls(self) -> dict[str, str]:
        """The addresses settings record (they change from run to run: each run takes free ports)."""
        return {"login": self.salesforce.url, "my_domain": self.salesforce.my_domain_url, "platform": self.platform.url}

    def snapshot(self) -> dict[str, Any]:
        """What the org and the Platform hold now, as JSON (restored by :meth:`restore` on the next run)."""
        org, platform = self.salesforce, self.platform

        def apps(held: dict[str, Any]) -> dict[str, Any]:
            return {name: {**dataclasses.asdict(app), "ready_at": 0.0} for name, app in held.items()}

        return {
            "urls": self.urls(),
            "org": {
                "users": org.users,
                "permission_sets": org.permission_sets,
                "assignments": org.assignments,
                "org_apps": apps(org.org_apps),
                "connected_apps": apps(org.connected_apps),
                "api_used": org.api_used,
            },
            "platform": {"connectors": platform.connectors, "workflows": platform.workflows, "jobs": platform.jobs},
        }

    def restore(self, saved: dict[str, Any]) -> None:
        from tests.fakes.salesforce_org import OrgApp

        org, platform = self.salesforce, self.platform
        held = saved.get("org", {})
        org.users.update(held.get("users", {}))
        org.permission_sets.update(held.get("permission_sets", {}))
        org.assignments.extend(held.get("assignments", []))
        for name, app in held.get("org_apps", {}).items():
            org.org_apps[name] = OrgApp(**app)  # ready_at 0: applied long ago
        for name, app in held.get("connected_apps", {}).items():
            org.connected_apps[name] = OrgApp(**app)
        org.api_used = int(held.get("api_used", 0))
        kept = saved.get("platform", {})
        platform.connectors.update(kept.get("connectors", {}))
        platform.workflows.update(kept.get("workflows", {}))
        platform.jobs.update(kept.get("jobs", {}))

    def fail_every_connectors_last_run(self) -> None:
        """--failed-job: a workflow for each connector whose latest run failed, as the connector reports a query
        that failed (the watch explains it)."""
        platform = self.platform
        for connector_id, connector in list(platform.connectors.items()):
            if any(connector_id in w["sources"] for w in platform.workflows.values()):
                continue
            workflow = platform.add_workflow(f"Nightly {connector.get('name', 'sync')}", connector_id)
            platform.add_job(workflow, "COMPLETED", created_at="2026-12-05T02:00:00+00:00")
            platform.add_job(workflow, "FAILED", message=FAILED_RUN, created_at="2026-12-06T02:00:00+00:00")

    def stop(self) -> None:
        self.platform.stop()
        self.salesforce.stop()


def repoint_settings(settings_file: Path, old: dict[str, str], new: dict[str, str]) -> None:
    """The services listen on new ports each run: the settings' records (API URL, login host, each app's and
    connector's addresses) point at them again."""
    if not settings_file.exists():
        return
    moves = {old[name]: address for name, address in new.items() if old.get(name) and old[name] != address}
    if not moves:
        return
    # All at once, and whole addresses only: the system hands a port freed by the last run to another service
    # of this one (replaced one after the other, the platform's new address was then moved on as the login
    # host's old one), and :4000 must not match the start of :40001.
    pattern = re.compile("|".join(re.escape(a) for a in sorted(moves, key=len, reverse=True)) + r"(?![0-9])")
    text = pattern.sub(lambda found: moves[found.group(0)], settings_file.read_text(encoding="utf-8"))
    settings_file.write_text(text, encoding="utf-8")


def default_state() -> Path:
    import platformdirs

    return Path(platformdirs.user_state_dir("salesforce-connector-wizard-demo"))


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python3 scripts/dev.py demo",
        description=__doc__.split("\n\n", 1)[0],
        epilog=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--state", type=Path, default=None, help="where the demo keeps its state between runs")
    parser.add_argument("--fresh", action="store_true", help="start over: forget the demo's state first")
    parser.add_argument("--session-only", action="store_true", help="keep secrets in memory (nothing survives)")
    parser.add_argument("--unreadable", action="append", default=[], metavar="CATEGORY", help="(see below)")
    parser.add_argument("--login-wait", type=float, default=0.0, metavar="SECONDS", help="(see below)")
    parser.add_argument("--my-domain-only", action="store_true", help="(see below)")
    parser.add_argument("--failed-job", action="store_true", help="(see below)")
    args = parser.parse_args(argv)
    from core.validation import parse_categories

    try:
        args.unreadable = parse_categories(args.unreadable) if args.unreadable else []
    except Exception as exc:  # noqa: BLE001 - an InvalidInputError: said as argparse says a bad option
        parser.error(f"--unreadable: {exc}")
    if not 0 <= args.login_wait <= 3600:
        parser.error("--login-wait must be from 0 to 3600 seconds")
    return args


def main(argv: list[str] | None = None) -> int:
    args = arguments(sys.argv[1:] if argv is None else argv)
    # SFCW_HOME, when set, is the state folder too (as before); --session-only without --state: a throw-away one.
    throwaway = args.session_only and args.state is None and not os.environ.get("SFCW_HOME")
    home = (
        Path(tempfile.mkdtemp(prefix="sfcw-demo-"))
        if throwaway
        else (args.state or Path(os.environ.get("SFCW_HOME") or default_state()))
    )
    if args.fresh and home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True, exist_ok=True)
    os.environ["SFCW_HOME"] = str(home)
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    os.environ["UNSTRUCTURED_API_KEY"] = DEMO_API_KEY
    key_folder = home / "keys"
    key_folder.mkdir(exist_ok=True)

    import keyring

    from core.storage.secret_store import SecretStore
    from core.storage.settings import SETTINGS_FILE, Settings, config_dir
    from tests.fakes.keyrings import MemoryKeyring

    services = DemoServices(key_folder)
    saved_file = home / SERVICES_FILE
    saved = json.loads(saved_file.read_text(encoding="utf-8")) if saved_file.exists() else None
    if saved is not None:
        services.restore(saved)
        repoint_settings(config_dir() / SETTINGS_FILE, saved.get("urls", {}), services.urls())
    org = services.salesforce
    org.unreadable[DEMO_USER] = set(args.unreadable)
    org.propagation_delay = args.login_wait
    org.my_domain_only = args.my_domain_only
    if args.failed_job:
        services.fail_every_connectors_last_run()

    if args.session_only:
        backend: Any = MemoryKeyring()
        keyring.set_keyring(backend)
        store = SecretStore(backend, service=DEMO_SERVICE)
        where = "in memory only (--session-only)"
    else:
        store = SecretStore(service=DEMO_SERVICE)
        where = f"in the system keyring ({store.backend_name()}), under the service {DEMO_SERVICE}"
    settings = Settings.load()
    settings.username = settings.username or DEMO_USER
    settings.consumer_key = settings.consumer_key or DEMO_CONSUMER_KEY
    settings.login_url = services.salesforce.url
    settings.api_url = services.platform.api_url
    settings.output_dir = settings.output_dir or str(key_folder)
    settings.save()
    switches = []
    if args.unreadable:
        switches.append(f"the connector's user cannot read {', '.join(args.unreadable)}")
    if args.login_wait:
        switches.append(f"a new app or certificate takes {args.login_wait:g} s to answer")
    if args.my_domain_only:
        switches.append("the External Client App answers at My Domain only")
    if args.failed_job:
        switches.append("every connector's latest workflow run failed")
    print(
        f"""Demo services are running on this computer:
  Salesforce login host: {services.salesforce.url}   (filled in under Advanced options, Login host)
  Salesforce username:   {DEMO_USER}
  Consumer key:          {DEMO_CONSUMER_KEY}
  Unstructured API URL:  {services.platform.api_url}
  Unstructured API key:  {DEMO_API_KEY}   (taken from UNSTRUCTURED_API_KEY)
  State:                 {home}{"   (thrown away at the end)" if throwaway else ""}
                         {"restored from the last run" if saved else "new"}; secrets are kept {where}
  Switches:              {"; ".join(switches) or "none (python3 scripts/dev.py demo --help lists them)"}
Everything is pre-filled; go through the steps. "Set it up for me" signs in through your browser
to the demo org (it answers at once) and creates the app there. Close the wizard to stop the demo;
run it again to Resume, or to Manage what you made.""",
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
        wizard = build_wizard(WizardContext(store=store, settings=Settings.load()))
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
        if not throwaway:
            saved_file.write_text(json.dumps(services.snapshot(), indent=1), encoding="utf-8")
        services.stop()
        if throwaway:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
