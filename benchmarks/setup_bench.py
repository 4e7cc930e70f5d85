"""The automated set-up's own overhead on loopback: from the admin's session to the app created and the
connector's login proved, against the loopback org (every answer immediate, the app usable at once, each
deploy reported "in progress" once before its result, as Salesforce does). Salesforce's propagation wait
is not in it: on a real org that comes on top. Figures only; nothing asserts.

    python3 scripts/dev.py bench      (this is one of its sections)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.crypto.keypair import KeyBundle
    from tests.fakes.salesforce_org import FakeOrg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL_SECONDS = 5.0


def one_set_up(org: FakeOrg, bundle: KeyBundle, name: str) -> float:
    from core.steps.progress import Runtime
    from core.usecases.admin import SignIn, SignInWay
    from core.usecases.salesforce_app import SetupRequest, set_up_salesforce_app

    request = SetupRequest(
        username="integration@example.com",
        certificate_pem=(bundle.cert_pem or b"").decode(),
        key=bundle,
        app_name=name,
        login_url=org.url,
    ).validated()
    sign_in = SignIn(way=SignInWay.TOKEN, login_url=org.url, instance_url=org.url, access_token=org.admin_token())
    started = time.perf_counter()
    outcome = set_up_salesforce_app(request, sign_in, confirm=lambda plan: True, run=Runtime())
    took = time.perf_counter() - started
    assert outcome is not None and outcome.login is not None, "the set-up did not prove the login"
    return took


def main(runs: int = 5) -> None:
    import logging
    import os

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the loopback org's request log
    os.environ.setdefault("SFCW_HOME", tempfile.mkdtemp(prefix="sfcw-bench-"))
    from core.crypto.keypair import create_key_bundle
    from tests.fakes.salesforce_org import FakeOrg

    org = FakeOrg().start()
    try:
        bundle = create_key_bundle(bits=2048)
        times = []
        for run in range(runs):
            org.reset()
            org.add_user("integration@example.com")
            org.add_user(org.admin_user)
            org.deploy_polls = 1  # each deploy answers "in progress" once, then its result
            times.append(one_set_up(org, bundle, f"Bench_App_{run}"))
    finally:
        org.stop()
    median = statistics.median(times)
    verdict = "meets" if median <= GOAL_SECONDS else "MISSES"
    print("== Set-up (loopback org)")
    print(
        f"session to app created and login proved  median {median:5.2f} s, min {min(times):5.2f} s "
        f"(n={runs}; {verdict} goal <= {GOAL_SECONDS:.0f} s)"
    )


if __name__ == "__main__":
    main()
