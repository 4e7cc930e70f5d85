"""Shared fixtures: isolated settings folder, in-memory keyring, loopback services, key material."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest

from core.crypto.keypair import KeyBundle, Subject, create_key_bundle
from core.defaults import TIMINGS
from tests.fakes.keyrings import MemoryKeyring
from tests.fakes.platform import FakePlatform
from tests.fakes.salesforce import FakeSalesforce
from tests.fakes.salesforce_org import FakeOrg

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

#: Whatever keyring this machine really has (GNOME Keyring under the README's test command).
REAL_KEYRING = keyring.get_keyring()

USERNAME = "integration@example.com"
CONSUMER_KEY = "3MVG9fakeConsumerKeyForLoopbackTests.0123456789abcdefghijklmnopqrstuvwxyz"
#: The app's timings for tests: short polls and deploys against loopback services that answer at once.
FAST = TIMINGS._replace(check_poll_interval=0.05, deploy_poll_interval=0.01, deploy_timeout=60.0)

API_KEY = "test-api-key-0123456789"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own settings and log folder, and no ambient API configuration."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("SFCW_HOME", str(home))
    for name in (
        "UNSTRUCTURED_API_KEY",
        "UNSTRUCTURED_API_URL",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return home


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(scope="session")
def key_bundle() -> KeyBundle:
    return create_key_bundle(bits=2048, subject=Subject(common_name="loopback tests"))


@pytest.fixture
def keys(tmp_path: Path, key_bundle: KeyBundle) -> tuple[Path, Path]:
    """The session's key pair as the files keygen writes: (salesforce.pem, salesforce.crt)."""
    assert key_bundle.cert_pem is not None
    key, cert = tmp_path / "salesforce.pem", tmp_path / "salesforce.crt"
    key.write_bytes(key_bundle.private_key_pem)
    cert.write_bytes(key_bundle.cert_pem)
    return key, cert


@pytest.fixture(scope="session")
def other_bundle() -> KeyBundle:
    return create_key_bundle(bits=2048)


@pytest.fixture(scope="session")
def _salesforce_server() -> Iterator[FakeSalesforce]:
    fake = FakeSalesforce().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def _platform_server() -> Iterator[FakePlatform]:
    fake = FakePlatform(api_key=API_KEY).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def _org_server() -> Iterator[FakeOrg]:
    from tests.fakes.salesforce_org import metadata_schema

    metadata_schema()  # load the WSDL's schema once
    fake = FakeOrg().start()
    yield fake
    fake.stop()


@pytest.fixture
def org(_org_server: FakeOrg) -> FakeOrg:
    """A Salesforce org with the connector's user and an admin, nothing created yet."""
    _org_server.reset()
    _org_server.deploy_polls = 0
    _org_server.add_user(USERNAME)
    _org_server.add_user(_org_server.admin_user)
    return _org_server


def write_browser(folder: Path) -> str:
    """A BROWSER command that does what the admin's browser does: follow Salesforce's redirect back."""
    import sys

    visit = folder / "browser.py"
    visit.write_text(
        "import sys, requests\n"
        "answer = requests.get(sys.argv[1], allow_redirects=False, timeout=5)\n"
        "requests.get(answer.headers['Location'], allow_redirects=False, timeout=5)\n"
    )
    # webbrowser splits a BROWSER with %s by POSIX shell rules, on Windows too: forward slashes survive that.
    return f"{Path(sys.executable).as_posix()} {visit.as_posix()} %s &"


@pytest.fixture
def salesforce(_salesforce_server: FakeSalesforce, key_bundle: KeyBundle) -> FakeSalesforce:
    """A Salesforce org with the app set up and the user approved: the happy path."""
    fake = _salesforce_server
    fake.reset()
    fake.add_user(USERNAME)
    assert key_bundle.cert_pem is not None
    fake.register_app(CONSUMER_KEY, key_bundle.cert_pem, approved={USERNAME})
    return fake


@pytest.fixture
def platform(_platform_server: FakePlatform, salesforce: FakeSalesforce) -> FakePlatform:
    """An empty Unstructured account whose connection checks log in to ``salesforce``."""
    _platform_server.reset(api_key=API_KEY, salesforce_url=salesforce.url)
    return _platform_server
