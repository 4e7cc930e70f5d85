"""The watch over 1 and over 20 connectors on the loopback services (goal: 20 take at most 3x one).

Each connector is a full look: the Platform's record, the connector's JWT login, a COUNT per
category and the limits as its user, its workflows and their latest jobs. The loopback org and
Platform run in a process of their own, as real services are elsewhere: what is timed is the
watch. Two sets of 20: connectors of one app (one login and one count serve them all) and
connectors each with an app of its own (each logs in). Figures only; nothing asserts.

    python3 scripts/dev.py bench      (this is one of its sections)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.storage.secret_store import SecretStore
    from core.storage.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL_RATIO = 3.0
USERNAME = "integration@example.com"
CONSUMER_KEY = "3MVG9benchConsumerKeyForTheWatch.0123456789abcdefghijklmnopqrstuvwxyz"
API_KEY = "bench-api-key-0123456789"


def serve() -> None:
    """The services' process: the loopback org and Platform with the three sets of connectors; prints them."""
    import logging

    from core.crypto.keypair import create_key_bundle
    from core.unstructured.client import PlatformClient
    from core.validation import validate_config
    from tests.fakes.platform import FakePlatform
    from tests.fakes.salesforce_org import FakeOrg

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    org = FakeOrg().start()
    platform = FakePlatform(api_key=API_KEY).start()
    bundle = create_key_bundle(bits=2048)
    assert bundle.cert_pem is not None
    org.add_user(USERNAME)
    platform.reset(api_key=API_KEY, salesforce_url=org.url)
    client = PlatformClient(api_url=platform.api_url, api_key=API_KEY)
    sets: dict[str, list[str]] = {"one": [], "shared": [], "own": []}
    org.register_app(CONSUMER_KEY, bundle.cert_pem, approved={USERNAME})
    for name, count in (("one", 1), ("shared", 20), ("own", 20)):
        for index in range(count):
            consumer_key = CONSUMER_KEY if name != "own" else f"{CONSUMER_KEY[:-2]}{index:02d}"
            if name == "own":
                org.register_app(consumer_key, bundle.cert_pem, approved={USERNAME})
            config = validate_config(
                username=USERNAME,
                consumer_key=consumer_key,
                private_key=bundle.private_key_pem,
                categories=["Account", "Case"],
            )
            made = client.create_source(name=f"{name}-{index}", config=config)
            platform.add_job(platform.add_workflow(f"Nightly {made.name}", made.id), "COMPLETED")
            sets[name].append(made.id)
    print(json.dumps({"org": org.url, "api": platform.api_url, "key": bundle.private_key_pem.decode(), "sets": sets}))
    sys.stdout.flush()
    sys.stdin.read()  # until the bench is done
    org.stop()
    platform.stop()


def one_watch(api_url: str, login_url: str, settings: Settings, store: SecretStore) -> float:
    from core.unstructured.client import PlatformClient
    from core.urls import SafeUrl
    from core.usecases.watch import WatchHistory, WatchRequest, watch

    client = PlatformClient(api_url=api_url, api_key=API_KEY)
    started = time.perf_counter()
    result = watch(
        client,
        WatchRequest(login_url=SafeUrl(login_url)).validated(),
        settings=settings,
        history=WatchHistory(),
        read_secret=store.get,
    )
    took = time.perf_counter() - started
    assert all(c.status.value == "ok" for c in result.connectors), [c.to_json() for c in result.connectors]
    return took


def main(runs: int = 3) -> None:
    os.environ.setdefault("SFCW_HOME", tempfile.mkdtemp(prefix="sfcw-bench-"))
    import keyring

    from core.crypto.keypair import load_private_key, public_key_id
    from core.defaults import private_key_name
    from core.storage.secret_store import SecretStore
    from core.storage.settings import ConnectorRecord, KeyRecord, Settings
    from tests.fakes.keyrings import MemoryKeyring

    services = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert services.stdout is not None
        world = json.loads(services.stdout.readline())
        keyring.set_keyring(MemoryKeyring())
        store = SecretStore()
        store.set(private_key_name("bench"), world["key"])
        key_id = public_key_id(load_private_key(world["key"]))
        figures = {}
        for name, ids in world["sets"].items():
            settings = Settings()
            settings.remember_key(KeyRecord(name="bench", public_key_id=key_id, in_keyring=True))
            for connector_id in ids:
                settings.remember_connector(
                    ConnectorRecord(id=connector_id, name=connector_id, api_url=world["api"], public_key_id=key_id)
                )
            figures[name] = [one_watch(world["api"], world["org"], settings, store) for _ in range(runs)]
    finally:
        services.communicate("", timeout=60)
    one = statistics.median(figures["one"])
    print("== Watch (loopback org and Platform in a process of their own)")
    print(f"1 connector                      median {one * 1000:7.1f} ms (n={runs})")
    for label, name in (("20 connectors of one app", "shared"), ("20 connectors, an app each", "own")):
        took = statistics.median(figures[name])
        ratio = took / one
        verdict = "meets" if ratio <= GOAL_RATIO else "MISSES"
        print(
            f"{label:32} median {took * 1000:7.1f} ms (n={runs}); {ratio:.1f}x one ({verdict} goal <= {GOAL_RATIO:.0f}x)"
        )


if __name__ == "__main__":
    serve() if "--serve" in sys.argv else main()
